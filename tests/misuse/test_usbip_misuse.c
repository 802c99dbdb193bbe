/* Hostile USB/IP clients against the server with the real USB core and DFU
 * class behind it (single-threaded: the test polls the server itself):
 *  - a URB whose direction and length contradict its SETUP packet (found
 *    by the usbip fuzz target: a zero-length OUT request sent as an IN URB
 *    of 38913 bytes made the server copy 38913 bytes from a NULL pointer);
 *  - lengths that disagree with wLength;
 *  - a flood of connections (garbage, half headers, idle) while a client has
 *    the device imported: the import keeps working, newcomers are served;
 *  - the importing client vanishing in the middle of a URB header: the
 *    device is released and another client can import it. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/bytes.h"
#include "dfu/dfu.h"
#include "port/posix/sim_flash.h"
#include "port/posix/usbip/usbip_proto.h"
#include "port/posix/usbip/usbip_server.h"
#include "tests/support/check.h"

static uint8_t dfu_buffers[DFU_TRANSFER_SIZE_MAX];

static struct usbip_server *srv;
static struct sim_flash sf;
static struct flash_area slot0, slot1;
static struct dfu dfu;
static struct usb_device dev;
static struct dfu_config cfg;
static struct sys_ops sys;
static int port;

static uint32_t up(void *ctx)
{
    (void)ctx;
    return 0;
}

static void pump(int rounds)
{
    for (int i = 0; i < rounds; i++)
        usbip_server_poll(srv, 1);
}

static int client(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    REQUIRE(fd >= 0);
    REQUIRE(connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

/* Reads exactly n bytes while polling the server; returns bytes read. */
static size_t recv_n(int fd, void *buf, size_t n)
{
    size_t got = 0;
    for (int i = 0; i < 3000 && got < n; i++) {
        usbip_server_poll(srv, 1);
        ssize_t r = recv(fd, (uint8_t *)buf + got, n - got, MSG_DONTWAIT);
        if (r > 0)
            got += (size_t)r;
        else if (r == 0)
            break;
    }
    return got;
}

static int closed(int fd)
{
    uint8_t b[256];
    for (int i = 0; i < 2000; i++) {
        usbip_server_poll(srv, 1);
        ssize_t r = recv(fd, b, sizeof(b), MSG_DONTWAIT);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
            return 1;
    }
    return 0;
}

static int import(int fd)
{
    uint8_t req[8 + USBIP_BUSID_SIZE] = { 0 }, rep[8 + USBIP_DEV_RECORD_SIZE];
    usbip_put_op_hdr(req, USBIP_OP_REQ_IMPORT, 0);
    memcpy(req + 8, "1-1", 3);
    CHECK_EQ(send(fd, req, sizeof(req), MSG_NOSIGNAL), (ssize_t)sizeof(req));
    if (recv_n(fd, rep, 8) != 8 || get_be32(rep + 4) != 0)
        return -1;
    return recv_n(fd, rep + 8, USBIP_DEV_RECORD_SIZE) == USBIP_DEV_RECORD_SIZE ? 0 : -1;
}

static uint32_t seq = 100;

/* Sends a CMD_SUBMIT; reads the RET_SUBMIT header into *ret and up to
 * `cap` bytes of IN data. Returns the IN bytes read, or -1. */
static int submit(int fd, uint32_t dir, uint32_t length, const uint8_t setup[8], const void *out, uint32_t out_len,
                  struct usbip_urb_hdr *ret, uint8_t *in, uint32_t cap)
{
    struct usbip_urb_hdr h = { .command = USBIP_CMD_SUBMIT, .seqnum = ++seq, .direction = dir, .length = length };
    uint8_t raw[USBIP_URB_HDR_SIZE];
    memcpy(h.setup, setup, 8);
    usbip_put_urb_hdr(raw, &h);
    if (send(fd, raw, sizeof(raw), MSG_NOSIGNAL) != (ssize_t)sizeof(raw))
        return -1;
    if (out_len && send(fd, out, out_len, MSG_NOSIGNAL) != (ssize_t)out_len)
        return -1;
    if (recv_n(fd, raw, sizeof(raw)) != sizeof(raw))
        return -1;
    usbip_get_urb_hdr(raw, ret);
    if (ret->command != USBIP_RET_SUBMIT || ret->seqnum != h.seqnum)
        return -1;
    uint32_t n = dir == USBIP_DIR_IN ? ret->actual_length : 0;
    if (n > cap)
        return -1;
    return (int)recv_n(fd, in, n);
}

static void setup(uint8_t s[8], uint8_t bm, uint8_t req, uint16_t val, uint16_t idx, uint16_t len)
{
    s[0] = bm, s[1] = req;
    put_le16(s + 2, val), put_le16(s + 4, idx), put_le16(s + 6, len);
}

static int get_device_descriptor(int fd)
{
    uint8_t s[8], in[64];
    struct usbip_urb_hdr r;
    setup(s, 0x80, 6, 0x0100, 0, 18);
    int n = submit(fd, USBIP_DIR_IN, 18, s, 0, 0, &r, in, sizeof(in));
    return n == 18 && r.status == 0 && in[0] == 18 && in[1] == 1;
}

static void test_direction_and_length_lies(void)
{
    int fd = client();
    uint8_t s[8], in[4096], out[64] = { 0 };
    struct usbip_urb_hdr r;

    REQUIRE(import(fd) == 0);
    REQUIRE(get_device_descriptor(fd));
    /* zero-length OUT request (SET_ADDRESS) as an IN URB of 38913 bytes */
    setup(s, 0x00, 5, 0, 0, 0);
    CHECK_EQ(submit(fd, USBIP_DIR_IN, 38913, s, 0, 0, &r, in, sizeof(in)), 0);
    CHECK_EQ(r.status, USBIP_EINVAL);
    CHECK_EQ(r.actual_length, 0);
    /* ... and the same with a small length */
    setup(s, 0x00, 9, 1, 0, 0);
    CHECK_EQ(submit(fd, USBIP_DIR_IN, 8, s, 0, 0, &r, in, sizeof(in)), 0);
    CHECK_EQ(r.status, USBIP_EINVAL);
    /* OUT data longer than wLength */
    setup(s, 0x21, DFU_DNLOAD, 0, 0, 32);
    CHECK_EQ(submit(fd, USBIP_DIR_OUT, 64, s, out, 64, &r, in, sizeof(in)), 0);
    CHECK_EQ(r.status, USBIP_EINVAL);
    /* IN URB shorter than wLength: never more than the URB holds */
    setup(s, 0x80, 6, 0x0200, 0, 255);
    CHECK_EQ(submit(fd, USBIP_DIR_IN, 4, s, 0, 0, &r, in, sizeof(in)), 4);
    CHECK(r.actual_length <= 4);
    /* still in sync and working */
    CHECK(get_device_descriptor(fd));
    close(fd);
    pump(5);
}

static void test_flood_while_imported(void)
{
    int a = client(), fds[100];
    uint8_t junk[64];

    REQUIRE(import(a) == 0);
    memset(junk, 0xa5, sizeof(junk));
    for (int i = 0; i < 100; i++) {
        fds[i] = client();
        if (i % 3 == 0)
            send(fds[i], junk, sizeof(junk), MSG_NOSIGNAL); /* garbage */
        else if (i % 3 == 1)
            send(fds[i], "\x01\x11\x80", 3, MSG_NOSIGNAL); /* half a header */
        pump(2); /* the server accepts as it polls */
    }
    pump(20);
    CHECK(usbip_server_imported(srv));
    CHECK(get_device_descriptor(a)); /* the importer is never pushed out */
    int b = client();
    CHECK_EQ(import(b), -1); /* busy: one importer at a time */
    close(b);
    struct usbip_dev_info d;
    (void)d;
    int c = client();
    uint8_t req[8], rep[8];
    usbip_put_op_hdr(req, USBIP_OP_REQ_DEVLIST, 0);
    send(c, req, 8, MSG_NOSIGNAL);
    CHECK_EQ(recv_n(c, rep, 8), 8);
    CHECK_EQ(get_be16(rep + 2), USBIP_OP_REP_DEVLIST);
    close(c);
    for (int i = 0; i < 100; i++)
        close(fds[i]);
    close(a);
    pump(10);
    CHECK(!usbip_server_imported(srv));
}

static void test_vanish_mid_header(void)
{
    int a = client();
    uint8_t raw[USBIP_URB_HDR_SIZE] = { 0 };

    REQUIRE(import(a) == 0);
    put_be32(raw, USBIP_CMD_SUBMIT);
    send(a, raw, 20, MSG_NOSIGNAL); /* 20 of 48 bytes */
    pump(5);
    close(a);
    pump(10);
    CHECK(!usbip_server_imported(srv));
    int b = client();
    CHECK_EQ(import(b), 0);
    CHECK(get_device_descriptor(b));
    /* and the importer itself sending garbage is cut off, not crashed */
    memset(raw, 0xff, sizeof(raw));
    send(b, raw, sizeof(raw), MSG_NOSIGNAL);
    CHECK(closed(b));
    close(b);
    pump(5);
    CHECK(!usbip_server_imported(srv));
}

int main(void)
{
    static const struct flash_sector_range sectors[] = { { 0x1000, 16 } };
    static const struct flash_geometry geo = { .size = 0x10000, .write_block_size = 4, .erase_value = 0xff,
                                               .sectors = sectors, .sector_range_count = 1 };
    static const struct dfu_config defaults = { DFU_CONFIG_DEFAULTS };
    struct usbip_server_config scfg = { .port = 0, .listen_fd = -1 };

    REQUIRE(sim_flash_init_mem(&sf, &geo) == 0);
    REQUIRE(flash_area_init(&slot0, &sf.dev, "slot0", 0x4000, 0x4000) == 0);
    REQUIRE(flash_area_init(&slot1, &sf.dev, "slot1", 0x8000, 0x4000) == 0);
    cfg = defaults;
    cfg.product = "misuse";
    cfg.start_in_dfu_mode = 1;
    cfg.slot0 = &slot0;
    cfg.slot1 = &slot1;
    sys.uptime_ms = up;
    cfg.sys = &sys;
    cfg.buffers = dfu_buffers;
    REQUIRE(usbip_server_open(&srv, &scfg) == 0);
    port = usbip_server_port(srv);
    REQUIRE(dfu_init(&dfu, &cfg, &dev) == 0);
    REQUIRE(usbd_init(&dev, usbip_server_dc_ops(srv), dfu_mode_descriptors(&dfu)) == 0);
    usbip_server_set_device(srv, &dev);

    test_direction_and_length_lies();
    test_flood_while_imported();
    test_vanish_mid_header();

    usbip_server_close(srv);
    sim_flash_close(&sf);
    CHECK_DONE();
}
