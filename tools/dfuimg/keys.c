/* Key handling for dfuimg. See keys.h. */
#define _DEFAULT_SOURCE /* getpass() */
#include <errno.h>
#include <fcntl.h>
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
#include <mbedtls/pkcs5.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/rsa.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

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

uint8_t *file_read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    uint8_t *buf;
    long n;
    int e;

    if (!f)
        return NULL;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        errno = EISDIR;
        return NULL;
    }
    /* no key or image is near 1 GiB */
    if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
        e = errno;
        fclose(f);
        errno = e;
        return NULL;
    }
    if (n > (1L << 30)) {
        fclose(f);
        errno = EFBIG;
        return NULL;
    }
    buf = malloc((size_t)n + 1);
    if (!buf) {
        fclose(f);
        errno = ENOMEM;
        return NULL;
    }
    if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
        e = ferror(f) ? errno : EIO;
        free(buf);
        fclose(f);
        errno = e ? e : EIO;
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

/* The passphrase of an encrypted key: asked on the terminal as imgtool
 * asks it; without a terminal, one line of standard input and no prompt
 * (so the error output stays one line per error). */
static int ask_passphrase(const char *prompt, char *out, size_t cap)
{
    char line[256];
    char *p;
    size_t n;
    int tty = open("/dev/tty", O_RDWR | O_NOCTTY);

    if (tty >= 0) {
        close(tty);
        p = getpass(prompt);
    } else {
        p = fgets(line, sizeof(line), stdin);
        if (p != NULL)
            p[strcspn(p, "\r\n")] = '\0';
    }
    if (p == NULL)
        return -1;
    n = strlen(p);
    if (n >= cap) {
        sodium_memzero(p, n);
        return -1;
    }
    memcpy(out, p, n + 1);
    sodium_memzero(p, n);
    sodium_memzero(line, sizeof(line));
    return 0;
}

/* Decrypts a PKCS#8 EncryptedPrivateKeyInfo whose scheme is PBES2 (the
 * form imgtool, OpenSSL and `dfuimg keygen -p` write) with mbedTLS.
 * Returns 0 with the plain PKCS#8 DER in out/out_len, 1 if the scheme is
 * not PBES2 (mbedtls_pk_parse_key then handles it), -1 with err set. */
static int pkcs8_decrypt(const uint8_t *der, size_t len, const char *pwd, uint8_t *out, size_t cap,
                         size_t *out_len, char *err, size_t errlen, const char *path)
{
    unsigned char *p = (unsigned char *)der;
    const unsigned char *end = der + len;
    mbedtls_asn1_buf alg, params;
    unsigned char *q;
    size_t l, data_len;
    int rc;

    if (mbedtls_asn1_get_tag(&p, end, &l, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) ||
        mbedtls_asn1_get_alg(&p, p + l, &alg, &params) ||
        mbedtls_asn1_get_tag(&p, end, &data_len, MBEDTLS_ASN1_OCTET_STRING)) {
        snprintf(err, errlen, "malformed encrypted key in %s", path);
        return -1;
    }
    if (MBEDTLS_OID_CMP(MBEDTLS_OID_PKCS5_PBES2, &alg) != 0)
        return 1;
    if (data_len > cap || data_len == 0) {
        snprintf(err, errlen, "encrypted key in %s is too large", path);
        return -1;
    }
    rc = mbedtls_pkcs5_pbes2(&params, MBEDTLS_PKCS5_DECRYPT, (const unsigned char *)pwd, strlen(pwd), p, data_len,
                             out);
    if (rc == MBEDTLS_ERR_PKCS5_FEATURE_UNAVAILABLE || rc == MBEDTLS_ERR_PKCS5_INVALID_FORMAT) {
        snprintf(err, errlen,
                 "the encryption of %s is not supported by mbedTLS 2.28 (it decrypts PBES2 with DES-EDE3-CBC, as "
                 "`dfuimg keygen -p` writes; re-encrypt with: openssl pkcs8 -topk8 -v2 des3)",
                 path);
        return -1;
    }
    /* a wrong passphrase shows as a padding error or as garbage */
    q = out;
    if (rc != 0 || mbedtls_asn1_get_tag(&q, out + data_len, &l, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE)) {
        snprintf(err, errlen, "wrong passphrase for %s", path);
        return -1;
    }
    *out_len = (size_t)(q - out) + l;
    return 0;
}

int key_load(const char *path, struct dkey *k, char *err, size_t errlen)
{
    size_t len, der_len;
    uint8_t *buf = file_read_all(path, &len);
    const uint8_t *der = buf;
    uint8_t *plain = NULL;
    size_t plain_len = 0;
    mbedtls_pem_context pem;
    char pwd[256] = "";
    bool encrypted = false;
    int rc;

    memset(k, 0, sizeof(*k));
    mbedtls_pk_init(&k->pk);
    if (!buf) {
        snprintf(err, errlen, "cannot read key file %s: %s", path, strerror(errno));
        return -1;
    }
    mbedtls_pem_init(&pem);
    der_len = len;
    if (strstr((char *)buf, "-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
        /* PKCS#8 encrypted: mbedTLS decrypts PBES2; Ed25519 (unknown to
         * mbedTLS 2.28) is then read from the plain DER like any other. */
        encrypted = true;
        rc = mbedtls_pem_read_buffer(&pem, "-----BEGIN ENCRYPTED PRIVATE KEY-----", "-----END ENCRYPTED PRIVATE KEY-----",
                                     buf, NULL, 0, &der_len);
        if (rc != 0) {
            snprintf(err, errlen, "malformed PEM in %s", path);
            goto fail;
        }
        if (ask_passphrase("Enter key passphrase: ", pwd, sizeof(pwd))) {
            snprintf(err, errlen, "%s is encrypted and no passphrase could be read", path);
            goto fail;
        }
        plain = malloc(pem.buflen);
        if (!plain) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
        rc = pkcs8_decrypt(pem.buf, pem.buflen, pwd, plain, pem.buflen, &plain_len, err, errlen, path);
        if (rc < 0)
            goto fail;
        der = rc == 0 ? plain : NULL;
        der_len = plain_len;
    } else if (strstr((char *)buf, "Proc-Type: 4,ENCRYPTED")) {
        encrypted = true;
        der = NULL; /* legacy OpenSSL PEM encryption: mbedTLS decrypts it below */
        if (ask_passphrase("Enter key passphrase: ", pwd, sizeof(pwd))) {
            snprintf(err, errlen, "%s is encrypted and no passphrase could be read", path);
            goto fail;
        }
    } else if (strstr((char *)buf, "-----BEGIN PRIVATE KEY-----")) {
        /* Ed25519 is not known to mbedTLS 2.28: find its DER ourselves. */
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
        if (rc < 0) {
            snprintf(err, errlen, "malformed Ed25519 key in %s", path);
            goto fail;
        }
        if (rc > 0)
            goto done;
    }

    if (plain) {
        rc = mbedtls_pk_parse_key(&k->pk, plain, plain_len, NULL, 0);
    } else {
        /* PEM parsing in mbedTLS wants the terminating NUL counted. */
        rc = mbedtls_pk_parse_key(&k->pk, buf, len + 1, encrypted ? (const unsigned char *)pwd : NULL,
                                  encrypted ? strlen(pwd) : 0);
        if (rc == MBEDTLS_ERR_PK_PASSWORD_MISMATCH) {
            snprintf(err, errlen, "wrong passphrase for %s", path);
            goto fail;
        }
        if (encrypted && rc != 0) {
            snprintf(err, errlen, "cannot decrypt %s with mbedTLS 2.28 (unsupported encryption or not a key)", path);
            goto fail;
        }
    }
    k->has_private = rc == 0;
    if (rc != 0 && !encrypted) {
        mbedtls_pk_free(&k->pk);
        mbedtls_pk_init(&k->pk);
        rc = mbedtls_pk_parse_public_key(&k->pk, buf, len + 1);
    }
    if (rc != 0) {
        snprintf(err, errlen, "cannot parse key %s (not an RSA, EC P-256/P-384 or Ed25519 PEM key)", path);
        goto fail;
    }
    if (mbedtls_pk_get_type(&k->pk) == MBEDTLS_PK_RSA) {
        size_t bits = mbedtls_pk_get_bitlen(&k->pk);
        if (bits == 2048)
            k->type = IMAGE_KEY_RSA2048;
        else if (bits == 3072)
            k->type = IMAGE_KEY_RSA3072;
        else {
            snprintf(err, errlen, "unsupported RSA key size in %s (2048 or 3072 bits only)", path);
            goto fail;
        }
    } else if (mbedtls_pk_get_type(&k->pk) == MBEDTLS_PK_ECKEY &&
               mbedtls_pk_ec(k->pk)->grp.id == MBEDTLS_ECP_DP_SECP256R1) {
        k->type = IMAGE_KEY_ECDSA_P256;
    } else if (mbedtls_pk_get_type(&k->pk) == MBEDTLS_PK_ECKEY &&
               mbedtls_pk_ec(k->pk)->grp.id == MBEDTLS_ECP_DP_SECP384R1) {
        k->type = IMAGE_KEY_ECDSA_P384;
    } else {
        snprintf(err, errlen, "unsupported key type in %s (RSA-2048/3072, EC P-256/P-384 or Ed25519 only)", path);
        goto fail;
    }
done:
    mbedtls_pem_free(&pem);
    if (plain) {
        mbedtls_platform_zeroize(plain, plain_len);
        free(plain);
    }
    mbedtls_platform_zeroize(pwd, sizeof(pwd));
    free(buf);
    return 0;
fail:
    mbedtls_pem_free(&pem);
    if (plain) {
        mbedtls_platform_zeroize(plain, plain_len);
        free(plain);
    }
    mbedtls_platform_zeroize(pwd, sizeof(pwd));
    free(buf);
    mbedtls_pk_free(&k->pk);
    mbedtls_pk_init(&k->pk);
    return -1;
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

    if (k->type != IMAGE_KEY_RSA2048 && k->type != IMAGE_KEY_RSA3072)
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

int key_sign(struct dkey *k, const uint8_t *msg, size_t msg_len, uint8_t *sig, size_t cap)
{
    size_t len = 0;

    if (!k->has_private)
        return -1;
    switch (k->type) {
    case IMAGE_KEY_RSA2048:
    case IMAGE_KEY_RSA3072: {
        mbedtls_rsa_context *rsa = mbedtls_pk_rsa(k->pk);
        len = mbedtls_rsa_get_len(rsa);
        if (len > cap || msg_len != 32)
            return -1;
        mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V21, MBEDTLS_MD_SHA256);
        if (mbedtls_rsa_rsassa_pss_sign_ext(rsa, rng, NULL, MBEDTLS_MD_SHA256, 32, msg, 32, sig))
            return -1;
        return (int)len;
    }
    case IMAGE_KEY_ECDSA_P256:
    case IMAGE_KEY_ECDSA_P384: {
        bool p384 = k->type == IMAGE_KEY_ECDSA_P384;
        if (cap < MBEDTLS_ECDSA_MAX_LEN || msg_len != (p384 ? 48u : 32u))
            return -1;
        if (mbedtls_pk_sign(&k->pk, p384 ? MBEDTLS_MD_SHA384 : MBEDTLS_MD_SHA256, msg, msg_len, sig, &len, rng,
                            NULL))
            return -1;
        return (int)len;
    }
    case IMAGE_KEY_ED25519:
        if (cap < 64)
            return -1;
        if (crypto_sign_detached(sig, NULL, msg, msg_len, k->ed_sk))
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
    case IMAGE_KEY_ECDSA_P384:
        return "ecdsap384";
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
    case IMAGE_KEY_ECDSA_P384:
        return "ECDSA-P384";
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

#define W(x, acc)                                                                                                  \
    do {                                                                                                           \
        if ((r = (x)) < 0)                                                                                         \
            return r;                                                                                              \
        acc += r;                                                                                                  \
    } while (0)
    W(mbedtls_asn1_write_octet_string(p, start, inner, inner_len), len);
    if (param_oid)
        W(mbedtls_asn1_write_oid(p, start, param_oid, param_len), alg_len);
    else
        W(mbedtls_asn1_write_null(p, start), alg_len);
    W(mbedtls_asn1_write_oid(p, start, oid, oid_len), alg_len);
    W(mbedtls_asn1_write_len(p, start, (size_t)alg_len), alg_len);
    W(mbedtls_asn1_write_tag(p, start, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE), alg_len);
    len += alg_len;
    W(mbedtls_asn1_write_int(p, start, 0), len);
    W(mbedtls_asn1_write_len(p, start, (size_t)len), len);
    W(mbedtls_asn1_write_tag(p, start, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE), len);
#undef W
    return len;
}

int key_private_der(const struct dkey *k, bool pkcs8, uint8_t *out, size_t cap)
{
    static const uint8_t ed_prefix[16] = { 0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06,
                                           0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20 };
    uint8_t inner[4096], outer[4096 + 64];
    unsigned char *p = outer + sizeof(outer);
    const uint8_t *src = NULL;
    int n = -1, inner_len;

    if (!k->has_private)
        return -1;
    if (k->type == IMAGE_KEY_ED25519) {
        if (!pkcs8)
            return -2; /* no traditional form */
        memcpy(outer, ed_prefix, 16);
        memcpy(outer + 16, k->ed_sk, 32); /* the seed */
        src = outer;
        n = 48;
    } else {
        inner_len = mbedtls_pk_write_key_der((mbedtls_pk_context *)&k->pk, inner, sizeof(inner));
        if (inner_len <= 0)
            return -1;
        if (!pkcs8) {
            src = inner + sizeof(inner) - inner_len;
            n = inner_len;
        } else if (k->type == IMAGE_KEY_RSA2048 || k->type == IMAGE_KEY_RSA3072) {
            n = write_pkcs8(&p, outer, inner + sizeof(inner) - inner_len, (size_t)inner_len, MBEDTLS_OID_PKCS1_RSA,
                            MBEDTLS_OID_SIZE(MBEDTLS_OID_PKCS1_RSA), NULL, 0);
            src = p;
        } else if (k->type == IMAGE_KEY_ECDSA_P256) {
            n = write_pkcs8(&p, outer, inner + sizeof(inner) - inner_len, (size_t)inner_len,
                            MBEDTLS_OID_EC_ALG_UNRESTRICTED, MBEDTLS_OID_SIZE(MBEDTLS_OID_EC_ALG_UNRESTRICTED),
                            MBEDTLS_OID_EC_GRP_SECP256R1, MBEDTLS_OID_SIZE(MBEDTLS_OID_EC_GRP_SECP256R1));
            src = p;
        } else {
            n = write_pkcs8(&p, outer, inner + sizeof(inner) - inner_len, (size_t)inner_len,
                            MBEDTLS_OID_EC_ALG_UNRESTRICTED, MBEDTLS_OID_SIZE(MBEDTLS_OID_EC_ALG_UNRESTRICTED),
                            MBEDTLS_OID_EC_GRP_SECP384R1, MBEDTLS_OID_SIZE(MBEDTLS_OID_EC_GRP_SECP384R1));
            src = p;
        }
    }
    if (n > 0 && (size_t)n <= cap)
        memcpy(out, src, (size_t)n);
    else
        n = -1;
    mbedtls_platform_zeroize(inner, sizeof(inner));
    mbedtls_platform_zeroize(outer, sizeof(outer));
    return n;
}

/* PKCS#8 EncryptedPrivateKeyInfo of `plain` (a PKCS#8 DER): PBES2 with
 * PBKDF2-HMAC-SHA256 and DES-EDE3-CBC, the strongest scheme mbedTLS 2.28
 * can both write and read. The encryption is mbedTLS' (mbedtls_pkcs5_pbes2);
 * this only lays out the ASN.1. Written backwards into [start, *p). */
#define PBKDF2_ITERATIONS 100000
static int write_encrypted_pkcs8(unsigned char **p, unsigned char *start, const uint8_t *plain, size_t plain_len,
                                 const char *pwd)
{
    unsigned char alg[256], *a = alg + sizeof(alg), *q;
    uint8_t salt[16], iv[8], *enc;
    mbedtls_asn1_buf oid, params;
    int r, l = 0, kdf = 0, prf = 0, es = 0, len = 0;
    size_t enc_len = (plain_len / 8 + 1) * 8; /* PKCS#7 padding */

#define W(x, acc)                                                                                                  \
    do {                                                                                                           \
        if ((r = (x)) < 0)                                                                                         \
            return r;                                                                                              \
        acc += r;                                                                                                  \
    } while (0)
    if (rng(NULL, salt, sizeof(salt)) || rng(NULL, iv, sizeof(iv)))
        return -1;
    /* encryptionScheme AlgorithmIdentifier { des-ede3-cbc, iv } */
    W(mbedtls_asn1_write_octet_string(&a, alg, iv, sizeof(iv)), es);
    W(mbedtls_asn1_write_oid(&a, alg, MBEDTLS_OID_DES_EDE3_CBC, MBEDTLS_OID_SIZE(MBEDTLS_OID_DES_EDE3_CBC)), es);
    W(mbedtls_asn1_write_len(&a, alg, (size_t)es), es);
    W(mbedtls_asn1_write_tag(&a, alg, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE), es);
    /* PBKDF2-params { salt, iterations, prf hmacWithSHA256 } */
    W(mbedtls_asn1_write_null(&a, alg), prf);
    W(mbedtls_asn1_write_oid(&a, alg, MBEDTLS_OID_HMAC_SHA256, MBEDTLS_OID_SIZE(MBEDTLS_OID_HMAC_SHA256)), prf);
    W(mbedtls_asn1_write_len(&a, alg, (size_t)prf), prf);
    W(mbedtls_asn1_write_tag(&a, alg, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE), prf);
    kdf = prf;
    W(mbedtls_asn1_write_int(&a, alg, PBKDF2_ITERATIONS), kdf);
    W(mbedtls_asn1_write_octet_string(&a, alg, salt, sizeof(salt)), kdf);
    W(mbedtls_asn1_write_len(&a, alg, (size_t)kdf), kdf);
    W(mbedtls_asn1_write_tag(&a, alg, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE), kdf);
    W(mbedtls_asn1_write_oid(&a, alg, MBEDTLS_OID_PKCS5_PBKDF2, MBEDTLS_OID_SIZE(MBEDTLS_OID_PKCS5_PBKDF2)), kdf);
    W(mbedtls_asn1_write_len(&a, alg, (size_t)kdf), kdf);
    W(mbedtls_asn1_write_tag(&a, alg, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE), kdf);
    /* PBES2-params { kdf, encryptionScheme } inside AlgorithmIdentifier { pbes2, ... } */
    l = kdf + es;
    W(mbedtls_asn1_write_len(&a, alg, (size_t)l), l);
    W(mbedtls_asn1_write_tag(&a, alg, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE), l);
    W(mbedtls_asn1_write_oid(&a, alg, MBEDTLS_OID_PKCS5_PBES2, MBEDTLS_OID_SIZE(MBEDTLS_OID_PKCS5_PBES2)), l);
    W(mbedtls_asn1_write_len(&a, alg, (size_t)l), l);
    W(mbedtls_asn1_write_tag(&a, alg, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE), l);
    /* the parameters as mbedTLS' own parser sees them */
    q = a;
    if (mbedtls_asn1_get_alg(&q, alg + sizeof(alg), &oid, &params))
        return -1;
    enc = malloc(enc_len + 16);
    if (!enc)
        return -1;
    if (mbedtls_pkcs5_pbes2(&params, MBEDTLS_PKCS5_ENCRYPT, (const unsigned char *)pwd, strlen(pwd), plain,
                            plain_len, enc)) {
        free(enc);
        return -1;
    }
    r = mbedtls_asn1_write_octet_string(p, start, enc, enc_len);
    free(enc);
    if (r < 0)
        return r;
    len += r;
    W(mbedtls_asn1_write_raw_buffer(p, start, a, (size_t)l), len);
    W(mbedtls_asn1_write_len(p, start, (size_t)len), len);
    W(mbedtls_asn1_write_tag(p, start, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE), len);
#undef W
    return len;
}

int key_ask_new_passphrase(char *out, size_t cap, char *err, size_t errlen)
{
    char again[256];
    int rc = 0;

    if (ask_passphrase("Enter a password for the key: ", out, cap) ||
        ask_passphrase("Validate the password: ", again, sizeof(again))) {
        snprintf(err, errlen, "no passphrase could be read");
        return -1;
    }
    if (strcmp(out, again) != 0) {
        snprintf(err, errlen, "the passphrases do not match");
        rc = -1;
    } else if (out[0] == '\0') {
        snprintf(err, errlen, "empty passphrase");
        rc = -1;
    }
    mbedtls_platform_zeroize(again, sizeof(again));
    return rc;
}

int key_generate(const char *type, const char *path, const char *password, char *err, size_t errlen)
{
    uint8_t der[4096], enc[4096 + 512];
    unsigned char pem[8192];
    unsigned char *p = enc + sizeof(enc);
    struct dkey k;
    size_t olen;
    int n = -1, rc = -1;
    FILE *f;

    memset(&k, 0, sizeof(k));
    mbedtls_pk_init(&k.pk);
    k.has_private = true;
    if (!strcmp(type, "ed25519")) {
        uint8_t seed[32];
        k.type = IMAGE_KEY_ED25519;
        if (sodium_init() < 0)
            goto out;
        randombytes_buf(seed, sizeof(seed));
        crypto_sign_seed_keypair(k.ed_pk, k.ed_sk, seed);
        sodium_memzero(seed, sizeof(seed));
    } else if (!strcmp(type, "rsa-2048") || !strcmp(type, "rsa-3072")) {
        k.type = !strcmp(type, "rsa-2048") ? IMAGE_KEY_RSA2048 : IMAGE_KEY_RSA3072;
        if (mbedtls_pk_setup(&k.pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA)) ||
            mbedtls_rsa_gen_key(mbedtls_pk_rsa(k.pk), rng, NULL, k.type == IMAGE_KEY_RSA2048 ? 2048 : 3072, 65537))
            goto out;
    } else if (!strcmp(type, "ecdsa-p256") || !strcmp(type, "ecdsa-p384")) {
        bool p384 = !strcmp(type, "ecdsa-p384");
        k.type = p384 ? IMAGE_KEY_ECDSA_P384 : IMAGE_KEY_ECDSA_P256;
        if (mbedtls_pk_setup(&k.pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) ||
            mbedtls_ecp_gen_key(p384 ? MBEDTLS_ECP_DP_SECP384R1 : MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(k.pk), rng,
                                NULL))
            goto out;
    } else {
        snprintf(err, errlen, "unsupported key type '%s' (rsa-2048, rsa-3072, ecdsa-p256, ecdsa-p384, ed25519)", type);
        key_free(&k);
        return -1;
    }
    n = key_private_der(&k, true, der, sizeof(der));
    if (n > 0 && password) {
        n = write_encrypted_pkcs8(&p, enc, der, (size_t)n, password);
        if (n > 0 && mbedtls_pem_write_buffer("-----BEGIN ENCRYPTED PRIVATE KEY-----\n",
                                              "-----END ENCRYPTED PRIVATE KEY-----\n", p, (size_t)n, pem, sizeof(pem),
                                              &olen))
            n = -1;
    } else if (n > 0 && mbedtls_pem_write_buffer("-----BEGIN PRIVATE KEY-----\n", "-----END PRIVATE KEY-----\n", der,
                                                 (size_t)n, pem, sizeof(pem), &olen)) {
        n = -1;
    }
    if (n <= 0)
        goto out;
    f = fopen(path, "wb");
    if (!f) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        rc = -2;
        goto out;
    }
    if (fwrite(pem, 1, olen - 1, f) != olen - 1 || fclose(f)) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        rc = -2;
        goto out;
    }
    rc = 0;
out:
    if (rc == -1)
        snprintf(err, errlen, "key generation failed for %s", type);
    mbedtls_platform_zeroize(der, sizeof(der));
    mbedtls_platform_zeroize(enc, sizeof(enc));
    mbedtls_platform_zeroize(pem, sizeof(pem));
    key_free(&k);
    return rc ? -1 : 0;
}
