/* No USB connection: the board runs without USB (see usb_link.h). */
#include "port/nrf5/usb_link.h"

#include <stddef.h>

const struct usb_dc_ops *nrf5_usb_link_bind(struct usb_device *dev)
{
    (void)dev;
    return NULL;
}

int nrf5_usb_link_poll(uint32_t timeout_ms)
{
    (void)timeout_ms;
    return 0;
}
