/* A read-only flash device over bytes in memory: an image file a host tool
 * has loaded, or a copy of a part's content. It reads and maps (the bytes
 * are in memory already); writes and erases are refused with DFB_EIO.
 *
 * With data NULL it only describes a geometry and refuses reads as well:
 * for code that needs a slot's shape but reads nothing (the boot core's
 * size limits, boot_max_image_size()).
 *
 * Contract: the ops may run in any context (they touch only the caller's
 * bytes); the bytes must outlive the device and not change while an
 * operation that mapped them is running. */
#ifndef DFUBOOT_FLASH_FLASH_MEM_H
#define DFUBOOT_FLASH_FLASH_MEM_H

#include <stdint.h>

#include "flash/flash_dev.h"

struct flash_mem {
    struct flash_dev dev; /* the device to use (dev.ctx is this struct) */
    struct flash_geometry geo;
    struct flash_sector_range range;
    const uint8_t *data;
};

/* `size` bytes at `data` (or none: NULL), in uniform sectors of
 * `sector_size` bytes and writes of `write_block_size`. DFB_EINVAL if the
 * geometry does not hold together (flash_geo_check, size a multiple of the
 * sector size). */
int flash_mem_init(struct flash_mem *m, const uint8_t *data, uint32_t size, uint32_t sector_size,
                   uint32_t write_block_size, uint8_t erase_value);

/* A device with the given geometry whose every operation is refused
 * (DFB_EIO) and which maps nothing. */
void flash_mem_geometry_only(struct flash_dev *dev, const struct flash_geometry *geo);

#endif
