/* MCUboot image format: header, TLV areas, sizes, versions.
 *
 * An image in a slot is laid out as
 *
 *   [header, hdr_size bytes; the first 32 are struct image_header]
 *   [body, img_size bytes]
 *   [protected TLV area, protect_tlv_size bytes (0 if absent):
 *        info {u16 magic 0x6908, u16 tot} then TLVs; tot includes the info]
 *   [unprotected TLV area: info {u16 magic 0x6907, u16 tot} then TLVs]
 *   ... erased ... [trailer at the end of the slot]
 *
 * Everything is little endian. A TLV is {u16 type, u16 len} + len bytes.
 * The image hash covers [0, hdr_size + img_size + protect_tlv_size).
 *
 * All functions here are portable: they read through a struct flash_area in
 * small pieces (never the whole image), check every size with overflow-
 * checked arithmetic and return an error code from common/errors.h for any
 * malformed input:
 *   DFB_ENOENT    the header area is erased (no image)
 *   DFB_EBADIMAGE wrong magic, hdr_size < 32, bad TLV info magic, protected
 *                 size inconsistent with its info, a TLV overrunning its area
 *   DFB_ERANGE    the image (header, body or TLVs) extends past the area
 *   DFB_EOVERFLOW a size sum does not fit in 32 bits
 *   flash errors  (DFB_EIO, DFB_EPOWER, ...) passed through unchanged.
 *
 * Offsets are area offsets; `off` is where the image starts in the area
 * (0 for a slot). */
#ifndef DFUBOOT_IMAGE_IMAGE_H
#define DFUBOOT_IMAGE_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/version.h"
#include "flash/flash_map.h"

#define IMAGE_MAGIC 0x96f3b83du
#define IMAGE_MAGIC_V1 0x96f3b83cu /* legacy, not accepted */
#define IMAGE_HEADER_SIZE 32u

#define IMAGE_TLV_INFO_MAGIC 0x6907u      /* unprotected area */
#define IMAGE_TLV_PROT_INFO_MAGIC 0x6908u /* protected area */
#define IMAGE_TLV_INFO_SIZE 4u            /* {u16 magic, u16 tot} */
#define IMAGE_TLV_HDR_SIZE 4u             /* {u16 type, u16 len} */

/* Header flags (ih_flags). */
#define IMAGE_F_PIC 0x00000001u
#define IMAGE_F_ENCRYPTED_AES128 0x00000004u
#define IMAGE_F_ENCRYPTED_AES256 0x00000008u
#define IMAGE_F_NON_BOOTABLE 0x00000010u
#define IMAGE_F_RAM_LOAD 0x00000020u
#define IMAGE_F_ROM_FIXED 0x00000100u
#define IMAGE_F_COMPRESSED_LZMA1 0x00000200u
#define IMAGE_F_COMPRESSED_LZMA2 0x00000400u
#define IMAGE_F_COMPRESSED_ARM_THUMB_FLT 0x00000800u

/* TLV types (same values as MCUboot and imgtool). */
#define IMAGE_TLV_KEYHASH 0x01u
#define IMAGE_TLV_PUBKEY 0x02u
#define IMAGE_TLV_SHA256 0x10u
#define IMAGE_TLV_SHA384 0x11u
#define IMAGE_TLV_SHA512 0x12u
#define IMAGE_TLV_RSA2048_PSS 0x20u
#define IMAGE_TLV_ECDSA224 0x21u
#define IMAGE_TLV_ECDSA_SIG 0x22u
#define IMAGE_TLV_RSA3072_PSS 0x23u
#define IMAGE_TLV_ED25519 0x24u
#define IMAGE_TLV_SIG_PURE 0x25u
#define IMAGE_TLV_ENC_RSA2048 0x30u
#define IMAGE_TLV_ENC_KW 0x31u
#define IMAGE_TLV_ENC_EC256 0x32u
#define IMAGE_TLV_ENC_X25519 0x33u
#define IMAGE_TLV_ENC_X25519_SHA512 0x34u
#define IMAGE_TLV_DEPENDENCY 0x40u
#define IMAGE_TLV_SEC_CNT 0x50u
#define IMAGE_TLV_BOOT_RECORD 0x60u
#define IMAGE_TLV_DECOMP_SIZE 0x70u
#define IMAGE_TLV_DECOMP_SHA 0x71u
#define IMAGE_TLV_DECOMP_SIGNATURE 0x72u
#define IMAGE_TLV_COMP_DEC_SIZE 0x73u
#define IMAGE_TLV_UUID_VID 0x74u
#define IMAGE_TLV_UUID_CID 0x75u
#define IMAGE_TLV_ANY 0xffffu /* iterator wildcard, never stored */

#define IMAGE_SHA256_SIZE 32u
#define IMAGE_DEPENDENCY_SIZE 12u


/* The 32-byte header, decoded into host order. */
struct image_header {
    uint32_t magic;
    uint32_t load_addr;
    uint16_t hdr_size;
    uint16_t protect_tlv_size;
    uint32_t img_size;
    uint32_t flags;
    struct dfb_version ver;
    uint32_t pad1;
};

/* ---- Header ------------------------------------------------------------ */

/* Decodes 32 raw bytes. No checks: see image_header_check(). */
void image_header_decode(const uint8_t raw[IMAGE_HEADER_SIZE], struct image_header *hdr);
/* Encodes into 32 raw bytes (exactly as imgtool writes them). */
void image_header_encode(const struct image_header *hdr, uint8_t raw[IMAGE_HEADER_SIZE]);

/* Header sanity for an image at `off` in an area of `area_size` bytes:
 * magic, hdr_size >= 32, and hdr_size + img_size + protect_tlv_size (checked
 * adds) fits in the area after `off`. Unprotected TLVs are not read here. */
int image_header_check(const struct image_header *hdr, uint32_t off, uint32_t area_size);

/* Reads the header of the image at `off` of `fa`, then image_header_check().
 * Returns DFB_ENOENT if the 32 header bytes are all the erased value. On a
 * check failure `hdr` still holds the decoded bytes (for diagnostics). */
int image_header_read(const struct flash_area *fa, uint32_t off, struct image_header *hdr);

/* ---- Size of an image in a stream ------------------------------------- */

/* Learns the total size of an image (header + body + protected TLVs + TLV
 * area) from its bytes as they stream in, without reading flash: a DFU
 * download feeds each block, in order, from a controller event, and so
 * knows which block is the last before the host says so. Bounded RAM work
 * (it copies at most 36 bytes in all). */
struct image_size_probe {
    uint32_t seen;     /* bytes fed so far */
    uint32_t info_off; /* offset of the unprotected TLV info; 0: unknown */
    uint32_t total;    /* the answer; 0 while unknown */
    uint8_t failed;    /* not an image: the answer stays 0 */
    uint8_t hdr[IMAGE_HEADER_SIZE];
    uint8_t info[IMAGE_TLV_INFO_SIZE];
};

void image_size_probe_init(struct image_size_probe *p);
/* Feeds the next `len` bytes; returns the total once known, else 0. */
uint32_t image_size_probe_feed(struct image_size_probe *p, const uint8_t *data, uint32_t len);

/* ---- TLV areas and sizes ----------------------------------------------- */

/* Where the parts of an image lie (area offsets). */
struct image_layout {
    uint32_t off;        /* image start (header) */
    uint32_t body_off;   /* off + hdr_size */
    uint32_t prot_off;   /* off + hdr_size + img_size: protected info (if any) */
    uint32_t prot_size;  /* = protect_tlv_size (0: no protected area) */
    uint32_t unprot_off; /* prot_off + prot_size: unprotected info */
    uint32_t unprot_size;/* unprotected it_tlv_tot (includes the 4-byte info) */
    uint32_t end;        /* unprot_off + unprot_size: first byte after the image */
};

/* Reads the TLV info headers of the image described by `hdr` (as returned
 * by image_header_read) and fills `lay`. Checks both info magics, that the
 * protected info's tot equals protect_tlv_size, tot >= 4, and that the
 * whole image lies inside the area. */
int image_layout_read(const struct flash_area *fa, uint32_t off, const struct image_header *hdr,
                      struct image_layout *lay);

/* Total size of the image at `off`: header + body + protected + unprotected
 * TLV areas (what MCUboot copies/swaps). Reads the header and TLV infos. */
int image_total_size(const struct flash_area *fa, uint32_t off, uint32_t *size);

/* One TLV entry found by the iterator. */
struct image_tlv {
    uint16_t type;
    uint16_t len;
    uint32_t off;       /* area offset of the value (after the 4-byte entry header) */
    bool is_protected;  /* in the protected (hashed) area */
};

/* Iterates over the TLV entries of an image, protected area first, reading
 * 4-byte entry headers one at a time. Every entry must fit in its area. */
struct image_tlv_iter {
    const struct flash_area *fa;
    struct image_layout lay;
    uint32_t pos;   /* next entry header */
    uint16_t type;  /* wanted type or IMAGE_TLV_ANY */
    bool prot_only; /* stop at the end of the protected area */
};

/* Starts an iteration (reads the layout). `type` filters (IMAGE_TLV_ANY for
 * all); with `prot_only` only protected entries are returned. */
int image_tlv_iter_begin(struct image_tlv_iter *it, const struct flash_area *fa, uint32_t off,
                         const struct image_header *hdr, uint16_t type, bool prot_only);
/* Same, from an already read layout. */
void image_tlv_iter_begin_layout(struct image_tlv_iter *it, const struct flash_area *fa,
                                 const struct image_layout *lay, uint16_t type, bool prot_only);
/* Next matching entry: returns 1 and fills `tlv`, 0 at the end, or < 0. */
int image_tlv_iter_next(struct image_tlv_iter *it, struct image_tlv *tlv);

/* Reads a TLV value; `len` must equal tlv->len (DFB_EINVAL otherwise). */
int image_tlv_read(const struct flash_area *fa, const struct image_tlv *tlv, void *buf, uint32_t len);

/* First entry of `type` (protected or not). DFB_ENOENT if absent. */
int image_tlv_find(const struct flash_area *fa, uint32_t off, const struct image_header *hdr, uint16_t type,
                   bool prot_only, struct image_tlv *tlv);

/* The SEC_CNT value, which only counts in the protected area (a SEC_CNT in
 * the unprotected area is not covered by the signature and is ignored).
 * DFB_ENOENT if absent, DFB_EBADIMAGE if its length is not 4. */
int image_security_counter(const struct flash_area *fa, uint32_t off, const struct image_header *hdr,
                           uint32_t *counter);

/* ---- Building (host tools, tests) -------------------------------------- */

/* Writes a 4-byte TLV info header. */
void image_tlv_info_encode(uint8_t out[IMAGE_TLV_INFO_SIZE], uint16_t magic, uint16_t tot);
/* Appends one TLV {type, len, value} at buf[*pos]; DFB_ENOSPC if it does not
 * fit in `cap`, DFB_EOVERFLOW if len > 0xffff. */
int image_tlv_append(uint8_t *buf, uint32_t cap, uint32_t *pos, uint16_t type, const void *value, uint32_t len);

/* ---- Versions ----------------------------------------------------------- */

/* Parses "maj[.min[.rev[+build]]]" like imgtool: decimal, no leading zeros,
 * no signs or spaces, maj/min <= 255, rev <= 65535, build <= 2^32-1.
 * Missing parts are 0. DFB_EINVAL on anything else. */
int image_version_parse(const char *s, struct dfb_version *ver);
/* imgtool's --security-counter auto: (major << 24) | (minor << 16) | revision. */
uint32_t image_version_security_counter(const struct dfb_version *ver);

#endif
