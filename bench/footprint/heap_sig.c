/* Peak heap of one signature check through the real crypto adapter
 * (crypto/crypto_host.c), built on the host against the same mbedTLS
 * sources and configuration as the Cortex-M4 footprint link
 * (bench/footprint/mbedtls_config_m4.h), with the build options of the
 * measured configuration. mbedTLS allocates its big numbers with calloc;
 * the link wraps calloc/free (-Wl,--wrap=calloc,--wrap=free) to count the
 * bytes requested and the blocks live at the peak.
 *
 *   heap_sig IMAGE PUBKEY.der rsa2048|ecdsa-p256
 *
 * The digest checked is the image's SHA256 TLV (validation compares it with
 * the computed hash before any signature check). Prints
 * "heap_peak=BYTES blocks=N rc=RC". Host limbs are 64-bit, Cortex-M4's
 * 32-bit: the numbers take the same bytes, rounding aside. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/validate/bench_file.h"
#include "crypto/crypto.h"

#define HDR 16u
#define TAG 0x68656170u

void *__real_calloc(size_t n, size_t size);
void __real_free(void *p);
void *__wrap_calloc(size_t n, size_t size);
void __wrap_free(void *p);

static size_t cur, peak, blocks, peak_blocks;

void *__wrap_calloc(size_t n, size_t size)
{
    size_t bytes = n * size;
    uint32_t *p;

    if (size != 0 && bytes / size != n)
        return 0;
    p = __real_calloc(1, bytes + HDR);
    if (p == 0)
        return 0;
    p[0] = TAG;
    memcpy(p + 2, &bytes, sizeof(bytes));
    cur += bytes;
    blocks++;
    if (cur > peak) {
        peak = cur;
        peak_blocks = blocks;
    }
    return (uint8_t *)p + HDR;
}

void __wrap_free(void *q)
{
    uint32_t *p;
    size_t bytes;

    if (q == 0)
        return;
    p = (uint32_t *)(void *)((uint8_t *)q - HDR);
    if (p[0] != TAG) { /* not from calloc (e.g. the file buffer) */
        __real_free(q);
        return;
    }
    memcpy(&bytes, p + 2, sizeof(bytes));
    cur -= bytes;
    blocks--;
    __real_free(p);
}

static uint32_t le16(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8);
}

int main(int argc, char **argv)
{
    const struct image_crypto *c = crypto_adapter();
    size_t img_len, key_len, off, end, hashed, sig_len = 0;
    const uint8_t *digest = 0, *sig = 0;
    uint8_t *img, *key;
    uint16_t want;
    int rc;

    if (argc != 4)
        return 2;
    img = bench_read_file(argv[1], &img_len);
    key = bench_read_file(argv[2], &key_len);
    if (img == 0 || key == 0 || img_len < 32)
        return 1;
    want = strcmp(argv[3], "rsa2048") == 0 ? 0x20 : 0x22;
    hashed = le16(img + 8) + (le16(img + 12) | (le16(img + 14) << 16)) + le16(img + 10);
    if (hashed + 4 > img_len)
        return 1;
    end = hashed + le16(img + hashed + 2);
    for (off = hashed + 4; off + 4 <= end && end <= img_len; off += 4 + le16(img + off + 2)) {
        if (le16(img + off) == 0x10 && le16(img + off + 2) == 32)
            digest = img + off + 4;
        if (le16(img + off) == want) {
            sig = img + off + 4;
            sig_len = le16(img + off + 2);
        }
    }
    if (digest == 0 || sig == 0)
        return 1;
    if (want == 0x20)
        rc = c->rsa_pss_verify ? c->rsa_pss_verify(key, key_len, digest, sig, sig_len) : -1;
    else
        rc = c->ecdsa_p256_verify ? c->ecdsa_p256_verify(key, key_len, digest, sig, sig_len) : -1;
    printf("heap_peak=%zu blocks=%zu rc=%d\n", peak, peak_blocks, rc);
    return rc == 0 ? 0 : 1;
}
