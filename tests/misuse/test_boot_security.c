/* Security properties of the boot path with the real image validator and
 * real signatures (MCUboot's public test keys; the signed images are the
 * image fuzz target's seeds, tests/fuzz/image/corpus, made by make_seeds.py;
 * the bootloader here trusts only the RSA-2048 test key):
 *   - an image signed by another key never boots (primary) and is never
 *     swapped in (secondary);
 *   - an image whose body, header or protected TLVs changed after signing
 *     never boots, nor does one with a changed signature;
 *   - with downgrade prevention on, an older version is refused; without
 *     it the same image is taken (so the check can fail).
 * Each refusal is checked against the same setup with the genuine image,
 * which must boot. */
#include <stdlib.h>
#include <string.h>

#include "boot/boot.h"
#include "boot/tests/boot_test_support.h"
#include "common/bytes.h"
#include "common/errors.h"
#include "boot/boot_image.h"
#include "crypto/crypto.h"
#include "image/image.h"
#include "image/image_validate.h"
#include "tests/fuzz/image/fuzz_image_keys.h"
#include "tests/support/check.h"

static struct image_key trusted = { IMAGE_KEY_RSA2048, fuzz_key_rsa2048, sizeof(fuzz_key_rsa2048) };
static struct image_validate_cfg vcfg;
static struct tboard tb;

struct img {
    uint8_t *p;
    size_t n;
};

static struct img load(const char *name)
{
    const char *src = getenv("DFUBOOT_SOURCE_DIR");
    char path[1024];
    struct img im = { 0, 0 };
    FILE *f;

    snprintf(path, sizeof(path), "%s/tests/fuzz/image/corpus/%s", src ? src : ".", name);
    f = fopen(path, "rb");
    REQUIRE(f != NULL);
    im.p = malloc(8192);
    size_t n = fread(im.p, 1, 8192, f);
    fclose(f);
    REQUIRE(n > 1);
    memmove(im.p, im.p + 1, n - 1); /* drop the fuzz configuration byte */
    im.n = n - 1;
    return im;
}

static void board(int downgrade, int by_counter)
{
    if (tb.sf.mem != NULL)
        tb_free(&tb);
    REQUIRE(tb_init(&tb, 0x1000, 8, 4, 0xff, 0) == DFB_OK);
    vcfg = (struct image_validate_cfg){ .crypto = crypto_adapter(), .keys = &trusted, .key_count = 1,
                                        .match = IMAGE_MATCH_KEYHASH };
    tb.ops.validate = boot_image_validate;
    tb.ops.ctx = &vcfg;
    tb.cfg.downgrade_prevention = (uint8_t)downgrade;
    tb.cfg.downgrade_use_security_counter = (uint8_t)by_counter;
}

static void put(const struct flash_area *fa, const struct img *im)
{
    uint32_t off = 0;
    if (fa == &tb.sec)
        REQUIRE(boot_download_offset(&tb.cfg.slots, &off) == DFB_OK);
    REQUIRE(tb_write(&tb, fa, off, im->p, im->n) == DFB_OK);
}

/* Boots with `im` alone in the primary slot: 1 if it jumps. */
static int boots_primary(const struct img *im)
{
    struct boot_result r;
    board(0, 0);
    put(&tb.pri, im);
    int rc = boot_go(&tb.cfg, &r);
    CHECK_EQ(rc, DFB_OK);
    return r.action == BOOT_ACTION_JUMP;
}

/* Primary `cur`, secondary `next` with a test request: 1 if `next` is what
 * runs afterwards (swapped in), 0 if `cur` still runs; -1 otherwise. */
static int swaps_in(const struct img *cur, const struct img *next, int downgrade, int by_counter)
{
    struct boot_result r;
    board(downgrade, by_counter);
    put(&tb.pri, cur);
    put(&tb.sec, next);
    REQUIRE(boot_request_upgrade(&tb.cfg.slots, 0) == DFB_OK);
    CHECK_EQ(boot_go(&tb.cfg, &r), DFB_OK);
    if (r.action != BOOT_ACTION_JUMP)
        return -1;
    if (tb_holds(&tb, &tb.pri, 0, next->p, next->n))
        return 1;
    if (tb_holds(&tb, &tb.pri, 0, cur->p, cur->n))
        return 0;
    return -1;
}

static struct img copy(const struct img *im)
{
    struct img c = { malloc(im->n), im->n };
    memcpy(c.p, im->p, im->n);
    return c;
}

int main(void)
{
    struct img good = load("rsa2048-plain.bin");     /* 1.2.3, trusted key */
    struct img newer = load("rsa2048-seccnt.bin");   /* 2.0.0+5, SEC_CNT 0x02000000 */
    struct img older = load("rsa2048-empty.bin");    /* 0.0.1 */
    struct img ec = load("ecp256-plain.bin");        /* same bytes, another key */
    struct img ed = load("ed25519-plain.bin");
    struct img rsa3k = load("rsa3072-plain.bin");
    struct image_header h;

    /* the genuine images boot */
    CHECK_EQ(boots_primary(&good), 1);
    CHECK_EQ(boots_primary(&newer), 1);

    /* 1. signed by another key: never boots, never swapped in */
    CHECK_EQ(boots_primary(&ec), 0);
    CHECK_EQ(boots_primary(&ed), 0);
    CHECK_EQ(boots_primary(&rsa3k), 0);
    CHECK_EQ(swaps_in(&good, &newer, 0, 0), 1);
    {
        /* an ECDSA-signed image that names the trusted RSA key (its KEYHASH
         * TLV replaced by the RSA key's hash): the ECDSA signature is not
         * checked with the RSA key, so no signature verifies */
        struct img forged = copy(&ec);
        struct image_header eh;
        uint8_t rsa_hash[32];
        image_header_decode(forged.p, &eh);
        uint32_t pos = eh.hdr_size + eh.img_size + eh.protect_tlv_size + 4, replaced = 0;
        while (pos + 4 <= forged.n) {
            uint16_t type = get_le16(forged.p + pos), len = get_le16(forged.p + pos + 2);
            if (type == IMAGE_TLV_KEYHASH && len == 32) {
                REQUIRE(image_key_hash(crypto_adapter(), &trusted, rsa_hash) == DFB_OK);
                memcpy(forged.p + pos + 4, rsa_hash, 32);
                replaced = 1;
            }
            pos += 4u + len;
        }
        CHECK_EQ(replaced, 1);
        CHECK_EQ(boots_primary(&forged), 0);
        CHECK_EQ(swaps_in(&good, &forged, 0, 0), 0);
        free(forged.p);
    }

    /* 2. changed after signing: header, body, protected TLV, signature */
    image_header_decode(newer.p, &h);
    uint32_t body = h.hdr_size, prot = h.hdr_size + h.img_size, unprot = prot + h.protect_tlv_size;
    REQUIRE(h.protect_tlv_size > 0);
    const struct {
        const char *what;
        uint32_t off;
    } flips[] = {
        { "header version", 20 }, { "header flags", 16 }, { "body start", body }, { "body end", prot - 1 },
        { "protected TLV info", prot }, { "protected SEC_CNT value", prot + 8 },
        { "SHA256 value", unprot + 8 }, { "signature", (uint32_t)newer.n - 10 },
    };
    for (unsigned i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
        struct img bad = copy(&newer);
        REQUIRE(flips[i].off < bad.n);
        bad.p[flips[i].off] ^= 0x01;
        int b = boots_primary(&bad);
        int s = swaps_in(&good, &bad, 0, 0);
        if (b != 0 || s != 0)
            fprintf(stderr, "  %s changed: boots %d, swapped in %d\n", flips[i].what, b, s);
        CHECK_EQ(b, 0);
        CHECK_EQ(s, 0);
        free(bad.p);
    }

    /* 3. downgrade prevention (by version) */
    CHECK_EQ(swaps_in(&good, &older, 0, 0), 1); /* allowed without it */
    CHECK_EQ(swaps_in(&good, &older, 1, 0), 0);
    CHECK_EQ(swaps_in(&newer, &good, 1, 0), 0);
    CHECK_EQ(swaps_in(&good, &newer, 1, 0), 1); /* upgrades still work */
    CHECK_EQ(swaps_in(&good, &good, 1, 0), 1);  /* same version: MCUboot allows */

    free(good.p), free(newer.p), free(older.p), free(ec.p), free(ed.p), free(rsa3k.p);
    tb_free(&tb);
    CHECK_DONE();
}
