/* USB/IP server: a USB device controller for the host build.
 *
 * The server exports one device (bus id "1-1" by default) over TCP with the
 * USB/IP protocol 0x0111, so that Linux's vhci-hcd (`usbip attach`), the
 * client in usbip_client.h or the libusb shim over it can use the device
 * core as if it sat on a USB bus. It implements struct usb_dc_ops for the
 * core (usb/usb_dc.h) and feeds the core through usbd_setup / usbd_ep0_out /
 * usbd_status_done / usbd_bus_reset.
 *
 * Single-threaded and poll-driven: the application calls
 * usbip_server_poll() from its main loop. Core callbacks only record the
 * answer; replies go out and usbd_status_done() runs from the poll loop,
 * so the core is never re-entered from its own callbacks. One poll
 * completes at most one control transfer (later ones stay queued and make
 * the next poll return at once), so the application's main loop runs
 * between two transfers, as firmware runs between two interrupts. The core may
 * also answer a request later (from its own main-loop work): the reply
 * leaves at the next poll.
 *
 * Only control transfers on endpoint 0 are supported; submits to other
 * endpoints are answered with -EPIPE. Malformed input closes the offending
 * connection; every length is bounded (see usbip_proto.h). */
#ifndef DFUBOOT_PORT_POSIX_USBIP_SERVER_H
#define DFUBOOT_PORT_POSIX_USBIP_SERVER_H

#include <stdint.h>

#include "usb/usb_dc.h"

struct usbip_server;

struct usbip_server_config {
    struct usb_device *dev; /* the device core instance (usbd_* target) */
    const char *host;       /* bind address; NULL = "127.0.0.1" */
    int port;               /* < 0: 3240; 0: any free port (tests) */
    int listen_fd;          /* >= 0: use this listening socket instead of
                               binding (kept open by usbip_server_close
                               unless own_listen_fd is set) */
    int own_listen_fd;
    const char *busid;      /* NULL = "1-1" */
    int start_detached;     /* not importable until the core calls attach() */
    int verbose;            /* log connections and errors to stderr */
};

struct usbip_server_stats {
    uint32_t connections;   /* accepted TCP connections */
    uint32_t devlists, imports, import_refused;
    uint32_t submits;       /* CMD_SUBMIT received */
    uint32_t setups;        /* SETUPs handed to the device */
    uint32_t stalls;        /* RET_SUBMIT with -EPIPE */
    uint32_t unlinks;       /* CMD_UNLINK received */
    uint32_t unlinked;      /* ... that cancelled a transfer */
    uint32_t protocol_errors; /* connections closed for malformed input */
    uint32_t bus_resets;    /* usbd_bus_reset calls made */
    uint32_t drops;         /* imported connections lost or dropped */
};

/* Creates the server and its listening socket. Returns 0 or a negative
 * errno value. */
int usbip_server_open(struct usbip_server **out, const struct usbip_server_config *cfg);
void usbip_server_close(struct usbip_server *srv);

/* The controller ops to give to the device core (ctx = the server). */
const struct usb_dc_ops *usbip_server_dc_ops(struct usbip_server *srv);
/* Sets the device later (when the core needs the ops to be created). */
void usbip_server_set_device(struct usbip_server *srv, struct usb_device *dev);

/* Handles network I/O and pending device answers for at most timeout_ms
 * (0: do not wait; < 0: wait until something happens). Returns 0, or a
 * negative errno value if polling itself failed. */
int usbip_server_poll(struct usbip_server *srv, int timeout_ms);

/* Also watch `fd` (-1: none) for input in usbip_server_poll(), which then
 * returns as soon as it is readable; the caller reads it. For a controller
 * whose device is at the other end of a byte stream (usbip_uart_bridge.h). */
void usbip_server_set_wake_fd(struct usbip_server *srv, int fd);

/* The TCP port actually bound, the listening socket (to keep it across a
 * restart of the firmware process), whether a client has imported the
 * device, and counters. */
int usbip_server_port(const struct usbip_server *srv);
int usbip_server_listen_fd(const struct usbip_server *srv);
int usbip_server_imported(const struct usbip_server *srv);
const struct usbip_server_stats *usbip_server_stats(const struct usbip_server *srv);

#endif
