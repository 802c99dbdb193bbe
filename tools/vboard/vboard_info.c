#include "tools/vboard/vboard_info.h"

#include <string.h>

#include "boot/boot_trailer.h"
#include "common/errors.h"
#include "image/builtin_key.h"
#include "crypto/crypto.h"
#include "image/image_validate.h"

#ifndef DFUBOOT_SIGN_PURE
#define DFUBOOT_SIGN_PURE 0 /* set from CONFIG_MCUBOOT_SIGN_PURE, as for the bootloader */
#endif

/* What `info` finds in one slot. */
struct slot_report {
    const struct flash_partition *part;
    uint32_t sector_size;
    int have_image;
    uint32_t image_off;
    struct image_info img;
    int validate_rc;
    struct boot_swap_state trailer;
    int trailer_rc;
};

static const char *flag_str(uint8_t f)
{
    return f == BOOT_FLAG_SET ? "set" : f == BOOT_FLAG_UNSET ? "unset" : "bad";
}

static const char *verdict_hash(int rc)
{
    return rc == DFB_OK || rc == DFB_ESIG || rc == DFB_ENOKEY ? "valid" : "invalid";
}

static const char *verdict_sig(int rc)
{
    return rc == DFB_OK ? "valid" : rc == DFB_ENOKEY ? "unknown key" : "invalid";
}

/* A slot holds its image at offset 0, or an update downloaded at the offset
 * the bootloader asks for (the size of the first sector). */
static void inspect_slot(struct slot_report *r, const struct flash_dev *dev, const struct flash_partition *p,
                         const struct image_validate_cfg *vcfg)
{
    struct flash_area fa;
    struct flash_sector s;
    struct image_header hdr;
    uint32_t offs[2];

    memset(r, 0, sizeof(*r));
    r->part = p;
    r->trailer_rc = DFB_EINVAL;
    if (flash_area_init(&fa, dev, p->name, p->off, p->size) != DFB_OK)
        return;
    flash_area_sector_get(&fa, 0, &s);
    r->sector_size = s.size;
    offs[0] = 0;
    offs[1] = s.size;
    for (int i = 0; i < 2 && !r->have_image; i++) {
        if (offs[i] < p->size && image_header_read(&fa, offs[i], &hdr) != DFB_ENOENT &&
            hdr.magic == IMAGE_MAGIC) {
            r->have_image = 1;
            r->image_off = offs[i];
            r->validate_rc = image_validate(vcfg, &fa, offs[i], &r->img);
            r->img.hdr = hdr;
        }
    }
    r->trailer_rc = boot_read_swap_state(&fa, boot_max_align(&fa, 0), &r->trailer);
}

static int is_slot(const struct flash_partition *p)
{
    return strcmp(p->name, FLASH_AREA_SLOT0) == 0 || strcmp(p->name, FLASH_AREA_SLOT1) == 0;
}

static void print_text(FILE *out, const struct slot_report *r)
{
    const struct image_header *h = &r->img.hdr;

    if (!r->have_image) {
        fprintf(out, "  image: none\n");
    } else {
        fprintf(out, "  image at +0x%x: version %u.%u.%u+%u, header 0x%x, body %u bytes, total %u bytes\n",
                r->image_off, h->ver.major, h->ver.minor, h->ver.revision, h->ver.build_num, h->hdr_size,
                h->img_size, r->img.total_size);
        fprintf(out, "  hash: %s, signature: %s (%s)\n", verdict_hash(r->validate_rc), verdict_sig(r->validate_rc),
                r->validate_rc == DFB_OK ? "ok" : dfb_strerror(r->validate_rc));
    }
    if (r->trailer_rc == DFB_OK)
        fprintf(out, "  trailer: magic=%s swap_type=%s copy_done=%s image_ok=%s\n",
                boot_magic_str(r->trailer.magic), boot_swap_type_str(r->trailer.swap_type),
                flag_str(r->trailer.copy_done), flag_str(r->trailer.image_ok));
    else
        fprintf(out, "  trailer: unreadable (%s)\n", dfb_strerror(r->trailer_rc));
}

static void print_json(FILE *out, const struct slot_report *r)
{
    const struct image_header *h = &r->img.hdr;

    if (!r->have_image) {
        fprintf(out, ", \"image\": null");
    } else {
        fprintf(out,
                ", \"image\": {\"offset\": %u, \"version\": \"%u.%u.%u+%u\", \"hdr_size\": %u, \"img_size\": %u, "
                "\"total_size\": %u, \"hash_valid\": %s, \"signature_valid\": %s, \"bootable\": %s}",
                r->image_off, h->ver.major, h->ver.minor, h->ver.revision, h->ver.build_num, h->hdr_size,
                h->img_size, r->img.total_size, strcmp(verdict_hash(r->validate_rc), "valid") == 0 ? "true" : "false",
                r->validate_rc == DFB_OK ? "true" : "false", r->validate_rc == DFB_OK ? "true" : "false");
    }
    if (r->trailer_rc == DFB_OK)
        fprintf(out, ", \"trailer\": {\"magic\": \"%s\", \"swap_type\": \"%s\", \"copy_done\": \"%s\", "
                     "\"image_ok\": \"%s\"}",
                boot_magic_str(r->trailer.magic), boot_swap_type_str(r->trailer.swap_type),
                flag_str(r->trailer.copy_done), flag_str(r->trailer.image_ok));
    else
        fprintf(out, ", \"trailer\": null");
}

static const char *key_type_str(enum image_key_type t)
{
    switch (t) {
    case IMAGE_KEY_RSA2048: return "rsa-2048";
    case IMAGE_KEY_RSA3072: return "rsa-3072";
    case IMAGE_KEY_ECDSA_P256: return "ecdsa-p256";
    case IMAGE_KEY_ED25519: return "ed25519";
    default: return "unknown";
    }
}

/* Says which key the signature verdicts use: the key vboard was built with
 * (the build's CONFIG_MCUBOOT_SIGNATURE_KEY_FILE), named by the SHA-256 of
 * its public key, and whether the bootloader in the flash carries the same
 * key (its DER bytes are in the boot partition), i.e. whether the verdicts
 * are the ones that bootloader will reach. */
static void print_key(FILE *out, const struct flash_layout *l, const struct flash_dev *dev,
                      const struct image_key *key, int json)
{
    const struct flash_partition *boot = flash_layout_partition(l, FLASH_AREA_BOOT);
    const struct image_crypto *c = crypto_adapter();
    struct image_sha256_ctx h;
    uint8_t digest[IMAGE_SHA256_SIZE];
    char hex[17] = "";
    const char *in_boot = "no bootloader partition";
    static uint8_t part[1u << 20];

    if (key == NULL) {
        fprintf(out, json ? ", \"key\": null" : "key: none built in, signatures are not checked\n");
        return;
    }
    if (c->sha256_init(&h) == DFB_OK && c->sha256_update(&h, key->der, key->len) == DFB_OK &&
        c->sha256_finish(&h, digest) == DFB_OK)
        for (int i = 0; i < 8; i++)
            snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    if (boot != NULL && boot->size <= sizeof(part) && flash_dev_read(dev, boot->off, part, boot->size) == DFB_OK) {
        in_boot = "empty";
        for (uint32_t i = 0; i < boot->size; i++)
            if (part[i] != l->geo.erase_value) {
                in_boot = "no";
                break;
            }
        for (uint32_t i = 0; key->len > 0 && i + key->len <= boot->size && in_boot[0] == 'n'; i++)
            if (part[i] == key->der[0] && memcmp(part + i, key->der, key->len) == 0) {
                in_boot = "yes";
                break;
            }
    }
    if (json)
        fprintf(out, ", \"key\": {\"type\": \"%s\", \"sha256_prefix\": \"%s\", \"in_bootloader\": %s}",
                key_type_str(key->type), hex, strcmp(in_boot, "yes") == 0 ? "true" : "false");
    else
        fprintf(out, "key: signatures checked with the %s key vboard was built with (public key SHA-256 %s...); %s\n",
                key_type_str(key->type), hex,
                strcmp(in_boot, "yes") == 0  ? "the bootloader in mcuboot carries the same key"
                : strcmp(in_boot, "no") == 0    ? "the bootloader in mcuboot does NOT carry it: its verdicts may differ"
                : strcmp(in_boot, "empty") == 0 ? "mcuboot is empty (no bootloader yet)"
                                                : "there is no bootloader partition");
}

void vboard_info_print(FILE *out, const struct flash_layout *l, const struct flash_dev *dev, int json)
{
    struct image_key key;
    struct image_validate_cfg vcfg = { .crypto = crypto_adapter(), .match = IMAGE_MATCH_KEYHASH };

    if (image_builtin_key(&key) == DFB_OK) {
        vcfg.keys = &key;
        vcfg.key_count = 1;
        vcfg.hash = image_hash_alg_for_key(key.type, DFUBOOT_SIGN_PURE);
    }
    if (json)
        fprintf(out, "{\"layout\": \"%s\", \"board\": \"%s\", \"flash_size\": %u", l->name, l->board,
                l->geo.size);
    else
        fprintf(out, "layout %s (board %s), %u KiB flash, write block %u, erased 0x%02x\n", l->name, l->board,
                l->geo.size / 1024, l->geo.write_block_size, l->geo.erase_value);
    print_key(out, l, dev, vcfg.key_count ? &key : NULL, json);
    if (json)
        fputs(", \"partitions\": [", out);
    for (uint32_t i = 0; i < l->partition_count; i++) {
        const struct flash_partition *p = &l->partitions[i];
        struct slot_report r;
        struct flash_sector s;

        flash_geo_sector_at(&l->geo, p->off, &s);
        if (json)
            fprintf(out, "%s{\"name\": \"%s\", \"offset\": %u, \"size\": %u, \"sector_size\": %u", i ? ", " : "",
                    p->name, p->off, p->size, s.size);
        else
            fprintf(out, "%-8s offset 0x%06x size 0x%06x (%u KiB), sectors of %u bytes\n", p->name, p->off, p->size,
                    p->size / 1024, s.size);
        if (is_slot(p)) {
            inspect_slot(&r, dev, p, &vcfg);
            if (json)
                print_json(out, &r);
            else
                print_text(out, &r);
        }
        if (json)
            fputc('}', out);
    }
    if (json)
        fputs("]}\n", out);
}
