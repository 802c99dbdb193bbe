/* Silicon bench: the bootloader's validation of the image in slot0, as the
 * Thumb bootloader does it (image_validate() with the target crypto adapter,
 * crypto/crypto_target.c, and the built-in key, reading the slot through the
 * NVMC flash driver in IMAGE_VALIDATE_CHUNK reads).
 *
 * Measured (between the markers, bench_mark.h): the image_validate() call
 * alone. Not measured: reset, startup, board_init(), the crypto heap's
 * set-up (crypto_adapter()), the key lookup, opening the slot, and the
 * console lines. */
#include "bench/silicon/firmware/bench_mark.h"
#include "common/errors.h"
#include "crypto/crypto.h"
#include "image/builtin_key.h"
#include "image/image_validate.h"
#include "port/board.h"

int main(void)
{
    struct flash_area slot0;
    struct image_key key;
    struct image_info info;
    struct image_validate_cfg cfg = { .match = IMAGE_MATCH_KEYHASH };
    int rc;

    board_init();
    cfg.crypto = crypto_adapter();
    if (image_builtin_key(&key) != DFB_OK)
        board_halt("no public key built in");
    cfg.keys = &key;
    cfg.key_count = 1;
    cfg.hash = image_hash_alg_for_key(key.type, false);
    if (flash_area_open(board_flash(), board_layout(), FLASH_AREA_SLOT0, &slot0) != DFB_OK)
        board_halt("the flash layout has no slot0");
    board_printf("bench: image_validate() of slot0\n");

    bench_mark_begin();
    rc = image_validate(&cfg, &slot0, 0, &info);
    bench_mark_end(rc);

    board_printf("bench: %s, %lu bytes hashed\n", info.reason != 0 ? info.reason : "?",
                 (unsigned long)(info.hdr.hdr_size + info.hdr.img_size + info.hdr.protect_tlv_size));
    board_halt(rc == DFB_OK ? "bench done" : "bench failed");
}
