/* libusb-1.0 API over USB/IP, through the shared library itself, against
 * the test device: device list, descriptors parsed as libusb parses them
 * (extra bytes), control transfers and their error codes, interfaces,
 * port reset, a device that re-enumerates. */
#include <libusb-1.0/libusb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "port/posix/usbip/tests/rig.h"
#include "tests/support/check.h"

#define REQ(expr)                                                                                                  \
    do {                                                                                                           \
        int req_ok_ = (expr) ? 1 : 0;                                                                              \
        if (!req_ok_)                                                                                              \
            fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #expr);                                             \
        REQUIRE(req_ok_);                                                                                          \
    } while (0)

static struct rig rig;

static struct usb_device dev_snapshot(void)
{
    struct usb_device d;

    rig_lock(&rig);
    d = rig.dev;
    rig_unlock(&rig);
    return d;
}

static libusb_device *only_device(libusb_context *ctx, libusb_device ***list)
{
    ssize_t n = libusb_get_device_list(ctx, list);

    CHECK_EQ(n, 1);
    return n == 1 ? (*list)[0] : NULL;
}

static void test_descriptors(libusb_device *dev)
{
    struct libusb_device_descriptor dd;
    struct libusb_config_descriptor *cfg;
    uint8_t ports[8];

    CHECK_EQ(libusb_get_device_descriptor(dev, &dd), 0);
    CHECK_EQ(dd.bLength, 18);
    CHECK_EQ(dd.idVendor, TESTDEV_VID);
    CHECK_EQ(dd.idProduct, TESTDEV_PID);
    CHECK_EQ(dd.bcdDevice, TESTDEV_BCD);
    CHECK_EQ(dd.bMaxPacketSize0, 64);
    CHECK_EQ(dd.iSerialNumber, 3);
    CHECK_EQ(dd.bNumConfigurations, 1);
    CHECK_EQ(libusb_get_bus_number(dev), 1);
    CHECK_EQ(libusb_get_device_address(dev), 2);
    CHECK_EQ(libusb_get_port_numbers(dev, ports, 8), 1);
    CHECK_EQ(ports[0], 1);
    CHECK_EQ(libusb_get_port_numbers(dev, ports, 0), LIBUSB_ERROR_INVALID_PARAM);

    CHECK_EQ(libusb_get_config_descriptor(dev, 1, &cfg), LIBUSB_ERROR_NOT_FOUND);
    REQ(libusb_get_config_descriptor(dev, 0, &cfg) == 0);
    CHECK_EQ(cfg->wTotalLength, 40);
    CHECK_EQ(cfg->bNumInterfaces, 1);
    CHECK_EQ(cfg->bConfigurationValue, 1);
    CHECK_EQ(cfg->MaxPower, 50);
    /* the vendor descriptor between config and interface: config->extra */
    CHECK_EQ(cfg->extra_length, 4);
    CHECK(cfg->extra && cfg->extra[1] == 0x41 && cfg->extra[2] == 0xAB);
    REQ(cfg->interface[0].num_altsetting == 2);
    const struct libusb_interface_descriptor *a0 = &cfg->interface[0].altsetting[0];
    const struct libusb_interface_descriptor *a1 = &cfg->interface[0].altsetting[1];
    CHECK_EQ(a0->bAlternateSetting, 0);
    CHECK_EQ(a0->bInterfaceClass, 0xFE);
    CHECK_EQ(a0->bInterfaceSubClass, 1);
    CHECK_EQ(a0->bInterfaceProtocol, 2);
    CHECK_EQ(a0->iInterface, 4);
    CHECK_EQ(a0->extra_length, 0);
    CHECK_EQ(a1->bAlternateSetting, 1);
    CHECK_EQ(a1->iInterface, 5);
    /* the DFU functional descriptor follows alt 1: its extra */
    CHECK_EQ(a1->extra_length, 9);
    CHECK(a1->extra && a1->extra[1] == 0x21 && a1->extra[5] == 0x80);
    libusb_free_config_descriptor(cfg);
}

static int async_calls;
static libusb_context *shim_ctx;

static void LIBUSB_CALL async_done(struct libusb_transfer *t)
{
    async_calls++;
    *(int *)t->user_data = 1;
}

/* An asynchronous control transfer completes through the event functions;
 * what an endpoint-0-only device cannot do says so. */
static void test_async_and_unsupported(libusb_device *dev, libusb_device_handle *h)
{
    struct libusb_transfer *t = libusb_alloc_transfer(0);
    unsigned char buf[LIBUSB_CONTROL_SETUP_SIZE + 64];
    struct timeval tv = { 1, 0 };
    int done = 0, n = -1;

    REQ(t != NULL);
    libusb_fill_control_setup(buf, 0xC0, 0x06, 3, 0, 64);
    libusb_fill_control_transfer(t, h, buf, async_done, &done, 1000);
    CHECK_EQ(libusb_submit_transfer(t), 0);
    CHECK_EQ(async_calls, 0); /* callbacks run from the event functions only */
    CHECK_EQ(libusb_handle_events_timeout_completed(shim_ctx, &tv, &done), 0);
    CHECK_EQ(done, 1);
    CHECK_EQ(t->status, LIBUSB_TRANSFER_COMPLETED);
    CHECK_EQ(t->actual_length, 64);
    CHECK_EQ(libusb_control_transfer_get_data(t)[5], (uint8_t)(5 * 7 + 3));
    libusb_fill_control_setup(buf, 0x40, 0x03, 0, 0, 0);
    libusb_fill_control_transfer(t, h, buf, async_done, &done, 1000);
    done = 0;
    CHECK_EQ(libusb_submit_transfer(t), 0);
    CHECK_EQ(libusb_handle_events_completed(shim_ctx, &done), 0);
    CHECK_EQ(t->status, LIBUSB_TRANSFER_STALL);
    t->type = LIBUSB_TRANSFER_TYPE_BULK;
    CHECK_EQ(libusb_submit_transfer(t), LIBUSB_ERROR_NOT_SUPPORTED);
    libusb_free_transfer(t);

    CHECK_EQ(libusb_bulk_transfer(h, 0x81, buf, 64, &n, 100), LIBUSB_ERROR_NOT_SUPPORTED);
    CHECK_EQ(n, 0);
    CHECK_EQ(libusb_interrupt_transfer(h, 0x81, buf, 64, &n, 100), LIBUSB_ERROR_NOT_SUPPORTED);
    CHECK_EQ(libusb_get_max_packet_size(dev, 0x81), LIBUSB_ERROR_NOT_FOUND);
    CHECK(libusb_get_parent(dev) == NULL);
    struct libusb_bos_descriptor *bos = (void *)1;
    CHECK_EQ(libusb_get_bos_descriptor(h, &bos), LIBUSB_ERROR_NOT_SUPPORTED);
    CHECK(bos == NULL);
    CHECK(libusb_get_pollfds(NULL) == NULL);
    CHECK_EQ(libusb_hotplug_register_callback(NULL, LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED, 0, LIBUSB_HOTPLUG_MATCH_ANY,
                                              LIBUSB_HOTPLUG_MATCH_ANY, LIBUSB_HOTPLUG_MATCH_ANY, NULL, NULL, NULL),
             LIBUSB_ERROR_NOT_SUPPORTED);
    CHECK_EQ(libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG), 0);
    CHECK_EQ(libusb_setlocale("en_US.UTF-8"), 0);
    CHECK_EQ(libusb_setlocale("de"), LIBUSB_ERROR_NOT_FOUND);
}

static void test_transfers(libusb_device *dev)
{
    libusb_device_handle *h;
    unsigned char buf[4096], pat[4096];
    struct usb_device d0;

    REQ(libusb_open(dev, &h) == 0);
    CHECK(libusb_get_device(h) == dev);
    /* the library configured the device when it plugged it in */
    CHECK_EQ(dev_snapshot().configuration, 1);
    /* inline helpers of libusb.h become control transfers */
    CHECK_EQ(libusb_get_string_descriptor(h, 0, 0, buf, 255), 4);
    CHECK_EQ(libusb_get_string_descriptor(h, 4, 0x0409, buf, 255), 16);
    CHECK(memcmp(buf + 2, "i\0m\0a\0g\0e\0_\0" "0\0", 14) == 0);
    CHECK_EQ(libusb_get_descriptor(h, 0x21, 0, buf, 9), 9);
    CHECK_EQ(libusb_get_string_descriptor_ascii(h, 3, buf, sizeof(buf)), 12);
    CHECK(strcmp((char *)buf, "0123456789AB") == 0);

    for (unsigned i = 0; i < sizeof(pat); i++)
        pat[i] = (unsigned char)(i ^ (i >> 8));
    CHECK_EQ(libusb_control_transfer(h, 0x40, 0x01, 0, 0, pat, 4096, 1000), 4096);
    CHECK_EQ(libusb_control_transfer(h, 0xC0, 0x02, 0, 0, buf, 4096, 1000), 4096);
    CHECK(memcmp(buf, pat, 4096) == 0);
    CHECK_EQ(libusb_control_transfer(h, 0xC0, 0x02, 0, 0, buf, 100, 1000), 100);
    CHECK_EQ(libusb_control_transfer(h, 0x40, 0x03, 0, 0, NULL, 0, 1000), LIBUSB_ERROR_PIPE);
    CHECK_EQ(libusb_control_transfer(h, 0xC0, 0x04, 0, 0, buf, 8, 200), LIBUSB_ERROR_TIMEOUT);
    CHECK_EQ(libusb_control_transfer(h, 0xC0, 0x06, 1, 0, buf, 64, 1000), 64);
    CHECK_EQ(buf[10], (uint8_t)(10 * 7 + 1));

    /* longer than usbfs allows: refused before anything is sent, and the
     * link stays usable */
    {
        static unsigned char big[8192];
        uint32_t setups = dev_snapshot().setups;

        CHECK_EQ(libusb_control_transfer(h, 0x21, 0x01, 0, 0, big, 8192, 1000), LIBUSB_ERROR_INVALID_PARAM);
        CHECK_EQ(libusb_control_transfer(h, 0xC0, 0x02, 0, 0, big, 4097, 1000), LIBUSB_ERROR_INVALID_PARAM);
        CHECK_EQ(dev_snapshot().setups, setups);
        CHECK_EQ(libusb_control_transfer(h, 0xC0, 0x02, 0, 0, buf, 4096, 1000), 4096);
    }
    test_async_and_unsupported(dev, h);

    CHECK_EQ(libusb_set_interface_alt_setting(h, 0, 1), LIBUSB_ERROR_NOT_FOUND); /* not claimed */
    CHECK_EQ(libusb_claim_interface(h, 3), LIBUSB_ERROR_NOT_FOUND);
    CHECK_EQ(libusb_claim_interface(h, 0), 0);
    CHECK_EQ(libusb_set_interface_alt_setting(h, 0, 2), LIBUSB_ERROR_NOT_FOUND);
    CHECK_EQ(libusb_set_interface_alt_setting(h, 0, 1), 0);
    CHECK_EQ(dev_snapshot().alt, 1);

    /* port reset with the same descriptors: the handle stays usable */
    d0 = dev_snapshot();
    CHECK_EQ(libusb_reset_device(h), 0);
    struct usb_device d1 = dev_snapshot();
    CHECK_EQ(d1.bus_resets, d0.bus_resets + 1);
    CHECK_EQ(d1.alt, 0);
    CHECK_EQ(d1.configuration, 1);
    CHECK_EQ(libusb_control_transfer(h, 0x80, 6, 0x0100, 0, buf, 18, 1000), 18);
    CHECK_EQ(libusb_release_interface(h, 0), 0);
    CHECK_EQ(libusb_release_interface(h, 0), LIBUSB_ERROR_NOT_FOUND);

    /* the device re-enumerates by itself: the old device is gone */
    CHECK_EQ(libusb_control_transfer(h, 0x40, 0x05, 0, 0, NULL, 0, 1000), 0);
    usleep(100 * 1000);
    CHECK_EQ(libusb_control_transfer(h, 0x80, 6, 0x0100, 0, buf, 18, 1000), LIBUSB_ERROR_NO_DEVICE);
    libusb_device_handle *h2;
    CHECK_EQ(libusb_open(dev, &h2), LIBUSB_ERROR_NO_DEVICE);
    libusb_close(h);
}

int main(void)
{
    libusb_context *ctx;
    libusb_device **list;
    libusb_device *dev;
    char addr[64];

    REQ(rig_start(&rig, -1) == 0);
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", rig.port);
    setenv("DFUBOOT_USBIP", addr, 1);
    CHECK(strcmp(libusb_get_version()->rc, "-usbip") == 0); /* ours, not the system's */
    REQ(libusb_init(&ctx) == 0);
    shim_ctx = ctx;
    CHECK_EQ(libusb_set_option(ctx, LIBUSB_OPTION_LOG_LEVEL, 0), 0);
    CHECK(strcmp(libusb_error_name(LIBUSB_ERROR_PIPE), "LIBUSB_ERROR_PIPE") == 0);

    dev = only_device(ctx, &list);
    REQ(dev != NULL);
    test_descriptors(dev);
    libusb_ref_device(dev);
    libusb_free_device_list(list, 1);
    test_transfers(dev);
    libusb_unref_device(dev);

    /* listed again: a new device, usable */
    dev = only_device(ctx, &list);
    REQ(dev != NULL);
    libusb_device_handle *h;
    unsigned char buf[18];
    REQ(libusb_open(dev, &h) == 0);
    CHECK_EQ(libusb_control_transfer(h, 0x80, 6, 0x0100, 0, buf, 18, 1000), 18);
    libusb_close(h);
    libusb_free_device_list(list, 1);
    libusb_exit(ctx);

    /* no server: an empty list, not an error */
    rig_stop(&rig);
    setenv("DFUBOOT_USBIP", "127.0.0.1:1", 1);
    REQ(libusb_init(&ctx) == 0);
    CHECK_EQ(libusb_get_device_list(ctx, &list), 0);
    libusb_free_device_list(list, 1);
    libusb_exit(ctx);
    CHECK_DONE();
}
