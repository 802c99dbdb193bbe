/* Misuse of the USB device core and the DFU class by a hostile or broken
 * host, beyond the layer's own state-table tests:
 *  - standard host-to-device requests with a data stage (found by the
 *    usb_dfu fuzz target: SET_ADDRESS with wLength 65280 made the core
 *    receive 65280 bytes into its 256-byte descriptor buffer);
 *  - a host that goes away in the middle of a download (bus reset, or a
 *    new SETUP in the middle of a data stage), then a new full download;
 *  - with upload disabled, no request sequence gets slot0's bytes out. */
#include <stdlib.h>

#include "dfu/tests/dfu_harness.h"

static uint8_t image[0x6000];

static void pattern(uint8_t *p, size_t n, uint32_t seed)
{
    uint32_t x = seed * 2654435761u + 7;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (uint8_t)x;
    }
}

/* dfu-util's download loop: DNLOAD, GETSTATUS until idle, zero-length
 * DNLOAD, GETSTATUS through manifestation. Returns the final state. */
static int full_download(const uint8_t *img, uint32_t len, uint16_t xfer)
{
    uint16_t block = 0;
    for (uint32_t off = 0; off < len; off += xfer, block++) {
        uint16_t n = (uint16_t)(len - off < xfer ? len - off : xfer);
        if (h_dnload(block, img + off, n) != 0)
            return -1;
        do {
            if (h_getstatus() != 0)
                return -1;
            H.now_ms += h_poll();
        } while (H.st[4] == DFU_DNBUSY);
        if (H.st[4] != DFU_DNLOAD_IDLE)
            return H.st[4];
    }
    if (h_dnload(block, 0, 0) != 0)
        return -1;
    for (int i = 0; i < 8 && dfu_state(&H.dfu) != DFU_IDLE; i++) {
        if (h_getstatus() != 0)
            return -1;
        H.now_ms += h_poll();
    }
    return dfu_state(&H.dfu);
}

static void test_standard_out_with_data(void)
{
    static const uint8_t reqs[] = { USB_REQ_CLEAR_FEATURE, USB_REQ_SET_FEATURE, USB_REQ_SET_ADDRESS,
                                    USB_REQ_SET_CONFIGURATION, USB_REQ_SET_INTERFACE, USB_REQ_SET_DESCRIPTOR };
    static const uint8_t recips[] = { 0x00, 0x01, 0x02 };
    static const uint16_t lens[] = { 1, 8, 256, 257, 4096, 65280, 65535 };

    h_config();
    H.cfg.start_in_dfu_mode = 1;
    h_start();
    for (unsigned r = 0; r < sizeof(reqs); r++)
        for (unsigned d = 0; d < sizeof(recips); d++)
            for (unsigned l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
                fake_setup(&H.dev, &H.fk, recips[d], reqs[r], reqs[r] == USB_REQ_SET_ADDRESS ? 7 : 1, 0, lens[l]);
                CHECK_EQ(H.fk.answers, 1);
                if (H.fk.answer != FAKE_STALL)
                    fprintf(stderr, "  request %u to recipient %u with wLength %u not stalled (answer %d)\n",
                            reqs[r], recips[d], lens[l], H.fk.answer);
                CHECK_EQ(H.fk.answer, FAKE_STALL);
            }
    /* the device is unharmed: address 0, descriptors intact, DFU works */
    CHECK_EQ(usbd_address(&H.dev), 0);
    CHECK_EQ(fake_in(&H.dev, &H.fk, 0x80, USB_REQ_GET_DESCRIPTOR, 0x0100, 0, 18), 18);
    CHECK_EQ(H.fk.in[0], 18);
    CHECK_EQ(H.fk.in[1], USB_DESC_DEVICE);
    CHECK_EQ(fake_out(&H.dev, &H.fk, 0x00, USB_REQ_SET_CONFIGURATION, 1, 0, 0, 0), 0);
    CHECK_EQ(h_set_alt(1), 0);
    pattern(image, 0x800, 1);
    CHECK_EQ(full_download(image, 0x800, 256), DFU_IDLE);
    CHECK(memcmp(H.sf.mem + H.slot1.off, image, 0x800) == 0);
}

static void test_disconnect_mid_download(void)
{
    /* bus reset (cable pulled and plugged) after a few blocks */
    h_config();
    H.cfg.start_in_dfu_mode = 1;
    h_start();
    MUST(h_set_alt(1) == 0);
    pattern(image, 0x6000, 2);
    for (uint16_t b = 0; b < 3; b++) {
        CHECK_EQ(h_dnload(b, image + b * 1024u, 1024), 0);
        CHECK_EQ(h_getstatus(), 0);
    }
    fake_bus_reset(&H.dev);
    CHECK_EQ(H.manifests, 0);
    CHECK_EQ(dfu_state(&H.dfu), DFU_IDLE); /* still in DFU mode, download forgotten */
    /* the host comes back and enumerates again */
    MUST(fake_out(&H.dev, &H.fk, 0x00, USB_REQ_SET_CONFIGURATION, 1, 0, 0, 0) == 0);
    MUST(h_set_alt(1) == 0);
    pattern(image, 0x5432, 3);
    CHECK_EQ(full_download(image, 0x5432, 1024), DFU_IDLE);
    CHECK(memcmp(H.sf.mem + H.slot1.off, image, 0x5432) == 0);
    CHECK_EQ(H.manifests, 1);

    /* the host gives up in the middle of a data stage: the next SETUP
     * abandons it; the half block is not programmed as a block */
    h_config();
    H.cfg.start_in_dfu_mode = 1;
    h_start();
    MUST(h_set_alt(1) == 0);
    pattern(image, 0x3000, 4);
    CHECK_EQ(h_dnload(0, image, 2048), 0);
    CHECK_EQ(h_getstatus(), 0);
    fake_setup(&H.dev, &H.fk, 0x21, DFU_DNLOAD, 1, 0, 2048);
    CHECK_EQ(H.fk.answer, FAKE_RECEIVE);
    fake_ep0_out(&H.dev, image + 2048, 64); /* 64 of 2048 bytes, then silence */
    CHECK_EQ(h_simple(DFU_ABORT, 0), 0);    /* a new SETUP: dfu-util's ABORT */
    CHECK_EQ(dfu_state(&H.dfu), DFU_IDLE);
    /* a stale OUT packet of the abandoned transfer is ignored */
    fake_ep0_out(&H.dev, image, 64);
    CHECK_EQ(dfu_state(&H.dfu), DFU_IDLE);
    pattern(image, 0x2f00, 5);
    CHECK_EQ(full_download(image, 0x2f00, 2048), DFU_IDLE);
    CHECK(memcmp(H.sf.mem + H.slot1.off, image, 0x2f00) == 0);
    CHECK_EQ(H.manifests, 1);
}

/* True if any 16-byte window of `reply` appears in slot0 at a 16-byte boundary. */
static int leaks_slot0(const uint8_t *reply, uint16_t len)
{
    const uint8_t *s0 = H.sf.mem + H.slot0.off;
    for (uint32_t i = 0; i + 16 <= len; i++)
        for (uint32_t off = 0; off + 16 <= 0x4000; off += 16)
            if (memcmp(reply + i, s0 + off, 16) == 0)
                return 1;
    return 0;
}

static void test_no_upload(void)
{
    static const uint16_t lens[] = { 1, 6, 64, 4096 };
    unsigned replies = 0, leaked = 0;

    h_config();
    H.cfg.enable_upload = 0;
    H.cfg.start_in_dfu_mode = 1;
    h_start();
    pattern(H.sf.mem + H.slot0.off, H.slot0.size, 6); /* a "firmware" to protect */
    for (int round = 0; round < 2; round++) {
        for (uint8_t alt = 0; alt < 2; alt++) {
            for (unsigned l = 0; l < 4; l++) {
                for (uint16_t block = 0; block < 3; block++) {
                    MUST(h_set_alt(alt) == 0);
                    if (round == 1 && alt == 1) { /* mid-download */
                        CHECK_EQ(h_dnload(0, image, 64), 0);
                        CHECK_EQ(h_getstatus(), 0);
                    }
                    int n = h_upload(block, lens[l]);
                    CHECK_EQ(n, -1);
                    if (n > 0) {
                        replies++;
                        leaked += leaks_slot0(H.fk.in, (uint16_t)n);
                    }
                    h_getstatus();
                    h_simple(DFU_CLRSTATUS, 0);
                    h_simple(DFU_ABORT, 0);
                }
            }
        }
    }
    /* also as a vendor request and to other recipients */
    for (uint8_t bm = 0xA0; bm <= 0xC2; bm++) {
        int n = fake_in(&H.dev, &H.fk, bm, DFU_UPLOAD, 0, 0, 4096);
        if (n > 0)
            leaked += leaks_slot0(H.fk.in, (uint16_t)n);
    }
    CHECK_EQ(replies, 0);
    CHECK_EQ(leaked, 0);
    CHECK_EQ(H.dfu.func_desc[2] & DFU_ATTR_CAN_UPLOAD, 0);

    /* the same sequence with upload enabled does read slot0: the check
     * above can see a leak */
    h_config();
    H.cfg.enable_upload = 1;
    H.cfg.start_in_dfu_mode = 1;
    h_start();
    pattern(H.sf.mem + H.slot0.off, H.slot0.size, 6);
    MUST(h_set_alt(0) == 0);
    int n = h_upload(0, 64);
    CHECK_EQ(n, 64);
    CHECK(n > 0 && leaks_slot0(H.fk.in, (uint16_t)n));
}

int main(void)
{
    test_standard_out_with_data();
    test_disconnect_mid_download();
    test_no_upload();
    sim_flash_close(&H.sf);
    CHECK_DONE();
}
