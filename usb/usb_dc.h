/* USB device-controller interface: what the device core needs from the
 * hardware (or from a USB/IP server standing in for it), at the level of
 * control transfers on endpoint 0.
 *
 * Direction of calls:
 *  - the controller driver reports bus events to the core through the
 *    usbd_* functions declared at the end of this file;
 *  - the core drives the controller through struct usb_dc_ops.
 *
 * Control transfer, as the core sees it:
 *  1. usbd_setup(dev, setup)            a SETUP packet arrived (8 bytes).
 *     Any new SETUP aborts whatever control transfer was in progress.
 *  2a. host-to-device with wLength > 0: the core calls ops->ep0_receive()
 *     with a buffer of wLength bytes; the controller calls usbd_ep0_out()
 *     with data as it arrives (one or more calls, total wLength; a
 *     hardware driver calls it per packet, USB/IP once). When all data is
 *     in, the core answers with ep0_status() (ACK) or ep0_stall().
 *  2b. device-to-host: the core calls ops->ep0_send() with the reply
 *     (already clamped to wLength) or ep0_stall(). The controller splits
 *     it into packets and adds a zero-length packet when the reply is
 *     shorter than wLength and a multiple of the packet size.
 *  2c. host-to-device without data: ep0_status() (ACK) or ep0_stall().
 *  3. usbd_status_done(dev) when the status stage has completed (the host
 *     has the answer). Deferred actions (SET_ADDRESS taking effect, a
 *     reboot after the final DFU status) wait for this.
 *
 * Exactly one of ep0_send / ep0_status / ep0_stall answers each SETUP.
 *
 * Execution contract (what a port must provide, what the core promises):
 *  - Events. usbd_bus_reset, usbd_setup, usbd_ep0_out and usbd_status_done
 *    may be called in interrupt context: straight from the controller's
 *    interrupt handler on a microcontroller, from board_wait() on the
 *    virtual board. A controller delivers one event at a time (never
 *    nested, never concurrently with another event), and only after
 *    usbd_init() has returned.
 *  - What runs inside an event. The core and every class driver do only
 *    short, bounded work there: parse the request, answer from RAM or a
 *    memory-mapped flash read, copy or point at a buffer, change state.
 *    Never inside an event: flash erase or program, signature or hash
 *    checks over an image, waiting, logging through a slow console. Such
 *    work is queued and done by the class's task function, which the
 *    application's main loop calls (dfu_task() for the DFU class). The
 *    class answers the host meanwhile with the protocol's own busy
 *    mechanism (DFU: dfuDNBUSY and bwPollTimeout), never by holding a
 *    status stage while the work runs.
 *  - Shared state. An event may change class state that the task reads;
 *    the task hands results back through fields that only it writes and
 *    that an event only reads (single writer per field). The core needs no
 *    critical sections and disables no interrupts.
 *  - Controller ops. The core calls struct usb_dc_ops from inside events
 *    (the answer to a SETUP, the next data stage) and, for detach/attach,
 *    from a class's status_done event: every op must be callable in
 *    interrupt context and must not block.
 *  - Bus resets. The core reacts only to the bus resets its controller
 *    reports with usbd_bus_reset(). A controller that cannot see resets on
 *    the wire (USB/IP: vhci does not forward port resets) infers them
 *    itself and reports them; the core never guesses from requests.
 *  - The virtual board checks the contract: its simulated flash aborts the
 *    program, loudly, when it is erased or programmed inside an event.
 */
#ifndef DFUBOOT_USB_USB_DC_H
#define DFUBOOT_USB_USB_DC_H

#include <stdint.h>

struct usb_device;

/* bmRequestType, bRequest, wValue, wIndex, wLength in host byte order. */
struct usb_setup {
    uint8_t bmRequestType;
    uint8_t bRequest;
    uint16_t wValue;
    uint16_t wIndex;
    uint16_t wLength;
};

struct usb_dc_ops {
    /* Data stage IN: send len bytes (len <= wLength of the SETUP). */
    int (*ep0_send)(void *ctx, const void *data, uint16_t len);
    /* Data stage OUT: receive wLength bytes into buf. */
    int (*ep0_receive)(void *ctx, void *buf, uint16_t len);
    /* Status stage: ACK the request (zero-length packet). */
    int (*ep0_status)(void *ctx);
    /* Refuse the request: STALL endpoint 0 until the next SETUP. */
    int (*ep0_stall)(void *ctx);
    /* Applied by the controller after the status stage of SET_ADDRESS. */
    int (*set_address)(void *ctx, uint8_t addr);
    /* Soft disconnect / connect (pull-up), for re-enumeration. */
    int (*detach)(void *ctx);
    int (*attach)(void *ctx);
    void *ctx;
};

/* Parses the 8 raw SETUP bytes (little endian). */
static inline void usb_setup_parse(const uint8_t raw[8], struct usb_setup *s)
{
    s->bmRequestType = raw[0];
    s->bRequest = raw[1];
    s->wValue = (uint16_t)(raw[2] | (raw[3] << 8));
    s->wIndex = (uint16_t)(raw[4] | (raw[5] << 8));
    s->wLength = (uint16_t)(raw[6] | (raw[7] << 8));
}

/* Events from the controller driver into the device core. */
void usbd_bus_reset(struct usb_device *dev);
void usbd_setup(struct usb_device *dev, const struct usb_setup *setup);
void usbd_ep0_out(struct usb_device *dev, const void *data, uint16_t len);
void usbd_status_done(struct usb_device *dev);

#endif
