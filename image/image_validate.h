/* Image validation: a hash over the hashed region (SHA-256, or SHA-384 /
 * SHA-512 as MCUboot's P-384 and pure-Ed25519 builds use) and a signature
 * checked with a built-in public key, reading the image through a flash area
 * in small chunks. Crypto comes from a caller-supplied ops struct, so the
 * portable core carries no crypto library; the host implementation (mbedTLS
 * + libsodium) is in crypto/crypto.h (library dfuboot_crypto).
 *
 * Key bytes are the ones MCUboot embeds: RSA = PKCS#1 RSAPublicKey DER,
 * ECDSA P-256/P-384 and Ed25519 = SubjectPublicKeyInfo DER. KEYHASH = the
 * image hash algorithm over those bytes; a PUBKEY TLV carries the bytes
 * themselves. */
#ifndef DFUBOOT_IMAGE_IMAGE_VALIDATE_H
#define DFUBOOT_IMAGE_IMAGE_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flash/flash_map.h"
#include "image/image.h"

/* Opaque storage for one streaming hash computation, SHA-256 or SHA-384/512
 * (the implementation checks that its context fits). */
#define IMAGE_SHA256_CTX_SIZE 256u
struct image_sha256_ctx {
    union {
        uint8_t bytes[IMAGE_SHA256_CTX_SIZE];
        uint64_t align_u64;
        void *align_ptr;
    } u;
};

/* The image hash algorithm of a build (MCUboot: SHA-256 by default,
 * SHA-384 with MCUBOOT_SIGN_EC384, SHA-512 with MCUBOOT_SIGN_PURE). */
enum image_hash_alg {
    IMAGE_HASH_SHA256 = 0, /* hash TLV 0x10, 32 bytes (the default: 0) */
    IMAGE_HASH_SHA384 = 1, /* hash TLV 0x11, 48 bytes */
    IMAGE_HASH_SHA512 = 2, /* hash TLV 0x12, 64 bytes */
};
#define IMAGE_HASH_MAX_SIZE 64u

/* Crypto adapter. Every function returns 0 on success; the verify
 * functions return DFB_ESIG for a bad signature (or a key of the wrong kind)
 * and DFB_EINVAL for unparsable key bytes. A verify member may be NULL when
 * the build does not support that algorithm (signatures of that type are then
 * treated as unsupported: DFB_ENOTSUP).
 *
 * Since the P-384 / pure-Ed25519 extension, three groups of members are
 * optional additions at the end (an adapter that leaves them NULL keeps
 * working; images that need them are refused with DFB_ENOTSUP):
 *   sha512_init/update/finish   SHA-384 (is384) and SHA-512, on the same
 *                               context storage as SHA-256;
 *   ecdsa_p384_verify           ECDSA P-384 over a 48-byte SHA-384 digest;
 *   ed25519_pure_verify         pure Ed25519 over a range of a flash area
 *                               (the message is the image itself, which the
 *                               core never holds in RAM).
 * Initialize it (and struct image_validate_cfg) with designated
 * initializers, so members added later start out NULL/0 without warnings. */
struct image_crypto {
    int (*sha256_init)(struct image_sha256_ctx *ctx);
    int (*sha256_update)(struct image_sha256_ctx *ctx, const void *data, size_t len);
    /* Writes the digest and releases the context. */
    int (*sha256_finish)(struct image_sha256_ctx *ctx, uint8_t digest[IMAGE_SHA256_SIZE]);
    /* RSASSA-PSS, SHA-256, MGF1-SHA-256, salt length 32; key = PKCS#1
     * RSAPublicKey DER; the modulus must be sig_len bytes long. */
    int (*rsa_pss_verify)(const uint8_t *key, size_t key_len, const uint8_t digest[IMAGE_SHA256_SIZE],
                          const uint8_t *sig, size_t sig_len);
    /* ECDSA P-256 over the digest; key = SPKI DER; sig = ASN.1 DER (r, s),
     * trailing zero padding tolerated. */
    int (*ecdsa_p256_verify)(const uint8_t *key, size_t key_len, const uint8_t digest[IMAGE_SHA256_SIZE],
                             const uint8_t *sig, size_t sig_len);
    /* Ed25519 over `msg` (the 32-byte digest for MCUboot images); key = SPKI DER. */
    int (*ed25519_verify)(const uint8_t *key, size_t key_len, const uint8_t *msg, size_t msg_len,
                          const uint8_t sig[64]);
    /* Optional: SHA-512 (is384 false, 64-byte digest) or SHA-384 (is384
     * true, 48-byte digest). finish writes the digest and releases. */
    int (*sha512_init)(struct image_sha256_ctx *ctx, bool is384);
    int (*sha512_update)(struct image_sha256_ctx *ctx, const void *data, size_t len);
    int (*sha512_finish)(struct image_sha256_ctx *ctx, uint8_t *digest);
    /* Optional: ECDSA P-384 over a SHA-384 digest; key = SPKI DER; sig =
     * ASN.1 DER (r, s), trailing zero padding tolerated. */
    int (*ecdsa_p384_verify)(const uint8_t *key, size_t key_len, const uint8_t digest[48], const uint8_t *sig,
                             size_t sig_len);
    /* Optional: pure Ed25519 (RFC 8032 without prehash) whose message is
     * [off, off + len) of `fa`; key = SPKI DER. The adapter reads the bytes
     * itself (a target with memory-mapped flash can verify in place). */
    int (*ed25519_pure_verify)(const uint8_t *key, size_t key_len, const struct flash_area *fa, uint32_t off,
                               uint32_t len, const uint8_t sig[64]);
};

enum image_key_type {
    IMAGE_KEY_RSA2048 = 1,
    IMAGE_KEY_RSA3072 = 2,
    IMAGE_KEY_ECDSA_P256 = 3,
    IMAGE_KEY_ED25519 = 4,
    IMAGE_KEY_ECDSA_P384 = 5,
};

/* One built-in public key. */
struct image_key {
    enum image_key_type type;
    const uint8_t *der;
    uint32_t len;
};

/* How an image names its key. */
enum image_key_match {
    IMAGE_MATCH_KEYHASH, /* KEYHASH TLV = SHA-256 of a built-in key (MCUboot default) */
    IMAGE_MATCH_PUBKEY,  /* PUBKEY TLV whose SHA-256 equals a built-in key's
                            (MCUboot's MCUBOOT_HW_KEY with those hashes provisioned) */
    IMAGE_MATCH_EITHER,  /* both forms accepted */
};

struct image_validate_cfg {
    const struct image_crypto *crypto; /* sha256_* are required */
    const struct image_key *keys;      /* NULL / key_count 0: hash-only build */
    uint32_t key_count;
    enum image_key_match match;
    /* The build's image hash: the hash TLV an image must carry, and the
     * KEYHASH algorithm. 0 = SHA-256 (MCUboot's default build). SHA-384 goes
     * with P-384 keys; SHA-512 with pure Ed25519 (image_hash_alg_for_key). */
    enum image_hash_alg hash;
};

/* What validation found. Filled as far as validation got, so on failure
 * `reason` says why and the earlier fields stay meaningful. */
struct image_info {
    struct image_header hdr;
    struct image_layout lay;
    uint32_t total_size;        /* hdr + body + protected + unprotected TLVs */
    uint8_t hash[IMAGE_HASH_MAX_SIZE]; /* computed hash of the hashed region */
    uint32_t hash_len;          /* its length: 32, 48 or 64 */
    bool has_security_counter;  /* a protected SEC_CNT TLV is present */
    uint32_t security_counter;
    int key_index;              /* built-in key that verified the signature, or -1 */
    uint16_t sig_type;          /* TLV type of that signature, or 0 */
    const char *reason;         /* short text: "ok" or why validation failed
                                   (only "ok" / "invalid" when built with
                                   CONFIG_DFUBOOT_FAIL_REASONS 0) */
};

/* Validates the image at `off` of `fa`.
 *   - header and TLV layout as in image.h (DFB_ENOENT, DFB_EBADIMAGE,
 *     DFB_ERANGE, DFB_EOVERFLOW);
 *   - encrypted or compressed images (header flags, as MCUboot without
 *     MCUBOOT_ENC_IMAGES / MCUBOOT_DECOMPRESS_IMAGES): DFB_ENOTSUP, with the
 *     feature named in `reason`;
 *   - the hash TLV of cfg->hash must be present and equal the hash of
 *     [off, off + hdr_size + img_size + protect_tlv_size) (DFB_EHASH; an
 *     image that carries only another hash TLV: DFB_ENOTSUP, named; a hash
 *     the adapter lacks: DFB_ENOTSUP);
 *   - a protected SEC_CNT must be 4 bytes (DFB_EBADIMAGE);
 *   - with keys: as in MCUboot, a signature TLV is checked only with the key
 *     named by the KEYHASH/PUBKEY TLV before it, and the last checked
 *     signature decides. A key TLV naming no built-in key: DFB_ENOKEY; no
 *     checked signature or a bad one: DFB_ESIG. Signature TLVs of another
 *     algorithm than the named key's are skipped. ECDSA signs the image
 *     hash of the key's curve (P-256: SHA-256, P-384: SHA-384); with a
 *     SIG_PURE TLV an Ed25519 signature covers the hashed region itself
 *     (pure), otherwise the digest. A signature the adapter cannot check:
 *     DFB_ENOTSUP.
 *   - without keys: integrity only (signature TLVs are ignored).
 * Hashes the image in place when the flash driver maps it (flash_dev_ops
 * map: memory-mapped flash, no copy). Otherwise it reads in chunks of
 * IMAGE_VALIDATE_CHUNK bytes, a buffer on the stack: each flash read has a
 * fixed cost (about 130 instructions through the flash layer) plus the
 * copy, so 1 KiB chunks keep validation within about 0.7 % of hashing the
 * same bytes in place on a Cortex-M0 (docs/performance.md); stack use is
 * then about 2 KiB. A board short of stack can build with a smaller value
 * (e.g. -D...=256). */
#ifndef IMAGE_VALIDATE_CHUNK
#define IMAGE_VALIDATE_CHUNK 1024u
#endif
int image_validate(const struct image_validate_cfg *cfg, const struct flash_area *fa, uint32_t off,
                   struct image_info *info);

/* SHA-256 of the hashed region of the image described by `lay`/`hdr`. */
int image_hash_compute(const struct image_crypto *crypto, const struct flash_area *fa,
                       const struct image_layout *lay, uint8_t digest[IMAGE_SHA256_SIZE]);
/* The same with any algorithm; digest holds image_hash_size(alg) bytes. */
int image_hash_compute_alg(const struct image_crypto *crypto, enum image_hash_alg alg, const struct flash_area *fa,
                           const struct image_layout *lay, uint8_t *digest);

/* SHA-256 of a key's embedded bytes (the KEYHASH value of default builds). */
int image_key_hash(const struct image_crypto *crypto, const struct image_key *key,
                   uint8_t digest[IMAGE_SHA256_SIZE]);
/* The same with any algorithm (KEYHASH of P-384 / pure builds). */
int image_key_hash_alg(const struct image_crypto *crypto, enum image_hash_alg alg, const struct image_key *key,
                       uint8_t *digest);

/* The signature TLV type that goes with a key type (0 if none). */
uint16_t image_key_sig_tlv(enum image_key_type type);

/* Digest length of an algorithm (32, 48, 64), its hash TLV type, and the
 * algorithm a key type implies (P-384: SHA-384; Ed25519 with `pure`:
 * SHA-512; else SHA-256). */
uint32_t image_hash_size(enum image_hash_alg alg);
uint16_t image_hash_tlv(enum image_hash_alg alg);
enum image_hash_alg image_hash_alg_for_key(enum image_key_type type, bool pure);

#endif
