/* The UART link codec: the CRC's standard check value, round trips of
 * frames with every byte value (escapes), streaming in pieces of any size,
 * console text between frames, and resynchronisation after garbage,
 * truncated frames, bad CRCs, bad escapes, over-long frames and frames cut
 * by a new START. */
#include <stdio.h>
#include <string.h>

#include "port/uartlink/uartlink.h"
#include "tests/support/check.h"

#define CAP 300

struct seen {
    int frames, errors, console;
    uint8_t type[16], seq[16];
    uint32_t len[16];
    uint8_t payload[16][CAP];
    char text[256];
    uint8_t last_error;
};

static void feed(struct uartlink_dec *d, struct seen *s, const uint8_t *wire, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        enum uartlink_event ev = uartlink_dec_byte(d, wire[i]);

        if (ev == UARTLINK_EV_FRAME && s->frames < 16) {
            s->type[s->frames] = uartlink_frame_type(d);
            s->seq[s->frames] = uartlink_frame_seq(d);
            s->len[s->frames] = uartlink_frame_len(d);
            memcpy(s->payload[s->frames], uartlink_frame_payload(d), uartlink_frame_len(d));
            s->frames++;
        } else if (ev == UARTLINK_EV_ERROR) {
            s->errors++;
            s->last_error = d->error;
        } else if (ev == UARTLINK_EV_CONSOLE && s->console < (int)sizeof(s->text) - 1) {
            s->text[s->console++] = (char)wire[i];
        }
    }
}

int main(void)
{
    static uint8_t buf[CAP + UARTLINK_OVERHEAD], wire[4096], payload[256];
    struct uartlink_dec d;
    struct seen s;
    size_t n, m;

    /* CRC-32 check value */
    CHECK_EQ(uartlink_crc32("123456789", 9), 0xCBF43926u);

    /* round trip: every byte value, markers and escapes included */
    for (int i = 0; i < 256; i++)
        payload[i] = (uint8_t)i;
    n = uartlink_encode(wire, sizeof(wire), UARTLINK_DATA_IN, 7, payload, 256);
    REQUIRE(n > 256 + 6);
    CHECK_EQ(wire[0], UARTLINK_START);
    CHECK_EQ(wire[n - 1], UARTLINK_END);
    for (size_t i = 1; i < n - 1; i++)
        CHECK(wire[i] != UARTLINK_START && wire[i] != UARTLINK_END);
    uartlink_dec_init(&d, buf, sizeof(buf));
    memset(&s, 0, sizeof(s));
    feed(&d, &s, wire, n);
    CHECK_EQ(s.frames, 1);
    CHECK_EQ(s.errors, 0);
    CHECK_EQ(s.type[0], UARTLINK_DATA_IN);
    CHECK_EQ(s.seq[0], 7);
    CHECK_EQ(s.len[0], 256);
    CHECK(memcmp(s.payload[0], payload, 256) == 0);
    CHECK_EQ(uartlink_encode(wire, 10, UARTLINK_DATA_IN, 7, payload, 256), 0); /* too small */

    /* the streaming encoder, one byte at a time, with an inline header and
     * an external payload, gives the same bytes as the whole-frame one */
    {
        struct uartlink_enc e;
        uint8_t a[600], bb[600], hdr[3] = { 0xC0, 0xDB, 1 };
        size_t an = 0, k, bn;

        uartlink_enc_start(&e, UARTLINK_OUT, 0xC1, hdr, 3, payload + 190, 60);
        CHECK(uartlink_enc_busy(&e));
        while ((k = uartlink_enc_next(&e, a + an, 1)) > 0)
            an += k;
        CHECK(!uartlink_enc_busy(&e));
        memcpy(bb + 100, hdr, 3);
        memcpy(bb + 103, payload + 190, 60);
        bn = uartlink_encode(bb, 66, UARTLINK_OUT, 0xC1, bb + 100, 63);
        CHECK_EQ(bn, 0); /* 66 bytes are not enough for 63 bytes + overhead */
        {
            uint8_t cc[600];

            bn = uartlink_encode(cc, sizeof(cc), UARTLINK_OUT, 0xC1, bb + 100, 63);
            CHECK_EQ(an, bn);
            CHECK(memcmp(a, cc, an) == 0);
        }
    }

    /* console text around frames; stray END outside a frame is not text */
    memset(&s, 0, sizeof(s));
    uartlink_dec_init(&d, buf, sizeof(buf));
    m = 0;
    memcpy(wire, "Hello\n", 6);
    m = 6;
    m += uartlink_encode(wire + m, sizeof(wire) - m, UARTLINK_ACK, 1, NULL, 0);
    wire[m++] = UARTLINK_END;
    memcpy(wire + m, "I: x\n", 5);
    m += 5;
    m += uartlink_encode(wire + m, sizeof(wire) - m, UARTLINK_STATUS, 2, NULL, 0);
    feed(&d, &s, wire, m);
    CHECK_EQ(s.frames, 2);
    CHECK_EQ(s.errors, 0);
    CHECK(strcmp(s.text, "Hello\nI: x\n") == 0);

    /* bad CRC: dropped and reported; the next frame decodes */
    memset(&s, 0, sizeof(s));
    m = uartlink_encode(wire, sizeof(wire), UARTLINK_SETUP, 3, payload + 1, 8);
    wire[3] ^= 0x01;
    m += uartlink_encode(wire + m, sizeof(wire) - m, UARTLINK_SETUP, 4, payload + 1, 8);
    feed(&d, &s, wire, m);
    CHECK_EQ(s.errors, 1);
    CHECK_EQ(s.last_error, UARTLINK_ERR_CRC);
    CHECK_EQ(s.frames, 1);
    CHECK_EQ(s.seq[0], 4);

    /* truncated: a frame cut by the START of the next one */
    memset(&s, 0, sizeof(s));
    m = uartlink_encode(wire, sizeof(wire), UARTLINK_SETUP, 5, payload + 1, 8);
    m -= 4; /* lose the tail, END included */
    m += uartlink_encode(wire + m, sizeof(wire) - m, UARTLINK_RESET, 6, NULL, 0);
    feed(&d, &s, wire, m);
    CHECK_EQ(s.errors, 1);
    CHECK_EQ(s.last_error, UARTLINK_ERR_RESTART);
    CHECK_EQ(s.frames, 1);
    CHECK_EQ(s.type[0], UARTLINK_RESET);

    /* too short, bad escape, escape before END */
    {
        const uint8_t shortf[] = { UARTLINK_START, 1, 2, UARTLINK_END };
        const uint8_t badesc[] = { UARTLINK_START, 1, UARTLINK_ESC, 0x41, 5, 6, 7, UARTLINK_END };
        const uint8_t escend[] = { UARTLINK_START, 1, 2, 3, 4, 5, 6, UARTLINK_ESC, UARTLINK_END };

        memset(&s, 0, sizeof(s));
        feed(&d, &s, shortf, sizeof(shortf));
        CHECK_EQ(s.last_error, UARTLINK_ERR_SHORT);
        feed(&d, &s, badesc, sizeof(badesc));
        CHECK_EQ(s.last_error, UARTLINK_ERR_ESCAPE);
        feed(&d, &s, escend, sizeof(escend));
        CHECK_EQ(s.last_error, UARTLINK_ERR_ESCAPE);
        CHECK_EQ(s.errors, 3);
        CHECK_EQ(s.console, 0); /* the rest of a dropped frame is not text */
        CHECK_EQ(s.frames, 0);
    }

    /* over-long for the buffer: dropped up to its END, then all is well */
    {
        static uint8_t big[CAP + 10];
        struct uartlink_dec small;
        uint8_t sbuf[16 + UARTLINK_OVERHEAD];

        memset(big, 'A', sizeof(big));
        uartlink_dec_init(&small, sbuf, sizeof(sbuf));
        memset(&s, 0, sizeof(s));
        m = uartlink_encode(wire, sizeof(wire), UARTLINK_OUT, 9, big, 17);
        m += uartlink_encode(wire + m, sizeof(wire) - m, UARTLINK_OUT, 10, big, 16);
        feed(&small, &s, wire, m);
        CHECK_EQ(s.errors, 1);
        CHECK_EQ(s.last_error, UARTLINK_ERR_TOO_LONG);
        CHECK_EQ(s.frames, 1);
        CHECK_EQ(s.len[0], 16);
        CHECK_EQ(s.console, 0);
    }

    /* garbage of every kind before a frame, split at every point */
    for (size_t cut = 0; cut < 40; cut++) {
        uint8_t g[64];
        size_t gl = 0;

        for (int i = 0; i < 30; i++)
            g[gl++] = (uint8_t)(i * 37 + cut * 11); /* includes markers */
        memset(&s, 0, sizeof(s));
        uartlink_dec_init(&d, buf, sizeof(buf));
        m = uartlink_encode(wire, sizeof(wire), UARTLINK_STATE, 0, payload + 3, 6);
        feed(&d, &s, g, gl < cut ? gl : cut);
        feed(&d, &s, wire, m);
        CHECK_EQ(s.frames, 1);
        CHECK_EQ(s.type[0], UARTLINK_STATE);
    }

    /* every single-byte corruption of a frame is caught (or resyncs):
     * no damaged frame is ever delivered as valid */
    {
        uint8_t orig[64];
        size_t on = uartlink_encode(orig, sizeof(orig), UARTLINK_SETUP, 0x42, payload + 100, 8);
        int delivered_bad = 0;

        for (size_t pos = 0; pos < on; pos++) {
            for (int bit = 0; bit < 8; bit++) {
                memcpy(wire, orig, on);
                wire[pos] ^= (uint8_t)(1u << bit);
                memset(&s, 0, sizeof(s));
                uartlink_dec_init(&d, buf, sizeof(buf));
                feed(&d, &s, wire, on);
                for (int f = 0; f < s.frames; f++) {
                    if (s.type[f] != UARTLINK_SETUP || s.seq[f] != 0x42 || s.len[f] != 8 ||
                        memcmp(s.payload[f], payload + 100, 8) != 0)
                        delivered_bad++;
                }
                /* and the decoder is ready for the next frame */
                feed(&d, &s, orig, on);
                CHECK(s.frames >= 1 && s.type[s.frames - 1] == UARTLINK_SETUP);
            }
        }
        CHECK_EQ(delivered_bad, 0);
    }
    CHECK_DONE();
}
