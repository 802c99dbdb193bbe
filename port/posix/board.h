/* The virtual board, as firmware running on it sees it.
 *
 * `vboard run` is the board: it owns the flash file, the USB/IP listening
 * socket and the reset button. At power-on its "ROM" executes the bytes in
 * the boot partition (a host ELF) in a child process; the bootloader
 * chainloads the application by executing the payload bytes of slot0 in the
 * same process, as a jump would. Everything the firmware needs is inherited:
 *
 *   DFUBOOT_BOARD_FD   memfd holding struct board_shared (counters, power-cut
 *                      plan, power-on time), shared across resets and exec
 *   DFUBOOT_FLASH_FD   the flash file (file offset = flash address)
 *   DFUBOOT_USBIP_FD   the listening USB/IP socket (absent: no USB cable)
 *
 * Firmware ends with one of the BOARD_EXIT_* codes; a reset or power-off
 * kills it. */
#ifndef DFUBOOT_PORT_POSIX_BOARD_H
#define DFUBOOT_PORT_POSIX_BOARD_H

#include <stdarg.h>
#include <stdint.h>

#include "common/system.h"
#include "flash/flash_map.h"
#include "port/posix/sim_flash.h"
#include "usb/usb_dc.h"

#define BOARD_VERSION "0.1.0"
#define BOARD_MAX_SECTORS 4096

enum board_exit {
    BOARD_EXIT_IDLE = 0,      /* main returned: the board idles until reset */
    BOARD_EXIT_POWER_CUT = 3, /* injected power cut */
    BOARD_EXIT_REBOOT = 10,   /* software reset (sys_reboot) */
    BOARD_EXIT_HALT = 11,     /* firmware halted (e.g. no bootable image) */
};

/* State that survives exec and resets; lives in a memfd created by vboard. */
struct board_shared {
    uint32_t magic;
    char layout[32];
    uint64_t power_on_ns;  /* CLOCK_MONOTONIC at the last reset */
    uint64_t cut_at;       /* flash operation that cuts power; 0 = never */
    uint32_t cut_torn;
    uint64_t ops;          /* erase/write operations since power-on */
    uint32_t boots;        /* resets since power-on */
    struct sim_flash_stats stats;
    uint32_t nsectors;
    uint32_t sector_erases[BOARD_MAX_SECTORS];
    uint64_t sector_programmed[BOARD_MAX_SECTORS];
};
#define BOARD_SHARED_MAGIC 0x64667662u /* "bvfd" */

struct board {
    const struct flash_layout *layout;
    struct sim_flash flash;
    struct board_shared *shared;
    int usbip_listen_fd; /* -1 without a USB cable */
    struct sys_ops sys;  /* MCUboot-style log ("I: ..."), uptime, reset, jump */
};

/* For firmware: attach to the board from the inherited descriptors and
 * print the boot banner. Exits with a message if not started by vboard. */
void board_init(struct board *b);

/* Zephyr-style application log line: "[00:00:00.005,920] <inf> module: text". */
void board_log(struct board *b, const char *module, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The USB controller firmware should use: `real` itself, or, when the board
 * was started with DFUBOOT_VBOARD_CORRUPT=config-length (fault injection
 * for interop tests), a wrapper that makes every configuration descriptor
 * announce a wTotalLength 2 bytes larger than what is sent. */
const struct usb_dc_ops *board_usb_controller(struct board *b, const struct usb_dc_ops *real);

uint32_t board_uptime_ms(struct board *b);
void board_reboot(struct board *b) __attribute__((noreturn));
void board_halt(struct board *b, const char *why) __attribute__((noreturn));

/* Executes `len` bytes of flash at device offset `off` as the new program
 * of this process (the jump into an application). Returns only on error. */
int board_exec_flash(struct board *b, uint32_t off, uint32_t len);

/* For vboard: the shared state, and the ROM starting the bootloader. */
struct board_shared *board_shared_create(int *fd_out, const char *layout);
/* A reset: uptime starts again from zero. */
void board_shared_restart_clock(struct board_shared *sh);
/* Forks and executes the boot partition's bytes in the child; returns the
 * child's pid, or -1 with a message in `why` if there is nothing to run. */
int board_rom_start(const struct flash_layout *layout, int flash_fd, int shared_fd, int usbip_fd, char *why,
                    unsigned why_len);

#endif
