/* uart-usb-bridge: exports a device whose USB core runs at the other end of
 * a UART (QEMU's emulated microcontroller, `-chardev socket`) over USB/IP,
 * and prints the console text the firmware writes between link frames.
 *
 *   uart-usb-bridge --uart unix:PATH|tcp:HOST:PORT|fd:N [--usbip HOST:PORT]
 *                   [--busid ID] [--reconnect] [--port-file FILE]
 *                   [--give-up-ms N] [--verbose]
 *
 * --uart       the stream: a unix or TCP socket to connect to (QEMU listens
 *              with server=on), or an inherited connected descriptor.
 * --usbip      where to serve USB/IP (default 127.0.0.1:3240; port 0 picks
 *              a free one, see --port-file).
 * --reconnect  when the stream closes (QEMU restarted), connect again and go
 *              on serving; also waits for the socket to appear at start.
 *              Without it the bridge exits 0 when the stream closes.
 * --port-file  write the USB/IP port, once listening, to FILE.
 * --give-up-ms a device silent this long with a request outstanding is
 *              taken as gone (default: never; see docs/uart-link.md).
 * --verbose    log link and USB/IP events, and the link's counts at exit.
 * Exit status: 0 (stream closed, or SIGINT/SIGTERM), 1 error, 2 usage. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "port/posix/usbip/usbip_uart_bridge.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: uart-usb-bridge --uart unix:PATH|tcp:HOST:PORT|fd:N [--usbip HOST:PORT] [--busid ID]\n"
               "                       [--reconnect] [--port-file FILE] [--give-up-ms N] [--verbose]\n");
}

/* Connects, retrying while the other end is not there yet (with --reconnect). */
static int connect_uart(const char *spec, int wait)
{
    for (;;) {
        int fd = usbip_uart_bridge_connect(spec);

        if (fd >= 0 || fd == -EINVAL || !wait || stop)
            return fd;
        nanosleep(&(struct timespec){ .tv_nsec = 50 * 1000 * 1000 }, NULL);
    }
}

static int parse_listen(const char *spec, char *host, size_t host_size, int *port)
{
    const char *colon = strrchr(spec, ':');
    char *end;
    long p;

    if (!colon || colon == spec || (size_t)(colon - spec) >= host_size)
        return -1;
    memcpy(host, spec, (size_t)(colon - spec));
    host[colon - spec] = 0;
    p = strtol(colon + 1, &end, 10);
    if (*end || colon[1] == 0 || p < 0 || p > 65535)
        return -1;
    *port = (int)p;
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "uart", required_argument, NULL, 'u' },      { "usbip", required_argument, NULL, 'l' },
        { "busid", required_argument, NULL, 'b' },     { "reconnect", no_argument, NULL, 'r' },
        { "port-file", required_argument, NULL, 'p' }, { "give-up-ms", required_argument, NULL, 'g' },
        { "verbose", no_argument, NULL, 'v' },         { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct usbip_uart_bridge_config cfg = { .uart_fd = -1, .listen_fd = -1, .port = -1 };
    const char *uart = NULL, *listen_spec = "127.0.0.1:3240", *port_file = NULL;
    char host[256];
    int reconnect = 0, c, fd, r;
    struct usbip_uart_bridge *b;

    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'u': uart = optarg; break;
        case 'l': listen_spec = optarg; break;
        case 'b': cfg.busid = optarg; break;
        case 'r': reconnect = 1; break;
        case 'p': port_file = optarg; break;
        case 'g': {
            char *end;
            unsigned long v;

            errno = 0;
            v = strtoul(optarg, &end, 10);
            if (end == optarg || *end != '\0' || optarg[0] == '-' || errno != 0 || v > 0xffffffffUL) {
                fprintf(stderr, "uart-usb-bridge: --give-up-ms wants a number of milliseconds, not \"%s\"\n", optarg);
                return 2;
            }
            cfg.give_up_ms = (unsigned)v;
            break;
        }
        case 'v': cfg.verbose = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!uart || optind != argc) {
        usage(stderr);
        return 2;
    }
    if (reconnect && strncmp(uart, "fd:", 3) == 0) {
        fprintf(stderr, "uart-usb-bridge: --reconnect needs a socket to connect to, not an inherited fd\n");
        return 2;
    }
    if (parse_listen(listen_spec, host, sizeof(host), &cfg.port) < 0) {
        fprintf(stderr, "uart-usb-bridge: --usbip wants HOST:PORT, not \"%s\"\n", listen_spec);
        return 2;
    }
    cfg.host = host;
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    fd = connect_uart(uart, reconnect);
    if (fd < 0) {
        fprintf(stderr, "uart-usb-bridge: %s: %s\n", uart,
                fd == -EINVAL ? "not unix:PATH, tcp:HOST:PORT or fd:N" : strerror(-fd));
        return fd == -EINVAL ? 2 : 1;
    }
    cfg.uart_fd = fd;
    r = usbip_uart_bridge_open(&b, &cfg);
    if (r < 0) {
        fprintf(stderr, "uart-usb-bridge: cannot serve USB/IP on %s: %s\n", listen_spec, strerror(-r));
        close(fd);
        return 1;
    }
    fprintf(stderr, "uart-usb-bridge: %s <-> USB/IP on %s:%d (bus id %s)\n", uart, host, usbip_uart_bridge_port(b),
            cfg.busid ? cfg.busid : "1-1");
    if (port_file) {
        FILE *f = fopen(port_file, "w");

        if (!f || fprintf(f, "%d\n", usbip_uart_bridge_port(b)) < 0 || fclose(f) != 0) {
            fprintf(stderr, "uart-usb-bridge: cannot write %s\n", port_file);
            usbip_uart_bridge_close(b);
            return 1;
        }
    }
    r = 0;
    while (!stop) {
        int e = usbip_uart_bridge_poll(b, 200);

        if (e == -EPIPE) {
            fprintf(stderr, "uart-usb-bridge: the device's UART stream closed%s\n",
                    reconnect ? "; reconnecting" : "");
            if (!reconnect)
                break;
            fd = connect_uart(uart, 1);
            if (fd >= 0)
                usbip_uart_bridge_set_uart(b, fd);
        } else if (e < 0) {
            fprintf(stderr, "uart-usb-bridge: poll: %s\n", strerror(-e));
            r = 1;
            break;
        }
    }
    if (cfg.verbose) {
        const struct usbip_uart_bridge_stats *st = usbip_uart_bridge_stats(b);

        fprintf(stderr,
                "uart-usb-bridge: %u requests, %u resends, %u NAKs from the device, %u damaged frames from the "
                "device, %u stale replies, %u device restarts, %u failed requests\n",
                st->requests, st->resends, st->naks, st->bad_frames, st->stale, st->device_restarts, st->failed);
    }
    usbip_uart_bridge_close(b);
    return r;
}
