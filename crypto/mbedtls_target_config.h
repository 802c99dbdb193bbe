/* mbedTLS 2.28 configuration for firmware: signature verification only
 * (SHA-256, RSA-2048 PSS, ECDSA P-256), no RNG, no file or network code,
 * the heap a static buffer (memory_buffer_alloc). Used by the target crypto
 * adapter (crypto/crypto_target.c) through MBEDTLS_CONFIG_FILE.
 * DFUBOOT_CRYPTO_RSA_ONLY leaves ECDSA out (for the size figures). */
#ifndef DFUBOOT_CRYPTO_MBEDTLS_TARGET_CONFIG_H
#define DFUBOOT_CRYPTO_MBEDTLS_TARGET_CONFIG_H

/* platform: no OS, heap from mbedtls_memory_buffer_alloc_init() */
#define MBEDTLS_NO_PLATFORM_ENTROPY
#define MBEDTLS_PLATFORM_C
#define MBEDTLS_PLATFORM_MEMORY
#define MBEDTLS_MEMORY_BUFFER_ALLOC_C

/* hashing */
#define MBEDTLS_MD_C
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA256_SMALLER

/* big numbers, ASN.1 */
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_OID_C
#define MBEDTLS_MPI_WINDOW_SIZE 1
#define MBEDTLS_MPI_MAX_SIZE 256 /* RSA-2048 */

/* RSA-PSS verification */
#define MBEDTLS_RSA_C
#define MBEDTLS_PKCS1_V21
/* verify only: the private-key path stays linked (mbedtls_rsa_rsassa_pss_verify_ext
 * can call it) but without the CRT it is smaller */
#define MBEDTLS_RSA_NO_CRT

#ifndef DFUBOOT_CRYPTO_RSA_ONLY
/* ECDSA P-256 verification */
#define MBEDTLS_ECP_C
#define MBEDTLS_ECDSA_C
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_NIST_OPTIM
#define MBEDTLS_ECP_NO_INTERNAL_RNG
#define MBEDTLS_ECP_WINDOW_SIZE 2
#define MBEDTLS_ECP_FIXED_POINT_OPTIM 0
#endif

#include "mbedtls/check_config.h"

#endif
