#include "apps/bootloader/recovery.h"

#include "boot/boot_trailer.h"
#include "common/errors.h"

/* The reboot after an accepted image waits this long after the class asks
 * for it, so the host's closing GETSTATUS and USB reset still reach this
 * device (dfu-util then exits 0), as in the DFU sample. */
#define REBOOT_DELAY_MS 500

/* MCUboot-style console lines ("I: ...") */
#define LOG_INF(...) sys_log(board_sys(), SYS_LOG_INF, __VA_ARGS__)
#define LOG_ERR(...) sys_log(board_sys(), SYS_LOG_ERR, __VA_ARGS__)

/* Manifestation (from dfu_task, the main loop): the image in slot1 must
 * pass the bootloader's own validation (hash, signature with the built-in
 * key, size) before anything is requested. A refusal becomes the class's
 * GETSTATUS error (dfu.c maps the dfb_err): errFILE for a file that is not
 * an image for this device (no MCUboot image, signed with another key, a
 * feature this build lacks, too large for the slots), errVERIFY for an
 * image that does not verify (hash mismatch, no signature, a signature
 * that does not verify). */
static int manifest(void *ctx, int permanent)
{
    struct recovery *r = ctx;
    struct boot_image_info info;
    int rc;

    (void)permanent; /* always permanent: there is nothing to revert to */
    rc = r->image->validate(r->image->ctx, r->slots->secondary, r->download_off, &info);
    if (rc == DFB_OK && (info.total_size == 0 || info.total_size > r->max_image)) {
        LOG_ERR("Recovery image too large for the slots (%u bytes, at most %u)",
                     (unsigned)info.total_size, (unsigned)r->max_image);
        return DFB_EBADIMAGE;
    }
    if (rc != DFB_OK) {
        LOG_ERR("Recovery image refused (%s); nothing installed", dfb_strerror(rc));
        return rc;
    }
    rc = boot_request_upgrade(r->slots, 1);
    if (rc != DFB_OK) {
        LOG_ERR("Cannot request the recovery upgrade (%s)", dfb_strerror(rc));
        return rc;
    }
    LOG_INF("Recovery image %u.%u.%u+%u valid; installing it as a permanent upgrade", info.version.major,
                 info.version.minor, (unsigned)info.version.revision, (unsigned)info.version.build_num);
    return DFB_OK;
}

/* From a controller event, per block: the image's size as it goes by. */
static uint32_t download_size(void *ctx, uint32_t offset, const uint8_t *data, uint32_t len)
{
    struct recovery *r = ctx;

    if (offset == 0)
        image_size_probe_init(&r->probe);
    return image_size_probe_feed(&r->probe, data, len);
}

/* From a controller event: only schedule the reboot. */
static void restart(void *ctx)
{
    struct recovery *r = ctx;

    if (r->reboot_at == 0)
        r->reboot_at = board_uptime_ms() + REBOOT_DELAY_MS;
}

int recovery_init(struct recovery *r, const struct boot_slots *slots, const struct boot_image_ops *image, int upload)
{
    static const struct dfu_config defaults = { DFU_CONFIG_DEFAULTS };
    struct dfu_config *cfg = &r->cfg;
    int rc;

    r->slots = slots;
    r->image = image;
    r->reboot_at = 0;
    r->usb_up = 0;
    rc = boot_download_offset(slots, &r->download_off);
    if (rc == DFB_OK)
        rc = boot_max_image_size(slots, &r->max_image);
    if (rc != DFB_OK)
        return rc;
    r->info = (struct usbd_device_info){
        .vid = 0x1209,
        .pid = 0x0002,
        .bcd_device = 0x0100,
        .manufacturer = "dfuboot",
        .product = "dfuboot recovery",
        .serial = "0123456789ABCDEF",
        .attributes = USB_CFG_SELF_POWERED,
        .max_power = 50,
    };
    *cfg = defaults;
    cfg->vid = r->info.vid;
    cfg->dfu_pid = r->info.pid;
    cfg->bcd_device = r->info.bcd_device;
    cfg->manufacturer = r->info.manufacturer;
    cfg->product = r->info.product;
    cfg->serial = r->info.serial;
    cfg->transfer_size = RECOVERY_TRANSFER_SIZE;
    cfg->buffers = r->buffers;
    cfg->buffer_count = RECOVERY_BUFFERS;
    cfg->enable_upload = (uint8_t)(upload != 0);
    cfg->permanent_download = 1;
    cfg->reboot = 1; /* not manifestation tolerant: the install is a reboot */
    cfg->start_in_dfu_mode = 1;
    cfg->slot0 = slots->primary;
    cfg->slot1 = slots->secondary;
    cfg->slot1_offset = r->download_off;
    cfg->slot1_limit = r->download_off + r->max_image;
    cfg->download_size = download_size;
    cfg->manifest = manifest;
    cfg->restart = restart;
    cfg->ctx = r;
    cfg->sys = board_sys();
    return dfu_init(&r->dfu, cfg, &r->usb);
}

static int usb_up(struct recovery *r)
{
    const struct usb_dc_ops *dc;

    if (r->usb_up)
        return DFB_OK;
    dc = board_usb_controller(&r->usb);
    if (dc == 0)
        return DFB_ENOTSUP;
    if (usbd_init(&r->usb, dc, dfu_mode_descriptors(&r->dfu)) != DFB_OK)
        return DFB_EIO;
    r->usb_up = 1;
    return DFB_OK;
}

/* One turn of the main loop: the class's flash work, then the board's wait
 * (controller events come in there). */
static void serve(struct recovery *r, uint32_t max_wait_ms)
{
    int busy = dfu_task(&r->dfu);
    uint32_t wait = busy ? 0 : r->reboot_at ? 20 : max_wait_ms;

    if (board_wait(wait) < 0)
        board_halt("USB controller failed");
    /* the reboot waits for the flash work to end */
    if (r->reboot_at != 0 && board_uptime_ms() >= r->reboot_at && dfu_task(&r->dfu) == 0)
        board_reboot();
}

int recovery_wait(struct recovery *r, uint32_t ms)
{
    uint32_t end;
    int rc = usb_up(r);

    if (rc != DFB_OK)
        return rc;
    LOG_INF("Waiting for USB DFU (%u ms)", (unsigned)ms);
    end = board_uptime_ms() + ms;
    for (uint32_t now = board_uptime_ms(); now < end; now = board_uptime_ms()) {
        serve(r, end - now < 100 ? end - now : 100);
        /* a transfer begun (or an error a host caused): recovery takes over */
        if (dfu_state(&r->dfu) != DFU_IDLE)
            return 1;
    }
    LOG_INF("USB DFU wait time elapsed");
    /* the application finds USB as after a reset (and the host sees this
     * device leave, not hang until the application's own device comes) */
    board_usb_disable();
    r->usb_up = 0;
    return 0;
}

void recovery_run(struct recovery *r, const char *why)
{
    LOG_INF("Entering USB DFU recovery: %s", why);
    if (usb_up(r) != DFB_OK)
        board_halt("no USB connection for recovery");
    LOG_INF("Waiting for USB DFU");
    for (;;)
        serve(r, 100);
}
