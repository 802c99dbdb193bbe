/* Stub definitions for sodium.h here: Ed25519 is not part of the footprint
 * and heap figures (libsodium is not cross-built). */
#include "sodium.h"

int sodium_init(void)
{
    return 0;
}

int crypto_sign_verify_detached(const unsigned char *sig, const unsigned char *m, unsigned long long mlen,
                                const unsigned char *pk)
{
    return sig[0] + m[0] + pk[0] + (int)mlen;
}
