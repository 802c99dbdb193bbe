/* Boot decision, offset swap with resumable status, copy-back revert. */
#include "boot/boot.h"

#include <string.h>

#include "common/config.h"
#include "common/errors.h"

#ifndef BOOT_COPY_BUF_SIZE
#define BOOT_COPY_BUF_SIZE 512
#endif

/* The one copy buffer (also used to scan status entries). */
static uint8_t boot_buf[BOOT_COPY_BUF_SIZE];

struct bctx {
    const struct boot_config *cfg;
    const struct sys_ops *sys;
    const struct flash_area *pri;
    const struct flash_area *sec;
    struct boot_geo g;
};

/* Log lines up to CONFIG_DFUBOOT_LOG_LEVEL (common/config.h); the others,
 * and their strings, are compiled out. */
#define BOOT_LOG(b, lvl, min, ...)                                                                              \
    do {                                                                                                       \
        if (CONFIG_DFUBOOT_LOG_LEVEL >= (min))                                                                 \
            sys_log((b)->sys, (lvl), __VA_ARGS__);                                                             \
    } while (0)
#define LOG_INF(b, ...) BOOT_LOG(b, SYS_LOG_INF, 3, __VA_ARGS__)
#define LOG_WRN(b, ...) BOOT_LOG(b, SYS_LOG_WRN, 2, __VA_ARGS__)
#define LOG_ERR(b, ...) BOOT_LOG(b, SYS_LOG_ERR, 1, __VA_ARGS__)

static uint32_t area_a(const struct bctx *b, const struct flash_area *fa)
{
    return fa == b->pri ? b->g.a_pri : b->g.a_sec;
}

static uint32_t trailer_region_off(const struct bctx *b)
{
    return (b->g.slot_sectors - b->g.trailer_sectors) * b->g.sector_size;
}

static uint32_t max_image_bytes(const struct bctx *b)
{
    return b->g.max_image_sectors * b->g.sector_size;
}

/* Erases the trailer sectors of a slot, last sector (the magic) first, so
 * an interrupted erase never leaves a good magic over erased fields. */
static int erase_trailer_region(const struct bctx *b, const struct flash_area *fa)
{
    uint32_t ss = b->g.sector_size;

    for (uint32_t i = b->g.slot_sectors; i > b->g.slot_sectors - b->g.trailer_sectors; i--) {
        int rc = flash_area_erase(fa, (i - 1) * ss, ss);

        if (rc != DFB_OK)
            return rc;
    }
    return DFB_OK;
}

static int region_erased(const struct bctx *b, const struct flash_area *fa)
{
    uint32_t off = trailer_region_off(b);

    return flash_area_is_erased(fa, off, fa->size - off);
}

/* Erases one sector of dst and copies the same-sized sector of src into it
 * (chunks that read erased are not programmed: the sector is erased). */
static int copy_sector(const struct bctx *b, const struct flash_area *src, uint32_t soff,
                       const struct flash_area *dst, uint32_t doff)
{
    uint32_t ss = b->g.sector_size;
    uint8_t ev = flash_area_erased_val(dst);
    int rc = flash_area_erase(dst, doff, ss);

    for (uint32_t done = 0; rc == DFB_OK && done < ss; done += BOOT_COPY_BUF_SIZE) {
        uint32_t n = ss - done < BOOT_COPY_BUF_SIZE ? ss - done : BOOT_COPY_BUF_SIZE;
        uint32_t i;

        rc = flash_area_read(src, soff + done, boot_buf, n);
        if (rc != DFB_OK)
            break;
        for (i = 0; i < n && boot_buf[i] == ev; i++)
            ;
        if (i < n)
            rc = flash_area_write(dst, doff + done, boot_buf, n);
    }
    return rc;
}

/* ---- status entries: one write-size entry per finished step, growing
 * down from below swap_sizes. Any entry that does not read erased counts as
 * one finished step (it is only written after the step). An entry that a
 * torn write left looking erased but unprogrammable is skipped. ---- */

static uint32_t entry_off(const struct bctx *b, const struct flash_area *fa, uint32_t k)
{
    return boot_swap_sizes_off(fa->size, area_a(b, fa)) - (k + 1) * flash_area_align(fa);
}

static uint32_t entry_cap(const struct bctx *b, const struct flash_area *fa)
{
    return (boot_swap_sizes_off(fa->size, area_a(b, fa)) - trailer_region_off(b)) / flash_area_align(fa);
}

/* done = entries written, next = first free entry after the last written. */
static int scan_entries(const struct bctx *b, const struct flash_area *fa, uint32_t *done, uint32_t *next)
{
    uint32_t w = flash_area_align(fa);
    uint32_t cap = entry_cap(b, fa);
    uint32_t per = BOOT_COPY_BUF_SIZE / w;
    uint8_t ev = flash_area_erased_val(fa);

    *done = 0;
    *next = 0;
    /* entries k..k+per-1 are contiguous, lowest address = highest index */
    for (uint32_t k = 0; k < cap; k += per) {
        uint32_t n = cap - k < per ? cap - k : per;
        int rc = flash_area_read(fa, entry_off(b, fa, k + n - 1), boot_buf, n * w);

        if (rc != DFB_OK)
            return rc;
        for (uint32_t j = 0; j < n; j++) {
            const uint8_t *e = boot_buf + (n - 1 - j) * w;
            uint32_t x;

            for (x = 0; x < w && e[x] == ev; x++)
                ;
            if (x < w) {
                (*done)++;
                *next = k + j + 1;
            }
        }
    }
    return DFB_OK;
}

static int append_entry(const struct bctx *b, const struct flash_area *fa, uint32_t *next)
{
    uint32_t cap = entry_cap(b, fa);

    while (*next < cap) {
        int rc = boot_write_flag_at(fa, entry_off(b, fa, *next), BOOT_FLAG_SET_VALUE);

        (*next)++;
        if (rc != DFB_ENOTERASED)
            return rc;
        LOG_WRN(b, "Status entry %u unwritable, using the next one", (unsigned)(*next - 1));
    }
    return DFB_ENOSPC;
}

/* ---- finalising the primary trailer through a journal in the secondary
 * trailer (used at the end of a revert, and to repair a primary trailer
 * whose copy_done write was torn) ---- */

static int primary_is_final(const struct bctx *b, uint8_t type)
{
    struct boot_swap_state st;

    if (boot_read_swap_state(b->pri, b->g.a_pri, &st) != DFB_OK)
        return 0;
    return st.magic == BOOT_MAGIC_GOOD && st.swap_info_raw == type && st.copy_done == BOOT_FLAG_SET &&
           st.image_ok == (type == BOOT_SWAP_TYPE_TEST ? BOOT_FLAG_UNSET : BOOT_FLAG_SET);
}

static int finalize_continue(const struct bctx *b, uint8_t type, uint32_t size)
{
    const struct flash_area *p = b->pri;
    uint32_t a = b->g.a_pri;
    int rc = DFB_OK;

    if (!primary_is_final(b, type)) {
        rc = erase_trailer_region(b, p);
        if (rc == DFB_OK)
            rc = boot_write_swap_info(p, a, 0, type);
        if (rc == DFB_OK)
            rc = boot_write_swap_size(p, a, size);
        if (rc == DFB_OK && type != BOOT_SWAP_TYPE_TEST)
            rc = boot_write_image_ok(p, a);
        if (rc == DFB_OK)
            rc = boot_write_copy_done(p, a);
        if (rc == DFB_OK)
            rc = boot_write_magic(p, a);
    }
    if (rc == DFB_OK)
        rc = erase_trailer_region(b, b->sec);
    return rc;
}

/* Writes the journal (swap_size, then swap_info as the commit mark) into
 * the secondary trailer, which must not hold a good magic. */
static int write_journal(const struct bctx *b, uint8_t type, uint32_t size)
{
    int rc = DFB_OK;

    for (int attempt = 0; attempt < 2; attempt++) {
        if (attempt > 0 || !region_erased(b, b->sec))
            rc = erase_trailer_region(b, b->sec);
        if (rc == DFB_OK)
            rc = boot_write_swap_size(b->sec, b->g.a_sec, size);
        if (rc == DFB_OK)
            rc = boot_write_swap_info(b->sec, b->g.a_sec, 0, type);
        if (rc != DFB_ENOTERASED)
            break;
    }
    return rc;
}

/* ---- upgrade: offset swap ----
 * Step 2i:   erase secondary sector i, copy primary sector i into it.
 * Step 2i+1: erase primary sector i, copy secondary sector i+1 into it.
 * Afterwards the new image is at primary offset 0 and the old image at
 * secondary offset 0. Status: the primary trailer (set up first). A step
 * whose source sector is past its image (2i: i >= the old image's sectors;
 * 2i+1: i >= the new image's) moves nothing and erases nothing; it still
 * gets its status entry, so the step count stays 2 x the larger image. */

/* Sectors an image of `bytes` occupies (at least 1: step 0 always moves
 * the primary's first sector, so secondary sector 0 never keeps an older
 * header that a revert could take for the old image). */
static uint32_t image_sectors(const struct bctx *b, uint32_t bytes)
{
    uint32_t n = (bytes + b->g.sector_size - 1) / b->g.sector_size;

    return n == 0 ? 1 : n;
}

static int swap_continue(const struct bctx *b, uint8_t type, uint32_t size, uint32_t old_size, uint32_t new_size)
{
    uint32_t ss = b->g.sector_size;
    uint32_t steps = 2 * ((size + ss - 1) / ss);
    uint32_t old_n = image_sectors(b, old_size), new_n = image_sectors(b, new_size);
    uint32_t done, next;
    struct boot_swap_state st;
    int rc;

    rc = scan_entries(b, b->pri, &done, &next);
    for (uint32_t j = done; rc == DFB_OK && j < steps; j++) {
        uint32_t i = j / 2;

        if ((j & 1) == 0 && i < old_n)
            rc = copy_sector(b, b->pri, i * ss, b->sec, i * ss);
        else if ((j & 1) == 1 && i < new_n)
            rc = copy_sector(b, b->sec, (i + 1) * ss, b->pri, i * ss);
        if (rc == DFB_OK)
            rc = append_entry(b, b->pri, &next);
    }
    /* the request in the secondary trailer is consumed */
    if (rc == DFB_OK)
        rc = erase_trailer_region(b, b->sec);
    if (rc == DFB_OK)
        rc = boot_read_swap_state(b->pri, b->g.a_pri, &st);
    if (rc != DFB_OK)
        return rc;
    if (st.copy_done == BOOT_FLAG_UNSET) {
        rc = boot_write_copy_done(b->pri, b->g.a_pri);
        if (rc != DFB_ENOTERASED)
            return rc;
    }
    /* copy_done torn by an earlier power cut: rebuild the primary trailer */
    LOG_WRN(b, "Primary trailer damaged at the end of the swap; rewriting it");
    rc = write_journal(b, type, size);
    return rc == DFB_OK ? finalize_continue(b, type, size) : rc;
}

/* The image sizes of the swap in progress, as swap_start() stored them;
 * both `size` (no sector skipped) if they do not fit it. */
static void stored_sizes(const struct bctx *b, uint32_t size, uint32_t *old_size, uint32_t *new_size)
{
    if (boot_read_swap_sizes(b->pri, b->g.a_pri, old_size, new_size) != DFB_OK || *old_size > size ||
        *new_size > size || (*old_size != size && *new_size != size)) {
        *old_size = size;
        *new_size = size;
    }
}

static int swap_start(const struct bctx *b, uint8_t type, uint32_t size, uint32_t old_size, uint32_t new_size)
{
    const struct flash_area *p = b->pri;
    uint32_t a = b->g.a_pri;
    int rc;

    LOG_INF(b, "Starting swap using offset algorithm.");
    rc = erase_trailer_region(b, p);
    if (rc == DFB_OK)
        rc = boot_write_swap_info(p, a, 0, type);
    if (rc == DFB_OK && type == BOOT_SWAP_TYPE_PERM)
        rc = boot_write_image_ok(p, a);
    if (rc == DFB_OK)
        rc = boot_write_swap_size(p, a, size);
    if (rc == DFB_OK)
        rc = boot_write_swap_sizes(p, a, old_size, new_size);
    if (rc == DFB_OK)
        rc = boot_write_magic(p, a); /* magic last: GOOD means the rest is there */
    return rc == DFB_OK ? swap_continue(b, type, size, old_size, new_size) : rc;
}

/* ---- revert: copy the old image back from secondary offset 0 ----
 * Status: journal + one entry per copied sector in the secondary trailer,
 * which this does not erase until the primary trailer is final. */

static int revert_continue(const struct bctx *b, uint32_t size)
{
    uint32_t ss = b->g.sector_size;
    uint32_t n = (size + ss - 1) / ss;
    uint32_t done, next;
    int rc = scan_entries(b, b->sec, &done, &next);

    for (uint32_t i = done; rc == DFB_OK && i < n; i++) {
        rc = copy_sector(b, b->sec, i * ss, b->pri, i * ss);
        if (rc == DFB_OK)
            rc = append_entry(b, b->sec, &next);
    }
    return rc == DFB_OK ? finalize_continue(b, BOOT_SWAP_TYPE_REVERT, size) : rc;
}

/* ---- boot decision ---- */

static void log_state(const struct bctx *b, const char *name, const struct boot_swap_state *st)
{
    LOG_INF(b, "%s: magic=%s, swap_type=0x%x, copy_done=0x%x, image_ok=0x%x", name, boot_magic_str(st->magic),
            st->swap_type, st->copy_done, st->image_ok);
}

static int validate(const struct bctx *b, const struct flash_area *fa, uint32_t off, uint32_t limit,
                    struct boot_image_info *info)
{
    const struct boot_image_ops *ops = b->cfg->image;

    memset(info, 0, sizeof(*info));
    if (ops == 0 || ops->validate == 0)
        return DFB_ENOTSUP;
    if (ops->validate(ops->ctx, fa, off, info) != 0)
        return DFB_EBADIMAGE;
    if (info->total_size == 0 || info->total_size > limit || info->hdr_size >= info->total_size)
        return DFB_ENOSPC;
    return DFB_OK;
}

static int is_downgrade(const struct bctx *b, const struct boot_image_info *sec, const struct boot_image_info *pri)
{
    if (!b->cfg->downgrade_prevention)
        return 0;
    if (b->cfg->downgrade_use_security_counter) {
        uint32_t s = sec->has_security_counter ? sec->security_counter : 0;
        uint32_t p = pri->has_security_counter ? pri->security_counter : 0;

        return s < p;
    }
    return dfb_version_cmp(&sec->version, &pri->version, b->cfg->version_cmp_build) < 0;
}

/* Makes the secondary unbootable and not pending: trailer first. */
static int scramble_secondary(const struct bctx *b)
{
    int rc = erase_trailer_region(b, b->sec);

    return rc == DFB_OK ? flash_area_erase(b->sec, 0, trailer_region_off(b)) : rc;
}

/* TEST/PERM requested: validate, then swap. Sets *done to the swap type done. */
static int start_upgrade(const struct bctx *b, uint8_t type, uint8_t *done)
{
    struct boot_image_info si, pi;
    uint32_t max = max_image_bytes(b);
    uint32_t size;
    int rc;

    rc = validate(b, b->sec, b->g.sector_size, max, &si);
    if (rc == DFB_ENOSPC)
        LOG_ERR(b, "Image in the secondary slot is too large for the slot");
    else if (rc != DFB_OK)
        LOG_ERR(b, "Image in the secondary slot is not valid!");
    if (rc == DFB_OK) {
        /* the primary image (kept for a revert), if any */
        if (validate(b, b->pri, 0, b->pri->size, &pi) != DFB_OK) {
            pi.total_size = 0;
        } else if (is_downgrade(b, &si, &pi)) {
            LOG_ERR(b, "Insufficient version in secondary slot");
            rc = DFB_ESTATE;
        }
    }
    if (rc != DFB_OK) {
        *done = BOOT_SWAP_TYPE_FAIL;
        return scramble_secondary(b);
    }
    size = si.total_size > pi.total_size ? si.total_size : pi.total_size;
    if (size > max) {
        LOG_WRN(b, "Primary image larger than a swappable image; it cannot be kept for a revert");
        size = max;
    }
    *done = type;
    return swap_start(b, type, size, pi.total_size < size ? pi.total_size : size, si.total_size);
}

static int start_revert(const struct bctx *b, uint8_t *done)
{
    struct boot_image_info oi;
    struct boot_swap_state st;
    int rc;

    if (boot_read_swap_state(b->sec, b->g.a_sec, &st) == DFB_OK)
        log_state(b, "Secondary image", &st);
    if (validate(b, b->sec, 0, max_image_bytes(b), &oi) != DFB_OK) {
        /* nothing to go back to: keep the running image for good */
        LOG_ERR(b, "No valid image to revert to; keeping the primary image");
        *done = BOOT_SWAP_TYPE_FAIL;
        return boot_write_image_ok(b->pri, b->g.a_pri);
    }
    *done = BOOT_SWAP_TYPE_REVERT;
    rc = write_journal(b, BOOT_SWAP_TYPE_REVERT, oi.total_size);
    return rc == DFB_OK ? revert_continue(b, oi.total_size) : rc;
}

/* The image a revert of `size` bytes copies back is valid and that size. */
static int revert_source_ok(const struct bctx *b, uint32_t size)
{
    struct boot_image_info oi;

    return validate(b, b->sec, 0, max_image_bytes(b), &oi) == DFB_OK && oi.total_size == size;
}

/* Acts on trailers and status. Returns a flash error, or 0. */
static int do_swaps(struct bctx *b, struct boot_result *rsp)
{
    struct boot_swap_state ps, ss;
    uint32_t size = 0, old_size, new_size;
    uint8_t type;
    int rc;

    rc = boot_read_swap_state(b->pri, b->g.a_pri, &ps);
    if (rc != DFB_OK)
        return rc;
    if (boot_read_swap_state(b->sec, b->g.a_sec, &ss) != DFB_OK)
        memset(&ss, 0, sizeof(ss));
    log_state(b, "Primary image", &ps);
    log_state(b, "Secondary image", &ss);
    LOG_INF(b, "Boot source: none");

    /* 1. a journal in the secondary trailer: revert or trailer rewrite */
    if (ss.magic == BOOT_MAGIC_UNSET && ss.swap_info_raw >= BOOT_SWAP_TYPE_TEST &&
        ss.swap_info_raw <= BOOT_SWAP_TYPE_REVERT && boot_read_swap_size(b->sec, b->g.a_sec, &size) == DFB_OK &&
        size > 0 && size <= max_image_bytes(b)) {
        type = ss.swap_info_raw;
        /* primary trailer already final: only the journal's erase was cut */
        if (primary_is_final(b, type)) {
            LOG_INF(b, "Finishing interrupted %s", type == BOOT_SWAP_TYPE_REVERT ? "revert" : "swap completion");
            return erase_trailer_region(b, b->sec);
        }
        /* A revert copies the old image back from secondary offset 0, which
         * stays intact while it runs: a journal whose source does not
         * validate was not written by a revert (e.g. downloaded bytes). */
        if (type != BOOT_SWAP_TYPE_REVERT || revert_source_ok(b, size)) {
            LOG_INF(b, "Resuming interrupted %s", type == BOOT_SWAP_TYPE_REVERT ? "revert" : "swap completion");
            LOG_INF(b, "Swap type: %s", boot_swap_type_str(type));
            rsp->swap_type = type;
            rsp->resumed = 1;
            return type == BOOT_SWAP_TYPE_REVERT ? revert_continue(b, size) : finalize_continue(b, type, size);
        }
        LOG_WRN(b, "Revert record without a valid image to revert to; ignoring it");
    }
    /* 2. leftovers in a secondary trailer that holds no request */
    if (ss.magic != BOOT_MAGIC_GOOD && !region_erased(b, b->sec)) {
        LOG_WRN(b, "Erasing leftover secondary trailer");
        rc = erase_trailer_region(b, b->sec);
        if (rc == DFB_OK)
            rc = boot_read_swap_state(b->sec, b->g.a_sec, &ss);
        if (rc != DFB_OK)
            return rc;
    }
    /* 3. an upgrade swap in progress (primary trailer set up, not done) */
    if (ps.magic == BOOT_MAGIC_GOOD && ps.copy_done != BOOT_FLAG_SET &&
        (ps.swap_info_raw == BOOT_SWAP_TYPE_TEST || ps.swap_info_raw == BOOT_SWAP_TYPE_PERM) &&
        boot_read_swap_size(b->pri, b->g.a_pri, &size) == DFB_OK && size > 0 && size <= max_image_bytes(b)) {
        type = ps.swap_info_raw;
        LOG_INF(b, "Resuming interrupted swap");
        LOG_INF(b, "Swap type: %s", boot_swap_type_str(type));
        rsp->swap_type = type;
        rsp->resumed = 1;
        stored_sizes(b, size, &old_size, &new_size);
        return swap_continue(b, type, size, old_size, new_size);
    }
    /* 4. the swap-type table */
    type = boot_swap_type_from_states(&ps, &ss);
    LOG_INF(b, "Swap type: %s", boot_swap_type_str(type));
    rsp->swap_type = type;
    if (type == BOOT_SWAP_TYPE_TEST || type == BOOT_SWAP_TYPE_PERM)
        return start_upgrade(b, type, &rsp->swap_type);
    if (type == BOOT_SWAP_TYPE_REVERT)
        return start_revert(b, &rsp->swap_type);
    return DFB_OK;
}

int boot_go(const struct boot_config *cfg, struct boot_result *rsp)
{
    struct bctx b;
    uint32_t limit;
    int rc;

    if (cfg == 0 || rsp == 0 || cfg->slots.primary == 0)
        return DFB_EINVAL;
    memset(rsp, 0, sizeof(*rsp));
    memset(&b, 0, sizeof(b));
    rsp->action = BOOT_ACTION_HALT;
    rsp->swap_type = BOOT_SWAP_TYPE_NONE;
    b.cfg = cfg;
    b.sys = cfg->sys;
    b.pri = cfg->slots.primary;
    b.sec = cfg->slots.secondary;

    LOG_INF(&b, "Starting bootloader");
    limit = b.pri->size;
    if (b.sec == 0 || boot_geo_compute(&cfg->slots, &b.g) != DFB_OK) {
        LOG_WRN(&b, "Slots cannot be swapped (sizes, sector layouts or alignment differ); upgrades disabled");
    } else {
        rc = do_swaps(&b, rsp);
        if (rc != DFB_OK) {
            LOG_ERR(&b, "Flash error %d during swap", rc);
            return rc;
        }
        limit = trailer_region_off(&b);
    }
    if (validate(&b, b.pri, 0, limit, &rsp->info) != DFB_OK) {
        LOG_ERR(&b, "Image in the primary slot is not valid!");
        LOG_ERR(&b, "Unable to find bootable image");
        return DFB_OK;
    }
    rsp->action = BOOT_ACTION_JUMP;
    rsp->image_off = b.pri->off;
    rsp->hdr_size = rsp->info.hdr_size;
    rsp->img_size = rsp->info.img_size;
    return DFB_OK;
}

void boot_jump(const struct boot_config *cfg, const struct boot_result *rsp)
{
    const struct bctx log = { .sys = cfg->sys }; /* only for LOG_INF's level check */

    LOG_INF(&log, "Bootloader chainload address offset: 0x%x", (unsigned)rsp->image_off);
    LOG_INF(&log, "Jumping to the first image slot");
    if (cfg->sys != 0 && cfg->sys->jump != 0)
        cfg->sys->jump(cfg->sys->ctx, rsp->image_off, rsp->hdr_size, rsp->img_size);
}

int boot_main(const struct boot_config *cfg)
{
    struct boot_result rsp;
    int rc = boot_go(cfg, &rsp);

    if (rc != DFB_OK)
        return rc;
    if (rsp.action != BOOT_ACTION_JUMP)
        return DFB_ESTATE;
    boot_jump(cfg, &rsp);
    return DFB_OK;
}
