/* Pre-erase of the secondary slot (boot/boot_preerase.h): when it refuses
 * to erase (update pending, image under test), what it erases (image
 * sectors only, at most one per call, down to sector 0), and power loss at
 * every one of its operations, clean and torn: the slot must end erased and
 * programmable in full (the simulator's strict mode fails a write to a
 * sector whose erase was cut), the confirmed image must keep booting, and a
 * download that skips erased sectors must then swap in. Layouts: 16 x 1 KiB
 * uniform slots (write sizes 4 and 8, erase values 0xFF and 0x00) and the
 * nRF52840 DK. */
#include <stdlib.h>
#include <string.h>

#include "boot/boot_preerase.h"
#include "boot/tests/boot_test_support.h"
#include "common/errors.h"
#include "flash/stream_writer.h"
#include "tests/support/check.h"

static uint8_t img_a[110000], img_b[110000], img_c[110000];
static size_t len_a, len_b, len_c;

static size_t mk(uint8_t *buf, uint32_t body, uint8_t major, uint32_t seed)
{
    struct fake_image_desc d = { 0x200, body, { major, 0, 0, 0 }, major, FAKE_KEY_GOOD, seed };

    return fake_image_build(buf, sizeof(img_a), &d);
}

/* Writes an image at the download offset through the stream writer, as the
 * DFU class does, skipping erased sectors if asked. */
static int download(struct tboard *t, const uint8_t *img, size_t len, int skip_erased)
{
    static uint8_t buf[4096];
    struct stream_writer sw;
    uint32_t off, max;
    int rc;

    MUST(boot_download_offset(&t->cfg.slots, &off));
    MUST(boot_max_image_size(&t->cfg.slots, &max));
    rc = stream_writer_init(&sw, &t->sec, buf, 1024, off, off + max);
    stream_writer_skip_erased(&sw, skip_erased);
    for (size_t done = 0; rc == DFB_OK && done < len; done += 700)
        rc = stream_writer_write(&sw, img + done, (uint32_t)(len - done < 700 ? len - done : 700));
    return rc == DFB_OK ? stream_writer_flush(&sw) : rc;
}

static void boot_expect(struct tboard *t, uint8_t type, const uint8_t *img, size_t len)
{
    struct boot_result rsp;

    tb_log_clear(t);
    sim_flash_power_on(&t->sf);
    CHECK_EQ(tb_boot(t, &rsp), DFB_OK);
    CHECK_EQ(rsp.swap_type, type);
    CHECK_EQ(rsp.action, BOOT_ACTION_JUMP);
    CHECK(tb_holds(t, &t->pri, 0, img, len));
    if (rsp.swap_type != type)
        fprintf(stderr, "%s", t->log);
}

/* Runs the pre-erase to its end; returns the number of calls. Each call
 * may erase one sector at most. */
static int preerase_all(struct tboard *t, int *rc_out)
{
    struct boot_preerase pe = { 0 };
    int calls = 0, rc;

    do {
        uint64_t before = t->sf.stats.erases;

        rc = boot_preerase_step(&t->cfg.slots, &pe);
        calls++;
        CHECK(t->sf.stats.erases - before <= 1);
    } while (rc == 1 && calls < 100000);
    *rc_out = rc;
    return calls;
}

static int data_sectors(struct tboard *t, struct boot_geo *g)
{
    MUST(boot_geo_compute(&t->cfg.slots, g));
    return (int)(g->slot_sectors - g->trailer_sectors);
}

/* Every image sector of the secondary reads erased and takes a full write
 * (strict mode refuses a sector whose erase was cut); erased again after. */
static void check_secondary_clean(struct tboard *t, const char *what)
{
    struct boot_geo g;
    uint32_t n = (uint32_t)data_sectors(t, &g) * g.sector_size;
    static uint8_t pattern[512];
    int ok = flash_area_is_erased(&t->sec, 0, n) == 1;

    memset(pattern, 0x5a, sizeof(pattern));
    for (uint32_t off = 0; ok && off < n; off += sizeof(pattern))
        ok = flash_area_write(&t->sec, off, pattern, sizeof(pattern)) == DFB_OK;
    if (!ok)
        fprintf(stderr, "%s: secondary image sectors not cleanly erased\n", what);
    CHECK(ok);
    MUST(flash_area_erase(&t->sec, 0, n));
}

/* A (factory) in the primary, B downloaded and tested, then confirmed: the
 * secondary holds A, no longer needed. */
static void setup_confirmed(struct tboard *t)
{
    MUST(tb_erase_slots(t));
    MUST(tb_write(t, &t->pri, 0, img_a, len_a));
    MUST(download(t, img_b, len_b, 0));
    MUST(boot_request_upgrade(&t->cfg.slots, 0));
    boot_expect(t, BOOT_SWAP_TYPE_TEST, img_b, len_b);
    MUST(boot_write_img_confirmed(&t->cfg.slots));
}

static void test_refuses(struct tboard *t)
{
    struct boot_preerase pe = { 0 };
    uint64_t erases;

    MUST(tb_erase_slots(t));
    MUST(tb_write(t, &t->pri, 0, img_a, len_a));
    MUST(download(t, img_b, len_b, 0));
    MUST(boot_request_upgrade(&t->cfg.slots, 0));
    erases = t->sf.stats.erases;
    CHECK_EQ(boot_preerase_step(&t->cfg.slots, &pe), DFB_ESTATE); /* update pending */
    boot_expect(t, BOOT_SWAP_TYPE_TEST, img_b, len_b);
    erases = t->sf.stats.erases;
    CHECK_EQ(boot_preerase_step(&t->cfg.slots, &pe), DFB_ESTATE); /* under test: A is the revert source */
    CHECK_EQ(t->sf.stats.erases, erases);
    CHECK(tb_holds(t, &t->sec, 0, img_a, len_a));
    /* not confirmed: the next boot reverts to A, whose old copy survived */
    boot_expect(t, BOOT_SWAP_TYPE_REVERT, img_a, len_a);
    /* after the revert the rejected B is not needed */
    {
        int rc, calls = preerase_all(t, &rc);

        CHECK_EQ(rc, 0);
        CHECK(calls > 1);
    }
    check_secondary_clean(t, "after a revert");
    boot_expect(t, BOOT_SWAP_TYPE_NONE, img_a, len_a);
}

static void test_erases(struct tboard *t)
{
    struct boot_geo g;
    int data = data_sectors(t, &g), rc, calls, used = 0, highest = -1;
    uint64_t erases;

    setup_confirmed(t);
    /* the old image A, and past its end what the swap left of B */
    for (int i = 0; i < data; i++) {
        if (flash_area_is_erased(&t->sec, (uint32_t)i * g.sector_size, g.sector_size) == 0) {
            used++;
            highest = i;
        }
    }
    CHECK(used > 0);
    erases = t->sf.stats.erases;
    calls = preerase_all(t, &rc);
    CHECK_EQ(rc, 0);
    /* the sectors with data, plus the one above them once (a possibly cut erase) */
    CHECK_EQ(t->sf.stats.erases - erases, (uint64_t)used + (highest + 1 < data ? 1 : 0));
    CHECK(flash_area_is_erased(&t->sec, 0, t->sec.size) == 1);
    printf("   pre-erase: %d calls, %llu erases (%d of %d image sectors held data)\n", calls,
           (unsigned long long)(t->sf.stats.erases - erases), used, data);
    /* done: a second run (after a reset: state in RAM) erases only sector
     * 0 once more, whose erase may have been the one a cut interrupted */
    erases = t->sf.stats.erases;
    preerase_all(t, &rc);
    CHECK_EQ(rc, 0);
    CHECK_EQ(t->sf.stats.erases, erases + 1);
    /* the next download only programs */
    erases = t->sf.stats.erases;
    MUST(download(t, img_c, len_c, 1));
    CHECK_EQ(t->sf.stats.erases, erases);
    MUST(boot_request_upgrade(&t->cfg.slots, 1));
    boot_expect(t, BOOT_SWAP_TYPE_PERM, img_c, len_c);
}

/* Power cut at every operation of the pre-erase (clean and torn). */
static long test_power_loss(struct tboard *t)
{
    struct boot_preerase pe;
    uint64_t ops;
    long points = 0;
    int rc;

    setup_confirmed(t);
    sim_flash_power_on(&t->sf);
    preerase_all(t, &rc);
    ops = t->sf.ops;
    for (uint64_t k = 1; k <= ops; k++) {
        for (int mode = 0; mode < 2; mode++) {
            setup_confirmed(t);
            sim_flash_power_on(&t->sf);
            sim_flash_set_cut(&t->sf, k, (enum sim_cut_mode)mode, k * 977 + (uint64_t)mode);
            memset(&pe, 0, sizeof(pe));
            do
                rc = boot_preerase_step(&t->cfg.slots, &pe);
            while (rc == 1);
            CHECK_EQ(rc, DFB_EPOWER);
            sim_flash_set_cut(&t->sf, 0, SIM_CUT_ATOMIC, 0);
            /* the board resets: the confirmed image boots, nothing to swap */
            boot_expect(t, BOOT_SWAP_TYPE_NONE, img_b, len_b);
            /* the application runs the pre-erase again from the start */
            preerase_all(t, &rc);
            CHECK_EQ(rc, 0);
            check_secondary_clean(t, "after a cut pre-erase");
            MUST(download(t, img_c, len_c, 1));
            MUST(boot_request_upgrade(&t->cfg.slots, 0));
            boot_expect(t, BOOT_SWAP_TYPE_TEST, img_c, len_c);
            points++;
        }
    }
    return points;
}

/* A cut erase that left its sector reading erased but not programmable (a
 * case the random torn erase does not produce): made by hand on the
 * sector the pre-erase erased last before the "cut". */
static void test_marginal_sector(struct tboard *t)
{
    struct boot_preerase pe = { 0 };
    struct boot_geo g;
    uint64_t start, last = 0;
    int rc;

    data_sectors(t, &g);
    setup_confirmed(t);
    start = t->sf.stats.erases;
    do {
        last = t->sf.stats.erases;
        rc = boot_preerase_step(&t->cfg.slots, &pe);
    } while (rc == 1 && (t->sf.stats.erases - start < 3 || t->sf.stats.erases == last));
    CHECK_EQ(rc, 1);
    {
        uint32_t wbs = t->sf.geo->write_block_size, k = pe.next;
        uint32_t dev_off = t->sec.off + k * g.sector_size;

        /* sector k was erased by the last step; pretend that erase was cut */
        memset(t->sf.programmed + dev_off / wbs, 1, g.sector_size / wbs);
    }
    /* reset: the application starts the pre-erase again */
    memset(&pe, 0, sizeof(pe));
    do
        rc = boot_preerase_step(&t->cfg.slots, &pe);
    while (rc == 1);
    CHECK_EQ(rc, 0);
    check_secondary_clean(t, "after a marginal sector");

    /* the same for sector 0, the last one a pre-erase erases: then no
     * sector holds data at all */
    setup_confirmed(t);
    memset(&pe, 0, sizeof(pe));
    do
        rc = boot_preerase_step(&t->cfg.slots, &pe);
    while (rc == 1);
    CHECK_EQ(rc, 0);
    {
        uint32_t wbs = t->sf.geo->write_block_size;

        memset(t->sf.programmed + t->sec.off / wbs, 1, g.sector_size / wbs);
    }
    memset(&pe, 0, sizeof(pe));
    do
        rc = boot_preerase_step(&t->cfg.slots, &pe);
    while (rc == 1);
    CHECK_EQ(rc, 0);
    check_secondary_clean(t, "after a marginal sector 0");
}

int main(void)
{
    static const struct {
        uint32_t wbs;
        uint8_t ev;
    } uni[] = { { 4, 0xFF }, { 8, 0x00 } };
    long points = 0;

    len_a = mk(img_a, 6000, 1, 11);
    len_b = mk(img_b, 9000, 2, 22);
    len_c = mk(img_c, 4000, 3, 33);
    for (unsigned i = 0; i < sizeof(uni) / sizeof(uni[0]); i++) {
        struct tboard t;

        MUST(tb_init(&t, 1024, 16, uni[i].wbs, uni[i].ev, 0));
        printf("-- uniform 16 x 1 KiB, write %u, erased 0x%02x\n", uni[i].wbs, uni[i].ev);
        test_refuses(&t);
        test_erases(&t);
        test_marginal_sector(&t);
        points += test_power_loss(&t);
        tb_free(&t);
    }
    {
        struct tboard t;

        len_a = mk(img_a, 100000, 1, 11);
        len_b = mk(img_b, 60000, 2, 22);
        len_c = mk(img_c, 30000, 3, 33);
        MUST(tb_init_layout(&t, "nrf52840dk", 0));
        printf("-- nrf52840dk\n");
        test_refuses(&t);
        test_erases(&t);
        test_marginal_sector(&t);
        points += test_power_loss(&t);
        tb_free(&t);
    }
    printf("pre-erase interruption points: %ld\n", points);
    CHECK_DONE();
}
