#include "port/posix/vboard_machine.h"

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

const struct usb_dc_ops *vboard_usb_fault_wrap(const struct usb_dc_ops *real)
{
    const char *fault = getenv("DFUBOOT_VBOARD_CORRUPT");

    if (fault == NULL || strcmp(fault, "config-length") != 0)
        return real;
    printf("board: fault injection: configuration descriptors announce 2 extra bytes\n");
    corrupt_real = real;
    corrupt_ops = *real;
    corrupt_ops.ep0_send = send_config_too_long;
    return &corrupt_ops;
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

int vboard_exec_flash(int flash_fd, uint32_t off, uint32_t len)
{
    int prog;

    if (!is_elf(flash_fd, off))
        return DFB_EBADIMAGE;
    prog = load_program(flash_fd, off, len, "dfuboot-app");
    if (prog < 0)
        return DFB_EIO;
    fflush(stdout);
    keep_open(flash_fd);
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

/* Firmware links the board runtime (libdfuboot-vboard.so) dynamically: it
 * is part of the machine, found in the lib/ directory beside the bin/ that
 * holds this program (the build tree's layout). */
static void export_runtime_path(void)
{
    char exe[4096], path[8192];
    const char *old = getenv("LD_LIBRARY_PATH");
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    char *slash;

    if (n <= 0)
        return;
    exe[n] = '\0';
    for (int up = 0; up < 2; up++) { /* .../bin/vboard -> ... */
        slash = strrchr(exe, '/');
        if (slash == NULL)
            return;
        *slash = '\0';
    }
    snprintf(path, sizeof(path), "%s/lib%s%s", exe, old != NULL && *old != '\0' ? ":" : "", old != NULL ? old : "");
    setenv("LD_LIBRARY_PATH", path, 1);
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
        export_runtime_path();
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
