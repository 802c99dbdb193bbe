/* End to end with the real stack: the USB device core and DFU class on the
 * USB/IP server (a simulated nRF52840 DK flash behind it), driven by the
 * real dfu-util through build/bin/vboard-dfu-util and the libusb shim over
 * loopback TCP. Download, DFU-suffix download, upload, too-large download,
 * detach (-e) and -R; slot contents are byte-checked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/errors.h"
#include "dfu/dfu.h"
#include "flash/flash_map.h"
#include "port/posix/sim_flash.h"
#include "port/posix/usbip/usbip_server.h"
#include "tests/support/check.h"
#include "tests/support/run.h"
#include "usb/usbd.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

static uint8_t dfu_buffers[2 * DFU_TRANSFER_SIZE_MAX];

static struct {
    struct sim_flash sf;
    struct flash_area slot0, slot1;
    struct dfu_config cfg;
    struct dfu dfu;
    struct usb_device dev;
    struct sys_ops sys;
    struct usbip_server *srv;
    pthread_t thread;
    pthread_mutex_t mu;
    atomic_int stop, want;
    unsigned restarts, manifests;
    int port;
} B;

static uint32_t uptime(void *ctx)
{
    struct timespec ts;

    (void)ctx;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)(ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static void restart(void *ctx)
{
    (void)ctx;
    B.restarts++;
}

static int manifest(void *ctx, int permanent)
{
    (void)ctx;
    (void)permanent;
    B.manifests++;
    return 0;
}

static void *board(void *arg)
{
    (void)arg;
    while (!atomic_load(&B.stop)) {
        while (atomic_load(&B.want))
            sched_yield();
        pthread_mutex_lock(&B.mu);
        usbip_server_poll(B.srv, 10);
        while (dfu_task(&B.dfu))
            ;
        pthread_mutex_unlock(&B.mu);
    }
    return NULL;
}

static void lock(void)
{
    atomic_store(&B.want, 1);
    pthread_mutex_lock(&B.mu);
    atomic_store(&B.want, 0);
}

static int write_file(const char *path, const uint8_t *d, size_t n)
{
    FILE *f = fopen(path, "wb");

    if (!f)
        return -1;
    fwrite(d, 1, n, f);
    return fclose(f);
}

static long read_file(const char *path, uint8_t *d, size_t max)
{
    FILE *f = fopen(path, "rb");
    long n;

    if (!f)
        return -1;
    n = (long)fread(d, 1, max, f);
    fclose(f);
    return n;
}

static char out[65536], cmd[2048], dir[256];
static const char *build;

static int dfu_util(const char *args)
{
    int st;

    snprintf(cmd, sizeof(cmd), "cd %s && DFUBOOT_USBIP=127.0.0.1:%d %s/bin/vboard-dfu-util %s 2>&1", dir, B.port, build,
             args);
    st = run_command(cmd, out, sizeof(out));
    printf("$ dfu-util %s\n%s", args, out);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int main(void)
{
    static const struct dfu_config defaults = { DFU_CONFIG_DEFAULTS };
    const struct flash_layout *l = flash_layout_find("nrf52840dk");
    struct usbip_server_config scfg = { .port = 0, .listen_fd = -1 };
    static uint8_t img[40000], back[0x80000];
    int rc;

    build = getenv("DFUBOOT_BUILD_DIR");
    if (access("/usr/bin/dfu-util", X_OK) != 0) {
        printf("dfu-util not installed: skipped\n");
        return 77;
    }
    REQUIRE(build != NULL && l != NULL);
    snprintf(dir, sizeof(dir), "/tmp/dfuboot-e2e-XXXXXX");
    char *made = mkdtemp(dir); /* REQUIRE evaluates twice */
    REQUIRE(made != NULL);

    /* the board: DFU mode from the start, as a bootloader would be */
    rc = sim_flash_init_mem(&B.sf, &l->geo);
    REQUIRE(rc == DFB_OK);
    rc = flash_area_open(&B.sf.dev, l, FLASH_AREA_SLOT0, &B.slot0);
    REQUIRE(rc == DFB_OK);
    rc = flash_area_open(&B.sf.dev, l, FLASH_AREA_SLOT1, &B.slot1);
    REQUIRE(rc == DFB_OK);
    for (uint32_t i = 0; i < B.slot0.size; i += 4) {
        uint8_t w[4] = { (uint8_t)(i >> 2), (uint8_t)(i >> 10), 0x5A, (uint8_t)(i >> 18) };

        flash_area_write(&B.slot0, i, w, 4);
    }
    B.cfg = defaults;
    B.cfg.manufacturer = "dfuboot";
    B.cfg.product = "DFU sample";
    B.cfg.serial = "0123456789ABCDEF";
    B.cfg.enable_upload = 1;
    B.cfg.start_in_dfu_mode = 1;
    B.cfg.slot0 = &B.slot0;
    B.cfg.slot1 = &B.slot1;
    B.cfg.manifest = manifest;
    B.cfg.restart = restart;
    B.sys.uptime_ms = uptime;
    B.cfg.sys = &B.sys;
    rc = usbip_server_open(&B.srv, &scfg);
    REQUIRE(rc == 0);
    B.port = usbip_server_port(B.srv);
    B.cfg.buffers = dfu_buffers;
    B.cfg.buffer_count = 2;
    rc = dfu_init(&B.dfu, &B.cfg, &B.dev);
    REQUIRE(rc == DFB_OK);
    rc = usbd_init(&B.dev, usbip_server_dc_ops(B.srv), dfu_mode_descriptors(&B.dfu));
    REQUIRE(rc == DFB_OK);
    usbip_server_set_device(B.srv, &B.dev);
    pthread_mutex_init(&B.mu, NULL);
    pthread_create(&B.thread, NULL, board, NULL);

    /* listing */
    CHECK_EQ(dfu_util("-l"), 0);
    CHECK(strstr(out, "Found DFU: [1209:0002] ver=0000, devnum=2, cfg=1, intf=0, path=\"1-1\", alt=1, "
                      "name=\"image_1\", serial=\"0123456789ABCDEF\"") != NULL);
    CHECK(strstr(out, "alt=0, name=\"image_0\"") != NULL);

    /* download, byte-checked in slot1 */
    for (size_t i = 0; i < sizeof(img); i++)
        img[i] = (uint8_t)(i * 31 + (i >> 9));
    snprintf(cmd, sizeof(cmd), "%s/app.bin", dir);
    CHECK_EQ(write_file(cmd, img, sizeof(img)), 0);
    rc = dfu_util("-a 1 -D app.bin");
    CHECK_EQ(rc, 0);
    CHECK(strstr(out, "Download done.") != NULL);
    CHECK(strstr(out, "Device returned transfer size 4096") != NULL);
    lock();
    CHECK_EQ(flash_area_read(&B.slot1, 0, back, sizeof(img)), DFB_OK);
    CHECK(memcmp(back, img, sizeof(img)) == 0);
    CHECK(B.manifests >= 1);
    pthread_mutex_unlock(&B.mu);

    /* a file with a DFU suffix: the suffix is not written */
    for (size_t i = 0; i < sizeof(img); i++)
        img[i] = (uint8_t)(i * 17 + 3);
    snprintf(cmd, sizeof(cmd), "%s/suffixed.bin", dir);
    CHECK_EQ(write_file(cmd, img, 12345), 0);
    snprintf(cmd, sizeof(cmd), "cd %s && dfu-suffix -v 1209 -p 0002 -a suffixed.bin >/dev/null 2>&1", dir);
    CHECK_EQ(system(cmd), 0);
    CHECK_EQ(dfu_util("-a 1 -D suffixed.bin"), 0);
    CHECK(strstr(out, "Warning: Invalid DFU suffix") == NULL);
    lock();
    CHECK_EQ(flash_area_read(&B.slot1, 0, back, 12345 + 16), DFB_OK);
    CHECK(memcmp(back, img, 12345) == 0);
    pthread_mutex_unlock(&B.mu);

    /* upload of slot0: the whole partition */
    CHECK_EQ(dfu_util("-a 0 -U up.bin"), 0);
    snprintf(cmd, sizeof(cmd), "%s/up.bin", dir);
    static uint8_t up[0x100000];
    long n = read_file(cmd, up, sizeof(up));
    CHECK_EQ(n, (long)B.slot0.size);
    lock();
    CHECK_EQ(flash_area_read(&B.slot0, 0, back, B.slot0.size < sizeof(back) ? B.slot0.size : sizeof(back)), DFB_OK);
    pthread_mutex_unlock(&B.mu);
    CHECK(n > 0 && memcmp(up, back, (size_t)n < sizeof(back) ? (size_t)n : sizeof(back)) == 0);

    /* too large for slot1: refused, dfu-util fails */
    {
        size_t big = B.slot1.size + 4096;
        uint8_t *b = calloc(1, big);

        REQUIRE(b != NULL);
        snprintf(cmd, sizeof(cmd), "%s/big.bin", dir);
        CHECK_EQ(write_file(cmd, b, big), 0);
        free(b);
        rc = dfu_util("-a 1 -D big.bin");
        CHECK(rc != 0);
    }
    /* and the device recovers for the next run */
    CHECK_EQ(dfu_util("-a 1 -D app.bin"), 0);

    /* -e in DFU mode: DETACH; -R after a download: DETACH + port reset */
    unsigned r0 = B.restarts;
    CHECK_EQ(dfu_util("-a 1 -e"), 0);
    CHECK_EQ(dfu_util("-a 1 -D app.bin -R"), 0);
    CHECK(strstr(out, "Resetting USB to switch back to Run-Time mode") != NULL);
    lock();
    CHECK(B.restarts > r0);
    pthread_mutex_unlock(&B.mu);

    atomic_store(&B.stop, 1);
    pthread_join(B.thread, NULL);
    usbip_server_close(B.srv);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    CHECK_DONE();
}
