/* Flash driver interface: an ops struct plus the geometry a caller needs.
 *
 * In the spirit of Zephyr's flash API and littlefs' block-device config: a
 * driver fills in read/write/erase and describes itself with data (write
 * block size, erase value, a possibly non-uniform sector layout, timing).
 * The flash_dev_* wrappers check bounds and alignment before the driver is
 * called, so drivers can stay small. Offsets are device offsets. */
#ifndef DFUBOOT_FLASH_FLASH_DEV_H
#define DFUBOOT_FLASH_FLASH_DEV_H

#include <stdint.h>

/* `count` consecutive sectors of `size` bytes. A device lists its ranges
 * from offset 0 upwards, e.g. STM32F4: 4 x 16K, 1 x 64K, 7 x 128K. */
struct flash_sector_range {
    uint32_t size;
    uint32_t count;
};

/* Timing model used for simulated time and for DFU poll timeouts. */
struct flash_timing {
    const char *name;
    uint32_t erase_us_fixed;      /* per sector erase, fixed part */
    uint32_t erase_us_per_kib;    /* per sector erase, per KiB of sector */
    uint32_t program_us_per_word; /* per programmed word */
    uint32_t word_bytes;          /* programming word size, e.g. 4 */
};

/* The driver contract, in the spirit of littlefs' block-device callbacks.
 * The flash_dev_* wrappers below check every argument first, so a driver
 * is only ever called with:
 *   - 0 < len and off + len <= geo->size;
 *   - write: off and len multiples of geo->write_block_size, buf != NULL;
 *   - erase: off and off + len on sector boundaries of geo's sector list.
 * Preconditions the caller (not the wrapper) keeps, on NOR flash:
 *   - a write block is programmed at most once between two erases of its
 *     sector (programming moves bits away from the erase value only; a
 *     driver may refuse a write that would set one back: DFB_ENOTERASED);
 *   - reads may happen any time, also of a sector being erased by this
 *     caller later.
 * What each op does and returns:
 *   read   copies len bytes; DFB_EIO if the part reports a failure.
 *   write  programs len bytes; when it returns DFB_OK the data reads back,
 *          but may not be durable yet if the driver caches (see sync).
 *          DFB_ENOTERASED: the target was not erased; DFB_EIO: the part
 *          reported a failure; DFB_EPOWER: power was cut (simulation).
 *   erase  sets every byte of the sectors to the erase value, sector by
 *          sector in ascending order; errors as for write. After an
 *          interrupted erase a sector's content is undefined.
 *   sync   (may be NULL) makes every write and erase that has returned
 *          durable, in the order they were made: a power cut after sync
 *          returns loses none of them. A driver that caches or reorders
 *          writes must implement it; one whose operations are durable when
 *          they return (NOR with a synchronous controller, such as the
 *          nRF5 NVMC) leaves it NULL.
 *   map    (may be NULL) for flash the CPU reads in place (the nRF5's, at
 *          address 0): a pointer to the bytes at off, valid for len bytes
 *          until the next write or erase, or NULL when the range cannot be
 *          mapped. Readers that take a pointer (image validation hashes the
 *          image in place) skip the copy a read makes; they fall back to
 *          read when map is NULL or answers NULL. A part whose reads can
 *          fail (ECC) or that must be accessed through a controller leaves
 *          it NULL.
 * Context: main thread only, never from an interrupt (usb/usb_dc.h); no op
 * is re-entered. Ops may take as long as the part needs (a 4 KiB nRF52840
 * erase: 85 ms); callers that must stay responsive split their work (the
 * DFU class does one operation per task step).
 * Ordering: code whose power safety depends on the order of writes (the
 * bootloader's trailer and swap-status records, boot/boot_trailer.c) calls
 * flash_dev_sync() before each record that commits earlier writes. */
struct flash_dev_ops {
    int (*read)(void *ctx, uint32_t off, void *buf, uint32_t len);
    int (*write)(void *ctx, uint32_t off, const void *buf, uint32_t len);
    int (*erase)(void *ctx, uint32_t off, uint32_t len);
    int (*sync)(void *ctx);
    const void *(*map)(void *ctx, uint32_t off, uint32_t len);
};

/* What a flash part looks like, independent of any driver. */
struct flash_geometry {
    uint32_t size;             /* total bytes */
    uint32_t write_block_size; /* writes are multiples of this, aligned to it */
    uint8_t erase_value;       /* 0xFF on most NOR, 0x00 on some */
    const struct flash_sector_range *sectors;
    uint32_t sector_range_count;
    const struct flash_timing *timing; /* may be NULL: time estimates are 0 */
};

struct flash_dev {
    const struct flash_dev_ops *ops;
    void *ctx;
    const struct flash_geometry *geo;
};

/* One sector, as returned by the queries below. */
struct flash_sector {
    uint32_t off;   /* device offset */
    uint32_t size;
    uint32_t index; /* sector number on the device */
};

/* Checked accesses. Write: off and len multiples of write_block_size.
 * Erase: off and off + len on sector boundaries. len 0 is a no-op. */
int flash_dev_read(const struct flash_dev *dev, uint32_t off, void *buf, uint32_t len);
int flash_dev_write(const struct flash_dev *dev, uint32_t off, const void *buf, uint32_t len);
int flash_dev_erase(const struct flash_dev *dev, uint32_t off, uint32_t len);
/* Makes every write and erase made so far durable (no-op for a driver
 * without sync). */
int flash_dev_sync(const struct flash_dev *dev);
/* The bytes at [off, off + len) in place, or NULL (no map op, a range out
 * of bounds, or one the driver cannot map): read them instead. */
const void *flash_dev_map(const struct flash_dev *dev, uint32_t off, uint32_t len);

/* Total sectors; the sector holding `off`; the sector number `index`. */
uint32_t flash_geo_sector_count(const struct flash_geometry *geo);
int flash_geo_sector_at(const struct flash_geometry *geo, uint32_t off, struct flash_sector *out);
int flash_geo_sector_get(const struct flash_geometry *geo, uint32_t index, struct flash_sector *out);

/* Sanity of the description itself: sectors add up to size, sizes are
 * multiples of the write block, write block is a power of two. */
int flash_geo_check(const struct flash_geometry *geo);

/* Modelled durations in microseconds (0 without a timing model). */
uint32_t flash_timing_erase_us(const struct flash_timing *t, uint32_t sector_size);
uint32_t flash_timing_program_us(const struct flash_timing *t, uint32_t len);

/* Built-in timing models. */
extern const struct flash_timing flash_timing_nrf52840;
extern const struct flash_timing flash_timing_stm32f4;

#endif
