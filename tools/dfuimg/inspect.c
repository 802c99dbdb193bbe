/* dfuimg verify and dumpinfo: both read an image through the image
 * library (image/) over a read-only flash area of the file's bytes. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/base64.h>

#include "boot/boot_trailer.h"
#include "commands.h"
#include "common/bytes.h"
#include "common/errors.h"
#include "crypto/crypto.h"
#include "image/image.h"
#include "image/image_validate.h"
#include "keys.h"
#include "util.h"

/* ---- verify -------------------------------------------------------------- */

/* What the image itself declares: its hash algorithm (by its hash TLV) and
 * whether it is a pure signature. Defaults (SHA-256) when unreadable: the
 * validation then reports what is wrong. */
static void image_declared(const struct flash_area *fa, enum image_hash_alg *alg, bool *pure)
{
    struct image_header h;
    struct image_layout lay;
    struct image_tlv_iter it;
    struct image_tlv tlv;
    bool found = false;

    *alg = IMAGE_HASH_SHA256;
    *pure = false;
    if (image_header_read(fa, 0, &h) != DFB_OK || image_layout_read(fa, 0, &h, &lay) != DFB_OK)
        return;
    image_tlv_iter_begin_layout(&it, fa, &lay, IMAGE_TLV_ANY, false);
    while (image_tlv_iter_next(&it, &tlv) == 1) {
        if (tlv.is_protected)
            continue;
        if (!found && (tlv.type == IMAGE_TLV_SHA256 || tlv.type == IMAGE_TLV_SHA384 || tlv.type == IMAGE_TLV_SHA512)) {
            *alg = tlv.type == IMAGE_TLV_SHA384   ? IMAGE_HASH_SHA384
                   : tlv.type == IMAGE_TLV_SHA512 ? IMAGE_HASH_SHA512
                                                  : IMAGE_HASH_SHA256;
            found = true;
        }
        if (tlv.type == IMAGE_TLV_SIG_PURE)
            *pure = true;
    }
}

static void print_hex(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        printf("%02x", b[i]);
    printf("\n");
}

int cmd_verify(int argc, char **argv)
{
    static const struct option opts[] = { { "key", required_argument, 0, 'k' }, { "help", no_argument, 0, 'h' },
                                          { 0, 0, 0, 0 } };
    const char *keyp = NULL;
    struct dkey k;
    struct image_key ik;
    struct image_validate_cfg cfg = { .crypto = crypto_adapter(), .match = IMAGE_MATCH_EITHER };
    struct image_info info;
    struct image_input in;
    struct flash_mem mf;
    struct flash_area fa;
    uint8_t pub[2048];
    bool pure;
    char err[512];
    int c, rc, n;

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":k:h", opts, NULL)) != -1) {
        switch (c) {
        case 'k': keyp = optarg; break;
        case 'h': printf("usage: dfuimg verify [-k KEY.pem] IMAGE\n"); return 0;
        case ':': return die("option '%s' needs a value", argv[optind - 1]);
        default: return die("unknown option '%s' (see dfuimg verify -h)", argv[optind - 1]);
        }
    }
    if (argc - optind != 1)
        return die("verify needs exactly one IMAGE");
    if (keyp) {
        if (key_load(keyp, &k, err, sizeof(err)))
            return die("%s", err);
        n = key_public_bytes(&k, pub, sizeof(pub));
        ik = (struct image_key){ k.type, pub, (uint32_t)(n < 0 ? 0 : n) };
        key_free(&k);
        if (n < 0)
            return die("cannot export the public key of %s", keyp);
        cfg.keys = &ik;
        cfg.key_count = 1;
    }
    rc = image_input_read(argv[optind], &in);
    if (rc != 0)
        return rc;
    if (mem_flash_area(&mf, in.data, in.len, &fa)) {
        free(in.data);
        printf("Image is invalid (format): empty file\n");
        return 1;
    }
    image_declared(&fa, &cfg.hash, &pure);
    rc = image_validate(&cfg, &fa, 0, &info);
    if (rc == DFB_OK) {
        printf("Image was correctly validated\n");
        printf("Image version: %u.%u.%u+%u\n", info.hdr.ver.major, info.hdr.ver.minor, info.hdr.ver.revision,
               info.hdr.ver.build_num);
        printf("Image digest: ");
        print_hex(info.hash, info.hash_len);
        if (keyp)
            printf("Signature: %s%s, key matches KEYHASH/PUBKEY\n", key_type_name(ik.type),
                   pure ? " (pure, over the image)" : "");
        else
            printf("Signature: not checked (no key given; hash only)\n");
    } else {
        const char *what = rc == DFB_EHASH                         ? "hash"
                           : rc == DFB_ESIG || rc == DFB_ENOKEY    ? "signature"
                           : rc == DFB_ENOTSUP                     ? "unsupported"
                                                                   : "format";
        if (rc == DFB_ENOKEY)
            printf("Image is invalid (%s): the image's KEYHASH/PUBKEY does not match the given key\n", what);
        else
            printf("Image is invalid (%s): %s\n", what, info.reason ? info.reason : dfb_strerror(rc));
    }
    free(in.data);
    return rc == DFB_OK ? 0 : 1;
}

/* ---- dumpinfo ------------------------------------------------------------ */

static const char *tlv_name(uint16_t t)
{
    switch (t) {
    case IMAGE_TLV_KEYHASH: return "KEYHASH";
    case IMAGE_TLV_PUBKEY: return "PUBKEY";
    case IMAGE_TLV_SHA256: return "SHA256";
    case IMAGE_TLV_SHA384: return "SHA384";
    case IMAGE_TLV_SHA512: return "SHA512";
    case IMAGE_TLV_RSA2048_PSS: return "RSA2048";
    case IMAGE_TLV_ECDSA224: return "ECDSA224";
    case IMAGE_TLV_ECDSA_SIG: return "ECDSASIG";
    case IMAGE_TLV_RSA3072_PSS: return "RSA3072";
    case IMAGE_TLV_ED25519: return "ED25519";
    case IMAGE_TLV_SIG_PURE: return "SIG_PURE";
    case IMAGE_TLV_ENC_RSA2048: return "ENCRSA2048";
    case IMAGE_TLV_ENC_KW: return "ENCKW";
    case IMAGE_TLV_ENC_EC256: return "ENCEC256";
    case IMAGE_TLV_ENC_X25519: return "ENCX25519";
    case IMAGE_TLV_ENC_X25519_SHA512: return "ENCX25519_SHA512";
    case IMAGE_TLV_DEPENDENCY: return "DEPENDENCY";
    case IMAGE_TLV_SEC_CNT: return "SEC_CNT";
    case IMAGE_TLV_BOOT_RECORD: return "BOOT_RECORD";
    case IMAGE_TLV_DECOMP_SIZE: return "DECOMP_SIZE";
    case IMAGE_TLV_DECOMP_SHA: return "DECOMP_SHA";
    case IMAGE_TLV_DECOMP_SIGNATURE: return "DECOMP_SIGNATURE";
    case IMAGE_TLV_COMP_DEC_SIZE: return "COMP_DEC_SIZE";
    case IMAGE_TLV_UUID_VID: return "UUID_VID";
    case IMAGE_TLV_UUID_CID: return "UUID_CID";
    default: return "UNKNOWN";
    }
}

/* The trailer's max align from the last 16 bytes of a file (the magic
 * forms of boot/boot_trailer.c), or 0 for no known magic. */
static uint32_t trailer_max_align(const uint8_t *m)
{
    uint8_t want[BOOT_MAGIC_SZ];
    uint32_t a;

    boot_magic_bytes(8, want);
    if (memcmp(m, want, BOOT_MAGIC_SZ) == 0)
        return 8;
    boot_magic_bytes(16, want);
    if (memcmp(m + 2, want + 2, BOOT_MAGIC_SZ - 2) == 0) {
        a = get_le16(m);
        return a;
    }
    return 0;
}

/* ---- imgtool's dumpinfo data (for -f json|yaml) --------------------------
 * The same walk as imgtool's: header, protected and unprotected TLVs as the
 * info headers say (values cut at the end of the file), and the trailer of
 * a file that runs past its TLVs. */
struct dump_tlv {
    uint16_t type, len;
    size_t off, avail; /* value bytes present in the file */
};

struct dump {
    const char *filename;
    struct image_header h;
    bool has_prot;
    uint16_t prot_magic, prot_tot, magic, tot;
    struct dump_tlv *prot, *tlvs;
    size_t nprot, ntlvs;
    bool has_trailer, trailer_fields;
    size_t magic_off, magic_len;
    uint8_t image_ok, copy_done, swap_info;
    uint32_t swap_size, max_align;
    bool key_field;
};

/* Walks TLV entries from `*off` to `end`; false if an entry header is cut
 * off (imgtool stops with an exception there). */
static bool walk_tlvs(const uint8_t *b, size_t len, size_t *off, size_t end, struct dump_tlv **out, size_t *n)
{
    while (*off < end) {
        struct dump_tlv *t;
        if (*off + 4 > len)
            return false;
        t = realloc(*out, (*n + 1) * sizeof(**out));
        if (!t)
            return false;
        *out = t;
        t = &t[(*n)++];
        t->type = get_le16(b + *off);
        t->len = get_le16(b + *off + 2);
        t->off = *off + 4;
        t->avail = t->off >= len ? 0 : len - t->off < t->len ? len - t->off : t->len;
        *off += 4u + t->len;
    }
    return true;
}

static int dump_read(const char *name, const uint8_t *b, size_t len, struct dump *d)
{
    uint8_t raw[IMAGE_HEADER_SIZE] = { 0 };
    size_t off, end;

    memset(d, 0, sizeof(*d));
    d->filename = name;
    if (len < 28) /* imgtool reads the first 28 bytes (pad1 not shown) */
        return die("%s is too small for an image header (%zu bytes)", name, len);
    memcpy(raw, b, len < sizeof(raw) ? len : sizeof(raw));
    image_header_decode(raw, &d->h);
    off = (size_t)d->h.hdr_size + d->h.img_size;
    if (d->h.protect_tlv_size != 0) {
        if (off + 4 > len)
            return die("%s: the protected TLV info at 0x%zx is past the end of the file", name, off);
        d->has_prot = true;
        d->prot_magic = get_le16(b + off);
        d->prot_tot = get_le16(b + off + 2);
        end = off + d->prot_tot;
        off += 4;
        if (!walk_tlvs(b, len, &off, end, &d->prot, &d->nprot))
            return die("%s: a protected TLV entry is cut off at 0x%zx", name, off);
    }
    if (off + 4 > len)
        return die("%s: the TLV info at 0x%zx is past the end of the file", name, off);
    d->magic = get_le16(b + off);
    d->tot = get_le16(b + off + 2);
    end = off + d->tot;
    off += 4;
    if (!walk_tlvs(b, len, &off, end, &d->tlvs, &d->ntlvs))
        return die("%s: a TLV entry is cut off at 0x%zx", name, off);
    if (len != end) {
        uint32_t a;
        d->has_trailer = true;
        d->magic_len = len < BOOT_MAGIC_SZ ? len : BOOT_MAGIC_SZ;
        d->magic_off = len - d->magic_len;
        a = d->magic_len == BOOT_MAGIC_SZ ? trailer_max_align(b + d->magic_off) : 0;
        if (a == 0) {
            fprintf(stderr, "dfuimg: warning: the trailer magic value is invalid\n");
        } else if (len >= (size_t)a * 5 + 32 && (a == 8 || a == 16 || a == 32) && len % a == 0) {
            uint32_t s = (uint32_t)len;
            d->trailer_fields = true;
            d->max_align = a;
            d->image_ok = b[boot_image_ok_off(s, a)];
            d->copy_done = b[boot_copy_done_off(s, a)];
            d->swap_info = b[boot_swap_info_off(s, a)];
            d->swap_size = get_le32(b + boot_swap_size_off(s, a));
            d->key_field = (d->h.flags & (IMAGE_F_ENCRYPTED_AES128 | IMAGE_F_ENCRYPTED_AES256)) != 0;
        }
    }
    return 0;
}

static void dump_free(struct dump *d)
{
    free(d->prot);
    free(d->tlvs);
}

static void json_hex(FILE *f, const uint8_t *b, size_t n)
{
    fputc('"', f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%02x", b[i]);
    fputc('"', f);
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void json_tlvs(FILE *f, const uint8_t *b, const struct dump_tlv *t, size_t n)
{
    if (n == 0) {
        fprintf(f, "[]");
        return;
    }
    fprintf(f, "[\n");
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "      {\n        \"type\": %u,\n        \"type_name\": ", t[i].type);
        json_str(f, tlv_name(t[i].type));
        fprintf(f, ",\n        \"len\": %u,\n        \"data\": ", t[i].len);
        json_hex(f, b + t[i].off, t[i].avail);
        fprintf(f, "\n      }%s\n", i + 1 < n ? "," : "");
    }
    fprintf(f, "    ]");
}

/* json.dump(indent=2) layout, keys in imgtool's order; a final newline
 * only on standard output (as imgtool). */
static void dump_json(FILE *f, const uint8_t *b, const struct dump *d, bool newline)
{
    const struct image_header *h = &d->h;

    fprintf(f, "{\n  \"filename\": ");
    json_str(f, d->filename);
    fprintf(f, ",\n  \"header\": {\n    \"magic\": %u,\n    \"load_addr\": %u,\n    \"hdr_size\": %u,\n"
               "    \"protected_tlv_size\": %u,\n    \"img_size\": %u,\n    \"flags\": %u,\n"
               "    \"version\": \"%u.%u.%u+%u\"\n  },\n",
            h->magic, h->load_addr, h->hdr_size, h->protect_tlv_size, h->img_size, h->flags, h->ver.major,
            h->ver.minor, h->ver.revision, h->ver.build_num);
    fprintf(f, "  \"tlv_area\": {\n    \"tlv_hdr_prot\": ");
    if (d->has_prot)
        fprintf(f, "{\n      \"magic\": %u,\n      \"tlv_tot\": %u\n    }", d->prot_magic, d->prot_tot);
    else
        fprintf(f, "{}");
    fprintf(f, ",\n    \"tlvs_prot\": ");
    json_tlvs(f, b, d->prot, d->nprot);
    fprintf(f, ",\n    \"tlv_hdr\": {\n      \"magic\": %u,\n      \"tlv_tot\": %u\n    },\n    \"tlvs\": ", d->magic,
            d->tot);
    json_tlvs(f, b, d->tlvs, d->ntlvs);
    fprintf(f, "\n  },\n  \"trailer\": ");
    if (!d->has_trailer) {
        fprintf(f, "{}");
    } else {
        fprintf(f, "{\n    \"magic\": ");
        json_hex(f, b + d->magic_off, d->magic_len);
        if (d->trailer_fields) {
            fprintf(f, ",\n    \"image_ok\": %u,\n    \"copy_done\": %u,\n    \"swap_info\": %u,\n    \"swap_size\": %u",
                    d->image_ok, d->copy_done, d->swap_info, d->swap_size);
            if (d->key_field)
                fprintf(f, ",\n    \"key_field_len\": %u", 2 * ((16 + d->max_align - 1) / d->max_align * d->max_align));
        }
        fprintf(f, "\n  }");
    }
    fprintf(f, newline ? "\n}\n" : "\n}");
}

/* A YAML plain scalar where that is unambiguous, else single-quoted. */
static void yaml_str(FILE *f, const char *s)
{
    bool plain = *s && ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_');

    for (const char *p = s; plain && *p; p++)
        plain = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
                strchr("_.-+/", *p) != NULL;
    if (plain && strcmp(s, "true") && strcmp(s, "false") && strcmp(s, "null") && strcmp(s, "yes") &&
        strcmp(s, "no") && strcmp(s, "on") && strcmp(s, "off")) {
        fputs(s, f);
        return;
    }
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'')
            fputc('\'', f);
        fputc(*s, f);
    }
    fputc('\'', f);
}

/* Bytes as PyYAML dumps them: !!binary, base64 in 76-character lines. */
static void yaml_binary(FILE *f, const uint8_t *b, size_t n, int indent)
{
    unsigned char *enc;
    size_t olen = 0, cap = 4 * ((n + 2) / 3) + 1;

    if (n == 0) {
        fprintf(f, "!!binary ''\n");
        return;
    }
    enc = malloc(cap);
    if (!enc || mbedtls_base64_encode(enc, cap, &olen, b, n) != 0) {
        free(enc);
        fprintf(f, "''\n");
        return;
    }
    fprintf(f, "!!binary |\n");
    for (size_t i = 0; i < olen; i += 76)
        fprintf(f, "%*s%.*s\n", indent, "", (int)(olen - i < 76 ? olen - i : 76), enc + i);
    free(enc);
}

static void yaml_tlvs(FILE *f, const uint8_t *b, const char *key, const struct dump_tlv *t, size_t n)
{
    if (n == 0) {
        fprintf(f, "  %s: []\n", key);
        return;
    }
    fprintf(f, "  %s:\n", key);
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "  - type: %u\n    type_name: %s\n    len: %u\n    data: ", t[i].type, tlv_name(t[i].type),
                t[i].len);
        yaml_binary(f, b + t[i].off, t[i].avail, 6);
    }
}

static void dump_yaml(FILE *f, const uint8_t *b, const struct dump *d)
{
    const struct image_header *h = &d->h;

    fprintf(f, "filename: ");
    yaml_str(f, d->filename);
    fprintf(f, "\nheader:\n  magic: %u\n  load_addr: %u\n  hdr_size: %u\n  protected_tlv_size: %u\n"
               "  img_size: %u\n  flags: %u\n  version: '%u.%u.%u+%u'\n",
            h->magic, h->load_addr, h->hdr_size, h->protect_tlv_size, h->img_size, h->flags, h->ver.major,
            h->ver.minor, h->ver.revision, h->ver.build_num);
    fprintf(f, "tlv_area:\n");
    if (d->has_prot)
        fprintf(f, "  tlv_hdr_prot:\n    magic: %u\n    tlv_tot: %u\n", d->prot_magic, d->prot_tot);
    else
        fprintf(f, "  tlv_hdr_prot: {}\n");
    yaml_tlvs(f, b, "tlvs_prot", d->prot, d->nprot);
    fprintf(f, "  tlv_hdr:\n    magic: %u\n    tlv_tot: %u\n", d->magic, d->tot);
    yaml_tlvs(f, b, "tlvs", d->tlvs, d->ntlvs);
    if (!d->has_trailer) {
        fprintf(f, "trailer: {}\n");
        return;
    }
    fprintf(f, "trailer:\n  magic: ");
    yaml_binary(f, b + d->magic_off, d->magic_len, 4);
    if (d->trailer_fields) {
        fprintf(f, "  image_ok: %u\n  copy_done: %u\n  swap_info: %u\n  swap_size: %u\n", d->image_ok, d->copy_done,
                d->swap_info, d->swap_size);
        if (d->key_field)
            fprintf(f, "  key_field_len: %u\n", 2 * ((16 + d->max_align - 1) / d->max_align * d->max_align));
    }
}

static void dump_bytes(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i && i % 8 == 0)
            printf("\n              ");
        printf("0x%02x ", b[i]);
    }
    printf("\n");
}

static const char *flag_state(uint8_t v, uint8_t erased)
{
    return v == erased ? "UNSET" : v == BOOT_FLAG_SET_VALUE ? "SET" : "BAD";
}

/* The human-readable form (imgtool's sections), through the image library. */
static int dump_human(const char *path, const uint8_t *data, size_t len)
{
    struct image_header h;
    struct image_layout lay;
    struct image_tlv_iter it;
    struct image_tlv tlv;
    struct flash_mem mf;
    struct flash_area fa;
    bool prot_seen = false, unprot_seen = false;
    int rc;

    if (len < IMAGE_HEADER_SIZE || mem_flash_area(&mf, data, len, &fa))
        return die("%s is too small for an image header (%zu bytes)", path, len);
    image_header_decode(data, &h);
    printf("Printing content of signed image: %s\n\n", path);
    printf("#### Image header (offset: 0x0) ############################\n");
    printf("magic:              0x%08x%s\n", h.magic, h.magic == IMAGE_MAGIC ? "" : " (INVALID)");
    printf("load_addr:          0x%x\n", h.load_addr);
    printf("hdr_size:           0x%x\n", h.hdr_size);
    printf("protected_tlv_size: 0x%x\n", h.protect_tlv_size);
    printf("img_size:           0x%x\n", h.img_size);
    printf("flags:              0x%x\n", h.flags);
    printf("version:            %u.%u.%u+%u\n", h.ver.major, h.ver.minor, h.ver.revision, h.ver.build_num);
    printf("############################################################\n");
    rc = image_header_check(&(struct image_header){ .magic = IMAGE_MAGIC, .hdr_size = h.hdr_size,
                                                    .img_size = h.img_size, .protect_tlv_size = h.protect_tlv_size },
                            0, fa.size);
    if (rc == DFB_OK) {
        struct image_header hh = h;
        hh.magic = IMAGE_MAGIC; /* show the TLVs of a bad-magic image too */
        rc = image_layout_read(&fa, 0, &hh, &lay);
    }
    if (rc != DFB_OK) {
        printf("TLV area: cannot be parsed (%s)\n", dfb_strerror(rc));
        return 1;
    }
    printf("#### Payload (offset: 0x%x) ###############################\n", lay.body_off);
    printf("FW image (size: 0x%x Bytes)\n", h.img_size);
    printf("############################################################\n");
    image_tlv_iter_begin_layout(&it, &fa, &lay, IMAGE_TLV_ANY, false);
    while ((rc = image_tlv_iter_next(&it, &tlv)) == 1) {
        if (tlv.is_protected && !prot_seen) {
            printf("#### Protected TLV area (offset: 0x%x) ####################\n", lay.prot_off);
            printf("magic:     0x%04x\narea size: 0x%x\n", IMAGE_TLV_PROT_INFO_MAGIC, lay.prot_size);
            prot_seen = true;
        }
        if (!tlv.is_protected && !unprot_seen) {
            if (prot_seen)
                printf("############################################################\n");
            printf("#### TLV area (offset: 0x%x) ##############################\n", lay.unprot_off);
            printf("magic:     0x%04x\narea size: 0x%x\n", IMAGE_TLV_INFO_MAGIC, lay.unprot_size);
            unprot_seen = true;
        }
        printf("        ---------------------------------------------\n");
        printf("        type: %s (0x%x)\n", tlv_name(tlv.type), tlv.type);
        printf("        len:  0x%x\n", tlv.len);
        printf("        data: ");
        dump_bytes(data + tlv.off, tlv.len);
    }
    printf("############################################################\n");
    if (rc < 0) {
        printf("TLV entries: malformed (%s)\n", dfb_strerror(rc));
        return 1;
    }
    /* Trailer, when the file runs past the image (padded with --pad). */
    if (len > lay.end + BOOT_MAGIC_SZ) {
        const uint8_t *m = data + len - BOOT_MAGIC_SZ;
        uint32_t a = trailer_max_align(m), s = (uint32_t)len;
        printf("#### Image trailer (slot size: 0x%zx) ######################\n", len);
        printf("boot magic:  ");
        dump_bytes(m, BOOT_MAGIC_SZ);
        if ((a == 8 || a == 16 || a == 32) && s % a == 0) {
            uint8_t erased = data[boot_image_ok_off(s, a) + 1];
            printf("max_align:   %u\n", a);
            printf("image_ok:    %s (0x%x)\n", flag_state(data[boot_image_ok_off(s, a)], erased),
                   data[boot_image_ok_off(s, a)]);
            printf("copy_done:   %s (0x%x)\n", flag_state(data[boot_copy_done_off(s, a)], erased),
                   data[boot_copy_done_off(s, a)]);
            printf("swap_info:   0x%x\n", data[boot_swap_info_off(s, a)]);
            printf("swap_size:   0x%x\n", get_le32(data + boot_swap_size_off(s, a)));
        } else {
            printf("boot magic:  BAD (no MCUboot trailer magic)\n");
        }
        printf("############################################################\n");
    }
    printf("#### End of Image  #########################################\n");
    return 0;
}

int cmd_dumpinfo(int argc, char **argv)
{
    static const struct option opts[] = { { "format", required_argument, 0, 'f' },
                                          { "outfile", required_argument, 0, 'o' },
                                          { "silent", no_argument, 0, 's' },
                                          { "help", no_argument, 0, 'h' },
                                          { 0, 0, 0, 0 } };
    const char *format = NULL, *outp = NULL, *path, *base;
    struct image_input in;
    struct dump d;
    FILE *out;
    int c, rc;

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":f:o:sh", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (strcmp(optarg, "human") && strcmp(optarg, "json") && strcmp(optarg, "yaml"))
                return die("invalid --format '%s' (human, json or yaml)", optarg);
            format = optarg;
            break;
        case 'o': outp = optarg; break;
        case 's': break; /* imgtool keeps it for compatibility and ignores it */
        case 'h': printf("usage: dfuimg dumpinfo [-f human|json|yaml] [-o OUTFILE] IMAGE\n"); return 0;
        case ':': return die("option '%s' needs a value", argv[optind - 1]);
        default: return die("unknown option '%s' (see dfuimg dumpinfo -h)", argv[optind - 1]);
        }
    }
    if (argc - optind != 1)
        return die("dumpinfo needs exactly one IMAGE");
    path = argv[optind];
    if (!format)
        format = outp ? "yaml" : "human"; /* imgtool's defaults */
    rc = image_input_read(path, &in);
    if (rc != 0)
        return rc;
    if (!strcmp(format, "human")) {
        if (outp && !freopen(outp, "w", stdout)) {
            free(in.data);
            return die("cannot write %s: %s", outp, strerror(errno));
        }
        rc = dump_human(path, in.data, in.len);
        free(in.data);
        return rc;
    }
    base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    rc = dump_read(base, in.data, in.len, &d);
    if (rc == 0) {
        out = outp ? fopen(outp, "w") : stdout;
        if (!out) {
            rc = die("cannot write %s: %s", outp, strerror(errno));
        } else {
            if (!strcmp(format, "json"))
                dump_json(out, in.data, &d, out == stdout);
            else
                dump_yaml(out, in.data, &d);
            if (out != stdout && fclose(out) != 0)
                rc = die("cannot write %s: %s", outp, strerror(errno));
        }
    }
    dump_free(&d);
    free(in.data);
    return rc;
}
