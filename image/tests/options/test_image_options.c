/* The build options of common/config.h on real images: image_validate.c and
 * the host crypto adapter compiled as an RSA-only build without failure
 * reasons (image/tests/options/CMakeLists.txt sets the definitions).
 * An RSA image validates; ECDSA and Ed25519 images are refused as
 * unsupported; a damaged image is refused with its error code and the
 * generic reason; the adapter offers no glue for the left-out algorithms.
 * Uses the imgtool vectors of $DFUBOOT_SHARED_DIR (skips without them). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/errors.h"
#include "crypto/crypto.h"
#include "image/image_validate.h"
#include "port/posix/sim_flash.h"
#include "tests/support/check.h"

_Static_assert(CONFIG_DFUBOOT_SIG_RSA && !CONFIG_DFUBOOT_SIG_ECDSA_P256 && !CONFIG_DFUBOOT_SIG_ECDSA_P384 &&
                   !CONFIG_DFUBOOT_SIG_ED25519 &&
                   !CONFIG_DFUBOOT_FAIL_REASONS,
               "this test is built as an RSA-only build without failure reasons");

#define SLOT_SIZE 0x20000u

static char vdir[1024];

static uint8_t *read_file(const char *rel, size_t *len)
{
    char path[1200];
    FILE *f;
    uint8_t *buf;
    long n;

    snprintf(path, sizeof(path), "%s/%s", vdir, rel);
    f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        free(buf);
        return NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static struct sim_flash sf;
static struct flash_area slot;

static void check(const char *image, const char *key_der, enum image_key_type type, int want_rc)
{
    size_t img_len, key_len;
    uint8_t *img = read_file(image, &img_len), *key = read_file(key_der, &key_len);
    struct image_key k;
    struct image_validate_cfg cfg;
    struct image_info info;
    int rc;

    REQUIRE(img != NULL && key != NULL && img_len <= SLOT_SIZE);
    k = (struct image_key){ type, key, (uint32_t)key_len };
    cfg = (struct image_validate_cfg){ .crypto = crypto_adapter(), .keys = &k, .key_count = 1,
                                       .match = IMAGE_MATCH_EITHER };
    memset(sf.mem, 0xff, SLOT_SIZE);
    memcpy(sf.mem, img, img_len);
    rc = image_validate(&cfg, &slot, 0, &info);
    if (rc != want_rc)
        fprintf(stderr, "%s: rc %d, wanted %d\n", image, rc, want_rc);
    CHECK_EQ(rc, want_rc);
    CHECK(info.reason != NULL && strcmp(info.reason, want_rc == DFB_OK ? "ok" : "invalid") == 0);
    free(img);
    free(key);
}

int main(void)
{
    const char *shared = getenv("DFUBOOT_SHARED_DIR");
    static const struct flash_sector_range sectors[] = { { 0x1000, SLOT_SIZE / 0x1000 } };
    static const struct flash_geometry geo = { .size = SLOT_SIZE, .write_block_size = 4, .erase_value = 0xff,
                                               .sectors = sectors, .sector_range_count = 1 };
    FILE *probe;
    char path[1200];

    snprintf(vdir, sizeof(vdir), "%s/vectors/imgtool", shared ? shared : "../shared");
    snprintf(path, sizeof(path), "%s/MANIFEST.json", vdir);
    probe = fopen(path, "rb");
    if (probe == NULL) {
        printf("skipped: no imgtool vectors at %s\n", path);
        return 77;
    }
    fclose(probe);
    CHECK(crypto_adapter()->rsa_pss_verify != NULL);
    CHECK(crypto_adapter()->ecdsa_p256_verify == NULL);
    CHECK(crypto_adapter()->ed25519_verify == NULL);
    CHECK(crypto_adapter()->ecdsa_p384_verify == NULL && crypto_adapter()->ed25519_pure_verify == NULL);
    CHECK(crypto_adapter()->sha512_init == NULL);
    REQUIRE(sim_flash_init_mem(&sf, &geo) == DFB_OK);
    REQUIRE(flash_area_init(&slot, &sf.dev, "slot", 0, SLOT_SIZE) == DFB_OK);
    check("images/rsa2048-1k.bin", "keys/root-rsa-2048.pub.der", IMAGE_KEY_RSA2048, DFB_OK);
    check("images/ecdsa-p256-1k.bin", "keys/root-ec-p256.pub.der", IMAGE_KEY_ECDSA_P256, DFB_ENOTSUP);
    check("images/ed25519-1k.bin", "keys/root-ed25519.pub.der", IMAGE_KEY_ED25519, DFB_ENOTSUP);
    check("images/broken-rsa2048-1k-payload-flip.bin", "keys/root-rsa-2048.pub.der", IMAGE_KEY_RSA2048, DFB_EHASH);
    check("images/broken-rsa2048-1k-sig-flip.bin", "keys/root-rsa-2048.pub.der", IMAGE_KEY_RSA2048, DFB_ESIG);
    sim_flash_close(&sf);
    CHECK_DONE();
}
