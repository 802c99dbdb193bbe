#include "flash/flash_dev.h"

#include "common/errors.h"

const struct flash_timing flash_timing_nrf52840 = {
    /* nRF52840 product specification: 85 ms page erase, 41 us per word. */
    .name = "nrf52840",
    .erase_us_fixed = 85000,
    .erase_us_per_kib = 0,
    .program_us_per_word = 41,
    .word_bytes = 4,
};

const struct flash_timing flash_timing_stm32f4 = {
    /* Fitted to STM32F4 maximum sector erase times (16K 500 ms, 64K 1.1 s,
     * 128K 2.6 s) and 16 us per 32-bit word program. */
    .name = "stm32f4",
    .erase_us_fixed = 300000,
    .erase_us_per_kib = 17500,
    .program_us_per_word = 16,
    .word_bytes = 4,
};

static int check_range(const struct flash_dev *dev, uint32_t off, uint32_t len)
{
    if (dev == 0 || dev->ops == 0 || dev->geo == 0)
        return DFB_EINVAL;
    if (off > dev->geo->size || len > dev->geo->size - off)
        return DFB_ERANGE;
    return DFB_OK;
}

int flash_dev_read(const struct flash_dev *dev, uint32_t off, void *buf, uint32_t len)
{
    int rc = check_range(dev, off, len);

    if (rc != DFB_OK)
        return rc;
    if (len == 0)
        return DFB_OK;
    if (buf == 0)
        return DFB_EINVAL;
    return dev->ops->read(dev->ctx, off, buf, len);
}

int flash_dev_sync(const struct flash_dev *dev)
{
    if (dev == 0 || dev->ops == 0)
        return DFB_EINVAL;
    return dev->ops->sync != 0 ? dev->ops->sync(dev->ctx) : DFB_OK;
}

const void *flash_dev_map(const struct flash_dev *dev, uint32_t off, uint32_t len)
{
    if (check_range(dev, off, len) != DFB_OK || len == 0 || dev->ops->map == 0)
        return 0;
    return dev->ops->map(dev->ctx, off, len);
}

int flash_dev_write(const struct flash_dev *dev, uint32_t off, const void *buf, uint32_t len)
{
    int rc = check_range(dev, off, len);

    if (rc != DFB_OK)
        return rc;
    if (off % dev->geo->write_block_size != 0 || len % dev->geo->write_block_size != 0)
        return DFB_EALIGN;
    if (len == 0)
        return DFB_OK;
    if (buf == 0)
        return DFB_EINVAL;
    return dev->ops->write(dev->ctx, off, buf, len);
}

int flash_dev_erase(const struct flash_dev *dev, uint32_t off, uint32_t len)
{
    struct flash_sector s;
    int rc = check_range(dev, off, len);

    if (rc != DFB_OK)
        return rc;
    if (len == 0)
        return DFB_OK;
    rc = flash_geo_sector_at(dev->geo, off, &s);
    if (rc != DFB_OK)
        return rc;
    if (s.off != off)
        return DFB_EALIGN;
    if (off + len != dev->geo->size) {
        rc = flash_geo_sector_at(dev->geo, off + len, &s);
        if (rc != DFB_OK)
            return rc;
        if (s.off != off + len)
            return DFB_EALIGN;
    }
    return dev->ops->erase(dev->ctx, off, len);
}

uint32_t flash_geo_sector_count(const struct flash_geometry *geo)
{
    uint32_t n = 0;

    for (uint32_t i = 0; i < geo->sector_range_count; i++)
        n += geo->sectors[i].count;
    return n;
}

/* Walks the ranges; either `off` or `index` selects the sector. */
static int find_sector(const struct flash_geometry *geo, int by_index, uint32_t key, struct flash_sector *out)
{
    uint32_t base = 0;
    uint32_t index = 0;

    if (geo == 0 || out == 0)
        return DFB_EINVAL;
    for (uint32_t r = 0; r < geo->sector_range_count; r++) {
        const struct flash_sector_range *sr = &geo->sectors[r];
        uint32_t span = sr->size * sr->count;
        uint32_t k;

        if (by_index ? key < index + sr->count : key < base + span) {
            k = by_index ? key - index : (key - base) / sr->size;
            out->off = base + k * sr->size;
            out->size = sr->size;
            out->index = index + k;
            return DFB_OK;
        }
        base += span;
        index += sr->count;
    }
    return DFB_ERANGE;
}

int flash_geo_sector_at(const struct flash_geometry *geo, uint32_t off, struct flash_sector *out)
{
    return find_sector(geo, 0, off, out);
}

int flash_geo_sector_get(const struct flash_geometry *geo, uint32_t index, struct flash_sector *out)
{
    return find_sector(geo, 1, index, out);
}

int flash_geo_check(const struct flash_geometry *geo)
{
    uint64_t total = 0;
    uint32_t wbs;

    if (geo == 0 || geo->sectors == 0 || geo->sector_range_count == 0)
        return DFB_EINVAL;
    wbs = geo->write_block_size;
    if (wbs == 0 || (wbs & (wbs - 1)) != 0)
        return DFB_EINVAL;
    for (uint32_t i = 0; i < geo->sector_range_count; i++) {
        const struct flash_sector_range *sr = &geo->sectors[i];

        if (sr->size == 0 || sr->count == 0 || sr->size % wbs != 0)
            return DFB_EINVAL;
        total += (uint64_t)sr->size * sr->count;
    }
    if (total != geo->size)
        return DFB_EINVAL;
    return DFB_OK;
}

uint32_t flash_timing_erase_us(const struct flash_timing *t, uint32_t sector_size)
{
    if (t == 0)
        return 0;
    return t->erase_us_fixed + t->erase_us_per_kib * ((sector_size + 1023) / 1024);
}

uint32_t flash_timing_program_us(const struct flash_timing *t, uint32_t len)
{
    if (t == 0 || t->word_bytes == 0)
        return 0;
    return t->program_us_per_word * ((len + t->word_bytes - 1) / t->word_bytes);
}
