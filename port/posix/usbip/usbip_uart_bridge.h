/* USB/IP for a device at the other end of a byte stream: the firmware's USB
 * core runs elsewhere (QEMU's emulated microcontroller, a test process) and
 * talks the UART link protocol (port/uartlink/uartlink.h,
 * docs/uart-link.md) over a socket; this bridge exports it with the USB/IP
 * server of usbip_server.h, so dfu-util (through the libusb shim) or Linux's
 * vhci-hcd use it like the virtual board's local device.
 *
 * How: the server drives "the device core" through the usbd_* events of
 * usb/usb_dc.h. This file implements those events (so a program links it
 * instead of the real core, never together with it): each one becomes a
 * request frame on the stream, and the device's reply frame becomes the
 * answer through the server's controller ops. A request waits for its
 * reply (the protocol's flow control: one request in flight); meanwhile
 * console text arriving from the device is passed on.
 *
 * Timing: correctness depends on no clock. A request still unanswered
 * when the device has sent nothing for retry_ms is sent again (the device recognises a resend by its
 * sequence number and answers again without executing it twice), which
 * only restores progress after frames were lost. A device that stays
 * silent for give_up_ms (0: never) with a request outstanding is taken as
 * gone. A stream that closes means the device is gone: the transfer in
 * progress fails (-EPIPE to the USB/IP client), the device is detached
 * and comes back when a new stream is given and the device says so.
 *
 * Device presence follows the device's STATE frames: not importable until
 * the device says it is attached; a new generation (a detach/attach of the
 * device, or its restart) drops the imported connection, as unplugging a
 * cable would, and the host enumerates it again. */
#ifndef DFUBOOT_PORT_POSIX_USBIP_UART_BRIDGE_H
#define DFUBOOT_PORT_POSIX_USBIP_UART_BRIDGE_H

#include <stddef.h>
#include <stdint.h>

#include "port/posix/usbip/usbip_server.h"

struct usbip_uart_bridge;

struct usbip_uart_bridge_config {
    int uart_fd;            /* connected byte stream to the device; < 0: none yet
                               (see usbip_uart_bridge_set_uart); the bridge owns it */
    const char *host;       /* USB/IP bind address; NULL = "127.0.0.1" */
    int port;               /* < 0: 3240; 0: any free port */
    int listen_fd;          /* >= 0: an existing listening socket */
    const char *busid;      /* NULL = "1-1" */
    /* Text the device prints between frames; NULL: written to stdout. */
    void (*console)(void *ctx, const uint8_t *text, size_t len);
    void *console_ctx;
    unsigned retry_ms;      /* 0: 250 */
    unsigned give_up_ms;    /* 0: never */
    int verbose;            /* log link and USB/IP events to stderr */
};

struct usbip_uart_bridge_stats {
    uint32_t requests;      /* request frames sent (first time) */
    uint32_t resends;       /* ... sent again (NAK, damaged reply, retry_ms) */
    uint32_t naks;          /* NAK frames from the device */
    uint32_t bad_frames;    /* damaged frames from the device */
    uint32_t stale;         /* replies to an older request, ignored */
    uint32_t device_restarts; /* STATE with the BOOT flag from a known device */
    uint32_t failed;        /* requests failed (stream closed, give-up) */
    uint32_t console_bytes;
};

/* Opens the USB/IP server (not importable yet) and greets the device.
 * Returns 0 or a negative errno value. */
int usbip_uart_bridge_open(struct usbip_uart_bridge **out, const struct usbip_uart_bridge_config *cfg);
void usbip_uart_bridge_close(struct usbip_uart_bridge *b);

/* Serves USB/IP and the stream for at most timeout_ms (< 0: until
 * something happens). Returns 0; -EPIPE once when the stream has closed
 * (the device is gone: give a new stream with usbip_uart_bridge_set_uart,
 * or stop; polling on serves USB/IP without a device);
 * or another negative errno value if polling failed. */
int usbip_uart_bridge_poll(struct usbip_uart_bridge *b, int timeout_ms);

/* A new stream to the device (the old one, if any, is closed). */
void usbip_uart_bridge_set_uart(struct usbip_uart_bridge *b, int fd);

/* Opens a stream to the device: "unix:PATH" or "tcp:HOST:PORT" (connects;
 * QEMU's `-chardev socket,server=on` listens there), or "fd:N" (an
 * inherited connected descriptor, returned as is). Returns the descriptor,
 * -EINVAL for a malformed spec, or the negative errno of the connect
 * (-ENOENT / -ECONNREFUSED while QEMU is not listening yet: try again). */
int usbip_uart_bridge_connect(const char *spec);

int usbip_uart_bridge_port(const struct usbip_uart_bridge *b);
/* Nonzero while the device says it is attached. */
int usbip_uart_bridge_device_attached(const struct usbip_uart_bridge *b);
const struct usbip_uart_bridge_stats *usbip_uart_bridge_stats(const struct usbip_uart_bridge *b);

#endif
