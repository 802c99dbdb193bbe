/* Instructions to validate one signed image with the real image_validate().
 *
 *   bench_validate IMAGE PUBKEY.der rsa2048|ecdsa-p256|ed25519 [SLOT_SECTORS]
 *
 * The image is placed at offset 0 of a slot of SLOT_SECTORS (default 120)
 * 4 KiB sectors on a simulated nRF52840 flash, then image_validate() runs
 * once with the host crypto adapter (mbedTLS + libsodium) and the one
 * built-in key. Measure with
 *   valgrind --tool=callgrind --toggle-collect=image_validate bench_validate ...
 * so only the validation itself is counted (loading the file and setting up
 * the flash are not). Also built with other read chunks: the same
 * image/image_validate.c with IMAGE_VALIDATE_CHUNK set (bench/CMakeLists.txt). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "flash/flash_map.h"
#include "crypto/crypto.h"
#include "image/image_validate.h"
#include "port/posix/sim_flash.h"

#include "bench/validate/bench_file.h"


int main(int argc, char **argv)
{
    static struct flash_sector_range range;
    static struct flash_geometry geo;
    struct sim_flash sf;
    struct flash_area fa;
    struct image_validate_cfg cfg;
    struct image_key key;
    struct image_info info;
    size_t img_len, key_len;
    uint8_t *img, *der;
    uint32_t sectors = 120;
    int rc;

    if (argc < 4) {
        fprintf(stderr, "usage: %s IMAGE PUBKEY.der rsa2048|ecdsa-p256|ed25519 [SLOT_SECTORS]\n", argv[0]);
        return 2;
    }
    if (argc > 4)
        sectors = (uint32_t)strtoul(argv[4], 0, 0);
    img = bench_read_file(argv[1], &img_len);
    der = bench_read_file(argv[2], &key_len);
    if (img == 0 || der == 0)
        return 1;
    if (strcmp(argv[3], "rsa2048") == 0)
        key.type = IMAGE_KEY_RSA2048;
    else if (strcmp(argv[3], "ecdsa-p256") == 0)
        key.type = IMAGE_KEY_ECDSA_P256;
    else if (strcmp(argv[3], "ed25519") == 0)
        key.type = IMAGE_KEY_ED25519;
    else
        return 2;
    key.der = der;
    key.len = (uint32_t)key_len;

    range = (struct flash_sector_range){ 4096, sectors };
    geo = (struct flash_geometry){ .size = 4096 * sectors, .write_block_size = 4, .erase_value = 0xff,
                                   .sectors = &range, .sector_range_count = 1, .timing = &flash_timing_nrf52840 };
    if (img_len > geo.size || sim_flash_init_mem(&sf, &geo) != DFB_OK ||
        flash_area_init(&fa, &sf.dev, "slot0", 0, geo.size) != DFB_OK) {
        fprintf(stderr, "cannot set up the flash (image %zu bytes, slot %u bytes)\n", img_len, geo.size);
        return 1;
    }
    /* Place the image directly (not through the counted write path). */
    memcpy(sf.mem, img, img_len);

    cfg = (struct image_validate_cfg){ .crypto = crypto_adapter(), .keys = &key, .key_count = 1,
                                       .match = IMAGE_MATCH_KEYHASH };
    sim_flash_reset_stats(&sf);
    rc = image_validate(&cfg, &fa, 0, &info);
    printf("chunk=%u rc=%d reason=%s hashed=%u reads=%llu bytes_read=%llu\n", (unsigned)IMAGE_VALIDATE_CHUNK, rc,
           info.reason, info.lay.prot_off + info.lay.prot_size, (unsigned long long)sf.stats.reads,
           (unsigned long long)sf.stats.bytes_read);
    sim_flash_close(&sf);
    free(img);
    free(der);
    return rc == DFB_OK ? 0 : 1;
}
