/* The USB device controller of the nRF5 port: the UART link's device side
 * on UART0, polled (see usb_link.h for why). */
#include "port/nrf5/usb_link.h"

#include "common/errors.h"
#include "port/nrf5/nrf5_start.h"
#include "port/nrf5/uart.h"
#include "port/uartlink/uartlink_dev.h"

static struct uartlink_dev link;
static uint8_t bound, running;

static int link_write(void *ctx, const uint8_t *buf, uint16_t len)
{
    uint16_t n = 0;

    (void)ctx;
    while (n < len && nrf5_uart_try_put(buf[n]))
        n++;
    return n;
}

static int link_read(void *ctx, uint8_t *buf, uint16_t len)
{
    uint16_t n = 0;

    (void)ctx;
    while (n < len && nrf5_uart_try_get(&buf[n]))
        n++;
    return n;
}

static const struct uartlink_uart_ops link_uart = {
    .write = link_write,
    .read = link_read,
    .ctx = 0,
};

static int link_console(const char *text, size_t len)
{
    if (!running)
        return 0;
    while (len > 0) {
        uint16_t chunk = (uint16_t)(len > 0xFFFFu ? 0xFFFFu : len);
        uint16_t n = uartlink_dev_console(&link, text, chunk);

        text += n;
        len -= n;
        if (len > 0)
            uartlink_dev_tx(&link); /* the queue is full: let some of it out */
    }
    return 1;
}

static void link_flush(void)
{
    if (!running)
        return;
    while (uartlink_dev_tx(&link) > 0) {
    }
    nrf5_uart_drain();
}

static const struct nrf5_console_route link_route = {
    .write = link_console,
    .flush = link_flush,
};

const struct usb_dc_ops *nrf5_usb_link_bind(struct usb_device *dev)
{
    uartlink_dev_init(&link, dev, &link_uart);
    bound = 1;
    running = 0;
    return uartlink_dev_dc_ops(&link);
}

void nrf5_usb_link_unbind(void)
{
    if (!bound)
        return;
    if (running) {
        const struct usb_dc_ops *ops = uartlink_dev_dc_ops(&link);

        ops->detach(ops->ctx);
        link_flush();
        nrf5_console_set_route(0);
    }
    bound = 0;
    running = 0;
}

int nrf5_usb_link_poll(void)
{
    int rc;

    if (!bound)
        return 0;
    if (!running) {
        /* the poll starts the link (its STATE frame goes out first); from
         * now on console text must go between frames */
        running = 1;
        nrf5_console_set_route(&link_route);
    }
    rc = uartlink_dev_poll(&link);
    return rc < 0 ? DFB_EIO : rc;
}
