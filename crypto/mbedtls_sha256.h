/* SHA-256 of struct image_crypto over mbedTLS 2.28, shared by both crypto
 * adapters (crypto_host.c, crypto_target.c). Header-only: each adapter is
 * one translation unit that the footprint bench measures alone, and this
 * glue is part of it. The mbedTLS context lives in the caller's
 * struct image_sha256_ctx. */
#ifndef DFUBOOT_CRYPTO_MBEDTLS_SHA256_H
#define DFUBOOT_CRYPTO_MBEDTLS_SHA256_H

#include <mbedtls/sha256.h>

#include "common/errors.h"
#include "image/image_validate.h"

_Static_assert(sizeof(mbedtls_sha256_context) <= IMAGE_SHA256_CTX_SIZE, "SHA-256 context too large");

static inline mbedtls_sha256_context *mbedtls_glue_sha256_ctx(struct image_sha256_ctx *ctx)
{
    return (mbedtls_sha256_context *)(void *)ctx->u.bytes;
}

static inline int mbedtls_glue_sha256_init(struct image_sha256_ctx *ctx)
{
    mbedtls_sha256_init(mbedtls_glue_sha256_ctx(ctx));
    return mbedtls_sha256_starts_ret(mbedtls_glue_sha256_ctx(ctx), 0) == 0 ? DFB_OK : DFB_EIO;
}

static inline int mbedtls_glue_sha256_update(struct image_sha256_ctx *ctx, const void *data, size_t len)
{
    return mbedtls_sha256_update_ret(mbedtls_glue_sha256_ctx(ctx), data, len) == 0 ? DFB_OK : DFB_EIO;
}

static inline int mbedtls_glue_sha256_finish(struct image_sha256_ctx *ctx, uint8_t digest[IMAGE_SHA256_SIZE])
{
    int rc = mbedtls_sha256_finish_ret(mbedtls_glue_sha256_ctx(ctx), digest);

    mbedtls_sha256_free(mbedtls_glue_sha256_ctx(ctx));
    return rc == 0 ? DFB_OK : DFB_EIO;
}

#endif
