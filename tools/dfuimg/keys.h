/* Signing keys for dfuimg: PEM loading (PKCS#1, PKCS#8, SEC1, SPKI as
 * imgtool and OpenSSL write them, also passphrase-protected), generation,
 * public-key export in the form MCUboot embeds, private-key export, and
 * signing. RSA and ECDSA (P-256, P-384) through mbedTLS, Ed25519 through
 * libsodium. */
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

/* The whole file, NUL-terminated (not counted in *len); NULL on failure
 * with errno set. */
uint8_t *file_read_all(const char *path, size_t *len);

/* Loads a private or public key from a PEM (or DER) file. An encrypted key
 * (PKCS#8 "ENCRYPTED PRIVATE KEY", or legacy "Proc-Type: 4,ENCRYPTED") is
 * decrypted by mbedTLS with a passphrase asked on the terminal (standard
 * input without one). On failure returns -1 and writes a one-line reason
 * into err. */
int key_load(const char *path, struct dkey *k, char *err, size_t errlen);
void key_free(struct dkey *k);

/* Generates a key of `type` ("rsa-2048", "rsa-3072", "ecdsa-p256",
 * "ecdsa-p384", "ed25519") into a PKCS#8 PEM file; with a password, an
 * encrypted PKCS#8 (PBES2: PBKDF2-HMAC-SHA256, DES-EDE3-CBC, the scheme
 * mbedTLS 2.28 reads back). */
int key_generate(const char *type, const char *path, const char *password, char *err, size_t errlen);
/* Asks a new passphrase twice (imgtool's prompts); -1 with err set. */
int key_ask_new_passphrase(char *out, size_t cap, char *err, size_t errlen);

/* The private key DER: PKCS#8 (pkcs8) or the traditional form (RSA PKCS#1,
 * EC SEC1). Returns the length, -1 on failure, -2 if the key type has no
 * traditional form (Ed25519). */
int key_private_der(const struct dkey *k, bool pkcs8, uint8_t *out, size_t cap);

/* The public key bytes as MCUboot embeds them (RSA: PKCS#1 RSAPublicKey
 * DER; EC/Ed25519: SubjectPublicKeyInfo DER). Returns the length or -1. */
int key_public_bytes(const struct dkey *k, uint8_t *out, size_t cap);
/* SubjectPublicKeyInfo DER for every type (for -e pem). */
int key_spki(const struct dkey *k, uint8_t *out, size_t cap);

/* Signs the MCUboot way for the key's type; returns the signature length
 * or -1. `msg` is the image digest (RSA and P-256: SHA-256, P-384: SHA-384;
 * Ed25519: the digest, or the image's hashed region itself for --pure). */
int key_sign(struct dkey *k, const uint8_t *msg, size_t msg_len, uint8_t *sig, size_t cap);

/* Prefix for C names: rsa, ecdsa, ecdsap384, ed25519 (as imgtool's). */
const char *key_c_prefix(const struct dkey *k);
const char *key_type_name(enum image_key_type t);

#endif
