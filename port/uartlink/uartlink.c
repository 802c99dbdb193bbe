/* The UART link codec: see uartlink.h. */
#include "port/uartlink/uartlink.h"

#include <string.h>

enum { DEC_OUTSIDE = 0, DEC_INSIDE = 1, DEC_DROPPING = 2 };
enum { ENC_IDLE = 0, ENC_START, ENC_BODY, ENC_END, ENC_DONE };

static uint32_t crc32_byte(uint32_t reg, uint8_t b)
{
    reg ^= b;
    for (int i = 0; i < 8; i++)
        reg = (reg & 1u) ? (reg >> 1) ^ 0xEDB88320u : reg >> 1;
    return reg;
}

uint32_t uartlink_crc32_update(uint32_t reg, const void *data, size_t len)
{
    const uint8_t *p = data;

    while (len--)
        reg = crc32_byte(reg, *p++);
    return reg;
}

uint32_t uartlink_crc32(const void *data, size_t len)
{
    return ~uartlink_crc32_update(0xFFFFFFFFu, data, len);
}

static int needs_escape(uint8_t b)
{
    return b == UARTLINK_START || b == UARTLINK_END || b == UARTLINK_ESC;
}

/* ---- encoder ------------------------------------------------------------ */

void uartlink_enc_start(struct uartlink_enc *e, uint8_t type, uint8_t seq, const void *inline_payload,
                        uint8_t inline_len, const void *data, uint32_t data_len)
{
    uint32_t crc;

    if (inline_len > UARTLINK_ENC_HDR_MAX)
        inline_len = UARTLINK_ENC_HDR_MAX;
    e->hdr[0] = type;
    e->hdr[1] = seq;
    if (inline_len > 0)
        memcpy(e->hdr + 2, inline_payload, inline_len);
    e->hdr_len = (uint8_t)(2 + inline_len);
    e->data = data;
    e->data_len = data != NULL ? data_len : 0;
    crc = uartlink_crc32_update(0xFFFFFFFFu, e->hdr, e->hdr_len);
    crc = ~uartlink_crc32_update(crc, e->data, e->data_len);
    for (int i = 0; i < 4; i++)
        e->crc_bytes[i] = (uint8_t)(crc >> (8 * i));
    e->pos = 0;
    e->pending_esc = 0;
    e->phase = ENC_START;
}

int uartlink_enc_busy(const struct uartlink_enc *e)
{
    return e->phase != ENC_IDLE && e->phase != ENC_DONE;
}

/* Body byte number `pos` (header, then data, then the CRC). */
static uint8_t body_byte(const struct uartlink_enc *e, uint32_t pos)
{
    if (pos < e->hdr_len)
        return e->hdr[pos];
    pos -= e->hdr_len;
    if (pos < e->data_len)
        return e->data[pos];
    return e->crc_bytes[pos - e->data_len];
}

size_t uartlink_enc_next(struct uartlink_enc *e, uint8_t *out, size_t cap)
{
    size_t n = 0;
    uint32_t body_len = (uint32_t)e->hdr_len + e->data_len + 4u;

    while (n < cap) {
        if (e->phase == ENC_START) {
            out[n++] = UARTLINK_START;
            e->phase = ENC_BODY;
        } else if (e->phase == ENC_BODY) {
            if (e->pending_esc) {
                out[n++] = e->pending_esc;
                e->pending_esc = 0;
                e->pos++;
            } else if (e->pos < body_len) {
                uint8_t b = body_byte(e, e->pos);

                if (needs_escape(b)) {
                    out[n++] = UARTLINK_ESC;
                    e->pending_esc = (uint8_t)(b ^ UARTLINK_ESC_XOR);
                } else {
                    out[n++] = b;
                    e->pos++;
                }
            } else {
                e->phase = ENC_END;
            }
        } else if (e->phase == ENC_END) {
            out[n++] = UARTLINK_END;
            e->phase = ENC_DONE;
        } else {
            break;
        }
    }
    return n;
}

size_t uartlink_encode(uint8_t *out, size_t cap, uint8_t type, uint8_t seq, const void *payload, uint32_t len)
{
    struct uartlink_enc e;
    size_t n = 0, k;

    uartlink_enc_start(&e, type, seq, NULL, 0, payload, len);
    while ((k = uartlink_enc_next(&e, out + n, cap - n)) > 0)
        n += k;
    return uartlink_enc_busy(&e) ? 0 : n;
}

/* ---- decoder ------------------------------------------------------------ */

void uartlink_dec_init(struct uartlink_dec *d, uint8_t *buf, uint32_t cap)
{
    memset(d, 0, sizeof(*d));
    d->buf = buf;
    d->cap = cap;
}

static void dec_begin(struct uartlink_dec *d)
{
    d->state = DEC_INSIDE;
    d->len = 0;
    d->esc = 0;
    d->crc = 0xFFFFFFFFu;
}

static enum uartlink_event dec_fail(struct uartlink_dec *d, enum uartlink_error why, int keep_dropping)
{
    d->error = (uint8_t)why;
    d->errors++;
    d->state = keep_dropping ? DEC_DROPPING : DEC_OUTSIDE;
    return UARTLINK_EV_ERROR;
}

enum uartlink_event uartlink_dec_byte(struct uartlink_dec *d, uint8_t byte)
{
    if (byte == UARTLINK_START) {
        /* Always the beginning of a frame: whatever was in progress is
         * cut (reported once), which is the resynchronisation. */
        int cut = d->state == DEC_INSIDE && (d->len > 0 || d->esc);

        dec_begin(d);
        if (cut) {
            d->error = UARTLINK_ERR_RESTART;
            d->errors++;
            return UARTLINK_EV_ERROR;
        }
        return UARTLINK_EV_NONE;
    }
    if (d->state == DEC_OUTSIDE) {
        if (byte == UARTLINK_END)
            return UARTLINK_EV_NONE; /* the end of a frame we never saw begin */
        d->console_bytes++;
        return UARTLINK_EV_CONSOLE;
    }
    if (d->state == DEC_DROPPING) {
        if (byte == UARTLINK_END)
            d->state = DEC_OUTSIDE;
        return UARTLINK_EV_NONE;
    }
    if (byte == UARTLINK_END) {
        if (d->esc)
            return dec_fail(d, UARTLINK_ERR_ESCAPE, 0);
        if (d->len < UARTLINK_OVERHEAD)
            return dec_fail(d, UARTLINK_ERR_SHORT, 0);
        if (d->crc != UARTLINK_CRC32_RESIDUE)
            return dec_fail(d, UARTLINK_ERR_CRC, 0);
        d->state = DEC_OUTSIDE;
        d->frames++;
        return UARTLINK_EV_FRAME;
    }
    if (byte == UARTLINK_ESC && !d->esc) {
        d->esc = 1;
        return UARTLINK_EV_NONE;
    }
    if (d->esc) {
        byte ^= UARTLINK_ESC_XOR;
        d->esc = 0;
        if (!needs_escape(byte))
            return dec_fail(d, UARTLINK_ERR_ESCAPE, 1);
    }
    if (d->len >= d->cap)
        return dec_fail(d, UARTLINK_ERR_TOO_LONG, 1);
    d->buf[d->len++] = byte;
    d->crc = crc32_byte(d->crc, byte);
    return UARTLINK_EV_NONE;
}
