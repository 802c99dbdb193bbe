/* mbedTLS 2.28 configuration for the Cortex-M4 footprint link: signature
 * verification only, in the spirit of MCUboot's config-rsa.h / config-ec.h
 * (RSA-2048 PSS and ECDSA P-256, SHA-256 with the smaller implementation).
 * Portable C (no MBEDTLS_HAVE_ASM); allocation through the C library's
 * calloc (MCUboot uses mbedTLS's buffer allocator instead). */
#ifndef BENCH_MBEDTLS_CONFIG_M4_H
#define BENCH_MBEDTLS_CONFIG_M4_H

#define MBEDTLS_NO_PLATFORM_ENTROPY
#define MBEDTLS_NO_DEFAULT_ENTROPY_SOURCES

#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA256_SMALLER
#define MBEDTLS_MD_C
#define MBEDTLS_OID_C
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_MPI_WINDOW_SIZE 1
#define MBEDTLS_MPI_MAX_SIZE 256

#define MBEDTLS_RSA_C
#define MBEDTLS_PKCS1_V21

#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_NIST_OPTIM
#define MBEDTLS_ECP_NO_INTERNAL_RNG
#define MBEDTLS_ECDSA_C

#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C

#include "mbedtls/check_config.h"

#endif
