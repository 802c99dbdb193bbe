/* Shared helpers of the dfuimg commands: error lines, numbers, files in
 * the formats dfuimg reads and writes, and a read-only flash area over a
 * file's bytes (so verify and dumpinfo go through the image library). */
#ifndef DFUIMG_UTIL_H
#define DFUIMG_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flash/flash_map.h"
#include "flash/flash_mem.h"

/* Prints "dfuimg: error: <text>" on one line of stderr; returns 2 (the
 * exit code of a usage or input error). */
int die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Unsigned number, decimal or 0x hex, up to 0xffffffff. */
int parse_u32(const char *s, uint32_t *out);

/* Writes the whole buffer; -1 with errno set on failure (a partial file is
 * removed). */
int write_file(const char *path, const void *buf, size_t len);

/* File formats dfuimg knows, by file name (as imgtool: ".hex" is Intel
 * HEX, anything else raw binary; ".srec", ".s19", ".uf2", ... are named and
 * refused). */
enum file_format { FMT_BIN, FMT_HEX, FMT_UNSUPPORTED };
enum file_format file_format_of(const char *path, const char **name);

/* An image input: the bytes, and for Intel HEX the lowest address. */
struct image_input {
    uint8_t *data;
    size_t len;
    bool has_base;
    uint32_t base;
};

/* Reads an image file in the format its name says. A raw-binary input
 * whose content is Intel HEX or S-record text is refused (the
 * mistake of signing a listing). On failure prints the error (one line,
 * with the reason) and returns 2. */
int image_input_read(const char *path, struct image_input *in);

/* An area over a file's bytes (flash/flash_mem.h, one sector); 0 or -1. */
int mem_flash_area(struct flash_mem *mf, const uint8_t *data, size_t len, struct flash_area *fa);

#endif
