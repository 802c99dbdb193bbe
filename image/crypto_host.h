/* Host implementation of the image crypto adapter: SHA-256, RSA-PSS and
 * ECDSA P-256 from mbedTLS 2.28, Ed25519 from libsodium. Built into the
 * host library dfuboot_crypto (not into the portable core). */
#ifndef DFUBOOT_IMAGE_CRYPTO_HOST_H
#define DFUBOOT_IMAGE_CRYPTO_HOST_H

#include "image/image_validate.h"

/* The adapter; valid for the whole program. */
const struct image_crypto *image_crypto_host(void);

#endif
