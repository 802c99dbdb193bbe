#include "port/posix/board.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/errors.h"

extern char **environ;

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
    struct board *b = ctx;
    struct board_shared *sh = b->shared;

    sh->ops = b->flash.ops;
    sh->stats = b->flash.stats;
    memcpy(sh->sector_erases, b->flash.sector_erases, sh->nsectors * sizeof(sh->sector_erases[0]));
    memcpy(sh->sector_programmed, b->flash.sector_programmed, sh->nsectors * sizeof(sh->sector_programmed[0]));
}

static void on_power_cut(void *ctx, uint64_t op)
{
    struct board *b = ctx;

    publish_counters(b);
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
    return board_uptime_ms(ctx);
}

static void sys_reset(void *ctx)
{
    board_reboot(ctx);
}

static void sys_jump(void *ctx, uint32_t image_off, uint32_t hdr_size, uint32_t img_size)
{
    struct board *b = ctx;
    int rc = board_exec_flash(b, image_off + hdr_size, img_size);

    fprintf(stdout, "E: jump to 0x%x failed: %s\n", image_off, dfb_strerror(rc));
    board_halt(b, "cannot start the application");
}

void board_init(struct board *b)
{
    int board_fd = env_fd("DFUBOOT_BOARD_FD");
    int flash_fd = env_fd("DFUBOOT_FLASH_FD");
    struct board_shared *sh;

    setvbuf(stdout, NULL, _IOLBF, 0);
    memset(b, 0, sizeof(*b));
    if (board_fd < 0 || flash_fd < 0)
        die("not running on the virtual board (start it with `vboard run`)");
    sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED, board_fd, 0);
    if (sh == MAP_FAILED || sh->magic != BOARD_SHARED_MAGIC)
        die("bad board state descriptor");
    b->shared = sh;
    b->layout = flash_layout_find(sh->layout);
    if (b->layout == NULL)
        die("unknown flash layout");
    if (sim_flash_open_fd(&b->flash, &b->layout->geo, flash_fd) != DFB_OK)
        die("cannot open the flash");
    /* counters and the power-cut plan run from power-on, across exec */
    b->flash.ops = sh->ops;
    b->flash.stats = sh->stats;
    memcpy(b->flash.sector_erases, sh->sector_erases, sh->nsectors * sizeof(sh->sector_erases[0]));
    memcpy(b->flash.sector_programmed, sh->sector_programmed, sh->nsectors * sizeof(sh->sector_programmed[0]));
    if (sh->cut_at != 0 && sh->cut_at > sh->ops)
        sim_flash_set_cut(&b->flash, sh->cut_at, sh->cut_torn ? SIM_CUT_TORN : SIM_CUT_ATOMIC, sh->cut_at);
    b->flash.on_op = publish_counters;
    b->flash.on_op_ctx = b;
    b->flash.on_power_cut = on_power_cut;
    b->flash.on_power_cut_ctx = b;
    b->usbip_listen_fd = env_fd("DFUBOOT_USBIP_FD");
    b->sys.vlog = sys_vlog;
    b->sys.uptime_ms = sys_uptime;
    b->sys.reset = sys_reset;
    b->sys.jump = sys_jump;
    b->sys.ctx = b;
    printf("*** Booting dfuboot v%s ***\n", BOARD_VERSION);
}

static struct usb_dc_ops corrupt_ops;
static const struct usb_dc_ops *corrupt_real;

static int send_config_too_long(void *ctx, const void *data, uint16_t len)
{
    const uint8_t *d = data;
    uint8_t buf[4096];

    if (len >= 4 && len <= sizeof(buf) && d[0] == 9 && d[1] == 2) {
        uint16_t total = (uint16_t)(d[2] | (d[3] << 8));

        memcpy(buf, d, len);
        total = (uint16_t)(total + 2);
        buf[2] = (uint8_t)total;
        buf[3] = (uint8_t)(total >> 8);
        return corrupt_real->ep0_send(ctx, buf, len);
    }
    return corrupt_real->ep0_send(ctx, data, len);
}

const struct usb_dc_ops *board_usb_controller(struct board *b, const struct usb_dc_ops *real)
{
    const char *fault = getenv("DFUBOOT_VBOARD_CORRUPT");

    (void)b;
    if (fault == NULL || strcmp(fault, "config-length") != 0)
        return real;
    printf("board: fault injection: configuration descriptors announce 2 extra bytes\n");
    corrupt_real = real;
    corrupt_ops = *real;
    corrupt_ops.ep0_send = send_config_too_long;
    return &corrupt_ops;
}

uint32_t board_uptime_ms(struct board *b)
{
    return (uint32_t)((now_ns() - b->shared->power_on_ns) / 1000000ull);
}

void board_log(struct board *b, const char *module, const char *fmt, ...)
{
    uint64_t us = (now_ns() - b->shared->power_on_ns) / 1000ull;
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

void board_reboot(struct board *b)
{
    (void)b;
    fflush(stdout);
    _exit(BOARD_EXIT_REBOOT);
}

void board_halt(struct board *b, const char *why)
{
    (void)b;
    printf("*** board halted: %s ***\n", why);
    fflush(stdout);
    _exit(BOARD_EXIT_HALT);
}

/* Copies `len` bytes at `off` of `flash_fd` into a sealed memfd. */
static int load_program(int flash_fd, uint32_t off, uint32_t len, const char *name)
{
    int fd = memfd_create(name, MFD_CLOEXEC);
    uint8_t buf[4096];

    if (fd < 0)
        return -1;
    while (len > 0) {
        uint32_t n = len < sizeof(buf) ? len : (uint32_t)sizeof(buf);

        if (pread(flash_fd, buf, n, off) != (ssize_t)n || write(fd, buf, n) != (ssize_t)n) {
            close(fd);
            return -1;
        }
        off += n;
        len -= n;
    }
    return fd;
}

static int is_elf(int flash_fd, uint32_t off)
{
    unsigned char m[4];

    return pread(flash_fd, m, 4, off) == 4 && memcmp(m, "\177ELF", 4) == 0;
}

static void keep_open(int fd)
{
    if (fd >= 0)
        fcntl(fd, F_SETFD, 0);
}

int board_exec_flash(struct board *b, uint32_t off, uint32_t len)
{
    int prog;

    if (!is_elf(b->flash.fd, off))
        return DFB_EBADIMAGE;
    prog = load_program(b->flash.fd, off, len, "dfuboot-app");
    if (prog < 0)
        return DFB_EIO;
    publish_counters(b);
    fflush(stdout);
    keep_open(b->flash.fd);
    fexecve(prog, (char *const[]){ "dfuboot-app", NULL }, environ);
    close(prog);
    return DFB_EIO;
}

struct board_shared *board_shared_create(int *fd_out, const char *layout)
{
    int fd = memfd_create("dfuboot-board", 0);
    struct board_shared *sh;

    if (fd < 0 || ftruncate(fd, sizeof(*sh)) != 0)
        return NULL;
    sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (sh == MAP_FAILED) {
        close(fd);
        return NULL;
    }
    memset(sh, 0, sizeof(*sh));
    sh->magic = BOARD_SHARED_MAGIC;
    snprintf(sh->layout, sizeof(sh->layout), "%s", layout);
    sh->power_on_ns = now_ns();
    *fd_out = fd;
    return sh;
}

void board_shared_restart_clock(struct board_shared *sh)
{
    sh->power_on_ns = now_ns();
}

int board_rom_start(const struct flash_layout *layout, int flash_fd, int shared_fd, int usbip_fd, char *why,
                    unsigned why_len)
{
    const struct flash_partition *boot = flash_layout_partition(layout, FLASH_AREA_BOOT);
    char num[16];
    int prog;
    pid_t pid;

    if (boot == NULL || !is_elf(flash_fd, boot->off)) {
        snprintf(why, why_len, "no bootloader in the boot partition");
        return -1;
    }
    prog = load_program(flash_fd, boot->off, boot->size, "dfuboot-rom");
    if (prog < 0) {
        snprintf(why, why_len, "cannot load the boot partition: %s", strerror(errno));
        return -1;
    }
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        keep_open(flash_fd);
        keep_open(shared_fd);
        snprintf(num, sizeof(num), "%d", flash_fd);
        setenv("DFUBOOT_FLASH_FD", num, 1);
        snprintf(num, sizeof(num), "%d", shared_fd);
        setenv("DFUBOOT_BOARD_FD", num, 1);
        if (usbip_fd >= 0) {
            keep_open(usbip_fd);
            snprintf(num, sizeof(num), "%d", usbip_fd);
            setenv("DFUBOOT_USBIP_FD", num, 1);
        } else {
            unsetenv("DFUBOOT_USBIP_FD");
        }
        fexecve(prog, (char *const[]){ "dfuboot-bootloader", NULL }, environ);
        fprintf(stderr, "board: ROM cannot start the bootloader: %s\n", strerror(errno));
        _exit(BOARD_EXIT_HALT);
    }
    close(prog);
    if (pid < 0) {
        snprintf(why, why_len, "fork: %s", strerror(errno));
        return -1;
    }
    return (int)pid;
}
