/* Fuzz target: the USB/IP server's packet parser, with the real device
 * core + DFU class behind it, over loopback TCP: any bytes from any of up
 * to four clients, split and interleaved as the input says, with
 * half-closes and disconnects at any point.
 *
 * Input: operations until the input ends (first byte mod 8):
 *   0  client c (next byte mod 4) sends n (u16 mod 2048) bytes of the input
 *   1  client c connects (if not connected)
 *   2  client c disconnects
 *   3  client c half-closes (shutdown SHUT_WR)
 *   4  the server polls once more
 *   5  client c sends OP_REQ_IMPORT for bus id "1-1" (a well-formed start)
 *   6  client c sends a CMD_SUBMIT header: seqnum, direction (byte & 1),
 *      ep (byte & 1), length (u16), 8 SETUP bytes from the input
 *   7  client c sends OP_REQ_DEVLIST
 * The server polls after every operation; clients read whatever comes.
 *
 * Properties: no crash or sanitizer report; the server never blocks for
 * long (every poll has a 0 ms timeout); after all clients are gone the
 * device is no longer imported; and the server still serves a new client
 * (a device list round trip) after any input. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/bytes.h"
#include "common/errors.h"
#include "dfu/dfu.h"
#include "port/posix/sim_flash.h"
#include "port/posix/usbip/usbip_proto.h"
#include "port/posix/usbip/usbip_server.h"
#include "tests/fuzz/support/fuzz_support.h"

static uint8_t dfu_buffers[2 * 256];

#define NCLIENTS 4

static const struct flash_sector_range sectors[] = { { 0x1000, 16 } };
static const struct flash_geometry geo = { .size = 0x10000, .write_block_size = 4, .erase_value = 0xff,
                                           .sectors = sectors, .sector_range_count = 1 };
static struct sim_flash sf;
static struct flash_area slot0, slot1;
static struct dfu dfu;
static struct usb_device dev;
static struct dfu_config cfg;
static struct sys_ops sys;
static int clients[NCLIENTS];
static int port;

static uint32_t up(void *ctx)
{
    (void)ctx;
    return 0;
}

static void nop_reset(void *ctx)
{
    (void)ctx;
}

static void drain(int fd)
{
    uint8_t buf[4096];
    while (fd >= 0 && recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
        ;
}

static void drain_all(void)
{
    for (int i = 0; i < NCLIENTS; i++)
        drain(clients[i]);
}

static int connect_client(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int one = 1;
    if (fd < 0)
        FUZZ_FAIL("socket: %s", strerror(errno));
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
        FUZZ_FAIL("connect: %s", strerror(errno));
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

static void send_all(int fd, const void *p, size_t n)
{
    if (fd < 0)
        return;
    /* non-blocking: whatever does not fit in the socket buffer is lost, as
     * if the client had gone away (MSG_NOSIGNAL: no SIGPIPE after a close) */
    (void)!send(fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
}

static void poll_srv(struct usbip_server *srv)
{
    FUZZ_ASSERT(usbip_server_poll(srv, 0) == 0);
    dfu_task(&dfu); /* the main loop: one step of flash work */
    drain_all();
}

/* A fresh client gets a device list: the server still works. */
static void check_alive(struct usbip_server *srv)
{
    uint8_t req[8], rep[8];
    int fd = connect_client();
    size_t have = 0;

    usbip_put_op_hdr(req, USBIP_OP_REQ_DEVLIST, 0);
    FUZZ_ASSERT(send(fd, req, 8, MSG_NOSIGNAL) == 8);
    for (int i = 0; i < 2000 && have < 8; i++) {
        FUZZ_ASSERT(usbip_server_poll(srv, i < 10 ? 0 : 1) == 0);
        ssize_t n = recv(fd, rep + have, 8 - have, MSG_DONTWAIT);
        if (n > 0)
            have += (size_t)n;
        else if (n == 0)
            break;
    }
    if (have != 8 || get_be16(rep + 2) != USBIP_OP_REP_DEVLIST)
        FUZZ_FAIL("the server no longer answers a device list (%zu bytes)", have);
    close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct dfu_config defaults = { DFU_CONFIG_DEFAULTS };
    struct fuzz_in in = { data, size };
    struct usbip_server *srv;
    struct usbip_server_config scfg = { .port = 0, .listen_fd = -1, .verbose = getenv("FUZZ_TRACE") != NULL };

    if (size > 32 * 1024)
        return 0;
    if (!sf.mem) {
        if (sim_flash_init_mem(&sf, &geo) != DFB_OK)
            abort();
    }
    memset(sf.mem, 0xff, geo.size);
    FUZZ_ASSERT(flash_area_init(&slot0, &sf.dev, "slot0", 0x4000, 0x4000) == 0);
    FUZZ_ASSERT(flash_area_init(&slot1, &sf.dev, "slot1", 0x8000, 0x4000) == 0);
    cfg = defaults;
    cfg.product = "fuzz";
    cfg.enable_upload = 1;
    cfg.start_in_dfu_mode = 1;
    cfg.transfer_size = 256;
    cfg.buffers = dfu_buffers;
    cfg.buffer_count = 2;
    cfg.slot0 = &slot0;
    cfg.slot1 = &slot1;
    sys = (struct sys_ops){ .uptime_ms = up, .reset = nop_reset };
    cfg.sys = &sys;

    FUZZ_ASSERT(usbip_server_open(&srv, &scfg) == 0);
    port = usbip_server_port(srv);
    FUZZ_ASSERT(dfu_init(&dfu, &cfg, &dev) == 0);
    FUZZ_ASSERT(usbd_init(&dev, usbip_server_dc_ops(srv), dfu_mode_descriptors(&dfu)) == 0);
    usbip_server_set_device(srv, &dev);
    for (int i = 0; i < NCLIENTS; i++)
        clients[i] = -1;

    while (in.n) {
        uint8_t op = fuzz_u8(&in) & 7;
        int c = fuzz_u8(&in) % NCLIENTS;
        switch (op) {
        case 0: {
            size_t n = fuzz_u16(&in) % 2048u;
            if (n > in.n)
                n = in.n;
            send_all(clients[c], in.p, n);
            in.p += n;
            in.n -= n;
            break;
        }
        case 1:
            if (clients[c] < 0)
                clients[c] = connect_client();
            break;
        case 2:
            if (clients[c] >= 0)
                close(clients[c]);
            clients[c] = -1;
            break;
        case 3:
            if (clients[c] >= 0)
                shutdown(clients[c], SHUT_WR);
            break;
        case 4:
            break;
        case 5: {
            uint8_t req[8 + USBIP_BUSID_SIZE] = { 0 };
            usbip_put_op_hdr(req, USBIP_OP_REQ_IMPORT, 0);
            memcpy(req + 8, "1-1", 3);
            send_all(clients[c], req, sizeof(req));
            break;
        }
        case 6: {
            struct usbip_urb_hdr h = { .command = USBIP_CMD_SUBMIT };
            uint8_t raw[USBIP_URB_HDR_SIZE];
            h.seqnum = fuzz_u8(&in);
            uint8_t b = fuzz_u8(&in);
            h.direction = b & 1;
            h.ep = (b >> 1) & 1;
            h.length = fuzz_u16(&in);
            for (int i = 0; i < 8; i++)
                h.setup[i] = fuzz_u8(&in);
            usbip_put_urb_hdr(raw, &h);
            send_all(clients[c], raw, sizeof(raw));
            break;
        }
        default: {
            uint8_t req[8];
            usbip_put_op_hdr(req, USBIP_OP_REQ_DEVLIST, 0);
            send_all(clients[c], req, sizeof(req));
            break;
        }
        }
        poll_srv(srv);
        /* the DFU state stays a DFU 1.1 state whatever arrives */
        FUZZ_ASSERT((unsigned)dfu_state(&dfu) <= DFU_ERROR);
    }

    for (int i = 0; i < NCLIENTS; i++) {
        if (clients[i] >= 0)
            close(clients[i]);
        clients[i] = -1;
    }
    for (int i = 0; i < 3; i++)
        FUZZ_ASSERT(usbip_server_poll(srv, i ? 1 : 0) == 0);
    if (usbip_server_imported(srv))
        FUZZ_FAIL("the device stays imported after every client left");
    check_alive(srv);
    usbip_server_close(srv);
    return 0;
}
