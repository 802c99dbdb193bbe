/* Flash cost of one upgrade, from the simulated flash's counters, driving
 * the real boot_go() with the real image validation (hash-only build:
 * SHA-256 TLV checked, no signature, which changes no flash figure).
 *
 * Board: 4 KiB sectors (nRF52840 timing: 85 ms erase, 41 us per word), a
 * 48 KiB boot partition, then two slots of 118 sectors (the nRF52840 DK's
 * 0x76000), write block 4 or 8 bytes. The running image and the update are
 * both N sectors long (N x 4 KiB less 64 bytes, header to last TLV).
 *
 * Counted from the moment the update is in the secondary slot (at the
 * download offset): the application's request (boot_request_upgrade), every
 * boot_go() until the flow settles, and the application's confirmation:
 *   TEST          request(test), boot (swap)
 *   TEST+confirm  request(test), boot (swap), confirm, boot
 *   TEST+revert   request(test), boot (swap), boot (revert)
 *   PERM          request(permanent), boot (swap)
 * "trailer writes" are writes of at most 32 bytes (trailer fields and swap
 * status entries); the rest are data copies.
 *
 *   bench_boot_flash update            the whole update of a 400 KiB image,
 *                                      phase by phase
 *   bench_boot_flash pair OLD NEW [WRITE_BLOCK]   a TEST swap of a NEW-sector
 *                                      update over an OLD-sector image
 *   bench_boot_flash N WRITE_BLOCK     prints one line per flow, and its
 *                                      figures as `result: <key> <number>` */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot/boot.h"
#include "boot/boot_image.h"
#include "boot/boot_preerase.h"
#include "common/errors.h"
#include "crypto/crypto.h"
#include "flash/stream_writer.h"
#include "image/image.h"
#include "image/image_validate.h"
#include "port/posix/sim_flash.h"

#define SECTOR 4096u
#define BOOT_SECTORS 12u
#define SLOT_SECTORS 118u

struct board {
    struct sim_flash sf;
    struct flash_dev cdev; /* counts small writes, then passes through */
    uint64_t meta_writes;
    struct flash_sector_range range;
    struct flash_geometry geo;
    struct flash_area pri, sec;
    struct image_validate_cfg vcfg;
    struct boot_image_ops ops;
    struct boot_config cfg;
};

static int c_read(void *ctx, uint32_t off, void *buf, uint32_t len)
{
    struct board *b = ctx;
    return b->sf.dev.ops->read(b->sf.dev.ctx, off, buf, len);
}

static int c_write(void *ctx, uint32_t off, const void *buf, uint32_t len)
{
    struct board *b = ctx;
    if (len <= 32)
        b->meta_writes++;
    return b->sf.dev.ops->write(b->sf.dev.ctx, off, buf, len);
}

static int c_erase(void *ctx, uint32_t off, uint32_t len)
{
    struct board *b = ctx;
    return b->sf.dev.ops->erase(b->sf.dev.ctx, off, len);
}

static const struct flash_dev_ops counting_ops = { c_read, c_write, c_erase, 0, 0 };

/* An MCUboot image of exactly `total` bytes: 512-byte header, body, TLV
 * info + SHA256 TLV (hash-only, as imgtool without a key). */
static uint8_t *build_image(uint32_t total, uint8_t major, uint32_t seed)
{
    const struct image_crypto *c = crypto_adapter();
    const uint32_t hdr_size = 512, tlvs = 4 + 4 + 32;
    uint8_t *img = malloc(total), digest[32];
    struct image_header h = { 0 };
    struct image_sha256_ctx ctx;
    uint32_t body = total - hdr_size - tlvs, pos;

    memset(img, 0, hdr_size);
    h.magic = IMAGE_MAGIC;
    h.hdr_size = (uint16_t)hdr_size;
    h.img_size = body;
    h.ver.major = major;
    image_header_encode(&h, img);
    for (uint32_t i = 0; i < body; i++) {
        seed = seed * 1103515245u + 12345u;
        img[hdr_size + i] = (uint8_t)(seed >> 16);
    }
    c->sha256_init(&ctx);
    c->sha256_update(&ctx, img, hdr_size + body);
    c->sha256_finish(&ctx, digest);
    pos = hdr_size + body;
    image_tlv_info_encode(img + pos, IMAGE_TLV_INFO_MAGIC, (uint16_t)tlvs);
    pos += 4;
    image_tlv_append(img, total, &pos, IMAGE_TLV_SHA256, digest, 32);
    return img;
}

static int put(struct board *b, const struct flash_area *fa, uint32_t off, const uint8_t *data, uint32_t len)
{
    /* Placed directly: the download is not part of the upgrade's cost. */
    memcpy(b->sf.mem + fa->off + off, data, len);
    return DFB_OK;
}

static int board_init(struct board *b, uint32_t wbs)
{
    memset(b, 0, sizeof(*b));
    b->range = (struct flash_sector_range){ SECTOR, BOOT_SECTORS + 2 * SLOT_SECTORS };
    b->geo = (struct flash_geometry){ .size = SECTOR * (BOOT_SECTORS + 2 * SLOT_SECTORS), .write_block_size = wbs,
                                      .erase_value = 0xff, .sectors = &b->range, .sector_range_count = 1,
                                      .timing = &flash_timing_nrf52840 };
    if (sim_flash_init_mem(&b->sf, &b->geo) != DFB_OK)
        return -1;
    b->cdev = (struct flash_dev){ &counting_ops, b, &b->geo };
    if (flash_area_init(&b->pri, &b->cdev, "slot0", SECTOR * BOOT_SECTORS, SECTOR * SLOT_SECTORS) != DFB_OK ||
        flash_area_init(&b->sec, &b->cdev, "slot1", SECTOR * (BOOT_SECTORS + SLOT_SECTORS), SECTOR * SLOT_SECTORS) !=
            DFB_OK)
        return -1;
    b->vcfg = (struct image_validate_cfg){ .crypto = crypto_adapter() };
    b->ops = (struct boot_image_ops){ .validate = boot_image_validate, .ctx = &b->vcfg };
    b->cfg.slots.primary = &b->pri;
    b->cfg.slots.secondary = &b->sec;
    b->cfg.image = &b->ops;
    return 0;
}

enum flow { F_TEST, F_TEST_CONFIRM, F_TEST_REVERT, F_PERM };
static const char *const flow_names[] = { "TEST", "TEST+confirm", "TEST+revert", "PERM" };
static const char *const flow_keys[] = { "test", "test_confirm", "test_revert", "perm" };

static int run(enum flow f, uint32_t n, uint32_t wbs)
{
    static struct board b;
    struct boot_result r;
    uint32_t total = n * SECTOR - 64, dl_off, worst = 0, worst_i = 0;
    uint8_t *old_img = build_image(total, 1, 1), *new_img = build_image(total, 2, 2);
    int rc = -1, boots = 0;
    uint8_t expect_major;

    if (board_init(&b, wbs) != 0 || boot_download_offset(&b.cfg.slots, &dl_off) != DFB_OK)
        goto out;
    put(&b, &b.pri, 0, old_img, total);
    put(&b, &b.sec, dl_off, new_img, total);
    sim_flash_reset_stats(&b.sf);
    b.meta_writes = 0;

    if (boot_request_upgrade(&b.cfg.slots, f == F_PERM) != DFB_OK)
        goto out;
    if (boot_go(&b.cfg, &r) != DFB_OK || r.action != BOOT_ACTION_JUMP)
        goto out;
    boots++;
    expect_major = 2;
    if (f == F_TEST_CONFIRM) {
        if (boot_write_img_confirmed(&b.cfg.slots) != DFB_OK || boot_go(&b.cfg, &r) != DFB_OK)
            goto out;
        boots++;
    } else if (f == F_TEST_REVERT) {
        if (boot_go(&b.cfg, &r) != DFB_OK || r.action != BOOT_ACTION_JUMP)
            goto out;
        boots++;
        expect_major = 1;
    }
    /* The right image must be in the primary slot. */
    if (memcmp(b.sf.mem + b.pri.off, expect_major == 2 ? new_img : old_img, total) != 0) {
        fprintf(stderr, "%s N=%u: wrong image in the primary slot\n", flow_names[f], n);
        rc = -2;
        goto out;
    }
    for (uint32_t i = 0; i < b.sf.nsectors; i++)
        if (b.sf.sector_erases[i] > worst) {
            worst = b.sf.sector_erases[i];
            worst_i = i;
        }
    printf("flow=%s n=%u align=%u boots=%d erases=%llu worst_sector_erases=%u worst_sector=%u bytes=%llu writes=%llu "
           "trailer_writes=%llu data_writes=%llu sim_ms=%.1f\n",
           flow_names[f], n, wbs, boots, (unsigned long long)b.sf.stats.erases, worst, worst_i,
           (unsigned long long)b.sf.stats.bytes_programmed, (unsigned long long)b.sf.stats.writes,
           (unsigned long long)b.meta_writes, (unsigned long long)(b.sf.stats.writes - b.meta_writes),
           b.sf.stats.sim_time_us / 1000.0);
    printf("result: flash_erases_%s_n%u_a%u %llu\n", flow_keys[f], n, wbs, (unsigned long long)b.sf.stats.erases);
    printf("result: flash_worst_sector_erases_%s_n%u_a%u %u\n", flow_keys[f], n, wbs, worst);
    printf("result: flash_bytes_programmed_%s_n%u_a%u %llu\n", flow_keys[f], n, wbs,
           (unsigned long long)b.sf.stats.bytes_programmed);
    printf("result: flash_sim_ms_%s_n%u_a%u %.1f\n", flow_keys[f], n, wbs, b.sf.stats.sim_time_us / 1000.0);
    rc = 0;
out:
    if (rc == -1)
        fprintf(stderr, "%s N=%u align=%u: flow failed\n", flow_names[f], n, wbs);
    if (b.sf.mem)
        sim_flash_close(&b.sf);
    memset(&b, 0, sizeof(b));
    free(old_img);
    free(new_img);
    return rc;
}

/* An update of NEW sectors over a running image of OLD sectors (each image
 * n x 4 KiB less 64 bytes): the application's test request and the boot
 * that swaps. Prints the erases; MCUboot's for the same pair come from its
 * cost model in bench.sh. */
static int run_pair(uint32_t old_n, uint32_t new_n, uint32_t wbs)
{
    static struct board b;
    struct boot_result r;
    uint32_t old_total = old_n * SECTOR - 64, new_total = new_n * SECTOR - 64, dl_off;
    uint8_t *old_img = build_image(old_total, 1, 1), *new_img = build_image(new_total, 2, 2);
    int rc = -1;

    if (board_init(&b, wbs) != 0 || boot_download_offset(&b.cfg.slots, &dl_off) != DFB_OK)
        goto out;
    put(&b, &b.pri, 0, old_img, old_total);
    put(&b, &b.sec, dl_off, new_img, new_total);
    sim_flash_reset_stats(&b.sf);
    if (boot_request_upgrade(&b.cfg.slots, 0) != DFB_OK || boot_go(&b.cfg, &r) != DFB_OK ||
        r.action != BOOT_ACTION_JUMP || r.swap_type != BOOT_SWAP_TYPE_TEST)
        goto out;
    if (memcmp(b.sf.mem + b.pri.off, new_img, new_total) != 0 || memcmp(b.sf.mem + b.sec.off, old_img, old_total) != 0) {
        fprintf(stderr, "pair %u -> %u: wrong images after the swap\n", old_n, new_n);
        goto out;
    }
    printf("pair old=%u new=%u align=%u erases=%llu bytes=%llu sim_ms=%.1f\n", old_n, new_n, wbs,
           (unsigned long long)b.sf.stats.erases, (unsigned long long)b.sf.stats.bytes_programmed,
           b.sf.stats.sim_time_us / 1000.0);
    printf("result: swap_erases_old%u_new%u %llu\n", old_n, new_n, (unsigned long long)b.sf.stats.erases);
    rc = 0;
out:
    if (rc != 0)
        fprintf(stderr, "pair %u -> %u: flow failed\n", old_n, new_n);
    if (b.sf.mem)
        sim_flash_close(&b.sf);
    memset(&b, 0, sizeof(b));
    free(old_img);
    free(new_img);
    return rc;
}

/* Simulated time and erases since the last mark. */
struct mark {
    uint64_t us, erases, bytes;
};

static struct mark take(const struct board *b, struct mark *last)
{
    struct mark now = { b->sf.stats.sim_time_us, b->sf.stats.erases, b->sf.stats.bytes_programmed };
    struct mark d = { now.us - last->us, now.erases - last->erases, now.bytes - last->bytes };

    *last = now;
    return d;
}

static void phase(const char *key, const char *what, struct mark d)
{
    printf("phase=%s erases=%llu bytes=%llu sim_ms=%.1f what=%s\n", key, (unsigned long long)d.erases,
           (unsigned long long)d.bytes, d.us / 1000.0, what);
    printf("result: update_%s_ms %.1f\n", key, d.us / 1000.0);
    printf("result: update_%s_erases %llu\n", key, (unsigned long long)d.erases);
}

/* Download `img` at the download offset through the stream writer (the DFU
 * class's path; 4 KiB blocks), skipping erased sectors if asked. */
static int download(struct board *b, const uint8_t *img, uint32_t len, int skip)
{
    static uint8_t buf[4096];
    struct stream_writer sw;
    uint32_t off, max;
    int rc = boot_download_offset(&b->cfg.slots, &off);

    if (rc == DFB_OK)
        rc = boot_max_image_size(&b->cfg.slots, &max);
    if (rc == DFB_OK)
        rc = stream_writer_init(&sw, &b->sec, buf, sizeof(buf), off, off + max);
    stream_writer_skip_erased(&sw, skip);
    for (uint32_t done = 0; rc == DFB_OK && done < len; done += 4096)
        rc = stream_writer_write(&sw, img + done, len - done < 4096 ? len - done : 4096);
    return rc == DFB_OK ? stream_writer_flush(&sw) : rc;
}

/* The whole update of a 400 KiB image on the nRF52840 model: the running
 * image A (400 KiB, confirmed) and, in the secondary, the image the last
 * update left there (400 KiB at offset 0). Background pre-erase, download
 * of B on the pre-erased slot, TEST swap (the boot that starts B), the
 * application's confirmation, and the pre-erase after it. For comparison the
 * same download without pre-erase (each sector erased as it is reached). */
static int run_update(void)
{
    static struct board b;
    const uint32_t total = 400 * 1024;
    uint8_t *a = build_image(total, 1, 1), *bimg = build_image(total, 2, 2), *z = build_image(total, 0, 3);
    struct boot_preerase pe;
    struct boot_result r;
    struct mark m = { 0, 0, 0 }, d;
    double floor_ms = flash_timing_program_us(&flash_timing_nrf52840, total) / 1000.0, dl_ms = 0;
    int rc = -1, calls = 0, prc;

    /* without pre-erase */
    if (board_init(&b, 4) != 0)
        goto out;
    put(&b, &b.pri, 0, a, total);
    put(&b, &b.sec, 0, z, total);
    sim_flash_reset_stats(&b.sf);
    if (download(&b, bimg, total, 0) != DFB_OK)
        goto out;
    d = take(&b, &m);
    phase("download_erasing", "download, 400 KiB, slot not pre-erased (erase + program)", d);
    sim_flash_close(&b.sf);

    /* with pre-erase */
    memset(&m, 0, sizeof(m));
    if (board_init(&b, 4) != 0)
        goto out;
    put(&b, &b.pri, 0, a, total);
    put(&b, &b.sec, 0, z, total);
    sim_flash_reset_stats(&b.sf);
    memset(&pe, 0, sizeof(pe));
    do
        prc = boot_preerase_step(&b.cfg.slots, &pe), calls++;
    while (prc == 1);
    if (prc != 0)
        goto out;
    d = take(&b, &m);
    phase("preerase", "pre-erase of the secondary (application task, before the download)", d);
    if (download(&b, bimg, total, 1) != DFB_OK)
        goto out;
    d = take(&b, &m);
    dl_ms = d.us / 1000.0;
    phase("download_preerased", "download, 400 KiB, on the pre-erased slot (program only)", d);
    if (boot_request_upgrade(&b.cfg.slots, 0) != DFB_OK || boot_go(&b.cfg, &r) != DFB_OK ||
        r.swap_type != BOOT_SWAP_TYPE_TEST || memcmp(b.sf.mem + b.pri.off, bimg, total) != 0)
        goto out;
    d = take(&b, &m);
    phase("swap", "request + the boot that swaps and starts B (TEST)", d);
    if (boot_write_img_confirmed(&b.cfg.slots) != DFB_OK || boot_go(&b.cfg, &r) != DFB_OK ||
        r.swap_type != BOOT_SWAP_TYPE_NONE)
        goto out;
    d = take(&b, &m);
    phase("confirm", "confirmation by B, and the next boot", d);
    memset(&pe, 0, sizeof(pe));
    do
        prc = boot_preerase_step(&b.cfg.slots, &pe);
    while (prc == 1);
    if (prc != 0)
        goto out;
    d = take(&b, &m);
    phase("preerase_after", "pre-erase after the confirmation (application task, background)", d);
    printf("floor write_only_ms=%.1f preerase_calls=%d\n", floor_ms, calls);
    printf("result: download_write_only_floor_ms %.1f\n", floor_ms);
    printf("result: download_preerased_ratio %.4f\n", dl_ms / floor_ms);
    rc = 0;
out:
    if (rc != 0)
        fprintf(stderr, "update: flow failed\n");
    if (b.sf.mem)
        sim_flash_close(&b.sf);
    memset(&b, 0, sizeof(b));
    free(a);
    free(bimg);
    free(z);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "update") == 0)
        return run_update() ? 1 : 0;
    if (argc > 3 && strcmp(argv[1], "pair") == 0)
        return run_pair((uint32_t)strtoul(argv[2], 0, 0), (uint32_t)strtoul(argv[3], 0, 0),
                        argc > 4 ? (uint32_t)strtoul(argv[4], 0, 0) : 4) ? 1 : 0;
    uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], 0, 0) : 16;
    uint32_t wbs = argc > 2 ? (uint32_t)strtoul(argv[2], 0, 0) : 4;
    int rc = 0;

    for (int f = F_TEST; f <= F_PERM; f++)
        rc |= run((enum flow)f, n, wbs);
    return rc ? 1 : 0;
}
