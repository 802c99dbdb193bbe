/* The board API (port/board.h) for firmware running on the virtual board:
 * the flash is the board's file through the simulated NOR flash, the USB
 * device controller is the USB/IP server on the board's listening socket,
 * the retained RAM word lives in the state `vboard run` shares across
 * resets, and the jump executes the application's bytes from flash. */
#include "port/board.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "common/errors.h"
#include "port/posix/usbip/usbip_server.h"
#include "port/posix/vboard_machine.h"

static struct {
    const struct flash_layout *layout;
    struct sim_flash flash;
    struct board_shared *shared;
    int usbip_listen_fd; /* -1 without a USB cable */
    struct usbip_server *usb;
    struct sys_ops sys;
} board;

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int env_fd(const char *name)
{
    const char *v = getenv(name);
    char *end;
    long fd;

    if (v == NULL || *v == '\0')
        return -1;
    fd = strtol(v, &end, 10);
    return (*end == '\0' && fd >= 0 && fd < 1024) ? (int)fd : -1;
}

static void die(const char *msg)
{
    fprintf(stderr, "board: %s\n", msg);
    exit(2);
}

/* Publishes the flash counters after each operation, so they survive a
 * reset (SIGKILL) and the exec of the next program. */
static void publish_counters(void *ctx)
{
    struct board_shared *sh = board.shared;

    (void)ctx;
    sh->ops = board.flash.ops;
    sh->stats = board.flash.stats;
    memcpy(sh->sector_erases, board.flash.sector_erases, sh->nsectors * sizeof(sh->sector_erases[0]));
    memcpy(sh->sector_programmed, board.flash.sector_programmed, sh->nsectors * sizeof(sh->sector_programmed[0]));
}

static void on_power_cut(void *ctx, uint64_t op)
{
    publish_counters(ctx);
    fflush(stdout);
    printf("power cut at flash operation %llu\n", (unsigned long long)op);
    fflush(stdout);
    _exit(BOARD_EXIT_POWER_CUT);
}

static void sys_vlog(void *ctx, enum sys_log_level level, const char *fmt, va_list ap)
{
    static const char prefix[] = { 'E', 'W', 'I', 'D' };

    (void)ctx;
    printf("%c: ", prefix[level & 3]);
    vprintf(fmt, ap);
    putchar('\n');
}

static uint32_t sys_uptime(void *ctx)
{
    (void)ctx;
    return board_uptime_ms();
}

static void sys_reset(void *ctx)
{
    (void)ctx;
    board_reboot();
}

static void sys_jump(void *ctx, uint32_t image_off, uint32_t hdr_size, uint32_t img_size)
{
    int rc;

    (void)ctx;
    publish_counters(NULL);
    rc = vboard_exec_flash(board.flash.fd, image_off + hdr_size, img_size);
    printf("E: jump to 0x%x failed: %s\n", image_off, dfb_strerror(rc));
    board_halt("cannot start the application");
}

/* DFUBOOT_VBOARD_FLASH_TIME=N: flash operations take N % of the timing
 * model's time in real time (0..1000; default 0, instant). */
static uint32_t flash_time_percent(void)
{
    const char *v = getenv("DFUBOOT_VBOARD_FLASH_TIME");
    char *end;
    unsigned long n;

    if (v == NULL || *v == '\0')
        return 0;
    n = strtoul(v, &end, 10);
    if (*end != '\0' || n > 1000)
        die("DFUBOOT_VBOARD_FLASH_TIME wants a percentage from 0 to 1000");
    return (uint32_t)n;
}

void board_init(void)
{
    int board_fd = env_fd("DFUBOOT_BOARD_FD");
    int flash_fd = env_fd("DFUBOOT_FLASH_FD");
    struct board_shared *sh;

    setvbuf(stdout, NULL, _IOLBF, 0);
    memset(&board, 0, sizeof(board));
    if (board_fd < 0 || flash_fd < 0)
        die("not running on the virtual board (start it with `vboard run`)");
    sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED, board_fd, 0);
    if (sh == MAP_FAILED || sh->magic != BOARD_SHARED_MAGIC)
        die("bad board state descriptor");
    board.shared = sh;
    board.layout = flash_layout_find(sh->layout);
    if (board.layout == NULL)
        die("unknown flash layout");
    if (sim_flash_open_fd(&board.flash, &board.layout->geo, flash_fd) != DFB_OK)
        die("cannot open the flash");
    /* counters and the power-cut plan run from power-on, across exec */
    board.flash.ops = sh->ops;
    board.flash.stats = sh->stats;
    memcpy(board.flash.sector_erases, sh->sector_erases, sh->nsectors * sizeof(sh->sector_erases[0]));
    memcpy(board.flash.sector_programmed, sh->sector_programmed, sh->nsectors * sizeof(sh->sector_programmed[0]));
    if (sh->cut_at != 0 && sh->cut_at > sh->ops)
        sim_flash_set_cut(&board.flash, sh->cut_at, sh->cut_torn ? SIM_CUT_TORN : SIM_CUT_ATOMIC, sh->cut_at);
    board.flash.realtime_percent = flash_time_percent();
    board.flash.on_op = publish_counters;
    board.flash.on_power_cut = on_power_cut;
    board.usbip_listen_fd = env_fd("DFUBOOT_USBIP_FD");
    board.sys.vlog = sys_vlog;
    board.sys.uptime_ms = sys_uptime;
    board.sys.reset = sys_reset;
    board.sys.jump = sys_jump;
    printf("*** Booting dfuboot v%s ***\n", BOARD_VERSION);
}

void board_printf(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
}

void board_log(const char *module, const char *fmt, ...)
{
    uint64_t us = (now_ns() - board.shared->power_on_ns) / 1000ull;
    uint64_t s = us / 1000000ull;
    va_list ap;

    printf("[%02llu:%02llu:%02llu.%03llu,%03llu] <inf> %s: ", (unsigned long long)(s / 3600),
           (unsigned long long)(s / 60 % 60), (unsigned long long)(s % 60),
           (unsigned long long)(us / 1000 % 1000), (unsigned long long)(us % 1000), module);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

const struct sys_ops *board_sys(void)
{
    return &board.sys;
}

const char *board_name(void)
{
    return board.layout->board;
}

uint32_t board_uptime_ms(void)
{
    return (uint32_t)((now_ns() - board.shared->power_on_ns) / 1000000ull);
}

void board_reboot(void)
{
    fflush(stdout);
    _exit(BOARD_EXIT_REBOOT);
}

void board_halt(const char *why)
{
    printf("*** board halted: %s ***\n", why);
    fflush(stdout);
    _exit(BOARD_EXIT_HALT);
}

const struct flash_dev *board_flash(void)
{
    return &board.flash.dev;
}

const struct flash_layout *board_layout(void)
{
    return board.layout;
}

uint32_t board_boot_mode(void)
{
    return board.shared->boot_mode;
}

void board_set_boot_mode(uint32_t mode)
{
    board.shared->boot_mode = mode;
}

int board_button_pressed(void)
{
    return board.shared->button != 0;
}

const struct usb_dc_ops *board_usb_controller(struct usb_device *dev)
{
    struct usbip_server_config scfg = { .dev = dev, .port = -1, .listen_fd = board.usbip_listen_fd };
    int rc;

    if (board.usbip_listen_fd < 0)
        return NULL;
    if (board.usb == NULL) {
        rc = usbip_server_open(&board.usb, &scfg);
        if (rc != 0) {
            fprintf(stderr, "board: USB/IP controller: %s\n", strerror(-rc));
            return NULL;
        }
    } else {
        usbip_server_set_device(board.usb, dev);
    }
    return vboard_usb_fault_wrap(usbip_server_dc_ops(board.usb));
}

/* The USB/IP server goes: its connections close (the host's import ends,
 * as at an unplug); the listening socket is the board's cable and stays for
 * the next program. */
void board_usb_disable(void)
{
    if (board.usb == NULL)
        return;
    usbip_server_close(board.usb);
    board.usb = NULL;
}

int board_wait(uint32_t timeout_ms)
{
    int rc;

    if (board.usb == NULL) {
        struct timespec ts = { (time_t)(timeout_ms / 1000), (long)(timeout_ms % 1000) * 1000000L };

        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
        return 0;
    }
    /* events reach the device core from inside the poll, bracketed as
     * interrupts (port/posix/irq_context.h) */
    rc = usbip_server_poll(board.usb, (int)(timeout_ms > 0x7FFFFFFF ? 0x7FFFFFFF : timeout_ms));
    return rc < 0 && rc != -EINTR ? DFB_EIO : 0;
}

struct board_shared *vboard_shared(void)
{
    return board.shared;
}

int vboard_has_usb(void)
{
    return board.usbip_listen_fd >= 0;
}
