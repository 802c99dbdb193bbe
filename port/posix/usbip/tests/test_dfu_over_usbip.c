/* End to end over a real TCP USB/IP connection on loopback, with the
 * project's own client (no dfu-util): the DFU sample's device (run-time
 * mode, USB core + DFU class + the bootloader's application-side API) on a
 * simulated nRF52840 DK flash. DETACH + port reset into DFU mode, a
 * download byte-checked in slot1 at the bootloader's download offset, the
 * trailer written at manifestation, an upload of slot0 byte-checked, and a
 * block-number error recovered with CLRSTATUS. */
#include <errno.h>
#include <pthread.h>
#include <unistd.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "boot/boot_trailer.h"
#include "common/errors.h"
#include "dfu/dfu.h"
#include "port/posix/sim_flash.h"
#include "port/posix/usbip/usbip_client.h"
#include "port/posix/usbip/usbip_server.h"
#include "tests/support/check.h"
#include "usb/usbd.h"

static uint8_t dfu_buffers[2 * DFU_TRANSFER_SIZE_MAX];

static struct {
    struct sim_flash sf;
    struct flash_area slot0, slot1;
    struct boot_slots slots;
    struct dfu_config cfg;
    struct dfu dfu;
    struct usb_device dev;
    struct usbd_device_info info;
    const struct usbd_interface *itfs[1];
    struct sys_ops sys;
    struct usbip_server *srv;
    pthread_t thread;
    pthread_mutex_t mu;
    atomic_int stop;
    int manifests;
} B;

static uint32_t uptime(void *ctx)
{
    struct timespec ts;

    (void)ctx;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)(ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static int manifest(void *ctx, int permanent)
{
    (void)ctx;
    B.manifests++;
    return boot_request_upgrade(&B.slots, permanent);
}

static void *board(void *arg)
{
    (void)arg;
    while (!atomic_load(&B.stop)) {
        pthread_mutex_lock(&B.mu);
        usbip_server_poll(B.srv, 5);
        while (dfu_task(&B.dfu))
            ;
        pthread_mutex_unlock(&B.mu);
        sched_yield();
    }
    return NULL;
}

static struct usbip_client C;

/* One control transfer; returns the data-stage length or a negative errno. */
static int ctl(uint8_t type, uint8_t req, uint16_t value, uint16_t index, uint16_t len, void *data)
{
    uint8_t setup[8];

    usbip_setup_bytes(setup, type, req, value, index, len);
    return usbip_client_control(&C, setup, data, 3000);
}

/* GETSTATUS until the device leaves dfuDNBUSY; returns bState, *status. */
static int getstatus(uint8_t *status)
{
    uint8_t st[6];

    for (int tries = 0; tries < 100; tries++) {
        if (ctl(0xA1, DFU_GETSTATUS, 0, 0, 6, st) != 6)
            return -1;
        *status = st[0];
        if (st[4] != DFU_DNBUSY && st[4] != DFU_MANIFEST)
            return st[4];
        /* as dfu-util: wait bwPollTimeout, ask again */
        usleep(1000u * (st[1] | (st[2] << 8) | ((unsigned)st[3] << 16)));
    }
    return -1;
}

int main(void)
{
    static const struct dfu_config defaults = { DFU_CONFIG_DEFAULTS };
    const struct flash_layout *l = flash_layout_find("nrf52840dk");
    struct usbip_server_config scfg = { .port = 0, .listen_fd = -1, .dev = &B.dev };
    struct usbip_dev_info devs[2], info;
    struct boot_swap_state st;
    static uint8_t img[20000], back[0x80000], block[4096];
    uint8_t desc[18], status = 0;
    uint32_t dl_off = 0, max_img = 0, up = 0;
    uint16_t blk = 0;
    int n;

    REQUIRE(l != NULL);
    REQUIRE(sim_flash_init_mem(&B.sf, &l->geo) == DFB_OK);
    REQUIRE(flash_area_open(&B.sf.dev, l, FLASH_AREA_SLOT0, &B.slot0) == DFB_OK);
    REQUIRE(flash_area_open(&B.sf.dev, l, FLASH_AREA_SLOT1, &B.slot1) == DFB_OK);
    B.slots.primary = &B.slot0;
    B.slots.secondary = &B.slot1;
    REQUIRE(boot_download_offset(&B.slots, &dl_off) == DFB_OK);
    REQUIRE(boot_max_image_size(&B.slots, &max_img) == DFB_OK);
    for (uint32_t i = 0; i < B.slot0.size; i += 4) {
        uint8_t w[4] = { (uint8_t)i, (uint8_t)(i >> 8), 0xA5, (uint8_t)(i >> 16) };

        REQUIRE(flash_area_write(&B.slot0, i, w, 4) == DFB_OK);
    }

    /* the DFU sample's device, in run-time mode */
    B.cfg = defaults;
    B.cfg.manufacturer = "dfuboot";
    B.cfg.product = "DFU sample";
    B.cfg.serial = "42";
    B.cfg.enable_upload = 1;
    B.cfg.slot0 = &B.slot0;
    B.cfg.slot1 = &B.slot1;
    B.cfg.slot1_offset = dl_off;
    B.cfg.slot1_limit = dl_off + max_img;
    B.cfg.manifest = manifest;
    B.sys.uptime_ms = uptime;
    B.cfg.sys = &B.sys;
    B.cfg.buffers = dfu_buffers;
    B.cfg.buffer_count = 2;
    REQUIRE(dfu_init(&B.dfu, &B.cfg, &B.dev) == DFB_OK);
    B.itfs[0] = dfu_runtime_interface(&B.dfu);
    B.info = (struct usbd_device_info){ .vid = 0x1209, .pid = 0x0001, .manufacturer = "dfuboot",
                                        .product = "DFU sample", .serial = "42", .max_power = 50,
                                        .num_interfaces = 1, .interfaces = B.itfs };
    REQUIRE(usbip_server_open(&B.srv, &scfg) == 0);
    REQUIRE(usbd_init(&B.dev, usbip_server_dc_ops(B.srv), &B.info) == DFB_OK);
    pthread_mutex_init(&B.mu, NULL);
    pthread_create(&B.thread, NULL, board, NULL);

    /* list and import */
    n = usbip_devlist("127.0.0.1", usbip_server_port(B.srv), devs, 2, 3000);
    CHECK_EQ(n, 1);
    CHECK_EQ(devs[0].idVendor, 0x1209);
    CHECK_EQ(devs[0].idProduct, 0x0001);
    CHECK_EQ(devs[0].intf[0][0], 0xFE);
    CHECK_EQ(devs[0].intf[0][2], 0x01);
    REQUIRE(usbip_client_connect(&C, "127.0.0.1", usbip_server_port(B.srv), 3000) == 0);
    REQUIRE(usbip_client_import(&C, "1-1", &info, 3000) == 0);

    /* run-time mode: DETACH, then a port reset enters DFU mode */
    CHECK_EQ(ctl(0x00, USB_REQ_SET_CONFIGURATION, 1, 0, 0, NULL), 0);
    CHECK_EQ(ctl(0x21, DFU_DETACH, 1000, 0, 0, NULL), 0);
    CHECK_EQ(ctl(0x23, USB_REQ_SET_FEATURE, 4 /* PORT_RESET */, 1, 0, NULL), 0);
    CHECK_EQ(ctl(0x80, USB_REQ_GET_DESCRIPTOR, USB_DESC_DEVICE << 8, 0, 18, desc), 18);
    CHECK_EQ(desc[10] | (desc[11] << 8), 0x0002); /* DFU-mode PID */
    CHECK_EQ(ctl(0x00, USB_REQ_SET_CONFIGURATION, 1, 0, 0, NULL), 0);
    CHECK_EQ(ctl(0x01, USB_REQ_SET_INTERFACE, 1, 0, 0, NULL), 0);
    CHECK_EQ(getstatus(&status), DFU_IDLE);

    /* download in 4 KiB blocks; a skipped block number is refused and
     * cleared with CLRSTATUS, the download then starts again */
    for (size_t i = 0; i < sizeof(img); i++)
        img[i] = (uint8_t)(i * 7 + (i >> 8));
    CHECK_EQ(ctl(0x21, DFU_DNLOAD, 0, 0, 4096, img), 4096);
    CHECK_EQ(getstatus(&status), DFU_DNLOAD_IDLE);
    memcpy(block, img + 4096, 4096);
    n = ctl(0x21, DFU_DNLOAD, 5, 0, 4096, block);
    CHECK(n == -EPIPE || (n == 4096 && getstatus(&status) == DFU_ERROR));
    CHECK_EQ(getstatus(&status), DFU_ERROR);
    CHECK_EQ(ctl(0x21, DFU_CLRSTATUS, 0, 0, 0, NULL), 0);
    CHECK_EQ(getstatus(&status), DFU_IDLE);
    for (uint32_t off = 0; off < sizeof(img); off += 4096, blk++) {
        uint16_t len = (uint16_t)(sizeof(img) - off < 4096 ? sizeof(img) - off : 4096);

        CHECK_EQ(ctl(0x21, DFU_DNLOAD, blk, 0, len, img + off), len);
        CHECK_EQ(getstatus(&status), DFU_DNLOAD_IDLE);
        CHECK_EQ(status, DFU_OK);
    }
    CHECK_EQ(B.manifests, 0);
    CHECK_EQ(ctl(0x21, DFU_DNLOAD, blk, 0, 0, NULL), 0);
    CHECK_EQ(getstatus(&status), DFU_IDLE); /* manifestation tolerant */
    CHECK_EQ(status, DFU_OK);
    CHECK_EQ(B.manifests, 1);

    /* the bytes, where the bootloader wants them, and the trailer */
    pthread_mutex_lock(&B.mu);
    CHECK_EQ(flash_area_read(&B.slot1, dl_off, back, sizeof(img)), DFB_OK);
    CHECK(memcmp(back, img, sizeof(img)) == 0);
    CHECK_EQ(flash_area_is_erased(&B.slot1, 0, dl_off), 1);
    CHECK_EQ(boot_read_swap_state(&B.slot1, 8, &st), DFB_OK);
    CHECK_EQ(st.magic, BOOT_MAGIC_GOOD);
    CHECK_EQ(st.swap_type, BOOT_SWAP_TYPE_TEST);
    CHECK_EQ(st.image_ok, BOOT_FLAG_UNSET);
    CHECK_EQ(boot_swap_type(&B.slots), BOOT_SWAP_TYPE_TEST);
    pthread_mutex_unlock(&B.mu);

    /* upload of slot0 (alt 0): the whole partition, then a short frame */
    CHECK_EQ(ctl(0x01, USB_REQ_SET_INTERFACE, 0, 0, 0, NULL), 0);
    for (uint16_t b = 0;; b++) {
        n = ctl(0xA1, DFU_UPLOAD, b, 0, 4096, back + up);
        REQUIRE(n >= 0 && up + (uint32_t)n <= sizeof(back));
        up += (uint32_t)n;
        if (n < 4096)
            break;
    }
    CHECK_EQ(up, B.slot0.size);
    pthread_mutex_lock(&B.mu);
    CHECK(memcmp(back, B.sf.mem + B.slot0.off, B.slot0.size) == 0);
    pthread_mutex_unlock(&B.mu);
    CHECK_EQ(getstatus(&status), DFU_IDLE);

    usbip_client_close(&C);
    atomic_store(&B.stop, 1);
    pthread_join(B.thread, NULL);
    usbip_server_close(B.srv);
    sim_flash_close(&B.sf);
    CHECK_DONE();
}
