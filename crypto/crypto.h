/* The crypto adapter of a build: the struct image_crypto that image
 * validation and the bootloader use. One adapter is linked into each
 * program, and which one decides what this returns:
 *   crypto/crypto_host.c    mbedTLS 2.28 (SHA-256, RSA-PSS, ECDSA) and
 *                           libsodium (Ed25519), for host tools and the
 *                           virtual board (library dfuboot_crypto);
 *   a target adapter         mbedTLS cross-built verify-only, for firmware on
 *                           a microcontroller (see docs/ for the port).
 * The adapters live here, outside the portable image/ code, because they
 * tie it to a crypto library. */
#ifndef DFUBOOT_CRYPTO_CRYPTO_H
#define DFUBOOT_CRYPTO_CRYPTO_H

#include "image/image_validate.h"

/* The adapter; valid for the whole program. */
const struct image_crypto *crypto_adapter(void);

#endif
