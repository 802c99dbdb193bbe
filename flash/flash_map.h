/* Partition map ("flash map"): named areas of a flash device.
 *
 * A board layout is data: the device geometry plus a table of partitions.
 * Opening an area binds a partition to a device; every area access is
 * bounds-checked against the area, and offsets are area offsets, as in
 * Zephyr's flash_map API and MCUboot's flash_area_* porting layer. */
#ifndef DFUBOOT_FLASH_FLASH_MAP_H
#define DFUBOOT_FLASH_FLASH_MAP_H

#include <stdint.h>

#include "flash/flash_dev.h"

/* Conventional partition names. */
#define FLASH_AREA_BOOT "mcuboot"
#define FLASH_AREA_SLOT0 "slot0"
#define FLASH_AREA_SLOT1 "slot1"
#define FLASH_AREA_SCRATCH "scratch"
#define FLASH_AREA_STORAGE "storage"

struct flash_partition {
    const char *name;
    uint32_t off;
    uint32_t size;
};

/* A board's flash: geometry and partitions. */
struct flash_layout {
    const char *name;           /* e.g. "nrf52840dk" */
    const char *board;          /* e.g. "nrf52840dk_nrf52840" */
    struct flash_geometry geo;
    const struct flash_partition *partitions;
    uint32_t partition_count;
};

struct flash_area {
    const struct flash_dev *dev;
    const char *name;
    uint32_t off;  /* device offset of the area */
    uint32_t size;
};

/* Built-in layouts, looked up by name (NULL if unknown). */
const struct flash_layout *flash_layout_find(const char *name);
const struct flash_layout *flash_layout_get(uint32_t index); /* NULL past the end */

/* Partition by name (NULL if absent). */
const struct flash_partition *flash_layout_partition(const struct flash_layout *layout, const char *name);

/* Layout sanity: partitions inside the flash, sector-aligned, not overlapping. */
int flash_layout_check(const struct flash_layout *layout);

/* Binds partition `name` of `layout` to `dev`. */
int flash_area_open(const struct flash_dev *dev, const struct flash_layout *layout, const char *name,
                    struct flash_area *out);
/* An area over an explicit device range (must lie on sector boundaries). */
int flash_area_init(struct flash_area *fa, const struct flash_dev *dev, const char *name, uint32_t off,
                    uint32_t size);

int flash_area_read(const struct flash_area *fa, uint32_t off, void *buf, uint32_t len);
/* [off, off + len) of the area in place, or NULL: see flash_dev_map(). */
const void *flash_area_map(const struct flash_area *fa, uint32_t off, uint32_t len);
int flash_area_write(const struct flash_area *fa, uint32_t off, const void *buf, uint32_t len);
/* Makes the device's earlier writes and erases durable (flash_dev_sync). */
int flash_area_sync(const struct flash_area *fa);
/* off and off + len must be on sector boundaries of the area. */
int flash_area_erase(const struct flash_area *fa, uint32_t off, uint32_t len);

uint32_t flash_area_align(const struct flash_area *fa);
uint8_t flash_area_erased_val(const struct flash_area *fa);

/* Sectors of the area: count, the one holding area offset `off`, number
 * `index` (0 = first sector of the area). Returned offsets are area offsets. */
uint32_t flash_area_sector_count(const struct flash_area *fa);
int flash_area_sector_at(const struct flash_area *fa, uint32_t off, struct flash_sector *out);
int flash_area_sector_get(const struct flash_area *fa, uint32_t index, struct flash_sector *out);

/* True if [off, off+len) of the area reads as erased. Reads in small chunks. */
int flash_area_is_erased(const struct flash_area *fa, uint32_t off, uint32_t len);

#endif
