#include "flash/stream_writer.h"

#include <string.h>

#include "common/errors.h"

int stream_writer_init(struct stream_writer *sw, const struct flash_area *fa, uint8_t *buf, uint32_t buf_size,
                       uint32_t start, uint32_t limit)
{
    uint32_t align;

    if (sw == 0 || fa == 0 || fa->dev == 0 || (buf == 0) != (buf_size == 0))
        return DFB_EINVAL;
    align = flash_area_align(fa);
    if (buf_size % align != 0 || start % align != 0)
        return DFB_EINVAL;
    if (limit == 0)
        limit = fa->size;
    if (limit > fa->size || start > limit)
        return DFB_ERANGE;
    memset(sw, 0, sizeof(*sw));
    sw->fa = fa;
    sw->buf = buf;
    sw->buf_size = buf_size;
    sw->start = start;
    sw->limit = limit;
    sw->erased_end = start;
    return DFB_OK;
}

int stream_writer_erase_from(struct stream_writer *sw, uint32_t off)
{
    if (sw == 0 || sw->fa == 0 || off > sw->start || sw->flushed != 0 || sw->buf_fill != 0)
        return DFB_EINVAL;
    sw->erased_end = off;
    return DFB_OK;
}

/* Erases the sectors that [start, end) needs and that are not erased yet.
 * A stream starting inside a sector erases that whole sector. */
static int erase_until(struct stream_writer *sw, uint32_t end)
{
    while (sw->erased_end < end) {
        struct flash_sector s;
        int rc = flash_area_sector_at(sw->fa, sw->erased_end, &s);

        if (rc == DFB_OK && !(sw->skip_erased && flash_area_is_erased(sw->fa, s.off, s.size) == 1))
            rc = flash_area_erase(sw->fa, s.off, s.size);
        if (rc != DFB_OK)
            return rc;
        sw->erased_end = s.off + s.size;
    }
    return DFB_OK;
}

void stream_writer_skip_erased(struct stream_writer *sw, int on)
{
    sw->skip_erased = on != 0;
}

/* Programs `len` bytes of the buffer (len a multiple of the write block). */
static int program(struct stream_writer *sw, uint32_t len)
{
    uint32_t off = sw->start + sw->flushed;
    int rc = erase_until(sw, off + len);

    if (rc == DFB_OK)
        rc = flash_area_write(sw->fa, off, sw->buf, len);
    return rc;
}

int stream_writer_write(struct stream_writer *sw, const void *data, uint32_t len)
{
    const uint8_t *p = data;

    if (sw == 0 || (data == 0 && len != 0) || (sw->buf == 0 && len != 0))
        return DFB_EINVAL;
    if (sw->padded && len != 0)
        return DFB_ESTATE;
    if (len > sw->limit - sw->start - sw->flushed - sw->buf_fill)
        return DFB_ENOSPC;
    while (len > 0) {
        uint32_t n = sw->buf_size - sw->buf_fill;
        int rc;

        if (n > len)
            n = len;
        memcpy(sw->buf + sw->buf_fill, p, n);
        sw->buf_fill += n;
        p += n;
        len -= n;
        if (sw->buf_fill < sw->buf_size)
            break;
        rc = program(sw, sw->buf_size);
        if (rc != DFB_OK)
            return rc;
        sw->flushed += sw->buf_size;
        sw->buf_fill = 0;
    }
    return DFB_OK;
}

int stream_writer_flush(struct stream_writer *sw)
{
    uint32_t align, padded;
    int rc;

    if (sw == 0)
        return DFB_EINVAL;
    if (sw->buf_fill == 0)
        return DFB_OK;
    align = flash_area_align(sw->fa);
    padded = (sw->buf_fill + align - 1) / align * align;
    if (padded > sw->limit - sw->start - sw->flushed)
        return DFB_ENOSPC;
    memset(sw->buf + sw->buf_fill, flash_area_erased_val(sw->fa), padded - sw->buf_fill);
    rc = program(sw, padded);
    if (rc != DFB_OK)
        return rc;
    sw->padded = padded != sw->buf_fill;
    sw->flushed += sw->buf_fill;
    sw->buf_fill = 0;
    return DFB_OK;
}

int stream_writer_step(struct stream_writer *sw, const void *data, uint32_t len, uint32_t max_write,
                       uint32_t *programmed)
{
    uint32_t align, off, n;
    int rc;

    if (sw == 0 || programmed == 0 || (data == 0 && len != 0))
        return DFB_EINVAL;
    *programmed = 0;
    align = flash_area_align(sw->fa);
    if (len % align != 0 || max_write % align != 0 || sw->buf_fill != 0)
        return DFB_EINVAL;
    if (sw->padded && len != 0)
        return DFB_ESTATE;
    if (len > sw->limit - sw->start - sw->flushed)
        return DFB_ENOSPC;
    if (len == 0)
        return DFB_OK;
    n = max_write != 0 && max_write < len ? max_write : len;
    off = sw->start + sw->flushed;
    while (sw->erased_end < off + n) {
        /* one sector at a time: the erase is this call's operation (a
         * sector skipped as erased costs only its read) */
        struct flash_sector s;

        rc = flash_area_sector_at(sw->fa, sw->erased_end, &s);
        if (rc == DFB_OK && sw->skip_erased && flash_area_is_erased(sw->fa, s.off, s.size) == 1) {
            sw->erased_end = s.off + s.size;
            continue;
        }
        if (rc == DFB_OK)
            rc = flash_area_erase(sw->fa, s.off, s.size);
        if (rc == DFB_OK)
            sw->erased_end = s.off + s.size;
        return rc;
    }
    rc = flash_area_write(sw->fa, off, data, n);
    if (rc != DFB_OK)
        return rc;
    sw->flushed += n;
    *programmed = n;
    return DFB_OK;
}

uint32_t stream_writer_bytes_written(const struct stream_writer *sw)
{
    return sw->flushed + sw->buf_fill;
}

uint32_t stream_writer_estimate_us(const struct stream_writer *sw, uint32_t len)
{
    const struct flash_timing *t = sw->fa->dev->geo->timing;
    uint32_t end = sw->start + sw->flushed + sw->buf_fill + len;
    uint32_t off = sw->erased_end;
    uint32_t us = flash_timing_program_us(t, len);

    if (end > sw->limit)
        end = sw->limit;
    /* skipping erased sectors: the slot is expected pre-erased (no reads
     * here; a sector that still needs its erase makes the host poll again) */
    while (!sw->skip_erased && off < end) {
        struct flash_sector s;

        if (flash_area_sector_at(sw->fa, off, &s) != DFB_OK)
            break;
        us += flash_timing_erase_us(t, s.size);
        off = s.off + s.size;
    }
    return us;
}
