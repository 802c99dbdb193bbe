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
 * the area's write block size. Nothing is erased until data is written. */
int stream_writer_init(struct stream_writer *sw, const struct flash_area *fa, uint8_t *buf, uint32_t buf_size,
                       uint32_t start, uint32_t limit);

/* From now on a sector that reads erased is not erased again before it is
 * first written (0 turns this off; off after init). Only for an area whose
 * erased-reading sectors are known to be fully erased, e.g. after
 * boot_preerase_step() (boot/boot_preerase.h) has returned 0 since power-up:
 * a sector whose erase a power cut interrupted can read erased and still not
 * program reliably. */
void stream_writer_skip_erased(struct stream_writer *sw, int on);

/* Appends data. DFB_ENOSPC if it would pass the limit (nothing taken). */
int stream_writer_write(struct stream_writer *sw, const void *data, uint32_t len);

/* Programs what is buffered, padded to the write block size with the
 * erase value. If padding was needed the stream is finished: later writes
 * fail with DFB_ESTATE (the padding cannot be programmed over). */
int stream_writer_flush(struct stream_writer *sw);

/* Data bytes accepted so far (programmed plus buffered), padding excluded. */
uint32_t stream_writer_bytes_written(const struct stream_writer *sw);

/* Modelled time (us) to program `len` more bytes, including the erases
 * they would trigger, per the device's timing model. */
uint32_t stream_writer_estimate_us(const struct stream_writer *sw, uint32_t len);

#endif
