/* Boot decisions end to end on the simulated flash: the seed's console
 * transcripts on the nRF52840 DK layout, and bad secondaries (garbage
 * trailer, magic only, other key, too large, truncated, downgrade), no
 * bootable image, first install and incompatible slots. */
#include <stdlib.h>
#include <string.h>

#include "boot/tests/boot_test_support.h"
#include "common/errors.h"
#include "tests/support/check.h"

static uint8_t img_a[140000], img_b[140000], img_c[140000];
static size_t len_a, len_b, len_c;

static size_t mk(uint8_t *buf, uint32_t body, uint8_t major, uint8_t minor, uint32_t key, uint32_t seed)
{
    struct fake_image_desc d = { 0x200, body, { major, minor, 0, 0 }, major, key, seed };

    return fake_image_build(buf, 140000, &d);
}

static void download(struct tboard *t, const uint8_t *img, size_t len)
{
    uint32_t off;

    MUST(boot_download_offset(&t->cfg.slots, &off));
    MUST(flash_area_erase(&t->sec, 0, t->sec.size));
    { int rc_ = tb_write(t, &t->sec, off, img, len); if (rc_) fprintf(stderr, "dl rc %d len %zu off %u\n", rc_, len, off); MUST(rc_); }
}

static void boot_expect(struct tboard *t, uint8_t type, const uint8_t *img, size_t len)
{
    struct boot_result rsp;

    tb_log_clear(t);
    CHECK_EQ(tb_boot(t, &rsp), DFB_OK);
    CHECK_EQ(rsp.swap_type, type);
    CHECK_EQ(rsp.action, BOOT_ACTION_JUMP);
    CHECK_EQ(rsp.image_off, t->pri.off);
    CHECK(tb_holds(t, &t->pri, 0, img, len));
    if (rsp.swap_type != type)
        fprintf(stderr, "%s", t->log);
}

#define LOG_HAS(t, s)                                                                                                  \
    do {                                                                                                               \
        if (!tb_log_has(t, s)) {                                                                                       \
            fprintf(stderr, "missing log line \"%s\" in:\n%s", s, (t)->log);                                         \
            CHECK(0);                                                                                                  \
        }                                                                                                              \
    } while (0)

static void test_seed_transcripts(void)
{
    struct tboard t;

    MUST(tb_init_layout(&t, "nrf52840dk", 0));
    /* a factory image, then a permanent update to the DFU sample (A) */
    MUST(tb_write(&t, &t.pri, 0, img_c, len_c));
    download(&t, img_a, len_a);
    CHECK_EQ(boot_request_upgrade(&t.cfg.slots, 1), DFB_OK);
    boot_expect(&t, BOOT_SWAP_TYPE_PERM, img_a, len_a);

    /* dfu-util --alt 1 --download hello_world; boot_request_upgrade(TEST) */
    download(&t, img_b, len_b);
    CHECK_EQ(boot_request_upgrade(&t.cfg.slots, 0), DFB_OK);
    boot_expect(&t, BOOT_SWAP_TYPE_TEST, img_b, len_b);
    LOG_HAS(&t, "I: Starting bootloader\n"
                "I: Primary image: magic=good, swap_type=0x3, copy_done=0x1, image_ok=0x1\n"
                "I: Secondary image: magic=good, swap_type=0x2, copy_done=0x3, image_ok=0x3\n"
                "I: Boot source: none\n"
                "I: Swap type: test\n");
    CHECK_EQ(boot_is_img_confirmed(&t.cfg.slots), 0);

    /* hello_world does not confirm: reset reverts */
    boot_expect(&t, BOOT_SWAP_TYPE_REVERT, img_a, len_a);
    LOG_HAS(&t, "I: Starting bootloader\n"
                "I: Primary image: magic=good, swap_type=0x2, copy_done=0x1, image_ok=0x3\n"
                "I: Secondary image: magic=unset, swap_type=0x1, copy_done=0x3, image_ok=0x3\n"
                "I: Boot source: none\n"
                "I: Swap type: revert\n"
                "I: Secondary image: magic=unset, swap_type=0x1, copy_done=0x3, image_ok=0x3\n");
    CHECK_EQ(boot_is_img_confirmed(&t.cfg.slots), 1);
    boot_expect(&t, BOOT_SWAP_TYPE_NONE, img_a, len_a);

    /* permanent download */
    download(&t, img_b, len_b);
    CHECK_EQ(boot_request_upgrade(&t.cfg.slots, 1), DFB_OK);
    boot_expect(&t, BOOT_SWAP_TYPE_PERM, img_b, len_b);
    LOG_HAS(&t, "I: Primary image: magic=good, swap_type=0x4, copy_done=0x1, image_ok=0x1\n"
                "I: Secondary image: magic=good, swap_type=0x3, copy_done=0x3, image_ok=0x1\n"
                "I: Boot source: none\n"
                "I: Swap type: perm\n");
    boot_expect(&t, BOOT_SWAP_TYPE_NONE, img_b, len_b);

    /* boot_main jumps through sys_ops */
    CHECK_EQ(boot_main(&t.cfg), DFB_OK);
    CHECK_EQ(t.jumps, 1);
    CHECK_EQ(t.jump_off, 0xc000);
    LOG_HAS(&t, "I: Bootloader chainload address offset: 0xc000\nI: Jumping to the first image slot\n");
    /* the write-ordering contract: every trailer or status record came
     * after a sync of the copies and erases before it, through all the
     * swaps, reverts and requests above */
    CHECK(t.syncs > 0);
    CHECK_EQ(t.unordered_records, 0);
    tb_free(&t);
}

static uint8_t small_a[20000], small_b[20000], small_other_key[20000], small_old[20000], huge[20000];
static size_t small_a_len, small_b_len, small_other_key_len, small_old_len, huge_len;

/* A bad secondary is refused and erased; the primary keeps booting. */
static void bad_secondary(const char *what, void (*prepare)(struct tboard *), const char *log_line, int down)
{
    struct tboard t;
    struct boot_result rsp;
    struct boot_swap_state st;

    MUST(tb_init(&t, 1024, 16, 4, 0xFF, 0));
    t.cfg.downgrade_prevention = (uint8_t)down;
    MUST(tb_write(&t, &t.pri, 0, small_a, small_a_len));
    prepare(&t);
    tb_log_clear(&t);
    CHECK_EQ(tb_boot(&t, &rsp), DFB_OK);
    CHECK_EQ(rsp.action, BOOT_ACTION_JUMP);
    CHECK(tb_holds(&t, &t.pri, 0, small_a, small_a_len));
    CHECK_EQ(boot_read_swap_state(&t.sec, 8, &st), DFB_OK);
    CHECK_EQ(st.magic, BOOT_MAGIC_UNSET);
    if (log_line != NULL)
        LOG_HAS(&t, log_line);
    /* and the next boot has nothing to do */
    tb_log_clear(&t);
    CHECK_EQ(tb_boot(&t, &rsp), DFB_OK);
    CHECK_EQ(rsp.swap_type, BOOT_SWAP_TYPE_NONE);
    CHECK(tb_holds(&t, &t.pri, 0, small_a, small_a_len));
    if (rsp.swap_type != BOOT_SWAP_TYPE_NONE)
        printf("%s: %s", what, t.log);
    tb_free(&t);
}


static void prep_garbage_trailer(struct tboard *t)
{
    uint8_t junk[1024];

    for (int i = 0; i < 1024; i++)
        junk[i] = (uint8_t)(i * 37 + 5);
    MUST(flash_area_write(&t->sec, t->sec.size - 1024, junk, 1024));
}

static void prep_magic_only(struct tboard *t)
{
    MUST(boot_request_upgrade(&t->cfg.slots, 0));
}

static void prep_other_key(struct tboard *t)
{
    download(t, small_other_key, small_other_key_len);
    MUST(boot_request_upgrade(&t->cfg.slots, 1));
}

static void prep_too_large(struct tboard *t)
{
    download(t, huge, huge_len);
    MUST(boot_request_upgrade(&t->cfg.slots, 0));
}

static void prep_truncated(struct tboard *t)
{
    download(t, small_b, small_b_len - 700);
    MUST(boot_request_upgrade(&t->cfg.slots, 0));
}

/* A revert record that no revert wrote: downloaded bytes that happen to
 * read as a journal, over a secondary that holds no valid image. */
static void prep_forged_revert_journal(struct tboard *t)
{
    uint8_t junk[2048];

    for (int i = 0; i < 2048; i++)
        junk[i] = (uint8_t)(i * 13 + 1);
    MUST(flash_area_write(&t->sec, 0, junk, sizeof(junk)));
    MUST(boot_write_swap_size(&t->sec, 8, small_b_len));
    MUST(boot_write_swap_info(&t->sec, 8, 0, BOOT_SWAP_TYPE_REVERT));
}

static void prep_downgrade(struct tboard *t)
{
    download(t, small_old, small_old_len);
    MUST(boot_request_upgrade(&t->cfg.slots, 1));
}

static void test_bad_secondaries(void)
{
    uint32_t max;
    struct tboard t;
    struct fake_image_desc d = { 0x200, 0, { 3, 0, 0, 0 }, 3, FAKE_KEY_GOOD, 77 };

    MUST(tb_init(&t, 1024, 16, 4, 0xFF, 0));
    MUST(boot_max_image_size(&t.cfg.slots, &max));
    tb_free(&t);
    small_a_len = mk(small_a, 6000, 1, 0, FAKE_KEY_GOOD, 4);
    small_b_len = mk(small_b, 8000, 2, 0, FAKE_KEY_GOOD, 5);
    small_other_key_len = mk(small_other_key, 8000, 2, 0, 0x0BADBEEF, 5);
    small_old_len = mk(small_old, 5000, 0, 9, FAKE_KEY_GOOD, 6);
    /* one byte more than the largest image, still inside the slot */
    d.body_size = max - 0x200 - FAKE_TLV_SIZE + 1;
    huge_len = fake_image_build(huge, sizeof(huge), &d);
    REQUIRE(huge_len == max + 1);

    bad_secondary("garbage trailer", prep_garbage_trailer, "W: Erasing leftover secondary trailer", 0);
    bad_secondary("magic only", prep_magic_only, "E: Image in the secondary slot is not valid!", 0);
    bad_secondary("other key", prep_other_key, "E: Image in the secondary slot is not valid!", 0);
    bad_secondary("too large", prep_too_large, "E: Image in the secondary slot is too large for the slot", 0);
    bad_secondary("truncated", prep_truncated, "E: Image in the secondary slot is not valid!", 0);
    bad_secondary("downgrade", prep_downgrade, "E: Insufficient version in secondary slot", 1);
    bad_secondary("forged revert record", prep_forged_revert_journal,
                  "W: Revert record without a valid image to revert to; ignoring it", 0);

    /* without downgrade prevention the older image is accepted */
    MUST(tb_init(&t, 1024, 16, 4, 0xFF, 0));
    MUST(tb_write(&t, &t.pri, 0, small_a, small_a_len));
    prep_downgrade(&t);
    boot_expect(&t, BOOT_SWAP_TYPE_PERM, small_old, small_old_len);
    /* security counter comparison: equal counters pass, lower refused */
    t.cfg.downgrade_prevention = 1;
    t.cfg.downgrade_use_security_counter = 1;
    download(&t, small_a, small_a_len); /* counter 1 > 0 */
    CHECK_EQ(boot_request_upgrade(&t.cfg.slots, 1), DFB_OK);
    boot_expect(&t, BOOT_SWAP_TYPE_PERM, small_a, small_a_len);
    download(&t, small_old, small_old_len); /* counter 0 < 1 */
    CHECK_EQ(boot_request_upgrade(&t.cfg.slots, 1), DFB_OK);
    boot_expect(&t, BOOT_SWAP_TYPE_FAIL, small_a, small_a_len);
    tb_free(&t);
}

static void test_no_bootable_image(void)
{
    struct tboard t;
    struct boot_result rsp;

    MUST(tb_init(&t, 1024, 16, 8, 0x00, 0));
    CHECK_EQ(tb_boot(&t, &rsp), DFB_OK);
    CHECK_EQ(rsp.action, BOOT_ACTION_HALT);
    LOG_HAS(&t, "E: Unable to find bootable image");
    CHECK_EQ(boot_main(&t.cfg), DFB_ESTATE);
    CHECK_EQ(t.jumps, 0);
    /* a corrupted primary halts too */
    MUST(tb_write(&t, &t.pri, 0, small_b, small_b_len - 100));
    CHECK_EQ(tb_boot(&t, &rsp), DFB_OK);
    CHECK_EQ(rsp.action, BOOT_ACTION_HALT);

    /* first install: primary invalid, valid test image pending */
    MUST(tb_erase_slots(&t));
    download(&t, small_b, small_b_len);
    CHECK_EQ(boot_request_upgrade(&t.cfg.slots, 0), DFB_OK);
    boot_expect(&t, BOOT_SWAP_TYPE_TEST, small_b, small_b_len);
    /* not confirmed, but nothing valid to go back to: kept, made permanent */
    boot_expect(&t, BOOT_SWAP_TYPE_FAIL, small_b, small_b_len);
    CHECK_EQ(boot_is_img_confirmed(&t.cfg.slots), 1);
    boot_expect(&t, BOOT_SWAP_TYPE_NONE, small_b, small_b_len);
    tb_free(&t);
}

static void test_incompatible_slots(void)
{
    /* slot0 spans 2 x 1K + 1 x 2K, slot1 4 x 1K: no swap, primary boots */
    static const struct flash_sector_range mixed[] = { { 0x400, 3 }, { 0x800, 1 }, { 0x400, 4 } };
    struct flash_geometry geo = { .size = 0x2400, .write_block_size = 4, .erase_value = 0xFF,
                                  .sectors = mixed, .sector_range_count = 3 };
    struct tboard t;
    struct boot_result rsp;
    uint8_t img[3000];
    struct fake_image_desc d = { 0x40, 2000, { 1, 0, 0, 0 }, 0, FAKE_KEY_GOOD, 1 };
    size_t n = fake_image_build(img, sizeof(img), &d);

    MUST(tb_init(&t, 1024, 4, 4, 0xFF, 0)); /* for ops and log */
    sim_flash_close(&t.sf);
    MUST(sim_flash_init_mem(&t.sf, &geo));
    t.cdev.geo = &geo;
    MUST(flash_area_init(&t.pri, &t.cdev, "slot0", 0x400, 0x1000));
    MUST(flash_area_init(&t.sec, &t.cdev, "slot1", 0x1400, 0x1000));
    MUST(tb_write(&t, &t.pri, 0, img, n));
    CHECK_EQ(boot_request_upgrade(&t.cfg.slots, 0), DFB_OK);
    tb_log_clear(&t);
    CHECK_EQ(tb_boot(&t, &rsp), DFB_OK);
    CHECK_EQ(rsp.action, BOOT_ACTION_JUMP);
    LOG_HAS(&t, "W: Slots cannot be swapped");
    CHECK_EQ(boot_download_offset(&t.cfg.slots, &d.hdr_size), DFB_ENOTSUP);
    tb_free(&t);
}

int main(void)
{
    len_a = mk(img_a, 60000, 1, 0, FAKE_KEY_GOOD, 1);
    len_b = mk(img_b, 100000, 1, 1, FAKE_KEY_GOOD, 2);
    len_c = mk(img_c, 30000, 0, 1, FAKE_KEY_GOOD, 3);
    test_seed_transcripts();
    test_bad_secondaries();
    test_no_bootable_image();
    test_incompatible_slots();
    CHECK_DONE();
}
