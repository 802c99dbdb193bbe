/* USB/IP for a device behind a byte stream: see usbip_uart_bridge.h. */
#include "port/posix/usbip/usbip_uart_bridge.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "port/uartlink/uartlink.h"

#define DEFAULT_RETRY_MS 250
#define REPLY_MAX UARTLINK_MAX_PAYLOAD

/* The server's "device core" is this bridge (see the header). */
struct usb_device {
    struct usbip_uart_bridge *b;
};

struct usbip_uart_bridge {
    struct usbip_uart_bridge_config cfg;
    struct usb_device usb;
    struct usbip_server *srv;
    const struct usb_dc_ops *srv_ops;
    int fd;
    int closed; /* the stream ended; reported once by poll */
    struct uartlink_dec dec;
    uint8_t *rx;            /* decoder buffer */
    uint8_t *reply;         /* payload of the awaited reply */
    uint32_t reply_len;
    uint8_t seq;
    uint64_t last_rx_ms;
    /* the device as its STATE frames describe it */
    int known, attached;
    uint8_t generation;
    uint16_t rx_max;
    struct usbip_uart_bridge_stats stats;
};

/* A request waiting for its reply. */
struct wait {
    uint8_t seq;
    int done;     /* the reply arrived: type in reply_type */
    int resend;   /* send the request again */
    int failed;   /* negative errno */
    uint8_t reply_type;
};

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void logf_(struct usbip_uart_bridge *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void logf_(struct usbip_uart_bridge *b, const char *fmt, ...)
{
    va_list ap;

    if (!b->cfg.verbose)
        return;
    fprintf(stderr, "uart-bridge: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void console_out(struct usbip_uart_bridge *b, const uint8_t *text, size_t len)
{
    if (len == 0)
        return;
    b->stats.console_bytes += (uint32_t)len;
    if (b->cfg.console) {
        b->cfg.console(b->cfg.console_ctx, text, len);
    } else {
        fwrite(text, 1, len, stdout);
        fflush(stdout);
    }
}

/* ---- device presence -------------------------------------------------- */

static void server_detach(struct usbip_uart_bridge *b)
{
    b->srv_ops->detach(b->srv_ops->ctx);
}

static void server_attach(struct usbip_uart_bridge *b)
{
    b->srv_ops->attach(b->srv_ops->ctx);
}

/* A STATE frame. Returns 1 if it says the device restarted. */
static int handle_state(struct usbip_uart_bridge *b, const uint8_t *p, uint32_t len)
{
    int was_known = b->known, was_attached = b->attached, restarted;
    uint8_t old_gen = b->generation;

    if (len < UARTLINK_STATE_LEN || p[0] != UARTLINK_VERSION) {
        logf_(b, "STATE frame of an unsupported protocol version (%u), ignored", len > 0 ? p[0] : 0u);
        return 0;
    }
    b->known = 1;
    b->attached = (p[1] & UARTLINK_STATE_ATTACHED) != 0;
    b->generation = p[2];
    b->rx_max = (uint16_t)(p[3] | (p[4] << 8));
    if (b->rx_max == 0)
        b->rx_max = 1;
    restarted = was_known && (p[1] & UARTLINK_STATE_BOOT);
    if (restarted)
        b->stats.device_restarts++;
    logf_(b, "device state: %s, generation %u, rx_max %u%s", b->attached ? "attached" : "detached", b->generation,
          b->rx_max, restarted ? ", restarted" : "");
    if (was_attached && (!b->attached || b->generation != old_gen || restarted))
        server_detach(b);
    if (b->attached && (!was_attached || b->generation != old_gen || restarted))
        server_attach(b);
    return restarted;
}

/* The stream is gone: so is the device. */
static void stream_closed(struct usbip_uart_bridge *b)
{
    if (b->fd < 0)
        return;
    logf_(b, "the device's stream closed");
    close(b->fd);
    b->fd = -1;
    b->closed = 1;
    usbip_server_set_wake_fd(b->srv, -1);
    if (b->attached)
        server_detach(b);
    b->known = 0;
    b->attached = 0;
}

static int is_reply(uint8_t type)
{
    return type == UARTLINK_ACK || type == UARTLINK_DATA_IN || type == UARTLINK_OUT_READY ||
           type == UARTLINK_STATUS || type == UARTLINK_STALL || type == UARTLINK_STATE;
}

/* Reads what the stream has now and acts on it; `w` is the request being
 * waited for, or NULL. Returns -EPIPE when the stream closed. */
static int read_stream(struct usbip_uart_bridge *b, struct wait *w)
{
    uint8_t buf[4096], text[sizeof(buf)];

    while (b->fd >= 0 && !(w && (w->done || w->failed))) {
        ssize_t n = read(b->fd, buf, sizeof(buf));
        size_t tlen = 0;

        if (n == 0) {
            stream_closed(b);
            return -EPIPE;
        }
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            logf_(b, "read: %s", strerror(errno));
            stream_closed(b);
            return -EPIPE;
        }
        b->last_rx_ms = now_ms();
        for (ssize_t i = 0; i < n; i++) {
            enum uartlink_event ev = uartlink_dec_byte(&b->dec, buf[i]);

            if (ev == UARTLINK_EV_CONSOLE) {
                text[tlen++] = buf[i];
            } else if (ev == UARTLINK_EV_ERROR) {
                b->stats.bad_frames++;
                logf_(b, "damaged frame from the device (error %u)", b->dec.error);
                if (w)
                    w->resend = 1; /* it may have been our reply */
            } else if (ev == UARTLINK_EV_FRAME) {
                uint8_t type = uartlink_frame_type(&b->dec), seq = uartlink_frame_seq(&b->dec);
                const uint8_t *p = uartlink_frame_payload(&b->dec);
                uint32_t len = uartlink_frame_len(&b->dec);

                if (type == UARTLINK_NAK) {
                    b->stats.naks++;
                    if (w)
                        w->resend = 1;
                    continue;
                }
                if (type == UARTLINK_STATE && handle_state(b, p, len) && w) {
                    /* a restarted device forgot the request */
                    w->failed = -ENODEV;
                    continue;
                }
                if (w && !w->done && !w->failed && seq == w->seq && seq != 0 && is_reply(type)) {
                    w->done = 1;
                    w->reply_type = type;
                    memcpy(b->reply, p, len);
                    b->reply_len = len;
                } else if (type != UARTLINK_STATE) {
                    b->stats.stale++;
                }
            }
        }
        console_out(b, text, tlen);
    }
    return 0;
}

/* ---- requests ------------------------------------------------------------ */

/* Sends a request and waits for its reply. Returns the reply's type (its
 * payload in b->reply) or a negative errno value. */
static int transact(struct usbip_uart_bridge *b, uint8_t type, const void *payload, uint32_t len)
{
    size_t cap = 2u * (len + UARTLINK_OVERHEAD) + 2u, wire_len, off = 0;
    uint8_t *wire;
    struct wait w = { 0 };
    uint64_t last_tx, quiet_since;
    unsigned retry = b->cfg.retry_ms ? b->cfg.retry_ms : DEFAULT_RETRY_MS;

    if (b->fd < 0 || !b->known)
        return -ENODEV;
    wire = malloc(cap);
    if (!wire)
        return -ENOMEM;
    b->seq = (uint8_t)(b->seq + 1);
    if (b->seq == 0)
        b->seq = 1; /* 0 marks unsolicited frames */
    w.seq = b->seq;
    wire_len = uartlink_encode(wire, cap, type, w.seq, payload, len);
    b->stats.requests++;
    last_tx = now_ms();
    b->last_rx_ms = last_tx;
    while (!w.done && !w.failed) {
        struct pollfd p = { .fd = b->fd, .events = POLLIN };
        uint64_t t = now_ms();
        int timeout;

        if (off == wire_len && w.resend) {
            w.resend = 0;
            off = 0;
            last_tx = t;
            b->stats.resends++;
        }
        if (off < wire_len)
            p.events |= POLLOUT;
        quiet_since = last_tx > b->last_rx_ms ? last_tx : b->last_rx_ms;
        timeout = off < wire_len ? -1 : (int)(quiet_since + retry > t ? quiet_since + retry - t : 0);
        if (b->cfg.give_up_ms) {
            uint64_t end = b->last_rx_ms + b->cfg.give_up_ms;
            int left = end > t ? (int)(end - t) : 0;

            if (timeout < 0 || left < timeout)
                timeout = left;
        }
        if (poll(&p, 1, timeout) < 0 && errno != EINTR) {
            w.failed = -errno;
            break;
        }
        if (p.revents & POLLOUT) {
            ssize_t n = send(b->fd, wire + off, wire_len - off, MSG_NOSIGNAL | MSG_DONTWAIT);

            if (n > 0) {
                off += (size_t)n;
                if (off == wire_len)
                    last_tx = now_ms();
            } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                logf_(b, "write: %s", strerror(errno));
                stream_closed(b);
            }
        }
        if (b->fd >= 0 && (p.revents & (POLLIN | POLLHUP | POLLERR)))
            read_stream(b, &w);
        if (b->fd < 0) {
            w.failed = -EPIPE;
            break;
        }
        t = now_ms();
        /* Liveness only (a resend is always safe): the line has been quiet
         * since the request went out. Bytes arriving, e.g. a long reply
         * on a slow UART, are progress and hold the resend back. */
        if (off == wire_len && t - last_tx >= retry && t - b->last_rx_ms >= retry)
            w.resend = 1;
        if (b->cfg.give_up_ms && t - b->last_rx_ms >= b->cfg.give_up_ms) {
            logf_(b, "the device has been silent for %u ms: taken as gone", b->cfg.give_up_ms);
            w.failed = -ETIMEDOUT;
            if (b->attached)
                server_detach(b);
            b->known = 0;
            b->attached = 0;
        }
    }
    free(wire);
    if (w.failed) {
        b->stats.failed++;
        logf_(b, "request 0x%02x failed: %s", type, strerror(-w.failed));
        return w.failed;
    }
    return w.reply_type;
}

/* ---- the device core's events, carried to the device ------------------ */

void usbd_bus_reset(struct usb_device *dev)
{
    struct usbip_uart_bridge *b = dev->b;

    if (b->attached)
        transact(b, UARTLINK_RESET, NULL, 0);
}

void usbd_setup(struct usb_device *dev, const struct usb_setup *s)
{
    struct usbip_uart_bridge *b = dev->b;
    const struct usb_dc_ops *o = b->srv_ops;
    uint8_t raw[8] = { s->bmRequestType, s->bRequest, (uint8_t)s->wValue, (uint8_t)(s->wValue >> 8),
                       (uint8_t)s->wIndex, (uint8_t)(s->wIndex >> 8), (uint8_t)s->wLength,
                       (uint8_t)(s->wLength >> 8) };
    int r = b->attached ? transact(b, UARTLINK_SETUP, raw, sizeof(raw)) : -ENODEV;

    switch (r) {
    case UARTLINK_DATA_IN:
        o->ep0_send(o->ctx, b->reply, (uint16_t)(b->reply_len < s->wLength ? b->reply_len : s->wLength));
        break;
    case UARTLINK_OUT_READY:
        if (s->wLength > 0 && !(s->bmRequestType & 0x80)) {
            o->ep0_receive(o->ctx, NULL, s->wLength);
            break;
        }
        logf_(b, "OUT_READY for a request without OUT data");
        o->ep0_stall(o->ctx);
        break;
    case UARTLINK_STATUS:
        o->ep0_status(o->ctx);
        break;
    default:
        /* STALL, or the transfer failed: the host sees -EPIPE */
        o->ep0_stall(o->ctx);
        break;
    }
}

void usbd_ep0_out(struct usb_device *dev, const void *data, uint16_t len)
{
    struct usbip_uart_bridge *b = dev->b;
    const struct usb_dc_ops *o = b->srv_ops;
    const uint8_t *p = data;
    uint32_t off = 0;

    while (off < len && b->attached) {
        uint32_t n = len - off < b->rx_max ? len - off : b->rx_max;
        int r = transact(b, UARTLINK_OUT, p + off, n);

        off += n;
        if (r == UARTLINK_ACK && off < len)
            continue;
        if (r == UARTLINK_STATUS)
            o->ep0_status(o->ctx);
        else
            o->ep0_stall(o->ctx); /* STALL, failure, or a device wanting more than wLength */
        return;
    }
    o->ep0_stall(o->ctx);
}

void usbd_status_done(struct usb_device *dev)
{
    struct usbip_uart_bridge *b = dev->b;

    if (b->attached)
        transact(b, UARTLINK_STATUS_DONE, NULL, 0);
}

/* ---- public API ---------------------------------------------------------- */

static void greet(struct usbip_uart_bridge *b)
{
    uint8_t wire[16];
    size_t n;

    b->seq = (uint8_t)(b->seq + 1);
    if (b->seq == 0)
        b->seq = 1;
    n = uartlink_encode(wire, sizeof(wire), UARTLINK_HELLO, b->seq, NULL, 0);
    /* A fresh stream has room for 6 bytes; if not, the device's own
     * STATE at its start tells the same. */
    if (send(b->fd, wire, n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
        logf_(b, "HELLO not sent: %s", strerror(errno));
}

void usbip_uart_bridge_set_uart(struct usbip_uart_bridge *b, int fd)
{
    if (b->fd >= 0) {
        close(b->fd);
        b->fd = -1;
        if (b->attached)
            server_detach(b);
    }
    b->known = 0;
    b->attached = 0;
    b->closed = 0;
    uartlink_dec_init(&b->dec, b->rx, REPLY_MAX + UARTLINK_OVERHEAD);
    b->fd = fd;
    usbip_server_set_wake_fd(b->srv, fd);
    if (fd >= 0) {
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        b->last_rx_ms = now_ms();
        greet(b);
    }
}

int usbip_uart_bridge_open(struct usbip_uart_bridge **out, const struct usbip_uart_bridge_config *cfg)
{
    struct usbip_uart_bridge *b = calloc(1, sizeof(*b));
    struct usbip_server_config scfg = { 0 };
    int e;

    if (!b)
        return -ENOMEM;
    b->cfg = *cfg;
    b->fd = -1;
    b->usb.b = b;
    b->rx = malloc(REPLY_MAX + UARTLINK_OVERHEAD);
    b->reply = malloc(REPLY_MAX);
    if (!b->rx || !b->reply) {
        free(b->rx);
        free(b->reply);
        free(b);
        return -ENOMEM;
    }
    uartlink_dec_init(&b->dec, b->rx, REPLY_MAX + UARTLINK_OVERHEAD);
    scfg.dev = &b->usb;
    scfg.host = cfg->host;
    scfg.port = cfg->port;
    scfg.listen_fd = cfg->listen_fd;
    scfg.busid = cfg->busid;
    scfg.start_detached = 1; /* until the device says it is attached */
    scfg.verbose = cfg->verbose;
    e = usbip_server_open(&b->srv, &scfg);
    if (e < 0) {
        free(b->rx);
        free(b->reply);
        free(b);
        return e;
    }
    b->srv_ops = usbip_server_dc_ops(b->srv);
    if (cfg->uart_fd >= 0)
        usbip_uart_bridge_set_uart(b, cfg->uart_fd);
    *out = b;
    return 0;
}

void usbip_uart_bridge_close(struct usbip_uart_bridge *b)
{
    if (!b)
        return;
    usbip_server_close(b->srv);
    if (b->fd >= 0)
        close(b->fd);
    free(b->rx);
    free(b->reply);
    free(b);
}

int usbip_uart_bridge_poll(struct usbip_uart_bridge *b, int timeout_ms)
{
    int r;

    if (b->closed)
        timeout_ms = 0; /* report the closure at once */
    r = usbip_server_poll(b->srv, timeout_ms);
    if (r < 0)
        return r;
    if (b->fd >= 0)
        read_stream(b, NULL);
    if (b->closed) {
        /* once more, so the server drops the import of the gone device;
         * reported once, then the server goes on without a device */
        usbip_server_poll(b->srv, 0);
        b->closed = 0;
        return -EPIPE;
    }
    return 0;
}

int usbip_uart_bridge_connect(const char *spec)
{
    if (strncmp(spec, "fd:", 3) == 0) {
        char *end;
        long fd = strtol(spec + 3, &end, 10);

        return (*end || end == spec + 3 || fd < 0 || fd > 65535) ? -EINVAL : (int)fd;
    }
    if (strncmp(spec, "unix:", 5) == 0) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        size_t len = strlen(spec + 5);
        int fd, e;

        if (len == 0 || len >= sizeof(sa.sun_path))
            return -EINVAL;
        memcpy(sa.sun_path, spec + 5, len + 1);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return -errno;
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
            e = errno;
            close(fd);
            return -e;
        }
        return fd;
    }
    if (strncmp(spec, "tcp:", 4) == 0) {
        char host[256];
        const char *h = spec + 4, *colon = strrchr(h, ':');
        struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *ai = NULL;
        int fd, e = 0;

        if (!colon || colon == h || colon[1] == 0 || (size_t)(colon - h) >= sizeof(host))
            return -EINVAL;
        memcpy(host, h, (size_t)(colon - h));
        host[colon - h] = 0;
        if (getaddrinfo(host, colon + 1, &hints, &ai) != 0 || !ai)
            return -EINVAL;
        fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            e = errno;
        } else if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
            e = errno;
            close(fd);
            fd = -1;
        }
        freeaddrinfo(ai);
        return fd >= 0 ? fd : -e;
    }
    return -EINVAL;
}

int usbip_uart_bridge_port(const struct usbip_uart_bridge *b)
{
    return usbip_server_port(b->srv);
}

int usbip_uart_bridge_device_attached(const struct usbip_uart_bridge *b)
{
    return b->attached;
}

const struct usbip_uart_bridge_stats *usbip_uart_bridge_stats(const struct usbip_uart_bridge *b)
{
    return &b->stats;
}
