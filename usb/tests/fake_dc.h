/* A fake USB device controller for unit tests: records what the core asks
 * of endpoint 0 and plays the host side of control transfers. */
#ifndef DFUBOOT_USB_TESTS_FAKE_DC_H
#define DFUBOOT_USB_TESTS_FAKE_DC_H

#include <stdint.h>
#include <string.h>

#include "port/posix/irq_context.h"
#include "usb/usbd.h"

enum fake_answer { FAKE_NONE, FAKE_SEND, FAKE_RECEIVE, FAKE_STATUS, FAKE_STALL };

struct fake_dc {
    enum fake_answer answer; /* the last answer to a SETUP or data stage */
    unsigned answers;        /* answers since the last SETUP (must be 1) */
    uint8_t in[8192];        /* last IN data stage */
    uint16_t in_len;
    uint8_t *rx_buf;         /* last ep0_receive */
    uint16_t rx_len;
    int address;             /* last set_address, -1 if none */
    unsigned sends, receives, statuses, stalls, detaches, attaches;
    uint16_t packet;         /* OUT data is delivered in packets of this size */
    int hold_status;         /* when set, the host does not complete the status stage */
};

static int fake_send(void *ctx, const void *data, uint16_t len)
{
    struct fake_dc *f = ctx;

    f->answer = FAKE_SEND;
    f->answers++;
    f->sends++;
    memcpy(f->in, data, len);
    f->in_len = len;
    return 0;
}

static int fake_receive(void *ctx, void *buf, uint16_t len)
{
    struct fake_dc *f = ctx;

    f->answer = FAKE_RECEIVE;
    f->answers++;
    f->receives++;
    f->rx_buf = buf;
    f->rx_len = len;
    return 0;
}

static int fake_status(void *ctx)
{
    struct fake_dc *f = ctx;

    f->answer = FAKE_STATUS;
    f->answers++;
    f->statuses++;
    return 0;
}

static int fake_stall(void *ctx)
{
    struct fake_dc *f = ctx;

    f->answer = FAKE_STALL;
    f->answers++;
    f->stalls++;
    return 0;
}

static int fake_set_address(void *ctx, uint8_t addr)
{
    ((struct fake_dc *)ctx)->address = addr;
    return 0;
}

static int fake_detach(void *ctx)
{
    ((struct fake_dc *)ctx)->detaches++;
    return 0;
}

static int fake_attach(void *ctx)
{
    ((struct fake_dc *)ctx)->attaches++;
    return 0;
}

static void fake_dc_init(struct fake_dc *f, struct usb_dc_ops *ops)
{
    memset(f, 0, sizeof(*f));
    f->address = -1;
    f->packet = 64;
    ops->ep0_send = fake_send;
    ops->ep0_receive = fake_receive;
    ops->ep0_status = fake_status;
    ops->ep0_stall = fake_stall;
    ops->set_address = fake_set_address;
    ops->detach = fake_detach;
    ops->attach = fake_attach;
    ops->ctx = f;
}

static void fake_setup(struct usb_device *dev, struct fake_dc *f, uint8_t bm, uint8_t req, uint16_t value,
                       uint16_t index, uint16_t length)
{
    struct usb_setup s = { bm, req, value, index, length };

    f->answer = FAKE_NONE;
    f->answers = 0;
    f->in_len = 0;
    irq_context_enter("setup");
    usbd_setup(dev, &s);
    irq_context_exit();
}

/* The controller's other events, delivered as an interrupt would be. */
static inline void fake_status_done(struct usb_device *dev)
{
    irq_context_enter("status done");
    usbd_status_done(dev);
    irq_context_exit();
}

static inline void fake_ep0_out(struct usb_device *dev, const void *data, uint16_t len)
{
    irq_context_enter("OUT data");
    usbd_ep0_out(dev, data, len);
    irq_context_exit();
}

static inline void fake_bus_reset(struct usb_device *dev)
{
    irq_context_enter("bus reset");
    usbd_bus_reset(dev);
    irq_context_exit();
}

/* Device-to-host request: returns the bytes received, or -1 on STALL (or
 * if the core answered in a way a host would not accept). Completes the
 * status stage unless hold_status is set. */
static inline int fake_in(struct usb_device *dev, struct fake_dc *f, uint8_t bm, uint8_t req, uint16_t value, uint16_t index,
                   uint16_t length)
{
    fake_setup(dev, f, bm, req, value, index, length);
    if (f->answers != 1 || f->answer != FAKE_SEND || f->in_len > length)
        return -1;
    if (!f->hold_status)
        fake_status_done(dev);
    return f->in_len;
}

/* Host-to-device request with `len` bytes of data (len may be 0), sent in
 * packets from the host's own buffer. Returns 0, or -1 on STALL. */
static inline int fake_out(struct usb_device *dev, struct fake_dc *f, uint8_t bm, uint8_t req, uint16_t value,
                    uint16_t index, const void *data, uint16_t len)
{
    const uint8_t *p = data;
    uint16_t done = 0;

    fake_setup(dev, f, bm, req, value, index, len);
    if (len != 0) {
        if (f->answers != 1 || f->answer != FAKE_RECEIVE || f->rx_len != len)
            return -1;
        f->answers = 0;
        while (done < len && f->answer == FAKE_RECEIVE) {
            uint16_t n = (uint16_t)(len - done < f->packet ? len - done : f->packet);

            fake_ep0_out(dev, p + done, n);
            done = (uint16_t)(done + n);
        }
    }
    if (f->answers != 1 || f->answer != FAKE_STATUS)
        return -1;
    if (!f->hold_status)
        fake_status_done(dev);
    return 0;
}

#endif
