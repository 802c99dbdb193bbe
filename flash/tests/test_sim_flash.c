/* Simulated NOR flash: semantics, counters, timing, power-cut injection. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/errors.h"
#include "port/posix/sim_flash.h"
#include "tests/support/check.h"

static const struct flash_sector_range sectors[] = { { 0x1000, 8 } };

static struct flash_geometry geo(uint32_t wbs, uint8_t ev)
{
    struct flash_geometry g = {
        .size = 0x8000, .write_block_size = wbs, .erase_value = ev, .sectors = sectors, .sector_range_count = 1,
        .timing = &flash_timing_nrf52840,
    };
    return g;
}

static void test_nor_semantics(uint8_t ev)
{
    struct flash_geometry g = geo(4, ev);
    struct sim_flash sf;
    uint8_t w[8], r[8];
    uint8_t programmed = ev == 0xFF ? 0x0F : 0xF0;

    REQUIRE(sim_flash_init_mem(&sf, &g) == DFB_OK);
    CHECK_EQ(sf.mem[0], ev);
    memset(w, programmed, sizeof(w));
    /* unaligned offset or length */
    CHECK_EQ(flash_dev_write(&sf.dev, 2, w, 4), DFB_EALIGN);
    CHECK_EQ(flash_dev_write(&sf.dev, 0, w, 6), DFB_EALIGN);
    CHECK_EQ(flash_dev_write(&sf.dev, 0, w, 8), DFB_OK);
    CHECK_EQ(flash_dev_read(&sf.dev, 0, r, 8), DFB_OK);
    CHECK(memcmp(r, w, 8) == 0);
    /* moving further from erased is fine; back towards erased is not */
    memset(w, 0x00 ^ (ev == 0xFF ? 0x00 : 0xFF), 4);
    CHECK_EQ(flash_dev_write(&sf.dev, 0, w, 4), DFB_OK);
    memset(w, ev, 4);
    CHECK_EQ(flash_dev_write(&sf.dev, 4, w, 4), DFB_ENOTERASED);
    CHECK_EQ(sf.mem[4], programmed); /* the rejected write changed nothing */
    /* erase: whole sectors only, sets the erase value */
    CHECK_EQ(flash_dev_erase(&sf.dev, 0x10, 0x1000), DFB_EALIGN);
    CHECK_EQ(flash_dev_erase(&sf.dev, 0, 0x800), DFB_EALIGN);
    CHECK_EQ(flash_dev_erase(&sf.dev, 0, 0x1000), DFB_OK);
    CHECK_EQ(sf.mem[0], ev);
    CHECK_EQ(sf.mem[4], ev);
    /* past the end */
    CHECK_EQ(flash_dev_read(&sf.dev, 0x7FFC, r, 8), DFB_ERANGE);
    CHECK_EQ(flash_dev_write(&sf.dev, 0x8000, w, 4), DFB_ERANGE);
    CHECK_EQ(flash_dev_erase(&sf.dev, 0x7000, 0x2000), DFB_ERANGE);
    CHECK_EQ(flash_dev_erase(&sf.dev, 0x7000, 0x1000), DFB_OK);
    sim_flash_close(&sf);
}

static void test_strict(void)
{
    struct flash_geometry g = geo(8, 0xFF);
    struct sim_flash sf;
    uint8_t w[8];

    REQUIRE(sim_flash_init_mem(&sf, &g) == DFB_OK);
    sf.strict = 1;
    memset(w, 0xFF, 8);
    w[0] = 0x01;
    CHECK_EQ(flash_dev_write(&sf.dev, 0, w, 8), DFB_OK);
    /* even a write that only clears more bits is refused in strict mode */
    w[0] = 0x00;
    CHECK_EQ(flash_dev_write(&sf.dev, 0, w, 8), DFB_ENOTERASED);
    CHECK_EQ(flash_dev_erase(&sf.dev, 0, 0x1000), DFB_OK);
    CHECK_EQ(flash_dev_write(&sf.dev, 0, w, 8), DFB_OK);
    sim_flash_close(&sf);
}

static void test_counters_and_time(void)
{
    struct flash_geometry g = geo(4, 0xFF);
    struct sim_flash sf;
    uint8_t w[0x100];
    char *json = NULL;
    size_t json_len = 0;
    FILE *f;

    REQUIRE(sim_flash_init_mem(&sf, &g) == DFB_OK);
    memset(w, 0x55, sizeof(w));
    CHECK_EQ(flash_dev_erase(&sf.dev, 0x1000, 0x2000), DFB_OK); /* two sectors = two erases */
    CHECK_EQ(flash_dev_write(&sf.dev, 0x1000, w, 0x100), DFB_OK);
    CHECK_EQ(flash_dev_write(&sf.dev, 0x2000, w, 0x40), DFB_OK);
    CHECK_EQ(flash_dev_read(&sf.dev, 0, w, 0x10), DFB_OK);
    CHECK_EQ(sf.stats.erases, 2);
    CHECK_EQ(sf.stats.writes, 2);
    CHECK_EQ(sf.stats.bytes_programmed, 0x140);
    CHECK_EQ(sf.stats.reads, 1);
    CHECK_EQ(sf.stats.bytes_read, 0x10);
    CHECK_EQ(sf.sector_erases[0], 0);
    CHECK_EQ(sf.sector_erases[1], 1);
    CHECK_EQ(sf.sector_erases[2], 1);
    CHECK_EQ(sf.sector_programmed[1], 0x100);
    CHECK_EQ(sf.sector_programmed[2], 0x40);
    CHECK_EQ(sf.stats.sim_time_us, 2 * 85000 + (0x140 / 4) * 41);
    f = open_memstream(&json, &json_len);
    REQUIRE(f != NULL);
    CHECK_EQ(sim_flash_write_stats_json(&sf, f), DFB_OK);
    fclose(f);
    CHECK(strstr(json, "\"erases\": 2") != NULL);
    CHECK(strstr(json, "\"bytes_programmed\": 320") != NULL);
    CHECK(strstr(json, "{\"offset\": 4096, \"erases\": 1, \"bytes_programmed\": 256}") != NULL);
    free(json);
    sim_flash_reset_stats(&sf);
    CHECK_EQ(sf.stats.erases, 0);
    CHECK_EQ(sf.sector_erases[1], 0);
    sim_flash_close(&sf);
}

static int cut_seen;
static void on_cut(void *ctx, uint64_t op)
{
    (void)ctx;
    cut_seen = (int)op;
}

static void test_cut_atomic(void)
{
    struct flash_geometry g = geo(4, 0xFF);
    struct sim_flash sf;
    uint8_t w[16], r[16];

    REQUIRE(sim_flash_init_mem(&sf, &g) == DFB_OK);
    sf.on_power_cut = on_cut;
    memset(w, 0x00, sizeof(w));
    sim_flash_set_cut(&sf, 3, SIM_CUT_ATOMIC, 1);
    CHECK_EQ(flash_dev_write(&sf.dev, 0, w, 16), DFB_OK);          /* op 1 */
    CHECK_EQ(flash_dev_write(&sf.dev, 16, w, 16), DFB_OK);         /* op 2 */
    CHECK_EQ(flash_dev_write(&sf.dev, 32, w, 16), DFB_EPOWER);     /* op 3: cut, not done */
    CHECK_EQ(cut_seen, 3);
    CHECK_EQ(sf.mem[32], 0xFF);
    CHECK_EQ(flash_dev_read(&sf.dev, 0, r, 4), DFB_EPOWER);        /* board is off */
    CHECK_EQ(flash_dev_erase(&sf.dev, 0, 0x1000), DFB_EPOWER);
    CHECK_EQ(sf.stats.writes, 2);
    sim_flash_power_on(&sf);
    sim_flash_set_cut(&sf, 0, SIM_CUT_ATOMIC, 0);
    CHECK_EQ(flash_dev_read(&sf.dev, 0, r, 4), DFB_OK);
    CHECK_EQ(r[0], 0x00);
    /* an erase over 3 sectors is 3 operations: cut at the second */
    sim_flash_set_cut(&sf, 2, SIM_CUT_ATOMIC, 1);
    memset(sf.mem, 0x11, 0x3000);
    CHECK_EQ(flash_dev_erase(&sf.dev, 0, 0x3000), DFB_EPOWER);
    CHECK_EQ(sf.mem[0], 0xFF);
    CHECK_EQ(sf.mem[0x1000], 0x11);
    CHECK_EQ(sf.mem[0x2000], 0x11);
    sim_flash_close(&sf);
}

static void test_cut_torn(void)
{
    struct flash_geometry g = geo(4, 0xFF);
    struct sim_flash sf;
    uint8_t w[256];
    int saw_partial_write = 0, saw_mixed_erase = 0;

    REQUIRE(sim_flash_init_mem(&sf, &g) == DFB_OK);
    memset(w, 0x00, sizeof(w));
    for (uint64_t seed = 1; seed <= 20; seed++) {
        uint32_t programmed = 0, erased = 0, other = 0;

        memset(sf.mem, 0xFF, g.size);
        sim_flash_power_on(&sf);
        sim_flash_set_cut(&sf, 1, SIM_CUT_TORN, seed);
        CHECK_EQ(flash_dev_write(&sf.dev, 0, w, 256), DFB_EPOWER);
        /* a prefix is programmed, then at most one byte part-way, the rest erased */
        while (programmed < 256 && sf.mem[programmed] == 0x00)
            programmed++;
        for (uint32_t i = programmed + 1; i < 256; i++)
            CHECK_EQ(sf.mem[i], 0xFF);
        CHECK(programmed < 256);
        if (programmed > 0)
            saw_partial_write = 1;

        memset(sf.mem, 0x00, 0x1000);
        sim_flash_power_on(&sf);
        sim_flash_set_cut(&sf, 1, SIM_CUT_TORN, seed);
        CHECK_EQ(flash_dev_erase(&sf.dev, 0, 0x1000), DFB_EPOWER);
        for (uint32_t i = 0; i < 0x1000; i++) {
            if (sf.mem[i] == 0xFF)
                erased++;
            else if (sf.mem[i] == 0x00)
                programmed++;
            else
                other++;
        }
        if (erased > 0 && other > 0)
            saw_mixed_erase = 1;
        CHECK(erased < 0x1000); /* never a clean erase */
    }
    CHECK(saw_partial_write);
    CHECK(saw_mixed_erase);
    sim_flash_close(&sf);
}

static void test_file_backed(void)
{
    struct flash_geometry g = geo(4, 0xFF);
    struct sim_flash sf;
    char path[] = "/tmp/dfuboot-simflash-XXXXXX";
    int fd = mkstemp(path);
    uint8_t w[4] = { 1, 2, 3, 4 };
    FILE *f;
    unsigned char b[4];

    REQUIRE(fd >= 0);
    close(fd);
    CHECK_EQ(sim_flash_open_file(&sf, &g, path, 0), DFB_ERANGE); /* empty file: wrong size */
    REQUIRE(sim_flash_open_file(&sf, &g, path, 1) == DFB_OK);
    CHECK_EQ(flash_dev_write(&sf.dev, 0x1004, w, 4), DFB_OK);
    sim_flash_close(&sf);
    f = fopen(path, "rb");
    REQUIRE(f != NULL);
    fseek(f, 0x1000, SEEK_SET);
    CHECK_EQ(fread(b, 1, 4, f), 4);
    CHECK_EQ(b[0], 0xFF);
    CHECK_EQ(fread(b, 1, 4, f), 4);
    CHECK(memcmp(b, w, 4) == 0);
    fseek(f, 0, SEEK_END);
    CHECK_EQ(ftell(f), 0x8000);
    fclose(f);
    REQUIRE(sim_flash_open_file(&sf, &g, path, 0) == DFB_OK);
    CHECK_EQ(sf.mem[0x1007], 4);
    sim_flash_close(&sf);
    unlink(path);
    CHECK_EQ(sim_flash_open_file(&sf, &g, "/nonexistent/dir/flash.bin", 0), DFB_ENOENT);
}

int main(void)
{
    test_nor_semantics(0xFF);
    test_nor_semantics(0x00);
    test_strict();
    test_counters_and_time();
    test_cut_atomic();
    test_cut_torn();
    test_file_backed();
    CHECK_DONE();
}
