/* USB device core: chapter 9 on endpoint 0 over the controller interface
 * of usb/usb_dc.h, descriptors generated from a declarative description,
 * and class drivers that own interfaces.
 *
 * Descriptor sets: a struct usbd_device_info describes one device (IDs,
 * strings, configuration attributes, interfaces with their alternate
 * settings and class-specific descriptors). The core computes every
 * descriptor from it on request; nothing is hand-counted. A device can
 * switch sets at run time (usbd_set_descriptors from a class's reset
 * callback, or usbd_reenumerate for a device-driven detach/attach), which
 * is how DFU moves between its run-time and DFU-mode descriptors.
 *
 * Strings: index 0 is the LANGID list (0x0409); then, in this order and
 * skipping NULL strings, manufacturer, product, serial number and the
 * name of every alternate setting of every interface. Strings are ASCII
 * and are sent as UTF-16LE (at most 126 characters).
 *
 * Class drivers: requests whose recipient is an interface and whose type
 * is class or vendor go to that interface's class (wIndex low byte = the
 * interface number); standard SET_INTERFACE is offered to the class first
 * (set_alt), and SET_CONFIGURATION(1) selects alternate setting 0 of every
 * interface through set_alt too. Bus resets reach every class (reset). */
#ifndef DFUBOOT_USB_USBD_H
#define DFUBOOT_USB_USBD_H

#include <stdint.h>

#include "usb/usb_dc.h"

/* Most interfaces one configuration may have. */
#define USBD_MAX_INTERFACES 8
/* Scratch space for generated descriptors (configuration, strings). */
#define USBD_DESC_BUF_SIZE 256

/* Standard requests, descriptor types, features. */
enum {
    USB_REQ_GET_STATUS = 0,
    USB_REQ_CLEAR_FEATURE = 1,
    USB_REQ_SET_FEATURE = 3,
    USB_REQ_SET_ADDRESS = 5,
    USB_REQ_GET_DESCRIPTOR = 6,
    USB_REQ_SET_DESCRIPTOR = 7,
    USB_REQ_GET_CONFIGURATION = 8,
    USB_REQ_SET_CONFIGURATION = 9,
    USB_REQ_GET_INTERFACE = 10,
    USB_REQ_SET_INTERFACE = 11,
};
enum {
    USB_DESC_DEVICE = 1,
    USB_DESC_CONFIGURATION = 2,
    USB_DESC_STRING = 3,
    USB_DESC_INTERFACE = 4,
    USB_DESC_DEVICE_QUALIFIER = 6,
};
#define USB_FEATURE_ENDPOINT_HALT 0
#define USB_FEATURE_REMOTE_WAKEUP 1

/* bmRequestType fields. */
#define USB_DIR_IN 0x80
#define USB_TYPE_MASK 0x60
#define USB_TYPE_STANDARD 0x00
#define USB_TYPE_CLASS 0x20
#define USB_TYPE_VENDOR 0x40
#define USB_RECIP_MASK 0x1F
#define USB_RECIP_DEVICE 0
#define USB_RECIP_INTERFACE 1
#define USB_RECIP_ENDPOINT 2
#define USB_RECIP_OTHER 3

/* Configuration bmAttributes bits (bit 7 is always set by the core). */
#define USB_CFG_SELF_POWERED 0x40  /* CONFIG_USB_SELF_POWERED */
#define USB_CFG_REMOTE_WAKEUP 0x20 /* CONFIG_USB_DEVICE_REMOTE_WAKEUP */

/* The control transfer a class is asked to handle. */
struct usbd_ctrl {
    struct usb_setup setup;
    /* IN: the class points `data` at its reply and sets `len` (the core
     * clamps it to wLength). OUT with wLength > 0: the class points `data`
     * at a buffer of at least wLength bytes; the core fills it. */
    uint8_t *data;
    uint16_t len;
};

/* A class driver, in the spirit of TinyUSB's: every member may be NULL. */
struct usbd_class_ops {
    /* Once, from usbd_init, for the interfaces of the first set. */
    void (*init)(void *ctx, struct usb_device *dev);
    /* Bus reset, as the controller reported it (usbd_bus_reset). May
     * switch the descriptor set. */
    void (*reset)(void *ctx, struct usb_device *dev);
    /* SET_INTERFACE / SET_CONFIGURATION: select `alt` of interface
     * `iface`. Negative refuses (STALL). */
    int (*set_alt)(void *ctx, uint8_t iface, uint8_t alt);
    /* SETUP stage of a class/vendor request to the interface. Negative:
     * STALL. Otherwise see struct usbd_ctrl; a request without data is
     * acknowledged when this returns 0. */
    int (*setup)(void *ctx, struct usbd_ctrl *ctrl);
    /* OUT data stage complete (all wLength bytes in ctrl->data). Negative:
     * STALL instead of the status ACK. */
    int (*data_out)(void *ctx, struct usbd_ctrl *ctrl);
    /* The status stage of a request this class accepted has completed:
     * the host has the answer. Deferred work (reboot, detach) goes here. */
    void (*status_done)(void *ctx, const struct usbd_ctrl *ctrl);
};

/* One interface: alternate settings 0..num_alts-1 share the class triple.
 * Endpoint 0 only (the controller interface has no other endpoints). */
struct usbd_interface {
    uint8_t bInterfaceClass;
    uint8_t bInterfaceSubClass;
    uint8_t bInterfaceProtocol;
    uint8_t num_alts;              /* 0 is taken as 1 */
    const char *const *alt_names;  /* num_alts names (iInterface), or NULL */
    const uint8_t *class_desc;     /* class-specific descriptors, sent after */
    uint16_t class_desc_len;       /* each alternate setting */
    const struct usbd_class_ops *ops;
    void *ctx;
};

/* One descriptor set: a device with one configuration. */
struct usbd_device_info {
    uint16_t vid;             /* CONFIG_USB_DEVICE_VID */
    uint16_t pid;             /* CONFIG_USB_DEVICE_PID */
    uint16_t bcd_device;      /* bcdDevice */
    const char *manufacturer; /* CONFIG_USB_DEVICE_MANUFACTURER (NULL: none) */
    const char *product;      /* CONFIG_USB_DEVICE_PRODUCT */
    const char *serial;       /* CONFIG_USB_DEVICE_SN */
    uint8_t attributes;       /* USB_CFG_SELF_POWERED | USB_CFG_REMOTE_WAKEUP */
    uint8_t max_power;        /* CONFIG_USB_MAX_POWER, units of 2 mA */
    uint8_t ep0_size;         /* bMaxPacketSize0; 0 means 64 */
    uint8_t num_interfaces;   /* at most USBD_MAX_INTERFACES */
    const struct usbd_interface *const *interfaces; /* interface i = number i */
};

enum usbd_stage { USBD_IDLE, USBD_DATA_OUT, USBD_STATUS };

/* The device. Fields are private to the core. */
struct usb_device {
    const struct usb_dc_ops *dc;
    const struct usbd_device_info *info;
    struct usbd_ctrl ctrl;
    const struct usbd_interface *owner; /* class handling the transfer */
    uint16_t received;                  /* OUT data stage progress */
    uint8_t stage;                      /* enum usbd_stage */
    uint8_t address;                    /* current address */
    uint8_t new_address;                /* applied after the status stage */
    uint8_t config;                     /* bConfigurationValue, 0 or 1 */
    uint8_t remote_wakeup;
    uint8_t alt[USBD_MAX_INTERFACES];
    uint8_t buf[USBD_DESC_BUF_SIZE];
};

/* Binds the device to a controller and a first descriptor set, and calls
 * each class's init. Does not attach (call dc->attach when ready). */
int usbd_init(struct usb_device *dev, const struct usb_dc_ops *dc, const struct usbd_device_info *info);

/* Switches the descriptor set at once (from a reset callback or while
 * detached): the host sees it at its next enumeration. */
void usbd_set_descriptors(struct usb_device *dev, const struct usbd_device_info *info);

/* Device-driven re-enumeration: detach, switch to `info`, forget the
 * address and configuration, attach. */
int usbd_reenumerate(struct usb_device *dev, const struct usbd_device_info *info);

/* Current state, for classes and tests. */
const struct usbd_device_info *usbd_descriptors(const struct usb_device *dev);
uint8_t usbd_configuration(const struct usb_device *dev);
uint8_t usbd_address(const struct usb_device *dev);

/* usbd_bus_reset, usbd_setup, usbd_ep0_out and usbd_status_done, the
 * controller's events, are declared in usb/usb_dc.h. */

#endif
