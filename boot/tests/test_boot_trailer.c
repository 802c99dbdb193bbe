/* Trailer layout, decoding, the swap-type table and the application-side
 * API, including byte-for-byte comparison with imgtool's padded images. */
#include <stdlib.h>
#include <string.h>

#include "boot/boot_trailer.h"
#include "boot/tests/boot_test_support.h"
#include "common/errors.h"
#include "tests/support/check.h"

static void test_offsets(void)
{
    const uint32_t s = 0x76000;

    CHECK_EQ(boot_magic_off(s), s - 16);
    CHECK_EQ(boot_image_ok_off(s, 8), s - 24);
    CHECK_EQ(boot_copy_done_off(s, 8), s - 32);
    CHECK_EQ(boot_swap_info_off(s, 8), s - 40);
    CHECK_EQ(boot_swap_size_off(s, 8), s - 48);
    CHECK_EQ(boot_image_ok_off(s, 16), s - 32);
    CHECK_EQ(boot_copy_done_off(s, 16), s - 48);
    CHECK_EQ(boot_image_ok_off(s, 32), s - 64);
    CHECK_EQ(boot_copy_done_off(s, 32), s - 96);
    CHECK_EQ(boot_swap_info_off(s, 32), s - 128);
    CHECK_EQ(boot_swap_size_off(s, 32), s - 160);
}

/* Independent statement of MCUboot's table: rows of (value or ANY). */
#define ANY 0
static uint8_t expected_type(uint8_t pm, uint8_t pok, uint8_t pcd, uint8_t sm, uint8_t sok)
{
    static const struct {
        uint8_t pm, sm, pok, sok, pcd, type;
    } rows[] = {
        { ANY, BOOT_MAGIC_GOOD, ANY, BOOT_FLAG_UNSET, ANY, BOOT_SWAP_TYPE_TEST },
        { ANY, BOOT_MAGIC_GOOD, ANY, BOOT_FLAG_SET, ANY, BOOT_SWAP_TYPE_PERM },
        { BOOT_MAGIC_GOOD, ANY, BOOT_FLAG_UNSET, ANY, BOOT_FLAG_SET, BOOT_SWAP_TYPE_REVERT },
    };
    for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        if ((rows[i].pm == ANY || rows[i].pm == pm) && (rows[i].sm == ANY || rows[i].sm == sm) &&
            (rows[i].pok == ANY || rows[i].pok == pok) && (rows[i].sok == ANY || rows[i].sok == sok) &&
            (rows[i].pcd == ANY || rows[i].pcd == pcd))
            return rows[i].type;
    }
    return BOOT_SWAP_TYPE_NONE;
}

/* Puts a trailer with the given states into an erased area. */
static void put_trailer(const struct flash_area *fa, uint32_t a, uint8_t magic, uint8_t ok, uint8_t cd)
{
    if (magic == BOOT_MAGIC_GOOD) {
        CHECK_EQ(boot_write_magic(fa, a), DFB_OK);
    } else if (magic == BOOT_MAGIC_BAD) {
        uint8_t junk[32];
        uint32_t n = flash_area_align(fa) > 16 ? flash_area_align(fa) : 16;
        memset(junk, 0x5a, sizeof(junk));
        CHECK_EQ(flash_area_write(fa, fa->size - n, junk, n), DFB_OK);
    }
    if (ok != BOOT_FLAG_UNSET)
        CHECK_EQ(boot_write_flag_at(fa, boot_image_ok_off(fa->size, a), ok == BOOT_FLAG_SET ? 1 : 0x42), DFB_OK);
    if (cd != BOOT_FLAG_UNSET)
        CHECK_EQ(boot_write_flag_at(fa, boot_copy_done_off(fa->size, a), cd == BOOT_FLAG_SET ? 1 : 0x42), DFB_OK);
}

/* Every combination of both trailers' magic, image_ok and copy_done, on
 * flash, through the public reader and boot_swap_type(). */
static void test_table_all_states(uint32_t wbs, uint8_t ev)
{
    static const uint8_t mags[] = { BOOT_MAGIC_GOOD, BOOT_MAGIC_BAD, BOOT_MAGIC_UNSET };
    static const uint8_t flags[] = { BOOT_FLAG_SET, BOOT_FLAG_BAD, BOOT_FLAG_UNSET };
    struct tboard t;
    int combos = 0, counts[6] = { 0 };

    MUST(tb_init(&t, 1024, 8, wbs, ev, 0));
    for (int pm = 0; pm < 3; pm++)
        for (int pok = 0; pok < 3; pok++)
            for (int pcd = 0; pcd < 3; pcd++)
                for (int sm = 0; sm < 3; sm++)
                    for (int sok = 0; sok < 3; sok++)
                        for (int scd = 0; scd < 3; scd++) {
                            struct boot_swap_state ps, ss;
                            uint8_t want = expected_type(mags[pm], flags[pok], flags[pcd], mags[sm], flags[sok]);
                            uint32_t a = boot_max_align(&t.pri, 0);

                            MUST(tb_erase_slots(&t));
                            put_trailer(&t.pri, a, mags[pm], flags[pok], flags[pcd]);
                            put_trailer(&t.sec, a, mags[sm], flags[sok], flags[scd]);
                            CHECK_EQ(boot_read_swap_state(&t.pri, a, &ps), DFB_OK);
                            CHECK_EQ(boot_read_swap_state(&t.sec, a, &ss), DFB_OK);
                            CHECK_EQ(ps.magic, mags[pm]);
                            CHECK_EQ(ps.image_ok, flags[pok]);
                            CHECK_EQ(ps.copy_done, flags[pcd]);
                            CHECK_EQ(ss.magic, mags[sm]);
                            CHECK_EQ(ss.image_ok, flags[sok]);
                            CHECK_EQ(ss.copy_done, flags[scd]);
                            CHECK_EQ(boot_swap_type_from_states(&ps, &ss), want);
                            CHECK_EQ(boot_swap_type(&t.cfg.slots), want);
                            counts[want]++;
                            combos++;
                        }
    CHECK_EQ(combos, 729);
    /* TEST: sec GOOD + ok UNSET = 1*3 * 27 pri states; PERM the same */
    CHECK_EQ(counts[BOOT_SWAP_TYPE_TEST], 81);
    CHECK_EQ(counts[BOOT_SWAP_TYPE_PERM], 81);
    /* REVERT: pri GOOD/UNSET/SET (1 state) x sec not GOOD-with-SET/UNSET ok (27 - 6) */
    CHECK_EQ(counts[BOOT_SWAP_TYPE_REVERT], 21);
    tb_free(&t);
}

static void test_swap_info_decode(void)
{
    struct tboard t;
    struct boot_swap_state st;

    MUST(tb_init(&t, 1024, 8, 4, 0xFF, 0));
    CHECK_EQ(boot_read_swap_state(&t.sec, 8, &st), DFB_OK);
    CHECK_EQ(st.magic, BOOT_MAGIC_UNSET);
    CHECK_EQ(st.swap_type, BOOT_SWAP_TYPE_NONE);
    CHECK_EQ(st.copy_done, BOOT_FLAG_UNSET);
    CHECK_EQ(boot_write_swap_info(&t.sec, 8, 1, BOOT_SWAP_TYPE_REVERT), DFB_OK);
    CHECK_EQ(boot_read_swap_state(&t.sec, 8, &st), DFB_OK);
    CHECK_EQ(st.swap_type, BOOT_SWAP_TYPE_REVERT);
    CHECK_EQ(st.image_num, 1);
    CHECK_EQ(flash_area_erase(&t.sec, t.sec.size - 1024, 1024), DFB_OK);
    CHECK_EQ(boot_write_flag_at(&t.sec, boot_swap_info_off(t.sec.size, 8), 0x07), DFB_OK); /* > REVERT */
    CHECK_EQ(boot_read_swap_state(&t.sec, 8, &st), DFB_OK);
    CHECK_EQ(st.swap_type, BOOT_SWAP_TYPE_NONE);
    tb_free(&t);
}

/* The magic forms: A = 8 classic; A = 16/32 "u16 align + 14 bytes". */
static void test_magic_forms(uint8_t ev)
{
    static const uint8_t classic[16] = { 0x77, 0xc2, 0x95, 0xf3, 0x60, 0xd2, 0xef, 0x7f,
                                         0x35, 0x52, 0x50, 0x0f, 0x2c, 0xb6, 0x79, 0x80 };
    static const uint8_t a32[16] = { 0x20, 0x00, 0x2d, 0xe1, 0x5d, 0x29, 0x41, 0x0b,
                                     0x8d, 0x77, 0x67, 0x9c, 0x11, 0x0f, 0x1f, 0x8a };
    struct tboard t;
    uint8_t buf[32];
    struct boot_swap_state st;

    MUST(tb_init(&t, 1024, 8, 1, ev, 0));
    CHECK_EQ(boot_write_magic(&t.sec, 8), DFB_OK);
    CHECK_EQ(flash_area_read(&t.sec, t.sec.size - 16, buf, 16), DFB_OK);
    CHECK(memcmp(buf, classic, 16) == 0);
    tb_free(&t);

    MUST(tb_init(&t, 1024, 8, 32, ev, 32));
    CHECK_EQ(boot_max_align(&t.sec, 0), 32);
    CHECK_EQ(boot_max_align(&t.sec, 8), 0); /* write size 32 needs max align 32 */
    CHECK_EQ(boot_write_magic(&t.sec, 32), DFB_OK);
    CHECK_EQ(flash_area_read(&t.sec, t.sec.size - 32, buf, 32), DFB_OK);
    for (int i = 0; i < 16; i++)
        CHECK_EQ(buf[i], ev);
    CHECK(memcmp(buf + 16, a32, 16) == 0);
    CHECK_EQ(boot_read_swap_state(&t.sec, 32, &st), DFB_OK);
    CHECK_EQ(st.magic, BOOT_MAGIC_GOOD);
    CHECK_EQ(boot_read_swap_state(&t.sec, 8, &st), DFB_OK); /* wrong form */
    CHECK_EQ(st.magic, BOOT_MAGIC_BAD);
    CHECK_EQ(boot_write_image_ok(&t.sec, 32), DFB_OK);
    CHECK_EQ(flash_area_read(&t.sec, t.sec.size - 64, buf, 32), DFB_OK);
    CHECK_EQ(buf[0], 0x01);
    for (int i = 1; i < 32; i++)
        CHECK_EQ(buf[i], ev);
    tb_free(&t);
}

static void test_app_api(uint32_t wbs, uint8_t ev)
{
    struct tboard t;
    struct boot_swap_state st;
    uint32_t off = 0, max = 0, a;

    MUST(tb_init(&t, 1024, 16, wbs, ev, 0));
    a = boot_max_align(&t.sec, 0);
    REQUIRE(a == (wbs > 8 ? wbs : 8));
    /* factory state: no trailer -> confirmed, nothing pending */
    CHECK_EQ(boot_is_img_confirmed(&t.cfg.slots), 1);
    CHECK_EQ(boot_write_img_confirmed(&t.cfg.slots), DFB_OK);
    CHECK(flash_area_is_erased(&t.pri, 0, t.pri.size)); /* nothing written */
    CHECK_EQ(boot_swap_type(&t.cfg.slots), BOOT_SWAP_TYPE_NONE);
    CHECK_EQ(boot_download_offset(&t.cfg.slots, &off), DFB_OK);
    CHECK_EQ(off, 1024);
    CHECK_EQ(boot_max_image_size(&t.cfg.slots, &max), DFB_OK);
    CHECK(max > 0 && max + off < t.sec.size);

    /* test request: magic + swap_info = TEST; asking again changes nothing */
    CHECK_EQ(boot_request_upgrade(&t.cfg.slots, 0), DFB_OK);
    CHECK_EQ(boot_read_swap_state(&t.sec, a, &st), DFB_OK);
    CHECK_EQ(st.magic, BOOT_MAGIC_GOOD);
    CHECK_EQ(st.swap_type, BOOT_SWAP_TYPE_TEST);
    CHECK_EQ(st.image_ok, BOOT_FLAG_UNSET);
    CHECK_EQ(st.copy_done, BOOT_FLAG_UNSET);
    CHECK_EQ(boot_swap_type(&t.cfg.slots), BOOT_SWAP_TYPE_TEST);
    CHECK_EQ(boot_request_upgrade(&t.cfg.slots, 1), DFB_OK);
    CHECK_EQ(boot_swap_type(&t.cfg.slots), BOOT_SWAP_TYPE_TEST);

    /* permanent request */
    CHECK_EQ(boot_erase_img_bank(&t.sec), DFB_OK);
    CHECK(flash_area_is_erased(&t.sec, 0, t.sec.size));
    CHECK_EQ(boot_request_upgrade(&t.cfg.slots, 1), DFB_OK);
    CHECK_EQ(boot_read_swap_state(&t.sec, a, &st), DFB_OK);
    CHECK_EQ(st.swap_type, BOOT_SWAP_TYPE_PERM);
    CHECK_EQ(st.image_ok, BOOT_FLAG_SET);
    CHECK_EQ(boot_swap_type(&t.cfg.slots), BOOT_SWAP_TYPE_PERM);

    /* bad secondary magic: the request erases the slot and fails */
    CHECK_EQ(boot_erase_img_bank(&t.sec), DFB_OK);
    {
        uint8_t junk[32];
        memset(junk, 0x11, sizeof(junk));
        CHECK_EQ(flash_area_write(&t.sec, t.sec.size - 32, junk, 32), DFB_OK);
        CHECK_EQ(flash_area_write(&t.sec, 1024, junk, 32), DFB_OK);
    }
    CHECK_EQ(boot_request_upgrade(&t.cfg.slots, 0), DFB_EBADTRAILER);
    CHECK(flash_area_is_erased(&t.sec, 0, t.sec.size));

    /* primary GOOD, image_ok unset: not confirmed until confirmed */
    CHECK_EQ(boot_write_magic(&t.pri, a), DFB_OK);
    CHECK_EQ(boot_write_copy_done(&t.pri, a), DFB_OK);
    CHECK_EQ(boot_is_img_confirmed(&t.cfg.slots), 0);
    CHECK_EQ(boot_swap_type(&t.cfg.slots), BOOT_SWAP_TYPE_REVERT);
    CHECK_EQ(boot_write_img_confirmed(&t.cfg.slots), DFB_OK);
    CHECK_EQ(boot_is_img_confirmed(&t.cfg.slots), 1);
    CHECK_EQ(boot_write_img_confirmed(&t.cfg.slots), DFB_OK); /* idempotent, no second write */
    CHECK_EQ(boot_swap_type(&t.cfg.slots), BOOT_SWAP_TYPE_NONE);

    /* primary BAD magic: confirm refused */
    CHECK_EQ(boot_erase_img_bank(&t.pri), DFB_OK);
    {
        uint8_t junk[32];
        memset(junk, 0x22, sizeof(junk));
        CHECK_EQ(flash_area_write(&t.pri, t.pri.size - 32, junk, 32), DFB_OK);
    }
    CHECK_EQ(boot_write_img_confirmed(&t.cfg.slots), DFB_EBADTRAILER);
    CHECK_EQ(boot_is_img_confirmed(&t.cfg.slots), 0);
    tb_free(&t);
}

static void test_geometry(void)
{
    struct tboard t;
    struct boot_geo g;
    uint32_t off, max;

    MUST(tb_init_layout(&t, "nrf52840dk", 0));
    CHECK_EQ(boot_geo_compute(&t.cfg.slots, &g), DFB_OK);
    CHECK_EQ(g.sector_size, 0x1000);
    CHECK_EQ(g.slot_sectors, 118);
    CHECK_EQ(g.trailer_sectors, 1);
    CHECK_EQ(boot_download_offset(&t.cfg.slots, &off), DFB_OK);
    CHECK_EQ(off, 0x1000);
    CHECK_EQ(boot_max_image_size(&t.cfg.slots, &max), DFB_OK);
    CHECK_EQ(max, 116 * 0x1000);
    tb_free(&t);

    /* stm32f4: slots of 3 x 128 KiB: uniform, swappable */
    MUST(tb_init_layout(&t, "stm32f4", 0));
    CHECK_EQ(boot_geo_compute(&t.cfg.slots, &g), DFB_OK);
    CHECK_EQ(g.max_image_sectors, 1);
    tb_free(&t);

    /* non-uniform sectors inside a slot are refused */
    {
        static const struct flash_sector_range mixed[] = { { 0x400, 4 }, { 0x800, 6 } };
        struct flash_geometry geo = { .size = 0x400 * 4 + 0x800 * 6, .write_block_size = 4, .erase_value = 0xFF,
                                      .sectors = mixed, .sector_range_count = 2 };
        struct sim_flash sf;
        struct flash_area p, s;
        struct boot_slots slots = { &p, &s, 0 };

        MUST(sim_flash_init_mem(&sf, &geo));
        MUST(flash_area_init(&p, &sf.dev, "slot0", 0, 0x400 * 2 + 0x800 * 0));
        MUST(flash_area_init(&p, &sf.dev, "slot0", 0x800, 0x400 * 2 + 0x800 * 2));
        MUST(flash_area_init(&s, &sf.dev, "slot1", 0x800 + 0x1800, 0x1800));
        CHECK_EQ(boot_geo_compute(&slots, &g), DFB_ENOTSUP);
        CHECK_EQ(boot_download_offset(&slots, &off), DFB_ENOTSUP);
        sim_flash_close(&sf);
    }
}

/* boot_request_upgrade() on slot1 holding an unpadded signed image gives
 * the trailer of `imgtool sign --pad` (test) / `--pad --confirm` (perm),
 * plus swap_info, which MCUboot's boot_set_pending also writes and imgtool
 * does not. */
static int test_vectors(void)
{
    static const char *files[] = { "vectors/imgtool/images/rsa2048-1k-pad.bin",
                                   "vectors/imgtool/images/rsa2048-1k-pad-confirm.bin",
                                   "vectors/imgtool/images/rsa2048-1k-test.bin",
                                   "vectors/imgtool/images/broken-rsa2048-1k-pad-confirm-trailer-magic.bin" };
    uint8_t *img[4];
    size_t len[4];
    struct tboard t;

    for (int i = 0; i < 4; i++) {
        img[i] = tb_read_shared(files[i], &len[i]);
        if (img[i] == NULL) {
            printf("SKIP vectors: %s not found (DFUBOOT_SHARED_DIR)\n", files[i]);
            return 0;
        }
    }
    MUST(tb_init_layout(&t, "nrf52840dk", 0));
    REQUIRE(len[0] == t.sec.size);
    for (int perm = 0; perm < 2; perm++) {
        const uint8_t *want = img[perm];
        uint8_t *got = malloc(t.sec.size);
        uint32_t end = t.sec.size - 48; /* image + padding before the trailer fields */
        uint32_t si = t.sec.size - 40;

        REQUIRE(got != NULL);
        /* the signed image as a download leaves it: up to the TLV end (1872) */
        CHECK_EQ(boot_erase_img_bank(&t.sec), DFB_OK);
        CHECK_EQ(tb_write(&t, &t.sec, 0, want, 1872), DFB_OK);
        CHECK_EQ(boot_request_upgrade(&t.cfg.slots, perm), DFB_OK);
        CHECK_EQ(flash_area_read(&t.sec, 0, got, t.sec.size), DFB_OK);
        CHECK(memcmp(got, want, end) == 0);
        CHECK(memcmp(got + si + 1, want + si + 1, t.sec.size - si - 1) == 0); /* image_ok .. magic */
        CHECK(memcmp(got + end, want + end, 8) == 0);                        /* swap_size untouched */
        CHECK_EQ(want[si], 0xFF);
        CHECK_EQ(got[si], perm ? 0x03 : 0x02);
        free(got);
    }
    /* padded images programmed as they are: --pad / --test = TEST, --confirm = PERM */
    for (int i = 0; i < 3; i++) {
        static const int want[] = { BOOT_SWAP_TYPE_TEST, BOOT_SWAP_TYPE_PERM, BOOT_SWAP_TYPE_TEST };

        CHECK_EQ(boot_erase_img_bank(&t.sec), DFB_OK);
        CHECK_EQ(flash_area_write(&t.sec, 0, img[i], (uint32_t)len[i]), DFB_OK);
        CHECK_EQ(boot_swap_type(&t.cfg.slots), want[i]);
        /* already pending: a request writes nothing */
        CHECK_EQ(boot_request_upgrade(&t.cfg.slots, 0), DFB_OK);
        CHECK(tb_holds(&t, &t.sec, 0, img[i], len[i]));
    }
    /* broken trailer magic: BAD, not pending; a request erases the slot */
    {
        struct boot_swap_state st;

        CHECK_EQ(boot_erase_img_bank(&t.sec), DFB_OK);
        CHECK_EQ(flash_area_write(&t.sec, 0, img[3], (uint32_t)len[3]), DFB_OK);
        CHECK_EQ(boot_read_swap_state(&t.sec, 8, &st), DFB_OK);
        CHECK_EQ(st.magic, BOOT_MAGIC_BAD);
        CHECK_EQ(st.image_ok, BOOT_FLAG_SET);
        CHECK_EQ(boot_swap_type(&t.cfg.slots), BOOT_SWAP_TYPE_NONE);
        CHECK_EQ(boot_request_upgrade(&t.cfg.slots, 0), DFB_EBADTRAILER);
        CHECK(flash_area_is_erased(&t.sec, 0, t.sec.size));
    }
    /* the confirmed vector as the primary: confirmed; the pad one is not.
     * (Programming a whole padded file also programs its erased padding,
     * which ECC flash would not allow to be programmed again: not strict.) */
    t.sf.strict = 0;
    CHECK_EQ(boot_erase_img_bank(&t.pri), DFB_OK);
    CHECK_EQ(flash_area_write(&t.pri, 0, img[1], (uint32_t)len[1]), DFB_OK);
    CHECK_EQ(boot_is_img_confirmed(&t.cfg.slots), 1);
    CHECK_EQ(boot_erase_img_bank(&t.pri), DFB_OK);
    CHECK_EQ(flash_area_write(&t.pri, 0, img[0], (uint32_t)len[0]), DFB_OK);
    CHECK_EQ(boot_is_img_confirmed(&t.cfg.slots), 0);
    CHECK_EQ(boot_write_img_confirmed(&t.cfg.slots), DFB_OK);
    /* trailer now identical to --confirm (signatures differ: RSA-PSS is randomized) */
    CHECK(tb_holds(&t, &t.pri, t.pri.size - 48, img[1] + len[1] - 48, 48));
    CHECK(tb_holds(&t, &t.pri, 0, img[1], 1536)); /* header + body */
    tb_free(&t);
    for (int i = 0; i < 4; i++)
        free(img[i]);
    return 1;
}

int main(void)
{
    static const uint32_t aligns[] = { 1, 4, 8, 32 };

    test_offsets();
    test_swap_info_decode();
    test_magic_forms(0xFF);
    test_magic_forms(0x00);
    for (unsigned i = 0; i < 4; i++) {
        test_table_all_states(aligns[i], 0xFF);
        test_table_all_states(aligns[i], 0x00);
        test_app_api(aligns[i], 0xFF);
        test_app_api(aligns[i], 0x00);
    }
    test_geometry();
    test_vectors();
    CHECK_DONE();
}
