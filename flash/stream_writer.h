/* Stream writer: buffered sequential writes into a flash area.
 *
 * Like Zephyr's stream_flash: data arrives in chunks of any size, is
 * collected in a caller-provided buffer and programmed whenever the buffer
 * fills. Each sector is erased just before it is first written
 * (progressive erase), so a download never waits for a whole-slot erase.
 * The DFU download path uses it. */
#ifndef DFUBOOT_FLASH_STREAM_WRITER_H
#define DFUBOOT_FLASH_STREAM_WRITER_H

#include <stdint.h>

#include "flash/flash_map.h"

struct stream_writer {
    const struct flash_area *fa;
    uint8_t *buf;
    uint32_t buf_size;    /* multiple of the write block size */
    uint32_t buf_fill;    /* bytes waiting in buf */
    uint32_t start;       /* area offset where the stream begins */
    uint32_t limit;       /* area offset the stream may not pass */
    uint32_t flushed;     /* data bytes programmed so far (padding excluded) */
    uint32_t erased_end;  /* area offset up to which sectors were erased */
    uint8_t padded;       /* a padded flush ended the stream */
    uint8_t skip_erased;  /* see stream_writer_skip_erased() */
};

/* Streams into `fa` from area offset `start` (write-block aligned) up to
 * `limit` (0 = end of area). `buf_size` must be a non-zero multiple of
 * the area's write block size; a caller that only uses
 * stream_writer_step() passes no buffer (NULL, 0). Nothing is erased until
 * data is written. */
int stream_writer_init(struct stream_writer *sw, const struct flash_area *fa, uint8_t *buf, uint32_t buf_size,
                       uint32_t start, uint32_t limit);

/* From now on a sector that reads erased is not erased again before it is
 * first written (0 turns this off; off after init). Only for an area whose
 * erased-reading sectors are known to be fully erased, e.g. after
 * boot_preerase_step() (boot/boot_preerase.h) has returned 0 since power-up:
 * a sector whose erase a power cut interrupted can read erased and still not
 * program reliably. Applies to stream_writer_step() too, and
 * stream_writer_estimate_us() then counts no erase time (it reads nothing). */
void stream_writer_skip_erased(struct stream_writer *sw, int on);

/* Makes the stream also erase the sectors from area offset `off` (at most
 * the start) before its first write, as part of its progressive erase:
 * for a caller that wants what lies before the stream's start cleared (the
 * DFU class clears slot1's first sector). Call before any write. */
int stream_writer_erase_from(struct stream_writer *sw, uint32_t off);

/* Appends data. DFB_ENOSPC if it would pass the limit (nothing taken). */
int stream_writer_write(struct stream_writer *sw, const void *data, uint32_t len);

/* Programs what is buffered, padded to the write block size with the
 * erase value. If padding was needed the stream is finished: later writes
 * fail with DFB_ESTATE (the padding cannot be programmed over). */
int stream_writer_flush(struct stream_writer *sw);

/* Zero-copy, bounded progress, for a caller that owns its data buffers
 * and must not block for long (the DFU class's task): does exactly one
 * flash operation towards programming `len` bytes of `data` at the
 * stream's position. That is either the erase of the next sector those
 * bytes need, or one write of at most `max_write` bytes (0: no bound)
 * straight from `data`. *programmed tells how many bytes of `data` the
 * call programmed (0 after an erase); the caller passes the rest next
 * time. `len` and `max_write` must be multiples of the write block size
 * (pad the last piece with the erase value), and nothing may be buffered
 * by stream_writer_write(). DFB_ENOSPC if `len` would pass the limit. */
int stream_writer_step(struct stream_writer *sw, const void *data, uint32_t len, uint32_t max_write,
                       uint32_t *programmed);

/* Data bytes accepted so far (programmed plus buffered), padding excluded. */
uint32_t stream_writer_bytes_written(const struct stream_writer *sw);

/* Modelled time (us) to program `len` more bytes, including the erases
 * they would trigger, per the device's timing model. */
uint32_t stream_writer_estimate_us(const struct stream_writer *sw, uint32_t len);

#endif
