/* A 400 KiB DFU download under a USB 2.0 full-speed control-transfer model,
 * driving the real DFU class (dfu/) on the real USB core (usb/) with a
 * simulated nRF52840 flash.
 *
 * The host follows dfu-util's download loop (dfu_load.c): SET_INTERFACE,
 * GETSTATUS, then per block DNLOAD(wTransferSize bytes) followed by
 * GETSTATUS until the state is dfuDNLOAD-IDLE, sleeping bwPollTimeout after
 * every answer; at the end a zero-length DNLOAD and GETSTATUS until dfuIDLE
 * (manifestation-tolerant device) or dfuMANIFEST-WAIT-RESET, sleeping
 * bwPollTimeout and, after dfuMANIFEST(-SYNC), 1000 ms more (dfu-util's own
 * rule).
 *
 * USB model (the anchors' model): a control transfer costs a host latency
 * (1 ms or 0.125 ms) plus its bus time, max(bytes / 1500 B per ms,
 * packets / 19 per ms) with bytes = data + 45 + 13 per data packet after the
 * first, in 64-byte packets. Flash time is the simulated flash's own clock
 * (85 ms per 4 KiB erase, 41 us per 32-bit word).
 *
 * Device model (a part whose CPU stalls while its flash erases or
 * programs, as an nRF5 running from flash): the controller's events for a
 * request run when its bus time ends, but only between two flash
 * operations: the main loop runs dfu_task() steps (one flash operation
 * each) whenever it has work, and an event that becomes due during a step
 * waits for the step's end ("interrupt wait"). The class itself holds no
 * status stage: flash work inside an event aborts the program (the
 * simulated flash checks it), so no request carries flash work.
 *
 * The anchors' policies (fixed block size and fixed bwPollTimeout, work done
 * after the first GETSTATUS) are evaluated with the same USB model, as a
 * check that the model reproduces the anchors' published ranges.
 *
 *   bench_dfu_model [KIB [XFER [BUFFERS [EXTRA]]]]
 * KIB (default 400) KiB of data plus EXTRA bytes (default 0), shaped as a
 * signed image (a header and a TLV area the class's download_size hook
 * reads, as in the DFU sample); all transfer
 * sizes with 1 and 2 block buffers unless XFER/BUFFERS are given. Prints
 * one line per scenario (key=value pairs), then `result:` lines for the DFU
 * sample's configuration. With XFER only that transfer size runs, at 1 ms
 * latency, without the anchor policies (for callgrind
 * --toggle-collect='dev_*': device-side instructions). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "dfu/dfu.h"
#include "image/image.h"
#include "flash/flash_map.h"
#include "port/posix/sim_flash.h"
#include "usb/tests/fake_dc.h"

struct model {
    double lat_ms;
    double t;        /* host clock, ms */
    double dev_free; /* the device's CPU is in a flash step until then */
    double usb_ms, sleep_ms, wait_ms, max_wait_ms, manifest_extra_ms;
    unsigned transfers, dnloads, getstatus;
};

static double bus_ms(uint32_t len)
{
    uint32_t packets = (len + 63) / 64;
    double bytes = (double)len + 45.0 + 13.0 * (packets > 1 ? packets - 1 : 0);
    double by_rate = bytes / 1500.0, by_frame = packets / 19.0;

    return by_rate > by_frame ? by_rate : by_frame;
}

static void model_xfer(struct model *m, uint32_t len, double work_in_req_ms)
{
    double b = m->lat_ms + bus_ms(len);

    m->t += b + work_in_req_ms;
    m->usb_ms += b;
    m->transfers++;
}

static void model_sleep(struct model *m, double ms)
{
    m->t += ms;
    m->sleep_ms += ms;
}

/* ------------------------------------------------------------ real device */

/* The DFU sample's configuration (apps/dfu/main.c). */
#define SAMPLE_XFER 1024
#define SAMPLE_BUFFERS 2

struct dev {
    struct sim_flash sf;
    struct flash_area slot0, slot1;
    struct dfu_config cfg;
    struct dfu dfu;
    struct usb_device usb;
    struct fake_dc fk;
    struct usb_dc_ops ops;
    struct sys_ops sys;
    uint32_t now_ms;
    struct image_size_probe probe;
    uint8_t buffers[DFU_BUFFERS_MAX * DFU_TRANSFER_SIZE_MAX];
};

/* As the DFU sample: the image's size from its header and TLV info. */
static uint32_t dev_download_size(void *ctx, uint32_t offset, const uint8_t *data, uint32_t len)
{
    struct dev *d = ctx;

    if (offset == 0)
        image_size_probe_init(&d->probe);
    return image_size_probe_feed(&d->probe, data, len);
}

static uint32_t dev_uptime(void *ctx)
{
    return ((struct dev *)ctx)->now_ms;
}

static double sim_ms(const struct dev *d)
{
    return (double)d->sf.stats.sim_time_us / 1000.0;
}

/* The device-side entry points, separate so callgrind can count them
 * (--toggle-collect=dev_*). */
__attribute__((noinline)) int dev_out(struct dev *d, uint8_t bm, uint8_t req, uint16_t value, const void *data,
                                      uint16_t len);
__attribute__((noinline)) int dev_out(struct dev *d, uint8_t bm, uint8_t req, uint16_t value, const void *data,
                                      uint16_t len)
{
    return fake_out(&d->usb, &d->fk, bm, req, value, 0, data, len);
}

__attribute__((noinline)) int dev_in(struct dev *d, uint8_t req, uint16_t len);
__attribute__((noinline)) int dev_in(struct dev *d, uint8_t req, uint16_t len)
{
    return fake_in(&d->usb, &d->fk, 0xA1, req, 0, 0, len);
}

__attribute__((noinline)) int dev_task(struct dev *d);
__attribute__((noinline)) int dev_task(struct dev *d)
{
    return dfu_task(&d->dfu);
}

/* The device's main loop until `t` (host clock): task steps that start
 * before it; a step that starts earlier may end later. */
static void dev_run_until(struct dev *d, struct model *m, double t)
{
    while (m->dev_free < t) {
        double f0 = sim_ms(d);
        int more = dev_task(d);

        m->dev_free += sim_ms(d) - f0;
        if (!more && sim_ms(d) == f0)
            break;
    }
}

/* One host request: its events are due when its bus time ends, and run
 * once the CPU is out of its flash step. Returns the device's answer. */
static int request(struct dev *d, struct model *m, int in, uint8_t bm, uint8_t req, uint16_t value,
                   const void *data, uint16_t len, uint8_t st[6])
{
    double due, wait, f0;
    int rc;

    model_xfer(m, in ? 6 : len, 0);
    due = m->t;
    dev_run_until(d, m, due);
    wait = m->dev_free > due ? m->dev_free - due : 0;
    m->t += wait;
    m->wait_ms += wait;
    if (wait > m->max_wait_ms)
        m->max_wait_ms = wait;
    d->now_ms = (uint32_t)m->t;
    f0 = sim_ms(d);
    if (in) {
        rc = dev_in(d, req, 6);
        m->getstatus++;
        if (rc == 6)
            memcpy(st, d->fk.in, 6);
        rc = rc == 6 ? 0 : -1;
    } else {
        rc = dev_out(d, bm, req, value, data, len);
    }
    if (sim_ms(d) != f0)
        return -9; /* flash work inside an event: never (the flash aborts first) */
    if (m->dev_free < m->t)
        m->dev_free = m->t; /* the main loop goes on from here */
    return rc;
}

static unsigned poll_of(const uint8_t st[6])
{
    return (unsigned)st[1] | ((unsigned)st[2] << 8) | ((unsigned)st[3] << 16);
}

static int run_device(uint16_t xfer, uint8_t buffers, uint32_t total, double lat_ms, struct model *m,
                      struct sim_flash_stats *fs, uint32_t *worst_sector)
{
    static const struct dfu_config defaults = { DFU_CONFIG_DEFAULTS };
    const struct flash_layout *l = flash_layout_find("nrf52840dk");
    static struct dev d;
    uint8_t st[6] = { 0 }, *img;
    uint32_t off = 0;
    uint16_t block = 0;
    int rc = 0;

    memset(&d, 0, sizeof(d));
    memset(m, 0, sizeof(*m));
    m->lat_ms = lat_ms;
    if (l == 0 || sim_flash_init_mem(&d.sf, &l->geo) != DFB_OK ||
        flash_area_open(&d.sf.dev, l, FLASH_AREA_SLOT0, &d.slot0) != DFB_OK ||
        flash_area_open(&d.sf.dev, l, FLASH_AREA_SLOT1, &d.slot1) != DFB_OK)
        return -1;
    d.cfg = defaults;
    d.cfg.transfer_size = xfer;
    d.cfg.buffers = d.buffers;
    d.cfg.buffer_count = buffers;
    d.cfg.product = "DFU bench";
    d.cfg.slot0 = &d.slot0;
    d.cfg.slot1 = &d.slot1;
    d.cfg.start_in_dfu_mode = 1;
    d.cfg.download_size = dev_download_size;
    d.cfg.ctx = &d;
    d.sys.uptime_ms = dev_uptime;
    d.sys.ctx = &d;
    d.cfg.sys = &d.sys;
    fake_dc_init(&d.fk, &d.ops);
    if (dfu_init(&d.dfu, &d.cfg, &d.usb) != DFB_OK || usbd_init(&d.usb, &d.ops, dfu_mode_descriptors(&d.dfu)) != DFB_OK)
        return -1;
    fake_bus_reset(&d.usb);
    img = malloc(total);
    for (uint32_t i = 0; i < total; i++)
        img[i] = (uint8_t)(i * 2654435761u >> 24);
    if (total >= 0x400) {
        /* shaped as a signed image: header, body, a 0x150-byte TLV area */
        struct image_header h = { .magic = IMAGE_MAGIC, .hdr_size = 0x200, .img_size = total - 0x200 - 0x150 };

        image_header_encode(&h, img);
        img[total - 0x150] = (uint8_t)IMAGE_TLV_INFO_MAGIC;
        img[total - 0x150 + 1] = (uint8_t)(IMAGE_TLV_INFO_MAGIC >> 8);
        img[total - 0x150 + 2] = 0x50;
        img[total - 0x150 + 3] = 0x01;
    }
    sim_flash_reset_stats(&d.sf);

    /* dfu-util: select alt 1 (image_1 = slot1), check the state. */
    if (request(&d, m, 0, 0x01, USB_REQ_SET_INTERFACE, 1, 0, 0, st) != 0 ||
        request(&d, m, 1, 0xA1, DFU_GETSTATUS, 0, 0, 6, st) != 0 || st[4] != DFU_IDLE) {
        rc = -2;
        goto out;
    }
    for (;;) {
        uint16_t n = (uint16_t)(total - off < xfer ? total - off : xfer);

        if (request(&d, m, 0, 0x21, DFU_DNLOAD, block, img + off, n, st) != 0) {
            rc = -3;
            goto out;
        }
        m->dnloads++;
        block++;
        off += n;
        for (;;) {
            if (request(&d, m, 1, 0xA1, DFU_GETSTATUS, 0, 0, 6, st) != 0 || st[0] != DFU_OK) {
                rc = -4;
                goto out;
            }
            model_sleep(m, poll_of(st));
            if (n == 0 && (st[4] == DFU_IDLE || st[4] == DFU_MANIFEST_WAIT_RESET))
                break;
            if (n != 0 && st[4] == DFU_DNLOAD_IDLE)
                break;
            if (n == 0 && (st[4] == DFU_MANIFEST || st[4] == DFU_MANIFEST_SYNC)) {
                model_sleep(m, 1000); /* dfu-util's extra wait */
                m->manifest_extra_ms += 1000;
            }
        }
        if (n == 0)
            break;
    }
    dev_run_until(&d, m, m->t);
    *fs = d.sf.stats;
    *worst_sector = 0;
    for (uint32_t i = 0; i < d.sf.nsectors; i++)
        if (d.sf.sector_erases[i] > *worst_sector)
            *worst_sector = d.sf.sector_erases[i];
    /* The image must be in slot1. */
    if (memcmp(d.sf.mem + d.slot1.off, img, total) != 0)
        rc = -5;
out:
    free(img);
    sim_flash_close(&d.sf);
    return rc;
}

/* ------------------------------------------- the anchors' device policies */

/* Fixed block size and bwPollTimeout; the block's flash work (a page erase
 * when it starts a new 4 KiB page, then programming) starts after the first
 * GETSTATUS, which always answers dfuDNBUSY; later GETSTATUS answer dfuDNBUSY
 * until the work is done. */
static void run_fixed_policy(uint32_t block, uint32_t poll_ms, uint32_t total, double lat_ms, struct model *m)
{
    memset(m, 0, sizeof(*m));
    m->lat_ms = lat_ms;
    for (uint32_t off = 0; off < total; off += block) {
        uint32_t n = total - off < block ? total - off : block;
        double work = (n / 4) * 0.041 + ((off % 4096) == 0 || (off / 4096) != ((off + n - 1) / 4096) ? 85.0 : 0);
        double done;

        model_xfer(m, n, 0); /* DNLOAD */
        m->dnloads++;
        model_xfer(m, 6, 0); /* GETSTATUS: dfuDNBUSY, poll_ms */
        m->getstatus++;
        done = m->t + work;
        do {
            model_sleep(m, poll_ms);
            model_xfer(m, 6, 0); /* GETSTATUS */
            m->getstatus++;
        } while (m->t - bus_ms(6) < done); /* still busy when it was asked */
    }
    model_xfer(m, 0, 0);
    model_xfer(m, 6, 0);
}

int main(int argc, char **argv)
{
    uint32_t kib = argc > 1 ? (uint32_t)strtoul(argv[1], 0, 0) : 400;
    uint32_t only = argc > 2 ? (uint32_t)strtoul(argv[2], 0, 0) : 0;
    uint32_t only_bufs = argc > 3 ? (uint32_t)strtoul(argv[3], 0, 0) : 0;
    uint32_t extra = argc > 4 ? (uint32_t)strtoul(argv[4], 0, 0) : 0;
    uint32_t total = kib * 1024 + extra;
    /* erase every sector the data touches, program every word */
    double floor_ms = ((total + 4095) / 4096) * 85.0 + ((total + 3) / 4) * 0.041;
    static const uint16_t sizes[] = { 4096, 2048, 1024, 512, 128 };
    static const double lats[] = { 1.0, 0.125 };
    double sample_ratio = 0, sample_wait = 0;

    printf("floor kib=%u extra=%u ms=%.1f\n", kib, extra, floor_ms);
    for (unsigned s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        for (uint8_t bufs = 1; bufs <= 2; bufs++) {
            for (unsigned li = 0; li < (only ? 1u : 2u); li++) {
                struct model m;
                struct sim_flash_stats fs = { 0 };
                uint32_t worst = 0;
                int rc;

                if ((only != 0 && only != sizes[s]) || (only_bufs != 0 && only_bufs != bufs))
                    continue;
                rc = run_device(sizes[s], bufs, total, lats[li], &m, &fs, &worst);
                printf("device xfer=%u buffers=%u lat=%.3f rc=%d total_ms=%.1f usb_ms=%.1f sleep_ms=%.1f "
                       "wait_ms=%.1f max_wait_ms=%.1f manifest_extra_ms=%.0f flash_ms=%.1f transfers=%u "
                       "dnloads=%u getstatus=%u erases=%llu worst_sector_erases=%u bytes=%llu writes=%llu "
                       "ratio=%.4f\n",
                       sizes[s], bufs, lats[li], rc, m.t, m.usb_ms, m.sleep_ms, m.wait_ms, m.max_wait_ms,
                       m.manifest_extra_ms, fs.sim_time_us / 1000.0, m.transfers, m.dnloads, m.getstatus,
                       (unsigned long long)fs.erases, worst, (unsigned long long)fs.bytes_programmed,
                       (unsigned long long)fs.writes, m.t / floor_ms);
                if (rc != 0)
                    return 1;
                if (sizes[s] == SAMPLE_XFER && bufs == SAMPLE_BUFFERS && li == 0) {
                    sample_ratio = m.t / floor_ms;
                    sample_wait = m.max_wait_ms;
                }
            }
        }
    }
    for (unsigned p = 0; p < (only ? 0u : 2u); p++) {
        uint32_t block = p == 0 ? 128 : 512, poll = p == 0 ? 8 : 10;

        for (unsigned li = 0; li < 2; li++) {
            struct model m;

            run_fixed_policy(block, poll, total, lats[li], &m);
            printf("policy block=%u poll=%u lat=%.3f total_ms=%.1f usb_ms=%.1f sleep_ms=%.1f transfers=%u getstatus=%u\n",
                   block, poll, lats[li], m.t, m.usb_ms, m.sleep_ms, m.transfers, m.getstatus);
        }
    }
    if (!only && kib == 400 && extra == 0) {
        printf("result: download_model_ratio_1ms %.4f\n", sample_ratio);
        /* no request carries flash work (the class queues it); what a
         * request can wait for is the flash operation a CPU-stalling part
         * is in when it arrives */
        printf("result: download_model_max_status_hold_ms %.1f\n", 0.0);
        printf("result: download_model_max_irq_wait_ms %.1f\n", sample_wait);
    }
    return 0;
}
