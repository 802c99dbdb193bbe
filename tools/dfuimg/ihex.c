/* Intel HEX reading and writing. See ihex.h. */
#include "ihex.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* One parsed data record, kept until the span is known. */
struct rec {
    uint32_t addr;
    uint8_t len;
    uint8_t data[255];
};

uint8_t *ihex_parse(const char *text, size_t text_len, uint32_t *base, size_t *len, char *err, size_t errlen)
{
    struct rec *recs = NULL, *r;
    size_t nrec = 0, cap = 0, pos = 0;
    uint32_t upper = 0, lo = 0xffffffffu;
    uint64_t hi = 0;
    unsigned line = 0;
    bool eof = false;
    uint8_t *out = NULL;

    while (pos < text_len) {
        const char *s = text + pos;
        size_t n = 0, end;
        uint8_t b[5 + 255];
        unsigned count, sum = 0;
        uint32_t addr16;

        while (pos + n < text_len && s[n] != '\n')
            n++;
        end = n;
        pos += n + 1;
        line++;
        if (end > 0 && s[end - 1] == '\r')
            end--;
        if (end == 0)
            continue;
        if (eof) {
            snprintf(err, errlen, "line %u: data after the end-of-file record", line);
            goto fail;
        }
        if (s[0] != ':' || end < 11 || (end - 1) % 2 != 0 || (end - 1) / 2 > sizeof(b)) {
            snprintf(err, errlen, "line %u: not an Intel HEX record", line);
            goto fail;
        }
        for (size_t i = 0; i < (end - 1) / 2; i++) {
            int h = hexval(s[1 + 2 * i]), l = hexval(s[2 + 2 * i]);
            if (h < 0 || l < 0) {
                snprintf(err, errlen, "line %u: not an Intel HEX record (bad hex digit)", line);
                goto fail;
            }
            b[i] = (uint8_t)(h << 4 | l);
            sum += b[i];
        }
        count = b[0];
        if ((end - 1) / 2 != count + 5u) {
            snprintf(err, errlen, "line %u: record length does not match its byte count", line);
            goto fail;
        }
        if ((sum & 0xff) != 0) {
            snprintf(err, errlen, "line %u: checksum error", line);
            goto fail;
        }
        addr16 = (uint32_t)b[1] << 8 | b[2];
        switch (b[3]) {
        case 0x00:
            if (count == 0)
                break;
            if (nrec == cap) {
                struct rec *nr;
                cap = cap ? cap * 2 : 256;
                nr = realloc(recs, cap * sizeof(*recs));
                if (!nr) {
                    snprintf(err, errlen, "out of memory");
                    goto fail;
                }
                recs = nr;
            }
            r = &recs[nrec++];
            r->addr = upper + addr16;
            r->len = (uint8_t)count;
            memcpy(r->data, b + 4, count);
            if ((uint64_t)upper + addr16 + count > 0x100000000ull) {
                snprintf(err, errlen, "line %u: data past the 4 GiB address space", line);
                goto fail;
            }
            if (r->addr < lo)
                lo = r->addr;
            if ((uint64_t)r->addr + count > hi)
                hi = (uint64_t)r->addr + count;
            break;
        case 0x01:
            eof = true;
            break;
        case 0x02:
        case 0x04:
            if (count != 2) {
                snprintf(err, errlen, "line %u: address record with %u data bytes", line, count);
                goto fail;
            }
            upper = b[3] == 0x04 ? ((uint32_t)b[4] << 24 | (uint32_t)b[5] << 16) : ((uint32_t)b[4] << 12 | (uint32_t)b[5] << 4);
            break;
        case 0x03:
        case 0x05:
            break; /* start address: not part of the image */
        default:
            snprintf(err, errlen, "line %u: unknown record type 0x%02x", line, b[3]);
            goto fail;
        }
    }
    if (!eof) {
        snprintf(err, errlen, "no end-of-file record (truncated Intel HEX)");
        goto fail;
    }
    if (nrec == 0) {
        snprintf(err, errlen, "no data records");
        goto fail;
    }
    if (hi - lo > IHEX_MAX_SPAN) {
        snprintf(err, errlen, "data spans 0x%llx bytes (more than %u MiB between lowest and highest address)",
                 (unsigned long long)(hi - lo), IHEX_MAX_SPAN >> 20);
        goto fail;
    }
    out = malloc((size_t)(hi - lo));
    {
        uint8_t *set = calloc((size_t)(hi - lo), 1);
        if (!out || !set) {
            free(set);
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
        memset(out, 0xff, (size_t)(hi - lo));
        for (size_t i = 0; i < nrec; i++) {
            size_t o = recs[i].addr - lo;
            for (size_t j = 0; j < recs[i].len; j++) {
                if (set[o + j] && out[o + j] != recs[i].data[j]) {
                    snprintf(err, errlen, "address 0x%08zx is given twice with different data", (size_t)lo + o + j);
                    free(set);
                    goto fail;
                }
                set[o + j] = 1;
                out[o + j] = recs[i].data[j];
            }
        }
        free(set);
    }
    free(recs);
    *base = lo;
    *len = (size_t)(hi - lo);
    return out;
fail:
    free(recs);
    free(out);
    return NULL;
}

static int put_record(FILE *f, uint8_t type, uint16_t addr, const uint8_t *data, size_t n)
{
    unsigned sum = (unsigned)n + (addr >> 8) + (addr & 0xff) + type;

    if (fprintf(f, ":%02X%04X%02X", (unsigned)n, addr, type) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        sum += data[i];
        if (fprintf(f, "%02X", data[i]) < 0)
            return -1;
    }
    return fprintf(f, "%02X\n", (0x100 - (sum & 0xff)) & 0xff) < 0 ? -1 : 0;
}

int ihex_write(FILE *f, const struct ihex_segment *seg, size_t count)
{
    uint32_t upper = 0;
    bool upper_known = false;

    for (size_t s = 0; s < count; s++) {
        uint64_t addr = seg[s].addr;
        size_t off = 0;

        if (addr + seg[s].len > 0x100000000ull) {
            errno = ERANGE;
            return -1;
        }
        while (off < seg[s].len) {
            uint32_t a = (uint32_t)(addr + off);
            size_t n = seg[s].len - off;
            /* 16 bytes a record, never across a 64 KiB boundary */
            if (n > 16)
                n = 16;
            if ((a & 0xffffu) + n > 0x10000u)
                n = 0x10000u - (a & 0xffffu);
            /* extended linear address when the upper half changes (and
             * first, unless it is 0) */
            if (upper_known ? (a >> 16) != upper : (a >> 16) != 0) {
                uint8_t ela[2] = { (uint8_t)(a >> 24), (uint8_t)(a >> 16) };
                if (put_record(f, 0x04, 0, ela, 2))
                    return -1;
            }
            upper = a >> 16;
            upper_known = true;
            if (put_record(f, 0x00, (uint16_t)(a & 0xffff), seg[s].data + off, n))
                return -1;
            off += n;
        }
    }
    return put_record(f, 0x01, 0, NULL, 0);
}
