/* MCUboot image format: header, TLV areas, sizes, versions. See image.h. */
#include <string.h>

#include "common/bytes.h"
#include "common/errors.h"
#include "image/image.h"

void image_header_decode(const uint8_t raw[IMAGE_HEADER_SIZE], struct image_header *hdr)
{
    hdr->magic = get_le32(raw + 0);
    hdr->load_addr = get_le32(raw + 4);
    hdr->hdr_size = get_le16(raw + 8);
    hdr->protect_tlv_size = get_le16(raw + 10);
    hdr->img_size = get_le32(raw + 12);
    hdr->flags = get_le32(raw + 16);
    hdr->ver.major = raw[20];
    hdr->ver.minor = raw[21];
    hdr->ver.revision = get_le16(raw + 22);
    hdr->ver.build_num = get_le32(raw + 24);
    hdr->pad1 = get_le32(raw + 28);
}

void image_header_encode(const struct image_header *hdr, uint8_t raw[IMAGE_HEADER_SIZE])
{
    put_le32(raw + 0, hdr->magic);
    put_le32(raw + 4, hdr->load_addr);
    put_le16(raw + 8, hdr->hdr_size);
    put_le16(raw + 10, hdr->protect_tlv_size);
    put_le32(raw + 12, hdr->img_size);
    put_le32(raw + 16, hdr->flags);
    raw[20] = hdr->ver.major;
    raw[21] = hdr->ver.minor;
    put_le16(raw + 22, hdr->ver.revision);
    put_le32(raw + 24, hdr->ver.build_num);
    put_le32(raw + 28, hdr->pad1);
}

int image_header_check(const struct image_header *hdr, uint32_t off, uint32_t area_size)
{
    uint32_t end;

    if (hdr == 0)
        return DFB_EINVAL;
    if (hdr->magic != IMAGE_MAGIC)
        return DFB_EBADIMAGE;
    if (hdr->hdr_size < IMAGE_HEADER_SIZE)
        return DFB_EBADIMAGE;
    if (add_u32_checked(off, hdr->hdr_size, &end) || add_u32_checked(end, hdr->img_size, &end) ||
        add_u32_checked(end, hdr->protect_tlv_size, &end))
        return DFB_EOVERFLOW;
    /* The unprotected TLV info must follow, so the sum must leave room. */
    if (end >= area_size)
        return DFB_ERANGE;
    return DFB_OK;
}

int image_header_read(const struct flash_area *fa, uint32_t off, struct image_header *hdr)
{
    uint8_t raw[IMAGE_HEADER_SIZE];
    uint8_t erased;
    uint32_t i;
    int rc;

    if (fa == 0 || hdr == 0)
        return DFB_EINVAL;
    rc = flash_area_read(fa, off, raw, sizeof(raw));
    if (rc != DFB_OK)
        return rc;
    image_header_decode(raw, hdr);
    erased = flash_area_erased_val(fa);
    for (i = 0; i < sizeof(raw); i++)
        if (raw[i] != erased)
            break;
    if (i == sizeof(raw))
        return DFB_ENOENT;
    return image_header_check(hdr, off, fa->size);
}

static int read_info(const struct flash_area *fa, uint32_t off, uint16_t *magic, uint16_t *tot)
{
    uint8_t b[IMAGE_TLV_INFO_SIZE];
    int rc;

    if (off > fa->size || fa->size - off < sizeof(b))
        return DFB_ERANGE;
    rc = flash_area_read(fa, off, b, sizeof(b));
    if (rc != DFB_OK)
        return rc;
    *magic = get_le16(b);
    *tot = get_le16(b + 2);
    return DFB_OK;
}

int image_layout_read(const struct flash_area *fa, uint32_t off, const struct image_header *hdr,
                      struct image_layout *lay)
{
    uint16_t magic, tot;
    int rc;

    if (fa == 0 || hdr == 0 || lay == 0)
        return DFB_EINVAL;
    rc = image_header_check(hdr, off, fa->size);
    if (rc != DFB_OK)
        return rc;
    /* No overflow below: image_header_check summed these already. */
    lay->off = off;
    lay->body_off = off + hdr->hdr_size;
    lay->prot_off = lay->body_off + hdr->img_size;
    lay->prot_size = hdr->protect_tlv_size;

    rc = read_info(fa, lay->prot_off, &magic, &tot);
    if (rc != DFB_OK)
        return rc;
    if (magic == IMAGE_TLV_PROT_INFO_MAGIC) {
        if (tot != hdr->protect_tlv_size || tot < IMAGE_TLV_INFO_SIZE)
            return DFB_EBADIMAGE;
    } else if (hdr->protect_tlv_size != 0) {
        return DFB_EBADIMAGE;
    }
    lay->unprot_off = lay->prot_off + lay->prot_size;
    rc = read_info(fa, lay->unprot_off, &magic, &tot);
    if (rc != DFB_OK)
        return rc;
    if (magic != IMAGE_TLV_INFO_MAGIC || tot < IMAGE_TLV_INFO_SIZE)
        return DFB_EBADIMAGE;
    lay->unprot_size = tot;
    if (add_u32_checked(lay->unprot_off, tot, &lay->end))
        return DFB_EOVERFLOW;
    if (lay->end > fa->size)
        return DFB_ERANGE;
    return DFB_OK;
}

int image_total_size(const struct flash_area *fa, uint32_t off, uint32_t *size)
{
    struct image_header hdr;
    struct image_layout lay;
    int rc;

    if (size == 0)
        return DFB_EINVAL;
    rc = image_header_read(fa, off, &hdr);
    if (rc != DFB_OK)
        return rc;
    rc = image_layout_read(fa, off, &hdr, &lay);
    if (rc != DFB_OK)
        return rc;
    *size = lay.end - off;
    return DFB_OK;
}

void image_tlv_iter_begin_layout(struct image_tlv_iter *it, const struct flash_area *fa,
                                 const struct image_layout *lay, uint16_t type, bool prot_only)
{
    it->fa = fa;
    it->lay = *lay;
    it->type = type;
    it->prot_only = prot_only;
    it->pos = lay->prot_size ? lay->prot_off + IMAGE_TLV_INFO_SIZE : lay->unprot_off + IMAGE_TLV_INFO_SIZE;
}

int image_tlv_iter_begin(struct image_tlv_iter *it, const struct flash_area *fa, uint32_t off,
                         const struct image_header *hdr, uint16_t type, bool prot_only)
{
    struct image_layout lay;
    int rc;

    if (it == 0)
        return DFB_EINVAL;
    rc = image_layout_read(fa, off, hdr, &lay);
    if (rc != DFB_OK)
        return rc;
    image_tlv_iter_begin_layout(it, fa, &lay, type, prot_only);
    return DFB_OK;
}

int image_tlv_iter_next(struct image_tlv_iter *it, struct image_tlv *tlv)
{
    const struct image_layout *lay = &it->lay;
    uint32_t prot_end = lay->prot_off + lay->prot_size;
    uint8_t b[IMAGE_TLV_HDR_SIZE];
    uint32_t sect_end, value_end;
    bool prot;
    int rc;

    for (;;) {
        if (lay->prot_size != 0 && it->pos < prot_end) {
            prot = true;
            sect_end = prot_end;
        } else {
            if (it->prot_only)
                return 0;
            if (it->pos < lay->unprot_off + IMAGE_TLV_INFO_SIZE)
                it->pos = lay->unprot_off + IMAGE_TLV_INFO_SIZE; /* skip the unprotected info */
            prot = false;
            sect_end = lay->end;
        }
        if (it->pos >= sect_end) {
            if (prot)
                continue; /* cannot happen: pos < prot_end above */
            return 0;
        }
        if (sect_end - it->pos < IMAGE_TLV_HDR_SIZE)
            return DFB_EBADIMAGE;
        rc = flash_area_read(it->fa, it->pos, b, sizeof(b));
        if (rc != DFB_OK)
            return rc;
        value_end = it->pos + IMAGE_TLV_HDR_SIZE;
        if (add_u32_checked(value_end, get_le16(b + 2), &value_end))
            return DFB_EOVERFLOW;
        if (value_end > sect_end)
            return DFB_EBADIMAGE;
        tlv->type = get_le16(b);
        tlv->len = get_le16(b + 2);
        tlv->off = it->pos + IMAGE_TLV_HDR_SIZE;
        tlv->is_protected = prot;
        it->pos = value_end;
        if (prot && value_end == prot_end)
            it->pos = lay->unprot_off + IMAGE_TLV_INFO_SIZE;
        if (it->type == IMAGE_TLV_ANY || it->type == tlv->type)
            return 1;
    }
}

int image_tlv_read(const struct flash_area *fa, const struct image_tlv *tlv, void *buf, uint32_t len)
{
    if (fa == 0 || tlv == 0 || buf == 0 || len != tlv->len)
        return DFB_EINVAL;
    return flash_area_read(fa, tlv->off, buf, len);
}

int image_tlv_find(const struct flash_area *fa, uint32_t off, const struct image_header *hdr, uint16_t type,
                   bool prot_only, struct image_tlv *tlv)
{
    struct image_tlv_iter it;
    int rc = image_tlv_iter_begin(&it, fa, off, hdr, type, prot_only);

    if (rc != DFB_OK)
        return rc;
    rc = image_tlv_iter_next(&it, tlv);
    if (rc < 0)
        return rc;
    return rc == 1 ? DFB_OK : DFB_ENOENT;
}

int image_security_counter(const struct flash_area *fa, uint32_t off, const struct image_header *hdr,
                           uint32_t *counter)
{
    struct image_tlv tlv;
    uint8_t b[4];
    int rc;

    if (counter == 0)
        return DFB_EINVAL;
    rc = image_tlv_find(fa, off, hdr, IMAGE_TLV_SEC_CNT, true, &tlv);
    if (rc != DFB_OK)
        return rc;
    if (tlv.len != sizeof(b))
        return DFB_EBADIMAGE;
    rc = flash_area_read(fa, tlv.off, b, sizeof(b));
    if (rc != DFB_OK)
        return rc;
    *counter = get_le32(b);
    return DFB_OK;
}

void image_tlv_info_encode(uint8_t out[IMAGE_TLV_INFO_SIZE], uint16_t magic, uint16_t tot)
{
    put_le16(out, magic);
    put_le16(out + 2, tot);
}

int image_tlv_append(uint8_t *buf, uint32_t cap, uint32_t *pos, uint16_t type, const void *value, uint32_t len)
{
    uint32_t end;

    if (buf == 0 || pos == 0 || (value == 0 && len != 0))
        return DFB_EINVAL;
    if (len > 0xffffu)
        return DFB_EOVERFLOW;
    if (add_u32_checked(*pos, IMAGE_TLV_HDR_SIZE + len, &end))
        return DFB_EOVERFLOW;
    if (end > cap)
        return DFB_ENOSPC;
    put_le16(buf + *pos, type);
    put_le16(buf + *pos + 2, (uint16_t)len);
    if (len)
        memcpy(buf + *pos + IMAGE_TLV_HDR_SIZE, value, len);
    *pos = end;
    return DFB_OK;
}

/* One decimal number without leading zeros, at most `max`. */
static const char *parse_num(const char *s, uint32_t max, uint32_t *out)
{
    uint32_t v = 0;
    const char *start = s;

    if (*s < '0' || *s > '9')
        return 0;
    if (s[0] == '0' && s[1] >= '0' && s[1] <= '9')
        return 0;
    while (*s >= '0' && *s <= '9') {
        uint32_t d = (uint32_t)(*s - '0');
        if (v > (max - d) / 10)
            return 0;
        v = v * 10 + d;
        s++;
    }
    if (s == start)
        return 0;
    *out = v;
    return s;
}

int image_version_parse(const char *s, struct dfb_version *ver)
{
    uint32_t maj = 0, min = 0, rev = 0, build = 0;

    if (s == 0 || ver == 0)
        return DFB_EINVAL;
    s = parse_num(s, 0xff, &maj);
    if (s == 0)
        return DFB_EINVAL;
    if (*s == '.') {
        s = parse_num(s + 1, 0xff, &min);
        if (s == 0)
            return DFB_EINVAL;
        if (*s == '.') {
            s = parse_num(s + 1, 0xffff, &rev);
            if (s == 0)
                return DFB_EINVAL;
            if (*s == '+') {
                s = parse_num(s + 1, 0xffffffffu, &build);
                if (s == 0)
                    return DFB_EINVAL;
            }
        }
    }
    if (*s != '\0')
        return DFB_EINVAL;
    ver->major = (uint8_t)maj;
    ver->minor = (uint8_t)min;
    ver->revision = (uint16_t)rev;
    ver->build_num = build;
    return DFB_OK;
}

uint32_t image_version_security_counter(const struct dfb_version *ver)
{
    return ((uint32_t)ver->major << 24) | ((uint32_t)ver->minor << 16) | ver->revision;
}

void image_size_probe_init(struct image_size_probe *p)
{
    memset(p, 0, sizeof(*p));
}

/* Copies the bytes of [data, data + len) at stream offset `at` that fall
 * in [start, start + n) into dst. */
static void copy_window(uint8_t *dst, uint32_t start, uint32_t n, uint32_t at, const uint8_t *data, uint32_t len)
{
    uint64_t lo = start > at ? start : at;
    uint64_t hi = (uint64_t)start + n < (uint64_t)at + len ? (uint64_t)start + n : (uint64_t)at + len;

    if (lo < hi)
        memcpy(dst + (lo - start), data + (lo - at), (size_t)(hi - lo));
}

uint32_t image_size_probe_feed(struct image_size_probe *p, const uint8_t *data, uint32_t len)
{
    uint32_t at = p->seen;

    if (p->failed || p->total != 0)
        return p->total;
    p->seen = at + len < at ? UINT32_MAX : at + len;
    if (at < IMAGE_HEADER_SIZE) {
        copy_window(p->hdr, 0, IMAGE_HEADER_SIZE, at, data, len);
        if (p->seen >= IMAGE_HEADER_SIZE) {
            struct image_header h;
            uint64_t off;

            image_header_decode(p->hdr, &h);
            off = (uint64_t)h.hdr_size + h.img_size + h.protect_tlv_size;
            if (h.magic != IMAGE_MAGIC || h.hdr_size < IMAGE_HEADER_SIZE || off > UINT32_MAX - 0xFFFFu) {
                p->failed = 1;
                return 0;
            }
            p->info_off = (uint32_t)off;
        }
    }
    if (p->info_off == 0 || p->seen <= p->info_off)
        return 0;
    copy_window(p->info, p->info_off, IMAGE_TLV_INFO_SIZE, at, data, len);
    if (p->seen >= p->info_off + IMAGE_TLV_INFO_SIZE) {
        uint16_t tot = get_le16(p->info + 2);

        if (get_le16(p->info) != IMAGE_TLV_INFO_MAGIC || tot < IMAGE_TLV_INFO_SIZE)
            p->failed = 1;
        else
            p->total = p->info_off + tot;
    }
    return p->total;
}
