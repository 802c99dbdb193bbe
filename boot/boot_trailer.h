/* MCUboot-compatible image trailer, swap-type table and the application-side
 * API (request an upgrade, confirm the running image, ...).
 *
 * The trailer lives at the end of each slot. Field offsets follow MCUboot's
 * for the configured BOOT_MAX_ALIGN `A` (8 by default; 16 or 32 for flash
 * with large write blocks), so images signed with `imgtool --pad/--confirm`
 * and trailers written by MCUboot-aware tools read the same:
 *
 *   magic      [S-16, S)         16 bytes (A = 8: the classic magic; A > 8:
 *                                u16 A + 14 bytes, written as ALIGN_UP(16, A)
 *                                bytes at ALIGN_DOWN(S-16, A))
 *   image_ok   ALIGN_DOWN(S-16-A, A)   1 byte, padded to the write size
 *   copy_done  image_ok - A
 *   swap_info  copy_done - A     (image << 4) | swap type
 *   swap_size  swap_info - A     u32 LE
 *   swap_sizes swap_size - A     (dfuboot's own, below MCUboot's fields) u32
 *                                LE old image size, u32 LE new image size,
 *                                for an upgrade swap (see docs/bootloader.md)
 *   status entries grow down from swap_sizes
 *
 * Flags read as SET (0x01), UNSET (erased value) or BAD (anything else).
 * Offsets here are area offsets. */
#ifndef DFUBOOT_BOOT_BOOT_TRAILER_H
#define DFUBOOT_BOOT_BOOT_TRAILER_H

#include <stdint.h>

#include "flash/flash_map.h"

/* Magic states (MCUboot's numbering, printed in the boot log). */
#define BOOT_MAGIC_GOOD 1
#define BOOT_MAGIC_BAD 2
#define BOOT_MAGIC_UNSET 3

/* Flag states. */
#define BOOT_FLAG_SET 1
#define BOOT_FLAG_BAD 2
#define BOOT_FLAG_UNSET 3

/* Swap types. */
#define BOOT_SWAP_TYPE_NONE 1
#define BOOT_SWAP_TYPE_TEST 2
#define BOOT_SWAP_TYPE_PERM 3
#define BOOT_SWAP_TYPE_REVERT 4
#define BOOT_SWAP_TYPE_FAIL 5

#define BOOT_MAGIC_SZ 16
#define BOOT_MAX_ALIGN_DEFAULT 8
#define BOOT_FLAG_SET_VALUE 0x01

/* Decoded trailer of one slot. */
struct boot_swap_state {
    uint8_t magic;     /* BOOT_MAGIC_* */
    uint8_t swap_type; /* BOOT_SWAP_TYPE_*; erased or > REVERT reads as NONE */
    uint8_t copy_done; /* BOOT_FLAG_* */
    uint8_t image_ok;  /* BOOT_FLAG_* */
    uint8_t image_num; /* high nibble of swap_info */
    uint8_t swap_info_raw; /* the byte as stored */
};

/* The two slots of one image, as both the bootloader and the application
 * see them. max_align 0 means max(8, write size of the slots). */
struct boot_slots {
    const struct flash_area *primary;
    const struct flash_area *secondary;
    uint32_t max_align;
};

/* Effective BOOT_MAX_ALIGN for an area (0 if the configuration is unusable:
 * not 8/16/32, or smaller than the write size). */
uint32_t boot_max_align(const struct flash_area *fa, uint32_t max_align);

/* Field offsets for an area of `size` bytes at max align `a`. */
uint32_t boot_magic_off(uint32_t size);
uint32_t boot_image_ok_off(uint32_t size, uint32_t a);
uint32_t boot_copy_done_off(uint32_t size, uint32_t a);
uint32_t boot_swap_info_off(uint32_t size, uint32_t a);
uint32_t boot_swap_size_off(uint32_t size, uint32_t a);
uint32_t boot_swap_sizes_off(uint32_t size, uint32_t a);
/* The 16 magic bytes for max align `a`. */
void boot_magic_bytes(uint32_t a, uint8_t out[BOOT_MAGIC_SZ]);

/* Reads and decodes the trailer of `fa`. */
int boot_read_swap_state(const struct flash_area *fa, uint32_t a, struct boot_swap_state *st);
/* swap_size as stored (may be erased: 0xFFFFFFFF or 0). */
int boot_read_swap_size(const struct flash_area *fa, uint32_t a, uint32_t *size);
/* The sizes of the running (old) and the new image of an upgrade swap, as
 * stored (erased: 0xFFFFFFFF or 0). */
int boot_read_swap_sizes(const struct flash_area *fa, uint32_t a, uint32_t *old_size, uint32_t *new_size);

/* Writers: one flash write each, `value` byte padded with the erased value
 * to the area's write size. The magic write is ALIGN_UP(16, a) bytes. */
int boot_write_magic(const struct flash_area *fa, uint32_t a);
int boot_write_flag_at(const struct flash_area *fa, uint32_t off, uint8_t value);
int boot_write_image_ok(const struct flash_area *fa, uint32_t a);
int boot_write_copy_done(const struct flash_area *fa, uint32_t a);
int boot_write_swap_info(const struct flash_area *fa, uint32_t a, uint8_t image_num, uint8_t swap_type);
int boot_write_swap_size(const struct flash_area *fa, uint32_t a, uint32_t size);
int boot_write_swap_sizes(const struct flash_area *fa, uint32_t a, uint32_t old_size, uint32_t new_size);

/* MCUboot's swap-type table (first matching row wins):
 *   secondary magic GOOD, secondary image_ok UNSET           -> TEST
 *   secondary magic GOOD, secondary image_ok SET             -> PERM
 *   primary magic GOOD, primary image_ok UNSET, copy_done SET -> REVERT
 *   otherwise                                                -> NONE */
uint8_t boot_swap_type_from_states(const struct boot_swap_state *primary, const struct boot_swap_state *secondary);

/* Printable names: "good"/"bad"/"unset", "none"/"test"/"perm"/"revert"/"fail". */
const char *boot_magic_str(uint8_t magic);
const char *boot_swap_type_str(uint8_t type);

/* ---- Application-side API (Zephyr's dfu/mcuboot.h, MCUboot semantics) ---- */

/* boot_set_pending: marks the secondary slot for a test (permanent = 0) or
 * permanent swap. Secondary magic UNSET: writes magic, then image_ok if
 * permanent, then swap_info. GOOD: already pending, nothing written. BAD:
 * the secondary slot is erased and DFB_EBADTRAILER returned. */
int boot_request_upgrade(const struct boot_slots *s, int permanent);
/* boot_set_confirmed: primary magic GOOD and image_ok UNSET: writes
 * image_ok. UNSET magic: nothing to do (a factory image is permanent).
 * BAD magic: DFB_EBADTRAILER. */
int boot_write_img_confirmed(const struct boot_slots *s);
/* 1 if the running (primary) image is confirmed (or has no trailer), 0 if
 * not, negative on error. */
int boot_is_img_confirmed(const struct boot_slots *s);
/* The swap the bootloader will do at the next reset (BOOT_SWAP_TYPE_*),
 * from the table above; negative on error. */
int boot_swap_type(const struct boot_slots *s);
/* Erases a whole slot. */
int boot_erase_img_bank(const struct flash_area *fa);

/* Where an update image must be written in the secondary slot (area
 * offset: the size of its first sector), and the largest image (header +
 * body + TLVs) the slots can swap. DFB_ENOTSUP if the slots cannot swap. */
int boot_download_offset(const struct boot_slots *s, uint32_t *off);
int boot_max_image_size(const struct boot_slots *s, uint32_t *size);

/* ---- Slot geometry for the swap (see docs/bootloader.md) ----
 * Both slots must have the same size and one uniform sector size. The last
 * `trailer_sectors` of each slot hold the trailer and the swap status; an
 * update image sits in the secondary from its second sector on, so the
 * largest image is slot_sectors - trailer_sectors - 1 sectors. */
#define BOOT_STATUS_SPARE 8 /* spare status entries (see docs) */

struct boot_geo {
    uint32_t sector_size;
    uint32_t slot_sectors;
    uint32_t trailer_sectors;
    uint32_t max_image_sectors;
    uint32_t a_pri, a_sec; /* max align of each slot */
};

/* DFB_ENOTSUP with incompatible slots (sizes, non-uniform sectors, too few
 * sectors, bad max align). */
int boot_geo_compute(const struct boot_slots *s, struct boot_geo *g);

#endif
