/* Silicon bench: the floor for validating the image in slot0, the least a
 * Thumb program can do to check the same image with the same mbedTLS build
 * (crypto/mbedtls_target_config.h): SHA-256 straight over the memory-mapped
 * flash, in place (one update call over the whole hashed region, no copy),
 * the digest compared with the SHA256 TLV, and one RSA-2048 PSS
 * verification with the calls the target adapter makes (key parsed, N and E
 * read, the verify).
 *
 * Built with FLOOR_COPY_CHUNK=C (silicon_bench_floor_copy), the hashed bytes
 * are first copied (memcpy) through a stack buffer of C bytes, C at a time,
 * as a flash driver's read does: the copy floor, which tells how much of the
 * difference to the in-place floor is the copy itself.
 *
 * Measured (between the markers, bench_mark.h): the hash, the compare and
 * the verification. Not measured: reset, startup, board_init(), the crypto
 * heap's set-up, locating the TLVs (done before), and the console lines. */
#include <stdint.h>
#include <string.h>

#include <mbedtls/asn1.h>
#include <mbedtls/bignum.h>
#include <mbedtls/memory_buffer_alloc.h>
#include <mbedtls/rsa.h>
#include <mbedtls/sha256.h>

#include "bench/silicon/firmware/bench_mark.h"
#include "common/errors.h"
#include "image/builtin_key.h"
#include "image/image.h"
#include "port/board.h"

#ifndef FLOOR_COPY_CHUNK
#define FLOOR_COPY_CHUNK 0 /* in place */
#endif

static unsigned char heap[5632] __attribute__((aligned(8))); /* as crypto/crypto_target.c */

struct floor_job {
    const uint8_t *image; /* slot0 in the memory-mapped flash */
    size_t hashed;
    const uint8_t *hash_tlv; /* 32 bytes */
    const uint8_t *sig;      /* 256 bytes */
    const uint8_t *key;      /* PKCS#1 RSAPublicKey DER */
    size_t key_len;
};

static uint32_t le16(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
    return le16(p) | (le16(p + 2) << 16);
}

/* The TLVs are found before the measurement, with no checks beyond what the
 * bench's own image needs (it is made by the bench script). */
static int locate(struct floor_job *j)
{
    const uint8_t *p = j->image;
    uint32_t tlv, end;

    if (le32(p) != IMAGE_MAGIC)
        return -1;
    j->hashed = le16(p + 8) + le32(p + 12) + le16(p + 10);
    tlv = (uint32_t)j->hashed;
    if (le16(p + tlv) != IMAGE_TLV_INFO_MAGIC)
        return -1;
    end = tlv + le16(p + tlv + 2);
    for (tlv += IMAGE_TLV_INFO_SIZE; tlv + IMAGE_TLV_HDR_SIZE <= end; tlv += IMAGE_TLV_HDR_SIZE + le16(p + tlv + 2)) {
        if (le16(p + tlv) == IMAGE_TLV_SHA256 && le16(p + tlv + 2) == 32)
            j->hash_tlv = p + tlv + IMAGE_TLV_HDR_SIZE;
        if (le16(p + tlv) == IMAGE_TLV_RSA2048_PSS && le16(p + tlv + 2) == 256)
            j->sig = p + tlv + IMAGE_TLV_HDR_SIZE;
    }
    return j->hash_tlv != 0 && j->sig != 0 ? 0 : -1;
}

static int rsa_verify(const struct floor_job *j, const uint8_t digest[32])
{
    unsigned char *p = (unsigned char *)j->key;
    const unsigned char *end = j->key + j->key_len;
    const unsigned char *n, *e;
    size_t len, n_len, e_len;
    mbedtls_rsa_context rsa;
    int rc = -1;

    if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0 ||
        mbedtls_asn1_get_tag(&p, end, &n_len, MBEDTLS_ASN1_INTEGER) != 0)
        return -1;
    n = p;
    p += n_len;
    if (mbedtls_asn1_get_tag(&p, end, &e_len, MBEDTLS_ASN1_INTEGER) != 0)
        return -1;
    e = p;
    mbedtls_rsa_init(&rsa, MBEDTLS_RSA_PKCS_V21, MBEDTLS_MD_SHA256);
    if (mbedtls_mpi_read_binary(&rsa.N, n, n_len) == 0 && mbedtls_mpi_read_binary(&rsa.E, e, e_len) == 0) {
        rsa.len = mbedtls_mpi_size(&rsa.N);
        rc = mbedtls_rsa_rsassa_pss_verify_ext(&rsa, NULL, NULL, MBEDTLS_RSA_PUBLIC, MBEDTLS_MD_SHA256, 32, digest,
                                               MBEDTLS_MD_SHA256, 32, j->sig);
    }
    mbedtls_rsa_free(&rsa);
    return rc;
}

static int floor_run(const struct floor_job *j)
{
    mbedtls_sha256_context sha;
    uint8_t digest[32];
    int rc;

    mbedtls_sha256_init(&sha);
    rc = mbedtls_sha256_starts_ret(&sha, 0);
#if FLOOR_COPY_CHUNK > 0
    for (size_t off = 0; rc == 0 && off < j->hashed; off += FLOOR_COPY_CHUNK) {
        uint8_t buf[FLOOR_COPY_CHUNK];
        size_t n = j->hashed - off < FLOOR_COPY_CHUNK ? j->hashed - off : FLOOR_COPY_CHUNK;

        memcpy(buf, j->image + off, n);
        rc = mbedtls_sha256_update_ret(&sha, buf, n);
    }
#else
    if (rc == 0)
        rc = mbedtls_sha256_update_ret(&sha, j->image, j->hashed);
#endif
    if (rc == 0)
        rc = mbedtls_sha256_finish_ret(&sha, digest);
    mbedtls_sha256_free(&sha);
    if (rc != 0 || memcmp(digest, j->hash_tlv, sizeof(digest)) != 0)
        return DFB_EHASH;
    return rsa_verify(j, digest) == 0 ? DFB_OK : DFB_ESIG;
}

int main(void)
{
    struct flash_area slot0;
    struct image_key key;
    struct floor_job job = { 0 };
    int rc;

    board_init();
    mbedtls_memory_buffer_alloc_init(heap, sizeof(heap));
    if (image_builtin_key(&key) != DFB_OK || key.type != IMAGE_KEY_RSA2048)
        board_halt("the floor needs a built-in RSA-2048 key");
    job.key = key.der;
    job.key_len = key.len;
    if (flash_area_open(board_flash(), board_layout(), FLASH_AREA_SLOT0, &slot0) != DFB_OK)
        board_halt("the flash layout has no slot0");
    job.image = (const uint8_t *)(uintptr_t)slot0.off; /* the flash is mapped at address 0 */
    if (locate(&job) != 0)
        board_halt("no RSA-2048 image in slot0");
    board_printf("bench: floor over slot0, %lu bytes hashed, copy chunk %u (0: in place)\n",
                 (unsigned long)job.hashed, (unsigned)FLOOR_COPY_CHUNK);

    bench_mark_begin();
    rc = floor_run(&job);
    bench_mark_end(rc);

    board_halt(rc == DFB_OK ? "bench done" : "bench failed");
}
