/* Image crypto adapter for firmware: mbedTLS 2.28 built from Debian's
 * source for the target with crypto/mbedtls_target_config.h (verify only).
 * mbedTLS allocates its big numbers from a static heap; one verification
 * at a time uses it (the bootloader and the DFU class are single-threaded
 * in their crypto use). Ed25519 is not built for the target: images signed
 * with it are refused as unsupported (DFB_ENOTSUP). */
#include <string.h>

#include <mbedtls/asn1.h>
#include <mbedtls/bignum.h>
#include <mbedtls/memory_buffer_alloc.h>
#include <mbedtls/oid.h>
#include <mbedtls/rsa.h>
#include <mbedtls/sha256.h>
#ifndef DFUBOOT_CRYPTO_RSA_ONLY
#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#endif

#include "common/errors.h"
#include "crypto/crypto.h"
#include "crypto/mbedtls_rsa_pss.h"
#include "crypto/mbedtls_sha256.h"

/* Measured on the Cortex-M0 (allocator headers included): RSA-2048
 * verification fails with 5,120 B and passes with 5,248 B; ECDSA P-256
 * needs less. 5.5 KiB leaves a margin (docs/port-nrf5.md). */
#ifndef CRYPTO_TARGET_HEAP_SIZE
#define CRYPTO_TARGET_HEAP_SIZE 5632u
#endif

static unsigned char heap[CRYPTO_TARGET_HEAP_SIZE] __attribute__((aligned(8)));
static int heap_ready;


#ifndef DFUBOOT_CRYPTO_RSA_ONLY
/* SubjectPublicKeyInfo ::= SEQUENCE { AlgorithmIdentifier { id-ecPublicKey,
 * prime256v1 }, BIT STRING point } -> the point's bytes. */
static int p256_spki_point(const uint8_t *key, size_t key_len, const unsigned char **point, size_t *point_len)
{
    unsigned char *p = (unsigned char *)key;
    const unsigned char *end = key + key_len;
    mbedtls_asn1_buf alg, params;
    size_t len;

    if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0 ||
        p + len != end || mbedtls_asn1_get_alg(&p, end, &alg, &params) != 0)
        return DFB_EINVAL;
    if (MBEDTLS_OID_CMP(MBEDTLS_OID_EC_ALG_UNRESTRICTED, &alg) != 0 || params.tag != MBEDTLS_ASN1_OID ||
        MBEDTLS_OID_CMP(MBEDTLS_OID_EC_GRP_SECP256R1, &params) != 0)
        return DFB_ESIG; /* a key, but not a P-256 one */
    if (mbedtls_asn1_get_bitstring_null(&p, end, &len) != 0 || p + len != end)
        return DFB_EINVAL;
    *point = p;
    *point_len = len;
    return DFB_OK;
}

/* ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }, zero padding after it tolerated. */
static int p256_signature(const uint8_t *sig, size_t sig_len, mbedtls_mpi *r, mbedtls_mpi *s)
{
    unsigned char *p = (unsigned char *)sig;
    const unsigned char *end = sig + sig_len;
    size_t len;

    if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0)
        return DFB_ESIG;
    end = p + len;
    if (mbedtls_asn1_get_mpi(&p, end, r) != 0 || mbedtls_asn1_get_mpi(&p, end, s) != 0 || p != end)
        return DFB_ESIG;
    for (const uint8_t *pad = end; pad < sig + sig_len; pad++) {
        if (*pad != 0)
            return DFB_ESIG;
    }
    return DFB_OK;
}

static int target_ecdsa_p256_verify(const uint8_t *key, size_t key_len, const uint8_t digest[IMAGE_SHA256_SIZE],
                                    const uint8_t *sig, size_t sig_len)
{
    const unsigned char *point;
    size_t point_len;
    mbedtls_ecp_group grp;
    mbedtls_ecp_point q;
    mbedtls_mpi r, s;
    int rc = p256_spki_point(key, key_len, &point, &point_len);

    if (rc != DFB_OK)
        return rc;
    mbedtls_ecp_group_init(&grp);
    mbedtls_ecp_point_init(&q);
    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&s);
    if (mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_SECP256R1) != 0 ||
        mbedtls_ecp_point_read_binary(&grp, &q, point, point_len) != 0 || mbedtls_ecp_check_pubkey(&grp, &q) != 0)
        rc = DFB_EINVAL;
    if (rc == DFB_OK)
        rc = p256_signature(sig, sig_len, &r, &s);
    if (rc == DFB_OK && mbedtls_ecdsa_verify(&grp, digest, IMAGE_SHA256_SIZE, &q, &r, &s) != 0)
        rc = DFB_ESIG;
    mbedtls_mpi_free(&s);
    mbedtls_mpi_free(&r);
    mbedtls_ecp_point_free(&q);
    mbedtls_ecp_group_free(&grp);
    return rc;
}
#endif

static const struct image_crypto target_crypto = {
    .sha256_init = mbedtls_glue_sha256_init,
    .sha256_update = mbedtls_glue_sha256_update,
    .sha256_finish = mbedtls_glue_sha256_finish,
    .rsa_pss_verify = mbedtls_glue_rsa_pss_verify,
#ifndef DFUBOOT_CRYPTO_RSA_ONLY
    .ecdsa_p256_verify = target_ecdsa_p256_verify,
#endif
};

const struct image_crypto *crypto_adapter(void)
{
    if (!heap_ready) {
        mbedtls_memory_buffer_alloc_init(heap, sizeof(heap));
        heap_ready = 1;
    }
    return &target_crypto;
}
