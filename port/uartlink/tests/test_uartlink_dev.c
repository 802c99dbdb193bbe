/* The device side of the UART link against a small stand-in core (the
 * usbd_* events below): the announcement at start, HELLO, IN and OUT data
 * stages (OUT in chunks), STALL, a request answered later, a resent request
 * answered from memory and not executed twice, NAK for a damaged frame,
 * re-enumeration announced before the status ACK, console text between
 * frames, and a transmitter that takes only a few bytes at a time. */
#include <string.h>

#include "port/uartlink/uartlink_dev.h"
#include "tests/support/check.h"

/* ---- stand-in core ------------------------------------------------------- */

struct usb_device {
    const struct usb_dc_ops *dc;
    struct usb_setup setup;
    uint8_t in[1024], out[1024];
    uint16_t out_have;
    int resets, setups, outs, dones, reenumerate;
};

void usbd_bus_reset(struct usb_device *dev)
{
    dev->resets++;
}

void usbd_setup(struct usb_device *dev, const struct usb_setup *s)
{
    dev->setups++;
    dev->setup = *s;
    dev->out_have = 0;
    switch (s->bRequest) {
    case 1: dev->dc->ep0_send(dev->dc->ctx, dev->in, s->wLength); break;
    case 2: dev->dc->ep0_receive(dev->dc->ctx, dev->out, s->wLength); break;
    case 3: dev->dc->ep0_stall(dev->dc->ctx); break;
    case 4: dev->dc->ep0_status(dev->dc->ctx); break;
    default: break; /* 5: answered later */
    }
}

void usbd_ep0_out(struct usb_device *dev, const void *data, uint16_t len)
{
    dev->outs++;
    memcpy(dev->out + dev->out_have, data, len);
    dev->out_have = (uint16_t)(dev->out_have + len);
    if (dev->out_have == dev->setup.wLength)
        dev->dc->ep0_status(dev->dc->ctx);
}

void usbd_status_done(struct usb_device *dev)
{
    dev->dones++;
    if (dev->reenumerate) {
        dev->dc->detach(dev->dc->ctx);
        dev->dc->attach(dev->dc->ctx);
    }
}

/* ---- the wire ------------------------------------------------------------- */

static uint8_t wire[65536];
static size_t wire_len;
static int write_limit; /* bytes the UART takes per call (0: all) */

static int uart_write(void *ctx, const uint8_t *buf, uint16_t len)
{
    (void)ctx;
    if (write_limit && len > write_limit)
        len = (uint16_t)write_limit;
    memcpy(wire + wire_len, buf, len);
    wire_len += len;
    return len;
}

static struct usb_device dev;
static struct uartlink_dev link;
static struct uartlink_dec hdec;
static uint8_t hbuf[4096];
static char console_text[256];
static size_t console_len;

struct frame {
    uint8_t type, seq;
    uint32_t len;
    uint8_t p[2048];
};

/* Decodes everything the device wrote since the last call. */
static int frames_out(struct frame *f, int max)
{
    int n = 0;

    for (size_t i = 0; i < wire_len; i++) {
        enum uartlink_event ev = uartlink_dec_byte(&hdec, wire[i]);

        if (ev == UARTLINK_EV_FRAME && n < max) {
            f[n].type = uartlink_frame_type(&hdec);
            f[n].seq = uartlink_frame_seq(&hdec);
            f[n].len = uartlink_frame_len(&hdec);
            memcpy(f[n].p, uartlink_frame_payload(&hdec), f[n].len);
            n++;
        } else if (ev == UARTLINK_EV_CONSOLE && console_len < sizeof(console_text) - 1) {
            console_text[console_len++] = (char)wire[i];
        } else if (ev == UARTLINK_EV_ERROR) {
            CHECK(!"damaged frame from the device");
        }
    }
    wire_len = 0;
    return n;
}

static void send_req(uint8_t type, uint8_t seq, const void *payload, uint32_t len)
{
    uint8_t w[4096];
    size_t n = uartlink_encode(w, sizeof(w), type, seq, payload, len);

    uartlink_dev_rx(&link, w, (uint16_t)n);
    while (uartlink_dev_tx(&link) > 0)
        ;
}

static void setup_bytes(uint8_t s[8], uint8_t type, uint8_t req, uint16_t len)
{
    memset(s, 0, 8);
    s[0] = type;
    s[1] = req;
    s[6] = (uint8_t)len;
    s[7] = (uint8_t)(len >> 8);
}

int main(void)
{
    static const struct uartlink_uart_ops uart = { .write = uart_write };
    static struct frame f[8];
    uint8_t s[8], data[600];
    int n;

    for (int i = 0; i < 1024; i++)
        dev.in[i] = (uint8_t)(i * 3 + 0xC0);
    uartlink_dec_init(&hdec, hbuf, sizeof(hbuf));
    uartlink_dev_init(&link, &dev, &uart);
    dev.dc = uartlink_dev_dc_ops(&link);

    /* before start: input ignored, nothing sent */
    send_req(UARTLINK_RESET, 1, NULL, 0);
    CHECK_EQ(dev.resets, 0);
    CHECK_EQ(frames_out(f, 8), 0);

    /* start: STATE with BOOT and ATTACHED, seq 0 */
    uartlink_dev_start(&link);
    uartlink_dev_tx(&link);
    n = frames_out(f, 8);
    REQUIRE(n == 1);
    CHECK_EQ(f[0].type, UARTLINK_STATE);
    CHECK_EQ(f[0].seq, 0);
    CHECK_EQ(f[0].len, UARTLINK_STATE_LEN);
    CHECK_EQ(f[0].p[0], UARTLINK_VERSION);
    CHECK_EQ(f[0].p[1], UARTLINK_STATE_ATTACHED | UARTLINK_STATE_BOOT);
    CHECK_EQ(f[0].p[3] | (f[0].p[4] << 8), UARTLINK_DEV_RX_MAX);

    /* HELLO: STATE with its seq, no BOOT any more */
    send_req(UARTLINK_HELLO, 9, NULL, 0);
    n = frames_out(f, 8);
    REQUIRE(n == 1);
    CHECK_EQ(f[0].type, UARTLINK_STATE);
    CHECK_EQ(f[0].seq, 9);
    CHECK_EQ(f[0].p[1], UARTLINK_STATE_ATTACHED);

    /* RESET */
    send_req(UARTLINK_RESET, 10, NULL, 0);
    CHECK_EQ(dev.resets, 1);
    n = frames_out(f, 8);
    REQUIRE(n == 1);
    CHECK_EQ(f[0].type, UARTLINK_ACK);
    CHECK_EQ(f[0].seq, 10);

    /* IN data stage of 300 bytes through a UART taking 3 bytes a call */
    write_limit = 3;
    setup_bytes(s, 0xC0, 1, 300);
    send_req(UARTLINK_SETUP, 11, s, 8);
    write_limit = 0;
    n = frames_out(f, 8);
    REQUIRE(n == 1);
    CHECK_EQ(f[0].type, UARTLINK_DATA_IN);
    CHECK_EQ(f[0].seq, 11);
    CHECK_EQ(f[0].len, 300);
    CHECK(memcmp(f[0].p, dev.in, 300) == 0);

    /* the same request again: the same answer, the core not asked twice */
    send_req(UARTLINK_SETUP, 11, s, 8);
    n = frames_out(f, 8);
    REQUIRE(n == 1);
    CHECK_EQ(f[0].type, UARTLINK_DATA_IN);
    CHECK_EQ(f[0].len, 300);
    CHECK_EQ(dev.setups, 1);
    CHECK_EQ(uartlink_dev_stats(&link)->replays, 1);

    /* STATUS_DONE */
    send_req(UARTLINK_STATUS_DONE, 12, NULL, 0);
    n = frames_out(f, 8);
    REQUIRE(n == 1);
    CHECK_EQ(f[0].type, UARTLINK_ACK);
    CHECK_EQ(dev.dones, 1);

    /* OUT data stage of 600 bytes in chunks of at most rx_max */
    for (int i = 0; i < 600; i++)
        data[i] = (uint8_t)(i ^ 0xDB);
    setup_bytes(s, 0x40, 2, 600);
    send_req(UARTLINK_SETUP, 13, s, 8);
    n = frames_out(f, 8);
    REQUIRE(n == 1);
    CHECK_EQ(f[0].type, UARTLINK_OUT_READY);
    send_req(UARTLINK_OUT, 14, data, 256);
    send_req(UARTLINK_OUT, 14, data, 256); /* a resend: not taken twice */
    n = frames_out(f, 8);
    REQUIRE(n == 2);
    CHECK_EQ(f[0].type, UARTLINK_ACK);
    CHECK_EQ(f[1].type, UARTLINK_ACK);
    send_req(UARTLINK_OUT, 15, data + 256, 256);
    send_req(UARTLINK_OUT, 16, data + 512, 88);
    n = frames_out(f, 8);
    REQUIRE(n == 2);
    CHECK_EQ(f[0].type, UARTLINK_ACK);
    CHECK_EQ(f[1].type, UARTLINK_STATUS);
    CHECK_EQ(f[1].seq, 16);
    CHECK_EQ(dev.out_have, 600);
    CHECK(memcmp(dev.out, data, 600) == 0);

    /* OUT with no data stage open: STALL; a refused request: STALL */
    send_req(UARTLINK_OUT, 17, data, 10);
    setup_bytes(s, 0x40, 3, 0);
    send_req(UARTLINK_SETUP, 18, s, 8);
    n = frames_out(f, 8);
    REQUIRE(n == 2);
    CHECK_EQ(f[0].type, UARTLINK_STALL);
    CHECK_EQ(f[1].type, UARTLINK_STALL);
    CHECK_EQ(f[1].seq, 18);

    /* a SETUP of the wrong size is refused without reaching the core */
    send_req(UARTLINK_SETUP, 19, s, 7);
    n = frames_out(f, 8);
    REQUIRE(n == 1);
    CHECK_EQ(f[0].type, UARTLINK_STALL);
    CHECK_EQ(dev.setups, 3);

    /* answered later: nothing now, nothing for a resend, then STATUS */
    setup_bytes(s, 0x40, 5, 0);
    send_req(UARTLINK_SETUP, 20, s, 8);
    send_req(UARTLINK_SETUP, 20, s, 8);
    CHECK_EQ(frames_out(f, 8), 0);
    CHECK_EQ(dev.setups, 4);
    CHECK_EQ(dev.dc->ep0_status(dev.dc->ctx), 0);
    CHECK(dev.dc->ep0_status(dev.dc->ctx) < 0); /* one answer per request */
    uartlink_dev_tx(&link);
    n = frames_out(f, 8);
    REQUIRE(n == 1);
    CHECK_EQ(f[0].type, UARTLINK_STATUS);
    CHECK_EQ(f[0].seq, 20);

    /* a damaged frame: NAK, and the next frame is fine */
    {
        uint8_t w[64];
        size_t wl;

        setup_bytes(s, 0xC0, 1, 4);
        wl = uartlink_encode(w, sizeof(w), UARTLINK_SETUP, 21, s, 8);
        w[4] ^= 0x10;
        uartlink_dev_rx(&link, w, (uint16_t)wl);
        n = frames_out(f, 8);
        REQUIRE(n == 1);
        CHECK_EQ(f[0].type, UARTLINK_NAK);
        CHECK_EQ(dev.setups, 4);
        send_req(UARTLINK_SETUP, 21, s, 8);
        n = frames_out(f, 8);
        REQUIRE(n == 1);
        CHECK_EQ(f[0].type, UARTLINK_DATA_IN);
        CHECK_EQ(f[0].len, 4);
        CHECK_EQ(uartlink_dev_stats(&link)->bad_frames, 1);
    }

    /* re-enumeration in the status stage: STATE (new generation) first */
    dev.reenumerate = 1;
    send_req(UARTLINK_STATUS_DONE, 22, NULL, 0);
    n = frames_out(f, 8);
    REQUIRE(n == 2);
    CHECK_EQ(f[0].type, UARTLINK_STATE);
    CHECK_EQ(f[0].p[1], UARTLINK_STATE_ATTACHED);
    CHECK_EQ(f[0].p[2], 2); /* detach + attach */
    CHECK_EQ(f[1].type, UARTLINK_ACK);
    CHECK_EQ(f[1].seq, 22);
    dev.reenumerate = 0;

    /* console text goes between frames, frame markers replaced */
    {
        const char text[] = "I: hello \xC0\n";

        CHECK_EQ(uartlink_dev_console(&link, text, (uint16_t)strlen(text)), strlen(text));
        setup_bytes(s, 0xC0, 1, 2);
        send_req(UARTLINK_SETUP, 23, s, 8);
        n = frames_out(f, 8);
        REQUIRE(n == 1);
        CHECK_EQ(f[0].type, UARTLINK_DATA_IN);
        CHECK(strcmp(console_text, "I: hello ?\n") == 0);
    }
    CHECK_DONE();
}
