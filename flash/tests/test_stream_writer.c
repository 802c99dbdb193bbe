/* Stream writer: progressive erase, odd chunk sizes, flush padding. */
#include <string.h>

#include "common/errors.h"
#include "flash/stream_writer.h"
#include "port/posix/sim_flash.h"
#include "tests/support/check.h"

static const struct flash_sector_range sectors[] = { { 0x400, 32 } };

static struct flash_geometry geo(uint32_t wbs, uint8_t ev)
{
    struct flash_geometry g = {
        .size = 0x8000, .write_block_size = wbs, .erase_value = ev, .sectors = sectors, .sector_range_count = 1,
        .timing = &flash_timing_nrf52840,
    };
    return g;
}

static void fill_pattern(uint8_t *p, uint32_t n, uint32_t seed)
{
    for (uint32_t i = 0; i < n; i++)
        p[i] = (uint8_t)((i + seed) * 131 + (i >> 7));
}

/* Writes `total` bytes in chunks cycling through `chunks`, then flushes. */
static void stream_case(uint32_t wbs, uint8_t ev, uint32_t buf_size, uint32_t start, uint32_t total,
                        const uint32_t *chunks, uint32_t nchunks)
{
    struct flash_geometry g = geo(wbs, ev);
    struct sim_flash sf;
    struct flash_area fa;
    struct stream_writer sw;
    static uint8_t data[0x6000], back[0x6000];
    uint8_t buf[256];
    uint32_t done = 0, k = 0;
    uint32_t first_sector = start / 0x400, last_sector;

    REQUIRE(sim_flash_init_mem(&sf, &g) == DFB_OK);
    REQUIRE(flash_area_init(&fa, &sf.dev, "slot", 0x1000, 0x6000) == DFB_OK);
    /* garbage everywhere first, so the test sees that erases happened */
    memset(sf.mem, ev ^ 0x5A, g.size);
    fill_pattern(data, total, start + total);
    REQUIRE(stream_writer_init(&sw, &fa, buf, buf_size, start, 0) == DFB_OK);
    while (done < total) {
        uint32_t n = chunks[k++ % nchunks];

        if (n > total - done)
            n = total - done;
        CHECK_EQ(stream_writer_write(&sw, data + done, n), DFB_OK);
        done += n;
        CHECK_EQ(stream_writer_bytes_written(&sw), done);
    }
    CHECK_EQ(stream_writer_flush(&sw), DFB_OK);
    CHECK_EQ(stream_writer_bytes_written(&sw), total);
    REQUIRE(flash_area_read(&fa, start, back, total) == DFB_OK);
    CHECK(memcmp(back, data, total) == 0);
    /* padding up to the write block holds the erase value */
    for (uint32_t i = total; (start + i) % wbs != 0; i++)
        CHECK_EQ(sf.mem[0x1000 + start + i], ev);
    /* exactly the sectors touched were erased, once each; others untouched */
    last_sector = (start + total + wbs - 1) / wbs * wbs;
    last_sector = (last_sector - 1) / 0x400;
    for (uint32_t s = 0; s < 24; s++) {
        uint32_t expect = total > 0 && s >= first_sector && s <= last_sector;

        CHECK_EQ(sf.sector_erases[4 + s], expect);
    }
    CHECK_EQ(sf.sector_erases[3], 0);
    CHECK_EQ(sf.sector_erases[28], 0);
    CHECK_EQ(sf.mem[0x1000 - 1], (uint8_t)(ev ^ 0x5A));
    sim_flash_close(&sf);
}

static void test_chunks(void)
{
    static const uint32_t odd[] = { 1, 7, 13, 255, 3, 1000, 2 };
    static const uint32_t big[] = { 4096 };
    static const uint32_t one[] = { 1 };

    stream_case(4, 0xFF, 64, 0, 0x1234, odd, 7);
    stream_case(4, 0xFF, 256, 0, 0x3000, big, 1);
    stream_case(8, 0x00, 64, 0x400, 0x1001, odd, 7);
    stream_case(1, 0xFF, 16, 3, 517, one, 1);
    stream_case(32, 0xFF, 256, 0x20, 0x2FE0, odd, 7);
    stream_case(4, 0xFF, 64, 0, 0, odd, 7);
}

static void test_limits_and_errors(void)
{
    struct flash_geometry g = geo(8, 0xFF);
    struct sim_flash sf;
    struct flash_area fa;
    struct stream_writer sw;
    uint8_t buf[64], data[100];

    REQUIRE(sim_flash_init_mem(&sf, &g) == DFB_OK);
    REQUIRE(flash_area_init(&fa, &sf.dev, "slot", 0x1000, 0x800) == DFB_OK);
    memset(data, 0x42, sizeof(data));
    CHECK_EQ(stream_writer_init(&sw, &fa, buf, 60, 0, 0), DFB_EINVAL); /* not a multiple of 8 */
    CHECK_EQ(stream_writer_init(&sw, &fa, buf, 64, 4, 0), DFB_EINVAL); /* unaligned start */
    CHECK_EQ(stream_writer_init(&sw, &fa, buf, 64, 0, 0x1000), DFB_ERANGE);
    REQUIRE(stream_writer_init(&sw, &fa, buf, 64, 0x700, 0) == DFB_OK);
    CHECK_EQ(stream_writer_write(&sw, data, 100), DFB_OK);
    CHECK_EQ(stream_writer_write(&sw, data, 100), DFB_OK);
    CHECK_EQ(stream_writer_write(&sw, data, 57), DFB_ENOSPC); /* 256 - 200 = 56 left */
    CHECK_EQ(stream_writer_bytes_written(&sw), 200);
    CHECK_EQ(stream_writer_write(&sw, data, 56), DFB_OK);
    CHECK_EQ(stream_writer_flush(&sw), DFB_OK);
    CHECK_EQ(stream_writer_bytes_written(&sw), 256);
    CHECK_EQ(sf.mem[0x1000 + 0x6FF], 0xFF); /* nothing before the start */
    CHECK_EQ(sf.stats.erases, 1);

    /* after a padded flush the stream is finished */
    REQUIRE(stream_writer_init(&sw, &fa, buf, 64, 0, 0x100) == DFB_OK);
    CHECK_EQ(stream_writer_write(&sw, data, 3), DFB_OK);
    CHECK_EQ(stream_writer_flush(&sw), DFB_OK);
    CHECK_EQ(stream_writer_write(&sw, data, 3), DFB_ESTATE);
    CHECK_EQ(stream_writer_flush(&sw), DFB_OK);
    sim_flash_close(&sf);
}

static void test_estimate(void)
{
    struct flash_geometry g = geo(4, 0xFF);
    struct sim_flash sf;
    struct flash_area fa;
    struct stream_writer sw;
    uint8_t buf[1024];
    static uint8_t data[0x800];

    REQUIRE(sim_flash_init_mem(&sf, &g) == DFB_OK);
    REQUIRE(flash_area_init(&fa, &sf.dev, "slot", 0, 0x2000) == DFB_OK);
    REQUIRE(stream_writer_init(&sw, &fa, buf, sizeof(buf), 0, 0) == DFB_OK);
    /* 0x800 bytes = two 1 KiB sectors to erase + 512 words */
    CHECK_EQ(stream_writer_estimate_us(&sw, 0x800), 2 * 85000 + 512 * 41);
    CHECK_EQ(stream_writer_write(&sw, data, 0x800), DFB_OK);
    CHECK_EQ(sf.stats.sim_time_us, 2 * 85000 + 512 * 41);
    /* the next KiB needs one more erase */
    CHECK_EQ(stream_writer_estimate_us(&sw, 0x400), 85000 + 256 * 41);
    sim_flash_close(&sf);
}

/* stream_writer_skip_erased(): sectors that read erased are programmed
 * without an erase; a sector holding anything is still erased first. */
static void test_skip_erased(void)
{
    struct flash_geometry g = geo(4, 0xFF);
    struct sim_flash sf;
    struct flash_area fa;
    struct stream_writer sw;
    static uint8_t data[0x1000], back[0x1000];
    uint8_t buf[256];

    REQUIRE(sim_flash_init_mem(&sf, &g) == DFB_OK);
    REQUIRE(flash_area_init(&fa, &sf.dev, "slot", 0x1000, 0x6000) == DFB_OK);
    /* sectors 0 and 2 of the stream erased, 1 and 3 with a stray byte */
    memset(sf.mem + 0x1000, 0xFF, 0x6000);
    sf.mem[0x1000 + 0x400 + 17] = 0x00;
    sf.mem[0x1000 + 0xC00 + 0x3FF] = 0x12;
    fill_pattern(data, sizeof(data), 7);
    sim_flash_reset_stats(&sf);
    REQUIRE(stream_writer_init(&sw, &fa, buf, sizeof(buf), 0, 0) == DFB_OK);
    stream_writer_skip_erased(&sw, 1);
    CHECK_EQ(stream_writer_write(&sw, data, sizeof(data)), DFB_OK);
    CHECK_EQ(stream_writer_flush(&sw), DFB_OK);
    CHECK_EQ(sf.stats.erases, 2);
    CHECK_EQ(sf.sector_erases[(0x1000 + 0x400) / 0x400], 1);
    CHECK_EQ(sf.sector_erases[(0x1000 + 0xC00) / 0x400], 1);
    REQUIRE(flash_area_read(&fa, 0, back, sizeof(back)) == DFB_OK);
    CHECK(memcmp(back, data, sizeof(data)) == 0);
    sim_flash_close(&sf);
}

int main(void)
{
    test_skip_erased();
    test_chunks();
    test_limits_and_errors();
    test_estimate();
    CHECK_DONE();
}
