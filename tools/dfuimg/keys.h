/* Signing keys for dfuimg: PEM loading (PKCS#1, PKCS#8, SEC1, SPKI as
 * imgtool and OpenSSL write them), generation, public-key export in the
 * form MCUboot embeds, and signing. RSA and ECDSA through mbedTLS, Ed25519
 * through libsodium. */
#ifndef DFUIMG_KEYS_H
#define DFUIMG_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mbedtls/pk.h>

#include "image/image_validate.h"

struct dkey {
    enum image_key_type type;
    bool has_private;
    mbedtls_pk_context pk;    /* RSA / EC */
    uint8_t ed_pk[32];        /* Ed25519 public key */
    uint8_t ed_sk[64];        /* Ed25519 secret key (seed || pk) */
};

/* The whole file, NUL-terminated (not counted in *len); NULL on failure. */
uint8_t *file_read_all(const char *path, size_t *len);

/* Loads a private or public key from a PEM (or DER) file. On failure
 * returns -1 and writes a one-line reason into err. */
int key_load(const char *path, struct dkey *k, char *err, size_t errlen);
void key_free(struct dkey *k);

/* Generates a key of `type` ("rsa-2048", "rsa-3072", "ecdsa-p256",
 * "ed25519") into a PKCS#8 PEM file. */
int key_generate(const char *type, const char *path, char *err, size_t errlen);

/* The public key bytes as MCUboot embeds them (RSA: PKCS#1 RSAPublicKey
 * DER; EC/Ed25519: SubjectPublicKeyInfo DER). Returns the length or -1. */
int key_public_bytes(const struct dkey *k, uint8_t *out, size_t cap);
/* SubjectPublicKeyInfo DER for every type (for -e pem). */
int key_spki(const struct dkey *k, uint8_t *out, size_t cap);

/* Signs a 32-byte image digest the MCUboot way for the key's type;
 * returns the signature length or -1. */
int key_sign(struct dkey *k, const uint8_t digest[32], uint8_t *sig, size_t cap);

/* Prefix for C names: rsa, ecdsa, ed25519. */
const char *key_c_prefix(const struct dkey *k);
const char *key_type_name(enum image_key_type t);

#endif
