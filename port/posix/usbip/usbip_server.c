/* USB/IP server: see usbip_server.h. */
#include "port/posix/usbip/usbip_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "port/posix/irq_context.h"
#include "port/posix/usbip/usbip_proto.h"

#define MAX_CONNS 16
#define MAX_QUEUED_URBS 32
#define MAX_TX_BYTES (1u << 20)
#define PREIMPORT_IDLE_MS 10000
#define FLUSH_BEFORE_STATUS_MS 1000
#define MAX_CONFIG_DESC 4096

enum rx_phase {
    RX_OP_HDR,     /* 8-byte operation header */
    RX_IMPORT_BUSID, /* 32-byte bus id of OP_REQ_IMPORT */
    RX_URB_HDR,    /* 48-byte URB header */
    RX_URB_DATA,   /* OUT data of a CMD_SUBMIT */
};

struct urb {
    struct urb *next;
    uint32_t seqnum, devid, direction, ep, length;
    uint8_t setup[8];
    uint8_t *data; /* OUT data (length bytes) */
};

struct conn {
    int fd;
    int imported;
    int closing;   /* close once tx is flushed */
    uint64_t deadline_ms;
    enum rx_phase phase;
    uint8_t hdr[USBIP_URB_HDR_SIZE];
    uint32_t need, have;
    struct urb *rx_urb; /* being filled in RX_URB_DATA */
    uint8_t *tx;
    size_t tx_len, tx_off, tx_cap;
};

enum answer { ANS_NONE, ANS_SEND, ANS_STATUS, ANS_STALL };

struct usbip_server {
    struct usbip_server_config cfg;
    struct usb_dc_ops ops;
    struct usb_device *dev;
    char busid[USBIP_BUSID_SIZE];
    int listen_fd, own_listen, port;
    int wake_fd; /* polled for the caller, see usbip_server_set_wake_fd */
    struct conn conns[MAX_CONNS];
    struct conn *imp; /* the importing connection, if any */
    struct urb *queue, *queue_tail;
    unsigned queued;
    /* A control transfer was completed in this poll: the next one waits for
     * the next poll, so the firmware's main loop (its dfu_task()) runs
     * between two transfers, as it would between two interrupts. */
    int yielded;
    /* the control transfer the device is working on */
    struct urb *cur;
    enum answer ans;
    uint8_t *ans_data;
    uint32_t ans_len;
    int want_out;        /* the core asked for the OUT data stage */
    /* internal descriptor reads */
    int capturing;
    /* device state as seen on the bus */
    int attached, drop_pending;
    uint8_t address, configuration;
    struct usbip_dev_info info;
    int have_info, info_stale;
    struct usbip_server_stats stats;
};

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void logf_(struct usbip_server *srv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void logf_(struct usbip_server *srv, const char *fmt, ...)
{
    va_list ap;

    if (!srv->cfg.verbose)
        return;
    fprintf(stderr, "usbip: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* ---- core callbacks -------------------------------------------------- */

static int dc_ep0_send(void *ctx, const void *data, uint16_t len)
{
    struct usbip_server *srv = ctx;

    if (srv->ans != ANS_NONE || (!srv->cur && !srv->capturing))
        return -1;
    free(srv->ans_data);
    srv->ans_data = NULL;
    srv->ans_len = 0;
    if (len > 0) {
        srv->ans_data = malloc(len);
        if (!srv->ans_data)
            return -1;
        memcpy(srv->ans_data, data, len);
        srv->ans_len = len;
    }
    srv->ans = ANS_SEND;
    return 0;
}

static int dc_ep0_receive(void *ctx, void *buf, uint16_t len)
{
    struct usbip_server *srv = ctx;

    (void)buf;
    (void)len;
    if (!srv->cur || srv->ans != ANS_NONE)
        return -1;
    srv->want_out = 1;
    return 0;
}

static int dc_ep0_status(void *ctx)
{
    struct usbip_server *srv = ctx;

    if (srv->ans != ANS_NONE || (!srv->cur && !srv->capturing))
        return -1;
    srv->ans = ANS_STATUS;
    return 0;
}

static int dc_ep0_stall(void *ctx)
{
    struct usbip_server *srv = ctx;

    if (srv->ans != ANS_NONE || (!srv->cur && !srv->capturing))
        return -1;
    srv->ans = ANS_STALL;
    return 0;
}

static int dc_set_address(void *ctx, uint8_t addr)
{
    struct usbip_server *srv = ctx;

    srv->address = addr;
    return 0;
}

static int dc_detach(void *ctx)
{
    struct usbip_server *srv = ctx;

    srv->attached = 0;
    srv->drop_pending = 1;
    return 0;
}

static int dc_attach(void *ctx)
{
    struct usbip_server *srv = ctx;

    srv->attached = 1;
    srv->info_stale = 1;
    return 0;
}

/* ---- connections ----------------------------------------------------- */

static void free_urb(struct urb *u)
{
    if (u) {
        free(u->data);
        free(u);
    }
}

static void clear_queue(struct usbip_server *srv)
{
    while (srv->queue) {
        struct urb *u = srv->queue;

        srv->queue = u->next;
        free_urb(u);
    }
    srv->queue_tail = NULL;
    srv->queued = 0;
}

static void conn_close(struct usbip_server *srv, struct conn *c)
{
    if (c->fd < 0)
        return;
    close(c->fd);
    c->fd = -1;
    free_urb(c->rx_urb);
    c->rx_urb = NULL;
    free(c->tx);
    c->tx = NULL;
    c->tx_len = c->tx_off = c->tx_cap = 0;
    if (srv->imp == c) {
        /* The device stays in whatever state it was, as on a real bus
         * when a program exits (see handle_import). A transfer the device
         * still works on is forgotten: its late answer is ignored. */
        srv->imp = NULL;
        clear_queue(srv);
        free_urb(srv->cur);
        srv->cur = NULL;
        srv->stats.drops++;
        logf_(srv, "imported connection closed");
    }
}

static void conn_error(struct usbip_server *srv, struct conn *c, const char *why)
{
    srv->stats.protocol_errors++;
    logf_(srv, "closing connection: %s", why);
    conn_close(srv, c);
}

static int conn_queue_tx(struct usbip_server *srv, struct conn *c, const void *a, size_t alen, const void *b,
                         size_t blen)
{
    size_t pending = c->tx_len - c->tx_off;

    if (pending + alen + blen > MAX_TX_BYTES) {
        conn_error(srv, c, "peer does not read its replies");
        return -1;
    }
    if (c->tx_off > 0) {
        memmove(c->tx, c->tx + c->tx_off, pending);
        c->tx_len = pending;
        c->tx_off = 0;
    }
    if (c->tx_len + alen + blen > c->tx_cap) {
        size_t cap = c->tx_len + alen + blen + 4096;
        uint8_t *n = realloc(c->tx, cap);

        if (!n) {
            conn_error(srv, c, "out of memory");
            return -1;
        }
        c->tx = n;
        c->tx_cap = cap;
    }
    if (alen)
        memcpy(c->tx + c->tx_len, a, alen);
    c->tx_len += alen;
    if (blen)
        memcpy(c->tx + c->tx_len, b, blen);
    c->tx_len += blen;
    return 0;
}

/* Writes what the socket takes now. Returns -1 if the connection closed. */
static int conn_flush(struct usbip_server *srv, struct conn *c)
{
    while (c->fd >= 0 && c->tx_off < c->tx_len) {
        ssize_t n = send(c->fd, c->tx + c->tx_off, c->tx_len - c->tx_off, MSG_NOSIGNAL);

        if (n > 0) {
            c->tx_off += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return 0;
        } else {
            logf_(srv, "send: %s", n < 0 ? strerror(errno) : "closed");
            conn_close(srv, c);
            return -1;
        }
    }
    if (c->fd >= 0 && c->tx_off == c->tx_len && c->closing) {
        conn_close(srv, c);
        return -1;
    }
    return 0;
}

/* Flushes with waiting, for replies that must reach the host before the
 * device acts on them (a reboot after a status stage). */
static void conn_flush_wait(struct usbip_server *srv, struct conn *c, int max_ms)
{
    uint64_t end = now_ms() + (uint64_t)max_ms;

    while (c->fd >= 0 && c->tx_off < c->tx_len) {
        struct pollfd p = { .fd = c->fd, .events = POLLOUT };
        uint64_t t = now_ms();

        if (t >= end)
            break;
        if (poll(&p, 1, (int)(end - t)) < 0 && errno != EINTR)
            break;
        if (conn_flush(srv, c) < 0)
            break;
    }
}

/* ---- events into the device core ------------------------------------- */

/* Each event reaches the core as a controller interrupt would: bracketed,
 * so the simulated flash can check that nothing slow runs inside
 * (usb/usb_dc.h). */
static void ev_setup(struct usbip_server *srv, const struct usb_setup *s)
{
    irq_context_enter("setup");
    usbd_setup(srv->dev, s);
    irq_context_exit();
}

static void ev_ep0_out(struct usbip_server *srv, const void *data, uint16_t len)
{
    irq_context_enter("OUT data");
    usbd_ep0_out(srv->dev, data, len);
    irq_context_exit();
}

static void ev_status_done(struct usbip_server *srv)
{
    irq_context_enter("status done");
    usbd_status_done(srv->dev);
    irq_context_exit();
}

static void ev_bus_reset(struct usbip_server *srv)
{
    irq_context_enter("bus reset");
    usbd_bus_reset(srv->dev);
    irq_context_exit();
}

/* ---- device information (from the device itself) --------------------- */

/* One GET_DESCRIPTOR through the core with the answer captured here instead
 * of going to a host. Only when no host transfer is in progress. */
static int capture_descriptor(struct usbip_server *srv, uint8_t type, uint16_t wlength, uint8_t *out, uint32_t *len)
{
    struct usb_setup s = { 0x80, 6, (uint16_t)(type << 8), 0, wlength };
    enum answer a;

    if (!srv->dev || srv->cur)
        return -1;
    srv->ans = ANS_NONE;
    srv->capturing = 1;
    ev_setup(srv, &s);
    srv->capturing = 0;
    a = srv->ans;
    srv->ans = ANS_NONE;
    if (a != ANS_SEND) {
        free(srv->ans_data);
        srv->ans_data = NULL;
        return -1;
    }
    *len = srv->ans_len < wlength ? srv->ans_len : wlength;
    memcpy(out, srv->ans_data, *len);
    free(srv->ans_data);
    srv->ans_data = NULL;
    srv->ans_len = 0;
    ev_status_done(srv);
    return 0;
}

static void refresh_info(struct usbip_server *srv)
{
    uint8_t dd[18];
    uint8_t *cd;
    uint32_t n = 0, total, off;
    struct usbip_dev_info *d = &srv->info;

    if (srv->cur || !srv->dev)
        return;
    cd = malloc(MAX_CONFIG_DESC);
    if (!cd)
        return;
    /* wLength 18, not 64: a 64-byte device-descriptor read is what a host
     * starts an enumeration with, which this controller takes as a bus
     * reset (see start_urb). */
    if (capture_descriptor(srv, 1, 18, dd, &n) < 0 || n < 18 || dd[1] != 1)
        goto out;
    if (capture_descriptor(srv, 2, 9, cd, &n) < 0 || n < 9 || cd[1] != 2)
        goto out;
    total = get_le16(cd + 2);
    if (total < 9 || total > MAX_CONFIG_DESC)
        goto out;
    if (capture_descriptor(srv, 2, (uint16_t)total, cd, &n) < 0 || n < 9)
        goto out;
    memset(d, 0, sizeof(*d));
    snprintf(d->path, sizeof(d->path), "/sys/devices/platform/dfuboot-vboard/usb1/%s", srv->busid);
    snprintf(d->busid, sizeof(d->busid), "%s", srv->busid);
    d->busnum = 1;
    d->devnum = 2;
    d->speed = USBIP_SPEED_FULL;
    d->idVendor = get_le16(dd + 8);
    d->idProduct = get_le16(dd + 10);
    d->bcdDevice = get_le16(dd + 12);
    d->bDeviceClass = dd[4];
    d->bDeviceSubClass = dd[5];
    d->bDeviceProtocol = dd[6];
    d->bNumConfigurations = dd[17];
    d->bNumInterfaces = cd[4];
    /* interface triples: alternate setting 0 of each interface, in order */
    unsigned k = 0;
    for (off = 0; off + 2 <= n;) {
        uint8_t bl = cd[off], bt = cd[off + 1];

        if (bl < 2 || off + bl > n)
            break;
        if (bt == 4 && bl >= 9 && cd[off + 3] == 0 && k < USBIP_MAX_INTERFACES) {
            d->intf[k][0] = cd[off + 5];
            d->intf[k][1] = cd[off + 6];
            d->intf[k][2] = cd[off + 7];
            k++;
        }
        off += bl;
    }
    if (d->bNumInterfaces > k)
        d->bNumInterfaces = (uint8_t)k;
    srv->have_info = 1;
    srv->info_stale = 0;
out:
    free(cd);
}

static void fill_record(struct usbip_server *srv, uint8_t *rec)
{
    struct usbip_dev_info d = srv->info;

    d.bConfigurationValue = srv->configuration;
    usbip_put_dev_record(rec, &d);
}

/* ---- operations before import ---------------------------------------- */

static void bus_reset(struct usbip_server *srv)
{
    srv->address = 0;
    srv->configuration = 0;
    srv->stats.bus_resets++;
    if (srv->dev)
        ev_bus_reset(srv);
}

static void handle_devlist(struct usbip_server *srv, struct conn *c)
{
    uint8_t hdr[12];
    uint8_t *body;
    size_t blen = 0;
    uint32_t ndev = 0;

    srv->stats.devlists++;
    if (srv->attached && (!srv->have_info || (srv->info_stale && !srv->cur) || !srv->imp))
        refresh_info(srv);
    if (srv->attached && srv->have_info)
        ndev = 1;
    body = calloc(1, USBIP_DEV_RECORD_SIZE + USBIP_MAX_INTERFACES * USBIP_INTF_RECORD_SIZE);
    if (!body) {
        conn_close(srv, c);
        return;
    }
    if (ndev) {
        fill_record(srv, body);
        blen = USBIP_DEV_RECORD_SIZE;
        for (unsigned i = 0; i < srv->info.bNumInterfaces; i++) {
            memcpy(body + blen, srv->info.intf[i], 3);
            blen += USBIP_INTF_RECORD_SIZE;
        }
    }
    usbip_put_op_hdr(hdr, USBIP_OP_REP_DEVLIST, USBIP_ST_OK);
    put_be32(hdr + 8, ndev);
    c->closing = 1;
    if (conn_queue_tx(srv, c, hdr, sizeof(hdr), body, blen) == 0)
        conn_flush(srv, c);
    free(body);
}

static void handle_import(struct usbip_server *srv, struct conn *c, const uint8_t *busid)
{
    uint8_t hdr[USBIP_OP_HDR_SIZE], rec[USBIP_DEV_RECORD_SIZE];
    char want[USBIP_BUSID_SIZE];
    uint32_t status = USBIP_ST_OK;

    memcpy(want, busid, USBIP_BUSID_SIZE);
    want[USBIP_BUSID_SIZE - 1] = 0;
    if (strcmp(want, srv->busid) != 0 || !srv->attached)
        status = USBIP_ST_NA;
    else if (srv->imp)
        status = USBIP_ST_BUSY;
    if (status == USBIP_ST_OK) {
        /* A device no host has configured gets the port reset a real
         * hub gives on attach. A configured one is handed over as it is:
         * every program using the libusb replacement imports the device
         * anew, and a real kernel keeps a device enumerated across the
         * programs that open it (a completed DFU download leaves DFU
         * mode at the next reset). A host that enumerates it again still
         * resets it: see the GET_DESCRIPTOR(device, 64) rule in start_urb. */
        if (srv->configuration == 0)
            bus_reset(srv);
        refresh_info(srv);
        if (!srv->have_info)
            status = USBIP_ST_NA;
    }
    usbip_put_op_hdr(hdr, USBIP_OP_REP_IMPORT, status);
    if (status != USBIP_ST_OK) {
        srv->stats.import_refused++;
        logf_(srv, "import of \"%s\" refused (%u)", want, (unsigned)status);
        c->closing = 1;
        if (conn_queue_tx(srv, c, hdr, sizeof(hdr), NULL, 0) == 0)
            conn_flush(srv, c);
        return;
    }
    srv->stats.imports++;
    fill_record(srv, rec);
    c->imported = 1;
    srv->imp = c;
    c->phase = RX_URB_HDR;
    c->need = USBIP_URB_HDR_SIZE;
    c->have = 0;
    logf_(srv, "device %s imported", srv->busid);
    if (conn_queue_tx(srv, c, hdr, sizeof(hdr), rec, sizeof(rec)) == 0)
        conn_flush(srv, c);
}

/* ---- URBs -------------------------------------------------------------- */

static void send_ret_submit(struct usbip_server *srv, const struct urb *u, int32_t status, const uint8_t *data,
                            uint32_t len)
{
    struct usbip_urb_hdr h = { 0 };
    uint8_t raw[USBIP_URB_HDR_SIZE];

    if (!srv->imp)
        return;
    h.command = USBIP_RET_SUBMIT;
    h.seqnum = u->seqnum;
    h.devid = u->devid;
    h.direction = u->direction;
    h.ep = u->ep;
    h.status = status;
    h.actual_length = status == 0 ? len : 0;
    if (status == USBIP_EPIPE)
        srv->stats.stalls++;
    usbip_put_urb_hdr(raw, &h);
    if (conn_queue_tx(srv, srv->imp, raw, sizeof(raw), data, u->direction == USBIP_DIR_IN ? h.actual_length : 0) == 0)
        conn_flush(srv, srv->imp);
}

/* The device answered the current transfer: reply, then complete the
 * status stage on the device side. */
static void finish_cur(struct usbip_server *srv)
{
    struct urb *u = srv->cur;
    enum answer a = srv->ans;
    struct usb_setup s;

    usb_setup_parse(u->setup, &s);
    srv->cur = NULL;
    srv->ans = ANS_NONE;
    srv->want_out = 0;
    srv->yielded = 1;
    if (a == ANS_STALL) {
        send_ret_submit(srv, u, USBIP_EPIPE, NULL, 0);
    } else {
        uint32_t len = 0;

        if (a == ANS_SEND && (s.bmRequestType & 0x80)) {
            len = srv->ans_len;
            if (len > s.wLength)
                len = s.wLength;
            if (len > u->length)
                len = u->length;
        } else if (!(s.bmRequestType & 0x80)) {
            len = u->length; /* OUT: all data accepted */
        }
        if (a == ANS_SEND && !(s.bmRequestType & 0x80)) {
            /* data offered for an OUT request: a device bug */
            send_ret_submit(srv, u, -71 /* -EPROTO */, NULL, 0);
        } else {
            if (s.bmRequestType == 0x00 && s.bRequest == 9)
                srv->configuration = (uint8_t)s.wValue;
            send_ret_submit(srv, u, 0, srv->ans_data, len);
            /* the host has the answer before the device acts on it */
            if (srv->imp)
                conn_flush_wait(srv, srv->imp, FLUSH_BEFORE_STATUS_MS);
            if (srv->dev)
                ev_status_done(srv);
        }
    }
    free(srv->ans_data);
    srv->ans_data = NULL;
    srv->ans_len = 0;
    free_urb(u);
}

static void start_urb(struct usbip_server *srv, struct urb *u)
{
    struct usb_setup s;
    int is_in;

    if (u->ep != 0) {
        send_ret_submit(srv, u, USBIP_EPIPE, NULL, 0);
        free_urb(u);
        return;
    }
    usb_setup_parse(u->setup, &s);
    is_in = (s.bmRequestType & 0x80) != 0;
    /* the URB must agree with its SETUP packet */
    if ((is_in && u->direction != USBIP_DIR_IN && s.wLength > 0) ||
        (!is_in && s.wLength > 0 && (u->direction != USBIP_DIR_OUT || u->length != s.wLength)) ||
        (!is_in && s.wLength == 0 && u->length != 0) ||
        (!is_in && s.wLength > USBIP_MAX_CTRL_OUT)) {
        send_ret_submit(srv, u, USBIP_EINVAL, NULL, 0);
        free_urb(u);
        return;
    }
    /* SET_FEATURE(PORT_RESET) addressed to the port: a bus reset. */
    if (s.bmRequestType == 0x23 && s.bRequest == 3 && s.wValue == 4) {
        bus_reset(srv);
        send_ret_submit(srv, u, 0, NULL, 0);
        free_urb(u);
        return;
    }
    /* vhci does not forward port resets: a host enumerating again starts
     * with GET_DESCRIPTOR(device, 64) while the device still has an
     * address or a configuration. This controller infers the bus reset
     * that came before it and reports it; the core never guesses. */
    if (s.bmRequestType == 0x80 && s.bRequest == 6 && s.wValue == 0x0100 && s.wLength == 64 &&
        (srv->address != 0 || srv->configuration != 0))
        bus_reset(srv);
    if (!srv->dev) {
        send_ret_submit(srv, u, USBIP_EPIPE, NULL, 0);
        free_urb(u);
        return;
    }
    srv->cur = u;
    srv->ans = ANS_NONE;
    srv->want_out = 0;
    srv->stats.setups++;
    ev_setup(srv, &s);
}

/* The core asked for the OUT data stage (now or later): hand it over. */
static void deliver_out(struct usbip_server *srv)
{
    struct urb *u = srv->cur;
    struct usb_setup s;

    srv->want_out = 0;
    usb_setup_parse(u->setup, &s);
    if (!(s.bmRequestType & 0x80) && s.wLength > 0 && u->data)
        ev_ep0_out(srv, u->data, s.wLength);
}

/* Runs queued transfers while the device answers them at once. */
static void pump(struct usbip_server *srv)
{
    for (;;) {
        if (srv->cur && srv->want_out && srv->ans == ANS_NONE)
            deliver_out(srv);
        if (srv->cur && srv->ans != ANS_NONE)
            finish_cur(srv);
        if (srv->drop_pending) {
            srv->drop_pending = 0;
            if (srv->imp) {
                conn_flush_wait(srv, srv->imp, FLUSH_BEFORE_STATUS_MS);
                if (srv->imp)
                    conn_close(srv, srv->imp);
                logf_(srv, "device detached");
            }
        }
        if (srv->cur || !srv->queue || !srv->imp || srv->yielded)
            return;
        struct urb *u = srv->queue;
        srv->queue = u->next;
        if (!srv->queue)
            srv->queue_tail = NULL;
        srv->queued--;
        start_urb(srv, u);
    }
}

static void handle_unlink(struct usbip_server *srv, struct conn *c, const struct usbip_urb_hdr *h)
{
    struct usbip_urb_hdr r = { 0 };
    uint8_t raw[USBIP_URB_HDR_SIZE];
    int found = 0;

    srv->stats.unlinks++;
    if (srv->cur && srv->cur->seqnum == h->unlink_seqnum) {
        /* The device keeps the SETUP it saw; the next SETUP aborts it in
         * the core. Its answer, if any, is dropped. */
        free_urb(srv->cur);
        srv->cur = NULL;
        srv->ans = ANS_NONE;
        srv->want_out = 0;
        free(srv->ans_data);
        srv->ans_data = NULL;
        found = 1;
    } else {
        struct urb **pp = &srv->queue, *prev = NULL;

        while (*pp) {
            if ((*pp)->seqnum == h->unlink_seqnum) {
                struct urb *u = *pp;

                *pp = u->next;
                if (srv->queue_tail == u)
                    srv->queue_tail = prev;
                srv->queued--;
                free_urb(u);
                found = 1;
                break;
            }
            prev = *pp;
            pp = &(*pp)->next;
        }
    }
    if (found)
        srv->stats.unlinked++;
    r.command = USBIP_RET_UNLINK;
    r.seqnum = h->seqnum;
    r.devid = h->devid;
    r.status = found ? USBIP_ECONNRESET : 0;
    usbip_put_urb_hdr(raw, &r);
    if (conn_queue_tx(srv, c, raw, sizeof(raw), NULL, 0) == 0)
        conn_flush(srv, c);
}

static void enqueue_urb(struct usbip_server *srv, struct urb *u)
{
    u->next = NULL;
    if (srv->queue_tail)
        srv->queue_tail->next = u;
    else
        srv->queue = u;
    srv->queue_tail = u;
    srv->queued++;
}

/* A complete URB header arrived. Returns -1 if the connection was closed. */
static int urb_header(struct usbip_server *srv, struct conn *c)
{
    struct usbip_urb_hdr h;
    struct urb *u;

    usbip_get_urb_hdr(c->hdr, &h);
    c->need = USBIP_URB_HDR_SIZE;
    c->have = 0;
    if (h.command == USBIP_CMD_UNLINK) {
        handle_unlink(srv, c, &h);
        return c->fd < 0 ? -1 : 0;
    }
    if (h.command != USBIP_CMD_SUBMIT) {
        conn_error(srv, c, "unknown URB command");
        return -1;
    }
    srv->stats.submits++;
    if (h.ep > 15 || h.direction > 1 || (h.npackets != 0 && h.npackets != 0xffffffffu)) {
        conn_error(srv, c, "bad endpoint, direction or isochronous packets");
        return -1;
    }
    if ((h.direction == USBIP_DIR_OUT && h.length > USBIP_MAX_CTRL_OUT) ||
        (h.direction == USBIP_DIR_IN && h.length > USBIP_MAX_CTRL_IN)) {
        conn_error(srv, c, "transfer too long");
        return -1;
    }
    if (srv->queued >= MAX_QUEUED_URBS) {
        conn_error(srv, c, "too many transfers queued");
        return -1;
    }
    u = calloc(1, sizeof(*u));
    if (!u) {
        conn_error(srv, c, "out of memory");
        return -1;
    }
    u->seqnum = h.seqnum;
    u->devid = h.devid;
    u->direction = h.direction;
    u->ep = h.ep;
    u->length = h.length;
    memcpy(u->setup, h.setup, 8);
    if (h.direction == USBIP_DIR_OUT && h.length > 0) {
        u->data = malloc(h.length);
        if (!u->data) {
            free(u);
            conn_error(srv, c, "out of memory");
            return -1;
        }
        c->rx_urb = u;
        c->phase = RX_URB_DATA;
        c->need = h.length;
        c->have = 0;
        return 0;
    }
    enqueue_urb(srv, u);
    c->need = USBIP_URB_HDR_SIZE;
    c->have = 0;
    return 0;
}

/* A complete unit of input arrived in the current phase. */
static int conn_unit(struct usbip_server *srv, struct conn *c)
{
    switch (c->phase) {
    case RX_OP_HDR: {
        uint16_t version = get_be16(c->hdr), code = get_be16(c->hdr + 2);

        if ((version >> 8) != 0x01) {
            conn_error(srv, c, "unsupported protocol version");
            return -1;
        }
        if (code == USBIP_OP_REQ_DEVLIST) {
            handle_devlist(srv, c);
            return -1; /* nothing more is read from this connection */
        }
        if (code == USBIP_OP_REQ_IMPORT) {
            c->phase = RX_IMPORT_BUSID;
            c->need = USBIP_BUSID_SIZE;
            c->have = 0;
            return 0;
        }
        conn_error(srv, c, "unknown operation");
        return -1;
    }
    case RX_IMPORT_BUSID:
        handle_import(srv, c, c->hdr);
        return c->fd < 0 || c->closing ? -1 : 0;
    case RX_URB_HDR:
        return urb_header(srv, c);
    case RX_URB_DATA:
        enqueue_urb(srv, c->rx_urb);
        c->rx_urb = NULL;
        c->phase = RX_URB_HDR;
        c->need = USBIP_URB_HDR_SIZE;
        c->have = 0;
        return 0;
    }
    return -1;
}

static void conn_read(struct usbip_server *srv, struct conn *c)
{
    /* bounded work per poll, so one busy client cannot starve the rest */
    for (int rounds = 0; rounds < 64 && c->fd >= 0 && !c->closing; rounds++) {
        uint8_t *dst = c->phase == RX_URB_DATA ? c->rx_urb->data : c->hdr;
        ssize_t n = recv(c->fd, dst + c->have, c->need - c->have, 0);

        if (n == 0) {
            if (c->have > 0 || c->phase == RX_URB_DATA || c->phase == RX_IMPORT_BUSID)
                srv->stats.protocol_errors++;
            conn_close(srv, c);
            return;
        }
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                conn_close(srv, c);
            return;
        }
        c->have += (uint32_t)n;
        if (c->have < c->need)
            continue;
        if (conn_unit(srv, c) < 0)
            return;
        if (c->imported)
            pump(srv);
    }
}

static void accept_new(struct usbip_server *srv)
{
    int fd = accept4(srv->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    struct conn *slot = NULL, *oldest = NULL;
    int one = 1;

    if (fd < 0)
        return;
    for (int i = 0; i < MAX_CONNS; i++) {
        struct conn *c = &srv->conns[i];

        if (c->fd < 0) {
            slot = c;
            break;
        }
        if (!c->imported && (!oldest || c->deadline_ms < oldest->deadline_ms))
            oldest = c;
    }
    if (!slot) {
        /* full: the oldest connection that has not imported makes room */
        if (!oldest) {
            close(fd);
            return;
        }
        logf_(srv, "too many connections, dropping the oldest");
        conn_close(srv, oldest);
        slot = oldest;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    memset(slot, 0, sizeof(*slot));
    slot->fd = fd;
    slot->phase = RX_OP_HDR;
    slot->need = USBIP_OP_HDR_SIZE;
    slot->deadline_ms = now_ms() + PREIMPORT_IDLE_MS;
    srv->stats.connections++;
}

/* ---- public API ---------------------------------------------------------- */

int usbip_server_open(struct usbip_server **out, const struct usbip_server_config *cfg)
{
    struct usbip_server *srv = calloc(1, sizeof(*srv));
    struct sockaddr_in sa;
    socklen_t salen = sizeof(sa);

    if (!srv)
        return -ENOMEM;
    srv->cfg = *cfg;
    srv->dev = cfg->dev;
    snprintf(srv->busid, sizeof(srv->busid), "%s", cfg->busid ? cfg->busid : "1-1");
    for (int i = 0; i < MAX_CONNS; i++)
        srv->conns[i].fd = -1;
    srv->attached = !cfg->start_detached;
    srv->wake_fd = -1;
    srv->info_stale = 1;
    srv->ops = (struct usb_dc_ops){
        .ep0_send = dc_ep0_send, .ep0_receive = dc_ep0_receive, .ep0_status = dc_ep0_status,
        .ep0_stall = dc_ep0_stall, .set_address = dc_set_address, .detach = dc_detach, .attach = dc_attach,
        .ctx = srv,
    };
    if (cfg->listen_fd >= 0) {
        srv->listen_fd = cfg->listen_fd;
        srv->own_listen = cfg->own_listen_fd;
        fcntl(srv->listen_fd, F_SETFL, fcntl(srv->listen_fd, F_GETFL) | O_NONBLOCK);
    } else {
        int one = 1;

        memset(&sa, 0, sizeof(sa));
        sa.sin_family = AF_INET;
        sa.sin_port = htons((uint16_t)(cfg->port < 0 ? USBIP_DEFAULT_PORT : cfg->port));
        if (inet_pton(AF_INET, cfg->host ? cfg->host : "127.0.0.1", &sa.sin_addr) != 1) {
            free(srv);
            return -EINVAL;
        }
        srv->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (srv->listen_fd < 0) {
            int e = errno;
            free(srv);
            return -e;
        }
        setsockopt(srv->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(srv->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(srv->listen_fd, 16) < 0) {
            int e = errno;
            close(srv->listen_fd);
            free(srv);
            return -e;
        }
        srv->own_listen = 1;
    }
    memset(&sa, 0, sizeof(sa));
    if (getsockname(srv->listen_fd, (struct sockaddr *)&sa, &salen) == 0 && sa.sin_family == AF_INET)
        srv->port = ntohs(sa.sin_port);
    *out = srv;
    return 0;
}

void usbip_server_close(struct usbip_server *srv)
{
    if (!srv)
        return;
    for (int i = 0; i < MAX_CONNS; i++)
        conn_close(srv, &srv->conns[i]);
    clear_queue(srv);
    free_urb(srv->cur);
    free(srv->ans_data);
    if (srv->own_listen)
        close(srv->listen_fd);
    free(srv);
}

const struct usb_dc_ops *usbip_server_dc_ops(struct usbip_server *srv)
{
    return &srv->ops;
}

void usbip_server_set_device(struct usbip_server *srv, struct usb_device *dev)
{
    srv->dev = dev;
    srv->info_stale = 1;
}

int usbip_server_poll(struct usbip_server *srv, int timeout_ms)
{
    struct pollfd pfd[MAX_CONNS + 2];
    struct conn *who[MAX_CONNS + 2];
    int n = 0, r;
    uint64_t t;

    srv->yielded = 0;
    pump(srv);
    pfd[n].fd = srv->listen_fd;
    pfd[n].events = POLLIN;
    who[n++] = NULL;
    for (int i = 0; i < MAX_CONNS; i++) {
        struct conn *c = &srv->conns[i];

        if (c->fd < 0)
            continue;
        pfd[n].fd = c->fd;
        pfd[n].events = (short)((c->closing ? 0 : POLLIN) | (c->tx_off < c->tx_len ? POLLOUT : 0));
        who[n++] = c;
    }
    if (srv->wake_fd >= 0) {
        pfd[n].fd = srv->wake_fd;
        pfd[n].events = POLLIN;
        who[n++] = NULL;
    }
    if ((srv->cur && srv->ans != ANS_NONE) || (srv->queue && srv->imp))
        timeout_ms = 0;
    r = poll(pfd, (nfds_t)n, timeout_ms);
    if (r < 0)
        return errno == EINTR ? 0 : -errno;
    for (int i = 1; i < n; i++) {
        struct conn *c = who[i];

        if (!c)
            continue; /* the wake fd: the caller reads it */
        if (c->fd != pfd[i].fd)
            continue; /* closed meanwhile */
        if (pfd[i].revents & POLLOUT)
            conn_flush(srv, c);
        if (c->fd >= 0 && (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))) {
            if (c->closing)
                conn_close(srv, c);
            else
                conn_read(srv, c);
        }
    }
    if (pfd[0].revents & POLLIN)
        accept_new(srv);
    t = now_ms();
    for (int i = 0; i < MAX_CONNS; i++) {
        struct conn *c = &srv->conns[i];

        if (c->fd >= 0 && !c->imported && t > c->deadline_ms) {
            logf_(srv, "closing an idle connection");
            conn_close(srv, c);
        }
    }
    pump(srv);
    return 0;
}

void usbip_server_set_wake_fd(struct usbip_server *srv, int fd)
{
    srv->wake_fd = fd;
}

int usbip_server_port(const struct usbip_server *srv)
{
    return srv->port;
}

int usbip_server_listen_fd(const struct usbip_server *srv)
{
    return srv->listen_fd;
}

int usbip_server_imported(const struct usbip_server *srv)
{
    return srv->imp != NULL;
}

const struct usbip_server_stats *usbip_server_stats(const struct usbip_server *srv)
{
    return &srv->stats;
}
