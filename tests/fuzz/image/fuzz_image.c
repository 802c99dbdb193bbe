/* Fuzz target: the image header / TLV parser and the validator, on any slot
 * content and any set of built-in keys.
 *
 * Input: byte 0 = configuration, the rest = the slot's bytes.
 *   bits 0-3  which of the four test keys are built in (rsa2048, ecp256,
 *             ed25519, rsa3072: MCUboot's public test keys)
 *   bits 4-5  how an image names its key: 0 KEYHASH, 1 PUBKEY, 2/3 either
 *   bit 6     hash-only build (no keys at all)
 *   bit 7     the image starts at offset 0x100 of the area, not 0
 *
 * The area lies between two guard sectors on a flash device whose driver
 * aborts on any read that leaves the area and on any write or erase.
 *
 * Properties:
 *   - no crash, no sanitizer report, every result a known error code;
 *   - parser results are consistent: the layout and every TLV lie inside
 *     the area, image_total_size agrees with the layout;
 *   - "valid" with keys only for a hashed region (header + body + protected
 *     TLVs, hashed here independently with mbedTLS) that one of the enabled
 *     keys really signed (the table in fuzz_image_keys.h, made by
 *     make_seeds.py), and only with that key; "valid" without keys only when
 *     the reported hash is the real hash of the hashed region. */
#include <stdbool.h>
#include <string.h>

#include <mbedtls/sha256.h>

#include "common/bytes.h"
#include "common/errors.h"
#include "crypto/crypto.h"
#include "image/image.h"
#include "image/image_validate.h"
#include "tests/fuzz/image/fuzz_image_keys.h"
#include "tests/fuzz/support/fuzz_support.h"

#define SECTOR 0x100u
#define MAX_AREA 0x4000u

struct guarded {
    uint8_t *mem;       /* exactly dev_size bytes */
    uint32_t area_off;
    uint32_t area_size;
};

static int g_read(void *ctx, uint32_t off, void *buf, uint32_t len)
{
    struct guarded *g = ctx;
    if (off < g->area_off || len > g->area_size || off - g->area_off > g->area_size - len)
        FUZZ_FAIL("read [0x%x, +0x%x) outside the area [0x%x, +0x%x)", off, len, g->area_off, g->area_size);
    memcpy(buf, g->mem + off, len);
    return 0;
}

static int g_write(void *ctx, uint32_t off, const void *buf, uint32_t len)
{
    (void)ctx, (void)buf;
    FUZZ_FAIL("validation wrote to flash at 0x%x (+0x%x)", off, len);
}

static int g_erase(void *ctx, uint32_t off, uint32_t len)
{
    (void)ctx;
    FUZZ_FAIL("validation erased flash at 0x%x (+0x%x)", off, len);
}

static const struct flash_dev_ops g_ops = { g_read, g_write, g_erase, 0, 0 };

static const struct {
    enum image_key_type type;
    const uint8_t *der;
    uint32_t len;
} all_keys[4] = {
    { IMAGE_KEY_RSA2048, fuzz_key_rsa2048, sizeof(fuzz_key_rsa2048) },
    { IMAGE_KEY_ECDSA_P256, fuzz_key_ecp256, sizeof(fuzz_key_ecp256) },
    { IMAGE_KEY_ED25519, fuzz_key_ed25519, sizeof(fuzz_key_ed25519) },
    { IMAGE_KEY_RSA3072, fuzz_key_rsa3072, sizeof(fuzz_key_rsa3072) },
};

static bool signed_by(const uint8_t digest[32], int key)
{
    for (size_t i = 0; i < sizeof(fuzz_signed_regions) / sizeof(fuzz_signed_regions[0]); i++)
        if (fuzz_signed_regions[i].key == key && memcmp(fuzz_signed_regions[i].digest, digest, 32) == 0)
            return true;
    return false;
}

static void check_rc(int rc, const char *what)
{
    if (rc > 0 || rc < DFB_EOVERFLOW)
        FUZZ_FAIL("%s returned an unknown code %d", what, rc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t cfg_byte = data[0];
    const uint8_t *slot = data + 1;
    size_t slot_len = size - 1;
    uint32_t img_off = (cfg_byte & 0x80) ? 0x100u : 0u;
    if (slot_len + img_off > MAX_AREA)
        return 0;

    struct guarded g;
    g.area_off = SECTOR;
    g.area_size = (uint32_t)((slot_len + img_off + SECTOR - 1) / SECTOR * SECTOR);
    if (g.area_size == 0)
        g.area_size = SECTOR;
    uint32_t dev_size = g.area_off + g.area_size + SECTOR;
    g.mem = malloc(dev_size);
    memset(g.mem, 0xa5, dev_size);                                /* guards */
    memset(g.mem + g.area_off, 0xff, g.area_size);                 /* erased */
    memcpy(g.mem + g.area_off + img_off, slot, slot_len);

    struct flash_sector_range range = { SECTOR, dev_size / SECTOR };
    struct flash_geometry geo = { .size = dev_size, .write_block_size = 4, .erase_value = 0xff,
                                  .sectors = &range, .sector_range_count = 1 };
    struct flash_dev dev = { &g_ops, &g, &geo };
    struct flash_area fa;
    FUZZ_ASSERT(flash_area_init(&fa, &dev, "slot", g.area_off, g.area_size) == DFB_OK);

    /* Parser alone. */
    struct image_header hdr;
    struct image_layout lay;
    int rc = image_header_read(&fa, img_off, &hdr);
    check_rc(rc, "image_header_read");
    if (rc == 0) {
        rc = image_layout_read(&fa, img_off, &hdr, &lay);
        check_rc(rc, "image_layout_read");
        if (rc == 0) {
            FUZZ_ASSERT(lay.off == img_off && lay.end <= g.area_size && lay.end >= lay.unprot_off);
            FUZZ_ASSERT(lay.body_off == img_off + hdr.hdr_size && lay.prot_off == lay.body_off + hdr.img_size);
            FUZZ_ASSERT(lay.unprot_off == lay.prot_off + lay.prot_size && lay.unprot_size >= IMAGE_TLV_INFO_SIZE);
            uint32_t total = 0;
            FUZZ_ASSERT(image_total_size(&fa, img_off, &total) == 0 && total == lay.end - lay.off);

            struct image_tlv_iter it;
            struct image_tlv tlv;
            uint8_t val[0x10000 > MAX_AREA ? MAX_AREA : 0x10000];
            image_tlv_iter_begin_layout(&it, &fa, &lay, IMAGE_TLV_ANY, false);
            int n = 0;
            while ((rc = image_tlv_iter_next(&it, &tlv)) == 1) {
                uint32_t lo = tlv.is_protected ? lay.prot_off : lay.unprot_off;
                uint32_t hi = tlv.is_protected ? lay.unprot_off : lay.end;
                FUZZ_ASSERT(tlv.off >= lo + IMAGE_TLV_INFO_SIZE + IMAGE_TLV_HDR_SIZE && tlv.off <= hi &&
                            tlv.len <= hi - tlv.off);
                FUZZ_ASSERT(image_tlv_read(&fa, &tlv, val, tlv.len) == 0);
                FUZZ_ASSERT(++n <= (int)(MAX_AREA / IMAGE_TLV_HDR_SIZE));
            }
            check_rc(rc, "image_tlv_iter_next");
            uint32_t cnt;
            check_rc(image_security_counter(&fa, img_off, &hdr, &cnt), "image_security_counter");
        }
    }

    /* Validator. */
    struct image_key keys[4];
    int key_orig[4];
    uint32_t nkeys = 0;
    if (!(cfg_byte & 0x40)) {
        for (int i = 0; i < 4; i++)
            if (cfg_byte & (1u << i)) {
                keys[nkeys] = (struct image_key){ all_keys[i].type, all_keys[i].der, all_keys[i].len };
                key_orig[nkeys++] = i;
            }
    }
    static const enum image_key_match matches[4] = { IMAGE_MATCH_KEYHASH, IMAGE_MATCH_PUBKEY, IMAGE_MATCH_EITHER,
                                                      IMAGE_MATCH_EITHER };
    struct image_validate_cfg cfg = { .crypto = crypto_adapter(), .keys = nkeys ? keys : NULL,
                                      .key_count = nkeys, .match = matches[(cfg_byte >> 4) & 3] };
    struct image_info info;
    memset(&info, 0x5a, sizeof(info));
    rc = image_validate(&cfg, &fa, img_off, &info);
    check_rc(rc, "image_validate");
    FUZZ_ASSERT(info.reason != NULL && strlen(info.reason) < 200);

    if (rc == 0) {
        /* Independent look at what was declared valid. */
        const uint8_t *img = g.mem + g.area_off + img_off;
        uint32_t avail = g.area_size - img_off;
        FUZZ_ASSERT(avail >= IMAGE_HEADER_SIZE && get_le32(img) == IMAGE_MAGIC);
        uint64_t hashed = (uint64_t)get_le16(img + 8) + get_le32(img + 12) + get_le16(img + 10);
        if (hashed > avail)
            FUZZ_FAIL("valid image whose hashed region (%llu bytes) leaves the area", (unsigned long long)hashed);
        uint8_t digest[32];
        FUZZ_ASSERT(mbedtls_sha256_ret(img, (size_t)hashed, digest, 0) == 0);
        if (memcmp(digest, info.hash, 32) != 0)
            FUZZ_FAIL("valid image: reported hash is not the hash of the hashed region");
        if (nkeys) {
            if (info.key_index < 0 || (uint32_t)info.key_index >= nkeys)
                FUZZ_FAIL("valid signed image without a key index (%d)", info.key_index);
            int k = key_orig[info.key_index];
            if (!signed_by(digest, k))
                FUZZ_FAIL("valid for key %d, but key %d never signed this hashed region", k, k);
            FUZZ_ASSERT(info.sig_type == image_key_sig_tlv(all_keys[k].type));
        }
    }
    free(g.mem);
    return 0;
}
