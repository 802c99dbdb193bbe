/* Intel HEX for dfuimg, as imgtool reads and writes it: a `.hex` input is
 * the bytes from its lowest to its highest address (gaps filled with 0xff),
 * with that lowest address as the base; a `.hex` output holds the image at a
 * base address, and with --pad only the trailer fields, not the padding. */
#ifndef DFUIMG_IHEX_H
#define DFUIMG_IHEX_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Largest span between the lowest and highest address accepted. */
#define IHEX_MAX_SPAN (64u << 20)

/* Parses Intel HEX text (record types 00-05; 03/05 start addresses are
 * ignored). Returns the bytes (malloc) with *len and *base, or NULL with a
 * one-line reason naming the line in err. */
uint8_t *ihex_parse(const char *text, size_t text_len, uint32_t *base, size_t *len, char *err, size_t errlen);

/* One segment to write: `len` bytes at `addr`. */
struct ihex_segment {
    uint32_t addr;
    const uint8_t *data;
    size_t len;
};

/* Writes the segments (in ascending, non-overlapping order) as 16-byte data
 * records with extended linear address records, then the EOF record.
 * Returns 0, or -1 (errno set) when writing fails or an address passes 4 GiB. */
int ihex_write(FILE *f, const struct ihex_segment *seg, size_t count);

#endif
