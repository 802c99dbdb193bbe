/* Test device: see test_device.h. */
#include "port/posix/usbip/tests/test_device.h"

#include <string.h>

#include "common/bytes.h"

static const uint8_t dev_desc[18] = {
    18, 1, 0x00, 0x02, 0, 0, 0, 64, TESTDEV_VID & 0xff, TESTDEV_VID >> 8, TESTDEV_PID & 0xff, TESTDEV_PID >> 8,
    TESTDEV_BCD & 0xff, TESTDEV_BCD >> 8, 1, 2, 3, 1,
};

/* config, a vendor descriptor (goes to config->extra in libusb), interface
 * 0 alt 0 and alt 1 (DFU mode), DFU functional descriptor after alt 1 */
#define CFG_LEN (9 + 4 + 9 + 9 + 9)
static const uint8_t cfg_desc[CFG_LEN] = {
    9, 2, CFG_LEN, 0, 1, 1, 0, 0x80, 50,
    4, 0x41, 0xAB, 0xCD,
    9, 4, 0, 0, 0, 0xFE, 1, 2, 4,
    9, 4, 0, 1, 0, 0xFE, 1, 2, 5,
    9, 0x21, 0x0B, 0xE8, 0x03, 0x80, 0x00, 0x10, 0x01,
};

static const char *const strings[] = { NULL, "dfuboot", "test device", "0123456789AB", "image_0", "image_1" };

static uint32_t string_desc(uint8_t idx, uint8_t *out)
{
    const char *s;
    uint32_t n = 2;

    if (idx == 0) {
        out[0] = 4;
        out[1] = 3;
        out[2] = 0x09;
        out[3] = 0x04;
        return 4;
    }
    if (idx >= sizeof(strings) / sizeof(strings[0]))
        return 0;
    for (s = strings[idx]; *s; s++) {
        out[n++] = (uint8_t)*s;
        out[n++] = 0;
    }
    out[0] = (uint8_t)n;
    out[1] = 3;
    return n;
}

static void send_clamped(struct usb_device *dev, const uint8_t *data, uint32_t len)
{
    if (len > dev->setup.wLength)
        len = dev->setup.wLength;
    dev->ops->ep0_send(dev->ops->ctx, data, (uint16_t)len);
}

static void stall(struct usb_device *dev)
{
    dev->stalls++;
    dev->ops->ep0_stall(dev->ops->ctx);
}

void testdev_init(struct usb_device *dev, const struct usb_dc_ops *ops)
{
    memset(dev, 0, sizeof(*dev));
    dev->ops = ops;
}

void usbd_bus_reset(struct usb_device *dev)
{
    dev->bus_resets++;
    dev->in_transfer = dev->expect_out = dev->pending = dev->detach_after_status = 0;
    dev->address = 0;
    dev->configuration = 0;
    dev->alt = 0;
}

static void standard_request(struct usb_device *dev, const struct usb_setup *s)
{
    static uint8_t buf[256];
    uint32_t n;

    switch (s->bRequest) {
    case 6: /* GET_DESCRIPTOR */
        switch (s->wValue >> 8) {
        case 1:
            send_clamped(dev, dev_desc, sizeof(dev_desc));
            return;
        case 2:
            if ((s->wValue & 0xff) != 0)
                break;
            send_clamped(dev, cfg_desc, sizeof(cfg_desc));
            return;
        case 3:
            n = string_desc((uint8_t)s->wValue, buf);
            if (n == 0)
                break;
            send_clamped(dev, buf, n);
            return;
        case 0x21:
            send_clamped(dev, cfg_desc + CFG_LEN - 9, 9);
            return;
        }
        break;
    case 5: /* SET_ADDRESS: takes effect after the status stage */
        dev->ops->ep0_status(dev->ops->ctx);
        return;
    case 9: /* SET_CONFIGURATION */
        if (s->wValue > 1)
            break;
        dev->configuration = (uint8_t)s->wValue;
        dev->ops->ep0_status(dev->ops->ctx);
        return;
    case 8: /* GET_CONFIGURATION */
        send_clamped(dev, &dev->configuration, 1);
        return;
    case 11: /* SET_INTERFACE */
        if (s->wIndex != 0 || s->wValue > 1)
            break;
        dev->alt = (uint8_t)s->wValue;
        dev->ops->ep0_status(dev->ops->ctx);
        return;
    case 10: /* GET_INTERFACE */
        send_clamped(dev, &dev->alt, 1);
        return;
    case 0: /* GET_STATUS */
        buf[0] = buf[1] = 0;
        send_clamped(dev, buf, 2);
        return;
    }
    stall(dev);
}

static void vendor_request(struct usb_device *dev, const struct usb_setup *s)
{
    static uint8_t buf[65535];

    dev->vendor_setups++;
    switch (s->bRequest) {
    case 0x01:
        if ((s->bmRequestType & 0x80) || s->wLength > TESTDEV_ECHO_MAX)
            break;
        if (s->wLength == 0) {
            dev->echo_len = 0;
            dev->ops->ep0_status(dev->ops->ctx);
            return;
        }
        dev->expect_out = 1;
        dev->out_have = 0;
        dev->ops->ep0_receive(dev->ops->ctx, dev->out_buf, s->wLength);
        return;
    case 0x02:
        send_clamped(dev, dev->echo, dev->echo_len);
        return;
    case 0x03:
        break;
    case 0x04:
        dev->pending = 1;
        return;
    case 0x05:
        dev->detach_after_status = 1;
        dev->ops->ep0_status(dev->ops->ctx);
        return;
    case 0x06:
        for (uint32_t i = 0; i < s->wLength; i++)
            buf[i] = (uint8_t)(i * 7 + s->wValue);
        send_clamped(dev, buf, s->wLength);
        return;
    }
    stall(dev);
}

void usbd_setup(struct usb_device *dev, const struct usb_setup *setup)
{
    if (dev->in_transfer)
        dev->aborted++;
    dev->setups++;
    dev->setup = *setup;
    dev->in_transfer = 1;
    dev->expect_out = 0;
    dev->pending = 0;
    if ((setup->bmRequestType & 0x60) == 0x00)
        standard_request(dev, setup);
    else if ((setup->bmRequestType & 0x60) == 0x40)
        vendor_request(dev, setup);
    else
        stall(dev);
}

void usbd_ep0_out(struct usb_device *dev, const void *data, uint16_t len)
{
    dev->outs++;
    if (!dev->expect_out || len > dev->setup.wLength - dev->out_have) {
        dev->violations++;
        return;
    }
    memcpy(dev->out_buf + dev->out_have, data, len);
    dev->out_have += len;
    if (dev->out_have == dev->setup.wLength) {
        dev->expect_out = 0;
        memcpy(dev->echo, dev->out_buf, dev->out_have);
        dev->echo_len = dev->out_have;
        dev->ops->ep0_status(dev->ops->ctx);
    }
}

void usbd_status_done(struct usb_device *dev)
{
    if (!dev->in_transfer) {
        dev->violations++;
        return;
    }
    dev->in_transfer = 0;
    dev->status_done++;
    if (dev->setup.bmRequestType == 0 && dev->setup.bRequest == 5) {
        dev->address = (uint8_t)dev->setup.wValue;
        dev->addr_set++;
        dev->ops->set_address(dev->ops->ctx, dev->address);
    }
    if (dev->detach_after_status) {
        dev->detach_after_status = 0;
        dev->ops->detach(dev->ops->ctx);
        dev->ops->attach(dev->ops->ctx);
    }
}

int testdev_answer_pending(struct usb_device *dev, uint16_t len)
{
    static uint8_t buf[4096];

    if (!dev->pending)
        return -1;
    dev->pending = 0;
    memset(buf, 0xA5, sizeof(buf));
    send_clamped(dev, buf, len > sizeof(buf) ? sizeof(buf) : len);
    return 0;
}
