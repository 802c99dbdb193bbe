/* The bootloader core: boot decision, power-safe swap and its resume.
 *
 * boot_go() reads both slot trailers, finishes any interrupted swap or
 * revert, starts a requested one (after validating the new image), checks
 * the primary image and says what to boot. Images are checked through a
 * callback so the core does not depend on the image library. The
 * algorithm and its on-flash status are described in docs/bootloader.md. */
#ifndef DFUBOOT_BOOT_BOOT_H
#define DFUBOOT_BOOT_BOOT_H

#include <stdint.h>

#include "boot/boot_trailer.h"
#include "common/system.h"
#include "common/version.h"
#include "flash/flash_map.h"

/* What validation found out about an image. */
struct boot_image_info {
    uint32_t total_size; /* header + body + all TLVs, bytes in the slot */
    uint32_t hdr_size;
    uint32_t img_size;
    struct dfb_version version;
    uint32_t security_counter;
    uint8_t has_security_counter;
};

struct boot_image_ops {
    /* 0 only for an image at area offset `image_off` of `fa` whose hash and
     * signature are right; fills in `out`. Must not read outside `fa`. */
    int (*validate)(void *ctx, const struct flash_area *fa, uint32_t image_off, struct boot_image_info *out);
    void *ctx;
};

struct boot_config {
    struct boot_slots slots;          /* primary, secondary, max align */
    const struct boot_image_ops *image;
    const struct sys_ops *sys;        /* logs; jump is used by boot_main() */
    uint8_t downgrade_prevention;     /* refuse a secondary older than the primary */
    uint8_t downgrade_use_security_counter; /* compare security counters instead of versions */
    uint8_t version_cmp_build;        /* include the build number in version comparison */
};

enum boot_action {
    BOOT_ACTION_HALT = 0, /* nothing bootable: do not jump */
    BOOT_ACTION_JUMP = 1,
};

struct boot_result {
    enum boot_action action;
    uint8_t swap_type;   /* what was done this boot (BOOT_SWAP_TYPE_*) */
    uint8_t resumed;     /* an interrupted swap or revert was finished */
    uint32_t image_off;  /* device offset of the image to start (header included) */
    uint32_t hdr_size;
    uint32_t img_size;
    struct boot_image_info info;
};

/* Decides what to boot, swapping first if needed. Returns 0 with `rsp`
 * filled in (JUMP or HALT), or a negative error when flash failed during
 * the swap (then rsp->action is HALT; the swap resumes at the next boot). */
int boot_go(const struct boot_config *cfg, struct boot_result *rsp);

/* Starts the image boot_go() chose (rsp->action JUMP): logs MCUboot's
 * "Bootloader chainload address offset" and "Jumping to the first image
 * slot" lines, then sys->jump(). Returns only when there is no jump. A
 * bootloader with more to decide after boot_go() (recovery mode) calls it
 * itself. */
void boot_jump(const struct boot_config *cfg, const struct boot_result *rsp);

/* boot_go() then, on JUMP, boot_jump(). Returns what boot_go returned, or
 * DFB_ESTATE for a halt. */
int boot_main(const struct boot_config *cfg);


#endif
