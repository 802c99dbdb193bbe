/* Image crypto adapter over mbedTLS 2.28 (SHA-256/384/512, RSA-PSS, ECDSA
 * P-256/P-384) and libsodium (Ed25519, hash-then-sign and pure). */
#include <stdlib.h>
#include <string.h>

#include <mbedtls/asn1.h>
#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>
#include <mbedtls/sha256.h>
#include <mbedtls/sha512.h>
#include <sodium.h>

#include "common/config.h"
#include "common/errors.h"
#include "crypto/crypto.h"
#include "crypto/mbedtls_rsa_pss.h"
#include "crypto/mbedtls_sha256.h"

_Static_assert(sizeof(mbedtls_sha512_context) <= IMAGE_SHA256_CTX_SIZE, "SHA-512 context too large");

static mbedtls_sha512_context *sha512_ctx(struct image_sha256_ctx *ctx)
{
    return (mbedtls_sha512_context *)(void *)ctx->u.bytes;
}

static int host_sha512_init(struct image_sha256_ctx *ctx, bool is384)
{
    mbedtls_sha512_init(sha512_ctx(ctx));
    return mbedtls_sha512_starts_ret(sha512_ctx(ctx), is384 ? 1 : 0) == 0 ? DFB_OK : DFB_EIO;
}

static int host_sha512_update(struct image_sha256_ctx *ctx, const void *data, size_t len)
{
    return mbedtls_sha512_update_ret(sha512_ctx(ctx), data, len) == 0 ? DFB_OK : DFB_EIO;
}

static int host_sha512_finish(struct image_sha256_ctx *ctx, uint8_t *digest)
{
    int rc = mbedtls_sha512_finish_ret(sha512_ctx(ctx), digest);

    mbedtls_sha512_free(sha512_ctx(ctx));
    return rc == 0 ? DFB_OK : DFB_EIO;
}

/* ECDSA over `digest` with an SPKI key on `curve`; DER signature, zero
 * padding after the SEQUENCE dropped (imgtool --pad-sig). */
static int ecdsa_verify(mbedtls_ecp_group_id curve, mbedtls_md_type_t md, const uint8_t *key, size_t key_len,
                        const uint8_t *digest, size_t digest_len, const uint8_t *sig, size_t sig_len)
{
    mbedtls_pk_context pk;
    int rc = DFB_OK;

    if (sig_len >= 2 && sig[0] == 0x30 && sig[1] < 0x80 && (size_t)sig[1] + 2 < sig_len) {
        size_t der_len = (size_t)sig[1] + 2;
        size_t i;
        for (i = der_len; i < sig_len && sig[i] == 0; i++)
            ;
        if (i == sig_len)
            sig_len = der_len;
    }
    mbedtls_pk_init(&pk);
    if (mbedtls_pk_parse_public_key(&pk, key, key_len) != 0 || mbedtls_pk_get_type(&pk) != MBEDTLS_PK_ECKEY ||
        mbedtls_pk_ec(pk)->grp.id != curve)
        rc = DFB_ESIG; /* a key of another kind (image_validate.h), as the target adapter says */
    if (rc == DFB_OK && mbedtls_pk_verify(&pk, md, digest, digest_len, sig, sig_len) != 0)
        rc = DFB_ESIG;
    mbedtls_pk_free(&pk);
    return rc;
}

static int host_ecdsa_p256_verify(const uint8_t *key, size_t key_len, const uint8_t digest[IMAGE_SHA256_SIZE],
                                  const uint8_t *sig, size_t sig_len)
{
    return ecdsa_verify(MBEDTLS_ECP_DP_SECP256R1, MBEDTLS_MD_SHA256, key, key_len, digest, IMAGE_SHA256_SIZE, sig,
                        sig_len);
}

static int host_ecdsa_p384_verify(const uint8_t *key, size_t key_len, const uint8_t digest[48], const uint8_t *sig,
                                  size_t sig_len)
{
    return ecdsa_verify(MBEDTLS_ECP_DP_SECP384R1, MBEDTLS_MD_SHA384, key, key_len, digest, 48, sig, sig_len);
}

/* SubjectPublicKeyInfo of an Ed25519 key: fixed 12-byte prefix + 32 bytes. */
static const uint8_t ed25519_spki_prefix[12] = { 0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
                                                 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00 };

static int host_ed25519_verify(const uint8_t *key, size_t key_len, const uint8_t *msg, size_t msg_len,
                               const uint8_t sig[64])
{
    if (key_len != sizeof(ed25519_spki_prefix) + 32 || memcmp(key, ed25519_spki_prefix, 12) != 0)
        return DFB_EINVAL;
    if (sodium_init() < 0)
        return DFB_EIO;
    return crypto_sign_verify_detached(sig, msg, msg_len, key + 12) == 0 ? DFB_OK : DFB_ESIG;
}

/* Pure Ed25519 needs the whole message at once (libsodium has no streaming
 * form of it): the host reads the range into memory. */
static int host_ed25519_pure_verify(const uint8_t *key, size_t key_len, const struct flash_area *fa, uint32_t off,
                                    uint32_t len, const uint8_t sig[64])
{
    uint8_t *msg;
    int rc;

    if (key_len != sizeof(ed25519_spki_prefix) + 32 || memcmp(key, ed25519_spki_prefix, 12) != 0)
        return DFB_EINVAL;
    msg = malloc(len ? len : 1);
    if (msg == NULL)
        return DFB_EIO; /* no memory for the message */
    rc = flash_area_read(fa, off, msg, len);
    if (rc == DFB_OK)
        rc = host_ed25519_verify(key, key_len, msg, len, sig);
    free(msg);
    return rc;
}

/* Only the algorithms the build selects (common/config.h): the others'
 * glue, and the library code only they call, are left out of the link. */
static const struct image_crypto host_crypto = {
    .sha256_init = mbedtls_glue_sha256_init,
    .sha256_update = mbedtls_glue_sha256_update,
    .sha256_finish = mbedtls_glue_sha256_finish,
    .rsa_pss_verify = CONFIG_DFUBOOT_SIG_RSA ? mbedtls_glue_rsa_pss_verify : 0,
    .ecdsa_p256_verify = CONFIG_DFUBOOT_SIG_ECDSA_P256 ? host_ecdsa_p256_verify : 0,
    .ed25519_verify = CONFIG_DFUBOOT_SIG_ED25519 ? host_ed25519_verify : 0,
    /* SHA-384/512 only serve P-384 and pure Ed25519 images */
    .sha512_init = CONFIG_DFUBOOT_SIG_ECDSA_P384 || CONFIG_DFUBOOT_SIG_ED25519 ? host_sha512_init : 0,
    .sha512_update = CONFIG_DFUBOOT_SIG_ECDSA_P384 || CONFIG_DFUBOOT_SIG_ED25519 ? host_sha512_update : 0,
    .sha512_finish = CONFIG_DFUBOOT_SIG_ECDSA_P384 || CONFIG_DFUBOOT_SIG_ED25519 ? host_sha512_finish : 0,
    .ecdsa_p384_verify = CONFIG_DFUBOOT_SIG_ECDSA_P384 ? host_ecdsa_p384_verify : 0,
    .ed25519_pure_verify = CONFIG_DFUBOOT_SIG_ED25519 ? host_ed25519_pure_verify : 0,
};

const struct image_crypto *crypto_adapter(void)
{
    return &host_crypto;
}
