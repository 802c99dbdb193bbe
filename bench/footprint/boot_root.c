/* Footprint root for the bootloader (Cortex-M4 link with --gc-sections from
 * bench_root): boot_go() with image_validate() as its validator, over a
 * flash device whose driver is this file's stubs, as a bootloader's main
 * would wire it (boot_image_validate() is the validator, as in the
 * bootloader sample). The build options of common/config.h apply. Without BENCH_CRYPTO the crypto adapter is stubs here
 * (crypto excluded from the figures, as in the MCUboot anchor); with it,
 * crypto/crypto_host.c over mbedTLS is linked (libsodium stubbed: Ed25519 is
 * not counted). The jump and the log sink are stubs too. */
#include "boot/boot.h"
#include "boot/boot_image.h"
#include "common/config.h"
#include "image/image_validate.h"
#ifdef BENCH_CRYPTO
#include "crypto/crypto.h"
#endif

static int drv_read(void *ctx, uint32_t off, void *buf, uint32_t len)
{
    (void)ctx;
    (void)off;
    (void)buf;
    return (int)len;
}

static int drv_write(void *ctx, uint32_t off, const void *buf, uint32_t len)
{
    (void)ctx;
    (void)off;
    (void)buf;
    return (int)len;
}

static int drv_erase(void *ctx, uint32_t off, uint32_t len)
{
    (void)ctx;
    (void)off;
    return (int)len;
}

static const struct flash_dev_ops drv = { drv_read, drv_write, drv_erase, 0, 0 };
static const struct flash_sector_range range = { 4096, 256 };
static const struct flash_geometry geo = { 0x100000, 4, 0xff, &range, 1, 0 };
static const struct flash_dev dev = { &drv, 0, &geo };
static const struct flash_area primary = { &dev, "slot0", 0xc000, 0x76000 };
static const struct flash_area secondary = { &dev, "slot1", 0x82000, 0x76000 };

#ifndef BENCH_CRYPTO
static int h_init(struct image_sha256_ctx *ctx)
{
    return ctx->u.bytes[0];
}

static int h_update(struct image_sha256_ctx *ctx, const void *data, size_t len)
{
    (void)data;
    return ctx->u.bytes[0] + (int)len;
}

static int h_finish(struct image_sha256_ctx *ctx, uint8_t digest[IMAGE_SHA256_SIZE])
{
    return ctx->u.bytes[0] + digest[0];
}

static int h_sig(const uint8_t *key, size_t key_len, const uint8_t digest[IMAGE_SHA256_SIZE], const uint8_t *sig,
                 size_t sig_len)
{
    return key[0] + digest[0] + sig[0] + (int)(key_len + sig_len);
}

static int h_ed(const uint8_t *key, size_t key_len, const uint8_t *msg, size_t msg_len, const uint8_t sig[64])
{
    return key[0] + msg[0] + sig[0] + (int)(key_len + msg_len);
}

/* Stubs for the algorithms the build selects (common/config.h). */
static const struct image_crypto stub_crypto = {
    .sha256_init = h_init,
    .sha256_update = h_update,
    .sha256_finish = h_finish,
    .rsa_pss_verify = CONFIG_DFUBOOT_SIG_RSA ? h_sig : 0,
    .ecdsa_p256_verify = CONFIG_DFUBOOT_SIG_ECDSA_P256 ? h_sig : 0,
    .ed25519_verify = CONFIG_DFUBOOT_SIG_ED25519 ? h_ed : 0,
    .ecdsa_p384_verify = CONFIG_DFUBOOT_SIG_ECDSA_P384 ? h_sig : 0,
};
#define CRYPTO (&stub_crypto)
#else
#define CRYPTO crypto_adapter()
/* libsodium is not built for the target: Ed25519 stays out of the figures. */
int sodium_init(void);
int crypto_sign_verify_detached(const unsigned char *sig, const unsigned char *m, unsigned long long mlen,
                                const unsigned char *pk);
int sodium_init(void)
{
    return 0;
}
int crypto_sign_verify_detached(const unsigned char *sig, const unsigned char *m, unsigned long long mlen,
                                const unsigned char *pk)
{
    return sig[0] + m[0] + pk[0] + (int)mlen;
}
#endif

extern const uint8_t bench_key[270];
const uint8_t bench_key[270] = { 0x30 };
static const struct image_key key = { CONFIG_DFUBOOT_SIG_RSA          ? IMAGE_KEY_RSA2048
                                      : CONFIG_DFUBOOT_SIG_ECDSA_P256 ? IMAGE_KEY_ECDSA_P256
                                                                      : IMAGE_KEY_ED25519,
                                      bench_key, sizeof(bench_key) };

static void jump(void *ctx, uint32_t image_off, uint32_t hdr_size, uint32_t img_size)
{
    (void)ctx;
    (void)image_off;
    (void)hdr_size;
    (void)img_size;
}

static void vlog(void *ctx, enum sys_log_level level, const char *fmt, va_list ap)
{
    (void)ctx;
    (void)level;
    (void)fmt;
    (void)ap;
}

void bench_root(void);
void bench_root(void)
{
    struct image_validate_cfg vcfg = { .crypto = CRYPTO, .keys = &key, .key_count = 1, .match = IMAGE_MATCH_KEYHASH };
    struct boot_image_ops ops = { boot_image_validate, &vcfg };
    struct sys_ops sys = { vlog, 0, 0, jump, 0 };
    struct boot_config cfg = { { &primary, &secondary, 0 }, &ops, &sys, 0, 0, 0 };

    for (;;)
        (void)boot_main(&cfg);
}
