/* Whole-file reader for the benchmark programs. */
#ifndef DFUBOOT_BENCH_VALIDATE_BENCH_FILE_H
#define DFUBOOT_BENCH_VALIDATE_BENCH_FILE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static inline uint8_t *bench_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = 0;
    long n;

    if (f == 0 || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
        goto fail;
    buf = malloc((size_t)n + 1);
    if (buf == 0 || fread(buf, 1, (size_t)n, f) != (size_t)n)
        goto fail;
    fclose(f);
    *len = (size_t)n;
    return buf;
fail:
    fprintf(stderr, "cannot read %s\n", path);
    free(buf);
    if (f)
        fclose(f);
    return 0;
}

#endif
