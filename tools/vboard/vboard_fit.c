/* See vboard_fit.h. */
#include "tools/vboard/vboard_fit.h"

#include <stdio.h>
#include <string.h>

#include "boot/boot_trailer.h"
#include "common/errors.h"
#include "flash/flash_mem.h"
#include "image/image.h"

/* Total size (header + body + TLVs) of the image at `off` of the data, or 0. */
static uint32_t image_size_at(const uint8_t *data, size_t len, uint32_t off)
{
    struct flash_mem m;
    struct flash_area fa;
    uint32_t size;

    if (len > 0xffffffffu || off >= len || flash_mem_init(&m, data, (uint32_t)len, (uint32_t)len, 1, 0xff) != DFB_OK)
        return 0;
    if (flash_area_init(&fa, &m.dev, "file", 0, (uint32_t)len) != DFB_OK ||
        image_total_size(&fa, off, &size) != DFB_OK)
        return 0;
    return size;
}

int vboard_image_fits(const struct flash_layout *l, const char *partition, const uint8_t *data, size_t len,
                      char *why, size_t why_len)
{
    struct flash_dev dev; /* the board's geometry only: boot_max_image_size reads no flash */
    struct flash_area pri, sec;
    struct boot_slots slots;
    struct boot_geo g;
    uint32_t max, dl_off, size, at = 0;

    if (strcmp(partition, FLASH_AREA_SLOT0) != 0 && strcmp(partition, FLASH_AREA_SLOT1) != 0)
        return 0;
    flash_mem_geometry_only(&dev, &l->geo);
    if (flash_area_open(&dev, l, FLASH_AREA_SLOT0, &pri) != DFB_OK ||
        flash_area_open(&dev, l, FLASH_AREA_SLOT1, &sec) != DFB_OK)
        return 0;
    slots = (struct boot_slots){ &pri, &sec, 0 };
    if (boot_max_image_size(&slots, &max) != DFB_OK || boot_download_offset(&slots, &dl_off) != DFB_OK ||
        boot_geo_compute(&slots, &g) != DFB_OK)
        return 0; /* slots that cannot swap: the bootloader only boots slot0 */
    size = image_size_at(data, len, 0);
    if (size == 0 && strcmp(partition, FLASH_AREA_SLOT1) == 0) {
        at = dl_off; /* an update laid out as the DFU class writes it */
        size = image_size_at(data, len, at);
    }
    if (size == 0 || size <= max)
        return 0;
    snprintf(why, why_len,
             "image at offset 0x%x is 0x%x bytes (header + body + TLVs) but dfuboot can swap at most 0x%x bytes in "
             "%s of layout %s: %u sectors of 0x%x minus %u for the trailer and swap status and 1 for the offset "
             "the update is written at in slot1",
             at, size, max, partition, l->name, g.slot_sectors, g.sector_size, g.trailer_sectors);
    return -1;
}
