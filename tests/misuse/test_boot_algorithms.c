/* The boot path (boot_go with boot_image_validate and the host crypto
 * adapter) with the newer MCUboot signature kinds, on images built here
 * with mbedTLS and libsodium from freshly generated keys:
 *   - ECDSA P-384 (SHA-384 hash TLV, SHA-384 KEYHASH) in a P-384 build:
 *     boots from the primary and is swapped in from the secondary; a
 *     SHA-256 build names it unsupported and boots nothing;
 *   - pure Ed25519 (SHA-512 hash TLV, SIG_PURE, signature over the image)
 *     in a pure build: boots and swaps; a changed signature byte and a
 *     hash-then-sign Ed25519 image of the same key do not boot there.
 * Every refusal has the matching genuine case beside it. */
#include <stdlib.h>
#include <string.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>
#include <mbedtls/sha512.h>
#include <sodium.h>

#include "boot/boot.h"
#include "boot/boot_image.h"
#include "boot/tests/boot_test_support.h"
#include "common/errors.h"
#include "crypto/crypto.h"
#include "image/image.h"
#include "image/image_validate.h"
#include "tests/support/check.h"

static struct tboard tb;
static struct image_validate_cfg vcfg;
static mbedtls_ctr_drbg_context drbg;
static mbedtls_entropy_context entropy;

static int rng(void *ctx, unsigned char *out, size_t len)
{
    return mbedtls_ctr_drbg_random(ctx, out, len);
}

struct img {
    uint8_t p[6000];
    uint32_t n;
};

enum kind { P384, ED_PURE, ED_DIGEST };

/* A signed image: header 0x40, `body` bytes, version major `ver`. */
static void build(struct img *im, enum kind k, mbedtls_pk_context *pk, const uint8_t *spki, size_t spki_len,
                  const uint8_t ed_sk[64], uint8_t ver, uint32_t body)
{
    struct image_header h = { .magic = IMAGE_MAGIC, .hdr_size = 0x40, .img_size = body, .ver = { ver, 0, 0, 0 } };
    uint8_t digest[64], kh[64], sig[MBEDTLS_ECDSA_MAX_LEN];
    uint32_t region = 0x40 + body, pos = region + 4, hl;
    size_t sig_len = 0;
    static const uint8_t one = 1;

    memset(im->p, 0xff, sizeof(im->p));
    image_header_encode(&h, im->p);
    for (uint32_t i = 0; i < body; i++)
        im->p[0x40 + i] = (uint8_t)(i * 7 + ver);
    if (k == P384) {
        hl = 48;
        REQUIRE(mbedtls_sha512_ret(im->p, region, digest, 1) == 0);
        REQUIRE(mbedtls_sha512_ret(spki, spki_len, kh, 1) == 0);
        REQUIRE(mbedtls_pk_sign(pk, MBEDTLS_MD_SHA384, digest, 48, sig, &sig_len, rng, &drbg) == 0);
    } else if (k == ED_PURE) {
        hl = 64;
        REQUIRE(mbedtls_sha512_ret(im->p, region, digest, 0) == 0);
        REQUIRE(mbedtls_sha512_ret(spki, spki_len, kh, 0) == 0);
        REQUIRE(crypto_sign_detached(sig, NULL, im->p, region, ed_sk) == 0);
        sig_len = 64;
    } else {
        hl = 32;
        REQUIRE(mbedtls_sha256_ret(im->p, region, digest, 0) == 0);
        REQUIRE(mbedtls_sha256_ret(spki, spki_len, kh, 0) == 0);
        REQUIRE(crypto_sign_detached(sig, NULL, digest, 32, ed_sk) == 0);
        sig_len = 64;
    }
    REQUIRE(image_tlv_append(im->p, sizeof(im->p), &pos,
                             hl == 48 ? IMAGE_TLV_SHA384 : hl == 64 ? IMAGE_TLV_SHA512 : IMAGE_TLV_SHA256, digest,
                             hl) == DFB_OK);
    if (k == ED_PURE)
        REQUIRE(image_tlv_append(im->p, sizeof(im->p), &pos, IMAGE_TLV_SIG_PURE, &one, 1) == DFB_OK);
    REQUIRE(image_tlv_append(im->p, sizeof(im->p), &pos, IMAGE_TLV_KEYHASH, kh, hl) == DFB_OK);
    REQUIRE(image_tlv_append(im->p, sizeof(im->p), &pos, k == P384 ? IMAGE_TLV_ECDSA_SIG : IMAGE_TLV_ED25519, sig,
                             (uint32_t)sig_len) == DFB_OK);
    image_tlv_info_encode(im->p + region, IMAGE_TLV_INFO_MAGIC, (uint16_t)(pos - region));
    im->n = pos;
}

static void board(const struct image_key *key, enum image_hash_alg hash)
{
    if (tb.sf.mem != NULL)
        tb_free(&tb);
    REQUIRE(tb_init(&tb, 0x1000, 8, 4, 0xff, 0) == DFB_OK);
    vcfg = (struct image_validate_cfg){ .crypto = crypto_adapter(), .keys = key, .key_count = 1,
                                        .match = IMAGE_MATCH_KEYHASH, .hash = hash };
    tb.ops.validate = boot_image_validate;
    tb.ops.ctx = &vcfg;
}

static int boots_primary(const struct image_key *key, enum image_hash_alg hash, const struct img *im)
{
    struct boot_result r;

    board(key, hash);
    REQUIRE(tb_write(&tb, &tb.pri, 0, im->p, im->n) == DFB_OK);
    CHECK_EQ(boot_go(&tb.cfg, &r), DFB_OK);
    return r.action == BOOT_ACTION_JUMP;
}

/* `next` as a test update over `cur`: 1 if it runs afterwards. */
static int swaps_in(const struct image_key *key, enum image_hash_alg hash, const struct img *cur,
                    const struct img *next)
{
    struct boot_result r;
    uint32_t off;

    board(key, hash);
    REQUIRE(tb_write(&tb, &tb.pri, 0, cur->p, cur->n) == DFB_OK);
    REQUIRE(boot_download_offset(&tb.cfg.slots, &off) == DFB_OK);
    REQUIRE(tb_write(&tb, &tb.sec, off, next->p, next->n) == DFB_OK);
    REQUIRE(boot_request_upgrade(&tb.cfg.slots, 0) == DFB_OK);
    CHECK_EQ(boot_go(&tb.cfg, &r), DFB_OK);
    return r.action == BOOT_ACTION_JUMP && r.swap_type == BOOT_SWAP_TYPE_TEST &&
           tb_holds(&tb, &tb.pri, 0, next->p, next->n);
}

int main(void)
{
    static struct img a, b, bad;
    mbedtls_pk_context pk;
    uint8_t spki_buf[256], ed_pk[32], ed_sk[64], ed_spki[44];
    static const uint8_t ed_prefix[12] = { 0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00 };
    const uint8_t *spki;
    int n;

    REQUIRE(sodium_init() >= 0);
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
    REQUIRE(mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, (const unsigned char *)"algs", 4) == 0);

    /* ---- P-384 ---- */
    mbedtls_pk_init(&pk);
    REQUIRE(mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) == 0);
    REQUIRE(mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP384R1, mbedtls_pk_ec(pk), rng, &drbg) == 0);
    n = mbedtls_pk_write_pubkey_der(&pk, spki_buf, sizeof(spki_buf));
    REQUIRE(n == 120);
    spki = spki_buf + sizeof(spki_buf) - n;
    {
        struct image_key key = { IMAGE_KEY_ECDSA_P384, spki, (uint32_t)n };
        enum image_hash_alg h = image_hash_alg_for_key(key.type, false);

        CHECK_EQ(h, IMAGE_HASH_SHA384);
        build(&a, P384, &pk, spki, (size_t)n, NULL, 1, 3000);
        build(&b, P384, &pk, spki, (size_t)n, NULL, 2, 4500);
        CHECK(boots_primary(&key, h, &a));
        CHECK(swaps_in(&key, h, &a, &b));
        /* a SHA-256 build: not bootable, and the log names why */
        CHECK(!boots_primary(&key, IMAGE_HASH_SHA256, &a));
        CHECK(tb_log_has(&tb, "Image in the primary slot is not valid!"));
        bad = a;
        bad.p[bad.n - 10] ^= 1; /* inside the signature */
        CHECK(!boots_primary(&key, h, &bad));
        CHECK(!swaps_in(&key, h, &a, &bad));
    }
    mbedtls_pk_free(&pk);

    /* ---- pure Ed25519 ---- */
    crypto_sign_keypair(ed_pk, ed_sk);
    memcpy(ed_spki, ed_prefix, 12);
    memcpy(ed_spki + 12, ed_pk, 32);
    {
        struct image_key key = { IMAGE_KEY_ED25519, ed_spki, 44 };
        enum image_hash_alg h = image_hash_alg_for_key(key.type, true);

        CHECK_EQ(h, IMAGE_HASH_SHA512);
        build(&a, ED_PURE, NULL, ed_spki, 44, ed_sk, 1, 2000);
        build(&b, ED_PURE, NULL, ed_spki, 44, ed_sk, 2, 5000);
        CHECK(boots_primary(&key, h, &a));
        CHECK(swaps_in(&key, h, &a, &b));
        bad = a;
        bad.p[bad.n - 30] ^= 1;
        CHECK(!boots_primary(&key, h, &bad));
        /* the same key, hash-then-sign: fine in a default build, not in a pure one */
        build(&bad, ED_DIGEST, NULL, ed_spki, 44, ed_sk, 1, 2000);
        CHECK(boots_primary(&key, IMAGE_HASH_SHA256, &bad));
        CHECK(!boots_primary(&key, h, &bad));
        /* and a pure image in a default build */
        CHECK(!boots_primary(&key, IMAGE_HASH_SHA256, &a));
    }
    tb_free(&tb);
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&entropy);
    CHECK_DONE();
}
