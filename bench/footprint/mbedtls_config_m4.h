/* mbedTLS 2.28 configuration for the Cortex-M4 footprint link: signature
 * verification only, in the spirit of MCUboot's config-rsa.h / config-ec.h:
 * RSA PSS, ECDSA P-256 and P-384, SHA-256 with the smaller implementation,
 * SHA-384/512 only when the build's options (common/config.h) need them
 * (P-384 images, pure Ed25519): mbedTLS's message-digest layer links every
 * hash it is configured with, so an RSA-only build must not carry SHA-512.
 * The other modules stay configured so the crypto adapter compiles; the
 * link drops what a build does not call. Portable C (no MBEDTLS_HAVE_ASM);
 * allocation through the C library's calloc (MCUboot uses mbedTLS's buffer
 * allocator instead). bench.sh builds the library once per configuration. */
#ifndef BENCH_MBEDTLS_CONFIG_M4_H
#define BENCH_MBEDTLS_CONFIG_M4_H

#include "common/config.h"

#define MBEDTLS_NO_PLATFORM_ENTROPY
#define MBEDTLS_NO_DEFAULT_ENTROPY_SOURCES

#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA256_SMALLER
#if CONFIG_DFUBOOT_SIG_ECDSA_P384 || CONFIG_DFUBOOT_SIG_ED25519
#define MBEDTLS_SHA512_C
#endif
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
#if CONFIG_DFUBOOT_SIG_ECDSA_P384
#define MBEDTLS_ECP_DP_SECP384R1_ENABLED
#endif
#define MBEDTLS_ECP_NIST_OPTIM
#define MBEDTLS_ECP_NO_INTERNAL_RNG
#define MBEDTLS_ECDSA_C

#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C

#include "mbedtls/check_config.h"

#endif
