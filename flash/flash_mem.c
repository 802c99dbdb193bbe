/* See flash_mem.h. */
#include "flash/flash_mem.h"

#include <string.h>

#include "common/errors.h"

static int mem_read(void *ctx, uint32_t off, void *buf, uint32_t len)
{
    const struct flash_mem *m = ctx;

    if (m == 0 || m->data == 0)
        return DFB_EIO;
    memcpy(buf, m->data + off, len);
    return DFB_OK;
}

static int mem_write(void *ctx, uint32_t off, const void *buf, uint32_t len)
{
    (void)ctx, (void)off, (void)buf, (void)len;
    return DFB_EIO;
}

static int mem_erase(void *ctx, uint32_t off, uint32_t len)
{
    (void)ctx, (void)off, (void)len;
    return DFB_EIO;
}

static const void *mem_map(void *ctx, uint32_t off, uint32_t len)
{
    const struct flash_mem *m = ctx;

    (void)len;
    return m == 0 || m->data == 0 ? 0 : m->data + off;
}

static const struct flash_dev_ops mem_ops = {
    .read = mem_read,
    .write = mem_write,
    .erase = mem_erase,
    .map = mem_map,
};

int flash_mem_init(struct flash_mem *m, const uint8_t *data, uint32_t size, uint32_t sector_size,
                   uint32_t write_block_size, uint8_t erase_value)
{
    if (m == 0 || sector_size == 0 || size == 0 || size % sector_size != 0)
        return DFB_EINVAL;
    m->data = data;
    m->range = (struct flash_sector_range){ sector_size, size / sector_size };
    m->geo = (struct flash_geometry){ .size = size, .write_block_size = write_block_size,
                                      .erase_value = erase_value, .sectors = &m->range,
                                      .sector_range_count = 1 };
    m->dev = (struct flash_dev){ &mem_ops, m, &m->geo };
    return flash_geo_check(&m->geo) == DFB_OK ? DFB_OK : DFB_EINVAL;
}

void flash_mem_geometry_only(struct flash_dev *dev, const struct flash_geometry *geo)
{
    /* mem_ops with a NULL context: no bytes behind it */
    *dev = (struct flash_dev){ &mem_ops, 0, geo };
}
