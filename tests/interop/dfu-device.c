/* interop-dfu-device: the USB device core and the DFU class on the USB/IP
 * server, with a file-backed nRF52840 DK flash, as one standalone process:
 * the real device stack for the VM interop tier, without the bootloader or
 * the firmware images.
 *
 *   interop-dfu-device --flash FILE --port-file FILE [--port N]
 *                      [--mode runtime|dfu] [--will-detach] [--create]
 *                      [--corrupt config-length]
 *
 * --create makes FILE a fresh erased flash whose slot0 holds a pattern
 * (byte i of slot0 = (i * 7 + (i >> 8)) & 0xFF). The server listens on
 * 127.0.0.1, port N or a free one, and writes the port to the port file
 * (a restarted device can so come back on the same port: a reset). In runtime mode the
 * device has only the DFU run-time interface (VID 0x1209, PID 0x0001, as the
 * DFU sample); DETACH then a reset (or, with --will-detach, the device's own
 * re-enumeration) switches to DFU mode (PID 0x0002, alt 0 "image_0" = slot0,
 * alt 1 "image_1" = slot1). Leaving DFU mode "reboots" into the first mode.
 * --corrupt config-length makes every configuration descriptor the device
 * sends announce a wTotalLength 2 bytes larger than it is (a broken device,
 * for showing that the tier notices).
 * Runs until SIGTERM or SIGINT; logs to stderr. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/errors.h"
#include "dfu/dfu.h"
#include "flash/flash_map.h"
#include "port/posix/vboard_machine.h"
#include "port/posix/sim_flash.h"
#include "port/posix/usbip/usbip_server.h"
#include "usb/usbd.h"

static uint8_t dfu_buffers[2 * DFU_TRANSFER_SIZE_MAX];

static volatile sig_atomic_t stop;
static int restart_wanted;
static unsigned manifests;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static uint32_t uptime(void *ctx)
{
    struct timespec ts;

    (void)ctx;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)(ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static void vlog(void *ctx, enum sys_log_level level, const char *fmt, va_list ap)
{
    (void)ctx;
    (void)level;
    fputs("dfu-device: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

static void restart(void *ctx)
{
    (void)ctx;
    restart_wanted = 1;
}

static int manifest(void *ctx, int permanent)
{
    (void)ctx;
    manifests++;
    fprintf(stderr, "dfu-device: manifest %u (%s)\n", manifests, permanent ? "permanent" : "test");
    return 0;
}

static void die(const char *what, int rc)
{
    fprintf(stderr, "dfu-device: %s failed (%d)\n", what, rc);
    exit(1);
}

int main(int argc, char **argv)
{
    static const struct dfu_config defaults = { DFU_CONFIG_DEFAULTS };
    static struct sim_flash sf;
    static struct flash_area slot0, slot1;
    static struct dfu_config cfg;
    static struct dfu dfu;
    static struct usb_device dev;
    static struct sys_ops sys;
    static const struct usbd_interface *rt_itfs[1];
    static struct usbd_device_info rt_info;
    const struct usbd_device_info *first;
    const char *flash = NULL, *port_file = NULL, *mode = "runtime";
    int create = 0, will_detach = 0, corrupt = 0, rc;
    struct usbip_server *srv;
    struct usbip_server_config scfg = { .port = 0, .listen_fd = -1, .verbose = 1 };
    const struct flash_layout *l = flash_layout_find("nrf52840dk");

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--flash") == 0 && i + 1 < argc)
            flash = argv[++i];
        else if (strcmp(argv[i], "--port-file") == 0 && i + 1 < argc)
            port_file = argv[++i];
        else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
            scfg.port = atoi(argv[++i]);
        else if (strcmp(argv[i], "--mode") == 0 && i + 1 < argc)
            mode = argv[++i];
        else if (strcmp(argv[i], "--will-detach") == 0)
            will_detach = 1;
        else if (strcmp(argv[i], "--create") == 0)
            create = 1;
        else if (strcmp(argv[i], "--corrupt") == 0 && i + 1 < argc && strcmp(argv[i + 1], "config-length") == 0) {
            corrupt = 1;
            i++;
        }
        else {
            fprintf(stderr, "usage: interop-dfu-device --flash FILE --port-file FILE [--port N] "
                            "[--mode runtime|dfu] [--will-detach] [--create] [--corrupt config-length]\n");
            return 2;
        }
    }
    if (flash == NULL || port_file == NULL || l == NULL || (strcmp(mode, "runtime") != 0 && strcmp(mode, "dfu") != 0)) {
        fprintf(stderr, "interop-dfu-device: --flash and --port-file are required; --mode runtime or dfu\n");
        return 2;
    }

    if ((rc = sim_flash_open_file(&sf, &l->geo, flash, create)) != DFB_OK)
        die("sim_flash_open_file", rc);
    if ((rc = flash_area_open(&sf.dev, l, FLASH_AREA_SLOT0, &slot0)) != DFB_OK)
        die("flash_area_open(slot0)", rc);
    if ((rc = flash_area_open(&sf.dev, l, FLASH_AREA_SLOT1, &slot1)) != DFB_OK)
        die("flash_area_open(slot1)", rc);
    if (create) {
        for (uint32_t i = 0; i < slot0.size; i += 4) {
            uint8_t w[4];

            for (uint32_t k = 0; k < 4; k++)
                w[k] = (uint8_t)((i + k) * 7 + ((i + k) >> 8));
            if ((rc = flash_area_write(&slot0, i, w, 4)) != DFB_OK)
                die("flash_area_write", rc);
        }
    }

    cfg = defaults;
    cfg.manufacturer = "dfuboot";
    cfg.product = "DFU sample";
    cfg.serial = "0123456789ABCDEF";
    cfg.enable_upload = 1;
    cfg.buffers = dfu_buffers;
    cfg.buffer_count = 2;
    cfg.will_detach = (uint8_t)will_detach;
    cfg.start_in_dfu_mode = strcmp(mode, "dfu") == 0;
    cfg.slot0 = &slot0;
    cfg.slot1 = &slot1;
    cfg.manifest = manifest;
    cfg.restart = restart;
    sys.uptime_ms = uptime;
    sys.vlog = vlog;
    cfg.sys = &sys;

    if ((rc = usbip_server_open(&srv, &scfg)) != 0)
        die("usbip_server_open", rc);
    if ((rc = dfu_init(&dfu, &cfg, &dev)) != DFB_OK)
        die("dfu_init", rc);
    rt_itfs[0] = dfu_runtime_interface(&dfu);
    rt_info = (struct usbd_device_info){
        .vid = cfg.vid, .pid = 0x0001, .bcd_device = 0x0100, .manufacturer = cfg.manufacturer,
        .product = cfg.product, .serial = cfg.serial, .max_power = 50, .num_interfaces = 1, .interfaces = rt_itfs,
    };
    first = cfg.start_in_dfu_mode ? dfu_mode_descriptors(&dfu) : &rt_info;
    /* the board's fault injection wraps the server's ep0_send */
    if (corrupt)
        setenv("DFUBOOT_VBOARD_CORRUPT", "config-length", 1);
    if ((rc = usbd_init(&dev, vboard_usb_fault_wrap(usbip_server_dc_ops(srv)), first)) != DFB_OK)
        die("usbd_init", rc);
    usbip_server_set_device(srv, &dev);

    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    {
        char tmp[4096];
        FILE *f;

        snprintf(tmp, sizeof(tmp), "%s.tmp", port_file);
        f = fopen(tmp, "w");
        if (f == NULL || fprintf(f, "%d\n", usbip_server_port(srv)) < 0 || fclose(f) != 0 ||
            rename(tmp, port_file) != 0)
            die("writing the port file", errno);
    }
    fprintf(stderr, "dfu-device: %s mode, USB/IP on 127.0.0.1:%d\n", mode, usbip_server_port(srv));

    while (!stop) {
        if ((rc = usbip_server_poll(srv, dfu_task(&dfu) ? 0 : 50)) != 0 && rc != -EINTR)
            die("usbip_server_poll", rc);
        if (restart_wanted) {
            /* A reboot of the board: the class starts over in the first mode. */
            restart_wanted = 0;
            fprintf(stderr, "dfu-device: restart\n");
            if ((rc = dfu_init(&dfu, &cfg, &dev)) != DFB_OK)
                die("dfu_init", rc);
            usbd_reenumerate(&dev, cfg.start_in_dfu_mode ? dfu_mode_descriptors(&dfu) : &rt_info);
        }
    }
    usbip_server_close(srv);
    sim_flash_close(&sf);
    return 0;
}
