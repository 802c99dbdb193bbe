/* The bootloader: the portable boot core with the image library as its
 * validator and the board as its hardware. The board starts it at reset;
 * it swaps if asked, validates the primary image and jumps to it (or
 * halts). */
#include "boot/boot.h"
#include "boot/boot_image.h"
#include "common/errors.h"
#include "crypto/crypto.h"
#include "image/builtin_key.h"
#include "image/image_validate.h"
#include "port/board.h"

#ifndef DFUBOOT_SIGN_PURE
#define DFUBOOT_SIGN_PURE 0 /* set from CONFIG_MCUBOOT_SIGN_PURE (cmake/signing.cmake) */
#endif

int main(void)
{
    struct flash_area primary, secondary;
    struct image_key key;
    struct image_validate_cfg vcfg = { .match = IMAGE_MATCH_KEYHASH };
    struct boot_image_ops ops = { .validate = boot_image_validate, .ctx = &vcfg };
    struct boot_config cfg = { .image = &ops };
    int rc;

    board_init();
    vcfg.crypto = crypto_adapter();
    if (image_builtin_key(&key) != DFB_OK)
        board_halt("no public key built in");
    vcfg.keys = &key;
    vcfg.key_count = 1;
    /* the build's image hash follows the key: SHA-384 for P-384, SHA-512
     * for Ed25519 with CONFIG_MCUBOOT_SIGN_PURE (pure signatures) */
    vcfg.hash = image_hash_alg_for_key(key.type, DFUBOOT_SIGN_PURE);
    if (flash_area_open(board_flash(), board_layout(), FLASH_AREA_SLOT0, &primary) != DFB_OK ||
        flash_area_open(board_flash(), board_layout(), FLASH_AREA_SLOT1, &secondary) != DFB_OK)
        board_halt("the flash layout has no slot0/slot1");
    cfg.slots.primary = &primary;
    cfg.slots.secondary = &secondary;
    cfg.sys = board_sys();
    rc = boot_main(&cfg);
    /* boot_main returns only when there is nothing to jump to */
    board_halt(rc == DFB_ESTATE ? "no bootable image" : dfb_strerror(rc));
}
