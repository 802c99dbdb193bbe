/* Shared helpers of the dfuimg commands. See util.h. */
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "ihex.h"
#include "keys.h"

int die(const char *fmt, ...)
{
    va_list ap;

    fputs("dfuimg: error: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 2;
}

int parse_u32(const char *s, uint32_t *out)
{
    char *end;
    unsigned long long v;

    if (!s || !*s || *s == '-')
        return -1;
    errno = 0;
    v = strtoull(s, &end, 0);
    if (errno || *end || v > 0xffffffffull)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

int write_file(const char *path, const void *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    int ok, e;

    if (!f)
        return -1;
    ok = fwrite(buf, 1, len, f) == len;
    e = errno;
    if (fclose(f) != 0 && ok) {
        ok = 0;
        e = errno;
    }
    if (!ok) {
        remove(path);
        errno = e ? e : EIO;
        return -1;
    }
    return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);

    if (a < b)
        return false;
    for (size_t i = 0; i < b; i++) {
        char c = s[a - b + i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != suffix[i])
            return false;
    }
    return true;
}

enum file_format file_format_of(const char *path, const char **name)
{
    static const char *const unsupported[] = { ".srec", ".s19", ".s28", ".s37", ".mot", ".uf2" };

    if (ends_with(path, ".hex")) {
        *name = "Intel HEX";
        return FMT_HEX;
    }
    for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
        if (ends_with(path, unsupported[i])) {
            *name = unsupported[i];
            return FMT_UNSUPPORTED;
        }
    *name = "raw binary";
    return FMT_BIN;
}

/* Is d[from..) hex digits up to a line end, at least `min` of them? */
static bool hex_line(const uint8_t *d, size_t n, size_t from, size_t min)
{
    size_t i = from;

    while (i < n && i < 600 && ((d[i] >= '0' && d[i] <= '9') || (d[i] >= 'A' && d[i] <= 'F') ||
                                (d[i] >= 'a' && d[i] <= 'f')))
        i++;
    return i - from >= min && i < n && (d[i] == '\n' || (d[i] == '\r' && i + 1 < n && d[i + 1] == '\n'));
}

/* Text records that are clearly not a raw firmware binary (the mistake of
 * signing a listing). ELF stays allowed: the virtual board's firmware is
 * an ELF program. */
static const char *foreign_content(const uint8_t *d, size_t n)
{
    if (n > 11 && d[0] == ':' && hex_line(d, n, 1, 10))
        return "Intel HEX text";
    if (n > 10 && d[0] == 'S' && d[1] >= '0' && d[1] <= '9' && hex_line(d, n, 2, 8))
        return "Motorola S-record text";
    return NULL;
}

int image_input_read(const char *path, struct image_input *in)
{
    const char *fmt_name, *foreign;
    enum file_format fmt = file_format_of(path, &fmt_name);
    uint8_t *raw;
    size_t len;
    char err[256];

    memset(in, 0, sizeof(*in));
    if (fmt == FMT_UNSUPPORTED)
        return die("%s: unsupported input format (%s); dfuimg reads raw binary or Intel HEX (.hex)", path,
                   fmt_name);
    raw = file_read_all(path, &len);
    if (!raw)
        return die("cannot read %s: %s", path, strerror(errno));
    if (fmt == FMT_HEX) {
        in->data = ihex_parse((const char *)raw, len, &in->base, &in->len, err, sizeof(err));
        free(raw);
        if (!in->data)
            return die("%s: not valid Intel HEX: %s", path, err);
        in->has_base = true;
        return 0;
    }
    foreign = foreign_content(raw, len);
    if (foreign) {
        free(raw);
        return die("%s looks like %s, not a raw binary; %s", path, foreign,
                   !strcmp(foreign, "Intel HEX text") ? "name it *.hex to read it as Intel HEX"
                                                      : "convert it to .bin or .hex first (objcopy -O binary)");
    }
    in->data = raw;
    in->len = len;
    return 0;
}

int mem_flash_area(struct flash_mem *mf, const uint8_t *data, size_t len, struct flash_area *fa)
{
    if (len == 0 || len > 0xffffffffu ||
        flash_mem_init(mf, data, (uint32_t)len, (uint32_t)len, 1, 0xff) != DFB_OK)
        return -1;
    return flash_area_init(fa, &mf->dev, "file", 0, (uint32_t)len) == DFB_OK ? 0 : -1;
}
