/* DFU downloads into a simulated slot1 and uploads of slot0, as dfu-util
 * 0.11 runs them: bytes, progressive erase, poll timeouts against the
 * flash timing model, end-of-upload frames, errors. */
#include "dfu/tests/dfu_harness.h"

static uint8_t image[300000];
static uint8_t back[0x80000];

static void pattern(uint8_t *p, uint32_t n, uint32_t seed)
{
    for (uint32_t i = 0; i < n; i++)
        p[i] = (uint8_t)((i + seed) * 167 + (i >> 9) + (i >> 17));
}

static uint32_t div_up(uint32_t a, uint32_t b)
{
    return (a + b - 1) / b;
}

/* Device offset and sector size helpers for the area under test. */
static uint32_t sector_index(uint32_t dev_off)
{
    struct flash_sector s;

    MUST(flash_geo_sector_at(H.sf.geo, dev_off, &s) == DFB_OK);
    return s.index;
}

struct dl_stats {
    unsigned getstatus, dnbusy;
    uint32_t max_poll;
};

/* dfu-util's download loop (dfu_load.c): DNLOAD, then GETSTATUS until
 * dfuDNLOAD-IDLE or dfuERROR, sleeping bwPollTimeout after each answer,
 * then the zero-length DNLOAD and GETSTATUS until dfuIDLE /
 * dfuMANIFEST-WAIT-RESET. Returns the final state.
 * With `check_timing` the device's main loop runs only while the host
 * sleeps (H.auto_task off): every dfuDNBUSY bwPollTimeout must then be
 * enough for the device to be ready when the host asks again (the next
 * answer is never dfuDNBUSY for the same block), and no more than the
 * flash work it covers, rounded up to the millisecond. */
static int dfu_util_download(const uint8_t *data, uint32_t len, uint16_t xfer, struct dl_stats *st, int check_timing)
{
    uint16_t block = 0;
    uint32_t done = 0;

    memset(st, 0, sizeof(*st));
    H.auto_task = !check_timing;
    while (done < len) {
        uint16_t n = (uint16_t)(len - done < xfer ? len - done : xfer);
        int busy_before = 0;

        if (h_dnload(block++, data + done, n) != 0)
            return -1;
        done += n;
        for (;;) {
            uint64_t used;

            if (h_getstatus() != 0)
                return -1;
            st->getstatus++;
            if (H.st[4] == DFU_DNLOAD_IDLE || H.st[4] == DFU_ERROR)
                break;
            if (H.st[4] != DFU_DNBUSY)
                return -1;
            st->dnbusy++;
            if (h_poll() > st->max_poll)
                st->max_poll = h_poll();
            if (check_timing) {
                CHECK(!busy_before); /* the last bwPollTimeout was enough */
                busy_before = 1;
                used = h_main_loop(h_poll());
                CHECK(used > (uint64_t)(h_poll() - 1) * 1000); /* not more than the work */
            }
        }
        if (H.st[0] != DFU_OK)
            break;
    }
    if (H.st[0] == DFU_OK) {
        if (h_dnload(block, 0, 0) != 0)
            return -1;
        do {
            if (h_getstatus() != 0)
                return -1;
            if (check_timing && (H.st[4] == DFU_MANIFEST || H.st[4] == DFU_MANIFEST_SYNC))
                h_main_loop(h_poll());
        } while (H.st[4] == DFU_MANIFEST || H.st[4] == DFU_MANIFEST_SYNC);
    }
    H.auto_task = 1;
    return H.st[4];
}

/* dfu-util's upload loop: UPLOAD(block++, xfer) until a short frame. */
static int32_t dfu_util_upload(uint8_t *out, uint32_t cap, uint16_t xfer, uint16_t first_block, unsigned *requests)
{
    uint16_t block = first_block;
    uint32_t total = 0;
    int n;

    *requests = 0;
    do {
        n = h_upload(block++, xfer);
        ++*requests;
        if (n < 0 || total + (uint32_t)n > cap)
            return -1;
        memcpy(out + total, H.fk.in, (size_t)n);
        total += (uint32_t)n;
    } while (n == xfer);
    return (int32_t)total;
}

static void check_slot1(uint32_t start, const uint8_t *data, uint32_t len, uint8_t garbage)
{
    uint32_t sec_first, sec_last, base = H.slot1.off, erased_end;
    struct flash_sector s;

    CHECK(memcmp(H.sf.mem + base + start, data, len) == 0);
    /* exactly the sectors the image touches, and those before the download
     * offset (they were dirty), were erased, once each */
    sec_first = sector_index(base);
    sec_last = sector_index(base + start + len - 1);
    for (uint32_t i = 0; i < H.sf.nsectors; i++)
        CHECK_EQ(H.sf.sector_erases[i], i >= sec_first && i <= sec_last);
    /* after the image: erased up to the end of its last sector, then the
     * old content, untouched */
    MUST(flash_geo_sector_get(H.sf.geo, sec_last, &s) == DFB_OK);
    erased_end = s.off + s.size;
    for (uint32_t o = base + start + len; o < erased_end; o++) {
        if (H.sf.mem[o] != 0xFF) {
            CHECK_EQ(H.sf.mem[o], 0xFF);
            break;
        }
    }
    if (erased_end < base + H.slot1.size)
        CHECK_EQ(H.sf.mem[erased_end], garbage);
    CHECK_EQ(H.sf.mem[base - 1], garbage);
}

/* Fills slot0 and slot1 with garbage so that erases are visible. */
static void dirty_flash(uint8_t garbage)
{
    memset(H.sf.mem, garbage, H.sf.geo->size);
}

static void test_download(uint32_t len, uint16_t xfer, uint32_t offset, int permanent)
{
    struct dl_stats st;
    int final;

    h_config();
    H.cfg.transfer_size = xfer;
    H.cfg.slot1_offset = offset;
    H.cfg.permanent_download = (uint8_t)permanent;
    H.cfg.start_in_dfu_mode = 1;
    h_start();
    dirty_flash(0x00);
    pattern(image, len, len + offset);
    MUST(h_set_alt(1) == 0);
    MUST(h_getstatus() == 0);
    CHECK_EQ(H.st[4], DFU_IDLE);
    final = dfu_util_download(image, len, xfer, &st, 0);
    CHECK_EQ(final, DFU_IDLE); /* manifestation tolerant: straight to dfuIDLE */
    CHECK_EQ(H.st[0], DFU_OK);
    CHECK_EQ(h_poll(), 0);
    /* with the default sync limit, 4 KiB pages are programmed during the
     * data stage: one GETSTATUS per block, never dfuDNBUSY */
    CHECK_EQ(st.getstatus, div_up(len, xfer));
    CHECK_EQ(st.dnbusy, 0);
    CHECK_EQ(H.manifests, 1);
    CHECK_EQ(H.last_permanent, permanent);
    check_slot1(offset, image, len, 0x00);
    /* flash work is all accounted: no sector of slot0 touched */
    for (uint32_t i = 0; i < H.sf.nsectors; i++) {
        if (i < sector_index(H.slot1.off))
            CHECK_EQ(H.sf.sector_erases[i], 0);
    }
}

/* One block buffer: each block is announced with dfuDNBUSY and the
 * modelled time, programmed by the task while the host sleeps. */
static void test_deferred_nrf(void)
{
    struct dl_stats st;
    uint32_t len = 10000;

    h_config();
    H.cfg.start_in_dfu_mode = 1;
    h_start();
    dirty_flash(0x00);
    pattern(image, len, 3);
    MUST(h_set_alt(1) == 0);
    /* first block by hand: 4 KiB page erase 85 ms + 1024 words x 41 us */
    H.auto_task = 0;
    CHECK_EQ(h_dnload(0, image, 4096), 0);
    CHECK_EQ(H.sf.stats.sim_time_us, 0); /* nothing inside the request */
    CHECK_EQ(h_getstatus(), 0);
    CHECK_EQ(H.st[4], DFU_DNBUSY);
    CHECK_EQ(H.st[0], DFU_OK);
    CHECK_EQ(h_poll(), div_up(85000 + 1024 * 41, 1000));
    CHECK_EQ(H.sf.stats.sim_time_us, 0);
    CHECK_EQ(h_main_loop(h_poll()), 85000 + 1024 * 41);
    CHECK_EQ(h_getstatus(), 0);
    CHECK_EQ(H.st[4], DFU_DNLOAD_IDLE);
    CHECK_EQ(h_poll(), 0);
    CHECK_EQ(h_simple(DFU_ABORT, 0), 0);
    /* the whole image with the timing checks */
    CHECK_EQ(dfu_util_download(image, len, 4096, &st, 1), DFU_IDLE);
    CHECK_EQ(st.dnbusy, 3);
    CHECK_EQ(st.getstatus, 6);
    CHECK_EQ(st.max_poll, 127);
    CHECK(memcmp(H.sf.mem + H.slot1.off, image, len) == 0);
}

/* Two block buffers: the next block crosses USB while the previous one
 * programs. The host gets dfuDNLOAD-IDLE at once while a buffer is free,
 * dfuDNBUSY with the time until the oldest block is programmed when none
 * is, and the short last block is reported only once it is programmed,
 * so manifestation needs no extra poll. */
static void test_pipeline_nrf(void)
{
    struct dl_stats st;
    uint32_t len = 10 * 4096 + 1000;

    h_config();
    H.cfg.start_in_dfu_mode = 1;
    H.cfg.buffer_count = 2;
    h_start();
    dirty_flash(0x00);
    pattern(image, len, 5);
    MUST(h_set_alt(1) == 0);
    H.auto_task = 0;
    CHECK_EQ(h_dnload(0, image, 4096), 0);
    CHECK_EQ(h_getstatus(), 0);
    CHECK_EQ(H.st[4], DFU_DNLOAD_IDLE); /* the second buffer is free */
    CHECK_EQ(h_poll(), 0);
    CHECK_EQ(h_dnload(1, image + 4096, 4096), 0);
    CHECK_EQ(h_getstatus(), 0);
    CHECK_EQ(H.st[4], DFU_DNBUSY); /* both queued: block 0 frees first */
    CHECK_EQ(h_poll(), div_up(85000 + 1024 * 41, 1000));
    CHECK_EQ(H.sf.stats.sim_time_us, 0); /* still nothing done in a request */
    h_config();
    H.cfg.start_in_dfu_mode = 1;
    H.cfg.buffer_count = 2;
    h_start();
    dirty_flash(0x00);
    MUST(h_set_alt(1) == 0);
    CHECK_EQ(dfu_util_download(image, len, 4096, &st, 1), DFU_IDLE);
    CHECK_EQ(H.st[0], DFU_OK);
    /* blocks 1..9 wait for the one before the previous; the last, short
     * block waits until everything is programmed */
    CHECK_EQ(st.dnbusy, 10);
    CHECK_EQ(H.manifests, 1);
    check_slot1(0, image, len, 0x00);
}

static uint32_t size_hint_calls;

/* The application's download_size hook, for an image of the test's size. */
static uint32_t known_size(void *ctx, uint32_t offset, const uint8_t *data, uint32_t len)
{
    (void)ctx;
    (void)data;
    (void)len;
    size_hint_calls++;
    return offset == 0 ? 4 * 4096 : 0;
}

/* An image that ends with a full block: with download_size the class knows
 * it is the last, reports it only once programmed, and manifestation is
 * done by the first GETSTATUS after the zero-length DNLOAD (no dfuMANIFEST,
 * which costs a second with dfu-util). Without it, dfuMANIFEST. */
static void test_last_full_block(void)
{
    uint32_t len = 4 * 4096;

    for (int hint = 0; hint < 2; hint++) {
        h_config();
        H.cfg.start_in_dfu_mode = 1;
        H.cfg.buffer_count = 2;
        if (hint)
            H.cfg.download_size = known_size;
        h_start();
        pattern(image, len, 8);
        MUST(h_set_alt(1) == 0);
        H.auto_task = 0;
        size_hint_calls = 0;
        for (uint16_t b = 0; b < 4; b++) {
            MUST(h_dnload(b, image + b * 4096, 4096) == 0);
            for (;;) {
                MUST(h_getstatus() == 0);
                if (H.st[4] != DFU_DNBUSY)
                    break;
                h_main_loop(h_poll());
            }
            CHECK_EQ(H.st[4], DFU_DNLOAD_IDLE);
        }
        CHECK_EQ(size_hint_calls, hint ? 1 : 0); /* asked until it answers */
        MUST(h_dnload(4, 0, 0) == 0);
        dfu_task(&H.dfu); /* the main loop runs once after the request */
        MUST(h_getstatus() == 0);
        CHECK_EQ(H.st[4], hint ? DFU_IDLE : DFU_MANIFEST);
        h_task_drain();
        MUST(h_getstatus() == 0);
        CHECK_EQ(H.st[4], DFU_IDLE);
        CHECK_EQ(H.manifests, 1);
        CHECK(memcmp(H.sf.mem + H.slot1.off, image, len) == 0);
        H.auto_task = 1;
    }
}

static uint32_t image_end;

/* download_size for a file whose image ends at image_end. */
static uint32_t image_ends(void *ctx, uint32_t offset, const uint8_t *data, uint32_t len)
{
    (void)ctx;
    (void)offset;
    (void)data;
    (void)len;
    return image_end;
}

/* A whole-slot backup goes back: once download_size knows where the image
 * ends, what follows (padding, slot0's old trailer) is taken and dropped,
 * even past the end of slot1's room, up to a slot's size; the image is
 * programmed, nothing after it, and manifestation is immediate. */
static void test_backup_tail(void)
{
    static uint8_t file[0x76000];
    uint32_t room, len = sizeof(file);
    uint16_t block = 0;

    h_config();
    H.cfg.start_in_dfu_mode = 1;
    H.cfg.buffer_count = 2;
    H.cfg.transfer_size = 1024;
    H.cfg.slot1_offset = 0x1000;
    H.cfg.slot1_limit = 0x1000 + 0x70000;
    H.cfg.download_size = image_ends;
    h_start();
    room = H.cfg.slot1_limit - H.cfg.slot1_offset;
    image_end = 10 * 1024 + 300;
    pattern(file, len, 77);
    memset(file + len - 4096, 0x5A, 4096); /* a trailer that is not erased */
    MUST(h_set_alt(1) == 0);
    H.auto_task = 0;
    for (uint32_t off = 0; off < len; off += 1024) {
        MUST(h_dnload(block++, file + off, 1024) == 0);
        for (;;) {
            MUST(h_getstatus() == 0);
            REQUIRE(H.st[0] == DFU_OK);
            if (H.st[4] != DFU_DNBUSY)
                break;
            h_main_loop(h_poll());
        }
        dfu_task(&H.dfu);
    }
    CHECK(len > room); /* the file is larger than what slot1 can take */
    MUST(h_dnload(block, 0, 0) == 0);
    dfu_task(&H.dfu);
    MUST(h_getstatus() == 0);
    CHECK_EQ(H.st[4], DFU_IDLE);
    CHECK_EQ(H.st[0], DFU_OK);
    CHECK_EQ(H.manifests, 1);
    CHECK(memcmp(H.sf.mem + H.slot1.off + 0x1000, file, image_end) == 0);
    CHECK(flash_area_is_erased(&H.slot1, 0x1000 + ((image_end + 3) & ~3u), 0x1000 * 3 - ((image_end + 3) & ~3u)));
    /* without download_size the same file stops at the limit: errADDRESS */
    H.auto_task = 1;
    h_config();
    H.cfg.start_in_dfu_mode = 1;
    H.cfg.transfer_size = 1024;
    H.cfg.slot1_offset = 0x1000;
    H.cfg.slot1_limit = 0x1000 + 0x70000;
    h_start();
    MUST(h_set_alt(1) == 0);
    block = 0;
    for (uint32_t off = 0; off < len; off += 1024) {
        MUST(h_dnload(block++, file + off, 1024) == 0);
        MUST(h_getstatus() == 0);
        if (H.st[4] == DFU_ERROR)
            break;
    }
    CHECK_EQ(H.st[4], DFU_ERROR);
    CHECK_EQ(H.st[0], DFU_ERR_ADDRESS);
    CHECK_EQ((uint32_t)block * 1024, room + 1024);
}

/* With a download offset, the sectors of slot1 before it are erased before
 * the first block lands (MCUboot refuses an update whose secondary slot
 * starts with an old header), once per download. */
static void test_clear_head(void)
{
    struct dl_stats st;
    uint32_t s0;

    h_config();
    s0 = sector_index(H.slot1.off);
    H.cfg.start_in_dfu_mode = 1;
    H.cfg.slot1_offset = 0x1000;
    h_start();
    memset(H.sf.mem + H.slot1.off, 0x3D, 0x1000); /* an old header's sector */
    pattern(image, 9000, 4);
    MUST(h_set_alt(1) == 0);
    CHECK_EQ(dfu_util_download(image, 9000, 4096, &st, 1), DFU_IDLE);
    CHECK_EQ(H.sf.sector_erases[s0], 1);
    CHECK(memcmp(H.sf.mem + H.slot1.off + 0x1000, image, 9000) == 0);
    for (uint32_t i = 0; i < 0x1000; i++)
        if (H.sf.mem[H.slot1.off + i] != 0xFF) {
            CHECK_EQ(H.sf.mem[H.slot1.off + i], 0xFF);
            break;
        }
    /* every download clears it, as part of its progressive erase */
    memset(H.sf.mem + H.slot1.off + 16, 0x00, 16);
    CHECK_EQ(dfu_util_download(image, 9000, 4096, &st, 0), DFU_IDLE);
    CHECK_EQ(H.sf.sector_erases[s0], 2);
    CHECK_EQ(H.sf.mem[H.slot1.off + 16], 0xFF);
}

/* A second GET_DESCRIPTOR(device) in the middle of a download changes
 * nothing: only the controller reports bus resets. */
static void test_descriptor_mid_download(void)
{
    h_config();
    H.cfg.start_in_dfu_mode = 1;
    h_start();
    MUST(fake_out(&H.dev, &H.fk, 0x00, USB_REQ_SET_ADDRESS, 5, 0, 0, 0) == 0);
    pattern(image, 3 * 4096, 7);
    MUST(h_set_alt(1) == 0);
    MUST(h_dnload(0, image, 4096) == 0);
    MUST(h_getstatus() == 0);
    CHECK_EQ(H.st[4], DFU_DNLOAD_IDLE);
    CHECK_EQ(fake_in(&H.dev, &H.fk, 0x80, USB_REQ_GET_DESCRIPTOR, 0x0100, 0, 64), 18);
    CHECK_EQ(fake_in(&H.dev, &H.fk, 0x80, USB_REQ_GET_DESCRIPTOR, 0x0100, 0, 18), 18);
    CHECK_EQ(dfu_state(&H.dfu), DFU_DNLOAD_IDLE);
    CHECK_EQ(usbd_address(&H.dev), 5);
    MUST(h_dnload(1, image + 4096, 4096) == 0);
    MUST(h_getstatus() == 0);
    CHECK_EQ(H.st[4], DFU_DNLOAD_IDLE);
    MUST(h_dnload(2, image + 8192, 4096) == 0);
    MUST(h_getstatus() == 0);
    MUST(h_dnload(3, 0, 0) == 0);
    MUST(h_getstatus() == 0);
    CHECK_EQ(H.st[4], DFU_IDLE);
    CHECK(memcmp(H.sf.mem + H.slot1.off, image, 3 * 4096) == 0);
}

/* STM32F4: a 128 KiB sector erase (about 2.5 s) is announced and fits the
 * 5 s request timeout. */
static void test_stm32f4(void)
{
    struct dl_stats st;
    uint32_t len = 200000;

    h_config_layout("stm32f4");
    H.cfg.start_in_dfu_mode = 1;
    h_start();
    dirty_flash(0x00);
    pattern(image, len, 9);
    MUST(h_set_alt(1) == 0);
    CHECK_EQ(dfu_util_download(image, len, 4096, &st, 1), DFU_IDLE);
    CHECK_EQ(st.dnbusy, div_up(len, 4096)); /* one block buffer */
    CHECK_EQ(st.getstatus, 2 * div_up(len, 4096));
    CHECK_EQ(st.max_poll, div_up(300000 + 17500 * 128 + 1024 * 16, 1000));
    CHECK(st.max_poll < 5000);
    check_slot1(0, image, len, 0x00);
}

/* More than 65536 blocks: block numbers wrap, the data still lands right. */
static void test_block_wrap(void)
{
    struct dl_stats st;
    uint32_t len = 65540 * 4;

    h_config();
    H.cfg.transfer_size = 4;
    H.cfg.start_in_dfu_mode = 1;
    h_start();
    pattern(image, len, 11);
    MUST(h_set_alt(1) == 0);
    CHECK_EQ(dfu_util_download(image, len, 4, &st, 0), DFU_IDLE);
    CHECK(memcmp(H.sf.mem + H.slot1.off, image, len) == 0);
}

static void test_errors(void)
{
    static struct flash_area small;
    struct dl_stats st;

    /* past the end of slot1: errADDRESS, and nothing outside it touched */
    h_config();
    MUST(flash_area_init(&small, &H.sf.dev, "slot1", H.slot1.off, 0x2000) == DFB_OK);
    H.cfg.slot1 = &small;
    H.cfg.start_in_dfu_mode = 1;
    h_start();
    pattern(image, 0x3000, 5);
    MUST(h_set_alt(1) == 0);
    CHECK_EQ(dfu_util_download(image, 0x3000, 4096, &st, 0), DFU_ERROR);
    CHECK_EQ(H.st[0], DFU_ERR_ADDRESS);
    CHECK_EQ(dfu_state(&H.dfu), DFU_ERROR);
    CHECK_EQ(H.manifests, 0);
    CHECK_EQ(H.sf.sector_erases[sector_index(H.slot1.off + 0x2000)], 0);
    CHECK(memcmp(H.sf.mem + H.slot1.off, image, 0x2000) == 0);
    CHECK_EQ(h_simple(DFU_CLRSTATUS, 0), 0);
    /* a second download after the error works from the start */
    pattern(image, 0x1800, 6);
    CHECK_EQ(dfu_util_download(image, 0x1800, 4096, &st, 0), DFU_IDLE);
    CHECK(memcmp(H.sf.mem + H.slot1.off, image, 0x1800) == 0);
    CHECK_EQ(H.manifests, 1);

    /* a flash failure while programming: errWRITE at the next GETSTATUS */
    h_config();
    H.cfg.start_in_dfu_mode = 1;
    h_start();
    pattern(image, 0x4000, 7);
    MUST(h_set_alt(1) == 0);
    sim_flash_set_cut(&H.sf, 3, SIM_CUT_ATOMIC, 1);
    CHECK_EQ(h_dnload(0, image, 4096), 0);
    CHECK_EQ(h_getstatus(), 0);
    CHECK_EQ(H.st[4], DFU_ERROR);
    CHECK_EQ(H.st[0], DFU_ERR_WRITE);
    sim_flash_power_on(&H.sf);

    /* ABORT in the middle, then a complete download of another image */
    h_config();
    H.cfg.start_in_dfu_mode = 1;
    h_start();
    pattern(image, 0x3000, 8);
    MUST(h_set_alt(1) == 0);
    CHECK_EQ(h_dnload(0, image, 4096), 0);
    CHECK_EQ(h_getstatus(), 0);
    CHECK_EQ(h_simple(DFU_ABORT, 0), 0);
    CHECK_EQ(dfu_state(&H.dfu), DFU_IDLE);
    pattern(image, 0x2345, 12);
    CHECK_EQ(dfu_util_download(image, 0x2345, 4096, &st, 0), DFU_IDLE);
    CHECK(memcmp(H.sf.mem + H.slot1.off, image, 0x2345) == 0);
    CHECK_EQ(H.manifests, 1);
}

/* Upload of slot0 (the whole partition), as `dfu-util -a 0 -U`. */
static void test_upload_nrf(uint16_t xfer)
{
    uint32_t size;
    unsigned requests;
    int32_t got;

    h_config();
    H.cfg.transfer_size = xfer;
    H.cfg.start_in_dfu_mode = 1;
    h_start();
    size = H.slot0.size;
    pattern(H.sf.mem + H.slot0.off, size, 77);
    MUST(h_set_alt(0) == 0);
    got = dfu_util_upload(back, sizeof(back), xfer, 0, &requests);
    CHECK_EQ(got, size);
    CHECK(memcmp(back, H.sf.mem + H.slot0.off, size) == 0);
    /* a multiple of the transfer size ends with a zero-length frame */
    CHECK_EQ(requests, size / xfer + 1);
    CHECK_EQ(H.fk.in_len, size % xfer);
    CHECK_EQ(dfu_state(&H.dfu), DFU_IDLE);
    CHECK_EQ(h_getstatus(), 0);
    CHECK_EQ(H.st[4], DFU_IDLE);
}

/* Small areas: sizes that are and are not multiples of the transfer size,
 * block numbers that start anywhere and wrap. */
static void test_upload_sizes(void)
{
    static const uint32_t sizes[] = { 0x1000, 0x2000, 0x2001, 0x1FFF, 0x1000 + 64 };
    static struct flash_area area;
    unsigned requests;

    for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        for (unsigned x = 0; x < 2; x++) {
            uint16_t xfer = x ? 64 : 4096;
            uint16_t first = x ? 0xFFC0 : 0;
            int32_t got;

            h_config();
            /* an area may not end inside a sector: take whole sectors and
             * let the upload length be the area size */
            MUST(flash_area_init(&area, &H.sf.dev, "slot0", H.slot0.off, div_up(sizes[i], 0x1000) * 0x1000) ==
                 DFB_OK);
            area.size = sizes[i];
            H.cfg.slot0 = &area;
            H.cfg.transfer_size = xfer;
            H.cfg.start_in_dfu_mode = 1;
            h_start();
            pattern(H.sf.mem + H.slot0.off, sizes[i], i * 2 + x);
            MUST(h_set_alt(0) == 0);
            got = dfu_util_upload(back, sizeof(back), xfer, first, &requests);
            CHECK_EQ(got, sizes[i]);
            CHECK(memcmp(back, H.sf.mem + H.slot0.off, sizes[i]) == 0);
            CHECK_EQ(requests, sizes[i] / xfer + 1);
            CHECK_EQ(dfu_state(&H.dfu), DFU_IDLE);
        }
    }
    /* the host may ask for less than wTransferSize: the frame is full, the
     * upload goes on; the short one still ends it */
    h_config();
    H.cfg.start_in_dfu_mode = 1;
    h_start();
    pattern(H.sf.mem + H.slot0.off, 0x3000, 99);
    MUST(h_set_alt(0) == 0);
    CHECK_EQ(h_upload(0, 1000), 1000);
    CHECK_EQ(dfu_state(&H.dfu), DFU_UPLOAD_IDLE);
    CHECK_EQ(h_upload(1, 4096), 4096);
    CHECK(memcmp(H.fk.in, H.sf.mem + H.slot0.off + 1000, 4096) == 0);
    /* an aborted upload starts over from offset 0 */
    CHECK_EQ(h_simple(DFU_ABORT, 0), 0);
    CHECK_EQ(h_upload(0, 16), 16);
    CHECK(memcmp(H.fk.in, H.sf.mem + H.slot0.off, 16) == 0);
    /* upload of slot1 through alt 1 */
    CHECK_EQ(h_simple(DFU_ABORT, 0), 0);
    MUST(h_set_alt(1) == 0);
    pattern(H.sf.mem + H.slot1.off, 64, 100);
    CHECK_EQ(h_upload(0, 64), 64);
    CHECK(memcmp(H.fk.in, H.sf.mem + H.slot1.off, 64) == 0);
}

/* The full story in run-time mode: dfu-util -a 1 -D, from the
 * application's descriptors through DETACH and the reset into DFU mode. */
static void test_runtime_story(void)
{
    struct dl_stats st;
    uint32_t len = 0x5123;

    h_config();
    h_start();
    pattern(image, len, 1234);
    MUST(h_set_alt(0) == 0);
    MUST(h_getstatus() == 0);
    CHECK_EQ(H.st[4], DFU_APP_IDLE);
    MUST(h_simple(DFU_DETACH, 1000) == 0);
    fake_bus_reset(&H.dev);
    MUST(fake_out(&H.dev, &H.fk, 0x00, USB_REQ_SET_CONFIGURATION, 1, 0, 0, 0) == 0);
    MUST(h_set_alt(1) == 0);
    MUST(h_getstatus() == 0);
    CHECK_EQ(H.st[4], DFU_IDLE);
    CHECK_EQ(dfu_util_download(image, len, 4096, &st, 1), DFU_IDLE);
    CHECK(memcmp(H.sf.mem + H.slot1.off, image, len) == 0);
    CHECK_EQ(H.manifests, 1);
    /* dfu-util -R: DETACH, then the reset reboots into the application */
    MUST(h_simple(DFU_DETACH, 1000) == 0);
    CHECK_EQ(H.restarts, 0);
    fake_bus_reset(&H.dev);
    CHECK_EQ(H.restarts, 1);
}

/* A host that resets in dfuMANIFEST, before the main loop has run the
 * manifestation of a complete download: the download is kept, the task
 * manifests it, and the restart waits for that. */
static void test_reset_in_manifest(void)
{
    h_config();
    H.cfg.start_in_dfu_mode = 1;
    h_start();
    pattern(image, 3000, 9);
    MUST(h_set_alt(1) == 0);
    H.auto_task = 0;
    CHECK_EQ(h_dnload(0, image, 3000), 0);
    h_task_drain();
    CHECK_EQ(h_getstatus(), 0);
    CHECK_EQ(h_dnload(1, 0, 0), 0);
    CHECK_EQ(h_getstatus(), 0);
    CHECK_EQ(H.st[4], DFU_MANIFEST);
    CHECK_EQ(H.manifests, 0);
    CHECK(!dfu_download_idle(&H.dfu));
    fake_bus_reset(&H.dev);
    CHECK_EQ(H.restarts, 1);
    h_task_drain();
    CHECK_EQ(H.manifests, 1);
    CHECK(dfu_download_idle(&H.dfu));
    CHECK(memcmp(H.sf.mem + H.slot1.off, image, 3000) == 0);
    /* an ABORT after the zero-length DNLOAD cannot come (MANIFEST-SYNC
     * takes GETSTATUS and GETSTATE only); a SET_INTERFACE can: the
     * manifestation it drops does not keep the class busy for ever */
    h_config();
    H.cfg.start_in_dfu_mode = 1;
    h_start();
    MUST(h_set_alt(1) == 0);
    H.auto_task = 0;
    CHECK_EQ(h_dnload(0, image, 3000), 0);
    h_task_drain();
    CHECK_EQ(h_getstatus(), 0);
    CHECK_EQ(h_dnload(1, 0, 0), 0);
    CHECK_EQ(h_set_alt(1), 0);
    h_task_drain();
    CHECK(dfu_download_idle(&H.dfu));
}

/* The application's pre-erase hint (dfu_slot1_erased) survives the
 * SET_INTERFACE (and SET_CONFIGURATION) a host sends before its first
 * DNLOAD, and holds for one download only. */
static void test_preerase_hint(void)
{
    struct dl_stats st;
    uint64_t e0;

    h_config();
    H.cfg.start_in_dfu_mode = 1;
    h_start();
    pattern(image, 20000, 4);
    dfu_slot1_erased(&H.dfu);
    MUST(h_set_alt(1) == 0);
    h_task_drain();
    MUST(h_set_alt(1) == 0);
    e0 = H.sf.stats.erases;
    CHECK_EQ(dfu_util_download(image, 20000, 4096, &st, 0), DFU_IDLE);
    CHECK_EQ(H.sf.stats.erases, e0); /* slot1 was erased: programming only */
    CHECK(memcmp(H.sf.mem + H.slot1.off, image, 20000) == 0);
    /* the next download erases again */
    MUST(h_set_alt(1) == 0);
    e0 = H.sf.stats.erases;
    CHECK_EQ(dfu_util_download(image, 20000, 4096, &st, 0), DFU_IDLE);
    CHECK(H.sf.stats.erases > e0);
}

int main(void)
{
    test_download(10000, 4096, 0, 0);
    test_download(3 * 4096, 4096, 0, 1);
    test_download(4096 * 5 + 1, 4096, 0x2000, 0);
    test_download(777, 4096, 0x1000 + 256, 0);
    test_download(20000, 1000, 0, 0);
    test_download(9999, 64, 0x1004, 1);
    test_deferred_nrf();
    test_pipeline_nrf();
    test_last_full_block();
    test_clear_head();
    test_backup_tail();
    test_descriptor_mid_download();
    test_stm32f4();
    test_block_wrap();
    test_errors();
    test_upload_nrf(4096);
    test_upload_nrf(1000);
    test_upload_nrf(64);
    test_upload_sizes();
    test_runtime_story();
    test_reset_in_manifest();
    test_preerase_hint();
    if (H.sf.mem != 0)
        sim_flash_close(&H.sf);
    CHECK_DONE();
}
