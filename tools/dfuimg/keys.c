/* Key handling for dfuimg. See keys.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/asn1.h>
#include <mbedtls/asn1write.h>
#include <mbedtls/base64.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/oid.h>
#include <mbedtls/pem.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/rsa.h>
#include <sodium.h>

#include "keys.h"

static const uint8_t ed25519_oid[] = { 0x2b, 0x65, 0x70 }; /* 1.3.101.112 */
static const uint8_t ed25519_spki_prefix[12] = { 0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
                                                 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00 };

static mbedtls_ctr_drbg_context drbg;
static mbedtls_entropy_context entropy;
static bool drbg_ready;

static int rng(void *ctx, unsigned char *out, size_t len)
{
    (void)ctx;
    if (!drbg_ready) {
        mbedtls_entropy_init(&entropy);
        mbedtls_ctr_drbg_init(&drbg);
        if (mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, (const unsigned char *)"dfuimg", 6))
            return -1;
        drbg_ready = true;
    }
    return mbedtls_ctr_drbg_random(&drbg, out, len);
}

static void seterr(char *err, size_t n, const char *fmt, const char *a)
{
    snprintf(err, n, fmt, a);
}

uint8_t *file_read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    long n;

    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
        fclose(f);
        return NULL;
    }
    buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    buf[n] = 0;
    *len = (size_t)n;
    return buf;
}

/* Ed25519 from DER: PKCS#8 PrivateKeyInfo or SubjectPublicKeyInfo.
 * Returns 1 if it was an Ed25519 key, 0 if not, -1 if malformed. */
static int ed25519_from_der(const uint8_t *der, size_t len, struct dkey *k)
{
    unsigned char *p = (unsigned char *)der;
    const unsigned char *end = der + len;
    size_t l;
    int ver;
    mbedtls_asn1_buf alg, params;

    if (mbedtls_asn1_get_tag(&p, end, &l, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE))
        return 0;
    end = p + l;
    if (*p == MBEDTLS_ASN1_INTEGER) { /* PKCS#8 */
        if (mbedtls_asn1_get_int(&p, end, &ver) || (ver != 0 && ver != 1))
            return 0;
        if (mbedtls_asn1_get_alg(&p, end, &alg, &params))
            return 0;
        if (alg.len != sizeof(ed25519_oid) || memcmp(alg.p, ed25519_oid, alg.len))
            return 0;
        if (mbedtls_asn1_get_tag(&p, end, &l, MBEDTLS_ASN1_OCTET_STRING))
            return -1;
        if (mbedtls_asn1_get_tag(&p, p + l, &l, MBEDTLS_ASN1_OCTET_STRING) || l != 32)
            return -1;
        if (sodium_init() < 0 || crypto_sign_seed_keypair(k->ed_pk, k->ed_sk, p))
            return -1;
        k->has_private = true;
    } else {
        if (mbedtls_asn1_get_alg(&p, end, &alg, &params))
            return 0;
        if (alg.len != sizeof(ed25519_oid) || memcmp(alg.p, ed25519_oid, alg.len))
            return 0;
        if (mbedtls_asn1_get_tag(&p, end, &l, MBEDTLS_ASN1_BIT_STRING) || l != 33 || p[0] != 0)
            return -1;
        memcpy(k->ed_pk, p + 1, 32);
        k->has_private = false;
    }
    k->type = IMAGE_KEY_ED25519;
    return 1;
}

int key_load(const char *path, struct dkey *k, char *err, size_t errlen)
{
    size_t len, der_len;
    uint8_t *buf = file_read_all(path, &len);
    const uint8_t *der = buf;
    mbedtls_pem_context pem;
    int rc;

    memset(k, 0, sizeof(*k));
    mbedtls_pk_init(&k->pk);
    if (!buf) {
        seterr(err, errlen, "cannot read key file %s", path);
        return -1;
    }
    /* Ed25519 is not known to mbedTLS 2.28: find its DER ourselves. */
    mbedtls_pem_init(&pem);
    der_len = len;
    if (strstr((char *)buf, "-----BEGIN PRIVATE KEY-----")) {
        rc = mbedtls_pem_read_buffer(&pem, "-----BEGIN PRIVATE KEY-----", "-----END PRIVATE KEY-----", buf, NULL, 0,
                                     &der_len);
        der = rc == 0 ? pem.buf : NULL;
        der_len = rc == 0 ? pem.buflen : 0;
    } else if (strstr((char *)buf, "-----BEGIN PUBLIC KEY-----")) {
        rc = mbedtls_pem_read_buffer(&pem, "-----BEGIN PUBLIC KEY-----", "-----END PUBLIC KEY-----", buf, NULL, 0,
                                     &der_len);
        der = rc == 0 ? pem.buf : NULL;
        der_len = rc == 0 ? pem.buflen : 0;
    }
    if (der) {
        rc = ed25519_from_der(der, der_len, k);
        if (rc != 0) {
            mbedtls_pem_free(&pem);
            free(buf);
            if (rc < 0)
                seterr(err, errlen, "malformed Ed25519 key in %s", path);
            return rc > 0 ? 0 : -1;
        }
    }
    mbedtls_pem_free(&pem);

    /* PEM parsing in mbedTLS wants the terminating NUL counted. */
    rc = mbedtls_pk_parse_key(&k->pk, buf, len + 1, NULL, 0);
    k->has_private = rc == 0;
    if (rc != 0) {
        mbedtls_pk_free(&k->pk);
        mbedtls_pk_init(&k->pk);
        rc = mbedtls_pk_parse_public_key(&k->pk, buf, len + 1);
    }
    free(buf);
    if (rc != 0) {
        seterr(err, errlen, "cannot parse key %s (not an RSA, EC P-256 or Ed25519 PEM key)", path);
        return -1;
    }
    if (mbedtls_pk_get_type(&k->pk) == MBEDTLS_PK_RSA) {
        size_t bits = mbedtls_pk_get_bitlen(&k->pk);
        if (bits == 2048)
            k->type = IMAGE_KEY_RSA2048;
        else if (bits == 3072)
            k->type = IMAGE_KEY_RSA3072;
        else {
            seterr(err, errlen, "unsupported RSA key size in %s (2048 or 3072 bits only)", path);
            return -1;
        }
    } else if (mbedtls_pk_get_type(&k->pk) == MBEDTLS_PK_ECKEY &&
               mbedtls_pk_ec(k->pk)->grp.id == MBEDTLS_ECP_DP_SECP256R1) {
        k->type = IMAGE_KEY_ECDSA_P256;
    } else {
        seterr(err, errlen, "unsupported key type in %s (RSA-2048/3072, EC P-256 or Ed25519 only)", path);
        return -1;
    }
    return 0;
}

void key_free(struct dkey *k)
{
    mbedtls_pk_free(&k->pk);
    sodium_memzero(k->ed_sk, sizeof(k->ed_sk));
}

int key_public_bytes(const struct dkey *k, uint8_t *out, size_t cap)
{
    uint8_t tmp[2048];
    unsigned char *p = tmp + sizeof(tmp);
    int n;

    if (k->type == IMAGE_KEY_ED25519)
        return key_spki(k, out, cap);
    if (k->type == IMAGE_KEY_ECDSA_P256)
        return key_spki(k, out, cap);
    /* RSA: the bare RSAPublicKey (pk_write_pubkey writes backwards). */
    n = mbedtls_pk_write_pubkey(&p, tmp, &k->pk);
    if (n <= 0 || (size_t)n > cap)
        return -1;
    memcpy(out, p, (size_t)n);
    return n;
}

int key_spki(const struct dkey *k, uint8_t *out, size_t cap)
{
    uint8_t tmp[2048];
    int n;

    if (k->type == IMAGE_KEY_ED25519) {
        if (cap < 44)
            return -1;
        memcpy(out, ed25519_spki_prefix, 12);
        memcpy(out + 12, k->ed_pk, 32);
        return 44;
    }
    n = mbedtls_pk_write_pubkey_der((mbedtls_pk_context *)&k->pk, tmp, sizeof(tmp));
    if (n <= 0 || (size_t)n > cap)
        return -1;
    memcpy(out, tmp + sizeof(tmp) - n, (size_t)n);
    return n;
}

int key_sign(struct dkey *k, const uint8_t digest[32], uint8_t *sig, size_t cap)
{
    size_t len = 0;

    if (!k->has_private)
        return -1;
    switch (k->type) {
    case IMAGE_KEY_RSA2048:
    case IMAGE_KEY_RSA3072: {
        mbedtls_rsa_context *rsa = mbedtls_pk_rsa(k->pk);
        len = mbedtls_rsa_get_len(rsa);
        if (len > cap)
            return -1;
        mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V21, MBEDTLS_MD_SHA256);
        if (mbedtls_rsa_rsassa_pss_sign_ext(rsa, rng, NULL, MBEDTLS_MD_SHA256, 32, digest, 32, sig))
            return -1;
        return (int)len;
    }
    case IMAGE_KEY_ECDSA_P256:
        if (cap < MBEDTLS_ECDSA_MAX_LEN)
            return -1;
        if (mbedtls_pk_sign(&k->pk, MBEDTLS_MD_SHA256, digest, 32, sig, &len, rng, NULL))
            return -1;
        return (int)len;
    case IMAGE_KEY_ED25519:
        if (cap < 64)
            return -1;
        if (crypto_sign_detached(sig, NULL, digest, 32, k->ed_sk))
            return -1;
        return 64;
    }
    return -1;
}

const char *key_c_prefix(const struct dkey *k)
{
    switch (k->type) {
    case IMAGE_KEY_RSA2048:
    case IMAGE_KEY_RSA3072:
        return "rsa";
    case IMAGE_KEY_ECDSA_P256:
        return "ecdsa";
    case IMAGE_KEY_ED25519:
        return "ed25519";
    }
    return "unknown";
}

const char *key_type_name(enum image_key_type t)
{
    switch (t) {
    case IMAGE_KEY_RSA2048:
        return "RSA-2048";
    case IMAGE_KEY_RSA3072:
        return "RSA-3072";
    case IMAGE_KEY_ECDSA_P256:
        return "ECDSA-P256";
    case IMAGE_KEY_ED25519:
        return "ED25519";
    }
    return "unknown";
}

/* PKCS#8 PrivateKeyInfo around an inner private key DER, written
 * backwards into [start, *p) as mbedTLS' asn1write helpers do. */
static int write_pkcs8(unsigned char **p, unsigned char *start, const uint8_t *inner, size_t inner_len,
                       const char *oid, size_t oid_len, const char *param_oid, size_t param_len)
{
    int len = 0, r, alg_len = 0;

#define W(x)                                                                                                       \
    do {                                                                                                           \
        if ((r = (x)) < 0)                                                                                         \
            return r;                                                                                              \
        len += r;                                                                                                  \
    } while (0)
    W(mbedtls_asn1_write_octet_string(p, start, inner, inner_len));
    if (param_oid) {
        if ((r = mbedtls_asn1_write_oid(p, start, param_oid, param_len)) < 0)
            return r;
        alg_len += r;
    } else {
        if ((r = mbedtls_asn1_write_null(p, start)) < 0)
            return r;
        alg_len += r;
    }
    if ((r = mbedtls_asn1_write_oid(p, start, oid, oid_len)) < 0)
        return r;
    alg_len += r;
    if ((r = mbedtls_asn1_write_len(p, start, (size_t)alg_len)) < 0)
        return r;
    alg_len += r;
    if ((r = mbedtls_asn1_write_tag(p, start, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE)) < 0)
        return r;
    alg_len += r;
    len += alg_len;
    W(mbedtls_asn1_write_int(p, start, 0));
    W(mbedtls_asn1_write_len(p, start, (size_t)len));
    W(mbedtls_asn1_write_tag(p, start, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
#undef W
    return len;
}

int key_generate(const char *type, const char *path, char *err, size_t errlen)
{
    uint8_t inner[4096], outer[4096 + 64];
    unsigned char pem[8192];
    unsigned char *p = outer + sizeof(outer);
    size_t olen;
    int n = -1, inner_len;
    FILE *f;

    if (!strcmp(type, "ed25519")) {
        static const uint8_t prefix[16] = { 0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06,
                                            0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20 };
        if (sodium_init() < 0)
            return -1;
        memcpy(outer, prefix, 16);
        randombytes_buf(outer + 16, 32);
        p = outer;
        n = 48;
    } else {
        mbedtls_pk_context pk;
        mbedtls_pk_init(&pk);
        if (!strcmp(type, "rsa-2048") || !strcmp(type, "rsa-3072")) {
            unsigned bits = !strcmp(type, "rsa-2048") ? 2048 : 3072;
            if (mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA)) ||
                mbedtls_rsa_gen_key(mbedtls_pk_rsa(pk), rng, NULL, bits, 65537))
                n = -1;
            else if ((inner_len = mbedtls_pk_write_key_der(&pk, inner, sizeof(inner))) > 0)
                n = write_pkcs8(&p, outer, inner + sizeof(inner) - inner_len, (size_t)inner_len,
                                MBEDTLS_OID_PKCS1_RSA, MBEDTLS_OID_SIZE(MBEDTLS_OID_PKCS1_RSA), NULL, 0);
        } else if (!strcmp(type, "ecdsa-p256")) {
            if (mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) ||
                mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(pk), rng, NULL))
                n = -1;
            else if ((inner_len = mbedtls_pk_write_key_der(&pk, inner, sizeof(inner))) > 0)
                n = write_pkcs8(&p, outer, inner + sizeof(inner) - inner_len, (size_t)inner_len,
                                MBEDTLS_OID_EC_ALG_UNRESTRICTED, MBEDTLS_OID_SIZE(MBEDTLS_OID_EC_ALG_UNRESTRICTED),
                                MBEDTLS_OID_EC_GRP_SECP256R1, MBEDTLS_OID_SIZE(MBEDTLS_OID_EC_GRP_SECP256R1));
        } else {
            mbedtls_pk_free(&pk);
            seterr(err, errlen, "unsupported key type '%s' (rsa-2048, rsa-3072, ecdsa-p256, ed25519)", type);
            return -1;
        }
        mbedtls_pk_free(&pk);
        mbedtls_platform_zeroize(inner, sizeof(inner));
    }
    if (n <= 0) {
        seterr(err, errlen, "key generation failed for %s", type);
        return -1;
    }
    if (mbedtls_pem_write_buffer("-----BEGIN PRIVATE KEY-----\n", "-----END PRIVATE KEY-----\n", p, (size_t)n, pem,
                                 sizeof(pem), &olen)) {
        seterr(err, errlen, "cannot encode %s key as PEM", type);
        return -1;
    }
    mbedtls_platform_zeroize(outer, sizeof(outer));
    f = fopen(path, "wb");
    if (!f || fwrite(pem, 1, olen - 1, f) != olen - 1 || fclose(f)) {
        seterr(err, errlen, "cannot write %s", path);
        return -1;
    }
    return 0;
}
