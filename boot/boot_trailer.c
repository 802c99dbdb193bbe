/* MCUboot-compatible trailer, swap-type table and application-side API. */
#include "boot/boot_trailer.h"

#include <string.h>

#include "common/bytes.h"
#include "common/errors.h"

static const uint8_t magic8[BOOT_MAGIC_SZ] = {
    0x77, 0xc2, 0x95, 0xf3, 0x60, 0xd2, 0xef, 0x7f, 0x35, 0x52, 0x50, 0x0f, 0x2c, 0xb6, 0x79, 0x80,
};
static const uint8_t magic_tail[BOOT_MAGIC_SZ - 2] = {
    0x2d, 0xe1, 0x5d, 0x29, 0x41, 0x0b, 0x8d, 0x77, 0x67, 0x9c, 0x11, 0x0f, 0x1f, 0x8a,
};

#define ALIGN_DOWN(x, a) ((x) & ~((a)-1u))
#define ALIGN_UP(x, a) (((x) + (a)-1u) & ~((a)-1u))
#define TRAILER_BUF 32 /* largest max align */

uint32_t boot_max_align(const struct flash_area *fa, uint32_t max_align)
{
    uint32_t w = flash_area_align(fa);
    uint32_t a = max_align;

    if (a == 0)
        a = w > BOOT_MAX_ALIGN_DEFAULT ? w : BOOT_MAX_ALIGN_DEFAULT;
    if ((a != 8 && a != 16 && a != 32) || w == 0 || w > a)
        return 0;
    return a;
}

uint32_t boot_magic_off(uint32_t size)
{
    return size - BOOT_MAGIC_SZ;
}

uint32_t boot_image_ok_off(uint32_t size, uint32_t a)
{
    return ALIGN_DOWN(boot_magic_off(size) - a, a);
}

uint32_t boot_copy_done_off(uint32_t size, uint32_t a)
{
    return boot_image_ok_off(size, a) - a;
}

uint32_t boot_swap_info_off(uint32_t size, uint32_t a)
{
    return boot_copy_done_off(size, a) - a;
}

uint32_t boot_swap_size_off(uint32_t size, uint32_t a)
{
    return boot_swap_info_off(size, a) - a;
}

uint32_t boot_swap_sizes_off(uint32_t size, uint32_t a)
{
    return boot_swap_size_off(size, a) - a;
}

void boot_magic_bytes(uint32_t a, uint8_t out[BOOT_MAGIC_SZ])
{
    if (a == 8) {
        memcpy(out, magic8, BOOT_MAGIC_SZ);
    } else {
        put_le16(out, (uint16_t)a);
        memcpy(out + 2, magic_tail, sizeof(magic_tail));
    }
}

static int all_erased(const uint8_t *p, uint32_t len, uint8_t ev)
{
    for (uint32_t i = 0; i < len; i++) {
        if (p[i] != ev)
            return 0;
    }
    return 1;
}

static uint8_t decode_flag(uint8_t v, uint8_t ev)
{
    if (v == ev)
        return BOOT_FLAG_UNSET;
    return v == BOOT_FLAG_SET_VALUE ? BOOT_FLAG_SET : BOOT_FLAG_BAD;
}

int boot_read_swap_state(const struct flash_area *fa, uint32_t a, struct boot_swap_state *st)
{
    uint8_t buf[BOOT_MAGIC_SZ], good[BOOT_MAGIC_SZ];
    uint8_t ev = flash_area_erased_val(fa);
    uint32_t sz = fa->size;
    int rc;

    rc = flash_area_read(fa, boot_magic_off(sz), buf, BOOT_MAGIC_SZ);
    if (rc != DFB_OK)
        return rc;
    boot_magic_bytes(a, good);
    if (all_erased(buf, BOOT_MAGIC_SZ, ev))
        st->magic = BOOT_MAGIC_UNSET;
    else
        st->magic = memcmp(buf, good, BOOT_MAGIC_SZ) == 0 ? BOOT_MAGIC_GOOD : BOOT_MAGIC_BAD;

    rc = flash_area_read(fa, boot_swap_info_off(sz, a), buf, 1);
    if (rc == DFB_OK)
        rc = flash_area_read(fa, boot_copy_done_off(sz, a), buf + 1, 1);
    if (rc == DFB_OK)
        rc = flash_area_read(fa, boot_image_ok_off(sz, a), buf + 2, 1);
    if (rc != DFB_OK)
        return rc;
    st->swap_info_raw = buf[0];
    if (buf[0] == ev || (buf[0] & 0x0F) > BOOT_SWAP_TYPE_REVERT || (buf[0] & 0x0F) == 0) {
        st->swap_type = BOOT_SWAP_TYPE_NONE;
        st->image_num = 0;
    } else {
        st->swap_type = buf[0] & 0x0F;
        st->image_num = buf[0] >> 4;
    }
    st->copy_done = decode_flag(buf[1], ev);
    st->image_ok = decode_flag(buf[2], ev);
    return DFB_OK;
}

int boot_read_swap_size(const struct flash_area *fa, uint32_t a, uint32_t *size)
{
    uint8_t b[4];
    int rc = flash_area_read(fa, boot_swap_size_off(fa->size, a), b, 4);

    if (rc == DFB_OK)
        *size = get_le32(b);
    return rc;
}

int boot_read_swap_sizes(const struct flash_area *fa, uint32_t a, uint32_t *old_size, uint32_t *new_size)
{
    uint8_t b[8];
    int rc = flash_area_read(fa, boot_swap_sizes_off(fa->size, a), b, 8);

    if (rc == DFB_OK) {
        *old_size = get_le32(b);
        *new_size = get_le32(b + 4);
    }
    return rc;
}

/* Writes one trailer or swap-status record. Each record commits the writes
 * before it (a status entry says a sector copy is complete, the magic says
 * the flags are there), so those are made durable first: with a driver
 * that caches writes, the record must never reach flash before them
 * (flash/flash_dev.h, sync). */
static int write_record(const struct flash_area *fa, uint32_t off, const uint8_t *buf, uint32_t n)
{
    int rc = flash_area_sync(fa);

    if (rc == DFB_OK)
        rc = flash_area_write(fa, off, buf, n);
    return rc;
}

/* One record of `len` bytes (len <= TRAILER_BUF) padded to the write size. */
static int write_padded(const struct flash_area *fa, uint32_t off, const uint8_t *data, uint32_t len)
{
    uint8_t buf[TRAILER_BUF];
    uint32_t w = flash_area_align(fa);
    uint32_t n = ALIGN_UP(len, w);

    if (n > sizeof(buf) || off % w != 0)
        return DFB_EALIGN;
    memset(buf, flash_area_erased_val(fa), n);
    memcpy(buf, data, len);
    return write_record(fa, off, buf, n);
}

int boot_write_magic(const struct flash_area *fa, uint32_t a)
{
    uint8_t buf[TRAILER_BUF];
    uint32_t n = ALIGN_UP(BOOT_MAGIC_SZ, a);
    uint32_t off = ALIGN_DOWN(boot_magic_off(fa->size), a);

    /* for a = 32 the magic is preceded by 16 erased bytes */
    memset(buf, flash_area_erased_val(fa), n);
    boot_magic_bytes(a, buf + n - BOOT_MAGIC_SZ);
    return write_record(fa, off, buf, n);
}

int boot_write_flag_at(const struct flash_area *fa, uint32_t off, uint8_t value)
{
    return write_padded(fa, off, &value, 1);
}

int boot_write_image_ok(const struct flash_area *fa, uint32_t a)
{
    return boot_write_flag_at(fa, boot_image_ok_off(fa->size, a), BOOT_FLAG_SET_VALUE);
}

int boot_write_copy_done(const struct flash_area *fa, uint32_t a)
{
    return boot_write_flag_at(fa, boot_copy_done_off(fa->size, a), BOOT_FLAG_SET_VALUE);
}

int boot_write_swap_info(const struct flash_area *fa, uint32_t a, uint8_t image_num, uint8_t swap_type)
{
    return boot_write_flag_at(fa, boot_swap_info_off(fa->size, a), (uint8_t)((image_num << 4) | (swap_type & 0x0F)));
}

int boot_write_swap_size(const struct flash_area *fa, uint32_t a, uint32_t size)
{
    uint8_t b[4];

    put_le32(b, size);
    return write_padded(fa, boot_swap_size_off(fa->size, a), b, 4);
}

int boot_write_swap_sizes(const struct flash_area *fa, uint32_t a, uint32_t old_size, uint32_t new_size)
{
    uint8_t b[8];

    put_le32(b, old_size);
    put_le32(b + 4, new_size);
    return write_padded(fa, boot_swap_sizes_off(fa->size, a), b, 8);
}

uint8_t boot_swap_type_from_states(const struct boot_swap_state *p, const struct boot_swap_state *s)
{
    if (s->magic == BOOT_MAGIC_GOOD && s->image_ok == BOOT_FLAG_UNSET)
        return BOOT_SWAP_TYPE_TEST;
    if (s->magic == BOOT_MAGIC_GOOD && s->image_ok == BOOT_FLAG_SET)
        return BOOT_SWAP_TYPE_PERM;
    if (p->magic == BOOT_MAGIC_GOOD && p->image_ok == BOOT_FLAG_UNSET && p->copy_done == BOOT_FLAG_SET)
        return BOOT_SWAP_TYPE_REVERT;
    return BOOT_SWAP_TYPE_NONE;
}

const char *boot_magic_str(uint8_t magic)
{
    switch (magic) {
    case BOOT_MAGIC_GOOD:
        return "good";
    case BOOT_MAGIC_UNSET:
        return "unset";
    default:
        return "bad";
    }
}

const char *boot_swap_type_str(uint8_t type)
{
    switch (type) {
    case BOOT_SWAP_TYPE_TEST:
        return "test";
    case BOOT_SWAP_TYPE_PERM:
        return "perm";
    case BOOT_SWAP_TYPE_REVERT:
        return "revert";
    case BOOT_SWAP_TYPE_FAIL:
        return "fail";
    default:
        return "none";
    }
}

/* ---- slot geometry ---- */

static int uniform_sector_size(const struct flash_area *fa, uint32_t *size, uint32_t *count)
{
    struct flash_sector sec;
    uint32_t n = flash_area_sector_count(fa);

    if (n == 0 || flash_area_sector_get(fa, 0, &sec) != DFB_OK)
        return DFB_ENOTSUP;
    *size = sec.size;
    *count = n;
    for (uint32_t i = 1; i < n; i++) {
        if (flash_area_sector_get(fa, i, &sec) != DFB_OK || sec.size != *size)
            return DFB_ENOTSUP;
    }
    return DFB_OK;
}

int boot_geo_compute(const struct boot_slots *s, struct boot_geo *g)
{
    uint32_t psz, pn, ssz, sn, info, wp, ws;

    if (s == 0 || s->primary == 0 || s->secondary == 0 || g == 0)
        return DFB_EINVAL;
    g->a_pri = boot_max_align(s->primary, s->max_align);
    g->a_sec = boot_max_align(s->secondary, s->max_align);
    if (g->a_pri == 0 || g->a_sec == 0)
        return DFB_ENOTSUP;
    if (uniform_sector_size(s->primary, &psz, &pn) != DFB_OK ||
        uniform_sector_size(s->secondary, &ssz, &sn) != DFB_OK || psz != ssz || pn != sn ||
        s->primary->size != s->secondary->size)
        return DFB_ENOTSUP;
    wp = flash_area_align(s->primary);
    ws = flash_area_align(s->secondary);
    /* both trailers have the same field layout when max aligns agree */
    info = s->primary->size - boot_swap_sizes_off(s->primary->size, g->a_pri > g->a_sec ? g->a_pri : g->a_sec);
    g->sector_size = psz;
    g->slot_sectors = pn;
    for (uint32_t t = 1; t + 2 <= pn; t++) {
        uint32_t n = pn - 1 - t;
        /* primary: two entries per sector; secondary: one (revert). 32
         * bits suffice: t sectors of psz bytes fit in the slot's size. */
        uint32_t room = t * psz;

        if (room >= info && (2 * n + BOOT_STATUS_SPARE) * wp <= room - info &&
            (n + BOOT_STATUS_SPARE) * ws <= room - info) {
            g->trailer_sectors = t;
            g->max_image_sectors = n;
            return DFB_OK;
        }
    }
    return DFB_ENOTSUP;
}

/* ---- application-side API ---- */

/* The trailer state of one slot of `s`, and the max align used for it. */
static int slot_state(const struct boot_slots *s, const struct flash_area *fa, uint32_t *a,
                      struct boot_swap_state *st)
{
    if (s == 0 || fa == 0)
        return DFB_EINVAL;
    *a = boot_max_align(fa, s->max_align);
    if (*a == 0)
        return DFB_ENOTSUP;
    return boot_read_swap_state(fa, *a, st);
}

int boot_request_upgrade(const struct boot_slots *s, int permanent)
{
    struct boot_swap_state st;
    uint32_t a;
    int rc = slot_state(s, s ? s->secondary : 0, &a, &st);

    if (rc != DFB_OK)
        return rc;
    if (st.magic == BOOT_MAGIC_GOOD)
        return DFB_OK; /* already pending */
    if (st.magic == BOOT_MAGIC_BAD) {
        rc = boot_erase_img_bank(s->secondary);
        return rc != DFB_OK ? rc : DFB_EBADTRAILER;
    }
    rc = boot_write_magic(s->secondary, a);
    if (rc == DFB_OK && permanent)
        rc = boot_write_image_ok(s->secondary, a);
    if (rc == DFB_OK)
        rc = boot_write_swap_info(s->secondary, a, 0, permanent ? BOOT_SWAP_TYPE_PERM : BOOT_SWAP_TYPE_TEST);
    return rc;
}

int boot_write_img_confirmed(const struct boot_slots *s)
{
    struct boot_swap_state st;
    uint32_t a;
    int rc = slot_state(s, s ? s->primary : 0, &a, &st);

    if (rc != DFB_OK)
        return rc;
    if (st.magic == BOOT_MAGIC_UNSET)
        return DFB_OK;
    if (st.magic == BOOT_MAGIC_BAD)
        return DFB_EBADTRAILER;
    if (st.image_ok == BOOT_FLAG_SET)
        return DFB_OK;
    if (st.image_ok == BOOT_FLAG_BAD)
        return DFB_EBADTRAILER;
    return boot_write_image_ok(s->primary, a);
}

int boot_is_img_confirmed(const struct boot_slots *s)
{
    struct boot_swap_state st;
    uint32_t a;
    int rc = slot_state(s, s ? s->primary : 0, &a, &st);

    if (rc != DFB_OK)
        return rc;
    if (st.magic == BOOT_MAGIC_UNSET)
        return 1;
    return st.image_ok == BOOT_FLAG_SET;
}

int boot_swap_type(const struct boot_slots *s)
{
    struct boot_swap_state p, q;
    struct boot_geo g;
    int rc;

    rc = boot_geo_compute(s, &g);
    if (rc != DFB_OK)
        return rc;
    rc = boot_read_swap_state(s->primary, g.a_pri, &p);
    if (rc != DFB_OK)
        return rc;
    if (boot_read_swap_state(s->secondary, g.a_sec, &q) != DFB_OK)
        memset(&q, 0, sizeof(q)); /* unreadable secondary: nothing pending */
    return boot_swap_type_from_states(&p, &q);
}

int boot_erase_img_bank(const struct flash_area *fa)
{
    if (fa == 0)
        return DFB_EINVAL;
    return flash_area_erase(fa, 0, fa->size);
}

int boot_download_offset(const struct boot_slots *s, uint32_t *off)
{
    struct boot_geo g;
    int rc = boot_geo_compute(s, &g);

    if (rc == DFB_OK)
        *off = g.sector_size;
    return rc;
}

int boot_max_image_size(const struct boot_slots *s, uint32_t *size)
{
    struct boot_geo g;
    int rc = boot_geo_compute(s, &g);

    if (rc == DFB_OK)
        *size = g.max_image_sectors * g.sector_size;
    return rc;
}
