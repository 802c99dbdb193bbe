/* The bootloader for the virtual board: the portable boot core with the
 * image library as its validator and the board as its hardware. The board's
 * ROM starts it from the boot partition; it swaps if asked, validates the
 * primary image and jumps to it (or halts). */
#include <stdio.h>

#include "boot/boot.h"
#include "boot/boot_image.h"
#include "common/errors.h"
#include "image/builtin_key.h"
#include "crypto/crypto.h"
#include "image/image_validate.h"
#include "port/posix/board.h"

int main(void)
{
    struct board b;
    struct flash_area primary, secondary;
    struct image_key key;
    struct image_validate_cfg vcfg = { .crypto = crypto_adapter(), .match = IMAGE_MATCH_KEYHASH };
    struct boot_image_ops ops = { .validate = boot_image_validate, .ctx = &vcfg };
    struct boot_config cfg = { .image = &ops };
    int rc;

    board_init(&b);
    if (image_builtin_key(&key) != DFB_OK)
        board_halt(&b, "no public key built in");
    vcfg.keys = &key;
    vcfg.key_count = 1;
    vcfg.hash = image_hash_alg_for_key(key.type, false); /* SHA-384 for a P-384 key */
    if (flash_area_open(&b.flash.dev, b.layout, FLASH_AREA_SLOT0, &primary) != DFB_OK ||
        flash_area_open(&b.flash.dev, b.layout, FLASH_AREA_SLOT1, &secondary) != DFB_OK)
        board_halt(&b, "the flash layout has no slot0/slot1");
    cfg.slots.primary = &primary;
    cfg.slots.secondary = &secondary;
    cfg.sys = &b.sys;
    rc = boot_main(&cfg);
    /* boot_main returns only when there is nothing to jump to */
    board_halt(&b, rc == DFB_ESTATE ? "no bootable image" : dfb_strerror(rc));
}
