/* Image validation through the crypto adapter. See image_validate.h. */
#include <string.h>

#include "common/bytes.h"
#include "common/config.h"
#include "common/errors.h"
#include "image/image_validate.h"

#define SIG_MAX 384u       /* RSA-3072 */
#define ECDSA_SIG_MAX 128u /* as MCUboot's buffer */
#define PUBKEY_MAX 1024u

uint16_t image_key_sig_tlv(enum image_key_type type)
{
    switch (type) {
    case IMAGE_KEY_RSA2048:
        return IMAGE_TLV_RSA2048_PSS;
    case IMAGE_KEY_RSA3072:
        return IMAGE_TLV_RSA3072_PSS;
    case IMAGE_KEY_ECDSA_P256:
        return IMAGE_TLV_ECDSA_SIG;
    case IMAGE_KEY_ED25519:
        return IMAGE_TLV_ED25519;
    }
    return 0;
}

static bool is_sig_tlv(uint16_t type)
{
    return type == IMAGE_TLV_RSA2048_PSS || type == IMAGE_TLV_RSA3072_PSS || type == IMAGE_TLV_ECDSA_SIG ||
           type == IMAGE_TLV_ED25519;
}

/* Feeds [off, off + len) of the area into the hash, a chunk at a time. */
static int hash_range(const struct image_crypto *c, struct image_sha256_ctx *ctx, const struct flash_area *fa,
                      uint32_t off, uint32_t len)
{
    uint8_t chunk[IMAGE_VALIDATE_CHUNK];
    int rc;

    while (len > 0) {
        uint32_t n = len < sizeof(chunk) ? len : (uint32_t)sizeof(chunk);
        rc = flash_area_read(fa, off, chunk, n);
        if (rc != DFB_OK)
            return rc;
        rc = c->sha256_update(ctx, chunk, n);
        if (rc != DFB_OK)
            return rc;
        off += n;
        len -= n;
    }
    return DFB_OK;
}

static int hash_finish_after(const struct image_crypto *c, struct image_sha256_ctx *ctx, int rc,
                             uint8_t digest[IMAGE_SHA256_SIZE])
{
    /* Always finish, so an implementation can release what init took. */
    int frc = c->sha256_finish(ctx, digest);

    return rc != DFB_OK ? rc : frc;
}

int image_hash_compute(const struct image_crypto *crypto, const struct flash_area *fa,
                       const struct image_layout *lay, uint8_t digest[IMAGE_SHA256_SIZE])
{
    struct image_sha256_ctx ctx;
    int rc;

    if (crypto == 0 || fa == 0 || lay == 0 || digest == 0)
        return DFB_EINVAL;
    rc = crypto->sha256_init(&ctx);
    if (rc != DFB_OK)
        return rc;
    rc = hash_range(crypto, &ctx, fa, lay->off, lay->prot_off + lay->prot_size - lay->off);
    return hash_finish_after(crypto, &ctx, rc, digest);
}

int image_key_hash(const struct image_crypto *crypto, const struct image_key *key, uint8_t digest[IMAGE_SHA256_SIZE])
{
    struct image_sha256_ctx ctx;
    int rc;

    if (crypto == 0 || key == 0 || digest == 0)
        return DFB_EINVAL;
    rc = crypto->sha256_init(&ctx);
    if (rc != DFB_OK)
        return rc;
    rc = crypto->sha256_update(&ctx, key->der, key->len);
    return hash_finish_after(crypto, &ctx, rc, digest);
}

/* Index of the built-in key whose SHA-256 is `h`, or -1. */
static int find_key(const struct image_validate_cfg *cfg, const uint8_t h[IMAGE_SHA256_SIZE], int *rc)
{
    uint8_t kh[IMAGE_SHA256_SIZE];

    *rc = DFB_OK;
    for (uint32_t i = 0; i < cfg->key_count; i++) {
        *rc = image_key_hash(cfg->crypto, &cfg->keys[i], kh);
        if (*rc != DFB_OK)
            return -1;
        if (memcmp(kh, h, sizeof(kh)) == 0)
            return (int)i;
    }
    return -1;
}

static int verify_sig(const struct image_validate_cfg *cfg, const struct image_key *key, uint16_t type,
                      const uint8_t digest[IMAGE_SHA256_SIZE], const uint8_t *sig, uint32_t len)
{
    const struct image_crypto *c = cfg->crypto;

    switch (type) {
    case IMAGE_TLV_RSA2048_PSS:
    case IMAGE_TLV_RSA3072_PSS:
        if (len != (type == IMAGE_TLV_RSA2048_PSS ? 256u : 384u))
            return DFB_ESIG;
        if (!CONFIG_DFUBOOT_SIG_RSA || c->rsa_pss_verify == 0)
            return DFB_ENOTSUP;
        return c->rsa_pss_verify(key->der, key->len, digest, sig, len) == DFB_OK ? DFB_OK : DFB_ESIG;
    case IMAGE_TLV_ECDSA_SIG:
        if (len > ECDSA_SIG_MAX)
            return DFB_ESIG;
        if (!CONFIG_DFUBOOT_SIG_ECDSA_P256 || c->ecdsa_p256_verify == 0)
            return DFB_ENOTSUP;
        return c->ecdsa_p256_verify(key->der, key->len, digest, sig, len) == DFB_OK ? DFB_OK : DFB_ESIG;
    case IMAGE_TLV_ED25519:
        if (len != 64)
            return DFB_ESIG;
        if (!CONFIG_DFUBOOT_SIG_ED25519 || c->ed25519_verify == 0)
            return DFB_ENOTSUP;
        return c->ed25519_verify(key->der, key->len, digest, IMAGE_SHA256_SIZE, sig) == DFB_OK ? DFB_OK
                                                                                              : DFB_ESIG;
    default:
        return DFB_ESIG;
    }
}

/* SHA-256 of a PUBKEY TLV value, read in chunks. */
static int hash_tlv(const struct image_crypto *c, const struct flash_area *fa, const struct image_tlv *tlv,
                    uint8_t digest[IMAGE_SHA256_SIZE])
{
    struct image_sha256_ctx ctx;
    int rc = c->sha256_init(&ctx);

    if (rc != DFB_OK)
        return rc;
    rc = hash_range(c, &ctx, fa, tlv->off, tlv->len);
    return hash_finish_after(c, &ctx, rc, digest);
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

int image_validate(const struct image_validate_cfg *cfg, const struct flash_area *fa, uint32_t off,
                   struct image_info *info)
{
    int rc;

    if (cfg == 0 || cfg->crypto == 0 || fa == 0 || info == 0 || cfg->crypto->sha256_init == 0 ||
        cfg->crypto->sha256_update == 0 || cfg->crypto->sha256_finish == 0 ||
        (cfg->key_count != 0 && cfg->keys == 0))
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
    uint8_t h[IMAGE_SHA256_SIZE];
    struct image_tlv_iter it;
    struct image_tlv tlv;
    bool have_keys, hash_found = false, key_named = false, key_unknown = false;
    int key_id = -1, sig_rc = DFB_ESIG, rc;
    bool sig_checked = false;

    memset(info, 0, sizeof(*info));
    info->key_index = -1;
    have_keys = cfg->key_count != 0;

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

    rc = image_hash_compute(cfg->crypto, fa, &info->lay, info->hash);
    if (rc != DFB_OK)
        return FAIL(info, rc, "cannot hash the image");

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
        if (tlv.type == IMAGE_TLV_SHA256) {
            if (tlv.len != IMAGE_SHA256_SIZE)
                return FAIL(info, DFB_EHASH, "SHA256 TLV has a wrong length");
            rc = flash_area_read(fa, tlv.off, buf, IMAGE_SHA256_SIZE);
            if (rc != DFB_OK)
                return FAIL(info, rc, "cannot read a TLV");
            if (memcmp(buf, info->hash, IMAGE_SHA256_SIZE) != 0)
                return FAIL(info, DFB_EHASH, "image hash does not match the SHA256 TLV");
            hash_found = true;
            continue;
        }
        if (!have_keys)
            continue;
        if ((tlv.type == IMAGE_TLV_KEYHASH && cfg->match != IMAGE_MATCH_PUBKEY) ||
            (tlv.type == IMAGE_TLV_PUBKEY && cfg->match != IMAGE_MATCH_KEYHASH)) {
            key_named = true;
            if (tlv.type == IMAGE_TLV_KEYHASH) {
                if (tlv.len != IMAGE_SHA256_SIZE) {
                    key_id = -1;
                    key_unknown = true;
                    continue;
                }
                rc = flash_area_read(fa, tlv.off, h, IMAGE_SHA256_SIZE);
            } else {
                if (tlv.len > PUBKEY_MAX) {
                    key_id = -1;
                    key_unknown = true;
                    continue;
                }
                rc = hash_tlv(cfg->crypto, fa, &tlv, h);
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
                sig_rc = verify_sig(cfg, &cfg->keys[key_id], tlv.type, info->hash, buf, tlv.len);
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
    if (!hash_found)
        return FAIL(info, DFB_EHASH, "no SHA256 TLV");
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
        return FAIL(info, sig_rc, "signature algorithm not supported by this build");
    if (sig_rc != DFB_OK)
        return FAIL(info, DFB_ESIG, "signature does not verify");
    return FAIL(info, DFB_OK, "ok");
}
