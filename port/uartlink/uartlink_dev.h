/* The device side of the UART link: a USB device controller (struct
 * usb_dc_ops, usb/usb_dc.h) whose "bus" is a byte stream to a host-side
 * bridge (port/posix/usbip/usbip_uart_bridge.h) that speaks the frames of
 * port/uartlink/uartlink.h. Portable: no allocation, no OS calls; the
 * board supplies the UART as two non-blocking byte functions.
 *
 * What the board does (port/nrf5 on QEMU's microbit, a socket in tests):
 *   1. uartlink_dev_init(link, usb, &uart) and hand uartlink_dev_dc_ops()
 *      to usbd_init() (this is what board_usb_controller() returns);
 *   2. after usbd_init() has returned, uartlink_dev_start(): the link
 *      announces itself (a STATE frame) and from then on delivers events;
 *   3. moves bytes, in one of two ways (never both at once):
 *      - polled (board_wait): call uartlink_dev_poll() whenever the UART
 *        may have input or room for output. It reads with uart.read,
 *        delivers the events and writes with uart.write.
 *      - interrupt driven: from the UART interrupt handler, pass received
 *        bytes to uartlink_dev_rx() and, when the transmitter has room,
 *        call uartlink_dev_tx(). uart.read is then never called and may
 *        be NULL.
 *
 * Execution contract:
 *  - The usbd_* events (usb/usb_dc.h) are delivered from inside
 *    uartlink_dev_rx()/uartlink_dev_poll(), one at a time: that is the
 *    controller's interrupt context. The core's answers (the ops) are
 *    expected there too; an answer given later from the main thread is
 *    sent by the next uartlink_dev_poll()/uartlink_dev_tx() and is only
 *    safe when those run in the main thread as well (polled mode).
 *  - Nothing here blocks, waits or reads a clock. Flow control is by
 *    request and response: the bridge sends its next request only after
 *    the reply to the previous one, so the device needs one receive
 *    buffer of UARTLINK_DEV_RX_MAX payload bytes and no transmit buffer
 *    (a reply is streamed from the core's own buffer).
 *  - Console text (board_printf) must not be written to the UART while a
 *    frame is on its way out: send it through uartlink_dev_console(),
 *    which puts it between frames.
 *
 * Recovery: a damaged frame is answered with NAK (the bridge resends);
 * a resent request is recognised by its sequence number and answered
 * again from the remembered reply, never executed twice. A bridge that
 * goes away mid-transfer leaves at most a half-received frame (dropped at
 * the next START) and a transfer the core abandons at the next SETUP or
 * bus reset, as on a real bus. */
#ifndef DFUBOOT_PORT_UARTLINK_UARTLINK_DEV_H
#define DFUBOOT_PORT_UARTLINK_UARTLINK_DEV_H

#include <stdint.h>

#include "port/uartlink/uartlink.h"
#include "usb/usb_dc.h"

/* The largest OUT data chunk the device takes in one frame (its receive
 * buffer); announced to the bridge in STATE. */
#ifndef UARTLINK_DEV_RX_MAX
#define UARTLINK_DEV_RX_MAX 256
#endif
/* Console text waiting for a gap between frames. */
#ifndef UARTLINK_DEV_CONSOLE_SIZE
#define UARTLINK_DEV_CONSOLE_SIZE 128
#endif

struct uartlink_uart_ops {
    /* Never block. write: takes up to len bytes, returns how many (0 when
     * the transmitter is full). read: returns up to len received bytes (0
     * when none). Negative: the UART failed (reported by poll). */
    int (*write)(void *ctx, const uint8_t *buf, uint16_t len);
    int (*read)(void *ctx, uint8_t *buf, uint16_t len);
    void *ctx;
};

struct uartlink_dev_stats {
    uint32_t frames;      /* valid frames received */
    uint32_t bad_frames;  /* damaged frames dropped (each answered by NAK) */
    uint32_t replays;     /* resent requests answered from memory */
    uint32_t events;      /* usbd_* events delivered */
};

/* Private to uartlink_dev.c; sized here so the board can allocate it. */
struct uartlink_dev {
    struct usb_device *usb;
    struct usb_dc_ops ops;
    struct uartlink_uart_ops uart;
    struct uartlink_dec dec;
    struct uartlink_enc enc;
    uint8_t rx_buf[UARTLINK_DEV_RX_MAX + UARTLINK_OVERHEAD];
    uint8_t tx_buf[16];
    uint8_t tx_len, tx_off;
    /* the request being answered, and its reply (kept for replays) */
    uint8_t req_type, req_seq, have_req, awaiting;
    uint8_t reply_type, have_reply, reply_queued;
    const uint8_t *reply_data;
    uint16_t reply_len;
    uint16_t out_left;     /* OUT data stage bytes the core still wants */
    /* bus state told to the bridge */
    uint8_t started, attached, generation, boot, address;
    uint8_t state_queued, nak_queued;
    uint8_t console[UARTLINK_DEV_CONSOLE_SIZE];
    uint16_t console_head, console_tail;
    struct uartlink_dev_stats stats;
};

/* Binds the link to the device core `usb` and the UART. The device starts
 * attached (as the USB/IP controller does): a port that wants to appear
 * later calls the detach op before uartlink_dev_start(). */
void uartlink_dev_init(struct uartlink_dev *l, struct usb_device *usb, const struct uartlink_uart_ops *uart);
const struct usb_dc_ops *uartlink_dev_dc_ops(struct uartlink_dev *l);
/* Starts delivering events (call after usbd_init). Idempotent. */
void uartlink_dev_start(struct uartlink_dev *l);

/* Polled mode: moves what the UART has now. Returns 1 when something
 * happened (bytes moved, an event delivered), 0 when idle, or the UART's
 * negative error. Bytes received before uartlink_dev_start() are dropped. */
int uartlink_dev_poll(struct uartlink_dev *l);

/* Interrupt mode: received bytes in, then pending output out. */
void uartlink_dev_rx(struct uartlink_dev *l, const uint8_t *bytes, uint16_t len);
/* Writes pending output until the UART is full. Returns 1 while output
 * remains, 0 when all is out, or the UART's negative error. */
int uartlink_dev_tx(struct uartlink_dev *l);

/* Queues console text for the gaps between frames; returns how many bytes
 * were taken (the rest does not fit now: call again after a poll/tx). */
uint16_t uartlink_dev_console(struct uartlink_dev *l, const void *text, uint16_t len);

const struct uartlink_dev_stats *uartlink_dev_stats(const struct uartlink_dev *l);

#endif
