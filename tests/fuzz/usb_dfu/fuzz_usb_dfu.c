/* Fuzz target: USB control requests into the device core + DFU class, in
 * any state and any alternate setting, over a simulated NOR flash.
 *
 * Input: 2 configuration bytes, then operations until the input ends.
 *   byte 0: bit 0 enable_upload, 1 permanent_download, 2 reboot (not
 *           manifestation tolerant), 3 will_detach, 4 start_in_dfu_mode,
 *           5 manifest callback fails, 6 two block buffers,
 *           7 slot1_offset = 0x200
 *   byte 1: bits 0-2 wTransferSize (64, 256, 1024, 4096, 8, 100, 2048, 512),
 *           bits 3-4 OUT packet size (64, 8, 16, 4096), bit 5 slot1_limit
 *           = slot size - 4 KiB (the trailer sector must stay untouched)
 *   operations (first byte mod 8):
 *     0  raw SETUP: 8 bytes; for host-to-device with wLength > 0 a u16
 *        "cut": the host sends only that many data bytes, then goes away
 *        (a disconnect mid-transfer); then the data bytes; then the status
 *        stage
 *     1  a DFU class request: bRequest (mod 8), wValue, wLength (mod 4100),
 *        to the DFU interface, right direction, data from the input
 *   Data of a refused OUT request is skipped in the input all the same.
 *     2  SET_INTERFACE to the DFU interface, alt from the input
 *     3  bus reset
 *     4  the main loop: up to 4 x (u8) dfu_task() steps; time passes (u16 ms)
 *     5  a status stage no request asked for
 *     6  OUT data nobody asked for
 *     7  GETSTATUS, then time passes by bwPollTimeout (what dfu-util does)
 *
 * Properties checked after every operation:
 *   - no crash, no sanitizer report;
 *   - the DFU state is one of the eleven DFU 1.1 states, bStatus one of the
 *     sixteen codes; run-time mode only in appIDLE/appDETACH, DFU mode never
 *     in them;
 *   - every SETUP gets exactly one answer; IN data never exceeds wLength;
 *     an OUT buffer is exactly wLength;
 *   - the flash is never written or erased outside slot1, nor past
 *     slot1_limit (checked at every driver call and by comparing a snapshot
 *     of everything else);
 *   - with upload disabled, slot0 is never even read. */
#include <stdbool.h>
#include <string.h>

#include "common/errors.h"
#include "dfu/dfu.h"
#include "flash/flash_map.h"
#include "port/posix/irq_context.h"
#include "port/posix/sim_flash.h"
#include "tests/fuzz/support/fuzz_support.h"
#include "usb/usbd.h"

#define FLASH_SIZE 0x10000u
static const struct flash_sector_range sectors[] = { { 0x1000, 16 } };
static const struct flash_geometry geo = { .size = FLASH_SIZE, .write_block_size = 4, .erase_value = 0xff,
                                           .sectors = sectors, .sector_range_count = 1,
                                           .timing = &flash_timing_nrf52840 };
/* boot 0x0000-0x3fff, slot0 0x4000-0x7fff, slot1 0x8000-0xbfff, rest storage */
#define SLOT0_OFF 0x4000u
#define SLOT1_OFF 0x8000u
#define SLOT_SIZE 0x4000u

static struct sim_flash sf;
static uint8_t *baseline;
static uint32_t slot1_end; /* SLOT1_OFF + slot1_limit (or the slot's end) */
static struct flash_dev guard_dev;
static bool upload_enabled;

static int gd_read(void *ctx, uint32_t off, void *buf, uint32_t len)
{
    if (!upload_enabled && off < SLOT0_OFF + SLOT_SIZE && off + len > SLOT0_OFF)
        FUZZ_FAIL("upload disabled, yet slot0 was read at 0x%x (+0x%x)", off, len);
    return sf.dev.ops->read(ctx, off, buf, len);
}

static void in_slot1(const char *what, uint32_t off, uint32_t len)
{
    if (off < SLOT1_OFF || len > SLOT_SIZE || off - SLOT1_OFF > SLOT_SIZE - len)
        FUZZ_FAIL("%s outside slot1 at 0x%x (+0x%x)", what, off, len);
    if (off + len > slot1_end)
        FUZZ_FAIL("%s past slot1_limit at 0x%x (+0x%x), limit 0x%x", what, off, len, slot1_end);
}

static int gd_write(void *ctx, uint32_t off, const void *buf, uint32_t len)
{
    in_slot1("write", off, len);
    return sf.dev.ops->write(ctx, off, buf, len);
}

static int gd_erase(void *ctx, uint32_t off, uint32_t len)
{
    in_slot1("erase", off, len);
    return sf.dev.ops->erase(ctx, off, len);
}

static const struct flash_dev_ops gd_ops = { gd_read, gd_write, gd_erase, 0, 0 };

/* ---- controller ---------------------------------------------------------- */

struct host {
    struct usb_setup setup;
    bool in_request;
    unsigned answers;
    enum { A_NONE, A_SEND, A_RECEIVE, A_STATUS, A_STALL } answer;
    uint16_t in_len;
    uint8_t in[8];   /* first bytes of the last IN reply */
    uint16_t rx_len;
    uint16_t packet;
};
static struct host host;

static void answered(int kind)
{
    host.answer = kind;
    host.answers++;
}

static int dc_send(void *ctx, const void *data, uint16_t len)
{
    (void)ctx;
    if (!host.in_request)
        FUZZ_FAIL("ep0_send outside a control transfer");
    if (len > host.setup.wLength)
        FUZZ_FAIL("IN reply of %u bytes for wLength %u", len, host.setup.wLength);
    host.in_len = len;
    memcpy(host.in, data, len < sizeof(host.in) ? len : sizeof(host.in));
    /* touch every byte: ASan checks the whole reply is readable */
    volatile uint8_t sum = 0;
    for (uint16_t i = 0; i < len; i++)
        sum ^= ((const uint8_t *)data)[i];
    (void)sum;
    answered(A_SEND);
    return 0;
}

static int dc_receive(void *ctx, void *buf, uint16_t len)
{
    (void)ctx;
    if (len != host.setup.wLength || (host.setup.bmRequestType & 0x80) != 0)
        FUZZ_FAIL("ep0_receive of %u bytes for %s wLength %u", len,
                  host.setup.bmRequestType & 0x80 ? "IN" : "OUT", host.setup.wLength);
    memset(buf, 0, len); /* ASan: the buffer really holds wLength bytes */
    host.rx_len = len;
    answered(A_RECEIVE);
    return 0;
}

static int dc_status(void *ctx)
{
    (void)ctx;
    answered(A_STATUS);
    return 0;
}

static int dc_stall(void *ctx)
{
    (void)ctx;
    answered(A_STALL);
    return 0;
}

static int dc_nop_addr(void *ctx, uint8_t a)
{
    (void)ctx, (void)a;
    return 0;
}

static int dc_nop(void *ctx)
{
    (void)ctx;
    return 0;
}

static const struct usb_dc_ops dc_ops = { dc_send, dc_receive, dc_status, dc_stall, dc_nop_addr, dc_nop, dc_nop,
                                          0 };

/* ---- device -------------------------------------------------------------- */

static struct dfu dfu;
static struct usb_device dev;
static struct dfu_config cfg;
static struct flash_area slot0, slot1;
static struct sys_ops sys;
static uint32_t now_ms;
static int manifest_rc;
static struct usbd_interface app_itf;
static const struct usbd_interface *app_itfs[2];
static struct usbd_device_info app_info;

static uint32_t up(void *ctx)
{
    (void)ctx;
    return now_ms;
}

static int manifest(void *ctx, int permanent)
{
    (void)ctx, (void)permanent;
    return manifest_rc;
}

static void nop_reset(void *ctx)
{
    (void)ctx;
}

static void check_state(void)
{
    enum dfu_state s = dfu_state(&dfu);
    enum dfu_status st = dfu_status(&dfu);
    if ((unsigned)s > DFU_ERROR)
        FUZZ_FAIL("DFU state %u is not a DFU 1.1 state", (unsigned)s);
    if ((unsigned)st > DFU_ERR_STALLEDPKT)
        FUZZ_FAIL("bStatus %u is not a DFU 1.1 status", (unsigned)st);
    if (dfu.dfu_mode && s <= DFU_APP_DETACH)
        FUZZ_FAIL("DFU mode in run-time state %u", (unsigned)s);
    if (!dfu.dfu_mode && s > DFU_APP_DETACH)
        FUZZ_FAIL("run-time mode in DFU-mode state %u", (unsigned)s);
}

static uint16_t dfu_itf(void)
{
    return usbd_descriptors(&dev) == &app_info ? 1 : 0;
}

static uint8_t block_buffers[DFU_BUFFERS_MAX * DFU_TRANSFER_SIZE_MAX];

/* Controller events, delivered as interrupts would be: the simulated
 * flash aborts if the class programs flash inside one. */
static void event_status_done(void)
{
    irq_context_enter("status done");
    usbd_status_done(&dev);
    irq_context_exit();
}

static void event_bus_reset(void)
{
    irq_context_enter("bus reset");
    usbd_bus_reset(&dev);
    irq_context_exit();
}

/* One control transfer: SETUP, OUT data from the input (maybe cut short),
 * status stage. */
static void transfer(const struct usb_setup *s, struct fuzz_in *in, bool may_cut)
{
    host.setup = *s;
    host.in_request = true;
    host.answers = 0;
    host.answer = A_NONE;
    host.in_len = 0;
    irq_context_enter("setup");
    usbd_setup(&dev, s);
    irq_context_exit();
    if (host.answers != 1)
        FUZZ_FAIL("SETUP %02x %02x answered %u times", s->bmRequestType, s->bRequest, host.answers);
    check_state();
    uint16_t cut = 0xffff; /* bytes the host sends before it goes away */
    if (may_cut && !(s->bmRequestType & 0x80) && s->wLength)
        cut = fuzz_u16(in);
    if (host.answer != A_RECEIVE && !(s->bmRequestType & 0x80)) {
        /* refused: the data the host meant to send stays unsent (skipped
         * in the input, so that the operations after it keep their meaning) */
        for (uint32_t i = 0; i < s->wLength && i < cut; i++)
            fuzz_u8(in);
    }
    if (host.answer == A_RECEIVE) {
        uint16_t want = host.rx_len, done = 0;
        host.answers = 0;
        while (done < want && host.answer == A_RECEIVE && done < cut) {
            uint8_t pkt[4096];
            uint16_t n = (uint16_t)(want - done < host.packet ? want - done : host.packet);
            if (n > cut - done)
                n = (uint16_t)(cut - done);
            for (uint16_t i = 0; i < n; i++)
                pkt[i] = fuzz_u8(in);
            irq_context_enter("OUT data");
            usbd_ep0_out(&dev, pkt, n);
            irq_context_exit();
            done = (uint16_t)(done + n);
            check_state();
        }
        if (done < want && done < cut)
            FUZZ_FAIL("data stage stopped after %u of %u bytes", done, want);
        if (done < want) {
            host.in_request = false;
            return; /* host gone mid data stage */
        }
        if (host.answers != 1 || (host.answer != A_STATUS && host.answer != A_STALL))
            FUZZ_FAIL("OUT data stage answered %u times (last %d)", host.answers, host.answer);
    }
    if (host.answer != A_STALL)
        event_status_done();
    host.in_request = false;
    check_state();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint16_t xfer_sizes[8] = { 64, 256, 1024, 4096, 8, 100, 2048, 512 };
    static const uint16_t packets[4] = { 64, 8, 16, 4096 };
    struct fuzz_in in = { data, size };

    static int trace = -1;
    if (trace < 0)
        trace = getenv("FUZZ_TRACE") != NULL; /* FUZZ_TRACE=1: one line per operation */
    if (size < 2 || size > 64 * 1024)
        return 0;
    if (!baseline) {
        if (sim_flash_init_mem(&sf, &geo) != DFB_OK)
            abort();
        baseline = malloc(FLASH_SIZE);
        for (uint32_t i = 0; i < FLASH_SIZE; i++)
            baseline[i] = (uint8_t)(i * 131u + (i >> 8) * 7u + 1u);
        memset(baseline + SLOT1_OFF, 0xff, SLOT_SIZE); /* slot1 starts erased */
    }
    memcpy(sf.mem, baseline, FLASH_SIZE);
    sim_flash_power_on(&sf);
    guard_dev = sf.dev;
    guard_dev.ops = &gd_ops;
    FUZZ_ASSERT(flash_area_init(&slot0, &guard_dev, "slot0", SLOT0_OFF, SLOT_SIZE) == DFB_OK);
    FUZZ_ASSERT(flash_area_init(&slot1, &guard_dev, "slot1", SLOT1_OFF, SLOT_SIZE) == DFB_OK);

    uint8_t c0 = fuzz_u8(&in), c1 = fuzz_u8(&in);
    static const struct dfu_config defaults = { DFU_CONFIG_DEFAULTS };
    cfg = defaults;
    cfg.manufacturer = "dfuboot";
    cfg.product = "fuzz";
    cfg.serial = "0001";
    cfg.enable_upload = c0 & 1;
    cfg.permanent_download = (c0 >> 1) & 1;
    cfg.reboot = (c0 >> 2) & 1;
    cfg.will_detach = (c0 >> 3) & 1;
    cfg.start_in_dfu_mode = (c0 >> 4) & 1;
    manifest_rc = (c0 & 0x20) ? DFB_EIO : 0;
    cfg.buffer_count = (c0 & 0x40) ? 2 : 1;
    cfg.buffers = block_buffers;
    cfg.slot1_offset = (c0 & 0x80) ? 0x200 : 0;
    cfg.transfer_size = xfer_sizes[c1 & 7];
    cfg.slot1_limit = (c1 & 0x20) ? SLOT_SIZE - 0x1000 : 0; /* keep the trailer sector */
    slot1_end = SLOT1_OFF + (cfg.slot1_limit ? cfg.slot1_limit : SLOT_SIZE);
    host.packet = packets[(c1 >> 3) & 3];
    cfg.slot0 = &slot0;
    cfg.slot1 = &slot1;
    cfg.manifest = manifest;
    cfg.restart = 0; /* sys->reset */
    now_ms = 0;
    sys = (struct sys_ops){ .uptime_ms = up, .reset = nop_reset };
    cfg.sys = &sys;
    upload_enabled = cfg.enable_upload;

    FUZZ_ASSERT(dfu_init(&dfu, &cfg, &dev) == DFB_OK);
    app_itf = (struct usbd_interface){ 0xFF, 0, 0, 1, 0, 0, 0, 0, 0 };
    app_itfs[0] = &app_itf;
    app_itfs[1] = dfu_runtime_interface(&dfu);
    app_info = (struct usbd_device_info){ .vid = 0x1209, .pid = 1, .manufacturer = "dfuboot", .product = "fuzz",
                                          .max_power = 50, .num_interfaces = 2, .interfaces = app_itfs };
    FUZZ_ASSERT(usbd_init(&dev, &dc_ops, cfg.start_in_dfu_mode ? dfu_mode_descriptors(&dfu) : &app_info) == 0);
    event_bus_reset();
    check_state();

    while (in.n) {
        uint8_t op = fuzz_u8(&in) & 7;
        struct usb_setup s;
        switch (op) {
        case 0: {
            uint8_t raw[8];
            for (int i = 0; i < 8; i++)
                raw[i] = fuzz_u8(&in);
            usb_setup_parse(raw, &s);
            transfer(&s, &in, true);
            break;
        }
        case 1: {
            uint8_t req = fuzz_u8(&in) & 7;
            uint16_t value = fuzz_u16(&in);
            uint16_t len = fuzz_u16(&in) % 4100u;
            bool to_host = req == DFU_UPLOAD || req == DFU_GETSTATUS || req == DFU_GETSTATE;
            s = (struct usb_setup){ (uint8_t)(to_host ? 0xA1 : 0x21), req, value, dfu_itf(), len };
            transfer(&s, &in, false);
            break;
        }
        case 2:
            s = (struct usb_setup){ 0x01, USB_REQ_SET_INTERFACE, fuzz_u8(&in) & 3, dfu_itf(), 0 };
            transfer(&s, &in, false);
            break;
        case 3:
            event_bus_reset();
            check_state();
            break;
        case 4: {
            /* time passes; the main loop runs the class's task */
            uint8_t steps = fuzz_u8(&in);
            now_ms += fuzz_u16(&in);
            for (uint16_t i = 0; i < steps * 4u && dfu_task(&dfu); i++)
                check_state();
            break;
        }
        case 5:
            event_status_done();
            check_state();
            break;
        case 6: {
            uint8_t pkt[64];
            uint8_t n = fuzz_u8(&in) & 63;
            for (uint8_t i = 0; i < n; i++)
                pkt[i] = fuzz_u8(&in);
            irq_context_enter("OUT data");
            usbd_ep0_out(&dev, pkt, n);
            irq_context_exit();
            check_state();
            break;
        }
        default:
            s = (struct usb_setup){ 0xA1, DFU_GETSTATUS, 0, dfu_itf(), 6 };
            transfer(&s, &in, false);
            if (host.answer == A_SEND && host.in_len == 6)
                now_ms += (uint32_t)host.in[1] | ((uint32_t)host.in[2] << 8) | ((uint32_t)host.in[3] << 16);
            break;
        }
        if (trace)
            fprintf(stderr, "op %u -> state %u status %u alt %u answer %d in %u\n", op, dfu_state(&dfu),
                    dfu_status(&dfu), dfu.alt, host.answer, host.in_len);
    }

    /* nothing outside slot1 (up to its limit) changed */
    if (memcmp(sf.mem, baseline, SLOT1_OFF) != 0 ||
        memcmp(sf.mem + slot1_end, baseline + slot1_end, FLASH_SIZE - slot1_end))
        FUZZ_FAIL("flash outside slot1 changed");
    return 0;
}
