/* The public key a program was built with: the C array that
 * `dfuimg getpub -e lang-c` generates from CONFIG_MCUBOOT_SIGNATURE_KEY_FILE
 * (see cmake/signing.cmake, dfuboot_pubkey_source). Its name depends on the
 * key type (rsa_pub_key, ecdsa_pub_key, ecdsap384_pub_key or ed25519_pub_key); this finds
 * whichever one was linked in. */
#ifndef DFUBOOT_IMAGE_BUILTIN_KEY_H
#define DFUBOOT_IMAGE_BUILTIN_KEY_H

#include "image/image_validate.h"

/* Fills `key`; DFB_ENOENT if no generated key source was linked. */
int image_builtin_key(struct image_key *key);

#endif
