#include "image/builtin_key.h"

#include <stddef.h>

#include "common/errors.h"

/* Weak: only the array of the signing key's type is linked in. */
extern const unsigned char rsa_pub_key[] __attribute__((weak));
extern const unsigned int rsa_pub_key_len __attribute__((weak));
extern const unsigned char ecdsa_pub_key[] __attribute__((weak));
extern const unsigned int ecdsa_pub_key_len __attribute__((weak));
extern const unsigned char ecdsap384_pub_key[] __attribute__((weak));
extern const unsigned int ecdsap384_pub_key_len __attribute__((weak));
extern const unsigned char ed25519_pub_key[] __attribute__((weak));
extern const unsigned int ed25519_pub_key_len __attribute__((weak));

/* PKCS#1 RSAPublicKey DER is 270 bytes for RSA-2048 and 398 for RSA-3072. */
#define RSA2048_DER_MAX 300

int image_builtin_key(struct image_key *key)
{
    if (&rsa_pub_key_len != NULL) {
        key->type = rsa_pub_key_len > RSA2048_DER_MAX ? IMAGE_KEY_RSA3072 : IMAGE_KEY_RSA2048;
        key->der = rsa_pub_key;
        key->len = rsa_pub_key_len;
    } else if (&ecdsa_pub_key_len != NULL) {
        key->type = IMAGE_KEY_ECDSA_P256;
        key->der = ecdsa_pub_key;
        key->len = ecdsa_pub_key_len;
    } else if (&ecdsap384_pub_key_len != NULL) {
        key->type = IMAGE_KEY_ECDSA_P384;
        key->der = ecdsap384_pub_key;
        key->len = ecdsap384_pub_key_len;
    } else if (&ed25519_pub_key_len != NULL) {
        key->type = IMAGE_KEY_ED25519;
        key->der = ed25519_pub_key;
        key->len = ed25519_pub_key_len;
    } else {
        return DFB_ENOENT;
    }
    return DFB_OK;
}
