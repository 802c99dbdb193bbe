/* The UART link end to end, without QEMU: the firmware stand-in
 * (uartlink_dfu_device: real USB core + DFU class + the link's device side,
 * in a child process on a unix socket, like QEMU's UART) and the USB/IP
 * bridge (in this process), with a proxy between them that can damage the
 * stream. The project's USB/IP client drives DFU as dfu-util would.
 *
 * The device of 1-4 moves its bytes as an interrupt handler would, the one
 * of 5 polls.
 *  1. clean: device list, import, DETACH + port reset into DFU mode, a
 *     20000-byte download byte-checked in the flash file, manifestation,
 *     an upload of slot0 byte-checked, console text passed on; leaving DFU
 *     mode reboots the device: the import is dropped, the device comes back
 *     in run-time mode;
 *  2. garbage injected between chunks, bytes flipped inside frames and
 *     chunks lost, both ways: the same download and upload still
 *     byte-exact (resends on NAK, on damaged replies, after silence);
 *  3. a USB/IP host that disconnects mid-transfer: the next host works;
 *  4. the bridge disappears mid-OUT-stage (the stream is cut): the
 *     transfer fails at once, a new stream + bridge greeting brings the
 *     device back, which recovers at the next bus reset/SETUP;
 *  5. the device disappears mid-transfer (exits): the transfer fails at
 *     once with an error, the device leaves the device list, nothing hangs. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dfu/dfu.h"
#include "flash/flash_map.h"
#include "port/posix/usbip/usbip_client.h"
#include "port/posix/usbip/usbip_uart_bridge.h"
#include "tests/support/check.h"
#include "usb/usbd.h"

#define IO_MS 10000
#define DL_SIZE 20000

static char dir[64], sock_path[100], flash_path[128];
static const struct flash_layout *L;
static uint32_t slot0_off, slot0_size, slot1_off, dl_off;

/* ---- the device process ----------------------------------------------- */

/* irq: the device moves bytes as an interrupt handler would (6-byte RX
 * bursts into uartlink_dev_rx), otherwise with uartlink_dev_poll. */
static pid_t start_device(unsigned long exit_after_frames, int irq)
{
    const char *build = getenv("DFUBOOT_BUILD_DIR");
    char prog[512], xa[32];
    pid_t pid;

    snprintf(prog, sizeof(prog), "%s/tests/uartlink_dfu_device", build ? build : ".");
    snprintf(xa, sizeof(xa), "%lu", exit_after_frames);
    unlink(sock_path);
    pid = fork();
    if (pid == 0) {
        execl(prog, prog, "--listen", sock_path, "--flash", flash_path, "--exit-after-frames", xa,
              irq ? "--irq" : (char *)NULL, (char *)NULL);
        perror(prog);
        _exit(127);
    }
    return pid;
}

static int connect_device(void)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };

    memcpy(sa.sun_path, sock_path, sizeof(sock_path)); /* 100 < 108 */
    for (int i = 0; i < 500; i++) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
            return fd;
        if (fd >= 0)
            close(fd);
        nanosleep(&(struct timespec){ .tv_nsec = 20 * 1000 * 1000 }, NULL);
    }
    return -1;
}

static void stop_device(pid_t pid)
{
    int st;

    kill(pid, SIGTERM);
    waitpid(pid, &st, 0);
}

/* ---- the proxy: device socket <-> bridge socketpair -------------------- */

struct proxy {
    int dev_fd, br_fd;
    pthread_t thread;
    atomic_int stop;
    int damage;              /* inject garbage and flip bytes */
    long cut_after_to_dev;   /* close both ends after this many bytes to the device (0: never) */
    long to_dev;
    unsigned rng;
    atomic_int cut;
};

static unsigned rnd(struct proxy *p)
{
    p->rng = p->rng * 1103515245u + 12345u;
    return p->rng >> 16;
}

/* Forwards one chunk, damaged if asked. Returns -1 when an end closed. */
static int forward(struct proxy *p, int from, int to, int to_device)
{
    uint8_t buf[64 + 16];
    ssize_t n = read(from, buf, 64);

    if (n <= 0)
        return n == 0 || (errno != EAGAIN && errno != EINTR) ? -1 : 0;
    if (p->damage) {
        unsigned r = rnd(p) % 256; /* about one chunk of 40 damaged */

        if (r == 2) {
            return 0; /* lost on the line: only a resend after silence helps */
        } else if (r < 4) {
            buf[rnd(p) % (unsigned)n] ^= (uint8_t)(1u << (rnd(p) % 8)); /* a flipped bit */
        } else if (r < 6) {
            /* garbage (markers included) before the chunk */
            uint8_t g[12];
            size_t gl = 1 + rnd(p) % sizeof(g);

            for (size_t i = 0; i < gl; i++)
                g[i] = (uint8_t)(i == 0 ? 0xC0 : rnd(p));
            if (write(to, g, gl) < 0)
                return -1;
        }
    }
    if (to_device && p->cut_after_to_dev) {
        if (p->to_dev + n >= p->cut_after_to_dev) {
            n = p->cut_after_to_dev - p->to_dev; /* the device gets half a frame */
            if (n > 0 && write(to, buf, (size_t)n) < 0)
                return -1;
            atomic_store(&p->cut, 1);
            return -1;
        }
        p->to_dev += n;
    }
    for (ssize_t off = 0; off < n;) {
        ssize_t w = write(to, buf + off, (size_t)(n - off));

        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        off += w;
    }
    return 0;
}

static void *proxy_main(void *arg)
{
    struct proxy *p = arg;

    while (!atomic_load(&p->stop)) {
        struct pollfd f[2] = { { .fd = p->dev_fd, .events = POLLIN }, { .fd = p->br_fd, .events = POLLIN } };

        if (poll(f, 2, 50) < 0)
            break;
        if ((f[0].revents & (POLLIN | POLLHUP | POLLERR)) && forward(p, p->dev_fd, p->br_fd, 0) < 0)
            break;
        if ((f[1].revents & (POLLIN | POLLHUP | POLLERR)) && forward(p, p->br_fd, p->dev_fd, 1) < 0)
            break;
    }
    close(p->dev_fd);
    close(p->br_fd);
    return NULL;
}

/* Returns the bridge's end of the stream. */
static int proxy_start(struct proxy *p, int damage, long cut_after_to_dev)
{
    int sp[2];

    memset(p, 0, sizeof(*p));
    p->damage = damage;
    p->cut_after_to_dev = cut_after_to_dev;
    p->rng = 12345;
    p->dev_fd = connect_device();
    REQUIRE(p->dev_fd >= 0);
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == 0);
    p->br_fd = sp[1];
    pthread_create(&p->thread, NULL, proxy_main, p);
    return sp[0];
}

static void proxy_stop(struct proxy *p)
{
    atomic_store(&p->stop, 1);
    pthread_join(p->thread, NULL);
}

/* ---- the bridge, polled by a thread ------------------------------------ */

static struct {
    struct usbip_uart_bridge *b;
    pthread_t thread;
    pthread_mutex_t mu;
    atomic_int stop;
    atomic_int closed; /* poll reported the stream closed */
    char console[4096];
    size_t console_len;
} B;

static void on_console(void *ctx, const uint8_t *text, size_t len)
{
    (void)ctx;
    if (len > sizeof(B.console) - 1 - B.console_len)
        len = sizeof(B.console) - 1 - B.console_len;
    memcpy(B.console + B.console_len, text, len);
    B.console_len += len;
}

static void *bridge_main(void *arg)
{
    (void)arg;
    while (!atomic_load(&B.stop)) {
        int r;

        pthread_mutex_lock(&B.mu);
        r = usbip_uart_bridge_poll(B.b, 20);
        pthread_mutex_unlock(&B.mu);
        if (r == -EPIPE)
            atomic_store(&B.closed, 1);
        sched_yield();
    }
    return NULL;
}

static void bridge_start(int uart_fd)
{
    struct usbip_uart_bridge_config cfg = { .uart_fd = uart_fd, .port = 0, .listen_fd = -1, .console = on_console,
                                            .retry_ms = 100, .verbose = getenv("UARTLINK_VERBOSE") != NULL };

    REQUIRE(usbip_uart_bridge_open(&B.b, &cfg) == 0);
    pthread_mutex_init(&B.mu, NULL);
    atomic_store(&B.stop, 0);
    pthread_create(&B.thread, NULL, bridge_main, NULL);
}

static void bridge_stop(void)
{
    atomic_store(&B.stop, 1);
    pthread_join(B.thread, NULL);
    usbip_uart_bridge_close(B.b);
    pthread_mutex_destroy(&B.mu);
}

static int bridge_port(void)
{
    return usbip_uart_bridge_port(B.b);
}

/* Waits until the device list shows `want` devices. */
static int wait_devices(int want)
{
    struct usbip_dev_info d[2];

    for (int i = 0; i < 500; i++) {
        if (usbip_devlist("127.0.0.1", bridge_port(), d, 2, IO_MS) == want)
            return 1;
        nanosleep(&(struct timespec){ .tv_nsec = 20 * 1000 * 1000 }, NULL);
    }
    return 0;
}

/* ---- DFU through the USB/IP client -------------------------------------- */

static struct usbip_client C;

static int ctl(uint8_t type, uint8_t req, uint16_t value, uint16_t index, uint16_t len, void *data)
{
    uint8_t setup[8];

    usbip_setup_bytes(setup, type, req, value, index, len);
    return usbip_client_control(&C, setup, data, IO_MS);
}

static int getstatus(uint8_t *status)
{
    uint8_t st[6];

    for (int tries = 0; tries < 100; tries++) {
        int n = ctl(0xA1, DFU_GETSTATUS, 0, 0, 6, st);

        if (n != 6)
            return n < 0 ? n : -1;
        *status = st[0];
        if (st[4] != DFU_DNBUSY && st[4] != DFU_MANIFEST)
            return st[4];
        /* as dfu-util: wait bwPollTimeout, ask again */
        usleep(1000u * (st[1] | (st[2] << 8) | ((unsigned)st[3] << 16)));
    }
    return -1;
}

/* Import and enter DFU mode (DETACH, port reset). */
static int import_dfu_mode_once(void)
{
    struct usbip_dev_info info;
    uint8_t desc[18], status;

    if (usbip_client_connect(&C, "127.0.0.1", bridge_port(), IO_MS) != 0 ||
        usbip_client_import(&C, "1-1", &info, IO_MS) != 0)
        return -1;
    if (ctl(0x80, USB_REQ_GET_DESCRIPTOR, USB_DESC_DEVICE << 8, 0, 18, desc) != 18)
        return -2;
    if ((desc[10] | (desc[11] << 8)) == 0x0001) {
        if (ctl(0x00, USB_REQ_SET_CONFIGURATION, 1, 0, 0, NULL) != 0 || ctl(0x21, DFU_DETACH, 1000, 0, 0, NULL) != 0)
            return -3;
    }
    if (ctl(0x23, USB_REQ_SET_FEATURE, 4 /* PORT_RESET */, 1, 0, NULL) != 0 ||
        ctl(0x80, USB_REQ_GET_DESCRIPTOR, USB_DESC_DEVICE << 8, 0, 18, desc) != 18 ||
        (desc[10] | (desc[11] << 8)) != 0x0002)
        return -4;
    if (ctl(0x00, USB_REQ_SET_CONFIGURATION, 1, 0, 0, NULL) != 0 ||
        ctl(0x01, USB_REQ_SET_INTERFACE, 1, 0, 0, NULL) != 0)
        return -5;
    if (getstatus(&status) != DFU_IDLE) {
        /* a previous host left the class in another state */
        if (ctl(0x21, DFU_ABORT, 0, 0, 0, NULL) != 0 && ctl(0x21, DFU_CLRSTATUS, 0, 0, 0, NULL) != 0)
            return -6;
        if (getstatus(&status) != DFU_IDLE)
            return -7;
    }
    return 0;
}

/* A device that restarts while being imported (leaving DFU mode at the
 * import's bus reset) refuses that import: the host tries again, as
 * usbip and the libusb shim do. */
static int import_dfu_mode(void)
{
    int r = -1;

    for (int tries = 0; tries < 3 && r != 0; tries++) {
        r = import_dfu_mode_once();
        if (r != 0) {
            usbip_client_close(&C);
            wait_devices(1);
        }
    }
    return r;
}

static uint8_t img[DL_SIZE];

/* Download img to alt 1 and manifest; 0 or the step that failed. */
static int download(void)
{
    uint8_t status = 0;
    uint16_t blk = 0;

    for (uint32_t off = 0; off < sizeof(img); off += 4096, blk++) {
        uint16_t len = (uint16_t)(sizeof(img) - off < 4096 ? sizeof(img) - off : 4096);

        if (ctl(0x21, DFU_DNLOAD, blk, 0, len, img + off) != len)
            return -1;
        if (getstatus(&status) != DFU_DNLOAD_IDLE || status != DFU_OK)
            return -2;
    }
    if (ctl(0x21, DFU_DNLOAD, blk, 0, 0, NULL) != 0)
        return -3;
    if (getstatus(&status) != DFU_IDLE || status != DFU_OK)
        return -4;
    return 0;
}

static int flash_matches(uint32_t off, const void *want, size_t len)
{
    uint8_t *got = malloc(len);
    int fd = open(flash_path, O_RDONLY), ok;

    ok = got && fd >= 0 && pread(fd, got, len, off) == (ssize_t)len && memcmp(got, want, len) == 0;
    if (fd >= 0)
        close(fd);
    free(got);
    return ok;
}

static uint8_t slot0_pattern(uint32_t i)
{
    return (uint8_t)(i * 13 + (i >> 9));
}

/* Upload slot0 through alt 0 and compare. */
static int upload_ok(void)
{
    static uint8_t buf[4096];
    uint32_t up = 0;

    if (ctl(0x01, USB_REQ_SET_INTERFACE, 0, 0, 0, NULL) != 0)
        return 0;
    for (uint16_t b = 0;; b++) {
        int n = ctl(0xA1, DFU_UPLOAD, b, 0, 4096, buf);

        if (n < 0 || up + (uint32_t)n > slot0_size)
            return 0;
        for (int i = 0; i < n; i++) {
            if (buf[i] != slot0_pattern(up + (uint32_t)i))
                return 0;
        }
        up += (uint32_t)n;
        if (n < 4096)
            break;
    }
    return up == slot0_size;
}

static void fresh_flash(void)
{
    uint8_t *f = malloc(L->geo.size);
    FILE *out = fopen(flash_path, "wb");

    REQUIRE(f && out);
    memset(f, 0xFF, L->geo.size);
    for (uint32_t i = 0; i < slot0_size; i++)
        f[slot0_off + i] = slot0_pattern(i);
    REQUIRE(fwrite(f, 1, L->geo.size, out) == L->geo.size);
    fclose(out);
    free(f);
}

static int64_t ms_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(void)
{
    const struct flash_partition *p0, *p1;
    struct proxy px;
    pid_t dev;
    int n, fd;

    signal(SIGPIPE, SIG_IGN);
    L = flash_layout_find("nrf52840dk");
    REQUIRE(L != NULL);
    p0 = flash_layout_partition(L, FLASH_AREA_SLOT0);
    p1 = flash_layout_partition(L, FLASH_AREA_SLOT1);
    REQUIRE(p0 && p1);
    slot0_off = p0->off;
    slot0_size = p0->size;
    slot1_off = p1->off;
    dl_off = 4096; /* update images start at slot1's second sector */
    snprintf(dir, sizeof(dir), "/tmp/uartlink-XXXXXX"); /* short: a socket path */
    REQUIRE(mkdtemp(dir) != NULL);
    snprintf(sock_path, sizeof(sock_path), "%s/uart.sock", dir);
    snprintf(flash_path, sizeof(flash_path), "%s/flash.bin", dir);
    for (size_t i = 0; i < sizeof(img); i++)
        img[i] = (uint8_t)(i * 7 + (i >> 8));

    /* 1. clean */
    printf("1. clean download and upload\n");
    fresh_flash();
    dev = start_device(0, 1);
    fd = proxy_start(&px, 0, 0);
    bridge_start(fd);
    REQUIRE(wait_devices(1));
    CHECK_EQ(import_dfu_mode(), 0);
    CHECK_EQ(download(), 0);
    CHECK(flash_matches(slot1_off + dl_off, img, sizeof(img)));
    CHECK(upload_ok());
    /* leaving DFU mode (DETACH, then a reset) reboots the device: the
     * bridge sees it restart, drops the import, offers it again */
    CHECK_EQ(ctl(0x21, DFU_DETACH, 0, 0, 0, NULL), 0);
    CHECK_EQ(ctl(0x23, USB_REQ_SET_FEATURE, 4 /* PORT_RESET */, 1, 0, NULL), 0);
    {
        uint8_t desc[18];
        struct usbip_dev_info info;
        int gone = 0;

        for (int i = 0; i < 200 && !gone; i++) {
            gone = ctl(0x80, USB_REQ_GET_DESCRIPTOR, USB_DESC_DEVICE << 8, 0, 18, desc) < 0;
            if (!gone)
                nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
        }
        CHECK(gone);
        usbip_client_close(&C);
        REQUIRE(wait_devices(1));
        REQUIRE(usbip_client_connect(&C, "127.0.0.1", bridge_port(), IO_MS) == 0);
        CHECK_EQ(usbip_client_import(&C, "1-1", &info, IO_MS), 0);
        CHECK_EQ(ctl(0x80, USB_REQ_GET_DESCRIPTOR, USB_DESC_DEVICE << 8, 0, 18, desc), 18);
        CHECK_EQ(desc[10] | (desc[11] << 8), 0x0001); /* the application again */
    }
    usbip_client_close(&C);
    pthread_mutex_lock(&B.mu);
    CHECK_EQ(usbip_uart_bridge_stats(B.b)->device_restarts, 1);
    CHECK(strstr(B.console, "This device supports USB DFU class.\n") != NULL);
    CHECK(strstr(B.console, "manifest: test upgrade requested\n") != NULL);
    CHECK_EQ(usbip_uart_bridge_stats(B.b)->bad_frames, 0);
    CHECK(usbip_uart_bridge_stats(B.b)->failed <= 1); /* a request met the reboot */
    pthread_mutex_unlock(&B.mu);
    bridge_stop();
    proxy_stop(&px);

    /* 2. damage both ways */
    printf("2. garbage, flipped bits and lost bytes both ways\n");
    for (size_t i = 0; i < sizeof(img); i++)
        img[i] = (uint8_t)(i * 5 + 0xC0 + (i >> 7)); /* new content, many markers */
    fd = proxy_start(&px, 1, 0);
    bridge_start(fd);
    REQUIRE(wait_devices(1));
    CHECK_EQ(import_dfu_mode(), 0);
    CHECK_EQ(download(), 0);
    CHECK(flash_matches(slot1_off + dl_off, img, sizeof(img)));
    CHECK(upload_ok());
    usbip_client_close(&C);
    pthread_mutex_lock(&B.mu);
    printf("   resends %u, NAKs %u, damaged frames from the device %u\n", usbip_uart_bridge_stats(B.b)->resends,
           usbip_uart_bridge_stats(B.b)->naks, usbip_uart_bridge_stats(B.b)->bad_frames);
    CHECK(usbip_uart_bridge_stats(B.b)->resends > 0);
    CHECK(usbip_uart_bridge_stats(B.b)->naks > 0);
    CHECK(usbip_uart_bridge_stats(B.b)->bad_frames > 0);
    pthread_mutex_unlock(&B.mu);

    /* 3. a host that disappears mid-transfer, then a new host */
    printf("3. USB/IP host gone mid-transfer\n");
    {
        uint8_t setup[8];
        uint32_t seq;

        CHECK_EQ(import_dfu_mode(), 0);
        usbip_setup_bytes(setup, 0x21, DFU_DNLOAD, 0, 0, 4096);
        CHECK_EQ(usbip_client_submit(&C, setup, img, &seq), 0);
        usbip_client_close(&C);
        REQUIRE(wait_devices(1));
        CHECK_EQ(import_dfu_mode(), 0);
        CHECK_EQ(download(), 0);
        CHECK(flash_matches(slot1_off + dl_off, img, sizeof(img)));
        usbip_client_close(&C);
    }
    bridge_stop();
    proxy_stop(&px);

    /* 4. the bridge disappears mid-OUT-stage: cut after 3000 bytes to the
     * device (inside the first DNLOAD block's data) */
    printf("4. bridge gone mid-transfer, then a new one\n");
    for (size_t i = 0; i < sizeof(img); i++)
        img[i] = (uint8_t)(i * 11 + 3);
    fd = proxy_start(&px, 0, 3000);
    bridge_start(fd);
    REQUIRE(wait_devices(1));
    CHECK_EQ(import_dfu_mode(), 0);
    {
        int64_t t0 = ms_now();

        n = ctl(0x21, DFU_DNLOAD, 0, 0, 4096, img);
        CHECK(n < 0);
        CHECK(n != -ETIMEDOUT);
        CHECK(ms_now() - t0 < IO_MS / 2);
        CHECK(atomic_load(&px.cut));
    }
    usbip_client_close(&C);
    proxy_stop(&px);
    pthread_mutex_lock(&B.mu);
    fd = proxy_start(&px, 0, 0);
    usbip_uart_bridge_set_uart(B.b, fd);
    pthread_mutex_unlock(&B.mu);
    REQUIRE(wait_devices(1));
    CHECK_EQ(import_dfu_mode(), 0);
    CHECK_EQ(download(), 0);
    CHECK(flash_matches(slot1_off + dl_off, img, sizeof(img)));
    usbip_client_close(&C);
    bridge_stop();
    proxy_stop(&px);
    stop_device(dev);

    /* 5. the device disappears mid-transfer (after 40 frames: inside the
     * download) */
    printf("5. device gone mid-transfer\n");
    dev = start_device(40, 0);
    fd = proxy_start(&px, 0, 0);
    bridge_start(fd);
    REQUIRE(wait_devices(1));
    CHECK_EQ(import_dfu_mode(), 0);
    {
        int64_t t0 = ms_now();
        int st;

        n = download();
        CHECK(n < 0);
        CHECK(ms_now() - t0 < IO_MS / 2);
        CHECK(waitpid(dev, &st, 0) == dev && WIFEXITED(st) && WEXITSTATUS(st) == 3);
        /* the failed transfer's error, then the connection dropped */
        n = ctl(0xA1, DFU_GETSTATUS, 0, 0, 6, img);
        CHECK(n < 0 && n != -ETIMEDOUT);
        CHECK(wait_devices(0));
        for (int i = 0; i < 100 && !atomic_load(&B.closed); i++)
            nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
        CHECK(atomic_load(&B.closed));
        pthread_mutex_lock(&B.mu);
        CHECK(usbip_uart_bridge_stats(B.b)->failed >= 1);
        CHECK(!usbip_uart_bridge_device_attached(B.b));
        pthread_mutex_unlock(&B.mu);
    }
    usbip_client_close(&C);
    bridge_stop();
    proxy_stop(&px);

    unlink(flash_path);
    unlink(sock_path);
    rmdir(dir);
    CHECK_DONE();
}
