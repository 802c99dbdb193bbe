/* Partition map: layouts, area bounds, sector queries, mapped reads. */
#include <string.h>

#include "common/errors.h"
#include "flash/flash_map.h"
#include "flash/flash_mem.h"
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

/* flash_dev_map / flash_area_map through flash_mem (flash/flash_mem.h), a
 * device whose bytes are in memory and which maps them. */
static void test_map(void)
{
    static uint8_t bytes[0x4000];
    const struct flash_layout *nrf = flash_layout_find("nrf52840dk");
    struct flash_mem m;
    struct flash_dev geo_only;
    struct flash_area a;
    struct sim_flash sf;
    uint8_t buf[8];

    for (size_t i = 0; i < sizeof(bytes); i++)
        bytes[i] = (uint8_t)(i * 7);
    CHECK_EQ(flash_mem_init(&m, bytes, sizeof(bytes), 0x1000, 4, 0xff), DFB_OK);
    REQUIRE(flash_area_init(&a, &m.dev, "a", 0x1000, 0x2000) == DFB_OK);
    CHECK(flash_area_map(&a, 0, 0x2000) == bytes + 0x1000);
    CHECK(flash_area_map(&a, 0x1ff0, 0x10) == bytes + 0x2ff0);
    /* never past the area, nor for nothing */
    CHECK(flash_area_map(&a, 0x1ff0, 0x11) == NULL);
    CHECK(flash_area_map(&a, 0x2000, 1) == NULL);
    CHECK(flash_area_map(&a, 0xFFFFFFF0u, 0x20) == NULL);
    CHECK(flash_area_map(&a, 0, 0) == NULL);
    CHECK(flash_area_map(NULL, 0, 0x10) == NULL);
    CHECK(flash_dev_map(&m.dev, sizeof(bytes) - 4, 8) == NULL);
    /* reads copy the same bytes; writes and erases are refused */
    CHECK_EQ(flash_area_read(&a, 8, buf, sizeof(buf)), DFB_OK);
    CHECK(memcmp(buf, bytes + 0x1008, sizeof(buf)) == 0);
    CHECK_EQ(flash_area_write(&a, 0, buf, 4), DFB_EIO);
    CHECK_EQ(flash_area_erase(&a, 0, 0x1000), DFB_EIO);
    /* a geometry that does not hold together */
    CHECK_EQ(flash_mem_init(&m, bytes, sizeof(bytes), 0x1800, 4, 0xff), DFB_EINVAL);
    CHECK_EQ(flash_mem_init(&m, bytes, sizeof(bytes), 0x1000, 3, 0xff), DFB_EINVAL);
    CHECK_EQ(flash_mem_init(&m, bytes, 0, 0x1000, 4, 0xff), DFB_EINVAL);
    /* no bytes behind it: geometry only, nothing read or mapped */
    CHECK_EQ(flash_mem_init(&m, NULL, sizeof(bytes), 0x1000, 4, 0xff), DFB_OK);
    CHECK_EQ(flash_dev_read(&m.dev, 0, buf, 4), DFB_EIO);
    CHECK(flash_dev_map(&m.dev, 0x1000, 4) == NULL);
    flash_mem_geometry_only(&geo_only, &nrf->geo);
    CHECK_EQ(flash_area_open(&geo_only, nrf, "slot1", &a), DFB_OK);
    CHECK_EQ(flash_area_read(&a, 0, buf, 4), DFB_EIO);
    CHECK(flash_area_map(&a, 0, 4) == NULL);
    /* a driver without map (the simulated flash): NULL, read instead */
    REQUIRE(sim_flash_init_mem(&sf, &nrf->geo) == DFB_OK);
    CHECK_EQ(flash_area_open(&sf.dev, nrf, "slot0", &a), DFB_OK);
    CHECK(flash_area_map(&a, 0, 0x10) == NULL);
    sim_flash_close(&sf);
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
