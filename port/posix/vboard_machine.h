/* The virtual board as a machine: what `vboard run` (the board itself)
 * and the firmware side of this port (port/posix/board.c, which implements
 * port/board.h for the firmware) share.
 *
 * `vboard run` is the board: it owns the flash file, the USB/IP listening
 * socket and the reset button. At power-on its "ROM" executes the bytes in
 * the boot partition (a host ELF) in a child process; the bootloader
 * chainloads the application by executing the payload bytes of slot0 in the
 * same process, as a jump would. Everything the firmware needs is inherited:
 *
 *   DFUBOOT_BOARD_FD   memfd holding struct board_shared (counters, power-cut
 *                      plan, power-on time, retained RAM, the button),
 *                      shared across resets and exec
 *   DFUBOOT_FLASH_FD   the flash file (file offset = flash address)
 *   DFUBOOT_USBIP_FD   the listening USB/IP socket (absent: no USB cable)
 *
 * Firmware ends with one of the BOARD_EXIT_* codes; a reset or power-off
 * kills it. */
#ifndef DFUBOOT_PORT_POSIX_VBOARD_MACHINE_H
#define DFUBOOT_PORT_POSIX_VBOARD_MACHINE_H

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
    uint32_t boot_mode;    /* retained RAM word: board_boot_mode() */
    uint32_t button;       /* the recovery button is held */
    struct sim_flash_stats stats;
    uint32_t nsectors;
    uint32_t sector_erases[BOARD_MAX_SECTORS];
    uint64_t sector_programmed[BOARD_MAX_SECTORS];
};
#define BOARD_SHARED_MAGIC 0x64667662u /* "bvfd" */

/* Fault injection for interop tests: `real` itself, or, when
 * DFUBOOT_VBOARD_CORRUPT=config-length is set, a wrapper that makes every
 * configuration descriptor announce a wTotalLength 2 bytes larger than
 * what is sent. */
const struct usb_dc_ops *vboard_usb_fault_wrap(const struct usb_dc_ops *real);

/* Executes `len` bytes of the flash file at device offset `off` as the new
 * program of this process (the jump into an application). Returns only on
 * error (a negative dfb_err). */
int vboard_exec_flash(int flash_fd, uint32_t off, uint32_t len);

/* For test firmware on this board: the shared state, and whether the board
 * has a USB cable. */
struct board_shared *vboard_shared(void);
int vboard_has_usb(void);

/* For vboard: the shared state, and the ROM starting the bootloader. */
struct board_shared *board_shared_create(int *fd_out, const char *layout);
/* A reset: uptime starts again from zero. */
void board_shared_restart_clock(struct board_shared *sh);
/* Forks and executes the boot partition's bytes in the child; returns the
 * child's pid, or -1 with a message in `why` if there is nothing to run. */
int board_rom_start(const struct flash_layout *layout, int flash_fd, int shared_fd, int usbip_fd, char *why,
                    unsigned why_len);

#endif
