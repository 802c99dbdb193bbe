/* dfuimg sign: option parsing, then TLV building and signing, then the
 * size checks and padding, then the output (raw binary or Intel HEX). */
#include "commands.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/sha256.h>
#include <mbedtls/sha512.h>

#include "boot/boot_trailer.h"
#include "common/bytes.h"
#include "common/errors.h"
#include "flash/flash_mem.h"
#include "ihex.h"
#include "image/image.h"
#include "image/image_validate.h"
#include "keys.h"
#include "util.h"

#define MAX_DEPS 8
#define DEFAULT_SECTOR_SIZE 4096u

struct dep {
    uint8_t id;
    struct dfb_version ver;
};

struct sign_opts {
    const char *key, *in, *out, *seccnt;
    struct dfb_version ver;
    uint32_t hdr_size, slot_size, align, max_align, max_sectors, rom_fixed, load_addr, erased, hex_addr;
    uint32_t sector_size;
    bool pad_header, pad, confirm, overwrite, pubfull, have_rom, have_load, have_hex_addr, pure;
    struct dep deps[MAX_DEPS];
    int ndeps;
};

static uint32_t align_up(uint32_t v, uint32_t a)
{
    return (v + a - 1) / a * a;
}

static int parse_deps(const char *s, struct dep *deps, int max)
{
    int n = 0;

    while (*s) {
        char ver[64];
        unsigned id;
        int used = 0;
        while (*s == ' ' || *s == ',')
            s++;
        if (!*s)
            break;
        if (n == max || sscanf(s, " ( %u , %63[^) ] ) %n", &id, ver, &used) < 2 || used == 0 || id > 255)
            return -1;
        if (image_version_parse(ver, &deps[n].ver))
            return -1;
        deps[n].id = (uint8_t)id;
        n++;
        s += used;
    }
    return n;
}

static void sign_usage(void)
{
    printf("usage: dfuimg sign [-k KEY.pem] -H SIZE [--pad-header] [--align N] [--max-align N] -v VER\n"
           "       -S SLOT_SIZE [--sector-size N] [--pad] [--confirm] [--test] [--overwrite-only] [-M N]\n"
           "       [--public-key-format hash|full] [--pure] [-s N|auto] [-d '(id,ver)'] [-F ADDR] [-L ADDR]\n"
           "       [-R 0|0xff] [-x ADDR] INFILE OUTFILE\n"
           "INFILE/OUTFILE: *.hex is Intel HEX, anything else raw binary. --sector-size (default 4096)\n"
           "is the flash sector size for dfuboot's swap-size check.\n");
}

/* Option parsing. Returns 0 or the exit code (error printed). */
static int sign_parse(int argc, char **argv, struct sign_opts *o)
{
    enum { O_PAD_HEADER = 256, O_ALIGN, O_MAX_ALIGN, O_PAD, O_CONFIRM, O_TEST, O_OVERWRITE, O_PKFMT, O_PURE,
           O_SECTOR };
    static const struct option opts[] = {
        { "key", required_argument, 0, 'k' },
        { "header-size", required_argument, 0, 'H' },
        { "pad-header", no_argument, 0, O_PAD_HEADER },
        { "align", required_argument, 0, O_ALIGN },
        { "max-align", required_argument, 0, O_MAX_ALIGN },
        { "version", required_argument, 0, 'v' },
        { "slot-size", required_argument, 0, 'S' },
        { "sector-size", required_argument, 0, O_SECTOR },
        { "pad", no_argument, 0, O_PAD },
        { "confirm", no_argument, 0, O_CONFIRM },
        { "test", no_argument, 0, O_TEST },
        { "max-sectors", required_argument, 0, 'M' },
        { "overwrite-only", no_argument, 0, O_OVERWRITE },
        { "public-key-format", required_argument, 0, O_PKFMT },
        { "security-counter", required_argument, 0, 's' },
        { "dependencies", required_argument, 0, 'd' },
        { "rom-fixed", required_argument, 0, 'F' },
        { "load-addr", required_argument, 0, 'L' },
        { "erased-val", required_argument, 0, 'R' },
        { "endian", required_argument, 0, 'e' },
        { "hex-addr", required_argument, 0, 'x' },
        { "pure", no_argument, 0, O_PURE },
        { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    const char *verstr = NULL, *depstr = NULL;
    bool have_hdr = false, have_slot = false;
    int c;

    memset(o, 0, sizeof(*o));
    o->align = 1;
    o->max_sectors = 128;
    o->erased = 0xff;
    o->sector_size = DEFAULT_SECTOR_SIZE;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":k:H:v:S:M:s:d:F:L:R:e:x:h", opts, NULL)) != -1) {
        switch (c) {
        case 'k': o->key = optarg; break;
        case 'H':
            if (parse_u32(optarg, &o->hdr_size)) return die("invalid --header-size '%s'", optarg);
            have_hdr = true;
            break;
        case O_PAD_HEADER: o->pad_header = true; break;
        case O_ALIGN:
            if (parse_u32(optarg, &o->align) || (o->align != 1 && o->align != 2 && o->align != 4 && o->align != 8 &&
                                                 o->align != 16 && o->align != 32))
                return die("invalid --align '%s' (1, 2, 4, 8, 16 or 32)", optarg);
            break;
        case O_MAX_ALIGN:
            if (parse_u32(optarg, &o->max_align) || (o->max_align != 8 && o->max_align != 16 && o->max_align != 32))
                return die("invalid --max-align '%s' (8, 16 or 32)", optarg);
            break;
        case 'v': verstr = optarg; break;
        case 'S':
            if (parse_u32(optarg, &o->slot_size)) return die("invalid --slot-size '%s'", optarg);
            have_slot = true;
            break;
        case O_SECTOR:
            if (parse_u32(optarg, &o->sector_size) || o->sector_size == 0)
                return die("invalid --sector-size '%s'", optarg);
            break;
        case O_PAD: o->pad = true; break;
        case O_CONFIRM: o->confirm = o->pad = true; break;
        case O_TEST: o->pad = true; break;
        case 'M': if (parse_u32(optarg, &o->max_sectors)) return die("invalid --max-sectors '%s'", optarg); break;
        case O_OVERWRITE: o->overwrite = true; break;
        case O_PKFMT:
            if (!strcmp(optarg, "full")) o->pubfull = true;
            else if (!strcmp(optarg, "hash")) o->pubfull = false;
            else return die("invalid --public-key-format '%s' (hash or full)", optarg);
            break;
        case 's': o->seccnt = optarg; break;
        case 'd': depstr = optarg; break;
        case 'F':
            if (parse_u32(optarg, &o->rom_fixed)) return die("invalid --rom-fixed '%s'", optarg);
            o->have_rom = true;
            break;
        case 'L':
            if (parse_u32(optarg, &o->load_addr)) return die("invalid --load-addr '%s'", optarg);
            o->have_load = true;
            break;
        case 'R':
            if (parse_u32(optarg, &o->erased) || (o->erased != 0 && o->erased != 0xff))
                return die("invalid --erased-val '%s' (0 or 0xff)", optarg);
            break;
        case 'e':
            if (strcmp(optarg, "little") && strcmp(optarg, "le")) return die("only little endian is supported");
            break;
        case 'x':
            if (parse_u32(optarg, &o->hex_addr)) return die("invalid --hex-addr '%s'", optarg);
            o->have_hex_addr = true;
            break;
        case O_PURE: o->pure = true; break;
        case 'h': sign_usage(); return -1;
        case ':': return die("option '%s' needs a value", argv[optind - 1]);
        default: return die("unknown option '%s' (see dfuimg sign -h)", argv[optind - 1]);
        }
    }
    if (argc - optind != 2)
        return die("sign needs INFILE and OUTFILE");
    o->in = argv[optind];
    o->out = argv[optind + 1];
    if (!have_hdr || !have_slot || !verstr)
        return die("sign needs --header-size, --slot-size and --version");
    if (image_version_parse(verstr, &o->ver))
        return die("Invalid value for '-v' / '--version': Invalid version number, should be maj.min.rev+build "
                   "with later parts optional");
    if (o->hdr_size < IMAGE_HEADER_SIZE || o->hdr_size > 0xffff)
        return die("Header size 0x%x is out of range (0x20..0xffff)", o->hdr_size);
    if (o->max_align == 0)
        o->max_align = o->align > 8 ? o->align : 8;
    if (o->have_rom && o->have_load)
        return die("--rom-fixed and --load-addr cannot be used together");
    if (depstr && (o->ndeps = parse_deps(depstr, o->deps, MAX_DEPS)) < 0)
        return die("invalid --dependencies '%s' (expected \"(id,maj.min.rev+build),...\")", depstr);
    if (o->pure && !o->key)
        return die("--pure needs an Ed25519 key (-k)");
    return 0;
}

/* Digest of `alg` over a buffer (the tool holds the whole image). */
static void digest(enum image_hash_alg alg, const void *data, size_t len, uint8_t *out)
{
    if (alg == IMAGE_HASH_SHA256)
        mbedtls_sha256_ret(data, len, out, 0);
    else
        mbedtls_sha512_ret(data, len, out, alg == IMAGE_HASH_SHA384);
}

/* The signed image (header, body, both TLV areas) in a malloc'd buffer.
 * TLVs in imgtool's order: protected SEC_CNT, DEPENDENCY...; unprotected
 * hash, [SIG_PURE], KEYHASH or PUBKEY, signature. Returns 0 or the exit code
 * (error printed). */
static int sign_build(const struct sign_opts *o, struct dkey *k, const struct image_input *in, uint8_t **out,
                      uint32_t *out_len)
{
    enum image_hash_alg alg = k ? image_hash_alg_for_key(k->type, o->pure) : IMAGE_HASH_SHA256;
    uint32_t hash_len = image_hash_size(alg);
    uint8_t prot[256], unprot[2048], hash[IMAGE_HASH_MAX_SIZE], pub[2048], sig[512];
    uint32_t ppos = 4, upos = 4, v;
    struct image_header h;
    size_t body_off, body_len, img_len;
    uint8_t *img;
    int n, rc = DFB_OK;

    if (o->pad_header) {
        body_off = 0;
        body_len = in->len;
    } else {
        for (size_t i = 0; i < o->hdr_size; i++)
            if (i >= in->len || in->data[i] != 0)
                return die("Header padding was not requested and image does not start with zeros");
        body_off = o->hdr_size;
        body_len = in->len - o->hdr_size;
    }
    if (body_len > 0xffffffffu - o->hdr_size - 0x10000u)
        return die("%s is too large for an image (%zu bytes)", o->in, body_len);

    if (o->seccnt) {
        uint8_t b[4];
        if (!strcmp(o->seccnt, "auto"))
            v = image_version_security_counter(&o->ver);
        else if (parse_u32(o->seccnt, &v))
            return die("invalid --security-counter '%s' (a number or auto)", o->seccnt);
        put_le32(b, v);
        rc = image_tlv_append(prot, sizeof(prot), &ppos, IMAGE_TLV_SEC_CNT, b, 4);
    }
    for (int i = 0; rc == DFB_OK && i < o->ndeps; i++) {
        uint8_t b[IMAGE_DEPENDENCY_SIZE] = { 0 };
        b[0] = o->deps[i].id;
        b[4] = o->deps[i].ver.major;
        b[5] = o->deps[i].ver.minor;
        put_le16(b + 6, o->deps[i].ver.revision);
        put_le32(b + 8, o->deps[i].ver.build_num);
        rc = image_tlv_append(prot, sizeof(prot), &ppos, IMAGE_TLV_DEPENDENCY, b, sizeof(b));
    }
    if (rc != DFB_OK)
        return die("protected TLVs do not fit: %s", dfb_strerror(rc));
    if (ppos == 4)
        ppos = 0; /* imgtool leaves out an empty protected area */
    else
        image_tlv_info_encode(prot, IMAGE_TLV_PROT_INFO_MAGIC, (uint16_t)ppos);

    memset(&h, 0, sizeof(h));
    h.magic = IMAGE_MAGIC;
    h.load_addr = o->have_rom ? o->rom_fixed : o->have_load ? o->load_addr : 0;
    h.hdr_size = (uint16_t)o->hdr_size;
    h.protect_tlv_size = (uint16_t)ppos;
    h.img_size = (uint32_t)body_len;
    h.flags = (o->have_rom ? IMAGE_F_ROM_FIXED : 0) | (o->have_load ? IMAGE_F_RAM_LOAD : 0);
    h.ver = o->ver;

    img_len = o->hdr_size + body_len + ppos;
    img = malloc(img_len + sizeof(unprot));
    if (!img)
        return die("out of memory");
    memset(img, o->pad_header ? (int)o->erased : 0, o->hdr_size);
    image_header_encode(&h, img);
    memcpy(img + o->hdr_size, in->data + body_off, body_len);
    memcpy(img + o->hdr_size + body_len, prot, ppos);
    digest(alg, img, img_len, hash);

    rc = image_tlv_append(unprot, sizeof(unprot), &upos, image_hash_tlv(alg), hash, hash_len);
    if (rc == DFB_OK && o->pure) {
        static const uint8_t one = 1;
        rc = image_tlv_append(unprot, sizeof(unprot), &upos, IMAGE_TLV_SIG_PURE, &one, 1);
    }
    if (rc == DFB_OK && k) {
        printf("image.py: sign the %s\n", o->pure ? "digest" : "payload");
        n = key_public_bytes(k, pub, sizeof(pub));
        if (n < 0) {
            free(img);
            return die("cannot export the public key of %s", o->key);
        }
        if (o->pubfull) {
            rc = image_tlv_append(unprot, sizeof(unprot), &upos, IMAGE_TLV_PUBKEY, pub, (uint32_t)n);
        } else {
            uint8_t kh[IMAGE_HASH_MAX_SIZE];
            digest(alg, pub, (size_t)n, kh);
            rc = image_tlv_append(unprot, sizeof(unprot), &upos, IMAGE_TLV_KEYHASH, kh, hash_len);
        }
        if (rc == DFB_OK) {
            /* pure Ed25519 signs the hashed region itself, the others its digest */
            n = o->pure ? key_sign(k, img, img_len, sig, sizeof(sig)) : key_sign(k, hash, hash_len, sig, sizeof(sig));
            if (n < 0) {
                free(img);
                return die("signing with %s failed", o->key);
            }
            rc = image_tlv_append(unprot, sizeof(unprot), &upos, image_key_sig_tlv(k->type), sig, (uint32_t)n);
        }
    }
    if (rc != DFB_OK) {
        free(img);
        return die("unprotected TLVs do not fit: %s", dfb_strerror(rc));
    }
    image_tlv_info_encode(unprot, IMAGE_TLV_INFO_MAGIC, (uint16_t)upos);
    memcpy(img + img_len, unprot, upos);
    *out = img;
    *out_len = (uint32_t)img_len + upos;
    return 0;
}

/* A slot of `slot_size` bytes in uniform sectors, for boot_max_image_size()
 * (geometry only: no bytes behind it). */
struct fake_slot {
    struct flash_mem mem;
    struct flash_area fa;
};

static int fake_slot_init(struct fake_slot *s, const struct sign_opts *o)
{
    int rc = flash_mem_init(&s->mem, NULL, o->slot_size, o->sector_size, o->align, (uint8_t)o->erased);

    return rc != DFB_OK ? rc : flash_area_init(&s->fa, &s->mem.dev, "slot", 0, o->slot_size);
}

/* imgtool's check (image + its trailer estimate within the slot), then
 * dfuboot's: the largest image its swap can move in such a slot, from the
 * boot core's own geometry (boot_max_image_size). */
static int sign_check_fit(const struct sign_opts *o, uint32_t total)
{
    struct fake_slot pri, sec;
    struct boot_slots slots;
    struct boot_geo g;
    uint32_t trailer, max;

    if (o->overwrite)
        trailer = 2 * o->max_align + align_up(16, o->max_align);
    else
        trailer = o->max_sectors * 3 * o->align + 4 * o->max_align + align_up(16, o->max_align);
    if ((uint64_t)total + trailer > o->slot_size)
        return die("Image size (0x%x) + trailer (0x%x) exceeds requested size 0x%x", total, trailer, o->slot_size);

    if (o->slot_size % o->sector_size != 0)
        return die("slot size 0x%x is not a whole number of 0x%x-byte sectors (--sector-size), so dfuboot "
                   "cannot swap it",
                   o->slot_size, o->sector_size);
    if (fake_slot_init(&pri, o) != DFB_OK || fake_slot_init(&sec, o) != DFB_OK)
        return die("slot size 0x%x / sector size 0x%x is not a usable flash layout", o->slot_size, o->sector_size);
    slots = (struct boot_slots){ &pri.fa, &sec.fa, o->max_align };
    if (boot_max_image_size(&slots, &max) != DFB_OK || boot_geo_compute(&slots, &g) != DFB_OK)
        return die("a 0x%x-byte slot of 0x%x-byte sectors is too small for dfuboot's swap (it needs the trailer "
                   "sector(s), the offset sector and at least one image sector)",
                   o->slot_size, o->sector_size);
    if (total > max)
        return die("image is 0x%x bytes (header + body + TLVs) but dfuboot can swap at most 0x%x bytes in a "
                   "0x%x-byte slot of 0x%x-byte sectors: %u sectors minus %u for the trailer and swap status and 1 "
                   "for the offset the update is written at in the secondary slot",
                   total, max, o->slot_size, o->sector_size, g.slot_sectors, g.trailer_sectors);
    return 0;
}

/* Writes the output: raw binary (padded to the slot with --pad) or Intel
 * HEX (the image at its base address, and with --pad only the trailer
 * fields, as imgtool). Returns 0 or the exit code. */
static int sign_write(const struct sign_opts *o, const struct image_input *in, const uint8_t *img, uint32_t total)
{
    const char *fmt_name;
    enum file_format fmt = file_format_of(o->out, &fmt_name);
    uint32_t ok_off = boot_image_ok_off(o->slot_size, o->max_align);
    uint8_t magic[BOOT_MAGIC_SZ], flag[32];
    bool set_ok = o->confirm && !o->overwrite;

    if (fmt == FMT_UNSUPPORTED)
        return die("%s: unsupported output format (%s); dfuimg writes raw binary or Intel HEX (.hex)", o->out,
                   fmt_name);
    boot_magic_bytes(o->max_align, magic);
    memset(flag, (int)o->erased, sizeof(flag));
    flag[0] = BOOT_FLAG_SET_VALUE;

    if (fmt == FMT_HEX) {
        struct ihex_segment seg[3];
        size_t nseg = 0;
        uint32_t base;
        FILE *f;
        int e;

        if (o->have_hex_addr) {
            base = o->hex_addr;
        } else if (in->has_base) {
            /* the header goes in front of the input's first address */
            if (o->pad_header && in->base != 0 && in->base < o->hdr_size)
                return die("%s starts at 0x%x, below the header size 0x%x: give -x/--hex-addr", o->in, in->base,
                           o->hdr_size);
            base = o->pad_header && in->base != 0 ? in->base - o->hdr_size : in->base;
        } else {
            return die("%s: Intel HEX output needs a base address: the input is raw binary, give -x/--hex-addr",
                       o->out);
        }
        if ((uint64_t)base + (o->pad ? o->slot_size : total) > 0x100000000ull)
            return die("image at 0x%x passes the 4 GiB address space", base);
        seg[nseg++] = (struct ihex_segment){ base, img, total };
        if (o->pad && set_ok)
            seg[nseg++] = (struct ihex_segment){ base + ok_off, flag, o->max_align };
        if (o->pad)
            seg[nseg++] = (struct ihex_segment){ base + boot_magic_off(o->slot_size), magic, BOOT_MAGIC_SZ };
        f = fopen(o->out, "w");
        if (!f)
            return die("cannot write %s: %s", o->out, strerror(errno));
        e = ihex_write(f, seg, nseg) ? errno : 0;
        if (fclose(f) != 0 && !e)
            e = errno;
        if (e) {
            remove(o->out);
            return die("cannot write %s: %s", o->out, strerror(e));
        }
        return 0;
    }
    if (o->pad) {
        uint8_t *padded = malloc(o->slot_size);
        int rc = 0;

        if (!padded)
            return die("out of memory");
        memset(padded, (int)o->erased, o->slot_size);
        memcpy(padded, img, total);
        memcpy(padded + boot_magic_off(o->slot_size), magic, BOOT_MAGIC_SZ);
        if (set_ok)
            padded[ok_off] = BOOT_FLAG_SET_VALUE;
        if (write_file(o->out, padded, o->slot_size))
            rc = die("cannot write %s: %s", o->out, strerror(errno));
        free(padded);
        return rc;
    }
    if (write_file(o->out, img, total))
        return die("cannot write %s: %s", o->out, strerror(errno));
    return 0;
}

int cmd_sign(int argc, char **argv)
{
    struct sign_opts o;
    struct image_input in;
    struct dkey k;
    bool have_key = false;
    uint8_t *img = NULL;
    uint32_t total = 0;
    char err[512];
    int rc;

    rc = sign_parse(argc, argv, &o);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    if (o.key) {
        if (key_load(o.key, &k, err, sizeof(err)))
            return die("%s", err);
        have_key = true;
        if (!k.has_private) {
            key_free(&k);
            return die("%s is a public key; signing needs the private key", o.key);
        }
        if (o.pure && k.type != IMAGE_KEY_ED25519) {
            key_free(&k);
            return die("--pure signs with Ed25519 only; %s is a %s key", o.key, key_type_name(k.type));
        }
    }
    rc = image_input_read(o.in, &in);
    if (rc == 0)
        rc = sign_build(&o, have_key ? &k : NULL, &in, &img, &total);
    if (rc == 0)
        rc = sign_check_fit(&o, total);
    if (rc == 0)
        rc = sign_write(&o, &in, img, total);
    free(img);
    free(in.data);
    if (have_key)
        key_free(&k);
    return rc;
}
