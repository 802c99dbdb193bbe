/* The emulated-chip machine of vboard: `vboard run` on a flash file created
 * with --machine qemu-nrf51 runs the real Thumb firmware on QEMU's microbit
 * (nRF51822, Cortex-M0, NVMC) with flash and RAM enlarged to the
 * nRF52840's 1 MiB and 256 KiB (port/nrf5/).
 *
 * vboard drives QEMU through sockets in a private directory: the UART (the
 * console, printed on stdout), the gdbstub (loads the flash file into the
 * flash model, stops the chip, watches the port's flash-operation counter),
 * QMP (reset, flash save, guest instruction count) and, with
 * --hold-button, qtest (drives the recovery button's GPIO pin).
 *
 * With --usbip the UART also carries USB: the firmware's USB core talks the
 * UART link (docs/uart-link.md) and vboard runs the link's host side, the
 * USB/IP bridge of port/posix/usbip/usbip_uart_bridge.h, in a thread of its
 * own; the console text between the frames is still printed on stdout. */
#ifndef DFUBOOT_TOOLS_VBOARD_VBOARD_QEMU_H
#define DFUBOOT_TOOLS_VBOARD_VBOARD_QEMU_H

#include <stdint.h>

#include "flash/flash_map.h"

#define VBOARD_MACHINE_HOST "host"
#define VBOARD_MACHINE_QEMU_NRF51 "qemu-nrf51"

/* 1 if `name` is a machine vboard can run. */
int vboard_machine_known(const char *name);

/* Checks that `layout` can be used with `machine`; on failure writes why. */
int vboard_machine_layout_ok(const char *machine, const struct flash_layout *layout, char *why, unsigned why_len);

struct vboard_qemu_run {
    const char *flash;                 /* the flash file (layout->geo.size bytes) */
    int flash_fd;                      /* open on it, read-write, locked by the caller */
    const struct flash_layout *layout;
    int usbip_fd;                      /* the listening USB/IP socket (--usbip), or -1 */
    const char *uart_socket;           /* the UART as a unix socket here for an outside
                                          bridge (the chip runs once one is connected), or NULL */
    const char *stats;                 /* JSON file written at the end, or NULL */
    uint64_t cut_after;                /* power cut at this flash operation (0: never) */
    int hold_button;                   /* the recovery button held at power-on, let go at
                                          the first reset (QEMU's qtest socket drives the pin) */
};

/* `vboard run` on the qemu-nrf51 machine. Returns the process exit code,
 * the host machine's: 0 after power-off (SIGINT/SIGTERM), 3 after a power
 * cut, 1 on errors (QEMU missing, a flash file for the other machine). */
int vboard_qemu_run(const struct vboard_qemu_run *run);

#endif
