/* The hook where the port's USB device controller plugs in. The nRF51 has
 * no USB peripheral and QEMU models none, so on this port USB travels over
 * the UART to a host-side bridge (the UART link). Until that link is built
 * in, usb_link_none.c answers: no USB connection. */
#ifndef DFUBOOT_PORT_NRF5_USB_LINK_H
#define DFUBOOT_PORT_NRF5_USB_LINK_H

#include "usb/usb_dc.h"

struct usb_device;

/* board_usb_controller() of this port. NULL: no USB connection. */
const struct usb_dc_ops *nrf5_usb_link_bind(struct usb_device *dev);

/* board_wait() of this port: delivers link events for at most timeout_ms.
 * Returns 1 if an event was handled, 0 if none, a negative dfb_err when the
 * link failed for good. */
int nrf5_usb_link_poll(uint32_t timeout_ms);

#endif
