/* RSA-PSS verification of struct image_crypto over mbedTLS 2.28, shared by
 * both crypto adapters (crypto_host.c, crypto_target.c). Header-only for the
 * same reason as mbedtls_sha256.h: each adapter is one translation unit. */
#ifndef DFUBOOT_CRYPTO_MBEDTLS_RSA_PSS_H
#define DFUBOOT_CRYPTO_MBEDTLS_RSA_PSS_H

#include <mbedtls/asn1.h>
#include <mbedtls/bignum.h>
#include <mbedtls/rsa.h>

#include "common/errors.h"
#include "image/image_validate.h"

/* The INTEGER at *p, as a big-endian magnitude. */
static inline int mbedtls_glue_asn1_integer(unsigned char **p, const unsigned char *end, const unsigned char **val,
                                            size_t *len)
{
    if (mbedtls_asn1_get_tag(p, end, len, MBEDTLS_ASN1_INTEGER) != 0)
        return DFB_EINVAL;
    *val = *p;
    *p += *len;
    return DFB_OK;
}

/* MCUboot's RSA signature: RSASSA-PSS with SHA-256, MGF1-SHA-256 and a
 * 32-byte salt over the image digest. key: a PKCS#1 RSAPublicKey ::=
 * SEQUENCE { modulus INTEGER, publicExponent INTEGER }. DFB_EINVAL for a key
 * that does not parse or check, DFB_ESIG for a signature that does not
 * verify (or has another length than the modulus). */
static inline int mbedtls_glue_rsa_pss_verify(const uint8_t *key, size_t key_len,
                                              const uint8_t digest[IMAGE_SHA256_SIZE], const uint8_t *sig,
                                              size_t sig_len)
{
    unsigned char *p = (unsigned char *)key;
    const unsigned char *end = key + key_len;
    const unsigned char *n, *e;
    size_t len, n_len, e_len;
    mbedtls_rsa_context rsa;
    int rc = DFB_OK;

    if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0 ||
        p + len != end || mbedtls_glue_asn1_integer(&p, end, &n, &n_len) != DFB_OK ||
        mbedtls_glue_asn1_integer(&p, end, &e, &e_len) != DFB_OK || p != end)
        return DFB_EINVAL;
    mbedtls_rsa_init(&rsa, MBEDTLS_RSA_PKCS_V21, MBEDTLS_MD_SHA256);
    /* A public key needs only N, E and the length: mbedtls_rsa_complete()
     * would link the private-key code (prime deduction, CRT) for nothing.
     * check_pubkey then checks N, E and that length as rsa_complete would. */
    if (mbedtls_mpi_read_binary(&rsa.N, n, n_len) != 0 || mbedtls_mpi_read_binary(&rsa.E, e, e_len) != 0)
        rc = DFB_EINVAL;
    rsa.len = mbedtls_mpi_size(&rsa.N);
    if (rc == DFB_OK && mbedtls_rsa_check_pubkey(&rsa) != 0)
        rc = DFB_EINVAL;
    if (rc == DFB_OK && mbedtls_rsa_get_len(&rsa) != sig_len)
        rc = DFB_ESIG;
    if (rc == DFB_OK &&
        mbedtls_rsa_rsassa_pss_verify_ext(&rsa, NULL, NULL, MBEDTLS_RSA_PUBLIC, MBEDTLS_MD_SHA256,
                                          IMAGE_SHA256_SIZE, digest, MBEDTLS_MD_SHA256, 32, sig) != 0)
        rc = DFB_ESIG;
    mbedtls_rsa_free(&rsa);
    return rc;
}

#endif
