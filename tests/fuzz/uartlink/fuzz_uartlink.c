/* Fuzz target: the UART link's device side, with the real device core and
 * DFU class behind it (simulated flash), fed any byte stream in pieces of
 * any size: garbage, truncated and damaged frames, and well-formed frames
 * in any order (so the fuzzer gets past the CRC).
 *
 * Input: operations until the input ends (first byte mod 4):
 *   0  raw: n (byte) bytes of the input go to the link as they are
 *   1  frame: type (byte), seq (byte), n (byte, mod 64) payload bytes from
 *      the input, correctly encoded
 *   2  a SETUP frame: seq, 8 SETUP bytes from the input
 *   3  an OUT frame: seq, n (u16 mod 1024) payload bytes (patterned)
 * After each operation the UART transmitter takes a number of bytes given
 * by the next input byte (0: everything), as a slow UART would.
 *
 * Properties: no crash or sanitizer report; everything the device sends
 * decodes as valid frames of device-to-host types (never a damaged frame,
 * whatever came in), with STATE payloads of the right size; and at most
 * one reply per request frame. */
#include <string.h>

#include "common/errors.h"
#include "dfu/dfu.h"
#include "port/posix/irq_context.h"
#include "port/posix/sim_flash.h"
#include "port/uartlink/uartlink_dev.h"
#include "tests/fuzz/support/fuzz_support.h"
#include "usb/usbd.h"

static const struct flash_sector_range sectors[] = { { 0x1000, 16 } };
static const struct flash_geometry geo = { .size = 0x10000, .write_block_size = 4, .erase_value = 0xff,
                                           .sectors = sectors, .sector_range_count = 1 };
static struct sim_flash sf;
static struct flash_area slot0, slot1;
static struct dfu dfu;
static struct usb_device dev;
static struct dfu_config cfg;
static struct sys_ops sys;
static struct usbd_device_info info;
static const struct usbd_interface *itfs[1];
static struct uartlink_dev link_;
static struct uartlink_dec hdec;
static uint8_t hbuf[70000];
static int tx_budget; /* bytes the UART takes now; < 0: any */
static unsigned replies;
static uint8_t dfu_buffers[2 * 256];

static uint32_t uptime(void *ctx)
{
    (void)ctx;
    return 0;
}

static void check_out(const uint8_t *buf, uint16_t len)
{
    for (uint16_t i = 0; i < len; i++) {
        enum uartlink_event ev = uartlink_dec_byte(&hdec, buf[i]);

        FUZZ_ASSERT(ev != UARTLINK_EV_ERROR);
        FUZZ_ASSERT(ev != UARTLINK_EV_CONSOLE); /* nothing is printed here */
        if (ev == UARTLINK_EV_FRAME) {
            uint8_t t = uartlink_frame_type(&hdec);

            FUZZ_ASSERT(t >= UARTLINK_ACK && t <= UARTLINK_NAK);
            if (t == UARTLINK_STATE)
                FUZZ_ASSERT(uartlink_frame_len(&hdec) == UARTLINK_STATE_LEN);
            if (t != UARTLINK_NAK && !(t == UARTLINK_STATE && uartlink_frame_seq(&hdec) == 0))
                replies++;
        }
    }
}

static int uart_write(void *ctx, const uint8_t *buf, uint16_t len)
{
    (void)ctx;
    if (tx_budget >= 0 && len > tx_budget)
        len = (uint16_t)tx_budget;
    if (tx_budget >= 0)
        tx_budget -= len;
    check_out(buf, len);
    return len;
}

static void setup_device(void)
{
    static const struct dfu_config defaults = { DFU_CONFIG_DEFAULTS };
    static const struct uartlink_uart_ops uart = { .write = uart_write };
    static int flash_ready;

    if (!flash_ready) {
        if (sim_flash_init_mem(&sf, &geo) != DFB_OK ||
            flash_area_init(&slot0, &sf.dev, "slot0", 0x0000, 0x8000) != DFB_OK ||
            flash_area_init(&slot1, &sf.dev, "slot1", 0x8000, 0x8000) != DFB_OK)
            abort();
        flash_ready = 1;
    }
    cfg = defaults;
    cfg.enable_upload = 1;
    cfg.transfer_size = 256;
    cfg.buffers = dfu_buffers;
    cfg.buffer_count = 2;
    cfg.slot0 = &slot0;
    cfg.slot1 = &slot1;
    cfg.slot1_offset = 0x1000;
    sys.uptime_ms = uptime;
    cfg.sys = &sys;
    if (dfu_init(&dfu, &cfg, &dev) != DFB_OK)
        abort();
    itfs[0] = dfu_runtime_interface(&dfu);
    info = (struct usbd_device_info){ .vid = 0x1209, .pid = 1, .num_interfaces = 1, .interfaces = itfs };
    uartlink_dev_init(&link_, &dev, &uart);
    if (usbd_init(&dev, uartlink_dev_dc_ops(&link_), &info) != DFB_OK)
        abort();
    uartlink_dec_init(&hdec, hbuf, sizeof(hbuf));
    uartlink_dev_start(&link_);
}

static void feed(const uint8_t *bytes, size_t n)
{
    while (n > 0) {
        uint16_t k = (uint16_t)(n > 4096 ? 4096 : n);

        irq_context_enter("uartlink rx"); /* USB events: no flash work here */
        uartlink_dev_rx(&link_, bytes, k);
        irq_context_exit();
        bytes += k;
        n -= k;
    }
}

static void feed_frame(uint8_t type, uint8_t seq, const uint8_t *payload, uint32_t len)
{
    static uint8_t wire[2 * (1024 + UARTLINK_OVERHEAD) + 2];
    size_t n = uartlink_encode(wire, sizeof(wire), type, seq, payload, len);

    feed(wire, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t pat[1024];
    size_t i = 0;

    for (size_t k = 0; k < sizeof(pat); k++)
        pat[k] = (uint8_t)(k * 7 + 0xC0);
    replies = 0;
    tx_budget = -1;
    setup_device();
    while (i < size) {
        uint8_t op = data[i++] % 4;

        tx_budget = -1;
        if (op == 0 && i < size) {
            size_t n = data[i++];

            if (n > size - i)
                n = size - i;
            feed(data + i, n);
            i += n;
        } else if (op == 1 && i + 3 <= size) {
            uint8_t type = data[i], seq = data[i + 1];
            size_t n = data[i + 2] % 64;

            i += 3;
            if (n > size - i)
                n = size - i;
            feed_frame(type, seq, data + i, (uint32_t)n);
            i += n;
        } else if (op == 2 && i + 9 <= size) {
            feed_frame(UARTLINK_SETUP, data[i], data + i + 1, 8);
            i += 9;
        } else if (op == 3 && i + 3 <= size) {
            uint16_t n = (uint16_t)((data[i + 1] | (data[i + 2] << 8)) % 1024);

            feed_frame(UARTLINK_OUT, data[i], pat, n);
            i += 3;
        } else {
            break;
        }
        /* a slow UART: only some bytes go out now, the rest later */
        tx_budget = i < size ? data[i++] : 0;
        if (tx_budget == 0)
            tx_budget = -1;
        uartlink_dev_tx(&link_);
        tx_budget = -1;
        uartlink_dev_tx(&link_);
        dfu_task(&dfu); /* the main loop: one step of flash work */
        uartlink_dev_tx(&link_);
        /* a resend can be answered again from memory, so replies can exceed
         * distinct requests, but never the request frames that arrived plus
         * the ones hidden in raw bytes (counted by the link) */
        FUZZ_ASSERT(replies <= uartlink_dev_stats(&link_)->frames);
    }
    return 0;
}
