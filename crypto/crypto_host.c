/* Image crypto adapter over mbedTLS 2.28 and libsodium. */
#include <string.h>

#include <mbedtls/asn1.h>
#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>
#include <mbedtls/sha256.h>
#include <sodium.h>

#include "common/config.h"
#include "common/errors.h"
#include "crypto/crypto.h"

_Static_assert(sizeof(mbedtls_sha256_context) <= IMAGE_SHA256_CTX_SIZE, "SHA-256 context too large");

static mbedtls_sha256_context *sha_ctx(struct image_sha256_ctx *ctx)
{
    return (mbedtls_sha256_context *)(void *)ctx->u.bytes;
}

static int host_sha256_init(struct image_sha256_ctx *ctx)
{
    mbedtls_sha256_init(sha_ctx(ctx));
    return mbedtls_sha256_starts_ret(sha_ctx(ctx), 0) == 0 ? DFB_OK : DFB_EIO;
}

static int host_sha256_update(struct image_sha256_ctx *ctx, const void *data, size_t len)
{
    return mbedtls_sha256_update_ret(sha_ctx(ctx), data, len) == 0 ? DFB_OK : DFB_EIO;
}

static int host_sha256_finish(struct image_sha256_ctx *ctx, uint8_t digest[IMAGE_SHA256_SIZE])
{
    int rc = mbedtls_sha256_finish_ret(sha_ctx(ctx), digest);

    mbedtls_sha256_free(sha_ctx(ctx));
    return rc == 0 ? DFB_OK : DFB_EIO;
}

/* PKCS#1 RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } */
static int rsa_from_pkcs1(mbedtls_rsa_context *rsa, const uint8_t *key, size_t key_len)
{
    unsigned char *p = (unsigned char *)key;
    const unsigned char *end = key + key_len;
    size_t len;
    const unsigned char *n, *e;
    size_t n_len, e_len;

    if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0 ||
        p + len != end)
        return DFB_EINVAL;
    if (mbedtls_asn1_get_tag(&p, end, &n_len, MBEDTLS_ASN1_INTEGER) != 0)
        return DFB_EINVAL;
    n = p;
    p += n_len;
    if (mbedtls_asn1_get_tag(&p, end, &e_len, MBEDTLS_ASN1_INTEGER) != 0)
        return DFB_EINVAL;
    e = p;
    p += e_len;
    if (p != end)
        return DFB_EINVAL;
    /* For a public key, mbedtls_rsa_complete() only sets the modulus length;
     * setting it here keeps its private-key deduction code (about 1 KiB on
     * a Cortex-M4) out of the bootloader. check_pubkey then checks N, E and
     * that length as rsa_complete would. */
    if (mbedtls_rsa_import_raw(rsa, n, n_len, NULL, 0, NULL, 0, NULL, 0, e, e_len) != 0)
        return DFB_EINVAL;
    rsa->len = mbedtls_mpi_size(&rsa->N);
    if (mbedtls_rsa_check_pubkey(rsa) != 0)
        return DFB_EINVAL;
    return DFB_OK;
}

static int host_rsa_pss_verify(const uint8_t *key, size_t key_len, const uint8_t digest[IMAGE_SHA256_SIZE],
                               const uint8_t *sig, size_t sig_len)
{
    mbedtls_rsa_context rsa;
    int rc;

    mbedtls_rsa_init(&rsa, MBEDTLS_RSA_PKCS_V21, MBEDTLS_MD_SHA256);
    rc = rsa_from_pkcs1(&rsa, key, key_len);
    if (rc == DFB_OK && mbedtls_rsa_get_len(&rsa) != sig_len)
        rc = DFB_ESIG;
    if (rc == DFB_OK &&
        mbedtls_rsa_rsassa_pss_verify_ext(&rsa, NULL, NULL, MBEDTLS_RSA_PUBLIC, MBEDTLS_MD_SHA256,
                                          IMAGE_SHA256_SIZE, digest, MBEDTLS_MD_SHA256, 32, sig) != 0)
        rc = DFB_ESIG;
    mbedtls_rsa_free(&rsa);
    return rc;
}

static int host_ecdsa_p256_verify(const uint8_t *key, size_t key_len, const uint8_t digest[IMAGE_SHA256_SIZE],
                                  const uint8_t *sig, size_t sig_len)
{
    mbedtls_pk_context pk;
    int rc = DFB_OK;

    /* Drop zero padding after the DER SEQUENCE (imgtool --pad-sig). */
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
        mbedtls_pk_ec(pk)->grp.id != MBEDTLS_ECP_DP_SECP256R1)
        rc = DFB_EINVAL;
    if (rc == DFB_OK && mbedtls_pk_verify(&pk, MBEDTLS_MD_SHA256, digest, IMAGE_SHA256_SIZE, sig, sig_len) != 0)
        rc = DFB_ESIG;
    mbedtls_pk_free(&pk);
    return rc;
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

/* Only the algorithms the build selects (common/config.h): the others'
 * glue, and the library code only they call, are left out of the link. */
static const struct image_crypto host_crypto = {
    .sha256_init = host_sha256_init,
    .sha256_update = host_sha256_update,
    .sha256_finish = host_sha256_finish,
    .rsa_pss_verify = CONFIG_DFUBOOT_SIG_RSA ? host_rsa_pss_verify : 0,
    .ecdsa_p256_verify = CONFIG_DFUBOOT_SIG_ECDSA_P256 ? host_ecdsa_p256_verify : 0,
    .ed25519_verify = CONFIG_DFUBOOT_SIG_ED25519 ? host_ed25519_verify : 0,
};

const struct image_crypto *crypto_adapter(void)
{
    return &host_crypto;
}
