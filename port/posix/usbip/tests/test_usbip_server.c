/* USB/IP server over loopback TCP, driven by the client library and by raw
 * sockets for malformed input: device list, import, control IN/OUT, stall,
 * unlink, detach, port reset, disconnects, garbage and oversize lengths. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "port/posix/usbip/tests/rig.h"
#include "port/posix/usbip/usbip_client.h"
#include "tests/support/check.h"

/* REQUIRE (check.h) evaluates its condition twice; these calls have side
 * effects, so they go through REQ, which evaluates once. */
#define REQ(expr)                                                                                                  \
    do {                                                                                                           \
        int req_ok_ = (expr) ? 1 : 0;                                                                              \
        if (!req_ok_)                                                                                              \
            fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #expr);                                             \
        REQUIRE(req_ok_);                                                                                          \
    } while (0)

static struct rig rig;

#define TMO 3000

/* A snapshot of device counters, taken under the lock. */
static struct usb_device dev_snapshot(void)
{
    struct usb_device d;

    rig_lock(&rig);
    d = rig.dev;
    rig_unlock(&rig);
    return d;
}

static struct usbip_server_stats stats_snapshot(void)
{
    struct usbip_server_stats s;

    rig_lock(&rig);
    s = *usbip_server_stats(rig.srv);
    rig_unlock(&rig);
    return s;
}

static int import(struct usbip_client *c)
{
    int r = usbip_client_connect(c, "127.0.0.1", rig.port, TMO);

    if (r < 0)
        return r;
    return usbip_client_import(c, "1-1", NULL, TMO);
}

static int ctrl(struct usbip_client *c, uint8_t rt, uint8_t req, uint16_t val, uint16_t idx, uint16_t len, void *data)
{
    uint8_t s[8];

    usbip_setup_bytes(s, rt, req, val, idx, len);
    return usbip_client_control(c, s, data, TMO);
}

/* Raw connection for malformed input. */
static int raw_connect(void)
{
    struct usbip_client c;

    if (usbip_client_connect(&c, "127.0.0.1", rig.port, TMO) < 0)
        return -1;
    return c.fd;
}

/* True if the server closes fd within the time (reads and drops data). */
static int closed_by_server(int fd, int ms)
{
    uint8_t buf[512];

    for (int waited = 0; waited < ms; waited += 10) {
        struct pollfd p = { .fd = fd, .events = POLLIN };

        if (poll(&p, 1, 10) > 0) {
            ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

            if (n == 0 || (n < 0 && errno != EAGAIN))
                return 1;
        }
    }
    return 0;
}

static void send_raw(int fd, const void *p, size_t n)
{
    CHECK_EQ(send(fd, p, n, MSG_NOSIGNAL), (ssize_t)n);
}

static void raw_import(int fd)
{
    uint8_t req[40] = { 0 }, rep[8 + USBIP_DEV_RECORD_SIZE];
    size_t got = 0;

    usbip_put_op_hdr(req, USBIP_OP_REQ_IMPORT, 0);
    memcpy(req + 8, "1-1", 3);
    send_raw(fd, req, sizeof(req));
    while (got < sizeof(rep)) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        ssize_t n;

        if (poll(&p, 1, TMO) <= 0)
            break;
        n = recv(fd, rep + got, sizeof(rep) - got, MSG_DONTWAIT);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    CHECK_EQ(got, sizeof(rep));
    CHECK_EQ(get_be32(rep + 4), 0);
}

static void test_devlist(void)
{
    struct usbip_dev_info d[2];
    int n = usbip_devlist("127.0.0.1", rig.port, d, 2, TMO);

    REQ(n == 1);
    CHECK(strcmp(d[0].busid, "1-1") == 0);
    CHECK(strstr(d[0].path, "1-1") != NULL);
    CHECK_EQ(d[0].busnum, 1);
    CHECK_EQ(d[0].speed, USBIP_SPEED_FULL);
    CHECK_EQ(d[0].idVendor, TESTDEV_VID);
    CHECK_EQ(d[0].idProduct, TESTDEV_PID);
    CHECK_EQ(d[0].bcdDevice, TESTDEV_BCD);
    CHECK_EQ(d[0].bNumConfigurations, 1);
    CHECK_EQ(d[0].bNumInterfaces, 1);
    CHECK_EQ(d[0].intf[0][0], 0xFE);
    CHECK_EQ(d[0].intf[0][1], 0x01);
    CHECK_EQ(d[0].intf[0][2], 0x02);
    /* the internal descriptor reads completed cleanly on the device side */
    struct usb_device dv = dev_snapshot();
    CHECK_EQ(dv.in_transfer, 0);
    CHECK_EQ(dv.violations, 0);
}

static void test_import_and_control(void)
{
    struct usbip_client c, c2;
    struct usbip_dev_info info;
    uint8_t buf[4096], pat[4096 + 100];
    uint32_t resets0 = dev_snapshot().bus_resets;
    int r;

    REQ(usbip_client_connect(&c, "127.0.0.1", rig.port, TMO) == 0);
    CHECK_EQ(usbip_client_import(&c, "2-7", NULL, TMO), -ENODEV);
    usbip_client_close(&c);
    REQ(usbip_client_connect(&c, "127.0.0.1", rig.port, TMO) == 0);
    REQ(usbip_client_import(&c, "1-1", &info, TMO) == 0);
    CHECK_EQ(info.idVendor, TESTDEV_VID);
    CHECK_EQ(dev_snapshot().bus_resets, resets0 + 1);
    /* one importer at a time */
    REQ(usbip_client_connect(&c2, "127.0.0.1", rig.port, TMO) == 0);
    CHECK_EQ(usbip_client_import(&c2, "1-1", NULL, TMO), -EBUSY);
    usbip_client_close(&c2);

    /* enumeration-style requests */
    r = ctrl(&c, 0x80, 6, 0x0100, 0, 64, buf);
    CHECK_EQ(r, 18);
    CHECK_EQ(buf[0], 18);
    CHECK_EQ(get_le16(buf + 8), TESTDEV_VID);
    r = ctrl(&c, 0x80, 6, 0x0200, 0, 9, buf);
    CHECK_EQ(r, 9);
    CHECK_EQ(get_le16(buf + 2), 40);
    r = ctrl(&c, 0x80, 6, 0x0200, 0, 255, buf);
    CHECK_EQ(r, 40);
    r = ctrl(&c, 0x80, 6, 0x0302, 0x0409, 255, buf);
    CHECK_EQ(r, 2 + 2 * 11);
    CHECK(memcmp(buf + 2, "t\0e\0s\0t\0", 8) == 0);
    CHECK_EQ(ctrl(&c, 0x00, 5, 7, 0, 0, NULL), 0);
    CHECK_EQ(dev_snapshot().address, 7);
    CHECK_EQ(ctrl(&c, 0x00, 9, 1, 0, 0, NULL), 0);
    CHECK_EQ(ctrl(&c, 0x80, 8, 0, 0, 1, buf), 1);
    CHECK_EQ(buf[0], 1);
    CHECK_EQ(ctrl(&c, 0x01, 11, 1, 0, 0, NULL), 0);
    CHECK_EQ(dev_snapshot().alt, 1);

    /* OUT data then IN back, several sizes up to 4096 */
    static const uint16_t sizes[] = { 1, 63, 64, 65, 1000, 4096 };
    for (unsigned k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        uint16_t n = sizes[k];

        for (unsigned i = 0; i < n; i++)
            pat[i] = (uint8_t)(i * 13 + k);
        CHECK_EQ(ctrl(&c, 0x40, 0x01, 0, 0, n, pat), n);
        memset(buf, 0, sizeof(buf));
        CHECK_EQ(ctrl(&c, 0xC0, 0x02, 0, 0, 4096, buf), n);
        CHECK(memcmp(buf, pat, n) == 0);
    }
    /* IN shorter than wLength and clamped to it */
    CHECK_EQ(ctrl(&c, 0xC0, 0x02, 0, 0, 10, buf), 10);
    CHECK_EQ(ctrl(&c, 0xC0, 0x06, 3, 0, 4096, buf), 4096);
    for (unsigned i = 0; i < 4096; i++)
        if (buf[i] != (uint8_t)(i * 7 + 3)) {
            CHECK_EQ(buf[i], (uint8_t)(i * 7 + 3));
            break;
        }

    /* STALL reaches the host as -EPIPE; the next request works */
    uint32_t stalls0 = stats_snapshot().stalls;
    CHECK_EQ(ctrl(&c, 0x40, 0x03, 0, 0, 0, NULL), -EPIPE);
    CHECK_EQ(ctrl(&c, 0xC0, 0x03, 0, 0, 8, buf), -EPIPE);
    CHECK_EQ(ctrl(&c, 0x80, 6, 0x0600, 0, 10, buf), -EPIPE); /* no qualifier */
    CHECK_EQ(stats_snapshot().stalls, stalls0 + 3);
    CHECK_EQ(ctrl(&c, 0x80, 6, 0x0100, 0, 18, buf), 18);
    /* an OUT data stage longer than the device accepts is stalled, the
     * data never reaches it */
    uint32_t outs0 = dev_snapshot().outs;
    memset(pat, 0x77, sizeof(pat));
    CHECK_EQ(ctrl(&c, 0x40, 0x01, 0, 0, 4096 + 100, pat) , -EPIPE);
    CHECK_EQ(dev_snapshot().outs, outs0);

    /* port reset request: a bus reset, not forwarded as a SETUP */
    struct usb_device before = dev_snapshot();
    CHECK_EQ(ctrl(&c, 0x23, 3, 4, 1, 0, NULL), 0);
    struct usb_device after = dev_snapshot();
    CHECK_EQ(after.bus_resets, before.bus_resets + 1);
    CHECK_EQ(after.setups, before.setups);
    CHECK_EQ(after.configuration, 0);

    /* a submit to another endpoint gets an error, the device sees nothing */
    {
        struct usbip_urb_hdr h = { 0 }, rep;
        uint8_t raw[48];

        h.command = USBIP_CMD_SUBMIT;
        h.seqnum = 999;
        h.direction = USBIP_DIR_IN;
        h.ep = 1;
        h.length = 64;
        usbip_put_urb_hdr(raw, &h);
        send_raw(c.fd, raw, sizeof(raw));
        CHECK_EQ(usbip_client_recv(&c, &rep, buf, sizeof(buf), TMO), 0);
        CHECK_EQ(rep.command, USBIP_RET_SUBMIT);
        CHECK_EQ(rep.seqnum, 999);
        CHECK_EQ(rep.status, -EPIPE);
        CHECK_EQ(dev_snapshot().setups, after.setups);
    }
    /* URB direction that contradicts the SETUP: refused */
    {
        struct usbip_urb_hdr h = { 0 }, rep;
        uint8_t raw[48];

        h.command = USBIP_CMD_SUBMIT;
        h.seqnum = 1000;
        h.direction = USBIP_DIR_IN;
        h.length = 8;
        usbip_setup_bytes(h.setup, 0x40, 0x01, 0, 0, 8);
        usbip_put_urb_hdr(raw, &h);
        send_raw(c.fd, raw, sizeof(raw));
        CHECK_EQ(usbip_client_recv(&c, &rep, buf, sizeof(buf), TMO), 0);
        CHECK_EQ(rep.seqnum, 1000);
        CHECK_EQ(rep.status, -EINVAL);
        CHECK_EQ(dev_snapshot().setups, after.setups);
    }
    CHECK_EQ(ctrl(&c, 0x80, 6, 0x0100, 0, 18, buf), 18);
    usbip_client_close(&c);

    /* the host went away: the next import of the unconfigured device
     * starts with a bus reset */
    struct usb_device d0 = dev_snapshot();
    REQ(import(&c) == 0);
    CHECK_EQ(dev_snapshot().bus_resets, d0.bus_resets + 1);
    CHECK_EQ(ctrl(&c, 0x80, 6, 0x0100, 0, 18, buf), 18);
    /* a host configures it and goes away: the next host gets it as it is,
     * configured (the import record says so), with no reset */
    CHECK_EQ(ctrl(&c, 0x00, 9, 1, 0, 0, NULL), 0);
    usbip_client_close(&c);
    d0 = dev_snapshot();
    {
        struct usbip_dev_info info;

        REQ(usbip_client_connect(&c, "127.0.0.1", rig.port, TMO) == 0);
        REQ(usbip_client_import(&c, "1-1", &info, TMO) == 0);
        CHECK_EQ(info.bConfigurationValue, 1);
    }
    CHECK_EQ(dev_snapshot().bus_resets, d0.bus_resets);
    CHECK_EQ(dev_snapshot().configuration, 1);
    CHECK_EQ(ctrl(&c, 0x80, 6, 0x0100, 0, 18, buf), 18);
    CHECK_EQ(dev_snapshot().bus_resets, d0.bus_resets);
    /* ... and enumerating it again (GET_DESCRIPTOR(device, 64) first) is
     * the reset a real hub gives before it */
    CHECK_EQ(ctrl(&c, 0x80, 6, 0x0100, 0, 64, buf), 18);
    CHECK_EQ(dev_snapshot().bus_resets, d0.bus_resets + 1);
    CHECK_EQ(dev_snapshot().configuration, 0);
    usbip_client_close(&c);
    CHECK_EQ(dev_snapshot().violations, 0);
}

static void test_unlink(void)
{
    struct usbip_client c;
    struct usbip_urb_hdr h;
    uint8_t s[8], buf[64];
    uint32_t seq, useq;

    REQ(import(&c) == 0);
    /* the device holds its answer; the host gives up and unlinks */
    usbip_setup_bytes(s, 0xC0, 0x04, 0, 0, 16);
    REQ(usbip_client_submit(&c, s, NULL, &seq) == 0);
    CHECK_EQ(usbip_client_recv(&c, &h, buf, sizeof(buf), 200), -ETIMEDOUT);
    REQ(usbip_client_unlink(&c, seq, &useq) == 0);
    CHECK_EQ(usbip_client_recv(&c, &h, buf, sizeof(buf), TMO), 0);
    CHECK_EQ(h.command, USBIP_RET_UNLINK);
    CHECK_EQ(h.seqnum, useq);
    CHECK_EQ(h.status, -ECONNRESET);
    /* a late answer from the device does not reach the host */
    rig_lock(&rig);
    CHECK_EQ(testdev_answer_pending(&rig.dev, 16), 0);
    rig_unlock(&rig);
    CHECK_EQ(usbip_client_recv(&c, &h, buf, sizeof(buf), 300), -ETIMEDOUT);
    /* unlinking something already finished: status 0 */
    CHECK_EQ(ctrl(&c, 0x80, 6, 0x0100, 0, 18, buf), 18);
    REQ(usbip_client_unlink(&c, c.seqnum, &useq) == 0);
    CHECK_EQ(usbip_client_recv(&c, &h, buf, sizeof(buf), TMO), 0);
    CHECK_EQ(h.command, USBIP_RET_UNLINK);
    CHECK_EQ(h.status, 0);
    /* a queued transfer behind a held one can be unlinked too */
    {
        uint32_t seq1, seq2, seq3;
        uint8_t s2[8];

        usbip_setup_bytes(s, 0xC0, 0x04, 0, 0, 16);
        usbip_setup_bytes(s2, 0x80, 6, 0x0100, 0, 18);
        REQ(usbip_client_submit(&c, s, NULL, &seq1) == 0);
        REQ(usbip_client_submit(&c, s2, NULL, &seq2) == 0);
        REQ(usbip_client_submit(&c, s2, NULL, &seq3) == 0);
        usleep(100 * 1000);
        REQ(usbip_client_unlink(&c, seq2, &useq) == 0);
        CHECK_EQ(usbip_client_recv(&c, &h, buf, sizeof(buf), TMO), 0);
        CHECK_EQ(h.command, USBIP_RET_UNLINK);
        CHECK_EQ(h.status, -ECONNRESET);
        /* the device answers the held one: then the third runs */
        rig_lock(&rig);
        CHECK_EQ(testdev_answer_pending(&rig.dev, 5), 0);
        rig_unlock(&rig);
        CHECK_EQ(usbip_client_recv(&c, &h, buf, sizeof(buf), TMO), 0);
        CHECK_EQ(h.seqnum, seq1);
        CHECK_EQ(h.actual_length, 5);
        CHECK_EQ(buf[4], 0xA5);
        CHECK_EQ(usbip_client_recv(&c, &h, buf, sizeof(buf), TMO), 0);
        CHECK_EQ(h.seqnum, seq3);
        CHECK_EQ(h.actual_length, 18);
    }
    /* the client's own timeout path: unlink and report -ETIMEDOUT */
    usbip_setup_bytes(s, 0xC0, 0x04, 0, 0, 16);
    CHECK_EQ(usbip_client_control(&c, s, buf, 200), -ETIMEDOUT);
    CHECK(c.fd >= 0);
    CHECK_EQ(ctrl(&c, 0x80, 6, 0x0100, 0, 18, buf), 18);
    usbip_client_close(&c);
    CHECK(stats_snapshot().unlinked >= 3);
    CHECK_EQ(dev_snapshot().violations, 0);
}

static void test_detach(void)
{
    struct usbip_client c;
    struct usbip_urb_hdr h;
    uint8_t buf[64];
    struct usbip_dev_info d;

    REQ(import(&c) == 0);
    /* device-driven re-enumeration: the reply arrives, then the link drops */
    CHECK_EQ(ctrl(&c, 0x40, 0x05, 0, 0, 0, NULL), 0);
    CHECK_EQ(usbip_client_recv(&c, &h, buf, sizeof(buf), TMO), -ECONNRESET);
    usbip_client_close(&c);
    /* attached again right away: listed and importable */
    CHECK_EQ(usbip_devlist("127.0.0.1", rig.port, &d, 1, TMO), 1);
    REQ(import(&c) == 0);
    CHECK_EQ(ctrl(&c, 0x80, 6, 0x0100, 0, 18, buf), 18);
    usbip_client_close(&c);
}

static void test_hostile(void)
{
    uint8_t buf[512];
    struct usb_device d0 = dev_snapshot();
    struct usbip_server_stats s0 = stats_snapshot();
    int fd;

    /* garbage instead of an operation */
    fd = raw_connect();
    REQ(fd >= 0);
    memset(buf, 0xEE, sizeof(buf));
    send(fd, buf, sizeof(buf), MSG_NOSIGNAL);
    CHECK(closed_by_server(fd, TMO));
    close(fd);
    /* right version, unknown operation */
    fd = raw_connect();
    usbip_put_op_hdr(buf, 0x8123, 0);
    send_raw(fd, buf, 8);
    CHECK(closed_by_server(fd, TMO));
    close(fd);
    /* connect and vanish, mid-header */
    fd = raw_connect();
    send_raw(fd, buf, 3);
    close(fd);
    /* imported, then an unknown URB command */
    fd = raw_connect();
    raw_import(fd);
    memset(buf, 0, 48);
    put_be32(buf, 77);
    send_raw(fd, buf, 48);
    CHECK(closed_by_server(fd, TMO));
    close(fd);
    /* imported, OUT length far beyond the bound: closed, nothing read */
    fd = raw_connect();
    raw_import(fd);
    {
        struct usbip_urb_hdr h = { 0 };

        h.command = USBIP_CMD_SUBMIT;
        h.seqnum = 1;
        h.direction = USBIP_DIR_OUT;
        h.length = 0x40000000;
        usbip_setup_bytes(h.setup, 0x40, 0x01, 0, 0, 0xFFFF);
        usbip_put_urb_hdr(buf, &h);
        send_raw(fd, buf, 48);
        CHECK(closed_by_server(fd, TMO));
        close(fd);
        /* IN length beyond 16 bits */
        fd = raw_connect();
        raw_import(fd);
        h.direction = USBIP_DIR_IN;
        h.length = 0x10000;
        usbip_setup_bytes(h.setup, 0xC0, 0x02, 0, 0, 0xFFFF);
        usbip_put_urb_hdr(buf, &h);
        send_raw(fd, buf, 48);
        CHECK(closed_by_server(fd, TMO));
        close(fd);
        /* isochronous packet count */
        fd = raw_connect();
        raw_import(fd);
        h.length = 8;
        h.npackets = 5;
        usbip_put_urb_hdr(buf, &h);
        send_raw(fd, buf, 48);
        CHECK(closed_by_server(fd, TMO));
        close(fd);
        /* an OUT transfer cut in the middle of its data stage */
        fd = raw_connect();
        raw_import(fd);
        h.npackets = 0;
        h.direction = USBIP_DIR_OUT;
        h.length = 1000;
        usbip_setup_bytes(h.setup, 0x40, 0x01, 0, 0, 1000);
        usbip_put_urb_hdr(buf, &h);
        send_raw(fd, buf, 48);
        send_raw(fd, buf, 100);
        close(fd);
    }
    /* many connections at once, idle: the server keeps serving */
    int fds[40];
    for (int i = 0; i < 40; i++)
        fds[i] = raw_connect();
    usleep(100 * 1000);
    struct usbip_dev_info d;
    CHECK_EQ(usbip_devlist("127.0.0.1", rig.port, &d, 1, TMO), 1);
    for (int i = 0; i < 40; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    /* none of this reached the device beyond enumeration reads */
    struct usbip_client c;
    usleep(100 * 1000);
    struct usb_device d1 = dev_snapshot();
    CHECK_EQ(d1.vendor_setups, d0.vendor_setups);
    CHECK_EQ(d1.outs, d0.outs);
    CHECK_EQ(d1.violations, 0);
    CHECK(stats_snapshot().protocol_errors >= s0.protocol_errors + 6);
    /* and the device still works */
    REQ(import(&c) == 0);
    CHECK_EQ(ctrl(&c, 0x80, 6, 0x0100, 0, 18, buf), 18);
    CHECK_EQ(ctrl(&c, 0x40, 0x01, 0, 0, 4, "abcd"), 4);
    CHECK_EQ(ctrl(&c, 0xC0, 0x02, 0, 0, 64, buf), 4);
    CHECK(memcmp(buf, "abcd", 4) == 0);
    usbip_client_close(&c);
}

/* Random byte strings after an import: the server must survive them. */
static void test_fuzz(void)
{
    uint32_t seed = 12345;
    uint8_t buf[256];

    for (int round = 0; round < 200; round++) {
        int fd = raw_connect();
        size_t n;

        REQ(fd >= 0);
        if (round & 1)
            raw_import(fd);
        seed = seed * 1103515245u + 12345u;
        n = 1 + (seed >> 16) % sizeof(buf);
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            buf[i] = (uint8_t)(seed >> 16);
        }
        /* sometimes a plausible header with random fields */
        if (round % 3 == 0 && n >= 48) {
            put_be32(buf, 1 + (round % 2));
            put_be32(buf + 16, 0);
        }
        send(fd, buf, n, MSG_NOSIGNAL);
        close(fd);
    }
    struct usbip_client c;
    usleep(200 * 1000);
    REQ(import(&c) == 0);
    CHECK_EQ(ctrl(&c, 0x80, 6, 0x0100, 0, 18, buf), 18);
    usbip_client_close(&c);
}

/* The server can take over an already-listening socket (kept by the
 * virtual board across restarts of the firmware process). */
static void test_listen_fd(void)
{
    struct sockaddr_in sa = { .sin_family = AF_INET };
    socklen_t sl = sizeof(sa);
    int lfd = socket(AF_INET, SOCK_STREAM, 0), port;
    struct usbip_dev_info d;

    REQ(lfd >= 0);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQ(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
    REQ(listen(lfd, 4) == 0);
    REQ(getsockname(lfd, (struct sockaddr *)&sa, &sl) == 0);
    port = ntohs(sa.sin_port);
    for (int gen = 0; gen < 2; gen++) {
        struct rig r2;

        REQ(rig_start(&r2, lfd) == 0);
        CHECK_EQ(r2.port, port);
        CHECK_EQ(usbip_devlist("127.0.0.1", port, &d, 1, TMO), 1);
        rig_stop(&r2);
    }
    close(lfd);
}

int main(void)
{
    REQ(rig_start(&rig, -1) == 0);
    REQ(rig.port > 0);
    test_devlist();
    test_import_and_control();
    test_unlink();
    test_detach();
    test_hostile();
    test_fuzz();
    test_listen_fd();
    rig_stop(&rig);
    CHECK_DONE();
}
