/* Power loss at every flash operation of a swap.
 *
 * For TEST, PERM, REVERT and a TEST that the application then confirms:
 * power is cut at operation k of the boot that swaps (every k, once with
 * the operation not done, once torn), then the board boots again until it
 * completes; for a sample of k a second cut hits the resumed boot. Every
 * run must end with the expected image in the primary byte for byte, the
 * other image where the algorithm keeps it, the expected trailers and a
 * jump to a valid primary. Write sizes 1, 4, 8, 32; erase values 0xFF and
 * 0x00; 16 x 1 KiB slots; and a sampled run on the nRF52840 DK layout.
 *
 * Default: second cuts for every 4th first cut. DFUBOOT_SWEEP=full: a
 * second cut after every first cut. The figures per swap kind are printed. */
#include <stdlib.h>
#include <string.h>

#include "boot/tests/boot_test_support.h"
#include "common/errors.h"
#include "tests/support/check.h"

enum kind { K_TEST, K_PERM, K_REVERT, K_TEST_CONFIRM, K_COUNT };
static const char *kind_name[] = { "test", "perm", "revert", "test+confirm" };

struct cfg {
    uint32_t sector, nsec, wbs, max_align;
    uint8_t ev;
    const char *layout;
    uint32_t a_body, b_body; /* image body sizes */
    uint32_t sample;          /* first cuts tried: every sample-th (1 = all) */
};

struct ctx {
    struct tboard t;
    const struct cfg *c;
    uint8_t *img_a, *img_b;
    size_t len_a, len_b;
    uint32_t dl_off;
    long points, runs, torn_complete;
    int full;
};

static void build_images(struct ctx *x)
{
    struct fake_image_desc a = { 64, x->c->a_body, { 1, 0, 0, 0 }, 1, FAKE_KEY_GOOD, 11 };
    struct fake_image_desc b = { 64, x->c->b_body, { 2, 0, 0, 0 }, 2, FAKE_KEY_GOOD, 22 };

    x->img_a = malloc(x->c->a_body + 128);
    x->img_b = malloc(x->c->b_body + 128);
    x->len_a = fake_image_build(x->img_a, x->c->a_body + 128, &a);
    x->len_b = fake_image_build(x->img_b, x->c->b_body + 128, &b);
}

static int boot_ok(struct ctx *x, struct boot_result *rsp)
{
    sim_flash_power_on(&x->t.sf);
    sim_flash_set_cut(&x->t.sf, 0, SIM_CUT_ATOMIC, 0);
    return tb_boot(&x->t, rsp);
}

/* Factory image A in the primary (no trailer), B downloaded and requested. */
static void setup_request(struct ctx *x, int permanent)
{
    struct tboard *t = &x->t;

    sim_flash_power_on(&t->sf);
    sim_flash_set_cut(&t->sf, 0, SIM_CUT_ATOMIC, 0);
    MUST(tb_erase_slots(t));
    { int rc_ = tb_write(t, &t->pri, 0, x->img_a, x->len_a); if (rc_) fprintf(stderr, "write rc %d ops %llu\n", rc_, (unsigned long long)t->sf.ops); MUST(rc_); }
    { int rc_ = tb_write(t, &t->sec, x->dl_off, x->img_b, x->len_b); if (rc_) fprintf(stderr, "write2 rc %d off %u len %zu\n", rc_, x->dl_off, x->len_b); MUST(rc_); }
    MUST(boot_request_upgrade(&t->cfg.slots, permanent));
}

/* The state before the boot that is interrupted. */
static void setup(struct ctx *x, enum kind k)
{
    struct boot_result rsp;

    setup_request(x, k == K_PERM);
    if (k == K_REVERT) {
        tb_log_clear(&x->t);
        if (boot_ok(x, &rsp) != DFB_OK || rsp.swap_type != BOOT_SWAP_TYPE_TEST)
            fprintf(stderr, "%s", x->t.log);
        REQUIRE(rsp.swap_type == BOOT_SWAP_TYPE_TEST);
    }
    sim_flash_power_on(&x->t.sf);
    sim_flash_reset_stats(&x->t.sf);
    x->t.meta_writes = 0;
    tb_log_clear(&x->t);
}

static void check_trailer(struct ctx *x, const struct flash_area *fa, uint8_t magic, uint8_t ok, uint8_t cd,
                          uint8_t type, const char *what, uint64_t k)
{
    struct boot_swap_state st;
    uint32_t a = boot_max_align(fa, x->c->max_align);

    CHECK_EQ(boot_read_swap_state(fa, a, &st), DFB_OK);
    if (st.magic != magic || (magic == BOOT_MAGIC_GOOD && (st.image_ok != ok || st.copy_done != cd ||
                                                           st.swap_type != type))) {
        fprintf(stderr, "%s trailer after cut at %llu: magic=%d ok=%d cd=%d type=%d\n", what,
                (unsigned long long)k, st.magic, st.image_ok, st.copy_done, st.swap_type);
        CHECK(0);
    }
}

/* One more boot after completion: an unconfirmed test reverts to A, the
 * others stay (test+confirm: the application confirms first, then two
 * boots keep B). */
static void check_next_boots(struct ctx *x, enum kind k, uint64_t cut)
{
    struct tboard *t = &x->t;
    struct boot_result rsp;
    int boots = k == K_TEST_CONFIRM ? 2 : 1;
    const uint8_t *want = (k == K_TEST || k == K_REVERT) ? x->img_a : x->img_b;
    size_t want_len = (k == K_TEST || k == K_REVERT) ? x->len_a : x->len_b;

    if (k == K_TEST_CONFIRM)
        CHECK_EQ(boot_write_img_confirmed(&t->cfg.slots), DFB_OK);
    for (int i = 0; i < boots; i++) {
        CHECK_EQ(boot_ok(x, &rsp), DFB_OK);
        CHECK_EQ(rsp.swap_type, k == K_TEST ? BOOT_SWAP_TYPE_REVERT : BOOT_SWAP_TYPE_NONE);
        CHECK_EQ(rsp.action, BOOT_ACTION_JUMP);
        CHECK_EQ(rsp.image_off, t->pri.off);
        if (!tb_holds(t, &t->pri, 0, want, want_len)) {
            fprintf(stderr, "%s: wrong primary image on the next boot, cut at %llu\n", kind_name[k],
                    (unsigned long long)cut);
            CHECK(0);
        }
    }
}

/* Right after the interrupted boot has been completed by later boots. */
static void check_done(struct ctx *x, enum kind k, uint64_t cut)
{
    struct tboard *t = &x->t;

    if (k == K_REVERT) {
        CHECK(tb_holds(t, &t->pri, 0, x->img_a, x->len_a));
        check_trailer(x, &t->pri, BOOT_MAGIC_GOOD, BOOT_FLAG_SET, BOOT_FLAG_SET, BOOT_SWAP_TYPE_REVERT, "primary",
                      cut);
    } else {
        uint8_t ok = k == K_PERM ? BOOT_FLAG_SET : BOOT_FLAG_UNSET;
        uint8_t type = k == K_PERM ? BOOT_SWAP_TYPE_PERM : BOOT_SWAP_TYPE_TEST;

        if (!tb_holds(t, &t->pri, 0, x->img_b, x->len_b)) {
            fprintf(stderr, "%s: new image not in primary after cut at %llu\n%s", kind_name[k],
                    (unsigned long long)cut, t->log);
            CHECK(0);
        }
        /* the old image is kept, at secondary offset 0 */
        if (!tb_holds(t, &t->sec, 0, x->img_a, x->len_a)) {
            fprintf(stderr, "%s: old image lost after cut at %llu\n", kind_name[k], (unsigned long long)cut);
            CHECK(0);
        }
        check_trailer(x, &t->pri, BOOT_MAGIC_GOOD, ok, BOOT_FLAG_SET, type, "primary", cut);
    }
    check_trailer(x, &t->sec, BOOT_MAGIC_UNSET, 0, 0, 0, "secondary", cut);
}

/* Boots with a cut at `k1` (and `k2` during the next boot if nonzero),
 * then boots until done and checks. */
static void run_cut(struct ctx *x, enum kind k, uint64_t k1, uint64_t k2, enum sim_cut_mode mode)
{
    struct tboard *t = &x->t;
    struct boot_result rsp;
    int rc;

    setup(x, k);
    sim_flash_set_cut(&t->sf, k1, mode, k1 * 7919 + k2);
    rc = tb_boot(t, &rsp);
    x->runs++;
    CHECK_EQ(rc, DFB_EPOWER); /* k1 is never past the end of the swap */
    if (rc == DFB_EPOWER && k2 != 0) {
        sim_flash_power_on(&t->sf);
        sim_flash_set_cut(&t->sf, k2, mode, k1 * 31 + k2);
        rc = tb_boot(t, &rsp);
        CHECK(rc == DFB_OK || rc == DFB_EPOWER);
    }
    if (rc == DFB_EPOWER)
        rc = boot_ok(x, &rsp);
    sim_flash_set_cut(&t->sf, 0, SIM_CUT_ATOMIC, 0);
    CHECK_EQ(rc, DFB_OK);
    if (rc != DFB_OK || rsp.action != BOOT_ACTION_JUMP) {
        fprintf(stderr, "BRICK: %s cut at %llu/%llu mode %d\n%s", kind_name[k], (unsigned long long)k1,
                (unsigned long long)k2, mode, t->log);
        CHECK(0);
        return;
    }
    if ((k == K_TEST || k == K_TEST_CONFIRM) && rsp.swap_type == BOOT_SWAP_TYPE_REVERT) {
        /* the torn last write (copy_done) landed complete: the swap was
         * done, and an unconfirmed test reverts at the next boot. The
         * revert must have found A intact. */
        x->torn_complete++;
        CHECK(tb_holds(t, &t->pri, 0, x->img_a, x->len_a));
        check_trailer(x, &t->pri, BOOT_MAGIC_GOOD, BOOT_FLAG_SET, BOOT_FLAG_SET, BOOT_SWAP_TYPE_REVERT, "primary",
                      k1);
        return;
    }
    check_done(x, k, k1);
    check_next_boots(x, k, k1);
}

static long total_points;

struct figures {
    uint64_t ops, erases, bytes, writes, meta;
};

/* One uninterrupted boot of this kind: its cost and op count. */
static struct figures measure(struct ctx *x, enum kind k)
{
    struct figures f;
    struct boot_result rsp;

    setup(x, k);
    CHECK_EQ(tb_boot(&x->t, &rsp), DFB_OK);
    CHECK_EQ(rsp.action, BOOT_ACTION_JUMP);
    f.ops = x->t.sf.ops;
    f.erases = x->t.sf.stats.erases;
    f.bytes = x->t.sf.stats.bytes_programmed;
    f.writes = x->t.sf.stats.writes;
    f.meta = x->t.meta_writes;
    check_done(x, k, 0);
    return f;
}

static void sweep(const struct cfg *c, int full)
{
    static const uint64_t second[] = { 1, 2, 3, 5, 8, 13, 21, 34, 55, 89 };
    struct ctx x;
    struct boot_geo g;

    memset(&x, 0, sizeof(x));
    x.c = c;
    x.full = full;
    if (c->layout)
        MUST(tb_init_layout(&x.t, c->layout, c->max_align));
    else
        MUST(tb_init(&x.t, c->sector, c->nsec, c->wbs, c->ev, c->max_align));
    MUST(boot_geo_compute(&x.t.cfg.slots, &g));
    MUST(boot_download_offset(&x.t.cfg.slots, &x.dl_off));
    build_images(&x);
    REQUIRE(x.len_a > 0 && x.len_b > 0);
    printf("-- %s sector %u x %u, write %u, max align %u, erased 0x%02x: A %zu B %zu bytes, trailer %u sector(s)\n",
           c->layout ? c->layout : "uniform", g.sector_size, g.slot_sectors, flash_area_align(&x.t.pri),
           boot_max_align(&x.t.pri, c->max_align), flash_area_erased_val(&x.t.pri), x.len_a, x.len_b,
           g.trailer_sectors);
    for (int k = 0; k < K_COUNT; k++) {
        struct figures f = measure(&x, (enum kind)k);
        uint32_t n = (uint32_t)(((k == K_REVERT ? x.len_a : (x.len_a > x.len_b ? x.len_a : x.len_b)) + g.sector_size - 1) /
                                g.sector_size);
        long before = x.points;

        printf("   %-12s N=%-3u ops %-4llu erases %-4llu bytes %-7llu writes %-4llu (status/trailer writes %llu)\n",
               kind_name[k], n, (unsigned long long)f.ops, (unsigned long long)f.erases,
               (unsigned long long)f.bytes, (unsigned long long)f.writes, (unsigned long long)f.meta);
        if (k == K_REVERT)
            CHECK(f.erases <= n + 2 * g.trailer_sectors);
        else
            CHECK(f.erases <= 2 * n + 2 * g.trailer_sectors);
        for (uint64_t k1 = 1; k1 <= f.ops; k1++) {
            if (c->sample > 1 && k1 % c->sample != 0 && k1 != f.ops)
                continue;
            for (int mode = 0; mode < 2; mode++) {
                run_cut(&x, (enum kind)k, k1, 0, (enum sim_cut_mode)mode);
                x.points++;
                if (full || k1 % 4 == 0) {
                    for (unsigned j = 0; j < sizeof(second) / sizeof(second[0]); j++) {
                        run_cut(&x, (enum kind)k, k1, second[j], (enum sim_cut_mode)mode);
                        x.points++;
                    }
                }
            }
        }
        printf("   %-12s interruption runs: %ld\n", kind_name[k], x.points - before);
        if (x.torn_complete)
            printf("   %-12s (torn final write landed complete, test reverted next boot: %ld)\n", kind_name[k], x.torn_complete);
        x.torn_complete = 0;
    }
    total_points += x.points;
    free(x.img_a);
    free(x.img_b);
    tb_free(&x.t);
}

int main(void)
{
    const char *env = getenv("DFUBOOT_SWEEP");
    int full = env != NULL && strcmp(env, "full") == 0;
    static const uint32_t wbs[] = { 1, 4, 8, 32 };

    for (unsigned i = 0; i < 4; i++) {
        for (int e = 0; e < 2; e++) {
            /* alternate which image is larger */
            struct cfg c = { 1024, 16, wbs[i], 0, e ? 0x00 : 0xFF, NULL, 0, 0, 1 };

            c.a_body = (i + e) % 2 ? 9000 : 6500;
            c.b_body = (i + e) % 2 ? 7000 : 10300;
            sweep(&c, full);
        }
    }
    {
        /* the seed's board: 118 x 4 KiB slots; every 7th operation */
        struct cfg c = { 0, 0, 0, 0, 0, "nrf52840dk", 60000, 100000, full ? 1 : 7 };
        sweep(&c, full);
    }
    printf("interruption points tried: %ld (%s)\n", total_points, full ? "full" : "default sample");
    CHECK_DONE();
}
