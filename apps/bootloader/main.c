/* The bootloader: the portable boot core with the image library as its
 * validator and the board as its hardware. The board starts it at reset;
 * it finishes or starts a swap if asked, validates the primary image, and
 * jumps to it, unless USB DFU recovery is called for (recovery.h):
 *   - no bootable image in slot0 after the swap or revert decision;
 *   - the recovery button held at reset (CONFIG_BOOT_USB_DFU_GPIO);
 *   - the application's request through the retained boot mode
 *     (boot_request_recovery(), port/boot_request.h);
 *   - a host starting a DFU transfer in the wait window of every boot
 *     (CONFIG_BOOT_USB_DFU_WAIT ms; 0, the default, has no window).
 * The button and the boot mode are sampled at reset, before any swap; the
 * swap or revert the trailers call for is always finished first, so a
 * recovery download never lands in the middle of one. */
#include "apps/bootloader/recovery.h"
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
/* CMake cache variables (apps/bootloader/CMakeLists.txt) */
#ifndef CONFIG_BOOT_USB_DFU_WAIT
#define CONFIG_BOOT_USB_DFU_WAIT 0 /* ms of the wait window at every boot; 0: none */
#endif
#ifndef CONFIG_BOOT_USB_DFU_GPIO
#define CONFIG_BOOT_USB_DFU_GPIO 1 /* the recovery button enters recovery */
#endif
#ifndef CONFIG_BOOT_USB_DFU_UPLOAD
#define CONFIG_BOOT_USB_DFU_UPLOAD 1 /* alt 0 uploads slot0 in recovery */
#endif

static struct recovery recovery;

int main(void)
{
    struct flash_area primary, secondary;
    struct image_key key;
    struct image_validate_cfg vcfg = { .match = IMAGE_MATCH_KEYHASH };
    struct boot_image_ops ops = { .validate = boot_image_validate, .ctx = &vcfg };
    struct boot_config cfg = { .image = &ops };
    struct boot_result rsp;
    const char *why = 0;
    uint32_t mode;
    int button, rc;

    board_init();
    /* what was asked at reset, before a swap takes its time */
    mode = board_boot_mode();
    if (mode != BOARD_BOOT_MODE_NORMAL)
        board_set_boot_mode(BOARD_BOOT_MODE_NORMAL); /* one request, one recovery */
    button = CONFIG_BOOT_USB_DFU_GPIO && board_button_pressed();

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
    rc = boot_go(&cfg, &rsp);
    if (rc != DFB_OK) /* a flash error in a swap: it resumes at the next reset */
        board_halt(dfb_strerror(rc));

    if (rsp.action != BOOT_ACTION_JUMP)
        why = "no bootable image";
    else if (button)
        why = "button pressed";
    else if (mode == BOARD_BOOT_MODE_RECOVERY)
        why = "requested by the application";
    if (recovery_init(&recovery, &cfg.slots, &ops, CONFIG_BOOT_USB_DFU_UPLOAD) != DFB_OK) {
        /* slots that cannot swap cannot be recovered into */
        if (why != 0 && rsp.action != BOOT_ACTION_JUMP)
            board_halt("no bootable image");
        if (why != 0)
            sys_log(cfg.sys, SYS_LOG_ERR, "USB DFU recovery impossible: the slots cannot be swapped");
        why = 0;
    } else if (why == 0 && CONFIG_BOOT_USB_DFU_WAIT > 0) {
        rc = recovery_wait(&recovery, CONFIG_BOOT_USB_DFU_WAIT);
        if (rc == 1)
            why = "USB DFU started in the wait window";
    }
    if (why != 0)
        recovery_run(&recovery, why);
    boot_jump(&cfg, &rsp);
    board_halt("cannot start the image");
}
