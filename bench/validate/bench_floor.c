/* The floor for image validation: the least a program can do to check the
 * same image with the same libraries. It hashes the same bytes (header,
 * body, protected TLVs) with mbedTLS's SHA-256, copying them through a
 * buffer of CHUNK bytes (default 1024) as a flash read would, compares the
 * digest with the SHA256 TLV and does one signature verification with the
 * same library calls as the host crypto adapter (mbedTLS RSA-PSS / ECDSA
 * P-256, libsodium Ed25519, including sodium_init). CHUNK 0 is the lower
 * floor: the bytes hashed in place, one update call, no copy at all (what a
 * part with memory-mapped flash could do).
 *
 *   bench_floor IMAGE PUBKEY.der rsa2048|ecdsa-p256|ed25519 [CHUNK]
 *
 * Locating the TLVs is done before the measured function floor_run();
 * measure with valgrind --tool=callgrind --toggle-collect=floor_run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/asn1.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>
#include <mbedtls/sha256.h>
#include <sodium.h>

#include "bench/validate/bench_file.h"

enum alg { ALG_RSA, ALG_EC, ALG_ED };

struct job {
    const uint8_t *img;
    size_t hashed;
    size_t chunk;
    enum alg alg;
    const uint8_t *key;
    size_t key_len;
    const uint8_t *hash_tlv; /* 32 bytes */
    const uint8_t *sig;
    size_t sig_len;
};

static uint32_t le16(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
    return le16(p) | (le16(p + 2) << 16);
}

__attribute__((noinline)) static int rsa_verify(const struct job *j, const uint8_t digest[32])
{
    unsigned char *p = (unsigned char *)j->key;
    const unsigned char *end = j->key + j->key_len;
    size_t len, n_len, e_len;
    const unsigned char *n, *e;
    mbedtls_rsa_context rsa;
    int rc = -1;

    mbedtls_rsa_init(&rsa, MBEDTLS_RSA_PKCS_V21, MBEDTLS_MD_SHA256);
    if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0 ||
        mbedtls_asn1_get_tag(&p, end, &n_len, MBEDTLS_ASN1_INTEGER) != 0)
        goto out;
    n = p;
    p += n_len;
    if (mbedtls_asn1_get_tag(&p, end, &e_len, MBEDTLS_ASN1_INTEGER) != 0)
        goto out;
    e = p;
    if (mbedtls_rsa_import_raw(&rsa, n, n_len, NULL, 0, NULL, 0, NULL, 0, e, e_len) != 0 ||
        mbedtls_rsa_complete(&rsa) != 0)
        goto out;
    rc = mbedtls_rsa_rsassa_pss_verify_ext(&rsa, NULL, NULL, MBEDTLS_RSA_PUBLIC, MBEDTLS_MD_SHA256, 32, digest,
                                           MBEDTLS_MD_SHA256, 32, j->sig);
out:
    mbedtls_rsa_free(&rsa);
    return rc;
}

__attribute__((noinline)) static int ec_verify(const struct job *j, const uint8_t digest[32])
{
    mbedtls_pk_context pk;
    size_t sig_len = j->sig_len;
    int rc;

    if (sig_len >= 2 && j->sig[1] < 0x80 && (size_t)j->sig[1] + 2 < sig_len)
        sig_len = (size_t)j->sig[1] + 2; /* imgtool pads the DER signature with zeros */
    mbedtls_pk_init(&pk);
    rc = mbedtls_pk_parse_public_key(&pk, j->key, j->key_len);
    if (rc == 0)
        rc = mbedtls_pk_verify(&pk, MBEDTLS_MD_SHA256, digest, 32, j->sig, sig_len);
    mbedtls_pk_free(&pk);
    return rc;
}

__attribute__((noinline)) static int ed_verify(const struct job *j, const uint8_t digest[32])
{
    if (j->key_len != 44 || sodium_init() < 0)
        return -1;
    return crypto_sign_verify_detached(j->sig, digest, 32, j->key + 12);
}

/* The floor's "flash read": a copy into the chunk buffer, kept out of line
 * so its cost shows apart in the profile. */
__attribute__((noinline)) void floor_read(uint8_t *dst, const uint8_t *src, size_t n);
__attribute__((noinline)) void floor_read(uint8_t *dst, const uint8_t *src, size_t n)
{
    memcpy(dst, src, n);
}

/* The measured part. */
__attribute__((noinline)) int floor_run(const struct job *j);
__attribute__((noinline)) int floor_run(const struct job *j)
{
    static uint8_t buf[65536];
    mbedtls_sha256_context ctx;
    uint8_t digest[32];
    size_t off = 0;

    mbedtls_sha256_init(&ctx);
    mbedtls_sha256_starts_ret(&ctx, 0);
    if (j->chunk == 0)
        mbedtls_sha256_update_ret(&ctx, j->img, j->hashed);
    while (j->chunk != 0 && off < j->hashed) {
        size_t n = j->hashed - off < j->chunk ? j->hashed - off : j->chunk;

        floor_read(buf, j->img + off, n);
        mbedtls_sha256_update_ret(&ctx, buf, n);
        off += n;
    }
    mbedtls_sha256_finish_ret(&ctx, digest);
    mbedtls_sha256_free(&ctx);
    if (memcmp(digest, j->hash_tlv, 32) != 0)
        return -2;
    switch (j->alg) {
    case ALG_RSA:
        return rsa_verify(j, digest);
    case ALG_EC:
        return ec_verify(j, digest);
    default:
        return ed_verify(j, digest);
    }
}

int main(int argc, char **argv)
{
    struct job j;
    size_t img_len, key_len, off, end;
    uint8_t *img, *key;
    uint32_t hdr_size, img_size, prot;
    uint16_t want;
    int rc;

    if (argc < 4) {
        fprintf(stderr, "usage: %s IMAGE PUBKEY.der rsa2048|ecdsa-p256|ed25519 [CHUNK]\n", argv[0]);
        return 2;
    }
    memset(&j, 0, sizeof(j));
    img = bench_read_file(argv[1], &img_len);
    key = bench_read_file(argv[2], &key_len);
    if (img == 0 || key == 0 || img_len < 32)
        return 1;
    j.chunk = argc > 4 ? strtoul(argv[4], 0, 0) : 1024;
    if (j.chunk > 65536)
        return 2;
    if (strcmp(argv[3], "rsa2048") == 0) {
        j.alg = ALG_RSA;
        want = 0x20;
    } else if (strcmp(argv[3], "ecdsa-p256") == 0) {
        j.alg = ALG_EC;
        want = 0x22;
    } else if (strcmp(argv[3], "ed25519") == 0) {
        j.alg = ALG_ED;
        want = 0x24;
    } else {
        return 2;
    }
    /* Header and TLV layout (trusted input: the image dfuimg just wrote). */
    hdr_size = le16(img + 8);
    prot = le16(img + 10);
    img_size = le32(img + 12);
    j.img = img;
    j.key = key;
    j.key_len = key_len;
    j.hashed = (size_t)hdr_size + img_size + prot;
    off = j.hashed + 4;
    if (off > img_len)
        return 1;
    end = j.hashed + le16(img + j.hashed + 2);
    while (off + 4 <= end && end <= img_len) {
        uint16_t type = (uint16_t)le16(img + off), len = (uint16_t)le16(img + off + 2);

        if (type == 0x10 && len == 32)
            j.hash_tlv = img + off + 4;
        if (type == want) {
            j.sig = img + off + 4;
            j.sig_len = len;
        }
        off += 4u + len;
    }
    if (j.hash_tlv == 0 || j.sig == 0) {
        fprintf(stderr, "no SHA256 or signature TLV\n");
        return 1;
    }
    rc = floor_run(&j);
    printf("chunk=%zu rc=%d hashed=%zu\n", j.chunk, rc, j.hashed);
    free(img);
    free(key);
    return rc == 0 ? 0 : 1;
}
