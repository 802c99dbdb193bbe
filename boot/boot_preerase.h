/* Pre-erase of the secondary slot, from the application's task.
 *
 * After the running image has been confirmed, or after a revert, the
 * secondary slot holds an image nobody needs any more (the old one, or the
 * rejected one). Erasing it in the background, one sector at a time, lets
 * the next download only program: on an nRF52840 a 400 KiB download then
 * costs 4.2 s of flash time instead of 12.7 s.
 *
 * Contract (the caller is the application's main loop or task):
 *   - Call boot_preerase_step() repeatedly, with the same zero-initialised
 *     struct boot_preerase, while nothing else writes the secondary slot:
 *     never while a download into it is in progress (for the DFU class:
 *     only while it is idle). A download that was completed but not
 *     requested is an unneeded image like any other and gets erased.
 *   - Each call erases at most one sector (on an nRF52840: 85 ms with the
 *     CPU stalled) and reads at most BOOT_PREERASE_CHECKS sectors; it never
 *     blocks longer. Not for interrupt context.
 *   - It erases nothing while the secondary slot is still needed: an
 *     update is pending (secondary magic GOOD), the running image is under
 *     test and not confirmed (the old image is the revert source), or the
 *     secondary trailer holds anything (a swap or revert record). It then
 *     returns DFB_ESTATE; call again after boot_write_img_confirmed().
 *   - Only the image sectors are erased, from the highest one that holds
 *     data down to sector 0; the trailer sectors are left alone (the
 *     bootloader erases them when it consumes a request).
 *   - Power-safe and resumable: the state is in RAM only. After a reset the
 *     first calls find the highest sector that holds data and erase the
 *     sector above it once more, since that is the one whose erase may have
 *     been cut (it can read erased and still not program reliably); then
 *     they go on downwards. When no sector holds data, sector 0 is erased
 *     once more (the last erase of a pre-erase may have been cut): an
 *     empty slot costs one erase per power-up. A cut at any point leaves
 *     the slot with fewer data sectors, never a pending update or a revert
 *     source.
 *   - Returns 1 while there is more to do, 0 when every image sector reads
 *     erased (done: the DFU class may then skip erasing, see
 *     stream_writer_skip_erased()), DFB_ESTATE as above, DFB_ENOTSUP for
 *     slots that cannot swap, or a flash error. */
#ifndef DFUBOOT_BOOT_BOOT_PREERASE_H
#define DFUBOOT_BOOT_BOOT_PREERASE_H

#include <stdint.h>

#include "boot/boot_trailer.h"

/* Sectors read per call, at most (each a 4 KiB read on an nRF52840). */
#define BOOT_PREERASE_CHECKS 8u

struct boot_preerase {
    uint8_t phase;    /* 0 = first call since power-up */
    uint32_t next;    /* sector looked at next (scan and erase go downwards) */
};

int boot_preerase_step(const struct boot_slots *s, struct boot_preerase *pe);

#endif
