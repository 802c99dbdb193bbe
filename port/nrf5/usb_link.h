/* The port's USB device controller. The nRF51 has no USB peripheral and
 * QEMU models none, so on this port USB travels over UART0 to a host-side
 * bridge: the device side of the UART link (port/uartlink/uartlink_dev.h,
 * docs/uart-link.md) is the controller, and link frames share the UART
 * with the console.
 *
 * Polled, not interrupt driven: the link is moved by board_wait(), which
 * the applications' main loops call between their task work (usb/usb_dc.h
 * allows events from there, as the virtual board delivers them). So the
 * events, the core's answers, the console queue and the link's transmitter
 * all run in the one main thread: no critical section anywhere, and an
 * answer the core gives late is sent by the next poll (the link's
 * contract for that). What it costs: a byte that arrives while the main
 * loop does flash work waits in the UART. QEMU holds input back rather
 * than dropping it; on silicon the 6-byte FIFO overruns and the link's
 * NAK/resend recovers (docs/port-nrf5.md). */
#ifndef DFUBOOT_PORT_NRF5_USB_LINK_H
#define DFUBOOT_PORT_NRF5_USB_LINK_H

#include <stddef.h>

#include "usb/usb_dc.h"

struct usb_device;

/* board_usb_controller() of this port: binds the link to `dev`. */
const struct usb_dc_ops *nrf5_usb_link_bind(struct usb_device *dev);

/* board_usb_disable() of this port: tells the bridge the device is
 * detached (a STATE frame), writes out what the link still queues (that
 * frame, console text), gives the console back to the plain UART and
 * unbinds. Nothing when not bound. */
void nrf5_usb_link_unbind(void);

/* board_wait() of this port: starts the link at the first call (after
 * usbd_init, as the link wants), then moves what the UART has now and
 * delivers the events it carries. Returns 1 if something happened, 0 if
 * not, a negative dfb_err when the UART failed. */
int nrf5_usb_link_poll(void);

/* While the link runs, the console (board.c) goes through it
 * (nrf5_console_set_route): text is queued for the gaps between frames,
 * since text written straight to the UART would land inside a frame. */

#endif
