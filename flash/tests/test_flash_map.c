/* Partition map: layouts, area bounds, sector queries. */
#include <string.h>

#include "common/errors.h"
#include "flash/flash_map.h"
#include "port/posix/sim_flash.h"
#include "tests/support/check.h"

static void test_builtin_layouts(void)
{
    const struct flash_layout *nrf = flash_layout_find("nrf52840dk");
    const struct flash_partition *p;

    REQUIRE(nrf != NULL);
    CHECK_EQ(flash_layout_check(nrf), DFB_OK);
    CHECK_EQ(nrf->geo.size, 0x100000);
    CHECK_EQ(flash_geo_sector_count(&nrf->geo), 256);
    p = flash_layout_partition(nrf, "mcuboot");
    REQUIRE(p != NULL);
    CHECK_EQ(p->off, 0);
    CHECK_EQ(p->size, 0xC000);
    p = flash_layout_partition(nrf, "slot0");
    REQUIRE(p != NULL);
    CHECK_EQ(p->off, 0xC000);
    CHECK_EQ(p->size, 0x76000);
    p = flash_layout_partition(nrf, "slot1");
    REQUIRE(p != NULL);
    CHECK_EQ(p->off, 0x82000);
    CHECK(flash_layout_partition(nrf, "scratch") != NULL);
    CHECK(flash_layout_partition(nrf, "storage") != NULL);
    CHECK(flash_layout_partition(nrf, "nonexistent") == NULL);
    CHECK(flash_layout_find("no-such-board") == NULL);
    for (uint32_t i = 0; flash_layout_get(i) != NULL; i++)
        CHECK_EQ(flash_layout_check(flash_layout_get(i)), DFB_OK);
}

static void test_bad_layouts(void)
{
    static const struct flash_sector_range sectors[] = { { 0x1000, 16 } };
    struct flash_partition parts[2] = { { "a", 0x0, 0x4000 }, { "b", 0x4000, 0x4000 } };
    struct flash_layout l = {
        .name = "t",
        .geo = { .size = 0x10000, .write_block_size = 4, .erase_value = 0xFF, .sectors = sectors,
                 .sector_range_count = 1 },
        .partitions = parts,
        .partition_count = 2,
    };

    CHECK_EQ(flash_layout_check(&l), DFB_OK);
    parts[1].off = 0x3000; /* overlap */
    CHECK_EQ(flash_layout_check(&l), DFB_ERANGE);
    parts[1].off = 0x4800; /* not on a sector boundary */
    CHECK_EQ(flash_layout_check(&l), DFB_EALIGN);
    parts[1].off = 0xE000; /* past the end */
    CHECK_EQ(flash_layout_check(&l), DFB_ERANGE);
    parts[1].off = 0x4000;
    parts[1].name = "a"; /* duplicate name */
    CHECK_EQ(flash_layout_check(&l), DFB_EINVAL);
    parts[1].name = "b";
    l.geo.size = 0x20000; /* sectors do not add up */
    CHECK_EQ(flash_layout_check(&l), DFB_EINVAL);
    l.geo.size = 0x10000;
    l.geo.write_block_size = 3;
    CHECK_EQ(flash_layout_check(&l), DFB_EINVAL);
}

static void test_area_bounds(void)
{
    const struct flash_layout *nrf = flash_layout_find("nrf52840dk");
    struct sim_flash sf;
    struct flash_area slot0, slot1;
    uint8_t buf[16];

    REQUIRE(sim_flash_init_mem(&sf, &nrf->geo) == DFB_OK);
    CHECK_EQ(flash_area_open(&sf.dev, nrf, "slot0", &slot0), DFB_OK);
    CHECK_EQ(flash_area_open(&sf.dev, nrf, "slot1", &slot1), DFB_OK);
    CHECK_EQ(flash_area_open(&sf.dev, nrf, "nope", &slot1), DFB_ENOENT);
    CHECK_EQ(flash_area_align(&slot0), 4);
    CHECK_EQ(flash_area_erased_val(&slot0), 0xFF);

    /* inside, at the edge, across the edge, far past it, wrapping */
    CHECK_EQ(flash_area_read(&slot0, 0, buf, sizeof(buf)), DFB_OK);
    CHECK_EQ(flash_area_read(&slot0, slot0.size - 16, buf, 16), DFB_OK);
    CHECK_EQ(flash_area_read(&slot0, slot0.size - 8, buf, 16), DFB_ERANGE);
    CHECK_EQ(flash_area_read(&slot0, slot0.size, buf, 1), DFB_ERANGE);
    CHECK_EQ(flash_area_read(&slot0, 0xFFFFFFF0u, buf, 0x20), DFB_ERANGE);
    memset(buf, 0x12, sizeof(buf));
    CHECK_EQ(flash_area_write(&slot0, slot0.size - 8, buf, 16), DFB_ERANGE);
    CHECK_EQ(flash_area_erase(&slot0, slot0.size - 0x1000, 0x2000), DFB_ERANGE);
    /* a write at the end of slot0 must not reach slot1 */
    CHECK_EQ(flash_area_write(&slot0, slot0.size - 16, buf, 16), DFB_OK);
    CHECK_EQ(flash_area_is_erased(&slot1, 0, 0x1000), 1);
    CHECK_EQ(flash_area_is_erased(&slot0, slot0.size - 16, 16), 0);
    /* erase must be on sector boundaries of the area */
    CHECK_EQ(flash_area_erase(&slot0, 0x800, 0x1000), DFB_EALIGN);
    CHECK_EQ(flash_area_erase(&slot0, 0x1000, 0x800), DFB_EALIGN);
    CHECK_EQ(flash_area_erase(&slot0, slot0.size - 0x1000, 0x1000), DFB_OK);
    CHECK_EQ(flash_area_is_erased(&slot0, 0, slot0.size), 1);
    /* an area must itself lie on sector boundaries */
    CHECK_EQ(flash_area_init(&slot1, &sf.dev, "x", 0x100, 0x1000), DFB_EALIGN);
    CHECK_EQ(flash_area_init(&slot1, &sf.dev, "x", 0xFF000, 0x2000), DFB_ERANGE);
    sim_flash_close(&sf);
}

static void test_sector_queries(void)
{
    const struct flash_layout *st = flash_layout_find("stm32f4");
    struct sim_flash sf;
    struct flash_area boot, slot0;
    struct flash_sector s;

    REQUIRE(st != NULL);
    REQUIRE(sim_flash_init_mem(&sf, &st->geo) == DFB_OK);
    /* non-uniform device sectors: 4 x 16K, 1 x 64K, 7 x 128K */
    CHECK_EQ(flash_geo_sector_count(&st->geo), 12);
    CHECK_EQ(flash_geo_sector_at(&st->geo, 0x4000, &s), DFB_OK);
    CHECK_EQ(s.off, 0x4000);
    CHECK_EQ(s.size, 0x4000);
    CHECK_EQ(s.index, 1);
    CHECK_EQ(flash_geo_sector_at(&st->geo, 0x1FFFF, &s), DFB_OK);
    CHECK_EQ(s.off, 0x10000);
    CHECK_EQ(s.size, 0x10000);
    CHECK_EQ(s.index, 4);
    CHECK_EQ(flash_geo_sector_get(&st->geo, 11, &s), DFB_OK);
    CHECK_EQ(s.off, 0xE0000);
    CHECK_EQ(flash_geo_sector_get(&st->geo, 12, &s), DFB_ERANGE);
    CHECK_EQ(flash_geo_sector_at(&st->geo, 0x100000, &s), DFB_ERANGE);

    REQUIRE(flash_area_open(&sf.dev, st, "mcuboot", &boot) == DFB_OK);
    CHECK_EQ(flash_area_sector_count(&boot), 4);
    REQUIRE(flash_area_open(&sf.dev, st, "slot0", &slot0) == DFB_OK);
    CHECK_EQ(flash_area_sector_count(&slot0), 3);
    CHECK_EQ(flash_area_sector_get(&slot0, 1, &s), DFB_OK);
    CHECK_EQ(s.off, 0x20000); /* area offset */
    CHECK_EQ(s.size, 0x20000);
    CHECK_EQ(s.index, 1);
    CHECK_EQ(flash_area_sector_at(&slot0, 0x5FFFF, &s), DFB_OK);
    CHECK_EQ(s.off, 0x40000);
    CHECK_EQ(s.index, 2);
    CHECK_EQ(flash_area_sector_at(&slot0, 0x60000, &s), DFB_ERANGE);
    CHECK_EQ(flash_area_sector_get(&slot0, 3, &s), DFB_ERANGE);
    sim_flash_close(&sf);
}

/* A device over a RAM array that maps it, as memory-mapped NOR does. */
static uint8_t ram[0x4000];
static int ram_read(void *ctx, uint32_t off, void *buf, uint32_t len)
{
    (void)ctx;
    memcpy(buf, ram + off, len);
    return DFB_OK;
}
static int ram_none(void *ctx, uint32_t off, uint32_t len)
{
    (void)ctx, (void)off, (void)len;
    return DFB_EIO;
}
static int ram_write(void *ctx, uint32_t off, const void *buf, uint32_t len)
{
    (void)buf;
    return ram_none(ctx, off, len);
}
static const void *ram_map(void *ctx, uint32_t off, uint32_t len)
{
    (void)ctx, (void)len;
    return ram + off;
}

static void test_map(void)
{
    static const struct flash_sector_range sectors[] = { { 0x1000, 4 } };
    static const struct flash_geometry geo = { .size = sizeof(ram), .write_block_size = 4, .erase_value = 0xff,
                                               .sectors = sectors, .sector_range_count = 1 };
    static const struct flash_dev_ops mapped = { ram_read, ram_write, ram_none, 0, ram_map };
    static const struct flash_dev_ops unmapped = { ram_read, ram_write, ram_none, 0, 0 };
    struct flash_dev dev = { &mapped, 0, &geo };
    struct flash_area a;

    REQUIRE(flash_area_init(&a, &dev, "a", 0x1000, 0x2000) == DFB_OK);
    CHECK(flash_area_map(&a, 0, 0x2000) == ram + 0x1000);
    CHECK(flash_area_map(&a, 0x1ff0, 0x10) == ram + 0x2ff0);
    /* never past the area, nor for nothing */
    CHECK(flash_area_map(&a, 0x1ff0, 0x11) == NULL);
    CHECK(flash_area_map(&a, 0x2000, 1) == NULL);
    CHECK(flash_area_map(&a, 0xFFFFFFF0u, 0x20) == NULL);
    CHECK(flash_area_map(&a, 0, 0) == NULL);
    CHECK(flash_dev_map(&dev, sizeof(ram) - 4, 8) == NULL);
    /* a driver without map: NULL, read instead */
    dev.ops = &unmapped;
    CHECK(flash_area_map(&a, 0, 0x10) == NULL);
    CHECK(flash_area_map(NULL, 0, 0x10) == NULL);
}

int main(void)
{
    test_builtin_layouts();
    test_bad_layouts();
    test_area_bounds();
    test_map();
    test_sector_queries();
    CHECK_DONE();
}
