/* A firmware stand-in for the UART link tests: the real USB device core and
 * DFU class (the DFU sample's configuration: upload of slot0 through alt 0,
 * download into slot1 through alt 1, manifestation marks a test upgrade) on
 * a file-backed nRF52840 DK flash, with USB carried by the device side of
 * the UART link over a unix socket, polled like board_wait() would, and the
 * class's flash work (dfu_task) between polls like the application's loop.
 *
 *   uartlink_dfu_device --listen SOCKET --flash FILE [--exit-after-frames N] [--irq]
 *
 * It listens on SOCKET like QEMU's `-chardev socket,server=on` does, and
 * serves one bridge at a time: when the bridge goes away, it waits for the
 * next one with the link state as it was (a UART whose other end left).
 * Leaving DFU mode (restart) re-initialises core, class and link, as a
 * reboot would, without ending the process. --exit-after-frames makes the
 * device vanish (exit 3) once its link has received N frames: a device
 * that disappears mid-transfer. --irq moves bytes the way an interrupt
 * handler would (uartlink_dev_rx with at most 6 bytes at a time, the nRF51
 * UART's RX FIFO, then uartlink_dev_tx) instead of uartlink_dev_poll.
 * SIGTERM ends it (exit 0). */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "boot/boot_trailer.h"
#include "common/errors.h"
#include "dfu/dfu.h"
#include "port/posix/irq_context.h"
#include "port/posix/sim_flash.h"
#include "port/uartlink/uartlink_dev.h"
#include "usb/usbd.h"

static struct {
    struct sim_flash sf;
    struct flash_area slot0, slot1;
    struct boot_slots slots;
    struct dfu_config cfg;
    struct dfu dfu;
    struct usb_device usb;
    struct usbd_device_info info;
    const struct usbd_interface *itfs[1];
    struct sys_ops sys;
    struct uartlink_dev link;
    int conn;
    int reboot;
} D;

static volatile sig_atomic_t stop;
static uint8_t dfu_buffers[2 * DFU_TRANSFER_SIZE_MAX];

static void on_term(int sig)
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

static void console(const char *text)
{
    uint16_t len = (uint16_t)strlen(text), done;

    /* the console shares the UART with the frames: it goes between them */
    done = uartlink_dev_console(&D.link, text, len);
    while (done < len && D.conn >= 0 && uartlink_dev_tx(&D.link) >= 0)
        done = (uint16_t)(done + uartlink_dev_console(&D.link, text + done, (uint16_t)(len - done)));
}

static int manifest(void *ctx, int permanent)
{
    (void)ctx;
    console(permanent ? "manifest: permanent upgrade requested\n" : "manifest: test upgrade requested\n");
    return boot_request_upgrade(&D.slots, permanent);
}

static void restart(void *ctx)
{
    (void)ctx;
    D.reboot = 1;
}

static int uart_write(void *ctx, const uint8_t *buf, uint16_t len)
{
    ssize_t n;

    (void)ctx;
    if (D.conn < 0)
        return -1;
    n = send(D.conn, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n >= 0)
        return (int)n;
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
}

static int uart_read(void *ctx, uint8_t *buf, uint16_t len)
{
    ssize_t n;

    (void)ctx;
    if (D.conn < 0)
        return -1;
    n = recv(D.conn, buf, len, MSG_DONTWAIT);
    if (n > 0)
        return (int)n;
    if (n == 0)
        return -1; /* the bridge went away */
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
}

/* Power-on or reboot: class, core and link from scratch. */
static void boot_device(void)
{
    static const struct dfu_config defaults = { DFU_CONFIG_DEFAULTS };
    static const struct uartlink_uart_ops uart = { .write = uart_write, .read = uart_read };
    uint32_t dl_off = 0, max_img = 0;

    if (boot_download_offset(&D.slots, &dl_off) != DFB_OK || boot_max_image_size(&D.slots, &max_img) != DFB_OK) {
        fprintf(stderr, "uartlink_dfu_device: the slots cannot be swapped\n");
        exit(1);
    }
    D.cfg = defaults;
    D.cfg.manufacturer = "dfuboot";
    D.cfg.product = "dfuboot DFU sample";
    D.cfg.serial = "0123456789ABCDEF";
    D.cfg.bcd_device = 0x0100;
    D.cfg.enable_upload = 1;
    D.cfg.buffers = dfu_buffers;
    D.cfg.buffer_count = 2;
    D.cfg.slot0 = &D.slot0;
    D.cfg.slot1 = &D.slot1;
    D.cfg.slot1_offset = dl_off;
    D.cfg.slot1_limit = dl_off + max_img;
    D.cfg.manifest = manifest;
    D.cfg.restart = restart;
    D.sys.uptime_ms = uptime;
    D.cfg.sys = &D.sys;
    if (dfu_init(&D.dfu, &D.cfg, &D.usb) != DFB_OK) {
        fprintf(stderr, "uartlink_dfu_device: DFU class configuration refused\n");
        exit(1);
    }
    D.itfs[0] = dfu_runtime_interface(&D.dfu);
    D.info = (struct usbd_device_info){ .vid = 0x1209, .pid = 0x0001, .bcd_device = 0x0100,
                                        .manufacturer = "dfuboot", .product = "dfuboot DFU sample",
                                        .serial = "0123456789ABCDEF", .attributes = USB_CFG_SELF_POWERED,
                                        .max_power = 50, .num_interfaces = 1, .interfaces = D.itfs };
    uartlink_dev_init(&D.link, &D.usb, &uart);
    if (usbd_init(&D.usb, uartlink_dev_dc_ops(&D.link), &D.info) != DFB_OK) {
        fprintf(stderr, "uartlink_dfu_device: usbd_init failed\n");
        exit(1);
    }
    uartlink_dev_start(&D.link);
    console("This device supports USB DFU class.\n");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = { { "listen", required_argument, NULL, 'l' },
                                          { "flash", required_argument, NULL, 'f' },
                                          { "exit-after-frames", required_argument, NULL, 'x' },
                                          { "irq", no_argument, NULL, 'i' },
                                          { NULL, 0, NULL, 0 } };
    const char *sock_path = NULL, *flash_path = NULL;
    const struct flash_layout *l = flash_layout_find("nrf52840dk");
    unsigned long exit_after = 0;
    int irq_mode = 0;
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int c, lfd;

    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'l')
            sock_path = optarg;
        else if (c == 'f')
            flash_path = optarg;
        else if (c == 'x')
            exit_after = strtoul(optarg, NULL, 0);
        else if (c == 'i')
            irq_mode = 1;
        else
            return 2;
    }
    if (!sock_path || !flash_path || !l || strlen(sock_path) >= sizeof(sa.sun_path)) {
        fprintf(stderr, "usage: uartlink_dfu_device --listen SOCKET --flash FILE [--exit-after-frames N] [--irq]\n");
        return 2;
    }
    if (sim_flash_open_file(&D.sf, &l->geo, flash_path, access(flash_path, F_OK) != 0) != DFB_OK ||
        flash_area_open(&D.sf.dev, l, FLASH_AREA_SLOT0, &D.slot0) != DFB_OK ||
        flash_area_open(&D.sf.dev, l, FLASH_AREA_SLOT1, &D.slot1) != DFB_OK) {
        fprintf(stderr, "uartlink_dfu_device: cannot open flash %s\n", flash_path);
        return 1;
    }
    D.slots.primary = &D.slot0;
    D.slots.secondary = &D.slot1;

    strcpy(sa.sun_path, sock_path);
    unlink(sock_path);
    lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 1) < 0) {
        perror("uartlink_dfu_device: listen");
        return 1;
    }
    signal(SIGTERM, on_term);
    signal(SIGPIPE, SIG_IGN);
    D.conn = -1;
    boot_device();
    while (!stop) {
        struct pollfd p;
        int r;

        if (D.conn < 0) {
            /* like QEMU's server socket: the device waits for a bridge */
            p = (struct pollfd){ .fd = lfd, .events = POLLIN };
            if (poll(&p, 1, 200) > 0)
                D.conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
            continue;
        }
        p = (struct pollfd){ .fd = D.conn, .events = POLLIN };
        if (uartlink_dev_tx(&D.link) > 0)
            p.events |= POLLOUT;
        poll(&p, 1, 100);
        /* the UART interrupt: USB events, where no flash work may happen */
        irq_context_enter("uartlink");
        if (irq_mode) {
            uint8_t fifo[6];

            r = 0;
            for (int k = 0; k < 64 && r >= 0; k++) {
                int n = uart_read(NULL, fifo, sizeof(fifo));

                if (n <= 0) {
                    r = n;
                    break;
                }
                uartlink_dev_rx(&D.link, fifo, (uint16_t)n); /* RXDRDY */
            }
            if (r >= 0)
                r = uartlink_dev_tx(&D.link); /* TXDRDY */
        } else {
            r = uartlink_dev_poll(&D.link);
        }
        irq_context_exit();
        if (r < 0) {
            close(D.conn);
            D.conn = -1;
        }
        /* the application's main loop: the class's flash work */
        while (dfu_task(&D.dfu))
            ;
        if (exit_after && uartlink_dev_stats(&D.link)->frames >= exit_after) {
            fprintf(stderr, "uartlink_dfu_device: vanishing after %lu frames\n", exit_after);
            _exit(3);
        }
        if (D.reboot) {
            D.reboot = 0;
            while (D.conn >= 0 && uartlink_dev_tx(&D.link) > 0)
                poll(&(struct pollfd){ .fd = D.conn, .events = POLLOUT }, 1, 100);
            boot_device();
        }
    }
    if (D.conn >= 0)
        close(D.conn);
    close(lfd);
    unlink(sock_path);
    sim_flash_close(&D.sf);
    return 0;
}
