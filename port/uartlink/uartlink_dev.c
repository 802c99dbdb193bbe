/* The device side of the UART link: see uartlink_dev.h. */
#include "port/uartlink/uartlink_dev.h"

#include <string.h>

/* ---- replies ------------------------------------------------------------ */

/* Records the one reply to the current request. -1 when there is no
 * request waiting for an answer (a late or second answer). */
static int reply(struct uartlink_dev *l, uint8_t type, const void *data, uint16_t len)
{
    if (!l->have_req || !l->awaiting)
        return -1;
    l->awaiting = 0;
    l->reply_type = type;
    l->reply_data = data;
    l->reply_len = data != NULL ? len : 0;
    l->have_reply = 1;
    l->reply_queued = 1;
    return 0;
}

/* The reply to the current request is being sent right now (a resend that
 * crossed it needs no second copy). */
static int reply_on_its_way(const struct uartlink_dev *l)
{
    return uartlink_enc_busy(&l->enc) && l->enc.hdr[0] == l->reply_type && l->enc.hdr[1] == l->req_seq;
}

/* ---- controller ops (called by the core inside events) ------------------ */

static int dc_ep0_send(void *ctx, const void *data, uint16_t len)
{
    struct uartlink_dev *l = ctx;

    if (l->req_type != UARTLINK_SETUP)
        return -1;
    return reply(l, UARTLINK_DATA_IN, data, len);
}

static int dc_ep0_receive(void *ctx, void *buf, uint16_t len)
{
    struct uartlink_dev *l = ctx;

    (void)buf; /* usbd_ep0_out copies each chunk into it */
    if (l->req_type != UARTLINK_SETUP || len == 0 || reply(l, UARTLINK_OUT_READY, NULL, 0) < 0)
        return -1;
    l->out_left = len;
    return 0;
}

static int dc_ep0_status(void *ctx)
{
    struct uartlink_dev *l = ctx;

    return reply(l, UARTLINK_STATUS, NULL, 0);
}

static int dc_ep0_stall(void *ctx)
{
    struct uartlink_dev *l = ctx;

    l->out_left = 0;
    return reply(l, UARTLINK_STALL, NULL, 0);
}

static int dc_set_address(void *ctx, uint8_t addr)
{
    struct uartlink_dev *l = ctx;

    l->address = addr;
    return 0;
}

static int dc_detach(void *ctx)
{
    struct uartlink_dev *l = ctx;

    l->attached = 0;
    l->generation++;
    l->state_queued = 1;
    return 0;
}

static int dc_attach(void *ctx)
{
    struct uartlink_dev *l = ctx;

    l->attached = 1;
    l->generation++;
    l->state_queued = 1;
    return 0;
}

/* ---- requests ------------------------------------------------------------ */

static void begin_request(struct uartlink_dev *l, uint8_t type, uint8_t seq)
{
    l->req_type = type;
    l->req_seq = seq;
    l->have_req = 1;
    l->awaiting = 1;
    l->have_reply = 0;
    l->reply_queued = 0; /* a reply not yet on its way is stale now */
}

static void handle_frame(struct uartlink_dev *l)
{
    uint8_t type = uartlink_frame_type(&l->dec), seq = uartlink_frame_seq(&l->dec);
    const uint8_t *p = uartlink_frame_payload(&l->dec);
    uint32_t len = uartlink_frame_len(&l->dec);

    l->stats.frames++;
    if (type == UARTLINK_HELLO) {
        /* A (new) bridge introduces itself: no request is a resend of one
         * it never sent. */
        begin_request(l, type, seq);
        reply(l, UARTLINK_STATE, NULL, 0);
        return;
    }
    if (type != UARTLINK_RESET && type != UARTLINK_SETUP && type != UARTLINK_OUT && type != UARTLINK_STATUS_DONE)
        return; /* not a request: ignored */
    if (l->have_req && type == l->req_type && seq == l->req_seq) {
        /* The bridge resends: answer again from memory, or not at all
         * while the core has not answered yet. */
        if (l->have_reply && !reply_on_its_way(l)) {
            l->stats.replays++;
            l->reply_queued = 1;
        }
        return;
    }
    begin_request(l, type, seq);
    l->stats.events++;
    switch (type) {
    case UARTLINK_RESET:
        l->out_left = 0;
        usbd_bus_reset(l->usb);
        reply(l, UARTLINK_ACK, NULL, 0);
        break;
    case UARTLINK_SETUP: {
        struct usb_setup s;

        l->out_left = 0;
        if (len != 8) {
            reply(l, UARTLINK_STALL, NULL, 0);
            break;
        }
        usb_setup_parse(p, &s);
        usbd_setup(l->usb, &s);
        break;
    }
    case UARTLINK_OUT: {
        uint16_t n = (uint16_t)(len < l->out_left ? len : l->out_left);

        if (n == 0) {
            /* no data stage open (or an empty chunk): refuse */
            l->out_left = 0;
            reply(l, UARTLINK_STALL, NULL, 0);
            break;
        }
        l->out_left = (uint16_t)(l->out_left - n);
        usbd_ep0_out(l->usb, p, n);
        if (l->out_left > 0)
            reply(l, UARTLINK_ACK, NULL, 0); /* more, please (if not answered) */
        break;
    }
    case UARTLINK_STATUS_DONE:
        usbd_status_done(l->usb);
        reply(l, UARTLINK_ACK, NULL, 0);
        break;
    }
}

/* ---- transmitter ---------------------------------------------------------- */

static void state_payload(const struct uartlink_dev *l, uint8_t out[UARTLINK_STATE_LEN])
{
    out[0] = UARTLINK_VERSION;
    out[1] = (uint8_t)((l->attached ? UARTLINK_STATE_ATTACHED : 0) | (l->boot ? UARTLINK_STATE_BOOT : 0));
    out[2] = l->generation;
    out[3] = (uint8_t)(UARTLINK_DEV_RX_MAX & 0xFF);
    out[4] = (uint8_t)(UARTLINK_DEV_RX_MAX >> 8);
    out[5] = l->address;
}

/* Starts the next frame, in order of urgency: NAK, a state change, the
 * reply. Returns 0 when there is none. */
static int next_frame(struct uartlink_dev *l)
{
    uint8_t st[UARTLINK_STATE_LEN];

    if (l->nak_queued) {
        l->nak_queued = 0;
        uartlink_enc_start(&l->enc, UARTLINK_NAK, 0, NULL, 0, NULL, 0);
    } else if (l->state_queued) {
        l->state_queued = 0;
        state_payload(l, st);
        l->boot = 0;
        uartlink_enc_start(&l->enc, UARTLINK_STATE, 0, st, sizeof(st), NULL, 0);
    } else if (l->reply_queued) {
        l->reply_queued = 0;
        if (l->reply_type == UARTLINK_STATE) {
            state_payload(l, st);
            l->boot = 0;
            uartlink_enc_start(&l->enc, UARTLINK_STATE, l->req_seq, st, sizeof(st), NULL, 0);
        } else {
            uartlink_enc_start(&l->enc, l->reply_type, l->req_seq, NULL, 0, l->reply_data, l->reply_len);
        }
    } else {
        return 0;
    }
    return 1;
}

/* Fills tx_buf from the frame in flight, or else from the console. */
static int refill(struct uartlink_dev *l)
{
    size_t n;

    l->tx_off = 0;
    l->tx_len = 0;
    if (!uartlink_enc_busy(&l->enc) && !next_frame(l)) {
        while (l->console_tail != l->console_head && l->tx_len < sizeof(l->tx_buf)) {
            l->tx_buf[l->tx_len++] = l->console[l->console_tail];
            l->console_tail = (uint16_t)((l->console_tail + 1) % UARTLINK_DEV_CONSOLE_SIZE);
        }
        return l->tx_len > 0;
    }
    n = uartlink_enc_next(&l->enc, l->tx_buf, sizeof(l->tx_buf));
    l->tx_len = (uint8_t)n;
    return n > 0;
}

int uartlink_dev_tx(struct uartlink_dev *l)
{
    for (;;) {
        if (l->tx_off == l->tx_len && !refill(l))
            return 0;
        while (l->tx_off < l->tx_len) {
            int n = l->uart.write(l->uart.ctx, l->tx_buf + l->tx_off, (uint16_t)(l->tx_len - l->tx_off));

            if (n < 0)
                return n;
            if (n == 0)
                return 1;
            l->tx_off = (uint8_t)(l->tx_off + n);
        }
    }
}

/* ---- receiver ------------------------------------------------------------- */

static void rx_bytes(struct uartlink_dev *l, const uint8_t *bytes, uint16_t len)
{
    if (!l->started)
        return;
    for (uint16_t i = 0; i < len; i++) {
        enum uartlink_event ev = uartlink_dec_byte(&l->dec, bytes[i]);

        if (ev == UARTLINK_EV_FRAME) {
            handle_frame(l);
        } else if (ev == UARTLINK_EV_ERROR) {
            l->stats.bad_frames++;
            l->nak_queued = 1;
        }
        /* console bytes from the host side (there should be none) and
         * stray bytes between frames are ignored */
    }
}

void uartlink_dev_rx(struct uartlink_dev *l, const uint8_t *bytes, uint16_t len)
{
    rx_bytes(l, bytes, len);
    uartlink_dev_tx(l);
}

int uartlink_dev_poll(struct uartlink_dev *l)
{
    uint8_t buf[32];
    int moved = 0, n, rc;

    uartlink_dev_start(l);
    /* bounded: a host that keeps sending cannot keep the caller here */
    for (int rounds = 0; rounds < 16; rounds++) {
        n = l->uart.read(l->uart.ctx, buf, sizeof(buf));
        if (n < 0)
            return n;
        if (n == 0)
            break;
        moved = 1;
        rx_bytes(l, buf, (uint16_t)n);
        rc = uartlink_dev_tx(l);
        if (rc < 0)
            return rc;
    }
    rc = uartlink_dev_tx(l);
    if (rc < 0)
        return rc;
    return moved || rc > 0;
}

/* ---- set-up --------------------------------------------------------------- */

void uartlink_dev_init(struct uartlink_dev *l, struct usb_device *usb, const struct uartlink_uart_ops *uart)
{
    memset(l, 0, sizeof(*l));
    l->usb = usb;
    l->uart = *uart;
    l->attached = 1;
    l->boot = 1;
    uartlink_dec_init(&l->dec, l->rx_buf, sizeof(l->rx_buf));
    l->ops = (struct usb_dc_ops){
        .ep0_send = dc_ep0_send,
        .ep0_receive = dc_ep0_receive,
        .ep0_status = dc_ep0_status,
        .ep0_stall = dc_ep0_stall,
        .set_address = dc_set_address,
        .detach = dc_detach,
        .attach = dc_attach,
        .ctx = l,
    };
}

const struct usb_dc_ops *uartlink_dev_dc_ops(struct uartlink_dev *l)
{
    return &l->ops;
}

void uartlink_dev_start(struct uartlink_dev *l)
{
    if (l->started)
        return;
    l->started = 1;
    l->state_queued = 1; /* with the BOOT flag: the bridge learns we (re)started */
}

uint16_t uartlink_dev_console(struct uartlink_dev *l, const void *text, uint16_t len)
{
    const uint8_t *p = text;
    uint16_t n = 0;

    while (n < len) {
        uint16_t next = (uint16_t)((l->console_head + 1) % UARTLINK_DEV_CONSOLE_SIZE);

        if (next == l->console_tail)
            break;
        /* the two frame markers never go out as text (they are not UTF-8) */
        l->console[l->console_head] = (p[n] == UARTLINK_START || p[n] == UARTLINK_END) ? (uint8_t)'?' : p[n];
        n++;
        l->console_head = next;
    }
    return n;
}

const struct uartlink_dev_stats *uartlink_dev_stats(const struct uartlink_dev *l)
{
    return &l->stats;
}
