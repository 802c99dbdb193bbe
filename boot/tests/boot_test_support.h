/* Test support for the bootloader core: a fake image format checked by a
 * fake validator, a simulated board (two slots on a sim_flash) and log
 * capture. Not part of the portable core.
 *
 * Fake image: the real 32-byte MCUboot header (magic 0x96f3b83d, hdr_size,
 * img_size, version), header padding, body, then a 16-byte test TLV block:
 * u16 0x6907, u16 16, u32 key id, u32 checksum (FNV-1a of header + body +
 * key id + security counter), u32 security counter. The validator accepts an image only if
 * the magic, sizes (inside the area), key id and checksum are right. */
#ifndef DFUBOOT_BOOT_TESTS_BOOT_TEST_SUPPORT_H
#define DFUBOOT_BOOT_TESTS_BOOT_TEST_SUPPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "boot/boot.h"
#include "port/posix/sim_flash.h"

#define FAKE_TLV_SIZE 16
#define FAKE_KEY_GOOD 0x4b455931u /* the key the fake bootloader trusts */

struct fake_image_desc {
    uint32_t hdr_size;
    uint32_t body_size;
    struct dfb_version version;
    uint32_t security_counter;
    uint32_t key_id;
    uint32_t seed; /* body content */
};

/* REQUIRE() of check.h evaluates its condition twice: for calls with side
 * effects use MUST(call), which runs the call once and stops unless it
 * returned DFB_OK. */
#define MUST(call)                                                                                                     \
    do {                                                                                                               \
        int must_rc_ = (call);                                                                                         \
        if (must_rc_ != 0)                                                                                             \
            fprintf(stderr, "%s:%d: %s returned %d\n", __FILE__, __LINE__, #call, must_rc_);                           \
        REQUIRE(must_rc_ == 0);                                                                                        \
    } while (0)

/* Builds the image into buf (returns its size, 0 if it does not fit). */
size_t fake_image_build(uint8_t *buf, size_t cap, const struct fake_image_desc *d);
int fake_validate(void *ctx, const struct flash_area *fa, uint32_t image_off, struct boot_image_info *out);

struct tboard {
    struct sim_flash sf;
    /* a pass-through device over sf.dev that sorts writes: <= 32 bytes
     * (trailer fields and status entries) vs data copies */
    struct flash_dev cdev;
    uint64_t meta_writes;
    struct flash_geometry geo;
    struct flash_sector_range range;
    const struct flash_layout *layout;
    struct flash_area pri, sec;
    struct boot_config cfg;
    struct boot_image_ops ops;
    struct sys_ops sys;
    uint32_t trusted_key;
    int verbose;    /* print log lines */
    char log[16384];
    size_t log_len;
    int jumps;
    uint32_t jump_off;
    /* the write-ordering contract (flash/flash_dev.h, sync): data writes
     * and erases not yet synced, syncs, and records (<= 32-byte writes)
     * written while earlier data was not synced */
    uint64_t unsynced, syncs, unordered_records;
};

/* Uniform flash: one boot sector, then two slots of nsec sectors each. */
int tb_init(struct tboard *t, uint32_t sector, uint32_t nsec, uint32_t wbs, uint8_t ev, uint32_t max_align);
/* A built-in board layout ("nrf52840dk"). */
int tb_init_layout(struct tboard *t, const char *name, uint32_t max_align);
void tb_free(struct tboard *t);
void tb_log_clear(struct tboard *t);
int tb_log_has(const struct tboard *t, const char *line);

/* Writes len bytes at area offset off, the last write padded with the
 * erased value up to the write size. */
int tb_write(struct tboard *t, const struct flash_area *fa, uint32_t off, const uint8_t *data, size_t len);
/* 1 if the area holds exactly data at off. */
int tb_holds(struct tboard *t, const struct flash_area *fa, uint32_t off, const uint8_t *data, size_t len);
/* Erases both slots (the boot sector is left alone). */
int tb_erase_slots(struct tboard *t);

/* boot_go() on the board. */
int tb_boot(struct tboard *t, struct boot_result *rsp);

/* Reads a file from $DFUBOOT_SHARED_DIR/<rel> (malloc'd; NULL if absent). */
uint8_t *tb_read_shared(const char *rel, size_t *len);

#endif
