/* Application-side requests to the bootloader that go through the board
 * rather than through flash: the retained boot-mode word of port/board.h.
 * (Requests written to flash, such as an upgrade, are boot/boot_trailer.h's
 * application-side API.) The portable boot core does not know the board,
 * so this small module sits on the board API, beside it; it is the same
 * code for every port. */
#ifndef DFUBOOT_PORT_BOOT_REQUEST_H
#define DFUBOOT_PORT_BOOT_REQUEST_H

#include "port/board.h"

/* Asks the bootloader for USB DFU recovery at the next boot: sets the
 * retained boot mode to BOARD_BOOT_MODE_RECOVERY and reboots (a warm reset,
 * which keeps the word). The bootloader puts the word back to normal when
 * it reads it, so the request is for one boot. Does not return. */
void boot_request_recovery(void) BOARD_NORETURN;

#endif
