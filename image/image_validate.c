/* Image validation through the crypto adapter. See image_validate.h. */
#include <string.h>

#include "common/bytes.h"
#include "common/config.h"
#include "common/errors.h"
#include "image/image_validate.h"

/* A failure-reason text, or nothing without CONFIG_DFUBOOT_FAIL_REASONS
 * (the string is then not in the binary). */
#define REASON(text) (CONFIG_DFUBOOT_FAIL_REASONS ? (text) : 0)

#define SIG_MAX 384u       /* RSA-3072 */
#define ECDSA_SIG_MAX 128u /* as MCUboot's buffer (P-384 DER is at most 104 bytes) */
#define PUBKEY_MAX 1024u

uint16_t image_key_sig_tlv(enum image_key_type type)
{
    switch (type) {
    case IMAGE_KEY_RSA2048:
        return IMAGE_TLV_RSA2048_PSS;
    case IMAGE_KEY_RSA3072:
        return IMAGE_TLV_RSA3072_PSS;
    case IMAGE_KEY_ECDSA_P256:
    case IMAGE_KEY_ECDSA_P384:
        return IMAGE_TLV_ECDSA_SIG;
    case IMAGE_KEY_ED25519:
        return IMAGE_TLV_ED25519;
    }
    return 0;
}

uint32_t image_hash_size(enum image_hash_alg alg)
{
    return alg == IMAGE_HASH_SHA384 ? 48u : alg == IMAGE_HASH_SHA512 ? 64u : 32u;
}

uint16_t image_hash_tlv(enum image_hash_alg alg)
{
    return alg == IMAGE_HASH_SHA384 ? IMAGE_TLV_SHA384 : alg == IMAGE_HASH_SHA512 ? IMAGE_TLV_SHA512 : IMAGE_TLV_SHA256;
}

enum image_hash_alg image_hash_alg_for_key(enum image_key_type type, bool pure)
{
    if (type == IMAGE_KEY_ECDSA_P384)
        return IMAGE_HASH_SHA384;
    if (type == IMAGE_KEY_ED25519 && pure)
        return IMAGE_HASH_SHA512;
    return IMAGE_HASH_SHA256;
}

static bool is_sig_tlv(uint16_t type)
{
    return type == IMAGE_TLV_RSA2048_PSS || type == IMAGE_TLV_RSA3072_PSS || type == IMAGE_TLV_ECDSA_SIG ||
           type == IMAGE_TLV_ED25519;
}

static bool is_hash_tlv(uint16_t type)
{
    return type == IMAGE_TLV_SHA256 || type == IMAGE_TLV_SHA384 || type == IMAGE_TLV_SHA512;
}

/* SHA-384/512 image hashes serve only P-384 and pure Ed25519 images: a
 * build with neither validates SHA-256 images only (others: DFB_ENOTSUP). */
#define WIDE_HASHES (CONFIG_DFUBOOT_SIG_ECDSA_P384 || CONFIG_DFUBOOT_SIG_ED25519)

/* The hash of a validation: the algorithm picks the adapter's functions. */
struct hasher {
    const struct image_crypto *c;
    enum image_hash_alg alg;
    struct image_sha256_ctx ctx;
};

static int hasher_init(struct hasher *h, const struct image_crypto *c, enum image_hash_alg alg)
{
    h->c = c;
    h->alg = alg;
    if (alg == IMAGE_HASH_SHA256)
        return c->sha256_init(&h->ctx);
    if (alg != IMAGE_HASH_SHA384 && alg != IMAGE_HASH_SHA512)
        return DFB_EINVAL;
    if (!WIDE_HASHES || c->sha512_init == 0 || c->sha512_update == 0 || c->sha512_finish == 0)
        return DFB_ENOTSUP;
    return c->sha512_init(&h->ctx, alg == IMAGE_HASH_SHA384);
}

static int hasher_update(struct hasher *h, const void *data, size_t len)
{
    return h->alg == IMAGE_HASH_SHA256 || !WIDE_HASHES ? h->c->sha256_update(&h->ctx, data, len)
                                       : h->c->sha512_update(&h->ctx, data, len);
}

/* Always finishes, so an implementation can release what init took;
 * returns the first error (`rc` from before, else finish's). */
static int hasher_finish(struct hasher *h, int rc, uint8_t *digest)
{
    int frc = h->alg == IMAGE_HASH_SHA256 || !WIDE_HASHES ? h->c->sha256_finish(&h->ctx, digest)
                                                          : h->c->sha512_finish(&h->ctx, digest);

    return rc != DFB_OK ? rc : frc;
}

/* Feeds [off, off + len) of the area into the hash: in place when the
 * driver maps its flash (no copy), otherwise a chunk at a time. */
static int hash_range(struct hasher *h, const struct flash_area *fa, uint32_t off, uint32_t len)
{
    uint8_t chunk[IMAGE_VALIDATE_CHUNK];
    const void *mapped = flash_area_map(fa, off, len);
    int rc;

    if (mapped != 0)
        return hasher_update(h, mapped, len);
    while (len > 0) {
        uint32_t n = len < sizeof(chunk) ? len : (uint32_t)sizeof(chunk);
        rc = flash_area_read(fa, off, chunk, n);
        if (rc != DFB_OK)
            return rc;
        rc = hasher_update(h, chunk, n);
        if (rc != DFB_OK)
            return rc;
        off += n;
        len -= n;
    }
    return DFB_OK;
}

/* Hash of [off, off + len) of `fa`. */
static int hash_area(const struct image_crypto *crypto, enum image_hash_alg alg, const struct flash_area *fa,
                     uint32_t off, uint32_t len, uint8_t *digest)
{
    struct hasher h;
    int rc = hasher_init(&h, crypto, alg);

    if (rc != DFB_OK)
        return rc;
    rc = hash_range(&h, fa, off, len);
    return hasher_finish(&h, rc, digest);
}

int image_hash_compute_alg(const struct image_crypto *crypto, enum image_hash_alg alg, const struct flash_area *fa,
                           const struct image_layout *lay, uint8_t *digest)
{
    if (crypto == 0 || fa == 0 || lay == 0 || digest == 0)
        return DFB_EINVAL;
    return hash_area(crypto, alg, fa, lay->off, lay->prot_off + lay->prot_size - lay->off, digest);
}

int image_hash_compute(const struct image_crypto *crypto, const struct flash_area *fa,
                       const struct image_layout *lay, uint8_t digest[IMAGE_SHA256_SIZE])
{
    return image_hash_compute_alg(crypto, IMAGE_HASH_SHA256, fa, lay, digest);
}

int image_key_hash_alg(const struct image_crypto *crypto, enum image_hash_alg alg, const struct image_key *key,
                       uint8_t *digest)
{
    struct hasher h;
    int rc;

    if (crypto == 0 || key == 0 || digest == 0)
        return DFB_EINVAL;
    rc = hasher_init(&h, crypto, alg);
    if (rc != DFB_OK)
        return rc;
    rc = hasher_update(&h, key->der, key->len);
    return hasher_finish(&h, rc, digest);
}

int image_key_hash(const struct image_crypto *crypto, const struct image_key *key, uint8_t digest[IMAGE_SHA256_SIZE])
{
    return image_key_hash_alg(crypto, IMAGE_HASH_SHA256, key, digest);
}

/* Index of the built-in key whose hash (cfg->hash) is `h`, or -1. */
static int find_key(const struct image_validate_cfg *cfg, const uint8_t *h, int *rc)
{
    uint8_t kh[IMAGE_HASH_MAX_SIZE];
    uint32_t n = image_hash_size(cfg->hash);

    *rc = DFB_OK;
    for (uint32_t i = 0; i < cfg->key_count; i++) {
        *rc = image_key_hash_alg(cfg->crypto, cfg->hash, &cfg->keys[i], kh);
        if (*rc != DFB_OK)
            return -1;
        if (memcmp(kh, h, n) == 0)
            return (int)i;
    }
    return -1;
}

/* What a signature check needs besides the signature bytes. */
struct sig_input {
    const uint8_t *digest;  /* the image hash (cfg->hash) */
    uint32_t digest_len;
    bool pure;              /* a SIG_PURE TLV came before: Ed25519 over the image */
    const struct flash_area *fa;
    const struct image_layout *lay;
};

/* DFB_OK, DFB_ESIG (bad signature or wrong length), or DFB_ENOTSUP with
 * *why set (a combination the adapter or the format cannot check). */
static int verify_sig(const struct image_validate_cfg *cfg, const struct image_key *key, uint16_t type,
                      const struct sig_input *in, const uint8_t *sig, uint32_t len, const char **why)
{
    const struct image_crypto *c = cfg->crypto;

    switch (type) {
    case IMAGE_TLV_RSA2048_PSS:
    case IMAGE_TLV_RSA3072_PSS:
        if (len != (type == IMAGE_TLV_RSA2048_PSS ? 256u : 384u))
            return DFB_ESIG;
        if (in->digest_len != IMAGE_SHA256_SIZE) {
            *why = REASON("RSA signatures over a SHA-384/SHA-512 image hash are not supported");
            return DFB_ENOTSUP;
        }
        if (!CONFIG_DFUBOOT_SIG_RSA || c->rsa_pss_verify == 0) {
            *why = REASON("RSA-PSS is not supported by this build");
            return DFB_ENOTSUP;
        }
        return c->rsa_pss_verify(key->der, key->len, in->digest, sig, len) == DFB_OK ? DFB_OK : DFB_ESIG;
    case IMAGE_TLV_ECDSA_SIG:
        if (len > ECDSA_SIG_MAX)
            return DFB_ESIG;
        if (key->type == IMAGE_KEY_ECDSA_P384) {
            if (in->digest_len != 48u) {
                *why = REASON("an ECDSA P-384 signature needs a SHA-384 image hash");
                return DFB_ENOTSUP;
            }
            if (!CONFIG_DFUBOOT_SIG_ECDSA_P384 || c->ecdsa_p384_verify == 0) {
                *why = REASON("ECDSA P-384 is not supported by this build");
                return DFB_ENOTSUP;
            }
            return c->ecdsa_p384_verify(key->der, key->len, in->digest, sig, len) == DFB_OK ? DFB_OK : DFB_ESIG;
        }
        if (in->digest_len != IMAGE_SHA256_SIZE) {
            *why = REASON("an ECDSA P-256 signature needs a SHA-256 image hash");
            return DFB_ENOTSUP;
        }
        if (!CONFIG_DFUBOOT_SIG_ECDSA_P256 || c->ecdsa_p256_verify == 0) {
            *why = REASON("ECDSA P-256 is not supported by this build");
            return DFB_ENOTSUP;
        }
        return c->ecdsa_p256_verify(key->der, key->len, in->digest, sig, len) == DFB_OK ? DFB_OK : DFB_ESIG;
    case IMAGE_TLV_ED25519:
        if (len != 64)
            return DFB_ESIG;
        if (in->pure) {
            if (!CONFIG_DFUBOOT_SIG_ED25519 || c->ed25519_pure_verify == 0) {
                *why = REASON("pure Ed25519 is not supported by this build");
                return DFB_ENOTSUP;
            }
            return c->ed25519_pure_verify(key->der, key->len, in->fa, in->lay->off,
                                          in->lay->prot_off + in->lay->prot_size - in->lay->off, sig) == DFB_OK
                       ? DFB_OK
                       : DFB_ESIG;
        }
        if (!CONFIG_DFUBOOT_SIG_ED25519 || c->ed25519_verify == 0) {
            *why = REASON("Ed25519 is not supported by this build");
            return DFB_ENOTSUP;
        }
        return c->ed25519_verify(key->der, key->len, in->digest, in->digest_len, sig) == DFB_OK ? DFB_OK
                                                                                               : DFB_ESIG;
    default:
        return DFB_ESIG;
    }
}

/* Hash (cfg->hash) of a PUBKEY TLV value, read in chunks. */
static int hash_tlv(const struct image_validate_cfg *cfg, const struct flash_area *fa, const struct image_tlv *tlv,
                    uint8_t *digest)
{
    return hash_area(cfg->crypto, cfg->hash, fa, tlv->off, tlv->len, digest);
}

static int fail(struct image_info *info, int rc, const char *why)
{
    info->reason = why != 0 ? why : rc == DFB_OK ? "ok" : "invalid";
    return rc;
}

/* The reason strings exist only with CONFIG_DFUBOOT_FAIL_REASONS; without
 * them image_validate() sets "ok" / "invalid" once, at its end. */
#define FAIL(info, rc, why) (CONFIG_DFUBOOT_FAIL_REASONS ? fail((info), (rc), (why)) : (rc))

static int validate_image(const struct image_validate_cfg *cfg, const struct flash_area *fa, uint32_t off,
                          struct image_info *info);

/* Reason texts for a hash TLV of another algorithm than the build's. */
static const char *other_hash_reason(uint16_t have, enum image_hash_alg want)
{
    if (!CONFIG_DFUBOOT_FAIL_REASONS)
        return 0;
    static const char *const r[3][3] = {
        /* build SHA-256 */ { 0, "the image is hashed with SHA-384 (P-384 signing); this build checks SHA-256",
                              "the image is hashed with SHA-512 (pure Ed25519 signing); this build checks SHA-256" },
        /* build SHA-384 */ { "the image is hashed with SHA-256; this build checks SHA-384", 0,
                              "the image is hashed with SHA-512 (pure Ed25519 signing); this build checks SHA-384" },
        /* build SHA-512 */ { "the image is hashed with SHA-256; this build checks SHA-512",
                              "the image is hashed with SHA-384 (P-384 signing); this build checks SHA-512", 0 },
    };
    uint32_t i = have == IMAGE_TLV_SHA384 ? 1u : have == IMAGE_TLV_SHA512 ? 2u : 0u;

    return r[want <= IMAGE_HASH_SHA512 ? want : 0][i];
}

int image_validate(const struct image_validate_cfg *cfg, const struct flash_area *fa, uint32_t off,
                   struct image_info *info)
{
    int rc;

    if (cfg == 0 || cfg->crypto == 0 || fa == 0 || info == 0 || cfg->crypto->sha256_init == 0 ||
        cfg->crypto->sha256_update == 0 || cfg->crypto->sha256_finish == 0 ||
        (cfg->key_count != 0 && cfg->keys == 0) || (uint32_t)cfg->hash > (uint32_t)IMAGE_HASH_SHA512)
        return DFB_EINVAL;
    rc = validate_image(cfg, fa, off, info);
    if (!CONFIG_DFUBOOT_FAIL_REASONS)
        fail(info, rc, 0);
    return rc;
}

static int validate_image(const struct image_validate_cfg *cfg, const struct flash_area *fa, uint32_t off,
                          struct image_info *info)
{
    uint8_t buf[SIG_MAX];
    uint8_t h[IMAGE_HASH_MAX_SIZE];
    struct image_tlv_iter it;
    struct image_tlv tlv;
    struct sig_input in;
    bool have_keys, hash_found = false, key_named = false, key_unknown = false, pure = false;
    int key_id = -1, sig_rc = DFB_ESIG, rc;
    bool sig_checked = false;
    uint16_t want_hash, other_hash = 0;
    uint32_t hash_len;
    const char *sig_why = 0;

    memset(info, 0, sizeof(*info));
    info->key_index = -1;
    have_keys = cfg->key_count != 0;
    want_hash = image_hash_tlv(cfg->hash);
    hash_len = image_hash_size(cfg->hash);

    rc = image_header_read(fa, off, &info->hdr);
    if (rc == DFB_ENOENT)
        return FAIL(info, rc, "no image (erased header)");
    if (rc == DFB_EBADIMAGE && info->hdr.magic != IMAGE_MAGIC)
        return FAIL(info, rc, "bad image magic");
    if (rc == DFB_EBADIMAGE)
        return FAIL(info, rc, "header size smaller than 32");
    if (rc == DFB_EOVERFLOW)
        return FAIL(info, rc, "header sizes overflow");
    if (rc == DFB_ERANGE)
        return FAIL(info, rc, "image larger than its area");
    if (rc != DFB_OK)
        return FAIL(info, rc, "flash read error");
    rc = image_layout_read(fa, off, &info->hdr, &info->lay);
    if (rc == DFB_EBADIMAGE)
        return FAIL(info, rc, "bad TLV info (magic or protected size)");
    if (rc == DFB_ERANGE)
        return FAIL(info, rc, "TLV area extends past the end of the area");
    if (rc != DFB_OK)
        return FAIL(info, rc, "cannot read the TLV info");
    info->total_size = info->lay.end - off;
    if (info->hdr.flags & (IMAGE_F_ENCRYPTED_AES128 | IMAGE_F_ENCRYPTED_AES256))
        return FAIL(info, DFB_ENOTSUP, "encrypted image (not supported)");
    if (info->hdr.flags & (IMAGE_F_COMPRESSED_LZMA1 | IMAGE_F_COMPRESSED_LZMA2 | IMAGE_F_COMPRESSED_ARM_THUMB_FLT))
        return FAIL(info, DFB_ENOTSUP, "compressed image (not supported)");

    rc = image_hash_compute_alg(cfg->crypto, cfg->hash, fa, &info->lay, info->hash);
    if (rc == DFB_ENOTSUP)
        return FAIL(info, rc, cfg->hash == IMAGE_HASH_SHA384 ? "SHA-384 is not supported by this build"
                                                             : "SHA-512 is not supported by this build");
    if (rc != DFB_OK)
        return FAIL(info, rc, "cannot hash the image");
    info->hash_len = hash_len;
    in = (struct sig_input){ info->hash, hash_len, false, fa, &info->lay };

    image_tlv_iter_begin_layout(&it, fa, &info->lay, IMAGE_TLV_ANY, false);
    for (;;) {
        rc = image_tlv_iter_next(&it, &tlv);
        if (rc == 0)
            break;
        if (rc < 0)
            return FAIL(info, rc, rc == DFB_EBADIMAGE ? "TLV entry overruns its area" : "cannot read a TLV");
        if (tlv.is_protected) {
            if (tlv.type == IMAGE_TLV_SEC_CNT) {
                if (tlv.len != 4)
                    return FAIL(info, DFB_EBADIMAGE, "SEC_CNT TLV is not 4 bytes");
                rc = flash_area_read(fa, tlv.off, buf, 4);
                if (rc != DFB_OK)
                    return FAIL(info, rc, "cannot read a TLV");
                if (!info->has_security_counter) {
                    info->has_security_counter = true;
                    info->security_counter = get_le32(buf);
                }
            }
            continue; /* covered by the hash; nothing else to check here */
        }
        if (is_hash_tlv(tlv.type) && tlv.type != want_hash) {
            if (other_hash == 0)
                other_hash = tlv.type;
            continue;
        }
        if (tlv.type == want_hash) {
            if (tlv.len != hash_len)
                return FAIL(info, DFB_EHASH, "hash TLV has a wrong length");
            rc = flash_area_read(fa, tlv.off, buf, hash_len);
            if (rc != DFB_OK)
                return FAIL(info, rc, "cannot read a TLV");
            if (memcmp(buf, info->hash, hash_len) != 0)
                return FAIL(info, DFB_EHASH,
                            want_hash == IMAGE_TLV_SHA256   ? "image hash does not match the SHA256 TLV"
                            : want_hash == IMAGE_TLV_SHA384 ? "image hash does not match the SHA384 TLV"
                                                            : "image hash does not match the SHA512 TLV");
            hash_found = true;
            continue;
        }
        if (tlv.type == IMAGE_TLV_SIG_PURE) {
            pure = true;
            continue;
        }
        if (!have_keys)
            continue;
        if ((tlv.type == IMAGE_TLV_KEYHASH && cfg->match != IMAGE_MATCH_PUBKEY) ||
            (tlv.type == IMAGE_TLV_PUBKEY && cfg->match != IMAGE_MATCH_KEYHASH)) {
            key_named = true;
            if (tlv.type == IMAGE_TLV_KEYHASH) {
                if (tlv.len != hash_len) {
                    key_id = -1;
                    key_unknown = true;
                    continue;
                }
                rc = flash_area_read(fa, tlv.off, h, hash_len);
            } else {
                if (tlv.len > PUBKEY_MAX) {
                    key_id = -1;
                    key_unknown = true;
                    continue;
                }
                rc = hash_tlv(cfg, fa, &tlv, h);
            }
            if (rc != DFB_OK)
                return FAIL(info, rc, "cannot read a TLV");
            key_id = find_key(cfg, h, &rc);
            if (rc != DFB_OK)
                return FAIL(info, rc, "cannot hash a key");
            if (key_id < 0)
                key_unknown = true;
            continue;
        }
        if (is_sig_tlv(tlv.type)) {
            if (!hash_found)
                continue; /* MCUboot checks the hash TLV first; absent hash is reported below */
            if (key_id < 0 || image_key_sig_tlv(cfg->keys[key_id].type) != tlv.type)
                continue;
            if (tlv.len > sizeof(buf)) {
                sig_rc = DFB_ESIG;
            } else {
                rc = flash_area_read(fa, tlv.off, buf, tlv.len);
                if (rc != DFB_OK)
                    return FAIL(info, rc, "cannot read a TLV");
                in.pure = pure;
                sig_rc = verify_sig(cfg, &cfg->keys[key_id], tlv.type, &in, buf, tlv.len, &sig_why);
            }
            sig_checked = true;
            if (sig_rc == DFB_OK) {
                info->key_index = key_id;
                info->sig_type = tlv.type;
            } else {
                info->key_index = -1;
                info->sig_type = 0;
            }
            key_id = -1; /* a key names only the signature right after it */
        }
    }
    if (!hash_found && other_hash != 0)
        return FAIL(info, DFB_ENOTSUP, other_hash_reason(other_hash, cfg->hash));
    if (!hash_found)
        return FAIL(info, DFB_EHASH,
                    want_hash == IMAGE_TLV_SHA256   ? "no SHA256 TLV"
                    : want_hash == IMAGE_TLV_SHA384 ? "no SHA384 TLV"
                                                    : "no SHA512 TLV");
    if (!have_keys)
        return FAIL(info, DFB_OK, "ok");
    if (!sig_checked) {
        if (key_unknown)
            return FAIL(info, DFB_ENOKEY, "the image's key is not a built-in key");
        if (!key_named)
            return FAIL(info, DFB_ESIG, cfg->match == IMAGE_MATCH_PUBKEY ? "no PUBKEY TLV" : "no KEYHASH TLV");
        return FAIL(info, DFB_ESIG, "no signature for the image's key");
    }
    if (sig_rc == DFB_ENOTSUP)
        return FAIL(info, sig_rc, sig_why ? sig_why : "signature algorithm not supported by this build");
    if (sig_rc != DFB_OK)
        return FAIL(info, DFB_ESIG, "signature does not verify");
    return FAIL(info, DFB_OK, "ok");
}
