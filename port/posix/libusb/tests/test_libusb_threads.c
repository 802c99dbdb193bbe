/* Threads sharing one handle: 4 threads each send 2,000 DFU GETSTATUS /
 * GETSTATE control transfers through the libusb shim to the real device
 * core and DFU class (in DFU mode, on the USB/IP server, over loopback).
 * Every transfer must succeed with the right answer (dfuIDLE), as with
 * real libusb through a real kernel. */
#include <libusb-1.0/libusb.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/errors.h"
#include "dfu/dfu.h"
#include "flash/flash_map.h"
#include "port/posix/sim_flash.h"
#include "port/posix/usbip/usbip_server.h"
#include "tests/support/check.h"
#include "usb/usbd.h"

#define THREADS 4
#define TRANSFERS 2000

#define DFU_GETSTATUS 3
#define DFU_GETSTATE 5
#define DFU_STATE_IDLE 2

static uint8_t dfu_buffers[DFU_TRANSFER_SIZE_MAX];

static struct {
    struct sim_flash sf;
    struct flash_area slot0, slot1;
    struct dfu_config cfg;
    struct dfu dfu;
    struct usb_device dev;
    struct sys_ops sys;
    struct usbip_server *srv;
    pthread_t thread;
    atomic_int stop;
} B;

static uint32_t uptime(void *ctx)
{
    struct timespec ts;

    (void)ctx;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)(ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static void *board(void *arg)
{
    (void)arg;
    while (!atomic_load(&B.stop))
        usbip_server_poll(B.srv, 10);
    return NULL;
}

struct worker {
    libusb_device_handle *h;
    int index;
    int ok, errors, wrong;
    int first_error;
};

static void *hammer(void *arg)
{
    struct worker *w = arg;

    for (int i = 0; i < TRANSFERS; i++) {
        unsigned char buf[6];
        int r, good;

        memset(buf, 0xEE, sizeof(buf));
        if ((i + w->index) % 2 == 0) {
            r = libusb_control_transfer(w->h, 0xA1, DFU_GETSTATUS, 0, 0, buf, 6, 5000);
            good = r == 6 && buf[0] == 0 && buf[4] == DFU_STATE_IDLE;
        } else {
            r = libusb_control_transfer(w->h, 0xA1, DFU_GETSTATE, 0, 0, buf, 1, 5000);
            good = r == 1 && buf[0] == DFU_STATE_IDLE;
        }
        if (r < 0) {
            if (w->errors++ == 0)
                w->first_error = r;
        } else if (!good) {
            w->wrong++;
        } else {
            w->ok++;
        }
    }
    return NULL;
}

int main(void)
{
    static const struct dfu_config defaults = { DFU_CONFIG_DEFAULTS };
    const struct flash_layout *l = flash_layout_find("nrf52840dk");
    struct usbip_server_config scfg = { .port = 0, .listen_fd = -1 };
    struct worker w[THREADS];
    pthread_t t[THREADS];
    libusb_context *ctx;
    libusb_device **list;
    libusb_device_handle *h = NULL;
    struct timespec t0, t1;
    char addr[64];
    int rc, ok = 0;

    REQUIRE(l != NULL);
    rc = sim_flash_init_mem(&B.sf, &l->geo);
    REQUIRE(rc == DFB_OK);
    rc = flash_area_open(&B.sf.dev, l, FLASH_AREA_SLOT0, &B.slot0);
    REQUIRE(rc == DFB_OK);
    rc = flash_area_open(&B.sf.dev, l, FLASH_AREA_SLOT1, &B.slot1);
    REQUIRE(rc == DFB_OK);
    B.cfg = defaults;
    B.cfg.manufacturer = "dfuboot";
    B.cfg.product = "DFU sample";
    B.cfg.serial = "0123456789ABCDEF";
    B.cfg.start_in_dfu_mode = 1;
    B.cfg.buffers = dfu_buffers;
    B.cfg.slot0 = &B.slot0;
    B.cfg.slot1 = &B.slot1;
    B.sys.uptime_ms = uptime;
    B.cfg.sys = &B.sys;
    rc = usbip_server_open(&B.srv, &scfg);
    REQUIRE(rc == 0);
    rc = dfu_init(&B.dfu, &B.cfg, &B.dev);
    REQUIRE(rc == DFB_OK);
    rc = usbd_init(&B.dev, usbip_server_dc_ops(B.srv), dfu_mode_descriptors(&B.dfu));
    REQUIRE(rc == DFB_OK);
    usbip_server_set_device(B.srv, &B.dev);
    pthread_create(&B.thread, NULL, board, NULL);

    snprintf(addr, sizeof(addr), "127.0.0.1:%d", usbip_server_port(B.srv));
    setenv("DFUBOOT_USBIP", addr, 1);
    REQUIRE(libusb_init(&ctx) == 0);
    REQUIRE(libusb_get_device_list(ctx, &list) == 1);
    REQUIRE(libusb_open(list[0], &h) == 0);
    libusb_free_device_list(list, 1);
    REQUIRE(libusb_claim_interface(h, 0) == 0);

    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < THREADS; i++) {
        memset(&w[i], 0, sizeof(w[i]));
        w[i].h = h;
        w[i].index = i;
        pthread_create(&t[i], NULL, hammer, &w[i]);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        printf("thread %d: %d ok, %d failed (first: %s), %d wrong answers\n", i, w[i].ok, w[i].errors,
               w[i].errors ? libusb_error_name(w[i].first_error) : "-", w[i].wrong);
        CHECK_EQ(w[i].errors, 0);
        CHECK_EQ(w[i].wrong, 0);
        ok += w[i].ok;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("%d threads x %d transfers on one handle: %d ok in %.2f s\n", THREADS, TRANSFERS, ok,
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    CHECK_EQ(ok, THREADS * TRANSFERS);

    libusb_release_interface(h, 0);
    libusb_close(h);
    libusb_exit(ctx);
    atomic_store(&B.stop, 1);
    pthread_join(B.thread, NULL);
    usbip_server_close(B.srv);
    CHECK_DONE();
}
