/* USB DFU recovery mode of the bootloader: the bootloader itself enumerates
 * as a DFU-mode device ("dfuboot recovery"), takes an image into slot1
 * (alt 1; alt 0 uploads slot0 when upload is enabled), validates it at
 * manifestation with the bootloader's own validator and key, and on success
 * requests a permanent upgrade and reboots: the swap is the bootloader's
 * power-safe one. A refused image is reported through GETSTATUS (errFILE or
 * errVERIFY) and nothing is requested; the device stays in recovery.
 *
 * Written against the board API (port/board.h) only, so every port's
 * bootloader uses it as it is. The entry conditions are the bootloader's
 * (main.c, docs/bootloader.md). */
#ifndef DFUBOOT_APPS_BOOTLOADER_RECOVERY_H
#define DFUBOOT_APPS_BOOTLOADER_RECOVERY_H

#include <stdint.h>

#include "boot/boot.h"
#include "dfu/dfu.h"
#include "image/image.h"
#include "port/board.h"
#include "usb/usbd.h"

/* wTransferSize and block buffers as in the DFU sample. */
#define RECOVERY_TRANSFER_SIZE 1024
#define RECOVERY_BUFFERS 2

struct recovery {
    const struct boot_slots *slots;
    const struct boot_image_ops *image; /* the bootloader's validator */
    uint32_t download_off, max_image;
    uint32_t reboot_at; /* uptime of the scheduled reboot; 0 = none */
    uint8_t usb_up;
    struct usb_device usb;
    struct dfu dfu;
    struct dfu_config cfg;
    struct usbd_device_info info;
    struct image_size_probe probe;
    uint8_t buffers[RECOVERY_BUFFERS * RECOVERY_TRANSFER_SIZE];
};

/* Prepares recovery over `slots` with the bootloader's image validator.
 * Nothing is enabled yet. `upload`: alt 0 reads slot0 back. Returns 0 or a
 * negative dfb_err (slots that cannot swap, a refused configuration). */
int recovery_init(struct recovery *r, const struct boot_slots *slots, const struct boot_image_ops *image, int upload);

/* Waits `ms` milliseconds as a DFU-mode device. Returns 1 when a host
 * started a DFU transfer in that time (recovery_run() then takes over),
 * 0 when the window passed without one (USB is then disabled again,
 * board_usb_disable(), for the application), or a negative dfb_err when
 * the board has no USB. */
int recovery_wait(struct recovery *r, uint32_t ms);

/* Recovery mode until the board resets: says why ("Entering USB DFU
 * recovery: <why>"), enumerates, serves DFU, and reboots after an
 * accepted image. Halts when the board has no USB. */
void recovery_run(struct recovery *r, const char *why) BOARD_NORETURN;

#endif
