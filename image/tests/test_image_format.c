/* Image header / TLV parsing on synthetic images, including malformed ones. */
#include <string.h>

#include "common/bytes.h"
#include "common/errors.h"
#include "image/image.h"
#include "port/posix/sim_flash.h"
#include "tests/support/check.h"

static const struct flash_sector_range sectors[] = { { 0x1000, 16 } };
static const struct flash_geometry geo = {
    .size = 0x10000, .write_block_size = 4, .erase_value = 0xff, .sectors = sectors, .sector_range_count = 1,
};

static struct sim_flash sf;
static struct flash_area fa;

/* Builds header(hdr_size) + body + [prot TLVs] + unprot TLVs into buf. */
static uint32_t build(uint8_t *buf, uint32_t cap, uint16_t hdr_size, uint32_t body, bool with_seccnt)
{
    struct image_header h = { .magic = IMAGE_MAGIC, .hdr_size = hdr_size, .img_size = body,
                              .ver = { 1, 2, 3, 4 } };
    uint32_t pos, start;
    uint8_t v[32];

    memset(buf, 0xff, cap);
    h.protect_tlv_size = with_seccnt ? 4 + 4 + 4 : 0;
    image_header_encode(&h, buf);
    for (uint32_t i = 0; i < body; i++)
        buf[hdr_size + i] = (uint8_t)(i * 7 + 3);
    pos = hdr_size + body;
    if (with_seccnt) {
        start = pos;
        pos += 4;
        put_le32(v, 42);
        CHECK_EQ(image_tlv_append(buf, cap, &pos, IMAGE_TLV_SEC_CNT, v, 4), DFB_OK);
        image_tlv_info_encode(buf + start, IMAGE_TLV_PROT_INFO_MAGIC, (uint16_t)(pos - start));
    }
    start = pos;
    pos += 4;
    memset(v, 0xab, sizeof(v));
    CHECK_EQ(image_tlv_append(buf, cap, &pos, IMAGE_TLV_SHA256, v, 32), DFB_OK);
    CHECK_EQ(image_tlv_append(buf, cap, &pos, IMAGE_TLV_KEYHASH, v, 32), DFB_OK);
    image_tlv_info_encode(buf + start, IMAGE_TLV_INFO_MAGIC, (uint16_t)(pos - start));
    return pos;
}

static void load(const uint8_t *buf, uint32_t len)
{
    uint32_t padded = (len + 3) & ~3u;
    uint8_t tmp[0x2000];

    REQUIRE(padded <= sizeof(tmp));
    memset(tmp, 0xff, sizeof(tmp));
    memcpy(tmp, buf, len);
    REQUIRE(flash_area_erase(&fa, 0, 0x2000) == DFB_OK);
    REQUIRE(flash_area_write(&fa, 0, tmp, padded) == DFB_OK);
}

static void test_header_roundtrip(void)
{
    struct image_header h = { IMAGE_MAGIC, 0x08020000, 0x200, 12, 1024, IMAGE_F_ROM_FIXED, { 1, 2, 3, 4 }, 0 };
    struct image_header d;
    uint8_t raw[32];
    static const uint8_t expect[32] = { 0x3d, 0xb8, 0xf3, 0x96, 0x00, 0x00, 0x02, 0x08, 0x00, 0x02, 0x0c, 0x00,
                                        0x00, 0x04, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x01, 0x02, 0x03, 0x00,
                                        0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 };

    image_header_encode(&h, raw);
    CHECK(memcmp(raw, expect, 32) == 0);
    image_header_decode(raw, &d);
    CHECK(memcmp(&d, &h, sizeof(h)) == 0);
}

static void test_parse(void)
{
    uint8_t buf[0x1000];
    struct image_header h;
    struct image_layout lay;
    struct image_tlv_iter it;
    struct image_tlv tlv;
    uint32_t len, size, cnt;
    int n = 0;

    len = build(buf, sizeof(buf), 0x200, 1000, true);
    load(buf, len);
    CHECK_EQ(image_header_read(&fa, 0, &h), DFB_OK);
    CHECK_EQ(h.hdr_size, 0x200);
    CHECK_EQ(h.img_size, 1000);
    CHECK_EQ(h.protect_tlv_size, 12);
    CHECK_EQ(image_layout_read(&fa, 0, &h, &lay), DFB_OK);
    CHECK_EQ(lay.prot_off, 0x200 + 1000);
    CHECK_EQ(lay.unprot_off, 0x200 + 1000 + 12);
    CHECK_EQ(lay.unprot_size, 4 + 36 + 36);
    CHECK_EQ(lay.end, len);
    CHECK_EQ(image_total_size(&fa, 0, &size), DFB_OK);
    CHECK_EQ(size, len);
    CHECK_EQ(image_security_counter(&fa, 0, &h, &cnt), DFB_OK);
    CHECK_EQ(cnt, 42);

    CHECK_EQ(image_tlv_iter_begin(&it, &fa, 0, &h, IMAGE_TLV_ANY, false), DFB_OK);
    while (image_tlv_iter_next(&it, &tlv) == 1) {
        static const uint16_t types[] = { IMAGE_TLV_SEC_CNT, IMAGE_TLV_SHA256, IMAGE_TLV_KEYHASH };
        REQUIRE(n < 3);
        CHECK_EQ(tlv.type, types[n]);
        CHECK_EQ(tlv.is_protected, n == 0);
        n++;
    }
    CHECK_EQ(n, 3);
    CHECK_EQ(image_tlv_iter_begin(&it, &fa, 0, &h, IMAGE_TLV_ANY, true), DFB_OK);
    CHECK_EQ(image_tlv_iter_next(&it, &tlv), 1);
    CHECK_EQ(tlv.type, IMAGE_TLV_SEC_CNT);
    CHECK_EQ(image_tlv_iter_next(&it, &tlv), 0);
    CHECK_EQ(image_tlv_find(&fa, 0, &h, IMAGE_TLV_KEYHASH, false, &tlv), DFB_OK);
    CHECK_EQ(tlv.off, 0x200 + 1000 + 12 + 4 + 36 + 4);
    CHECK_EQ(image_tlv_find(&fa, 0, &h, IMAGE_TLV_PUBKEY, false, &tlv), DFB_ENOENT);
    CHECK_EQ(image_tlv_find(&fa, 0, &h, IMAGE_TLV_SHA256, true, &tlv), DFB_ENOENT);

    /* Without protected TLVs there is no SEC_CNT. */
    len = build(buf, sizeof(buf), 0x20, 0, false);
    load(buf, len);
    CHECK_EQ(image_header_read(&fa, 0, &h), DFB_OK);
    CHECK_EQ(image_total_size(&fa, 0, &size), DFB_OK);
    CHECK_EQ(size, 0x20 + 4 + 72);
    CHECK_EQ(image_security_counter(&fa, 0, &h, &cnt), DFB_ENOENT);

    /* At a non-zero offset inside the area. */
    memmove(buf + 0x100, buf, len);
    memset(buf, 0xff, 0x100);
    load(buf, len + 0x100);
    CHECK_EQ(image_total_size(&fa, 0x100, &size), DFB_OK);
    CHECK_EQ(size, 0x20 + 4 + 72);
}

static void test_malformed(void)
{
    uint8_t buf[0x1000];
    struct image_header h;
    struct image_layout lay;
    struct image_tlv_iter it;
    struct image_tlv tlv;
    uint32_t len, size;
    uint32_t unprot;

    REQUIRE(flash_area_erase(&fa, 0, 0x2000) == DFB_OK);
    CHECK_EQ(image_header_read(&fa, 0, &h), DFB_ENOENT);

    len = build(buf, sizeof(buf), 0x200, 100, true);
    unprot = 0x200 + 100 + 12;

    buf[0] ^= 1; /* magic */
    load(buf, len);
    CHECK_EQ(image_header_read(&fa, 0, &h), DFB_EBADIMAGE);
    buf[0] ^= 1;

    put_le16(buf + 8, 31); /* hdr_size < 32 */
    load(buf, len);
    CHECK_EQ(image_header_read(&fa, 0, &h), DFB_EBADIMAGE);
    put_le16(buf + 8, 0x200);

    put_le32(buf + 12, 0xfffffff0); /* img_size overflows the sum */
    load(buf, len);
    CHECK_EQ(image_header_read(&fa, 0, &h), DFB_EOVERFLOW);
    put_le32(buf + 12, 0x10000); /* past the area */
    load(buf, len);
    CHECK_EQ(image_header_read(&fa, 0, &h), DFB_ERANGE);
    put_le32(buf + 12, 100);

    put_le16(buf + 10, 16); /* protected size differs from its info */
    load(buf, len);
    CHECK_EQ(image_header_read(&fa, 0, &h), DFB_OK);
    CHECK_EQ(image_layout_read(&fa, 0, &h, &lay), DFB_EBADIMAGE);
    put_le16(buf + 10, 0); /* protected info present but size 0 */
    load(buf, len);
    CHECK_EQ(image_header_read(&fa, 0, &h), DFB_OK);
    CHECK_EQ(image_layout_read(&fa, 0, &h, &lay), DFB_EBADIMAGE);
    put_le16(buf + 10, 12);

    buf[unprot] ^= 1; /* unprotected info magic */
    load(buf, len);
    CHECK_EQ(image_header_read(&fa, 0, &h), DFB_OK);
    CHECK_EQ(image_total_size(&fa, 0, &size), DFB_EBADIMAGE);
    buf[unprot] ^= 1;

    put_le16(buf + unprot + 2, 2); /* tot smaller than its own info */
    load(buf, len);
    CHECK_EQ(image_total_size(&fa, 0, &size), DFB_EBADIMAGE);
    put_le16(buf + unprot + 2, 0xfff0); /* TLV area past the area end */
    load(buf, len);
    CHECK_EQ(image_total_size(&fa, 0, &size), DFB_ERANGE);
    put_le16(buf + unprot + 2, 4 + 72);

    put_le16(buf + unprot + 4 + 2, 33); /* first TLV overruns into the next one's header: next overruns */
    load(buf, len);
    CHECK_EQ(image_header_read(&fa, 0, &h), DFB_OK);
    CHECK_EQ(image_tlv_iter_begin(&it, &fa, 0, &h, IMAGE_TLV_ANY, false), DFB_OK);
    CHECK_EQ(image_tlv_iter_next(&it, &tlv), 1); /* SEC_CNT */
    CHECK_EQ(image_tlv_iter_next(&it, &tlv), 1); /* SHA256, len 33 still inside */
    CHECK_EQ(image_tlv_iter_next(&it, &tlv), DFB_EBADIMAGE);
    put_le16(buf + unprot + 4 + 2, 0xffff); /* TLV length past the area */
    load(buf, len);
    CHECK_EQ(image_tlv_iter_begin(&it, &fa, 0, &h, IMAGE_TLV_ANY, false), DFB_OK);
    CHECK_EQ(image_tlv_iter_next(&it, &tlv), 1);
    CHECK_EQ(image_tlv_iter_next(&it, &tlv), DFB_EBADIMAGE);
    put_le16(buf + unprot + 4 + 2, 32);

    put_le16(buf + 0x200 + 100 + 6, 5); /* protected TLV overruns the protected area */
    load(buf, len);
    CHECK_EQ(image_tlv_iter_begin(&it, &fa, 0, &h, IMAGE_TLV_ANY, false), DFB_OK);
    CHECK_EQ(image_tlv_iter_next(&it, &tlv), DFB_EBADIMAGE);
    put_le16(buf + 0x200 + 100 + 6, 4);

    /* SEC_CNT of the wrong length. */
    put_le16(buf + 0x200 + 100 + 6, 3);
    put_le16(buf + 0x200 + 100 + 2, 11);
    put_le16(buf + 10, 11);
    memmove(buf + 0x200 + 100 + 11, buf + unprot, 76);
    load(buf, len - 1);
    CHECK_EQ(image_header_read(&fa, 0, &h), DFB_OK);
    CHECK_EQ(image_security_counter(&fa, 0, &h, &size), DFB_EBADIMAGE);

    /* Truncated in the middle of the TLVs (area smaller than the image). */
    {
        struct flash_area small;
        len = build(buf, sizeof(buf), 0x200, 100, false);
        load(buf, len);
        CHECK_EQ(flash_area_init(&small, &sf.dev, "small", 0, 0x1000), DFB_OK);
        put_le32(buf + 12, 0x1000 - 0x200 - 2);
        load(buf, len);
        CHECK_EQ(image_header_read(&small, 0, &h), DFB_OK);
        CHECK_EQ(image_total_size(&small, 0, &size), DFB_ERANGE);
    }
}

static void test_versions(void)
{
    struct dfb_version v, w;

    CHECK_EQ(image_version_parse("1.2.3+4", &v), DFB_OK);
    CHECK(v.major == 1 && v.minor == 2 && v.revision == 3 && v.build_num == 4);
    CHECK_EQ(image_version_parse("7", &v), DFB_OK);
    CHECK(v.major == 7 && v.minor == 0 && v.revision == 0 && v.build_num == 0);
    CHECK_EQ(image_version_parse("255.255.65535+4294967295", &v), DFB_OK);
    CHECK_EQ(v.build_num, 4294967295u);
    CHECK_EQ(image_version_parse("0.0.0", &v), DFB_OK);
    CHECK_EQ(image_version_parse("1.2.3.4", &v), DFB_EINVAL);
    CHECK_EQ(image_version_parse("256", &v), DFB_EINVAL);
    CHECK_EQ(image_version_parse("1.2.65536", &v), DFB_EINVAL);
    CHECK_EQ(image_version_parse("1.2.3+4294967296", &v), DFB_EINVAL);
    CHECK_EQ(image_version_parse("01.2", &v), DFB_EINVAL);
    CHECK_EQ(image_version_parse("1.2+3", &v), DFB_EINVAL);
    CHECK_EQ(image_version_parse("", &v), DFB_EINVAL);
    CHECK_EQ(image_version_parse("1.", &v), DFB_EINVAL);
    CHECK_EQ(image_version_parse("-1", &v), DFB_EINVAL);
    CHECK_EQ(image_version_parse("1.2.3 ", &v), DFB_EINVAL);

    image_version_parse("1.2.3+4", &v);
    image_version_parse("1.2.3+5", &w);
    CHECK_EQ(dfb_version_cmp(&v, &w, false), 0);
    CHECK_EQ(dfb_version_cmp(&v, &w, true), -1);
    image_version_parse("1.10.0", &w);
    CHECK_EQ(dfb_version_cmp(&v, &w, false), -1);
    CHECK_EQ(dfb_version_cmp(&w, &v, false), 1);
    image_version_parse("1.2.3+4", &v);
    CHECK_EQ(image_version_security_counter(&v), 0x01020003);
}

/* The size of an image streaming in, fed in pieces of every size (the
 * header and the TLV info straddling pieces), and what is not an image. */
static void test_size_probe(void)
{
    static uint8_t img[5000];
    struct image_header h = { .magic = IMAGE_MAGIC, .hdr_size = 0x200, .img_size = 4000, .protect_tlv_size = 0x20 };
    const uint32_t info = 0x200 + 4000 + 0x20, total = info + 0x150;
    struct image_size_probe p;

    memset(img, 0xA5, sizeof(img));
    image_header_encode(&h, img);
    put_le16(img + info, IMAGE_TLV_INFO_MAGIC);
    put_le16(img + info + 2, 0x150);
    for (uint32_t piece = 1; piece <= 4096; piece = piece * 3 + 1) {
        uint32_t got = 0, at_known = 0;

        image_size_probe_init(&p);
        for (uint32_t off = 0; off < total; off += piece) {
            uint32_t n = total - off < piece ? total - off : piece;
            uint32_t r = image_size_probe_feed(&p, img + off, n);

            if (r != 0 && got == 0)
                at_known = off + n;
            got = r;
        }
        CHECK_EQ(got, total);
        CHECK(at_known >= info + 4 && at_known < info + 4 + piece);
    }
    /* not an image: never a size */
    image_size_probe_init(&p);
    CHECK_EQ(image_size_probe_feed(&p, img + 1, 4000), 0);
    CHECK_EQ(image_size_probe_feed(&p, img, 4000), 0);
    /* a bad TLV info magic */
    put_le16(img + info, 0x1234);
    image_size_probe_init(&p);
    CHECK_EQ(image_size_probe_feed(&p, img, sizeof(img)), 0);
    /* sizes that overflow are refused */
    h.img_size = 0xFFFFFFF0u;
    image_header_encode(&h, img);
    image_size_probe_init(&p);
    CHECK_EQ(image_size_probe_feed(&p, img, sizeof(img)), 0);
    CHECK(p.failed);
}

int main(void)
{
    REQUIRE(sim_flash_init_mem(&sf, &geo) == DFB_OK);
    REQUIRE(flash_area_init(&fa, &sf.dev, "slot", 0, geo.size) == DFB_OK);
    test_header_roundtrip();
    test_parse();
    test_malformed();
    test_versions();
    test_size_probe();
    sim_flash_close(&sf);
    CHECK_DONE();
}
