#include "boot/tests/boot_test_support.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "common/errors.h"

static uint32_t fnv1a(uint32_t h, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

size_t fake_image_build(uint8_t *buf, size_t cap, const struct fake_image_desc *d)
{
    size_t total = (size_t)d->hdr_size + d->body_size + FAKE_TLV_SIZE;
    uint32_t x = d->seed * 2654435761u + 1;
    uint8_t k[4];
    uint32_t h;

    if (total > cap || d->hdr_size < 32)
        return 0;
    memset(buf, 0, d->hdr_size);
    put_le32(buf, 0x96f3b83du);
    put_le16(buf + 8, (uint16_t)d->hdr_size);
    put_le32(buf + 12, d->body_size);
    buf[20] = d->version.major;
    buf[21] = d->version.minor;
    put_le16(buf + 22, d->version.revision);
    put_le32(buf + 24, d->version.build_num);
    for (uint32_t i = 0; i < d->body_size; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        buf[d->hdr_size + i] = (uint8_t)x;
    }
    put_le32(k, d->key_id);
    h = fnv1a(2166136261u, buf, d->hdr_size + d->body_size);
    h = fnv1a(h, k, 4);
    put_le32(k, d->security_counter);
    h = fnv1a(h, k, 4);
    uint8_t *t = buf + d->hdr_size + d->body_size;
    put_le16(t, 0x6907);
    put_le16(t + 2, FAKE_TLV_SIZE);
    put_le32(t + 4, d->key_id);
    put_le32(t + 8, h);
    put_le32(t + 12, d->security_counter);
    return total;
}

int fake_validate(void *ctx, const struct flash_area *fa, uint32_t off, struct boot_image_info *out)
{
    uint32_t key = *(const uint32_t *)ctx;
    uint8_t hdr[32], tlv[FAKE_TLV_SIZE], buf[256];
    uint32_t hs, is, end, h = 2166136261u;

    if (flash_area_read(fa, off, hdr, 32) != DFB_OK || get_le32(hdr) != 0x96f3b83du)
        return -1;
    hs = get_le16(hdr + 8);
    is = get_le32(hdr + 12);
    if (hs < 32 || add_u32_checked(off, hs, &end) || add_u32_checked(end, is, &end) ||
        add_u32_checked(end, FAKE_TLV_SIZE, &end) || end > fa->size)
        return -1;
    if (flash_area_read(fa, end - FAKE_TLV_SIZE, tlv, FAKE_TLV_SIZE) != DFB_OK || get_le16(tlv) != 0x6907 ||
        get_le16(tlv + 2) != FAKE_TLV_SIZE || get_le32(tlv + 4) != key)
        return -1;
    for (uint32_t p = off; p < end - FAKE_TLV_SIZE;) {
        uint32_t n = end - FAKE_TLV_SIZE - p < sizeof(buf) ? end - FAKE_TLV_SIZE - p : (uint32_t)sizeof(buf);

        if (flash_area_read(fa, p, buf, n) != DFB_OK)
            return -1;
        h = fnv1a(h, buf, n);
        p += n;
    }
    h = fnv1a(h, tlv + 4, 4);
    h = fnv1a(h, tlv + 12, 4);
    if (h != get_le32(tlv + 8))
        return -1;
    memset(out, 0, sizeof(*out));
    out->total_size = hs + is + FAKE_TLV_SIZE;
    out->hdr_size = hs;
    out->img_size = is;
    out->version.major = hdr[20];
    out->version.minor = hdr[21];
    out->version.revision = get_le16(hdr + 22);
    out->version.build_num = get_le32(hdr + 24);
    out->security_counter = get_le32(tlv + 12);
    out->has_security_counter = 1;
    return 0;
}

static void tb_vlog(void *ctx, enum sys_log_level level, const char *fmt, va_list ap)
{
    static const char lv[] = "EWID";
    struct tboard *t = ctx;
    char line[256];
    int n;

    vsnprintf(line, sizeof(line), fmt, ap);
    if (t->verbose)
        printf("%c: %s\n", lv[level & 3], line);
    n = snprintf(t->log + t->log_len, sizeof(t->log) - t->log_len, "%c: %s\n", lv[level & 3], line);
    if (n > 0 && t->log_len + (size_t)n < sizeof(t->log))
        t->log_len += (size_t)n;
}

static void tb_jump(void *ctx, uint32_t off, uint32_t hs, uint32_t is)
{
    struct tboard *t = ctx;

    (void)hs;
    (void)is;
    t->jumps++;
    t->jump_off = off;
}

static int cdev_read(void *ctx, uint32_t off, void *buf, uint32_t len)
{
    struct tboard *t = ctx;
    return t->sf.dev.ops->read(t->sf.dev.ctx, off, buf, len);
}

static int cdev_write(void *ctx, uint32_t off, const void *buf, uint32_t len)
{
    struct tboard *t = ctx;
    int rc = t->sf.dev.ops->write(t->sf.dev.ctx, off, buf, len);

    if (rc == DFB_OK && len <= 32) {
        t->meta_writes++;
        if (t->unsynced != 0)
            t->unordered_records++;
    }
    if (rc == DFB_OK && len > 32)
        t->unsynced++;
    return rc;
}

static int cdev_erase(void *ctx, uint32_t off, uint32_t len)
{
    struct tboard *t = ctx;
    int rc = t->sf.dev.ops->erase(t->sf.dev.ctx, off, len);

    if (rc == DFB_OK)
        t->unsynced++;
    return rc;
}

/* A driver that caches writes would flush here; the simulated flash is
 * durable at once, so this only keeps count for the ordering checks. */
static int cdev_sync(void *ctx)
{
    struct tboard *t = ctx;

    t->syncs++;
    t->unsynced = 0;
    return DFB_OK;
}

static const struct flash_dev_ops cdev_ops = { cdev_read, cdev_write, cdev_erase, cdev_sync, 0 };

static void tb_common(struct tboard *t, uint32_t max_align)
{
    t->trusted_key = FAKE_KEY_GOOD;
    t->ops.validate = fake_validate;
    t->ops.ctx = &t->trusted_key;
    t->sys.vlog = tb_vlog;
    t->sys.jump = tb_jump;
    t->sys.ctx = t;
    t->cfg.slots.primary = &t->pri;
    t->cfg.slots.secondary = &t->sec;
    t->cfg.slots.max_align = max_align;
    t->cfg.image = &t->ops;
    t->cfg.sys = &t->sys;
    t->sf.strict = 1;
}

int tb_init(struct tboard *t, uint32_t sector, uint32_t nsec, uint32_t wbs, uint8_t ev, uint32_t max_align)
{
    int rc;

    memset(t, 0, sizeof(*t));
    t->range.size = sector;
    t->range.count = 1 + 2 * nsec;
    t->geo.size = sector * t->range.count;
    t->geo.write_block_size = wbs;
    t->geo.erase_value = ev;
    t->geo.sectors = &t->range;
    t->geo.sector_range_count = 1;
    t->geo.timing = &flash_timing_nrf52840;
    rc = sim_flash_init_mem(&t->sf, &t->geo);
    t->cdev.ops = &cdev_ops;
    t->cdev.ctx = t;
    t->cdev.geo = &t->geo;
    if (rc == DFB_OK)
        rc = flash_area_init(&t->pri, &t->cdev, FLASH_AREA_SLOT0, sector, sector * nsec);
    if (rc == DFB_OK)
        rc = flash_area_init(&t->sec, &t->cdev, FLASH_AREA_SLOT1, sector * (1 + nsec), sector * nsec);
    tb_common(t, max_align);
    return rc;
}

int tb_init_layout(struct tboard *t, const char *name, uint32_t max_align)
{
    int rc;

    memset(t, 0, sizeof(*t));
    t->layout = flash_layout_find(name);
    if (t->layout == NULL)
        return DFB_ENOENT;
    rc = sim_flash_init_mem(&t->sf, &t->layout->geo);
    t->cdev.ops = &cdev_ops;
    t->cdev.ctx = t;
    t->cdev.geo = &t->layout->geo;
    if (rc == DFB_OK)
        rc = flash_area_open(&t->cdev, t->layout, FLASH_AREA_SLOT0, &t->pri);
    if (rc == DFB_OK)
        rc = flash_area_open(&t->cdev, t->layout, FLASH_AREA_SLOT1, &t->sec);
    tb_common(t, max_align);
    return rc;
}

void tb_free(struct tboard *t)
{
    sim_flash_close(&t->sf);
}

void tb_log_clear(struct tboard *t)
{
    t->log_len = 0;
    t->log[0] = 0;
}

int tb_log_has(const struct tboard *t, const char *line)
{
    return strstr(t->log, line) != NULL;
}

int tb_write(struct tboard *t, const struct flash_area *fa, uint32_t off, const uint8_t *data, size_t len)
{
    uint32_t w = flash_area_align(fa);
    size_t whole = len - len % w;
    int rc = DFB_OK;

    (void)t;
    if (whole > 0)
        rc = flash_area_write(fa, off, data, (uint32_t)whole);
    if (rc == DFB_OK && whole < len) {
        uint8_t last[64];

        memset(last, flash_area_erased_val(fa), w);
        memcpy(last, data + whole, len - whole);
        rc = flash_area_write(fa, off + (uint32_t)whole, last, w);
    }
    return rc;
}

int tb_holds(struct tboard *t, const struct flash_area *fa, uint32_t off, const uint8_t *data, size_t len)
{
    uint8_t *buf = malloc(len ? len : 1);
    int same;

    (void)t;
    same = buf != NULL && flash_area_read(fa, off, buf, (uint32_t)len) == DFB_OK && memcmp(buf, data, len) == 0;
    free(buf);
    return same;
}

int tb_erase_slots(struct tboard *t)
{
    int rc = flash_area_erase(&t->pri, 0, t->pri.size);

    return rc == DFB_OK ? flash_area_erase(&t->sec, 0, t->sec.size) : rc;
}

int tb_boot(struct tboard *t, struct boot_result *rsp)
{
    return boot_go(&t->cfg, rsp);
}

uint8_t *tb_read_shared(const char *rel, size_t *len)
{
    const char *dir = getenv("DFUBOOT_SHARED_DIR");
    char path[1024];
    FILE *f;
    uint8_t *buf;
    long n;

    if (dir == NULL)
        return NULL;
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc(n > 0 ? (size_t)n : 1);
    if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}
