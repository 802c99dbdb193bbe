/* dfu: the sample application of the story. It exposes the USB DFU class
 * (upload enabled): alt 0 backs up slot0, alt 1 downloads an update into
 * slot1 and requests the upgrade from the bootloader. Built twice: plainly
 * (test upgrade, manifestation tolerant) and with the permanent-download
 * overlay (CONFIG_USB_DFU_PERMANENT_DOWNLOAD + CONFIG_USB_DFU_REBOOT).
 *
 * Its main loop is the one usb/usb_dc.h asks for: controller events come
 * in through board_wait() (interrupts on a microcontroller) and only queue
 * work; dfu_task() does the flash work between them. */
#include "boot/boot_preerase.h"
#include "boot/boot_trailer.h"
#include "common/errors.h"
#include "dfu/dfu.h"
#include "image/image.h"
#include "port/board.h"
#include "usb/usbd.h"

#ifndef CONFIG_USB_DFU_PERMANENT_DOWNLOAD
#define CONFIG_USB_DFU_PERMANENT_DOWNLOAD 0
#endif
#ifndef CONFIG_USB_DFU_REBOOT
#define CONFIG_USB_DFU_REBOOT 0
#endif

/* wTransferSize: two 1 KiB block buffers keep the flash busy while the
 * next block crosses USB (docs/performance.md has the figures), in less
 * RAM than one 4 KiB buffer. */
#define TRANSFER_SIZE 1024
#define BLOCK_BUFFERS 2

/* Like Zephyr's CONFIG_USB_DFU_REBOOT: the reboot waits a little after
 * the class asks for it, so the host's closing GETSTATUS and its USB reset
 * still reach this device (dfu-util then sees the same device and exits 0). */
#define REBOOT_DELAY_MS 500

struct app {
    uint32_t reboot_at; /* uptime of a scheduled reboot; 0 = none */
    struct flash_area slot0, slot1;
    struct boot_slots slots;
    struct usb_device usb;
    struct dfu dfu;
    struct dfu_config cfg;
    struct image_size_probe probe;
    struct boot_preerase preerase; /* zero: not started since power-up */
    int preerased;                 /* slot1 erased, told to the class */
    uint8_t buffers[BLOCK_BUFFERS * TRANSFER_SIZE];
};

static struct app app;

/* Manifestation (from dfu_task): the download is complete; mark it for
 * the bootloader. */
static int manifest(void *ctx, int permanent)
{
    struct app *a = ctx;

    return boot_request_upgrade(&a->slots, permanent);
}

/* The main loop's background work on slot1: once the running image is
 * confirmed (or after a revert), erase the unneeded image in slot1, one
 * sector per call, so the next download only programs. Returns 1 while
 * there is more to do. */
static int preerase_step(struct app *a)
{
    int rc;

    if (!dfu_download_idle(&a->dfu)) {
        /* a download writes slot1: start over once it has ended */
        a->preerased = 0;
        a->preerase = (struct boot_preerase){ 0 };
        return 0;
    }
    if (a->preerased)
        return 0;
    rc = boot_preerase_step(&a->slots, &a->preerase);
    if (rc == 0) {
        a->preerased = 1;
        dfu_slot1_erased(&a->dfu);
    }
    return rc == 1;
}

/* From a controller event, per block: the image's size, from its header
 * and TLV info as they go by (RAM work only). */
static uint32_t download_size(void *ctx, uint32_t offset, const uint8_t *data, uint32_t len)
{
    struct app *a = ctx;

    if (offset == 0)
        image_size_probe_init(&a->probe);
    return image_size_probe_feed(&a->probe, data, len);
}

/* From a controller event: only schedule the reboot. */
static void restart(void *ctx)
{
    struct app *a = ctx;

    if (a->reboot_at == 0)
        a->reboot_at = board_uptime_ms() + REBOOT_DELAY_MS;
}

int main(void)
{
    struct app *a = &app;
    static const struct dfu_config defaults = { DFU_CONFIG_DEFAULTS };
    struct dfu_config *cfg = &a->cfg;
    const struct usbd_interface *itfs[1];
    struct usbd_device_info info = {
        .vid = 0x1209,
        .pid = 0x0001,
        .bcd_device = 0x0100,
        .manufacturer = "dfuboot",
        .product = "dfuboot DFU sample",
        .serial = "0123456789ABCDEF",
        .attributes = USB_CFG_SELF_POWERED,
        .max_power = 50,
        .num_interfaces = 1,
        .interfaces = itfs,
    };
    const struct usb_dc_ops *dc;
    uint32_t download_off, max_image;
    int rc;

    board_init();
    if (flash_area_open(board_flash(), board_layout(), FLASH_AREA_SLOT0, &a->slot0) != DFB_OK ||
        flash_area_open(board_flash(), board_layout(), FLASH_AREA_SLOT1, &a->slot1) != DFB_OK)
        board_halt("no slot0/slot1 partitions");
    a->slots.primary = &a->slot0;
    a->slots.secondary = &a->slot1;
    rc = boot_download_offset(&a->slots, &download_off);
    if (rc == DFB_OK)
        rc = boot_max_image_size(&a->slots, &max_image);
    if (rc != DFB_OK)
        board_halt("the slots cannot be swapped");

    *cfg = defaults;
    cfg->manufacturer = info.manufacturer;
    cfg->product = info.product;
    cfg->serial = info.serial;
    cfg->bcd_device = info.bcd_device;
    cfg->transfer_size = TRANSFER_SIZE;
    cfg->buffers = a->buffers;
    cfg->buffer_count = BLOCK_BUFFERS;
    cfg->enable_upload = 1;
    cfg->permanent_download = CONFIG_USB_DFU_PERMANENT_DOWNLOAD;
    cfg->reboot = CONFIG_USB_DFU_REBOOT;
    cfg->slot0 = &a->slot0;
    cfg->slot1 = &a->slot1;
    cfg->slot1_offset = download_off;
    cfg->slot1_limit = download_off + max_image;
    cfg->download_size = download_size;
    cfg->manifest = manifest;
    cfg->restart = restart;
    cfg->ctx = a;
    cfg->sys = board_sys();
    if (dfu_init(&a->dfu, cfg, &a->usb) != DFB_OK)
        board_halt("DFU class configuration refused");
    itfs[0] = dfu_runtime_interface(&a->dfu);

    dc = board_usb_controller(&a->usb);
    if (dc == 0) {
        board_log("main", "No USB connection on this board.");
        return 0;
    }
    if (usbd_init(&a->usb, dc, &info) != DFB_OK)
        board_halt("cannot enable USB");
    board_log("main", "This device supports USB DFU class.");
    for (;;) {
        int busy = dfu_task(&a->dfu);

        if (!busy && a->reboot_at == 0)
            busy = preerase_step(a);

        if (board_wait(busy ? 0 : a->reboot_at ? 20 : 100) < 0)
            board_halt("USB controller failed");
        /* a reboot waits for the flash work to end */
        if (a->reboot_at != 0 && board_uptime_ms() >= a->reboot_at && dfu_task(&a->dfu) == 0)
            board_reboot();
    }
}
