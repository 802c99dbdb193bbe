#include "flash/flash_map.h"

#include <string.h>

#include "common/errors.h"

/* [off, off + size) starts and ends on sector boundaries of geo. */
static int on_sector_bounds(const struct flash_geometry *geo, uint32_t off, uint32_t size)
{
    struct flash_sector s;

    if (off > geo->size || size > geo->size - off)
        return DFB_ERANGE;
    if (flash_geo_sector_at(geo, off, &s) != DFB_OK || s.off != off)
        return DFB_EALIGN;
    if (off + size != geo->size && (flash_geo_sector_at(geo, off + size, &s) != DFB_OK || s.off != off + size))
        return DFB_EALIGN;
    return DFB_OK;
}

int flash_layout_check(const struct flash_layout *layout)
{
    const struct flash_geometry *geo;

    if (layout == 0 || layout->partitions == 0)
        return DFB_EINVAL;
    geo = &layout->geo;
    if (flash_geo_check(geo) != DFB_OK)
        return DFB_EINVAL;
    for (uint32_t i = 0; i < layout->partition_count; i++) {
        const struct flash_partition *p = &layout->partitions[i];
        int rc;

        if (p->name == 0 || p->size == 0)
            return DFB_EINVAL;
        rc = on_sector_bounds(geo, p->off, p->size);
        if (rc != DFB_OK)
            return rc;
        for (uint32_t j = 0; j < i; j++) {
            const struct flash_partition *q = &layout->partitions[j];

            if (p->off < q->off + q->size && q->off < p->off + p->size)
                return DFB_ERANGE;
            if (strcmp(p->name, q->name) == 0)
                return DFB_EINVAL;
        }
    }
    return DFB_OK;
}

const struct flash_partition *flash_layout_partition(const struct flash_layout *layout, const char *name)
{
    if (layout == 0 || name == 0)
        return 0;
    for (uint32_t i = 0; i < layout->partition_count; i++) {
        if (strcmp(layout->partitions[i].name, name) == 0)
            return &layout->partitions[i];
    }
    return 0;
}

int flash_area_init(struct flash_area *fa, const struct flash_dev *dev, const char *name, uint32_t off,
                    uint32_t size)
{
    int rc;

    if (fa == 0 || dev == 0 || dev->geo == 0 || size == 0)
        return DFB_EINVAL;
    rc = on_sector_bounds(dev->geo, off, size);
    if (rc != DFB_OK)
        return rc;
    fa->dev = dev;
    fa->name = name;
    fa->off = off;
    fa->size = size;
    return DFB_OK;
}

int flash_area_open(const struct flash_dev *dev, const struct flash_layout *layout, const char *name,
                    struct flash_area *out)
{
    const struct flash_partition *p = flash_layout_partition(layout, name);

    if (p == 0)
        return DFB_ENOENT;
    return flash_area_init(out, dev, p->name, p->off, p->size);
}

static int area_range(const struct flash_area *fa, uint32_t off, uint32_t len)
{
    if (fa == 0 || fa->dev == 0)
        return DFB_EINVAL;
    if (off > fa->size || len > fa->size - off)
        return DFB_ERANGE;
    return DFB_OK;
}

int flash_area_read(const struct flash_area *fa, uint32_t off, void *buf, uint32_t len)
{
    int rc = area_range(fa, off, len);

    return rc != DFB_OK ? rc : flash_dev_read(fa->dev, fa->off + off, buf, len);
}

const void *flash_area_map(const struct flash_area *fa, uint32_t off, uint32_t len)
{
    return area_range(fa, off, len) != DFB_OK ? 0 : flash_dev_map(fa->dev, fa->off + off, len);
}

int flash_area_sync(const struct flash_area *fa)
{
    return fa != 0 ? flash_dev_sync(fa->dev) : DFB_EINVAL;
}

int flash_area_write(const struct flash_area *fa, uint32_t off, const void *buf, uint32_t len)
{
    int rc = area_range(fa, off, len);

    return rc != DFB_OK ? rc : flash_dev_write(fa->dev, fa->off + off, buf, len);
}

int flash_area_erase(const struct flash_area *fa, uint32_t off, uint32_t len)
{
    int rc = area_range(fa, off, len);

    return rc != DFB_OK ? rc : flash_dev_erase(fa->dev, fa->off + off, len);
}

uint32_t flash_area_align(const struct flash_area *fa)
{
    return fa->dev->geo->write_block_size;
}

uint8_t flash_area_erased_val(const struct flash_area *fa)
{
    return fa->dev->geo->erase_value;
}

uint32_t flash_area_sector_count(const struct flash_area *fa)
{
    struct flash_sector first, last;

    if (flash_geo_sector_at(fa->dev->geo, fa->off, &first) != DFB_OK ||
        flash_geo_sector_at(fa->dev->geo, fa->off + fa->size - 1, &last) != DFB_OK)
        return 0;
    return last.index - first.index + 1;
}

int flash_area_sector_at(const struct flash_area *fa, uint32_t off, struct flash_sector *out)
{
    struct flash_sector first;
    int rc;

    if (fa == 0 || out == 0 || off >= fa->size)
        return DFB_ERANGE;
    rc = flash_geo_sector_at(fa->dev->geo, fa->off, &first);
    if (rc == DFB_OK)
        rc = flash_geo_sector_at(fa->dev->geo, fa->off + off, out);
    if (rc != DFB_OK)
        return rc;
    out->off -= fa->off;
    out->index -= first.index;
    return DFB_OK;
}

int flash_area_sector_get(const struct flash_area *fa, uint32_t index, struct flash_sector *out)
{
    struct flash_sector first;
    int rc;

    if (fa == 0 || out == 0 || index >= flash_area_sector_count(fa))
        return DFB_ERANGE;
    rc = flash_geo_sector_at(fa->dev->geo, fa->off, &first);
    if (rc == DFB_OK)
        rc = flash_geo_sector_get(fa->dev->geo, first.index + index, out);
    if (rc != DFB_OK)
        return rc;
    out->off -= fa->off;
    out->index = index;
    return DFB_OK;
}

int flash_area_is_erased(const struct flash_area *fa, uint32_t off, uint32_t len)
{
    uint8_t chunk[64];
    uint8_t ev;
    int rc = area_range(fa, off, len);

    if (rc != DFB_OK)
        return rc;
    ev = flash_area_erased_val(fa);
    while (len > 0) {
        uint32_t n = len < sizeof(chunk) ? len : (uint32_t)sizeof(chunk);

        rc = flash_area_read(fa, off, chunk, n);
        if (rc != DFB_OK)
            return rc;
        for (uint32_t i = 0; i < n; i++) {
            if (chunk[i] != ev)
                return 0;
        }
        off += n;
        len -= n;
    }
    return 1;
}
