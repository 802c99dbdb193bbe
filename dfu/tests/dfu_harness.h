/* Test harness for the DFU class: a device on the fake controller with a
 * simulated nRF52840 DK flash, plus host-side helpers for DFU requests. */
#ifndef DFUBOOT_DFU_TESTS_DFU_HARNESS_H
#define DFUBOOT_DFU_TESTS_DFU_HARNESS_H

#include <string.h>

#include "common/errors.h"
#include "dfu/dfu.h"
#include "flash/flash_map.h"
#include "port/posix/sim_flash.h"
#include "tests/support/check.h"
#include "usb/tests/fake_dc.h"

/* REQUIRE evaluates its condition twice: MUST runs a request once. */
#define MUST(cond)                                                                                                 \
    do {                                                                                                           \
        int must_ok_ = (cond);                                                                                     \
        REQUIRE(must_ok_);                                                                                         \
    } while (0)

struct harness {
    struct sim_flash sf;
    struct flash_area slot0, slot1;
    struct dfu_config cfg;
    struct dfu dfu;
    struct usb_device dev;
    struct fake_dc fk;
    struct usb_dc_ops ops;
    struct sys_ops sys;
    struct usbd_interface app_itf;
    const struct usbd_interface *app_itfs[2];
    struct usbd_device_info app_info;
    uint32_t now_ms;
    unsigned restarts, manifests, sys_resets;
    int last_permanent;
    int manifest_rc;
    uint8_t st[6]; /* last GETSTATUS reply */
    /* The application's main loop runs dfu_task() until the class is idle
     * before every host request (a host slower than the flash). Tests of
     * timing clear it and run the loop with h_main_loop(). */
    int auto_task;
};

static struct harness H;
static uint8_t h_buffers[DFU_BUFFERS_MAX * DFU_TRANSFER_SIZE_MAX];

/* The main loop until the class has nothing left to do. */
static inline void h_task_drain(void)
{
    for (unsigned i = 0; dfu_task(&H.dfu); i++)
        REQUIRE(i < 10000000u);
}

/* The main loop while the host sleeps `ms`: dfu_task() steps while the
 * simulated flash clock says the window is not over (a step that starts
 * inside it runs to its end). Returns the flash time used, in us. */
static inline uint64_t h_main_loop(uint32_t ms)
{
    uint64_t t0 = H.sf.stats.sim_time_us;

    while (H.sf.stats.sim_time_us - t0 < (uint64_t)ms * 1000 && dfu_task(&H.dfu))
        ;
    return H.sf.stats.sim_time_us - t0;
}

static inline void h_before_request(void)
{
    if (H.auto_task)
        h_task_drain();
}

static uint32_t h_uptime(void *ctx)
{
    return ((struct harness *)ctx)->now_ms;
}

static void h_sys_reset(void *ctx)
{
    ((struct harness *)ctx)->sys_resets++;
}

static void h_restart(void *ctx)
{
    ((struct harness *)ctx)->restarts++;
}

static int h_manifest(void *ctx, int permanent)
{
    struct harness *h = ctx;

    h->manifests++;
    h->last_permanent = permanent;
    return h->manifest_rc;
}

/* A configuration with every option at its default, slot0/slot1 of the
 * nRF52840 DK layout on a fresh simulated flash. */
static inline void h_config_layout(const char *layout)
{
    static const struct dfu_config defaults = { DFU_CONFIG_DEFAULTS };
    const struct flash_layout *l = flash_layout_find(layout);

    if (H.sf.mem != 0)
        sim_flash_close(&H.sf);
    memset(&H, 0, sizeof(H));
    REQUIRE(l != 0);
    REQUIRE(sim_flash_init_mem(&H.sf, &l->geo) == DFB_OK);
    REQUIRE(flash_area_open(&H.sf.dev, l, FLASH_AREA_SLOT0, &H.slot0) == DFB_OK);
    REQUIRE(flash_area_open(&H.sf.dev, l, FLASH_AREA_SLOT1, &H.slot1) == DFB_OK);
    H.cfg = defaults;
    H.cfg.manufacturer = "dfuboot";
    H.cfg.product = "DFU sample";
    H.cfg.serial = "0123456789ABCDEF";
    H.cfg.enable_upload = 1;
    H.cfg.slot0 = &H.slot0;
    H.cfg.slot1 = &H.slot1;
    H.cfg.manifest = h_manifest;
    H.cfg.restart = h_restart;
    H.cfg.ctx = &H;
    H.sys.uptime_ms = h_uptime;
    H.sys.reset = h_sys_reset;
    H.sys.ctx = &H;
    H.cfg.sys = &H.sys;
    H.cfg.buffers = h_buffers;
    H.auto_task = 1;
}

static void h_config(void)
{
    h_config_layout("nrf52840dk");
}

/* Starts the device after h_config() and any changes to H.cfg: run-time
 * mode (the application's configuration: a vendor interface and the DFU
 * run-time interface) unless start_in_dfu_mode. Bus reset + configured. */
static void h_start(void)
{
    const struct usbd_device_info *first;
    int rc;

    fake_dc_init(&H.fk, &H.ops);
    rc = dfu_init(&H.dfu, &H.cfg, &H.dev);
    REQUIRE(rc == DFB_OK);
    H.app_itf = (struct usbd_interface){ 0xFF, 0, 0, 1, 0, 0, 0, 0, 0 };
    H.app_itfs[0] = &H.app_itf;
    H.app_itfs[1] = dfu_runtime_interface(&H.dfu);
    H.app_info = (struct usbd_device_info){
        .vid = 0x1209, .pid = 0x0001, .bcd_device = 0x0100, .manufacturer = "dfuboot", .product = "DFU sample",
        .serial = "0123456789ABCDEF", .attributes = USB_CFG_SELF_POWERED, .max_power = 50, .num_interfaces = 2,
        .interfaces = H.app_itfs,
    };
    first = H.cfg.start_in_dfu_mode ? dfu_mode_descriptors(&H.dfu) : &H.app_info;
    rc = usbd_init(&H.dev, &H.ops, first);
    REQUIRE(rc == DFB_OK);
    fake_bus_reset(&H.dev);
    rc = fake_out(&H.dev, &H.fk, 0x00, USB_REQ_SET_CONFIGURATION, 1, 0, 0, 0);
    REQUIRE(rc == 0);
}

/* The DFU interface number in the active set. */
static uint16_t h_itf(void)
{
    return usbd_descriptors(&H.dev) == &H.app_info ? 1 : 0;
}

static int h_set_alt(uint8_t alt)
{
    h_before_request();
    return fake_out(&H.dev, &H.fk, 0x01, USB_REQ_SET_INTERFACE, alt, h_itf(), 0, 0);
}

static int h_getstatus(void)
{
    h_before_request();
    int n = fake_in(&H.dev, &H.fk, 0xA1, DFU_GETSTATUS, 0, h_itf(), 6);

    if (n == 6)
        memcpy(H.st, H.fk.in, 6);
    return n == 6 ? 0 : -1;
}

static inline uint32_t h_poll(void)
{
    return (uint32_t)H.st[1] | ((uint32_t)H.st[2] << 8) | ((uint32_t)H.st[3] << 16);
}

static inline int h_getstate(void)
{
    h_before_request();
    int n = fake_in(&H.dev, &H.fk, 0xA1, DFU_GETSTATE, 0, h_itf(), 1);

    return n == 1 ? H.fk.in[0] : -1;
}

static int h_dnload(uint16_t block, const void *data, uint16_t len)
{
    h_before_request();
    return fake_out(&H.dev, &H.fk, 0x21, DFU_DNLOAD, block, h_itf(), data, len);
}

static inline int h_upload(uint16_t block, uint16_t len)
{
    h_before_request();
    return fake_in(&H.dev, &H.fk, 0xA1, DFU_UPLOAD, block, h_itf(), len);
}

static int h_simple(uint8_t req, uint16_t value)
{
    h_before_request();
    return fake_out(&H.dev, &H.fk, 0x21, req, value, h_itf(), 0, 0);
}

#endif
