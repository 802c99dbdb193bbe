/* The board API: everything firmware (the bootloader and the applications in
 * apps/) may ask of the board it runs on. Every port implements all of it:
 *   port/posix/   the virtual board (firmware as Linux processes, file-backed
 *                 NOR flash, USB over USB/IP);
 *   port/nrf5/    Nordic nRF51/nRF52 (ARMv6-M code), proven on QEMU's
 *                 microbit machine with USB carried over the UART.
 * An application includes this header and nothing of a port, so the same
 * source builds for every board. There is one board per program: the API
 * has no handle.
 *
 * Execution context: board_init() first, from the main thread. Everything
 * here is for the main thread (the application's loop) unless it says
 * otherwise; nothing here may be called from a USB controller event (see
 * usb/usb_dc.h), except board_uptime_ms(). */
#ifndef DFUBOOT_PORT_BOARD_H
#define DFUBOOT_PORT_BOARD_H

#include <stdint.h>

#include "common/system.h"
#include "flash/flash_map.h"
#include "usb/usbd.h"

#if defined(__GNUC__)
#define BOARD_NORETURN __attribute__((noreturn))
#define BOARD_PRINTF_LIKE(a, b) __attribute__((format(printf, a, b)))
#else
#define BOARD_NORETURN
#define BOARD_PRINTF_LIKE(a, b)
#endif

/* Brings the board up (clocks, console, flash driver, timer) and prints
 * the boot banner. Halts with a message when the board cannot start. */
void board_init(void);

/* --- console ------------------------------------------------------------ */

/* Plain console output, printf-style ("Hello World! %s\n"). */
void board_printf(const char *fmt, ...) BOARD_PRINTF_LIKE(1, 2);
/* One Zephyr-style application log line, newline added:
 * "[00:00:00.005,920] <inf> module: text". */
void board_log(const char *module, const char *fmt, ...) BOARD_PRINTF_LIKE(2, 3);

/* --- system services ---------------------------------------------------- */

/* The services the portable core takes (common/system.h): MCUboot-style log
 * lines ("I: ..."), uptime, reset, and the jump into an application. */
const struct sys_ops *board_sys(void);
/* The board's name as the seed prints it, e.g. "nrf52840dk_nrf52840". */
const char *board_name(void);
/* Milliseconds since the last reset. Safe from any context. */
uint32_t board_uptime_ms(void);
/* Software reset (a warm reset: the retained boot mode survives it). */
void board_reboot(void) BOARD_NORETURN;
/* Logs `why` and stops until the next reset. */
void board_halt(const char *why) BOARD_NORETURN;

/* --- flash -------------------------------------------------------------- */

/* The on-chip flash and its partition map (flash/flash_map.h). */
const struct flash_dev *board_flash(void);
const struct flash_layout *board_layout(void);

/* --- retained state and the recovery button ------------------------------ */

/* A word in RAM that survives a warm reset (board_reboot, the reset button)
 * and reads BOARD_BOOT_MODE_NORMAL after a power-on. The application sets
 * it before rebooting to ask the bootloader for something; the bootloader
 * reads it and puts it back to normal. */
enum board_boot_mode {
    BOARD_BOOT_MODE_NORMAL = 0,
    BOARD_BOOT_MODE_RECOVERY = 0x52435652u, /* "RVCR": enter USB DFU recovery */
};
uint32_t board_boot_mode(void);
void board_set_boot_mode(uint32_t mode);
/* Nonzero while the recovery button is held (sampled now). */
int board_button_pressed(void);

/* --- USB ------------------------------------------------------------------ */

/* Binds the board's USB device controller to the device core `dev` and
 * returns its ops for usbd_init(), or NULL when this board has no USB
 * connection (the caller then runs without USB). The controller reports
 * its events (bus reset, SETUP, OUT data, status done) by calling the
 * usbd_* event functions of usb/usb_dc.h on `dev`, under that header's
 * interrupt-context contract. */
const struct usb_dc_ops *board_usb_controller(struct usb_device *dev);

/* Detaches the board from the USB bus and powers its USB controller down,
 * so that the next program starts with USB as after a reset: the host sees
 * the device leave (as an unplug), and the device core bound by
 * board_usb_controller() gets no event from then on (the caller may drop
 * it). Console output queued for the bus, if the board shares a line with
 * it, is written out first. Nothing happens when no controller was bound,
 * or when it was already disabled. After it, board_usb_controller() may
 * bind a device core again.
 * Main thread only, not from a controller event. The bootloader calls it
 * after a CONFIG_BOOT_USB_DFU_WAIT window that no host used, before it
 * jumps to the application (which brings USB up itself if it wants it). */
void board_usb_disable(void);

/* The application's wait: returns after at most `timeout_ms` (0: at once),
 * or earlier when something happened (a USB event was handled). Controller
 * events are delivered while it runs, as interrupts would be. Returns 0,
 * or a negative dfb_err when the USB controller failed for good. */
int board_wait(uint32_t timeout_ms);

#endif
