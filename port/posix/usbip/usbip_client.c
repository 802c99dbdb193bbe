/* USB/IP client: see usbip_client.h. */
#include "port/posix/usbip/usbip_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Once a reply has started, the rest of it must follow within this time;
 * otherwise the stream is out of step and the connection is closed. */
#define REST_OF_PACKET_MS 2000

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int usbip_parse_addr(const char *spec, char *host, unsigned host_size, int *port)
{
    const char *colon;
    size_t hl;

    *port = USBIP_DEFAULT_PORT;
    if (!spec || !*spec)
        spec = "127.0.0.1";
    colon = strrchr(spec, ':');
    hl = colon ? (size_t)(colon - spec) : strlen(spec);
    if (hl == 0 || hl >= host_size)
        return -EINVAL;
    memcpy(host, spec, hl);
    host[hl] = 0;
    if (colon) {
        char *end;
        long p = strtol(colon + 1, &end, 10);

        if (*end || p <= 0 || p > 65535)
            return -EINVAL;
        *port = (int)p;
    }
    return 0;
}

/* Waits until fd is ready for `events` or the deadline passes. */
static int wait_fd(int fd, short events, int64_t deadline)
{
    for (;;) {
        struct pollfd p = { .fd = fd, .events = events };
        int64_t left = deadline - now_ms();
        int r;

        if (left < 0)
            left = 0;
        r = poll(&p, 1, (int)left);
        if (r > 0)
            return 0;
        if (r == 0)
            return -ETIMEDOUT;
        if (errno != EINTR)
            return -errno;
    }
}

static int send_all(int fd, const void *buf, size_t len, int64_t deadline)
{
    const uint8_t *p = buf;

    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

        if (n > 0) {
            p += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int r = wait_fd(fd, POLLOUT, deadline);

            if (r < 0)
                return r;
            continue;
        }
        return -ECONNRESET;
    }
    return 0;
}

/* Reads exactly len bytes. The first byte may take until `deadline`; the
 * rest must follow promptly. Returns -ETIMEDOUT only if nothing was read. */
static int recv_all(int fd, void *buf, size_t len, int64_t deadline)
{
    uint8_t *p = buf;
    size_t got = 0;

    while (got < len) {
        ssize_t n = recv(fd, p + got, len - got, 0);

        if (n > 0) {
            if (got == 0)
                deadline = now_ms() + REST_OF_PACKET_MS;
            got += (size_t)n;
            continue;
        }
        if (n == 0)
            return -ECONNRESET;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            int r = wait_fd(fd, POLLIN, deadline);

            if (r == -ETIMEDOUT && got > 0)
                return -EPROTO;
            if (r < 0)
                return r;
            continue;
        }
        return -ECONNRESET;
    }
    return 0;
}

int usbip_client_connect(struct usbip_client *c, const char *host, int port, int timeout_ms)
{
    struct sockaddr_in sa;
    int fd, one = 1, err = 0;
    socklen_t el = sizeof(err);

    c->fd = -1;
    c->seqnum = 0;
    c->devid = 0;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host ? host : "127.0.0.1", &sa.sin_addr) != 1) {
        struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, *res = NULL;

        if (getaddrinfo(host, NULL, &hints, &res) != 0 || !res)
            return -EINVAL;
        sa.sin_addr = ((struct sockaddr_in *)res->ai_addr)->sin_addr;
        freeaddrinfo(res);
    }
    fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        if (errno != EINPROGRESS) {
            err = errno;
            close(fd);
            return -err;
        }
        if (wait_fd(fd, POLLOUT, now_ms() + timeout_ms) < 0) {
            close(fd);
            return -ETIMEDOUT;
        }
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err) {
            close(fd);
            return err ? -err : -ECONNREFUSED;
        }
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->fd = fd;
    return 0;
}

void usbip_client_close(struct usbip_client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

int usbip_devlist(const char *host, int port, struct usbip_dev_info *devs, int max, int timeout_ms)
{
    struct usbip_client c;
    uint8_t hdr[12], rec[USBIP_DEV_RECORD_SIZE], intf[USBIP_INTF_RECORD_SIZE];
    int64_t deadline = now_ms() + timeout_ms;
    uint32_t ndev;
    int r;

    r = usbip_client_connect(&c, host, port, timeout_ms);
    if (r < 0)
        return r;
    usbip_put_op_hdr(hdr, USBIP_OP_REQ_DEVLIST, 0);
    r = send_all(c.fd, hdr, USBIP_OP_HDR_SIZE, deadline);
    if (r == 0)
        r = recv_all(c.fd, hdr, sizeof(hdr), deadline);
    if (r < 0)
        goto out;
    if (get_be16(hdr + 2) != USBIP_OP_REP_DEVLIST || get_be32(hdr + 4) != USBIP_ST_OK) {
        r = -EPROTO;
        goto out;
    }
    ndev = get_be32(hdr + 8);
    if (ndev > 256) {
        r = -EPROTO;
        goto out;
    }
    for (uint32_t i = 0; i < ndev; i++) {
        struct usbip_dev_info d;

        r = recv_all(c.fd, rec, sizeof(rec), deadline);
        if (r < 0)
            goto out;
        usbip_get_dev_record(rec, &d);
        for (unsigned k = 0; k < d.bNumInterfaces; k++) {
            r = recv_all(c.fd, intf, sizeof(intf), deadline);
            if (r < 0)
                goto out;
            if (k < USBIP_MAX_INTERFACES)
                memcpy(d.intf[k], intf, 3);
        }
        if ((int)i < max)
            devs[i] = d;
    }
    r = (int)ndev;
out:
    usbip_client_close(&c);
    return r;
}

int usbip_client_import(struct usbip_client *c, const char *busid, struct usbip_dev_info *info, int timeout_ms)
{
    uint8_t req[USBIP_OP_HDR_SIZE + USBIP_BUSID_SIZE], hdr[USBIP_OP_HDR_SIZE], rec[USBIP_DEV_RECORD_SIZE];
    int64_t deadline = now_ms() + timeout_ms;
    struct usbip_dev_info d;
    uint32_t st;
    int r;

    if (c->fd < 0)
        return -ENOTCONN;
    memset(req, 0, sizeof(req));
    usbip_put_op_hdr(req, USBIP_OP_REQ_IMPORT, 0);
    memcpy(req + USBIP_OP_HDR_SIZE, busid, strnlen(busid, USBIP_BUSID_SIZE - 1));
    r = send_all(c->fd, req, sizeof(req), deadline);
    if (r == 0)
        r = recv_all(c->fd, hdr, sizeof(hdr), deadline);
    if (r < 0)
        return r;
    if (get_be16(hdr + 2) != USBIP_OP_REP_IMPORT)
        return -EPROTO;
    st = get_be32(hdr + 4);
    if (st != USBIP_ST_OK)
        return st == USBIP_ST_BUSY ? -EBUSY : -ENODEV;
    r = recv_all(c->fd, rec, sizeof(rec), deadline);
    if (r < 0)
        return r;
    usbip_get_dev_record(rec, &d);
    c->devid = (d.busnum << 16) | (d.devnum & 0xffff);
    if (info)
        *info = d;
    return 0;
}

int usbip_client_submit(struct usbip_client *c, const uint8_t setup[8], const void *out, uint32_t *seqnum)
{
    struct usbip_urb_hdr h = { 0 };
    uint8_t raw[USBIP_URB_HDR_SIZE];
    uint16_t wlength = get_le16(setup + 6);
    int64_t deadline = now_ms() + 5000;
    int r;

    if (c->fd < 0)
        return -ENOTCONN;
    h.command = USBIP_CMD_SUBMIT;
    h.seqnum = ++c->seqnum;
    h.devid = c->devid;
    h.direction = (setup[0] & 0x80) ? USBIP_DIR_IN : USBIP_DIR_OUT;
    h.ep = 0;
    h.length = wlength;
    memcpy(h.setup, setup, 8);
    usbip_put_urb_hdr(raw, &h);
    r = send_all(c->fd, raw, sizeof(raw), deadline);
    if (r == 0 && h.direction == USBIP_DIR_OUT && wlength > 0)
        r = send_all(c->fd, out, wlength, deadline);
    if (r < 0)
        return r;
    if (seqnum)
        *seqnum = h.seqnum;
    return 0;
}

int usbip_client_unlink(struct usbip_client *c, uint32_t seqnum, uint32_t *unlink_seqnum)
{
    struct usbip_urb_hdr h = { 0 };
    uint8_t raw[USBIP_URB_HDR_SIZE];
    int r;

    if (c->fd < 0)
        return -ENOTCONN;
    h.command = USBIP_CMD_UNLINK;
    h.seqnum = ++c->seqnum;
    h.devid = c->devid;
    h.unlink_seqnum = seqnum;
    usbip_put_urb_hdr(raw, &h);
    r = send_all(c->fd, raw, sizeof(raw), now_ms() + 5000);
    if (r < 0)
        return r;
    if (unlink_seqnum)
        *unlink_seqnum = h.seqnum;
    return 0;
}

int usbip_client_recv(struct usbip_client *c, struct usbip_urb_hdr *h, void *in, uint32_t max, int timeout_ms)
{
    uint8_t raw[USBIP_URB_HDR_SIZE];
    int64_t deadline = now_ms() + timeout_ms;
    int r;

    if (c->fd < 0)
        return -ENOTCONN;
    r = recv_all(c->fd, raw, sizeof(raw), deadline);
    if (r == -ETIMEDOUT)
        return r;
    if (r < 0)
        goto broken;
    usbip_get_urb_hdr(raw, h);
    if (h->command == USBIP_RET_UNLINK)
        return 0;
    if (h->command != USBIP_RET_SUBMIT) {
        r = -EPROTO;
        goto broken;
    }
    if (h->direction == USBIP_DIR_IN && h->actual_length > 0) {
        if (h->actual_length > max) {
            r = -EPROTO;
            goto broken;
        }
        r = recv_all(c->fd, in, h->actual_length, now_ms() + REST_OF_PACKET_MS);
        if (r < 0)
            goto broken;
    }
    return 0;
broken:
    /* the stream is out of step or gone: nothing more can be trusted */
    usbip_client_close(c);
    return r == -EPROTO ? r : -ECONNRESET;
}

int usbip_client_control(struct usbip_client *c, const uint8_t setup[8], void *data, int timeout_ms)
{
    struct usbip_urb_hdr h;
    uint16_t wlength = get_le16(setup + 6);
    int is_in = (setup[0] & 0x80) != 0;
    uint32_t seq, useq;
    int64_t deadline;
    int r;

    r = usbip_client_submit(c, setup, data, &seq);
    if (r < 0)
        return r;
    deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 24 * 3600 * 1000);
    for (;;) {
        int64_t left = deadline - now_ms();

        r = usbip_client_recv(c, &h, data, is_in ? wlength : 0, left > 0 ? (int)left : 0);
        if (r == -ETIMEDOUT)
            break;
        if (r < 0)
            return r;
        if (h.command == USBIP_RET_SUBMIT && h.seqnum == seq) {
            if (h.status != 0)
                return h.status;
            if (h.actual_length > wlength)
                return -EPROTO;
            return is_in ? (int)h.actual_length : (int)(h.actual_length ? h.actual_length : 0);
        }
        /* a late reply to an earlier, unlinked transfer: skip it */
    }
    /* timed out: cancel the transfer, as a host controller driver does */
    r = usbip_client_unlink(c, seq, &useq);
    if (r < 0)
        return -ETIMEDOUT;
    for (;;) {
        r = usbip_client_recv(c, &h, data, is_in ? wlength : 0, 1000);
        if (r < 0) {
            if (r == -ETIMEDOUT)
                usbip_client_close(c);
            return -ETIMEDOUT;
        }
        if (h.command == USBIP_RET_UNLINK && h.seqnum == useq)
            return -ETIMEDOUT;
    }
}
