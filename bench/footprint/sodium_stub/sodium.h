/* Declarations only, so crypto/crypto_host.c builds for Cortex-M4 without
 * libsodium; the footprint root defines them as stubs (Ed25519 is not
 * counted). */
#ifndef BENCH_SODIUM_STUB_H
#define BENCH_SODIUM_STUB_H
int sodium_init(void);
int crypto_sign_verify_detached(const unsigned char *sig, const unsigned char *m, unsigned long long mlen,
                                const unsigned char *pk);
#endif
