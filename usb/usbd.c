/* USB device core: control transfers on endpoint 0, chapter 9 standard
 * requests, descriptors generated from struct usbd_device_info. */
#include "usb/usbd.h"

#include <string.h>

#include "common/bytes.h"
#include "common/errors.h"

#define STD_IN_REQUESTS                                                                                               \
    ((1u << USB_REQ_GET_STATUS) | (1u << USB_REQ_GET_DESCRIPTOR) | (1u << USB_REQ_GET_CONFIGURATION) |                \
     (1u << USB_REQ_GET_INTERFACE))

static const uint8_t langid_desc[4] = { 4, USB_DESC_STRING, 0x09, 0x04 };

static uint8_t num_alts(const struct usbd_interface *i)
{
    return i->num_alts ? i->num_alts : 1;
}

static const struct usbd_interface *interface(const struct usb_device *dev, uint16_t windex)
{
    uint8_t n = (uint8_t)windex;

    return n < dev->info->num_interfaces ? dev->info->interfaces[n] : 0;
}

/* Number of device-level strings (manufacturer, product, serial) present:
 * interface names are numbered after them. */
static uint8_t device_strings(const struct usbd_device_info *d)
{
    return (uint8_t)((d->manufacturer != 0) + (d->product != 0) + (d->serial != 0));
}

/* The ASCII string with descriptor index `idx` (1-based), or NULL. */
static const char *string_at(const struct usbd_device_info *d, uint8_t idx)
{
    const char *fixed[3] = { d->manufacturer, d->product, d->serial };
    unsigned n = 0;

    for (unsigned i = 0; i < 3; i++) {
        if (fixed[i] != 0 && ++n == idx)
            return fixed[i];
    }
    for (unsigned i = 0; i < d->num_interfaces; i++) {
        const struct usbd_interface *itf = d->interfaces[i];

        for (unsigned a = 0; itf->alt_names != 0 && a < num_alts(itf); a++) {
            if (itf->alt_names[a] != 0 && ++n == idx)
                return itf->alt_names[a];
        }
    }
    return 0;
}

/* Copies the part of [at, at + len) that fits in the buffer (none when
 * buf is NULL: the caller only wants the length). */
static void put(uint8_t *buf, uint16_t at, const uint8_t *src, uint16_t len)
{
    if (buf != 0 && len != 0 && at < USBD_DESC_BUF_SIZE) {
        if (len > USBD_DESC_BUF_SIZE - at)
            len = (uint16_t)(USBD_DESC_BUF_SIZE - at);
        memcpy(buf + at, src, len);
    }
}

/* Builds the configuration descriptor with its interfaces into buf (as
 * much as fits) and returns its full length. */
static uint16_t build_config(const struct usbd_device_info *d, uint8_t *buf)
{
    uint8_t str = device_strings(d);
    uint8_t hdr[9];
    uint16_t n = 9;

    for (uint8_t i = 0; i < d->num_interfaces; i++) {
        const struct usbd_interface *itf = d->interfaces[i];

        for (uint8_t a = 0; a < num_alts(itf); a++) {
            hdr[0] = 9;
            hdr[1] = USB_DESC_INTERFACE;
            hdr[2] = i;
            hdr[3] = a;
            hdr[4] = 0; /* endpoint 0 only */
            hdr[5] = itf->bInterfaceClass;
            hdr[6] = itf->bInterfaceSubClass;
            hdr[7] = itf->bInterfaceProtocol;
            hdr[8] = (itf->alt_names != 0 && itf->alt_names[a] != 0) ? ++str : 0;
            put(buf, n, hdr, 9);
            n += 9;
            /* the class-specific descriptors extend each alternate setting
             * (USB 2.0 9.5): hosts that read them per alternate setting,
             * as fwupd 2.x does for the DFU functional descriptor, find
             * them on every one, not only on the last */
            put(buf, n, itf->class_desc, itf->class_desc_len);
            n += itf->class_desc_len;
        }
    }
    hdr[0] = 9;
    hdr[1] = USB_DESC_CONFIGURATION;
    put_le16(hdr + 2, n);
    hdr[4] = d->num_interfaces;
    hdr[5] = 1; /* bConfigurationValue */
    hdr[6] = 0; /* iConfiguration */
    hdr[7] = (uint8_t)(0x80 | d->attributes);
    hdr[8] = d->max_power;
    put(buf, 0, hdr, 9);
    return n;
}

static uint16_t build_device(const struct usbd_device_info *d, uint8_t *b)
{
    uint8_t str = 0;

    memset(b, 0, 18);
    b[0] = 18;
    b[1] = USB_DESC_DEVICE;
    put_le16(b + 2, 0x0200); /* bcdUSB; class, subclass, protocol per interface */
    b[7] = d->ep0_size ? d->ep0_size : 64;
    put_le16(b + 8, d->vid);
    put_le16(b + 10, d->pid);
    put_le16(b + 12, d->bcd_device);
    b[14] = d->manufacturer ? ++str : 0;
    b[15] = d->product ? ++str : 0;
    b[16] = d->serial ? ++str : 0;
    b[17] = 1; /* bNumConfigurations */
    return 18;
}

static uint16_t build_string(const char *s, uint8_t *b)
{
    uint16_t n = 2;

    while (*s != 0 && n < 254) {
        b[n++] = (uint8_t)*s++;
        b[n++] = 0;
    }
    b[0] = (uint8_t)n;
    b[1] = USB_DESC_STRING;
    return n;
}

/* A class-specific descriptor of `type` (the idx-th of that type) from the
 * interfaces' class descriptors, e.g. DFU's functional descriptor 0x21. */
static int find_class_desc(struct usb_device *dev, uint8_t type, uint8_t idx)
{
    const struct usbd_device_info *d = dev->info;

    for (uint8_t i = 0; i < d->num_interfaces; i++) {
        const uint8_t *p = d->interfaces[i]->class_desc;
        uint16_t left = d->interfaces[i]->class_desc_len;

        while (left >= 2 && p[0] >= 2 && p[0] <= left) {
            if (p[1] == type && idx-- == 0) {
                dev->ctrl.data = (uint8_t *)p;
                dev->ctrl.len = p[0];
                return 0;
            }
            left = (uint16_t)(left - p[0]);
            p += p[0];
        }
    }
    return -1;
}

static int get_descriptor(struct usb_device *dev)
{
    struct usbd_ctrl *c = &dev->ctrl;
    uint8_t type = (uint8_t)(c->setup.wValue >> 8), idx = (uint8_t)c->setup.wValue;
    const char *s;

    c->data = dev->buf;
    switch (type) {
    case USB_DESC_DEVICE:
        c->len = build_device(dev->info, dev->buf);
        return 0;
    case USB_DESC_CONFIGURATION:
        if (idx != 0)
            return -1;
        c->len = build_config(dev->info, dev->buf);
        return 0;
    case USB_DESC_STRING:
        if (idx == 0) {
            c->data = (uint8_t *)langid_desc;
            c->len = sizeof(langid_desc);
            return 0;
        }
        s = string_at(dev->info, idx);
        if (s == 0)
            return -1;
        c->len = build_string(s, dev->buf);
        return 0;
    case USB_DESC_DEVICE_QUALIFIER: /* full-speed only device: must stall */
        return -1;
    default:
        return find_class_desc(dev, type, idx);
    }
}

static int select_alt(struct usb_device *dev, uint8_t i, uint8_t alt)
{
    const struct usbd_interface *itf = dev->info->interfaces[i];

    if (alt >= num_alts(itf))
        return -1;
    if (itf->ops != 0 && itf->ops->set_alt != 0 && itf->ops->set_alt(itf->ctx, i, alt) < 0)
        return -1;
    dev->alt[i] = alt;
    return 0;
}

static int feature(struct usb_device *dev, int set)
{
    const struct usb_setup *s = &dev->ctrl.setup;

    switch (s->bmRequestType & USB_RECIP_MASK) {
    case USB_RECIP_DEVICE:
        if (s->wValue != USB_FEATURE_REMOTE_WAKEUP || !(dev->info->attributes & USB_CFG_REMOTE_WAKEUP))
            return -1; /* TEST_MODE is not supported */
        dev->remote_wakeup = (uint8_t)set;
        return 0;
    case USB_RECIP_ENDPOINT: /* only endpoint 0 exists; its halt clears itself */
        return s->wValue == USB_FEATURE_ENDPOINT_HALT && (s->wIndex & 0x7F) == 0 ? 0 : -1;
    default:
        return -1;
    }
}

static int standard_request(struct usb_device *dev)
{
    struct usbd_ctrl *c = &dev->ctrl;
    const struct usb_setup *s = &c->setup;
    uint8_t recip = s->bmRequestType & USB_RECIP_MASK;
    uint8_t in = (s->bmRequestType & USB_DIR_IN) != 0;
    const struct usbd_interface *itf = interface(dev, s->wIndex);

    if (s->bRequest > USB_REQ_SET_INTERFACE || in != ((STD_IN_REQUESTS >> s->bRequest) & 1))
        return -1;
    if (!in && s->wLength != 0) /* no standard OUT request has a data stage */
        return -1;
    c->data = dev->buf;
    switch (s->bRequest) {
    case USB_REQ_GET_STATUS:
        dev->buf[0] = 0;
        dev->buf[1] = 0;
        c->len = 2;
        if (recip == USB_RECIP_DEVICE)
            dev->buf[0] = (uint8_t)(((dev->info->attributes & USB_CFG_SELF_POWERED) ? 1 : 0) |
                                    (dev->remote_wakeup ? 2 : 0));
        else if (recip == USB_RECIP_INTERFACE)
            return itf != 0 ? 0 : -1;
        else if (recip != USB_RECIP_ENDPOINT || (s->wIndex & 0x7F) != 0)
            return -1;
        return 0;
    case USB_REQ_CLEAR_FEATURE:
    case USB_REQ_SET_FEATURE:
        return feature(dev, s->bRequest == USB_REQ_SET_FEATURE);
    case USB_REQ_SET_ADDRESS:
        if (recip != USB_RECIP_DEVICE || s->wValue > 127)
            return -1;
        dev->new_address = (uint8_t)(0x80 | s->wValue);
        return 0;
    case USB_REQ_GET_DESCRIPTOR:
        return get_descriptor(dev);
    case USB_REQ_GET_CONFIGURATION:
        dev->buf[0] = dev->config;
        c->len = 1;
        return 0;
    case USB_REQ_SET_CONFIGURATION:
        if (s->wValue > 1)
            return -1;
        dev->config = (uint8_t)s->wValue;
        for (uint8_t i = 0; dev->config && i < dev->info->num_interfaces; i++)
            select_alt(dev, i, 0);
        return 0;
    case USB_REQ_GET_INTERFACE:
        if (recip != USB_RECIP_INTERFACE || itf == 0)
            return -1;
        dev->buf[0] = dev->alt[(uint8_t)s->wIndex];
        c->len = 1;
        return 0;
    case USB_REQ_SET_INTERFACE:
        if (recip != USB_RECIP_INTERFACE || itf == 0)
            return -1;
        return select_alt(dev, (uint8_t)s->wIndex, (uint8_t)s->wValue);
    default:
        return -1;
    }
}

static int class_request(struct usb_device *dev)
{
    const struct usbd_interface *itf = interface(dev, dev->ctrl.setup.wIndex);

    if ((dev->ctrl.setup.bmRequestType & USB_RECIP_MASK) != USB_RECIP_INTERFACE || itf == 0 || itf->ops == 0 ||
        itf->ops->setup == 0)
        return -1;
    dev->owner = itf;
    return itf->ops->setup(itf->ctx, &dev->ctrl);
}

static void stall(struct usb_device *dev)
{
    dev->stage = USBD_IDLE;
    dev->owner = 0;
    dev->dc->ep0_stall(dev->dc->ctx);
}

/* Answers the SETUP after its handler ran (rc < 0: refuse). The stage is
 * set before the controller is called: it may report the next event from
 * inside the call. */
static void respond(struct usb_device *dev, int rc)
{
    struct usbd_ctrl *c = &dev->ctrl;

    if (rc < 0) {
        stall(dev);
    } else if (c->setup.bmRequestType & USB_DIR_IN) {
        dev->stage = USBD_STATUS;
        dev->dc->ep0_send(dev->dc->ctx, c->data, c->len < c->setup.wLength ? c->len : c->setup.wLength);
    } else if (c->setup.wLength != 0) {
        if (c->data == 0) {
            stall(dev);
            return;
        }
        dev->stage = USBD_DATA_OUT;
        dev->dc->ep0_receive(dev->dc->ctx, c->data, c->setup.wLength);
    } else {
        dev->stage = USBD_STATUS;
        dev->dc->ep0_status(dev->dc->ctx);
    }
}

void usbd_bus_reset(struct usb_device *dev)
{
    const struct usbd_device_info *d = dev->info;

    dev->stage = USBD_IDLE;
    dev->owner = 0;
    dev->address = 0;
    dev->new_address = 0;
    dev->config = 0;
    dev->remote_wakeup = 0;
    memset(dev->alt, 0, sizeof(dev->alt));
    /* The set that was active gets the reset; a class may switch sets. */
    for (uint8_t i = 0; i < d->num_interfaces; i++) {
        if (d->interfaces[i]->ops != 0 && d->interfaces[i]->ops->reset != 0)
            d->interfaces[i]->ops->reset(d->interfaces[i]->ctx, dev);
    }
}

void usbd_setup(struct usb_device *dev, const struct usb_setup *setup)
{
    const struct usb_setup *s = setup;

    /* Bus resets come only from the controller (usbd_bus_reset): a host
     * that reads the device descriptor again keeps the device's state. */
    /* Any SETUP abandons the transfer in progress. */
    dev->ctrl.setup = *s;
    dev->ctrl.data = 0;
    dev->ctrl.len = 0;
    dev->owner = 0;
    dev->received = 0;
    dev->new_address = 0;
    dev->stage = USBD_IDLE;
    if ((s->bmRequestType & USB_TYPE_MASK) == USB_TYPE_STANDARD)
        respond(dev, standard_request(dev));
    else
        respond(dev, class_request(dev));
}

void usbd_ep0_out(struct usb_device *dev, const void *data, uint16_t len)
{
    struct usbd_ctrl *c = &dev->ctrl;
    uint16_t want;
    int rc = -1;

    if (dev->stage != USBD_DATA_OUT)
        return;
    want = (uint16_t)(c->setup.wLength - dev->received);
    if (len > want)
        len = want;
    /* The controller may have written into the buffer already. */
    if (data != 0 && data != c->data + dev->received)
        memmove(c->data + dev->received, data, len);
    dev->received = (uint16_t)(dev->received + len);
    if (dev->received < c->setup.wLength)
        return;
    if (dev->owner != 0 && dev->owner->ops->data_out != 0)
        rc = dev->owner->ops->data_out(dev->owner->ctx, c);
    if (rc < 0) {
        stall(dev);
    } else {
        dev->stage = USBD_STATUS;
        dev->dc->ep0_status(dev->dc->ctx);
    }
}

void usbd_status_done(struct usb_device *dev)
{
    const struct usbd_interface *owner = dev->owner;

    if (dev->stage != USBD_STATUS)
        return;
    dev->stage = USBD_IDLE;
    dev->owner = 0;
    if (dev->new_address & 0x80) {
        dev->address = dev->new_address & 0x7F;
        dev->new_address = 0;
        if (dev->dc->set_address != 0)
            dev->dc->set_address(dev->dc->ctx, dev->address);
    }
    if (owner != 0 && owner->ops->status_done != 0)
        owner->ops->status_done(owner->ctx, &dev->ctrl);
}

static int check_info(const struct usbd_device_info *info)
{
    if (info == 0 || info->num_interfaces > USBD_MAX_INTERFACES)
        return DFB_EINVAL;
    return build_config(info, 0) <= USBD_DESC_BUF_SIZE ? DFB_OK : DFB_ENOSPC;
}

int usbd_init(struct usb_device *dev, const struct usb_dc_ops *dc, const struct usbd_device_info *info)
{
    int rc = check_info(info);

    if (dev == 0 || dc == 0)
        return DFB_EINVAL;
    if (rc != DFB_OK)
        return rc;
    memset(dev, 0, sizeof(*dev));
    dev->dc = dc;
    dev->info = info;
    for (uint8_t i = 0; i < info->num_interfaces; i++) {
        if (info->interfaces[i]->ops != 0 && info->interfaces[i]->ops->init != 0)
            info->interfaces[i]->ops->init(info->interfaces[i]->ctx, dev);
    }
    return DFB_OK;
}

void usbd_set_descriptors(struct usb_device *dev, const struct usbd_device_info *info)
{
    dev->info = info;
    dev->config = 0;
    memset(dev->alt, 0, sizeof(dev->alt));
}

int usbd_reenumerate(struct usb_device *dev, const struct usbd_device_info *info)
{
    if (dev->dc->detach != 0)
        dev->dc->detach(dev->dc->ctx);
    usbd_set_descriptors(dev, info);
    dev->stage = USBD_IDLE;
    dev->owner = 0;
    dev->address = 0;
    dev->new_address = 0;
    return dev->dc->attach != 0 ? dev->dc->attach(dev->dc->ctx) : DFB_OK;
}

const struct usbd_device_info *usbd_descriptors(const struct usb_device *dev)
{
    return dev->info;
}

uint8_t usbd_configuration(const struct usb_device *dev)
{
    return dev->config;
}

uint8_t usbd_address(const struct usb_device *dev)
{
    return dev->address;
}
