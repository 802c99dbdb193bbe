#include "port/nrf5/nvmc.h"

#include <string.h>

#include "common/errors.h"
#include "port/nrf5/nrf5_regs.h"

static void nvmc_wait_ready(void)
{
    while ((NVMC_READY & 1u) == 0) {
    }
}

static void nvmc_mode(uint32_t mode)
{
    NVMC_CONFIG = mode;
    nvmc_wait_ready();
}

static int nvmc_read(void *ctx, uint32_t off, void *buf, uint32_t len)
{
    (void)ctx;
    memcpy(buf, (const void *)(uintptr_t)off, len);
    return DFB_OK;
}

static int nvmc_write(void *ctx, uint32_t off, const void *buf, uint32_t len)
{
    struct nvmc *n = ctx;
    const uint8_t *src = buf;

    /* flash_dev_write checked: off and len are multiples of 4 */
    n->counters->flash_ops++;
    n->counters->writes++;
    n->counters->bytes_programmed += len;
    nvmc_mode(NVMC_CONFIG_WEN);
    for (uint32_t i = 0; i < len; i += 4) {
        uint32_t word;

        memcpy(&word, src + i, 4); /* the source may be unaligned */
        *(volatile uint32_t *)(uintptr_t)(off + i) = word;
        nvmc_wait_ready();
    }
    nvmc_mode(NVMC_CONFIG_REN);
    return DFB_OK;
}

static int nvmc_erase(void *ctx, uint32_t off, uint32_t len)
{
    struct nvmc *n = ctx;
    uint32_t end = off + len;

    /* flash_dev_erase checked: off and end are sector boundaries */
    while (off < end) {
        struct flash_sector s;

        if (flash_geo_sector_at(n->dev.geo, off, &s) != DFB_OK)
            return DFB_ERANGE;
        n->counters->flash_ops++;
        n->counters->erases++;
        nvmc_mode(NVMC_CONFIG_EEN);
        for (uint32_t page = s.off; page < s.off + s.size; page += n->page_size) {
            NVMC_ERASEPAGE = page;
            nvmc_wait_ready();
        }
        nvmc_mode(NVMC_CONFIG_REN);
        off = s.off + s.size;
    }
    return DFB_OK;
}

/* The code flash is memory-mapped at address 0 (so offset 0 would be a
 * null pointer: that range is read instead; it holds the bootloader, never
 * an image to validate). */
static const void *nvmc_map(void *ctx, uint32_t off, uint32_t len)
{
    (void)ctx;
    (void)len;
    return off == 0 ? 0 : (const void *)(uintptr_t)off;
}

static const struct flash_dev_ops nvmc_ops = {
    .read = nvmc_read,
    .write = nvmc_write,
    .erase = nvmc_erase,
    .map = nvmc_map,
};

int nvmc_init(struct nvmc *n, const struct flash_geometry *geo, struct nrf5_retained *counters)
{
    uint32_t page = FICR_CODEPAGESIZE;

    /* FICR.CODESIZE is not compared with geo->size: QEMU's model keeps
     * reporting 256 pages when its flash is enlarged to 1 MiB. */
    if (page == 0 || (page & (page - 1)) != 0 || geo->write_block_size % 4 != 0 ||
        flash_geo_check(geo) != DFB_OK)
        return DFB_EINVAL;
    for (uint32_t i = 0; i < geo->sector_range_count; i++) {
        if (geo->sectors[i].size % page != 0)
            return DFB_EINVAL;
    }
    n->dev.ops = &nvmc_ops;
    n->dev.ctx = n;
    n->dev.geo = geo;
    n->counters = counters;
    n->page_size = page;
    return DFB_OK;
}
