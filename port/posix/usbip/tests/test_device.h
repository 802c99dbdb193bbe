/* A small USB device for testing controllers without the real device
 * core: it implements the usbd_* entry points of usb/usb_dc.h with a few
 * standard requests, DFU-mode descriptors (two alternate settings, a DFU
 * functional descriptor, strings) and vendor requests for the tests:
 *
 *   0x40/0x01 OUT   store the data stage (echo buffer, up to 4096 bytes)
 *   0xC0/0x02 IN    return the echo buffer (clamped to wLength)
 *   0x40/0x03       STALL
 *   0xC0/0x04 IN    no answer now: testdev_answer_pending() answers later
 *   0x40/0x05       ACK, then detach + attach after the status stage
 *   0xC0/0x06 IN    wLength bytes of a pattern (byte i = i * 7 + wValue)
 *
 * Every event is counted so tests can check what the device saw. */
#ifndef DFUBOOT_PORT_POSIX_USBIP_TESTS_TEST_DEVICE_H
#define DFUBOOT_PORT_POSIX_USBIP_TESTS_TEST_DEVICE_H

#include <stdint.h>

#include "usb/usb_dc.h"

#define TESTDEV_VID 0x2fe3
#define TESTDEV_PID 0xffff
#define TESTDEV_BCD 0x0206
#define TESTDEV_ECHO_MAX 4096

struct usb_device {
    const struct usb_dc_ops *ops;
    /* current control transfer */
    struct usb_setup setup;
    int in_transfer;       /* SETUP seen, status not yet done */
    int expect_out;        /* waiting for usbd_ep0_out */
    int pending;           /* request 0x04 not answered yet */
    int detach_after_status;
    uint8_t out_buf[TESTDEV_ECHO_MAX];
    uint32_t out_have;
    uint8_t address;
    uint8_t configuration;
    uint8_t alt;
    uint8_t echo[TESTDEV_ECHO_MAX];
    uint32_t echo_len;
    /* counters */
    uint32_t bus_resets, setups, status_done, outs, stalls, aborted, violations;
    uint32_t addr_set;     /* set_address calls made */
    uint32_t vendor_setups; /* vendor requests seen */
};

void testdev_init(struct usb_device *dev, const struct usb_dc_ops *ops);
/* Answers a pending 0x04 request with `len` bytes of 0xA5. Returns 0 if
 * one was pending. */
int testdev_answer_pending(struct usb_device *dev, uint16_t len);

#endif
