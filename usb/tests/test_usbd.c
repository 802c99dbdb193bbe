/* USB device core: descriptors byte for byte, chapter 9 requests, control
 * transfers (multi-packet OUT, clamped IN, aborts), resets, class routing. */
#include <string.h>

#include "common/errors.h"
#include "tests/support/check.h"
#include "usb/tests/fake_dc.h"
#include "usb/usbd.h"

/* A test class that records what the core tells it. */
struct tclass {
    unsigned inits, resets, setups, data_outs, status_dones;
    int last_iface, last_alt;
    int refuse_alt;       /* set_alt refuses this alt */
    int stall_data;       /* data_out fails */
    uint8_t buf[4096];
    uint8_t reply[300];
    struct usb_setup last;
    struct usb_device *switch_to_dev; /* reset switches sets when set */
    const struct usbd_device_info *switch_to;
};

static void tc_init(void *ctx, struct usb_device *dev)
{
    (void)dev;
    ((struct tclass *)ctx)->inits++;
}

static void tc_reset(void *ctx, struct usb_device *dev)
{
    struct tclass *t = ctx;

    t->resets++;
    if (t->switch_to != 0)
        usbd_set_descriptors(dev, t->switch_to);
}

static int tc_set_alt(void *ctx, uint8_t iface, uint8_t alt)
{
    struct tclass *t = ctx;

    t->last_iface = iface;
    t->last_alt = alt;
    return alt == t->refuse_alt ? -1 : 0;
}

/* bRequest 1: OUT into buf; 2: IN of wValue bytes; 3: no data; other: stall. */
static int tc_setup(void *ctx, struct usbd_ctrl *c)
{
    struct tclass *t = ctx;

    t->setups++;
    t->last = c->setup;
    switch (c->setup.bRequest) {
    case 1:
        c->data = t->buf;
        return c->setup.wLength <= sizeof(t->buf) ? 0 : -1;
    case 2:
        for (unsigned i = 0; i < sizeof(t->reply); i++)
            t->reply[i] = (uint8_t)(i ^ 0x5A);
        c->data = t->reply;
        c->len = c->setup.wValue;
        return 0;
    case 3:
        return 0;
    default:
        return -1;
    }
}

static int tc_data_out(void *ctx, struct usbd_ctrl *c)
{
    struct tclass *t = ctx;

    (void)c;
    t->data_outs++;
    return t->stall_data ? -1 : 0;
}

static void tc_status_done(void *ctx, const struct usbd_ctrl *c)
{
    (void)c;
    ((struct tclass *)ctx)->status_dones++;
}

static const struct usbd_class_ops tc_ops = { tc_init, tc_reset, tc_set_alt, tc_setup, tc_data_out, tc_status_done };

static struct tclass tc;
static const char *const names1[] = { "alpha", 0, "gamma" };
static const uint8_t func_desc[] = { 9, 0x21, 0x0B, 0xE8, 0x03, 0x00, 0x10, 0x10, 0x01, 5, 0x24, 1, 2, 3 };
static const struct usbd_interface itf0 = { 0xFF, 0x00, 0x00, 1, 0, 0, 0, 0, 0 };
static const struct usbd_interface itf1 = { 0xFE, 0x01, 0x02, 3, names1, func_desc, sizeof(func_desc), &tc_ops, &tc };
static const struct usbd_interface *const itfs[] = { &itf0, &itf1 };
static const struct usbd_device_info info = {
    .vid = 0x1209, .pid = 0x0001, .bcd_device = 0x0102,
    .manufacturer = "dfuboot", .product = "Prod", .serial = "0123",
    .attributes = USB_CFG_SELF_POWERED | USB_CFG_REMOTE_WAKEUP, .max_power = 50,
    .num_interfaces = 2, .interfaces = itfs,
};
/* Second set: no strings at all, one interface without names. */
static const struct usbd_interface itf_b = { 0xFE, 0x01, 0x01, 0, 0, func_desc, 9, &tc_ops, &tc };
static const struct usbd_interface *const itfs_b[] = { &itf_b };
static const struct usbd_device_info info_b = {
    .vid = 0x1209, .pid = 0x0002, .ep0_size = 8, .num_interfaces = 1, .interfaces = itfs_b,
};

static struct usb_device dev;
static struct fake_dc fk;
static struct usb_dc_ops ops;

static void start(const struct usbd_device_info *i)
{
    int rc;

    memset(&tc, 0, sizeof(tc));
    tc.refuse_alt = -1;
    fake_dc_init(&fk, &ops);
    rc = usbd_init(&dev, &ops, i);
    REQUIRE(rc == DFB_OK); /* REQUIRE evaluates its argument twice */
    fake_bus_reset(&dev);
}

#define IN(req, v, i, l) fake_in(&dev, &fk, 0x80, req, v, i, l)
#define CHECK_BYTES(got, gotlen, exp)                                                                              \
    do {                                                                                                           \
        CHECK_EQ(gotlen, sizeof(exp));                                                                             \
        CHECK(memcmp(got, exp, sizeof(exp)) == 0);                                                                 \
    } while (0)

static void test_descriptors(void)
{
    static const uint8_t devd[] = { 18, 1, 0x00, 0x02, 0, 0, 0, 64, 0x09, 0x12, 0x01, 0x00, 0x02, 0x01, 1, 2, 3, 1 };
    static const uint8_t cfgd[] = {
        9, 2, 87, 0, 2, 1, 0, 0xE0, 50,            /* configuration, wTotalLength 87 */
        9, 4, 0, 0, 0, 0xFF, 0x00, 0x00, 0,        /* interface 0 */
        /* the class-specific descriptors follow each alternate setting */
        9, 4, 1, 0, 0, 0xFE, 0x01, 0x02, 4,        /* interface 1 alt 0 "alpha" */
        9, 0x21, 0x0B, 0xE8, 0x03, 0x00, 0x10, 0x10, 0x01, 5, 0x24, 1, 2, 3,
        9, 4, 1, 1, 0, 0xFE, 0x01, 0x02, 0,        /* alt 1 unnamed */
        9, 0x21, 0x0B, 0xE8, 0x03, 0x00, 0x10, 0x10, 0x01, 5, 0x24, 1, 2, 3,
        9, 4, 1, 2, 0, 0xFE, 0x01, 0x02, 5,        /* alt 2 "gamma" */
        9, 0x21, 0x0B, 0xE8, 0x03, 0x00, 0x10, 0x10, 0x01, 5, 0x24, 1, 2, 3,
    };
    static const uint8_t lang[] = { 4, 3, 0x09, 0x04 };
    static const uint8_t s1[] = { 16, 3, 'd', 0, 'f', 0, 'u', 0, 'b', 0, 'o', 0, 'o', 0, 't', 0 };
    static const uint8_t s3[] = { 10, 3, '0', 0, '1', 0, '2', 0, '3', 0 };
    static const uint8_t s4[] = { 12, 3, 'a', 0, 'l', 0, 'p', 0, 'h', 0, 'a', 0 };
    static const uint8_t s5[] = { 12, 3, 'g', 0, 'a', 0, 'm', 0, 'm', 0, 'a', 0 };
    static const uint8_t devb[] = { 18, 1, 0x00, 0x02, 0, 0, 0, 8, 0x09, 0x12, 0x02, 0x00, 0, 0, 0, 0, 0, 1 };
    static const uint8_t cfgb[] = { 9, 2, 27, 0, 1, 1, 0, 0x80, 0, 9, 4, 0, 0, 0, 0xFE, 0x01, 0x01, 0,
                                    9, 0x21, 0x0B, 0xE8, 0x03, 0x00, 0x10, 0x10, 0x01 };
    int n;

    start(&info);
    CHECK_EQ(tc.inits, 1);
    n = IN(USB_REQ_GET_DESCRIPTOR, 0x0100, 0, 64);
    CHECK_BYTES(fk.in, n, devd);
    n = IN(USB_REQ_GET_DESCRIPTOR, 0x0200, 0, 9); /* header first, as hosts do */
    CHECK_EQ(n, 9);
    CHECK(memcmp(fk.in, cfgd, 9) == 0);
    n = IN(USB_REQ_GET_DESCRIPTOR, 0x0200, 0, 0xFF);
    CHECK_BYTES(fk.in, n, cfgd);
    n = IN(USB_REQ_GET_DESCRIPTOR, 0x0300, 0, 0xFF);
    CHECK_BYTES(fk.in, n, lang);
    n = IN(USB_REQ_GET_DESCRIPTOR, 0x0301, 0x0409, 0xFF);
    CHECK_BYTES(fk.in, n, s1);
    n = IN(USB_REQ_GET_DESCRIPTOR, 0x0302, 0x0409, 0xFF);
    CHECK_EQ(n, 10);
    CHECK(memcmp(fk.in, "\x0a\x03P\0r\0o\0d\0", 10) == 0);
    n = IN(USB_REQ_GET_DESCRIPTOR, 0x0303, 0x0409, 0xFF);
    CHECK_BYTES(fk.in, n, s3);
    n = IN(USB_REQ_GET_DESCRIPTOR, 0x0304, 0x0409, 0xFF);
    CHECK_BYTES(fk.in, n, s4);
    n = IN(USB_REQ_GET_DESCRIPTOR, 0x0305, 0x0409, 0xFF);
    CHECK_BYTES(fk.in, n, s5);
    CHECK_EQ(IN(USB_REQ_GET_DESCRIPTOR, 0x0306, 0x0409, 0xFF), -1); /* no such string */
    CHECK_EQ(IN(USB_REQ_GET_DESCRIPTOR, 0x0201, 0, 0xFF), -1);      /* one configuration */
    CHECK_EQ(IN(USB_REQ_GET_DESCRIPTOR, 0x0600, 0, 10), -1);        /* qualifier: full speed only */
    /* class-specific descriptors by type: DFU functional descriptor */
    n = IN(USB_REQ_GET_DESCRIPTOR, 0x2100, 0, 9);
    CHECK_EQ(n, 9);
    CHECK(memcmp(fk.in, cfgd + 27, 9) == 0);
    n = IN(USB_REQ_GET_DESCRIPTOR, 0x2400, 0, 64);
    CHECK_EQ(n, 5);
    CHECK_EQ(fk.in[1], 0x24);
    CHECK_EQ(IN(USB_REQ_GET_DESCRIPTOR, 0x2101, 0, 9), -1);
    CHECK_EQ(IN(USB_REQ_GET_DESCRIPTOR, 0x2200, 0, 9), -1);
    /* replies are clamped to wLength */
    CHECK_EQ(IN(USB_REQ_GET_DESCRIPTOR, 0x0100, 0, 8), 8);
    CHECK(memcmp(fk.in, devd, 8) == 0);
    CHECK_EQ(IN(USB_REQ_GET_DESCRIPTOR, 0x0304, 0x0409, 2), 2);
    CHECK_EQ(IN(USB_REQ_GET_DESCRIPTOR, 0x0200, 0, 0), 0);

    /* the second set, then switching to it at run time */
    start(&info_b);
    n = IN(USB_REQ_GET_DESCRIPTOR, 0x0100, 0, 64);
    CHECK_BYTES(fk.in, n, devb);
    n = IN(USB_REQ_GET_DESCRIPTOR, 0x0200, 0, 0xFF);
    CHECK_BYTES(fk.in, n, cfgb);
    CHECK_EQ(IN(USB_REQ_GET_DESCRIPTOR, 0x0301, 0x0409, 0xFF), -1);
    start(&info);
    usbd_set_descriptors(&dev, &info_b);
    n = IN(USB_REQ_GET_DESCRIPTOR, 0x0100, 0, 64);
    CHECK_BYTES(fk.in, n, devb);
    CHECK(usbd_descriptors(&dev) == &info_b);
}

static void test_long_string(void)
{
    static char longname[200];
    static const char *const ln[] = { longname };
    static const struct usbd_interface li = { 0xFF, 0, 0, 1, ln, 0, 0, 0, 0 };
    static const struct usbd_interface *const lis[] = { &li };
    static const struct usbd_device_info linfo = { .vid = 1, .num_interfaces = 1, .interfaces = lis };
    int n;

    memset(longname, 'x', sizeof(longname) - 1);
    start(&linfo);
    n = IN(USB_REQ_GET_DESCRIPTOR, 0x0301, 0x0409, 0xFFFF);
    CHECK_EQ(n, 254); /* 126 characters: bLength is one byte */
    CHECK_EQ(fk.in[0], 254);
    CHECK_EQ(fk.in[252], 'x');
    CHECK_EQ(fk.in[253], 0);
}

static void test_bad_sets(void)
{
    static const uint8_t big[250] = { 250, 0x33 };
    static const struct usbd_interface bi = { 0xFF, 0, 0, 1, 0, big, sizeof(big), 0, 0 };
    static const struct usbd_interface *const bis[] = { &bi };
    static const struct usbd_device_info binfo = { .vid = 1, .num_interfaces = 1, .interfaces = bis };
    static const struct usbd_interface *const many[USBD_MAX_INTERFACES + 1] = { &itf0, &itf0, &itf0, &itf0, &itf0,
                                                                                &itf0, &itf0, &itf0, &itf0 };
    static const struct usbd_device_info minfo = { .vid = 1, .num_interfaces = USBD_MAX_INTERFACES + 1,
                                                   .interfaces = many };

    fake_dc_init(&fk, &ops);
    CHECK_EQ(usbd_init(&dev, &ops, &binfo), DFB_ENOSPC);
    CHECK_EQ(usbd_init(&dev, &ops, &minfo), DFB_EINVAL);
    CHECK_EQ(usbd_init(&dev, &ops, 0), DFB_EINVAL);
}

static void test_address_config_interface(void)
{
    start(&info);
    /* SET_ADDRESS takes effect after the status stage only */
    fk.hold_status = 1;
    CHECK_EQ(fake_out(&dev, &fk, 0x00, USB_REQ_SET_ADDRESS, 7, 0, 0, 0), 0);
    CHECK_EQ(fk.address, -1);
    CHECK_EQ(usbd_address(&dev), 0);
    fake_status_done(&dev);
    CHECK_EQ(fk.address, 7);
    CHECK_EQ(usbd_address(&dev), 7);
    fk.hold_status = 0;
    /* a new SETUP before the status stage cancels a pending address */
    fk.hold_status = 1;
    CHECK_EQ(fake_out(&dev, &fk, 0x00, USB_REQ_SET_ADDRESS, 9, 0, 0, 0), 0);
    fk.hold_status = 0;
    CHECK_EQ(IN(USB_REQ_GET_CONFIGURATION, 0, 0, 1), 1);
    fake_status_done(&dev);
    CHECK_EQ(usbd_address(&dev), 7);
    CHECK_EQ(fake_out(&dev, &fk, 0x00, USB_REQ_SET_ADDRESS, 128, 0, 0, 0), -1);

    CHECK_EQ(IN(USB_REQ_GET_CONFIGURATION, 0, 0, 1), 1);
    CHECK_EQ(fk.in[0], 0);
    CHECK_EQ(fake_out(&dev, &fk, 0x00, USB_REQ_SET_CONFIGURATION, 2, 0, 0, 0), -1);
    tc.last_alt = -1;
    CHECK_EQ(fake_out(&dev, &fk, 0x00, USB_REQ_SET_CONFIGURATION, 1, 0, 0, 0), 0);
    CHECK_EQ(tc.last_iface, 1);
    CHECK_EQ(tc.last_alt, 0);
    CHECK_EQ(IN(USB_REQ_GET_CONFIGURATION, 0, 0, 1), 1);
    CHECK_EQ(fk.in[0], 1);
    CHECK_EQ(usbd_configuration(&dev), 1);

    CHECK_EQ(fake_out(&dev, &fk, 0x01, USB_REQ_SET_INTERFACE, 2, 1, 0, 0), 0);
    CHECK_EQ(tc.last_alt, 2);
    CHECK_EQ(fake_in(&dev, &fk, 0x81, USB_REQ_GET_INTERFACE, 0, 1, 1), 1);
    CHECK_EQ(fk.in[0], 2);
    CHECK_EQ(fake_out(&dev, &fk, 0x01, USB_REQ_SET_INTERFACE, 3, 1, 0, 0), -1); /* no alt 3 */
    tc.refuse_alt = 1;
    CHECK_EQ(fake_out(&dev, &fk, 0x01, USB_REQ_SET_INTERFACE, 1, 1, 0, 0), -1); /* class refuses */
    CHECK_EQ(fake_in(&dev, &fk, 0x81, USB_REQ_GET_INTERFACE, 0, 1, 1), 1);
    CHECK_EQ(fk.in[0], 2);
    CHECK_EQ(fake_out(&dev, &fk, 0x01, USB_REQ_SET_INTERFACE, 0, 0, 0, 0), 0); /* no class: alt 0 fine */
    CHECK_EQ(fake_out(&dev, &fk, 0x01, USB_REQ_SET_INTERFACE, 1, 0, 0, 0), -1);
    CHECK_EQ(fake_out(&dev, &fk, 0x01, USB_REQ_SET_INTERFACE, 0, 2, 0, 0), -1); /* no interface 2 */
    CHECK_EQ(fake_in(&dev, &fk, 0x81, USB_REQ_GET_INTERFACE, 0, 2, 1), -1);
    CHECK_EQ(fake_in(&dev, &fk, 0x80, USB_REQ_GET_INTERFACE, 0, 1, 1), -1); /* wrong recipient */
    /* SET_CONFIGURATION(0) deconfigures */
    CHECK_EQ(fake_out(&dev, &fk, 0x00, USB_REQ_SET_CONFIGURATION, 0, 0, 0, 0), 0);
    CHECK_EQ(usbd_configuration(&dev), 0);
}

static void test_status_feature(void)
{
    start(&info);
    CHECK_EQ(fake_in(&dev, &fk, 0x80, USB_REQ_GET_STATUS, 0, 0, 2), 2);
    CHECK_EQ(fk.in[0], 1); /* self powered */
    CHECK_EQ(fk.in[1], 0);
    CHECK_EQ(fake_out(&dev, &fk, 0x00, USB_REQ_SET_FEATURE, USB_FEATURE_REMOTE_WAKEUP, 0, 0, 0), 0);
    CHECK_EQ(fake_in(&dev, &fk, 0x80, USB_REQ_GET_STATUS, 0, 0, 2), 2);
    CHECK_EQ(fk.in[0], 3);
    CHECK_EQ(fake_out(&dev, &fk, 0x00, USB_REQ_CLEAR_FEATURE, USB_FEATURE_REMOTE_WAKEUP, 0, 0, 0), 0);
    CHECK_EQ(fake_in(&dev, &fk, 0x80, USB_REQ_GET_STATUS, 0, 0, 2), 2);
    CHECK_EQ(fk.in[0], 1);
    CHECK_EQ(fake_out(&dev, &fk, 0x00, USB_REQ_SET_FEATURE, 2, 0, 0, 0), -1); /* TEST_MODE */
    CHECK_EQ(fake_in(&dev, &fk, 0x81, USB_REQ_GET_STATUS, 0, 1, 2), 2);
    CHECK_EQ(fk.in[0], 0);
    CHECK_EQ(fake_in(&dev, &fk, 0x81, USB_REQ_GET_STATUS, 0, 5, 2), -1);
    CHECK_EQ(fake_in(&dev, &fk, 0x82, USB_REQ_GET_STATUS, 0, 0x80, 2), 2);
    CHECK_EQ(fk.in[0], 0);
    CHECK_EQ(fake_in(&dev, &fk, 0x82, USB_REQ_GET_STATUS, 0, 0x81, 2), -1);
    CHECK_EQ(fake_out(&dev, &fk, 0x02, USB_REQ_CLEAR_FEATURE, USB_FEATURE_ENDPOINT_HALT, 0x80, 0, 0), 0);
    CHECK_EQ(fake_out(&dev, &fk, 0x02, USB_REQ_SET_FEATURE, USB_FEATURE_ENDPOINT_HALT, 0x01, 0, 0), -1);
    CHECK_EQ(fake_out(&dev, &fk, 0x01, USB_REQ_SET_FEATURE, 0, 1, 0, 0), -1);
    /* remote wakeup is refused when the configuration does not offer it */
    start(&info_b);
    CHECK_EQ(fake_out(&dev, &fk, 0x00, USB_REQ_SET_FEATURE, USB_FEATURE_REMOTE_WAKEUP, 0, 0, 0), -1);
    CHECK_EQ(fake_in(&dev, &fk, 0x80, USB_REQ_GET_STATUS, 0, 0, 2), 2);
    CHECK_EQ(fk.in[0], 0);
}

static void test_unknown_and_direction(void)
{
    start(&info);
    CHECK_EQ(fake_out(&dev, &fk, 0x00, USB_REQ_SET_DESCRIPTOR, 0x0100, 0, "x", 1), -1);
    CHECK_EQ(fake_out(&dev, &fk, 0x00, 12 /* SYNCH_FRAME */, 0, 0, 0, 0), -1);
    CHECK_EQ(fake_out(&dev, &fk, 0x00, 0x55, 0, 0, 0, 0), -1);
    CHECK_EQ(fake_out(&dev, &fk, 0x00, USB_REQ_GET_DESCRIPTOR, 0x0100, 0, 0, 0), -1); /* wrong direction */
    CHECK_EQ(fake_in(&dev, &fk, 0x80, USB_REQ_SET_ADDRESS, 1, 0, 0), -1);
    CHECK_EQ(fake_out(&dev, &fk, 0x40, 1, 0, 0, 0, 0), -1);       /* vendor to device */
    CHECK_EQ(fake_out(&dev, &fk, 0x21, 3, 0, 0, 0, 0), -1);       /* class to interface 0: no class */
    CHECK_EQ(fake_out(&dev, &fk, 0x21, 3, 0, 7, 0, 0), -1);       /* no interface 7 */
    CHECK_EQ(fake_out(&dev, &fk, 0x22, 3, 0, 1, 0, 0), -1);       /* class to endpoint */
    CHECK_EQ(tc.setups, 0);
    CHECK_EQ(fk.stalls, 9);
}

static void test_class_transfers(void)
{
    static uint8_t data[4096];
    int n;

    start(&info);
    for (unsigned i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 7 + (i >> 8));
    /* a 4096-byte OUT data stage in 64-byte packets, then in odd packets */
    CHECK_EQ(fake_out(&dev, &fk, 0x21, 1, 0, 1, data, 4096), 0);
    CHECK_EQ(tc.data_outs, 1);
    CHECK_EQ(tc.status_dones, 1);
    CHECK(memcmp(tc.buf, data, 4096) == 0);
    CHECK_EQ(tc.last.wIndex, 1);
    memset(tc.buf, 0, sizeof(tc.buf));
    fk.packet = 1000;
    CHECK_EQ(fake_out(&dev, &fk, 0x21, 1, 0, 1, data + 5, 2501), 0);
    CHECK(memcmp(tc.buf, data + 5, 2501) == 0);
    /* the controller may place data straight into the buffer it was given */
    fake_setup(&dev, &fk, 0x21, 1, 0, 1, 100);
    REQUIRE(fk.answer == FAKE_RECEIVE && fk.rx_len == 100);
    memcpy(fk.rx_buf, data, 100);
    fake_ep0_out(&dev, fk.rx_buf, 60);
    CHECK_EQ(fk.answer, FAKE_RECEIVE);
    fake_ep0_out(&dev, fk.rx_buf + 60, 40);
    CHECK_EQ(fk.answer, FAKE_STATUS);
    CHECK(memcmp(tc.buf, data, 100) == 0);
    fake_status_done(&dev);
    CHECK_EQ(tc.status_dones, 3);
    /* the class refuses after the data: stall, no status_done */
    tc.stall_data = 1;
    CHECK_EQ(fake_out(&dev, &fk, 0x21, 1, 0, 1, data, 64), -1);
    CHECK_EQ(fk.answer, FAKE_STALL);
    fake_status_done(&dev);
    CHECK_EQ(tc.status_dones, 3);
    tc.stall_data = 0;
    /* the class refuses at SETUP */
    CHECK_EQ(fake_out(&dev, &fk, 0x21, 9, 0, 1, 0, 0), -1);
    /* IN replies: clamped to wLength, short replies kept short */
    n = fake_in(&dev, &fk, 0xA1, 2, 300, 1, 64);
    CHECK_EQ(n, 64);
    n = fake_in(&dev, &fk, 0xA1, 2, 10, 1, 64);
    CHECK_EQ(n, 10);
    CHECK_EQ(fk.in[9], 9 ^ 0x5A);
    n = fake_in(&dev, &fk, 0xA1, 2, 0, 1, 64);
    CHECK_EQ(n, 0);
    CHECK_EQ(fake_out(&dev, &fk, 0x21, 3, 0, 1, 0, 0), 0);
    CHECK_EQ(fake_out(&dev, &fk, 0x41, 3, 0, 1, 0, 0), 0); /* vendor to the interface: its class */

    /* a new SETUP abandons an OUT data stage: no data_out, later data ignored */
    tc.data_outs = 0;
    fake_setup(&dev, &fk, 0x21, 1, 0, 1, 128);
    fake_ep0_out(&dev, data, 64);
    CHECK_EQ(fake_in(&dev, &fk, 0x80, USB_REQ_GET_CONFIGURATION, 0, 0, 1), 1);
    fake_ep0_out(&dev, data + 64, 64);
    CHECK_EQ(tc.data_outs, 0);
    CHECK_EQ(fk.answer, FAKE_SEND);
    /* and an IN transfer whose status stage never came */
    tc.status_dones = 0;
    fk.hold_status = 1;
    CHECK_EQ(fake_in(&dev, &fk, 0xA1, 2, 4, 1, 4), 4);
    fk.hold_status = 0;
    CHECK_EQ(fake_out(&dev, &fk, 0x00, USB_REQ_SET_CONFIGURATION, 1, 0, 0, 0), 0);
    CHECK_EQ(tc.status_dones, 0);
    /* a stray status_done or data packet does nothing */
    fake_status_done(&dev);
    fake_ep0_out(&dev, data, 8);
    CHECK_EQ(tc.status_dones, 0);
}

static void test_resets(void)
{
    start(&info);
    CHECK_EQ(tc.resets, 1);
    CHECK_EQ(fake_out(&dev, &fk, 0x00, USB_REQ_SET_ADDRESS, 3, 0, 0, 0), 0);
    CHECK_EQ(fake_out(&dev, &fk, 0x00, USB_REQ_SET_CONFIGURATION, 1, 0, 0, 0), 0);
    CHECK_EQ(fake_out(&dev, &fk, 0x01, USB_REQ_SET_INTERFACE, 2, 1, 0, 0), 0);
    /* The core reacts only to the bus resets its controller reports: a
     * host reading the device descriptor again, at any length, or a class
     * request to a port, changes nothing (inferring resets is the USB/IP
     * controller's business, port/posix/usbip). */
    CHECK_EQ(IN(USB_REQ_GET_DESCRIPTOR, 0x0100, 0, 18), 18);
    CHECK_EQ(IN(USB_REQ_GET_DESCRIPTOR, 0x0100, 0, 64), 18);
    CHECK_EQ(tc.resets, 1);
    CHECK_EQ(usbd_configuration(&dev), 1);
    CHECK_EQ(usbd_address(&dev), 3);
    CHECK_EQ(fake_in(&dev, &fk, 0x81, USB_REQ_GET_INTERFACE, 0, 1, 1), 1);
    CHECK_EQ(fk.in[0], 2);
    CHECK_EQ(fake_out(&dev, &fk, 0x23, USB_REQ_SET_FEATURE, 4, 1, 0, 0), -1); /* PORT_RESET: not ours */
    CHECK_EQ(tc.resets, 1);
    CHECK_EQ(usbd_configuration(&dev), 1);
    /* a reported reset forgets address, configuration and alt settings */
    fake_bus_reset(&dev);
    CHECK_EQ(tc.resets, 2);
    CHECK_EQ(usbd_configuration(&dev), 0);
    CHECK_EQ(usbd_address(&dev), 0);
    CHECK_EQ(fake_in(&dev, &fk, 0x81, USB_REQ_GET_INTERFACE, 0, 1, 1), 1);
    CHECK_EQ(fk.in[0], 0);
    /* a reset may switch the set */
    tc.switch_to = &info_b;
    fake_bus_reset(&dev);
    CHECK_EQ(IN(USB_REQ_GET_DESCRIPTOR, 0x0100, 0, 64), 18);
    CHECK_EQ(fk.in[10], 0x02);
    CHECK(usbd_descriptors(&dev) == &info_b);
    /* a bus reset in the middle of a data stage abandons it */
    tc.switch_to = 0;
    tc.data_outs = 0;
    fake_setup(&dev, &fk, 0x21, 1, 0, 0, 128);
    fake_bus_reset(&dev);
    fake_ep0_out(&dev, tc.reply, 128);
    CHECK_EQ(tc.data_outs, 0);
    /* device-driven re-enumeration */
    CHECK_EQ(usbd_reenumerate(&dev, &info), DFB_OK);
    CHECK_EQ(fk.detaches, 1);
    CHECK_EQ(fk.attaches, 1);
    CHECK(usbd_descriptors(&dev) == &info);
}

int main(void)
{
    test_descriptors();
    test_long_string();
    test_bad_sets();
    test_address_config_interface();
    test_status_feature();
    test_unknown_and_direction();
    test_class_transfers();
    test_resets();
    CHECK_DONE();
}
