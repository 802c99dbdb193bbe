/* Parses and validates every image of the imgtool vector set and compares
 * with MANIFEST.json: header fields, TLV list and values, hash, security
 * counter and the accept/reject verdict of each MCUboot build flavour
 * (KEYHASH keys, PUBKEY keys, hash-only), in a slot (missing bytes erased)
 * and at file level (the area ends where the file ends). The set has no
 * P-384 image: one is built here with mbedTLS from the set's P-384 key and
 * checked against every build flavour. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha512.h>

#include "common/errors.h"
#include "crypto/crypto.h"
#include "image/image.h"
#include "image/image_validate.h"
#include "json_min.h"
#include "port/posix/sim_flash.h"
#include "tests/support/check.h"

#define SLOT_SIZE 0x76000u

static char vdir[1024];
static int images_checked;

static uint8_t *read_file(const char *rel, size_t *len)
{
    char path[1200];
    FILE *f;
    uint8_t *buf;
    long n;

    snprintf(path, sizeof(path), "%s/%s", vdir, rel);
    f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        free(buf);
        return NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static int hex_decode(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = strlen(hex) / 2;

    if (n > cap)
        return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (uint8_t)v;
    }
    return (int)n;
}

/* ---- a read-only flash over a memory buffer, for file-level checks ----
 * It maps its bytes (flash_dev_ops map), so the file-level checks run the
 * in-place hashing path and the slot-level ones (sim_flash, no map) the
 * chunked one, over the same vectors. */
struct mem_flash {
    struct flash_dev dev;
    struct flash_geometry geo;
    struct flash_sector_range range;
    const uint8_t *data;
    unsigned maps;
};

static int mem_read(void *ctx, uint32_t off, void *buf, uint32_t len)
{
    struct mem_flash *m = ctx;
    memcpy(buf, m->data + off, len);
    return DFB_OK;
}

static int mem_ro(void *ctx, uint32_t off, uint32_t len)
{
    (void)ctx, (void)off, (void)len;
    return DFB_EIO;
}

static int mem_write(void *ctx, uint32_t off, const void *buf, uint32_t len)
{
    (void)buf;
    return mem_ro(ctx, off, len);
}

static const void *mem_map(void *ctx, uint32_t off, uint32_t len)
{
    struct mem_flash *m = ctx;

    (void)len;
    m->maps++;
    return m->data + off;
}

static const struct flash_dev_ops mem_ops = { mem_read, mem_write, mem_ro, 0, mem_map };

static void mem_flash_init(struct mem_flash *m, const uint8_t *data, uint32_t len, struct flash_area *fa)
{
    m->data = data;
    m->maps = 0;
    m->range = (struct flash_sector_range){ len, 1 };
    m->geo = (struct flash_geometry){ .size = len, .write_block_size = 1, .erase_value = 0xff,
                                      .sectors = &m->range, .sector_range_count = 1 };
    m->dev = (struct flash_dev){ &mem_ops, m, &m->geo };
    REQUIRE(flash_area_init(fa, &m->dev, "file", 0, len) == DFB_OK);
}

/* ---- keys ---- */
struct vkey {
    const char *pem; /* as named in the manifest */
    const char *der; /* embedded bytes exported by imgtool */
    enum image_key_type type;
    uint8_t *bytes;
    size_t len;
};

static struct vkey vkeys[] = {
    { "keys/root-rsa-2048.pem", "keys/root-rsa-2048.pub.der", IMAGE_KEY_RSA2048, NULL, 0 },
    { "keys/root-rsa-3072.pem", "keys/root-rsa-3072.pub.der", IMAGE_KEY_RSA3072, NULL, 0 },
    { "keys/root-ec-p256.pem", "keys/root-ec-p256.pub.der", IMAGE_KEY_ECDSA_P256, NULL, 0 },
    { "keys/root-ed25519.pem", "keys/root-ed25519.pub.der", IMAGE_KEY_ED25519, NULL, 0 },
    { "keys/root-ec-p384.pem", "keys/root-ec-p384.pub.der", IMAGE_KEY_ECDSA_P384, NULL, 0 },
};
#define NKEYS (sizeof(vkeys) / sizeof(vkeys[0]))
static struct image_key all_keys[NKEYS];

static int key_index(const char *pem)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (pem && strcmp(vkeys[i].pem, pem) == 0)
            return (int)i;
    return -1;
}

static int validate_hash(const struct flash_area *fa, const struct image_key *keys, uint32_t n,
                         enum image_key_match match, enum image_hash_alg hash, struct image_info *info)
{
    struct image_validate_cfg cfg = { .crypto = crypto_adapter(), .keys = keys, .key_count = n, .match = match,
                                      .hash = hash };
    return image_validate(&cfg, fa, 0, info);
}

static int validate(const struct flash_area *fa, const struct image_key *keys, uint32_t n,
                    enum image_key_match match, struct image_info *info)
{
    return validate_hash(fa, keys, n, match, IMAGE_HASH_SHA256, info);
}

/* The error a file-level verifier must give for each kind of breakage. */
static int expected_error(const char *mutation)
{
    if (!mutation)
        return DFB_OK;
    if (!strcmp(mutation, "flip_payload") || !strcmp(mutation, "flip_header_version") ||
        !strcmp(mutation, "flip_prot_tlv") || !strcmp(mutation, "flip_hash_tlv"))
        return DFB_EHASH;
    if (!strcmp(mutation, "flip_sig"))
        return DFB_ESIG;
    if (!strcmp(mutation, "flip_keyhash"))
        return DFB_ENOKEY;
    if (!strcmp(mutation, "bad_magic") || !strcmp(mutation, "bad_tlv_magic"))
        return DFB_EBADIMAGE;
    if (!strcmp(mutation, "truncate"))
        return DFB_ERANGE;
    if (!strcmp(mutation, "bad_trailer_magic"))
        return DFB_OK; /* the image itself is fine */
    return 1; /* unknown kind: make the test fail loudly */
}

static void check_header(const char *name, const struct image_header *h, const struct json *jh)
{
    int before = check_failures;
    const struct json *v = json_get(jh, "version");

    CHECK_EQ(h->magic, json_int(json_get(jh, "magic"), -1));
    CHECK_EQ(h->load_addr, json_int(json_get(jh, "load_addr"), -1));
    CHECK_EQ(h->hdr_size, json_int(json_get(jh, "hdr_size"), -1));
    CHECK_EQ(h->protect_tlv_size, json_int(json_get(jh, "protect_tlv_size"), -1));
    CHECK_EQ(h->img_size, json_int(json_get(jh, "img_size"), -1));
    CHECK_EQ(h->flags, json_int(json_get(jh, "flags"), -1));
    CHECK_EQ(h->ver.major, json_int(json_get(v, "major"), -1));
    CHECK_EQ(h->ver.minor, json_int(json_get(v, "minor"), -1));
    CHECK_EQ(h->ver.revision, json_int(json_get(v, "revision"), -1));
    CHECK_EQ(h->ver.build_num, json_int(json_get(v, "build_num"), -1));
    CHECK_EQ(h->pad1, json_int(json_get(jh, "pad1"), -1));
    if (check_failures != before)
        fprintf(stderr, "  (header of %s)\n", name);
}

/* Compares the TLV iteration with facts.tlv_list and the entry values. */
static void check_tlvs(const char *name, const struct flash_area *fa, const struct image_header *h,
                       const struct json *facts, bool compare_values)
{
    const struct json *list = json_get(facts, "tlv_list");
    const struct json *areas[2] = { json_get(json_get(facts, "protected_tlv_area"), "entries"),
                                    json_get(json_get(facts, "tlv_area"), "entries") };
    struct image_tlv_iter it;
    struct image_tlv tlv;
    size_t n = 0, idx[2] = { 0, 0 };
    int rc, before = check_failures;

    REQUIRE(list && list->type == JSON_ARR);
    rc = image_tlv_iter_begin(&it, fa, 0, h, IMAGE_TLV_ANY, false);
    CHECK_EQ(rc, DFB_OK);
    if (rc != DFB_OK)
        return;
    while ((rc = image_tlv_iter_next(&it, &tlv)) == 1) {
        const struct json *e;
        const struct json *ae;
        int a = tlv.is_protected ? 0 : 1;

        CHECK(n < list->n);
        if (n >= list->n)
            break;
        e = list->items[n++];
        CHECK_EQ(tlv.type, json_int(json_get(e, "type"), -1));
        CHECK_EQ(tlv.len, json_int(json_get(e, "len"), -1));
        CHECK_EQ(tlv.is_protected, json_true(json_get(e, "protected")));
        REQUIRE(areas[a] && idx[a] < areas[a]->n);
        ae = areas[a]->items[idx[a]++];
        CHECK_EQ(tlv.off, json_int(json_get(ae, "offset"), -1) + 4);
        if (compare_values && !json_true(json_get(ae, "truncated"))) {
            uint8_t want[1024], got[1024];
            int wn = hex_decode(json_str(json_get(ae, "value_hex")), want, sizeof(want));
            CHECK_EQ(wn, tlv.len);
            CHECK_EQ(image_tlv_read(fa, &tlv, got, tlv.len), DFB_OK);
            CHECK(wn == tlv.len && memcmp(want, got, tlv.len) == 0);
        }
    }
    CHECK_EQ(rc, 0);
    CHECK_EQ(n, list->n);
    if (check_failures != before)
        fprintf(stderr, "  (TLVs of %s)\n", name);
}

static void check_image(const struct json *f, struct sim_flash *sf, const struct flash_area *slot)
{
    const char *name = json_str(json_get(f, "file"));
    const struct json *facts = json_get(f, "facts");
    const struct json *exp = json_get(f, "expected");
    const struct json *verdict = json_get(facts, "verdict");
    const char *mutation = json_str(json_get(json_get(f, "mutation"), "kind"));
    int failures_before = check_failures;
    struct image_header h;
    struct image_layout lay;
    struct image_info info;
    struct flash_area filefa;
    struct mem_flash mf;
    uint8_t *data, *padded;
    size_t len;
    int ki, rc, want_rc;
    bool accept, magic_ok, tlv_structure;

    data = read_file(name, &len);
    REQUIRE(data != NULL);
    CHECK_EQ(len, json_int(json_get(facts, "file_size"), -1));
    REQUIRE(len <= SLOT_SIZE && len >= IMAGE_HEADER_SIZE);

    /* Into an erased slot (the bootloader's view). */
    padded = malloc(SLOT_SIZE);
    REQUIRE(padded != NULL);
    memset(padded, 0xff, SLOT_SIZE);
    memcpy(padded, data, len);
    REQUIRE(flash_area_erase(slot, 0, SLOT_SIZE) == DFB_OK);
    REQUIRE(flash_area_write(slot, 0, padded, SLOT_SIZE) == DFB_OK);
    (void)sf;

    magic_ok = json_true(json_get(json_get(facts, "header"), "magic_ok"));
    rc = image_header_read(slot, 0, &h);
    CHECK_EQ(rc, magic_ok ? DFB_OK : DFB_EBADIMAGE);
    check_header(name, &h, json_get(facts, "header"));

    /* TLV structure: the manifest lists TLVs when its parser could read the
     * info headers (a file cut inside a value still lists them). */
    tlv_structure = json_get(facts, "tlv_list") && json_get(facts, "tlv_list")->n > 0;
    if (!magic_ok)
        h.magic = IMAGE_MAGIC; /* to walk the TLVs of a bad-magic image */
    rc = image_layout_read(slot, 0, &h, &lay);
    CHECK_EQ(rc == DFB_OK, tlv_structure);
    if (tlv_structure && rc == DFB_OK) {
        CHECK_EQ(lay.end, json_int(json_get(facts, "tlv_end"), -1));
        check_tlvs(name, slot, &h, facts, true);
    }

    /* Hash value in the TLV and as computed over the slot. */
    if (tlv_structure && json_get(facts, "hash")) {
        const struct json *jhash = json_get(facts, "hash");
        uint8_t want[64], got[32];
        const char *tlv_name = json_str(json_get(jhash, "tlv"));
        if (tlv_name && !strcmp(tlv_name, "SHA256")) {
            struct image_tlv tlv;
            CHECK_EQ(hex_decode(json_str(json_get(jhash, "computed")), want, sizeof(want)), 32);
            CHECK_EQ(image_hash_compute(crypto_adapter(), slot, &lay, got), DFB_OK);
            CHECK(memcmp(want, got, 32) == 0);
            CHECK_EQ(image_tlv_find(slot, 0, &h, IMAGE_TLV_SHA256, false, &tlv), DFB_OK);
            CHECK_EQ(hex_decode(json_str(json_get(jhash, "value")), want, sizeof(want)), 32);
            CHECK_EQ(image_tlv_read(slot, &tlv, got, 32), DFB_OK);
            CHECK(memcmp(want, got, 32) == 0);
        }
    }

    /* Verdicts of the three build flavours, in the slot. */
    ki = key_index(json_str(json_get(f, "key")));
    if (ki < 0)
        ki = 0; /* hash-only image: a signature build with any key must reject it */
    accept = validate(slot, &all_keys[ki], 1, IMAGE_MATCH_KEYHASH, &info) == DFB_OK;
    CHECK_EQ(accept, json_true(json_get(exp, "accept_default_build_keyhash")));
    if (accept)
        CHECK_EQ(info.sig_type, image_key_sig_tlv(all_keys[ki].type));
    /* Same verdict with every key built in; the right key is reported. */
    rc = validate(slot, all_keys, NKEYS, IMAGE_MATCH_KEYHASH, &info);
    CHECK_EQ(rc == DFB_OK, json_true(json_get(exp, "accept_default_build_keyhash")));
    if (rc == DFB_OK)
        CHECK_EQ(info.key_index, ki);
    if (json_get(exp, "accept_hw_key_build_pubkey")) {
        rc = validate(slot, &all_keys[ki], 1, IMAGE_MATCH_PUBKEY, &info);
        CHECK_EQ(rc == DFB_OK, json_true(json_get(exp, "accept_hw_key_build_pubkey")));
    }
    rc = validate(slot, NULL, 0, IMAGE_MATCH_KEYHASH, &info);
    CHECK_EQ(rc == DFB_OK, json_true(json_get(exp, "accept_hash_only_build")));
    if (json_str(json_get(exp, "hash_tlv")) && !strcmp(json_str(json_get(exp, "hash_tlv")), "SHA256") &&
        json_true(json_get(exp, "structurally_valid")))
        CHECK_EQ(rc != DFB_EHASH, json_true(json_get(exp, "hash_valid")));
    /* Signature verdict independent of the key TLV: validate with the key
     * named by the image's own KEYHASH or PUBKEY (EITHER). */
    if (verdict && json_get(verdict, "signature_valid") && json_true(json_get(exp, "hash_valid")) &&
        !json_true(json_get(verdict, "pure"))) {
        rc = validate(slot, &all_keys[ki], 1, IMAGE_MATCH_EITHER, &info);
        CHECK_EQ(rc == DFB_OK, json_true(json_get(verdict, "signature_valid")));
    }

    /* Security counter. */
    {
        const struct json *pe = json_get(json_get(facts, "protected_tlv_area"), "entries");
        long long want = -1;
        uint32_t cnt = 0;
        for (size_t i = 0; pe && i < pe->n; i++)
            if (json_int(json_get(pe->items[i], "type"), -1) == IMAGE_TLV_SEC_CNT)
                want = json_int(json_get(pe->items[i], "value_u32"), -1);
        rc = validate(slot, NULL, 0, IMAGE_MATCH_KEYHASH, &info);
        if (want >= 0 && magic_ok) {
            CHECK(info.has_security_counter);
            CHECK_EQ(info.security_counter, want);
            CHECK_EQ(image_security_counter(slot, 0, &h, &cnt), DFB_OK);
            CHECK_EQ(cnt, want);
        } else if (magic_ok && tlv_structure) {
            CHECK(!info.has_security_counter);
            CHECK_EQ(image_security_counter(slot, 0, &h, &cnt), DFB_ENOENT);
        }
    }

    /* File level: what `dfuimg verify` sees, with the right reason. */
    mem_flash_init(&mf, data, (uint32_t)len, &filefa);
    rc = validate(&filefa, &all_keys[ki], 1, IMAGE_MATCH_EITHER, &info);
    want_rc = expected_error(mutation);
    if (json_get(exp, "file_level_verdict"))
        CHECK(rc != DFB_OK);
    if (!json_str(json_get(f, "key")) && !mutation)
        want_rc = DFB_ESIG; /* hash-only image against a key: no signature */
    if (!json_str(json_get(f, "key")) && mutation)
        want_rc = DFB_EHASH; /* broken hash-only image */
    if (json_get(exp, "accept_sign_pure_build")) {
        /* pure Ed25519: a SHA-256 build names what it lacks; a pure build
         * (SHA-512, MCUBOOT_SIGN_PURE) accepts it, hash-only too */
        struct image_info pi;
        int prc;
        want_rc = DFB_ENOTSUP;
        prc = validate_hash(slot, &all_keys[ki], 1, IMAGE_MATCH_KEYHASH, IMAGE_HASH_SHA512, &pi);
        CHECK_EQ(prc == DFB_OK, json_true(json_get(exp, "accept_sign_pure_build")));
        CHECK_EQ(pi.hash_len, 64);
        prc = validate_hash(slot, NULL, 0, IMAGE_MATCH_KEYHASH, IMAGE_HASH_SHA512, &pi);
        CHECK_EQ(prc, json_true(json_get(exp, "hash_valid")) ? DFB_OK : DFB_EHASH);
        /* another key does not take it */
        prc = validate_hash(slot, &all_keys[(ki + 1) % NKEYS], 1, IMAGE_MATCH_KEYHASH, IMAGE_HASH_SHA512, &pi);
        CHECK_EQ(prc, DFB_ENOKEY);
    }
    CHECK_EQ(rc, want_rc);
    if (rc != want_rc)
        fprintf(stderr, "  %s: file-level validate gave %d (%s)\n", name, rc, info.reason);
    if (rc == DFB_OK)
        CHECK(mf.maps > 0); /* hashed in place */

    if (check_failures != failures_before)
        fprintf(stderr, "FAILED: %s\n", name);
    images_checked++;
    free(padded);
    free(data);
}

/* ---- P-384: an image built here with mbedTLS -------------------------- */

static int test_rng(void *ctx, unsigned char *out, size_t len)
{
    return mbedtls_ctr_drbg_random(ctx, out, len);
}

/* Adapter variants: one without SHA-384/512, one without P-384. */
static struct image_crypto no_sha512, no_p384;

static int validate_with(const struct image_crypto *c, const struct flash_area *fa, const struct image_key *keys,
                         uint32_t n, enum image_hash_alg hash, struct image_info *info)
{
    struct image_validate_cfg cfg = { .crypto = c, .keys = keys, .key_count = n, .match = IMAGE_MATCH_KEYHASH,
                                      .hash = hash };
    return image_validate(&cfg, fa, 0, info);
}

static void check_p384(void)
{
    const struct vkey *pk384 = &vkeys[4];
    const struct image_key *key384 = &all_keys[4];
    uint8_t img[4096], digest[64], kh[64], sig[MBEDTLS_ECDSA_MAX_LEN]; /* SHA-384 in SHA-512 sized buffers */
    struct image_header h = { .magic = IMAGE_MAGIC, .hdr_size = 0x200, .ver = { 1, 2, 3, 4 } };
    struct mbedtls_pk_context pk;
    mbedtls_entropy_context ent;
    mbedtls_ctr_drbg_context drbg;
    struct image_info info;
    struct mem_flash mf;
    struct flash_area fa;
    uint8_t *payload, *pem;
    size_t plen, pem_len, sig_len = 0;
    uint32_t pos, region;
    int before = check_failures;

    REQUIRE(key384->type == IMAGE_KEY_ECDSA_P384 && pk384->len == 120);
    payload = read_file("payloads/p-1k.bin", &plen);
    pem = read_file(pk384->pem, &pem_len);
    REQUIRE(payload && pem && plen == 1024);
    memset(img, 0xff, sizeof(img));
    h.img_size = (uint32_t)plen;
    image_header_encode(&h, img);
    memcpy(img + 0x200, payload, plen);
    region = 0x200 + (uint32_t)plen;
    REQUIRE(mbedtls_sha512_ret(img, region, digest, 1) == 0);
    REQUIRE(mbedtls_sha512_ret(pk384->bytes, pk384->len, kh, 1) == 0);
    /* the key hash through the adapter is the same SHA-384 */
    {
        uint8_t got[48];
        CHECK_EQ(image_key_hash_alg(crypto_adapter(), IMAGE_HASH_SHA384, key384, got), DFB_OK);
        CHECK(memcmp(got, kh, 48) == 0);
    }
    mbedtls_pk_init(&pk);
    mbedtls_entropy_init(&ent);
    mbedtls_ctr_drbg_init(&drbg);
    REQUIRE(mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &ent, (const unsigned char *)"p384", 4) == 0);
    pem = realloc(pem, pem_len + 1);
    REQUIRE(pem != NULL);
    pem[pem_len] = 0;
    REQUIRE(mbedtls_pk_parse_key(&pk, pem, pem_len + 1, NULL, 0) == 0);
    REQUIRE(mbedtls_pk_sign(&pk, MBEDTLS_MD_SHA384, digest, 48, sig, &sig_len, test_rng, &drbg) == 0);
    pos = region + 4;
    REQUIRE(image_tlv_append(img, sizeof(img), &pos, IMAGE_TLV_SHA384, digest, 48) == DFB_OK);
    REQUIRE(image_tlv_append(img, sizeof(img), &pos, IMAGE_TLV_KEYHASH, kh, 48) == DFB_OK);
    REQUIRE(image_tlv_append(img, sizeof(img), &pos, IMAGE_TLV_ECDSA_SIG, sig, (uint32_t)sig_len) == DFB_OK);
    image_tlv_info_encode(img + region, IMAGE_TLV_INFO_MAGIC, (uint16_t)(pos - region));
    mem_flash_init(&mf, img, sizeof(img), &fa);

    /* P-384 build (SHA-384): accepted, with the key among others */
    CHECK_EQ(validate_with(crypto_adapter(), &fa, key384, 1, IMAGE_HASH_SHA384, &info), DFB_OK);
    CHECK_EQ(info.hash_len, 48);
    CHECK(memcmp(info.hash, digest, 48) == 0);
    CHECK_EQ(info.sig_type, IMAGE_TLV_ECDSA_SIG);
    CHECK_EQ(validate_with(crypto_adapter(), &fa, all_keys, NKEYS, IMAGE_HASH_SHA384, &info), DFB_OK);
    CHECK_EQ(info.key_index, 4);
    /* hash-only SHA-384 build: integrity only */
    CHECK_EQ(validate_with(crypto_adapter(), &fa, NULL, 0, IMAGE_HASH_SHA384, &info), DFB_OK);
    /* a default (SHA-256) build names the feature instead of a bad hash */
    CHECK_EQ(validate_with(crypto_adapter(), &fa, key384, 1, IMAGE_HASH_SHA256, &info), DFB_ENOTSUP);
    CHECK(strstr(info.reason, "SHA-384") != NULL);
    CHECK_EQ(validate_with(crypto_adapter(), &fa, NULL, 0, IMAGE_HASH_SHA256, &info), DFB_ENOTSUP);
    /* another key (P-256) in a SHA-384 build: the KEYHASH names no built-in key */
    CHECK_EQ(validate_with(crypto_adapter(), &fa, &all_keys[2], 1, IMAGE_HASH_SHA384, &info), DFB_ENOKEY);
    /* adapters without the optional members: named, not a bad signature */
    no_sha512 = *crypto_adapter();
    no_sha512.sha512_init = NULL;
    CHECK_EQ(validate_with(&no_sha512, &fa, key384, 1, IMAGE_HASH_SHA384, &info), DFB_ENOTSUP);
    no_p384 = *crypto_adapter();
    no_p384.ecdsa_p384_verify = NULL;
    CHECK_EQ(validate_with(&no_p384, &fa, key384, 1, IMAGE_HASH_SHA384, &info), DFB_ENOTSUP);
    CHECK(strstr(info.reason, "P-384") != NULL);
    /* a flipped signature byte and a flipped payload byte */
    img[region + 4 + 4 + 48 + 4 + 48 + 4 + sig_len / 2] ^= 1;
    CHECK_EQ(validate_with(crypto_adapter(), &fa, key384, 1, IMAGE_HASH_SHA384, &info), DFB_ESIG);
    img[region + 4 + 4 + 48 + 4 + 48 + 4 + sig_len / 2] ^= 1;
    img[0x210] ^= 1;
    CHECK_EQ(validate_with(crypto_adapter(), &fa, key384, 1, IMAGE_HASH_SHA384, &info), DFB_EHASH);
    img[0x210] ^= 1;
    CHECK_EQ(validate_with(crypto_adapter(), &fa, key384, 1, IMAGE_HASH_SHA384, &info), DFB_OK);

    mbedtls_pk_free(&pk);
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&ent);
    free(payload);
    free(pem);
    if (check_failures != before)
        fprintf(stderr, "FAILED: P-384 image\n");
}

int main(void)
{
    const char *shared = getenv("DFUBOOT_SHARED_DIR");
    static const struct flash_sector_range sectors[] = { { 0x1000, SLOT_SIZE / 0x1000 } };
    static const struct flash_geometry geo = { .size = SLOT_SIZE, .write_block_size = 4, .erase_value = 0xff,
                                               .sectors = sectors, .sector_range_count = 1 };
    struct sim_flash sf;
    struct flash_area slot;
    struct json *m;
    const struct json *files;
    char path[1200];

    snprintf(vdir, sizeof(vdir), "%s/vectors/imgtool", shared ? shared : "../shared");
    snprintf(path, sizeof(path), "%s/MANIFEST.json", vdir);
    m = json_load(path);
    if (!m) {
        printf("skipped: no imgtool vectors at %s\n", path);
        return 77;
    }
    for (size_t i = 0; i < NKEYS; i++) {
        vkeys[i].bytes = read_file(vkeys[i].der, &vkeys[i].len);
        REQUIRE(vkeys[i].bytes != NULL);
        all_keys[i] = (struct image_key){ vkeys[i].type, vkeys[i].bytes, (uint32_t)vkeys[i].len };
    }
    /* The embedded key bytes and their hashes as the manifest states them. */
    files = json_get(m, "files");
    REQUIRE(files && files->type == JSON_ARR);
    for (size_t i = 0; i < files->n; i++) {
        const struct json *f = files->items[i];
        const char *kind = json_str(json_get(f, "kind"));
        if (kind && !strcmp(kind, "key_facts")) {
            int ki = key_index(json_str(json_get(f, "key")));
            uint8_t want[32], got[32];
            if (ki < 0)
                continue;
            CHECK_EQ(vkeys[ki].len, json_int(json_get(f, "embedded_key_der_len"), -1));
            hex_decode(json_str(json_get(f, "embedded_key_sha256")), want, 32);
            CHECK_EQ(image_key_hash(crypto_adapter(), &all_keys[ki], got), DFB_OK);
            CHECK(memcmp(want, got, 32) == 0);
        }
    }

    REQUIRE(sim_flash_init_mem(&sf, &geo) == DFB_OK);
    REQUIRE(flash_area_init(&slot, &sf.dev, "slot", 0, SLOT_SIZE) == DFB_OK);
    for (size_t i = 0; i < files->n; i++) {
        const char *kind = json_str(json_get(files->items[i], "kind"));
        if (kind && strstr(kind, "image"))
            check_image(files->items[i], &sf, &slot);
    }
    check_p384();
    printf("%d images checked\n", images_checked);
    CHECK(images_checked >= 30);
    sim_flash_close(&sf);
    CHECK_DONE();
}
