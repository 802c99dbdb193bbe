/* Fuzz target: trailer reader, swap-type decision, swap and its resume after
 * power cuts, on any content of both slots (images, trailers, swap status).
 *
 * Images use the boot tests' fake format (boot/tests/boot_test_support.h:
 * the MCUboot header plus a checksummed test TLV, accepted only with the
 * trusted key id), so that inputs can hold valid and invalid images alike.
 *
 * Input: byte 0 = configuration
 *   bit 0 downgrade prevention, bit 1 by security counter, bit 2 compare
 *   build numbers, bits 3-4 BOOT_MAX_ALIGN (default, 8, 16, 32), bits 5-6
 *   number of power cuts before the final boot (0-3), bit 7 torn cuts
 * then one u16 per power cut (the erase/write operation that is cut), then
 * records until the input ends (first byte mod 4, its bit 2 = slot):
 *   0  an image (in the secondary slot at the download offset unless b & 2
 *      puts it at 0): hdr_size (32 << (b & 1)), body size (u16 mod 4096), version
 *      (4 bytes), security counter (byte), key good/bad (byte & 1), seed;
 *      then a u16: if below the image size, that byte is flipped
 *   1  raw bytes at the end of the slot: len (byte), offset back from the
 *      end (u16), bytes (trailer, swap status, anything)
 *   2  a trailer written with the trailer API: magic (bit 0), image_ok
 *      (bit 1), copy_done (bit 2), swap_info byte
 *   3  raw bytes at an offset from the slot start: u16 offset, len, bytes
 *
 * Boots with the power cuts, then a final boot without. Properties: no
 * crash or sanitizer report, boot_go never returns an unknown code, and on
 * every JUMP the primary slot holds (re-validated here, from its current
 * bytes) a valid image at the start of the slot, with the size reported. */
#include <string.h>

#include "boot/boot.h"
#include "boot/tests/boot_test_support.h"
#include "common/errors.h"
#include "tests/fuzz/support/fuzz_support.h"

#define SECTOR 0x400u
#define NSEC 12u

static struct tboard tb;
static uint8_t imgbuf[8192];

static void raw_write(const struct flash_area *fa, uint32_t off, const uint8_t *p, uint32_t len)
{
    if (off >= fa->size)
        return;
    if (len > fa->size - off)
        len = fa->size - off;
    memcpy(tb.sf.mem + fa->off + off, p, len); /* straight into the cells */
}

static void check_jump(const struct boot_result *r, int rc)
{
    if (getenv("FUZZ_TRACE"))
        fprintf(stderr, "boot: rc %d action %d swap %u resumed %u img %u+%u\n", rc, r->action, r->swap_type,
                r->resumed, r->hdr_size, r->img_size);
    if (rc > 0 || rc < DFB_EOVERFLOW)
        FUZZ_FAIL("boot_go returned %d", rc);
    if (r->action != BOOT_ACTION_JUMP)
        return;
    if (rc != 0)
        FUZZ_FAIL("boot_go failed (%d) but says jump", rc);
    if (r->image_off != tb.pri.off)
        FUZZ_FAIL("jump to device offset 0x%x, not the primary slot 0x%x", r->image_off, tb.pri.off);
    struct boot_image_info info;
    uint32_t key = FAKE_KEY_GOOD;
    int vrc = fake_validate(&key, &tb.pri, 0, &info);
    if (vrc != 0)
        FUZZ_FAIL("jump to a primary image that does not validate (%d)", vrc);
    if (info.hdr_size != r->hdr_size || info.img_size != r->img_size)
        FUZZ_FAIL("jump with sizes %u+%u, the image has %u+%u", r->hdr_size, r->img_size, info.hdr_size,
                  info.img_size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint32_t aligns[4] = { 0, 8, 16, 32 };
    struct fuzz_in in = { data, size };
    uint16_t cuts[3];

    if (size < 1 || size > 16384)
        return 0;
    uint8_t c = fuzz_u8(&in);
    if (tb_init(&tb, SECTOR, NSEC, 4, 0xff, aligns[(c >> 3) & 3]) != DFB_OK)
        abort();
    tb.verbose = getenv("FUZZ_TRACE") != NULL;
    tb.cfg.downgrade_prevention = c & 1;
    tb.cfg.downgrade_use_security_counter = (c >> 1) & 1;
    tb.cfg.version_cmp_build = (c >> 2) & 1;
    int ncuts = (c >> 5) & 3;
    for (int i = 0; i < ncuts; i++)
        cuts[i] = fuzz_u16(&in);

    while (in.n) {
        uint8_t rec = fuzz_u8(&in);
        const struct flash_area *fa = (rec & 4) ? &tb.sec : &tb.pri;
        switch (rec & 3) {
        case 0: {
            uint8_t b = fuzz_u8(&in);
            struct fake_image_desc d = { 0 };
            d.hdr_size = 32u << (b & 1);
            d.body_size = fuzz_u16(&in) % 4096u;
            d.version.major = fuzz_u8(&in);
            d.version.minor = fuzz_u8(&in);
            d.version.revision = fuzz_u8(&in);
            d.version.build_num = fuzz_u8(&in);
            d.security_counter = fuzz_u8(&in);
            d.key_id = (fuzz_u8(&in) & 1) ? FAKE_KEY_GOOD : 0x0badbeefu;
            d.seed = fuzz_u8(&in);
            size_t n = fake_image_build(imgbuf, sizeof(imgbuf), &d);
            uint16_t flip = fuzz_u16(&in);
            if (flip < n)
                imgbuf[flip] ^= 0x20;
            /* the secondary image goes where a download puts it, unless
             * bit 1 says offset 0 */
            uint32_t at = 0;
            if (fa == &tb.sec && !(b & 2) && boot_download_offset(&tb.cfg.slots, &at) != DFB_OK)
                at = 0;
            raw_write(fa, at, imgbuf, (uint32_t)n);
            break;
        }
        case 1: {
            uint8_t len = fuzz_u8(&in);
            uint16_t back = fuzz_u16(&in);
            uint8_t tmp[256];
            for (int i = 0; i < len; i++)
                tmp[i] = fuzz_u8(&in);
            if (back >= len && back <= fa->size)
                raw_write(fa, fa->size - back, tmp, len);
            break;
        }
        case 2: {
            uint8_t f = fuzz_u8(&in), info = fuzz_u8(&in);
            uint32_t a = boot_max_align(fa, tb.cfg.slots.max_align);
            if (a == 0)
                break;
            /* errors (a field already written) are part of the game */
            if (f & 1)
                (void)boot_write_magic(fa, a);
            if (f & 2)
                (void)boot_write_image_ok(fa, a);
            if (f & 4)
                (void)boot_write_copy_done(fa, a);
            if (info != 0xff)
                (void)boot_write_swap_info(fa, a, info >> 4, info & 15);
            break;
        }
        default: {
            uint16_t off = fuzz_u16(&in);
            uint8_t len = fuzz_u8(&in);
            uint8_t tmp[256];
            for (int i = 0; i < len; i++)
                tmp[i] = fuzz_u8(&in);
            raw_write(fa, off, tmp, len);
            break;
        }
        }
    }

    struct boot_result r;
    for (int i = 0; i < ncuts; i++) {
        sim_flash_power_on(&tb.sf);
        sim_flash_set_cut(&tb.sf, cuts[i] % 64u + 1u, (c & 0x80) ? SIM_CUT_TORN : SIM_CUT_ATOMIC, cuts[i]);
        memset(&r, 0x5a, sizeof(r));
        int rc = boot_go(&tb.cfg, &r);
        /* a cut boot may still jump (if the cut came too late to matter) */
        if (!tb.sf.powered_off)
            check_jump(&r, rc);
        else if (r.action == BOOT_ACTION_JUMP && rc == 0)
            check_jump(&r, rc);
    }
    sim_flash_power_on(&tb.sf);
    sim_flash_set_cut(&tb.sf, 0, SIM_CUT_ATOMIC, 0);
    memset(&r, 0x5a, sizeof(r));
    check_jump(&r, boot_go(&tb.cfg, &r));
    /* and once more: a settled board boots the same way */
    struct boot_result r2;
    memset(&r2, 0x5a, sizeof(r2));
    check_jump(&r2, boot_go(&tb.cfg, &r2));
    tb_free(&tb);
    return 0;
}
