/* Power loss at every flash operation of a swap.
 *
 * For TEST, PERM, REVERT and a TEST that the application then confirms:
 * power is cut at operation k of the boot that swaps (every k, once with
 * the operation not done, once torn), then the board boots again until it
 * completes; after every first cut (or every 4th in the sampled sweep) a
 * second cut hits the resumed boot at each of 10 points. Every run must end
 * with the expected image in the primary byte for byte, the other image
 * where the algorithm keeps it, the expected trailers and a jump to a valid
 * primary. Write sizes 1, 4, 8, 32; erase values 0xFF and 0x00; 16 x 1 KiB
 * slots; and the nRF52840 DK layout.
 *
 * How: the swapping boot runs once, uninterrupted. Before each of its flash
 * operations the process forks (the child is a copy-on-write snapshot of
 * the whole board at that point); the child cuts the power at that very
 * operation, so its boot_go() returns the power error, and it goes on with
 * the boots and checks, the second cuts each from a saved copy of the flash
 * after the first cut. Up to DFUBOOT_SWEEP_JOBS children (default: the
 * number of CPUs) run at once; nothing is replayed from power-on.
 *
 * Default: the full sweep. DFUBOOT_SWEEP=sample: second cuts after every
 * 4th first cut and every 7th first cut on the nRF52840 DK layout (quick
 * runs while developing). The figures per swap kind are printed, and the
 * number of points as `result: powerloss_full_points N` for the bench. */
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
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
    long points, runs;
    int full;
    /* the forking sweep */
    enum kind kind;
    uint64_t last_op;   /* operations of the uninterrupted swapping boot */
    int forking;        /* before_op forks (the parent's swapping boot) */
    int in_child;       /* this process is a snapshot taken at child_k1 */
    uint64_t child_k1;
    enum sim_cut_mode child_mode;
    int jobs, running;
    long child_failures;
};

/* Counters the children add to (shared memory): checks made, torn final
 * writes that landed complete. */
struct shared_counts {
    long checks;
    long torn_complete;
};
static struct shared_counts *shared;

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

/* The rest of one interruption run, on the flash as the cut at `k1` left
 * it: a second cut at `k2` during the next boot if nonzero, then boots
 * until done, and the checks. */
static void after_cut(struct ctx *x, enum kind k, uint64_t k1, uint64_t k2, enum sim_cut_mode mode)
{
    struct tboard *t = &x->t;
    struct boot_result rsp;
    int rc = DFB_EPOWER;

    tb_log_clear(t);
    if (k2 != 0) {
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
        __atomic_fetch_add(&shared->torn_complete, 1, __ATOMIC_RELAXED);
        CHECK(tb_holds(t, &t->pri, 0, x->img_a, x->len_a));
        check_trailer(x, &t->pri, BOOT_MAGIC_GOOD, BOOT_FLAG_SET, BOOT_FLAG_SET, BOOT_SWAP_TYPE_REVERT, "primary",
                      k1);
        return;
    }
    check_done(x, k, k1);
    check_next_boots(x, k, k1);
}

static const uint64_t second[] = { 1, 2, 3, 5, 8, 13, 21, 34, 55, 89 };

static int with_second_cuts(const struct ctx *x, uint64_t k1)
{
    return x->full || k1 % 4 == 0;
}

static int first_cut_tried(const struct ctx *x, uint64_t k1)
{
    return x->c->sample <= 1 || k1 % x->c->sample == 0 || k1 == x->last_op;
}

/* In a child, right after its boot returned at the first cut: the run
 * without a second cut, then each second cut from a copy of the flash. */
static void child_runs(struct ctx *x)
{
    struct sim_flash *sf = &x->t.sf;
    size_t prog_len = sf->geo->size / sf->geo->write_block_size;
    uint8_t *mem = malloc(sf->geo->size), *prog = malloc(prog_len);

    REQUIRE(mem != NULL && prog != NULL);
    memcpy(mem, sf->mem, sf->geo->size);
    memcpy(prog, sf->programmed, prog_len);
    after_cut(x, x->kind, x->child_k1, 0, x->child_mode);
    if (with_second_cuts(x, x->child_k1)) {
        for (unsigned j = 0; j < sizeof(second) / sizeof(second[0]); j++) {
            memcpy(sf->mem, mem, sf->geo->size);
            memcpy(sf->programmed, prog, prog_len);
            after_cut(x, x->kind, x->child_k1, second[j], x->child_mode);
        }
    }
    fflush(stdout);
    fflush(stderr);
    __atomic_fetch_add(&shared->checks, (long)check_count, __ATOMIC_RELAXED);
    _exit(check_failures == 0 ? 0 : 1);
}

/* Waits for one child; counts it if it failed. */
static void reap_one(struct ctx *x)
{
    int status;
    pid_t pid = wait(&status);

    if (pid < 0)
        return;
    x->running--;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        x->child_failures++;
        if (WIFSIGNALED(status))
            fprintf(stderr, "a sweep child died of signal %d\n", WTERMSIG(status));
    }
}

/* sim_flash's before_op hook in the parent's swapping boot: one child per
 * cut mode, each cutting the power at operation `op`. */
static void before_op(void *ctx, uint64_t op)
{
    struct ctx *x = ctx;

    if (!x->forking || x->in_child || !first_cut_tried(x, op))
        return;
    for (int mode = 0; mode < 2; mode++) {
        pid_t pid;

        while (x->running >= x->jobs)
            reap_one(x);
        fflush(stdout);
        fflush(stderr);
        pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            x->in_child = 1;
            x->child_k1 = op;
            x->child_mode = (enum sim_cut_mode)mode;
            check_count = 0;
            /* this operation is the one cut (the hook runs before it counts) */
            sim_flash_set_cut(&x->t.sf, op, (enum sim_cut_mode)mode, op * 7919);
            return;
        }
        x->running++;
        x->runs++;
        x->points += 1 + (with_second_cuts(x, op) ? (long)(sizeof(second) / sizeof(second[0])) : 0);
    }
}

/* The swapping boot of kind `k`, forking a child at each operation. */
static void sweep_kind(struct ctx *x, enum kind k)
{
    struct boot_result rsp;
    int rc;

    setup(x, k);
    x->kind = k;
    x->forking = 1;
    x->t.sf.before_op = before_op;
    x->t.sf.before_op_ctx = x;
    rc = tb_boot(&x->t, &rsp);
    x->forking = 0;
    x->t.sf.before_op = NULL;
    if (x->in_child) {
        CHECK_EQ(rc, DFB_EPOWER); /* the cut operation is part of this boot */
        child_runs(x);
    }
    CHECK_EQ(rc, DFB_OK);
    check_done(x, k, 0);
    while (x->running > 0)
        reap_one(x);
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

static void sweep(const struct cfg *c, int full, int jobs)
{
    struct ctx x;
    struct boot_geo g;

    memset(&x, 0, sizeof(x));
    x.c = c;
    x.full = full;
    x.jobs = jobs;
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
        long before = x.points, failures = x.child_failures, torn = shared->torn_complete;

        printf("   %-12s N=%-3u ops %-4llu erases %-4llu bytes %-7llu writes %-4llu (status/trailer writes %llu)\n",
               kind_name[k], n, (unsigned long long)f.ops, (unsigned long long)f.erases,
               (unsigned long long)f.bytes, (unsigned long long)f.writes, (unsigned long long)f.meta);
        if (k == K_REVERT)
            CHECK(f.erases <= n + 2 * g.trailer_sectors);
        else
            CHECK(f.erases <= 2 * n + 2 * g.trailer_sectors);
        x.last_op = f.ops;
        sweep_kind(&x, (enum kind)k);
        printf("   %-12s interruption runs: %ld%s\n", kind_name[k], x.points - before,
               x.child_failures > failures ? " (FAILED)" : "");
        if (shared->torn_complete > torn)
            printf("   %-12s (torn final write landed complete, test reverted next boot: %ld)\n", kind_name[k],
                   shared->torn_complete - torn);
        fflush(stdout);
    }
    CHECK_EQ(x.child_failures, 0);
    total_points += x.points;
    free(x.img_a);
    free(x.img_b);
    tb_free(&x.t);
}

int main(void)
{
    const char *env = getenv("DFUBOOT_SWEEP");
    const char *jenv = getenv("DFUBOOT_SWEEP_JOBS");
    int full = env == NULL || strcmp(env, "sample") != 0;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int jobs = jenv != NULL ? atoi(jenv) : cpus > 0 ? (int)cpus : 1;
    static const uint32_t wbs[] = { 1, 4, 8, 32 };

    if (jobs < 1)
        jobs = 1;
    shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    REQUIRE(shared != MAP_FAILED);
    memset(shared, 0, sizeof(*shared));
    for (unsigned i = 0; i < 4; i++) {
        for (int e = 0; e < 2; e++) {
            /* alternate which image is larger */
            struct cfg c = { 1024, 16, wbs[i], 0, e ? 0x00 : 0xFF, NULL, 0, 0, 1 };

            c.a_body = (i + e) % 2 ? 9000 : 6500;
            c.b_body = (i + e) % 2 ? 7000 : 10300;
            sweep(&c, full, jobs);
        }
    }
    {
        /* the seed's board: 118 x 4 KiB slots; every operation (sampled: every 7th) */
        struct cfg c = { 0, 0, 0, 0, 0, "nrf52840dk", 60000, 100000, full ? 1 : 7 };
        sweep(&c, full, jobs);
    }
    printf("interruption points tried: %ld (%s, %d jobs)\n", total_points, full ? "full" : "sample", jobs);
    if (full)
        printf("result: powerloss_full_points %ld\n", total_points);
    check_count += (int)shared->checks;
    CHECK_DONE();
}
