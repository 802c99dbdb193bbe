/* Does an image file fit dfuboot's swap in a board's slots? `vboard flash`
 * asks before writing an MCUboot image into slot0 or slot1: the limit is
 * the boot core's own (boot_max_image_size): the slot minus its trailer
 * sector(s) minus the sector an update is offset by in the secondary. */
#ifndef DFUBOOT_TOOLS_VBOARD_FIT_H
#define DFUBOOT_TOOLS_VBOARD_FIT_H

#include <stddef.h>
#include <stdint.h>

#include "flash/flash_map.h"

/* 0 if `data` may go into `partition` (not a slot, not an MCUboot image,
 * or small enough); -1 with a one-line reason in `why` if dfuboot could not
 * swap it. */
int vboard_image_fits(const struct flash_layout *l, const char *partition, const uint8_t *data, size_t len,
                      char *why, size_t why_len);

#endif
