/* The UART link codec: frames that carry USB control transfers over a byte
 * pipe (a UART) between a device (the firmware's USB core) and a host-side
 * bridge (the USB/IP server). docs/uart-link.md describes the protocol;
 * this header is its single definition in code, shared by both sides.
 *
 * Wire format of one frame:
 *
 *   START  escaped( type seq payload... crc0 crc1 crc2 crc3 )  END
 *
 *   START 0xC0 and END 0xC1 never occur inside a frame: those two bytes and
 *   ESC 0xDB are sent as ESC, byte ^ 0x20. Bytes outside a frame are the
 *   console's text (0xC0 and 0xC1 are never part of UTF-8 text). The CRC
 *   is CRC-32 as in Ethernet and zlib (reflected poly 0xEDB88320, init and
 *   final xor 0xFFFFFFFF, check value 0xCBF43926 for "123456789") over
 *   type, seq and payload, sent least significant byte first; a receiver
 *   runs it over the whole body and expects the residue 0xDEBB20E3.
 *
 * Portable: no allocation, no OS calls; the caller owns every buffer. The
 * encoder streams a frame from a small header copied into it and a payload
 * it only points at, so a device can send a 4 KiB reply from the class's
 * buffer without a copy. The decoder takes one byte at a time (from an
 * interrupt handler if need be) and resynchronises at every START. */
#ifndef DFUBOOT_PORT_UARTLINK_UARTLINK_H
#define DFUBOOT_PORT_UARTLINK_UARTLINK_H

#include <stddef.h>
#include <stdint.h>

#define UARTLINK_START 0xC0
#define UARTLINK_END 0xC1
#define UARTLINK_ESC 0xDB
#define UARTLINK_ESC_XOR 0x20

/* Protocol version, sent in every STATE frame. */
#define UARTLINK_VERSION 1

/* type + seq + crc: the smallest frame body. */
#define UARTLINK_OVERHEAD 6
/* The longest payload a host-side decoder accepts: an IN data stage of
 * a control transfer (wLength is 16 bits). */
#define UARTLINK_MAX_PAYLOAD 65535u

/* Frame types. Host to device: requests, each answered by exactly one
 * reply with the same seq (see docs/uart-link.md). */
enum uartlink_type {
    UARTLINK_HELLO = 0x01,       /* what is your state? reply: STATE */
    UARTLINK_RESET = 0x02,       /* bus reset. reply: ACK */
    UARTLINK_SETUP = 0x03,       /* 8 SETUP bytes. reply: DATA_IN, OUT_READY,
                                    STATUS or STALL */
    UARTLINK_OUT = 0x04,         /* next OUT data (at most the device's rx_max).
                                    reply: ACK (more wanted), STATUS or STALL */
    UARTLINK_STATUS_DONE = 0x05, /* the host has the answer. reply: ACK */

    /* Device to host. */
    UARTLINK_ACK = 0x81,
    UARTLINK_DATA_IN = 0x82,     /* the IN data stage (0..wLength bytes) */
    UARTLINK_OUT_READY = 0x83,   /* send the OUT data stage */
    UARTLINK_STATUS = 0x84,      /* status stage: ACK */
    UARTLINK_STALL = 0x85,
    UARTLINK_STATE = 0x86,       /* reply to HELLO, or unsolicited (seq 0) */
    UARTLINK_NAK = 0x87,         /* a damaged frame arrived: resend (seq 0) */
};

/* STATE payload: version, flags, generation, rx_max (LE16), address. */
#define UARTLINK_STATE_LEN 6
#define UARTLINK_STATE_ATTACHED 0x01 /* pull-up on: the device is on the bus */
#define UARTLINK_STATE_BOOT 0x02     /* first STATE since the link started */

/* CRC-32 (IEEE 802.3), bit by bit: no table, it is not crypto. */
uint32_t uartlink_crc32(const void *data, size_t len);
/* The register form: start with 0xFFFFFFFF, the CRC is the result's
 * complement. Over a body with its CRC appended it gives the residue. */
uint32_t uartlink_crc32_update(uint32_t reg, const void *data, size_t len);
#define UARTLINK_CRC32_RESIDUE 0xDEBB20E3u

/* ---- encoder ------------------------------------------------------------ */

#define UARTLINK_ENC_HDR_MAX 8

struct uartlink_enc {
    uint8_t hdr[2 + UARTLINK_ENC_HDR_MAX]; /* type, seq, inline payload */
    uint8_t hdr_len;
    uint8_t crc_bytes[4];
    const uint8_t *data; /* external payload after the inline part */
    uint32_t data_len;
    uint32_t pos;        /* body bytes emitted (hdr, data, crc) */
    uint8_t phase;       /* 0 idle, 1 START, 2 body, 3 END, 4 done */
    uint8_t pending_esc; /* second byte of an escape still to emit */
};

/* Starts a frame: `inline_payload` (at most UARTLINK_ENC_HDR_MAX bytes) is
 * copied; `data` (may be NULL when data_len is 0) must stay valid and
 * unchanged until the frame is fully emitted. */
void uartlink_enc_start(struct uartlink_enc *e, uint8_t type, uint8_t seq, const void *inline_payload,
                        uint8_t inline_len, const void *data, uint32_t data_len);
/* Emits up to `cap` wire bytes into `out`; returns how many. 0 once the
 * frame is complete (or none was started). */
size_t uartlink_enc_next(struct uartlink_enc *e, uint8_t *out, size_t cap);
/* Nonzero while a started frame still has bytes to emit. */
int uartlink_enc_busy(const struct uartlink_enc *e);

/* Whole-frame encoding into a buffer: returns the wire length, or 0 if
 * `cap` is too small. At most 2 * (payload + 6) + 2 bytes are needed. */
size_t uartlink_encode(uint8_t *out, size_t cap, uint8_t type, uint8_t seq, const void *payload, uint32_t len);

/* ---- decoder ------------------------------------------------------------ */

enum uartlink_event {
    UARTLINK_EV_NONE = 0,    /* byte consumed, nothing to report */
    UARTLINK_EV_FRAME = 1,   /* a valid frame is in the decoder */
    UARTLINK_EV_CONSOLE = 2, /* the byte is console text (outside frames) */
    UARTLINK_EV_ERROR = 3,   /* a damaged frame was dropped (see `error`) */
};

enum uartlink_error {
    UARTLINK_ERR_NONE = 0,
    UARTLINK_ERR_CRC,       /* CRC mismatch */
    UARTLINK_ERR_SHORT,     /* fewer than UARTLINK_OVERHEAD body bytes */
    UARTLINK_ERR_TOO_LONG,  /* more than the buffer holds */
    UARTLINK_ERR_ESCAPE,    /* ESC followed by a byte that is not escaped */
    UARTLINK_ERR_RESTART,   /* START inside a frame: the frame was cut */
};

struct uartlink_dec {
    uint8_t *buf; /* body: type, seq, payload, crc */
    uint32_t cap;
    uint32_t len;
    uint32_t crc; /* running CRC register over the body so far */
    uint8_t state; /* 0 outside a frame, 1 inside, 2 dropping until END */
    uint8_t esc;
    uint8_t error; /* enum uartlink_error of the last EV_ERROR */
    /* counters (wrap) */
    uint32_t frames, errors, console_bytes;
};

/* `buf` of `cap` bytes holds one frame body: payload capacity is
 * cap - UARTLINK_OVERHEAD. */
void uartlink_dec_init(struct uartlink_dec *d, uint8_t *buf, uint32_t cap);
/* Feeds one wire byte. After UARTLINK_EV_FRAME the frame stays readable
 * until the next call. */
enum uartlink_event uartlink_dec_byte(struct uartlink_dec *d, uint8_t byte);
/* The frame just decoded. */
static inline uint8_t uartlink_frame_type(const struct uartlink_dec *d)
{
    return d->buf[0];
}
static inline uint8_t uartlink_frame_seq(const struct uartlink_dec *d)
{
    return d->buf[1];
}
static inline const uint8_t *uartlink_frame_payload(const struct uartlink_dec *d)
{
    return d->buf + 2;
}
static inline uint32_t uartlink_frame_len(const struct uartlink_dec *d)
{
    return d->len - UARTLINK_OVERHEAD;
}

#endif
