/* DFU class state machine: every state of DFU 1.1 x every request (plus
 * the zero-length DNLOAD and an undefined request), each error path into
 * dfuERROR and out of it, request validation, mode switching, detach and
 * reboot timing, and the descriptors of both modes byte for byte. */
#include "dfu/tests/dfu_harness.h"

enum col { C_DETACH, C_DNLOAD, C_UPLOAD, C_GETSTATUS, C_CLRSTATUS, C_GETSTATE, C_ABORT, C_DNLOAD0, C_UNKNOWN, NCOL };

static const char *const col_names[NCOL] = { "DETACH",   "DNLOAD", "UPLOAD", "GETSTATUS", "CLRSTATUS",
                                             "GETSTATE", "ABORT",  "DNLOAD(0)", "request 7" };

struct expect {
    uint8_t ok;     /* accepted (data or ACK) rather than stalled */
    uint8_t next;   /* state afterwards */
    uint8_t status; /* bStatus afterwards */
};

#define A(n) { 1, n, DFU_OK }
#define E { 0, DFU_ERROR, DFU_ERR_STALLEDPKT }
#define S(n) { 0, n, DFU_OK }

/* Written from DFU 1.1 appendix A.2 (see docs/usb-dfu.md for the choices
 * in dfuIDLE/DETACH, dfuDNBUSY, dfuMANIFEST and dfuMANIFEST-WAIT-RESET). */
static const struct expect table[11][NCOL] = {
    /*                 DETACH  DNLOAD  UPLOAD  GETSTATUS CLRSTATUS GETSTATE ABORT  DNLOAD0 unknown */
    [DFU_APP_IDLE] = { A(1), S(0), S(0), A(0), S(0), A(0), S(0), S(0), S(0) },
    [DFU_APP_DETACH] = { S(0), S(0), S(0), A(1), S(0), A(1), S(0), S(0), S(0) },
    [DFU_IDLE] = { A(2), A(3), A(9), A(2), E, A(2), A(2), E, E },
    [DFU_DNLOAD_SYNC] = { E, E, E, A(5), E, A(3), E, E, E },
    [DFU_DNBUSY] = { E, E, E, A(5), E, E, E, E, E },
    [DFU_DNLOAD_IDLE] = { E, A(3), E, A(5), E, A(5), A(2), A(6), E },
    [DFU_MANIFEST_SYNC] = { E, E, E, A(2), E, A(6), E, E, E },
    [DFU_MANIFEST] = { E, E, E, A(8), E, E, E, E, E },
    [DFU_MANIFEST_WAIT_RESET] = { A(8), S(8), S(8), A(8), S(8), A(8), S(8), S(8), S(8) },
    [DFU_UPLOAD_IDLE] = { E, E, A(9), A(9), E, A(9), A(2), E, E },
    [DFU_ERROR] = { { 0, 10, 15 }, { 0, 10, 15 }, { 0, 10, 15 }, { 1, 10, 15 }, A(2), { 1, 10, 15 }, { 0, 10, 15 },
                    { 0, 10, 15 }, { 0, 10, 15 } },
};

static uint8_t block64[64];
static uint16_t next_dn_block, next_up_block;

/* Drives a fresh device into `state` with valid requests only. */
static void reach(uint8_t state)
{
    h_config();
    H.cfg.start_in_dfu_mode = state >= DFU_IDLE;
    H.cfg.reboot = state == DFU_MANIFEST || state == DFU_MANIFEST_WAIT_RESET;
    h_start();
    next_dn_block = 0;
    next_up_block = 0;
    if (state == DFU_APP_DETACH)
        MUST(h_simple(DFU_DETACH, 1000) == 0);
    if (state >= DFU_IDLE)
        MUST(h_set_alt(state == DFU_UPLOAD_IDLE ? 0 : 1) == 0);
    if (state >= DFU_DNLOAD_SYNC && state <= DFU_MANIFEST_WAIT_RESET) {
        MUST(h_dnload(0, block64, sizeof(block64)) == 0);
        next_dn_block = 1;
    }
    /* dfuDNBUSY: the block is not programmed yet (the main loop has not
     * run) when GETSTATUS asks */
    H.auto_task = state != DFU_DNBUSY;
    if (state >= DFU_DNBUSY && state <= DFU_MANIFEST_WAIT_RESET)
        MUST(h_getstatus() == 0);
    H.auto_task = 1;
    /* dfuMANIFEST lasts only until the status stage of the GETSTATUS that
     * announced it: hold that status stage back. */
    if (state >= DFU_MANIFEST_SYNC && state <= DFU_MANIFEST_WAIT_RESET)
        MUST(h_dnload(1, 0, 0) == 0);
    H.fk.hold_status = state == DFU_MANIFEST;
    if (state == DFU_MANIFEST || state == DFU_MANIFEST_WAIT_RESET)
        MUST(h_getstatus() == 0);
    H.fk.hold_status = 0;
    if (state == DFU_UPLOAD_IDLE) {
        MUST(h_upload(0, H.cfg.transfer_size) == H.cfg.transfer_size);
        next_up_block = 1;
    }
    if (state == DFU_ERROR)
        MUST(h_simple(DFU_CLRSTATUS, 0) == -1);
    MUST(dfu_state(&H.dfu) == state);
    H.restarts = 0;
}

static int send(enum col c)
{
    switch (c) {
    case C_DETACH:
        return h_simple(DFU_DETACH, 1000);
    case C_DNLOAD:
        return h_dnload(next_dn_block, block64, sizeof(block64));
    case C_UPLOAD:
        return h_upload(next_up_block, H.cfg.transfer_size) < 0 ? -1 : 0;
    case C_GETSTATUS:
        return h_getstatus();
    case C_CLRSTATUS:
        return h_simple(DFU_CLRSTATUS, 0);
    case C_GETSTATE:
        return h_getstate() < 0 ? -1 : 0;
    case C_ABORT:
        return h_simple(DFU_ABORT, 0);
    case C_DNLOAD0:
        return h_dnload(next_dn_block, 0, 0);
    default:
        return h_simple(7, 0);
    }
}

static unsigned pairs;

static void test_table(void)
{
    for (int i = 0; i < 64; i++)
        block64[i] = (uint8_t)(i * 3 + 1);
    for (uint8_t s = 0; s <= DFU_ERROR; s++) {
        for (int c = 0; c < NCOL; c++) {
            const struct expect *e = &table[s][c];
            int rc, before_errors = check_failures;
            unsigned restarts_expected = c == C_GETSTATUS && (s == DFU_MANIFEST || s == DFU_MANIFEST_WAIT_RESET);

            reach(s);
            rc = send((enum col)c);
            pairs++;
            CHECK_EQ(rc == 0, e->ok);
            CHECK_EQ(H.fk.answer == FAKE_STALL, !e->ok);
            CHECK_EQ(dfu_state(&H.dfu), e->next);
            CHECK_EQ(dfu_status(&H.dfu), e->status);
            CHECK_EQ(H.restarts, restarts_expected);
            if (c == C_GETSTATUS) {
                /* reply: status, bState, iString 0 */
                CHECK_EQ(H.st[0], e->status);
                CHECK_EQ(H.st[4], e->next);
                CHECK_EQ(H.st[5], 0);
            }
            if (c == C_GETSTATE && e->ok)
                CHECK_EQ(H.fk.in[0], s);
            if (check_failures != before_errors)
                fprintf(stderr, "  ... in state %u, request %s\n", s, col_names[c]);
        }
    }
}

/* Malformed forms of valid requests: wrong wLength, direction, type. */
static void test_malformed(void)
{
    static const uint16_t bad_status_len[] = { 0, 5, 7, 64 };
    static const uint16_t bad_state_len[] = { 0, 2, 6 };

    for (unsigned i = 0; i < 4; i++) {
        reach(DFU_IDLE);
        CHECK_EQ(fake_in(&H.dev, &H.fk, 0xA1, DFU_GETSTATUS, 0, 0, bad_status_len[i]), -1);
        CHECK_EQ(dfu_state(&H.dfu), DFU_ERROR);
        CHECK_EQ(dfu_status(&H.dfu), DFU_ERR_STALLEDPKT);
        /* in run-time mode: a stall, no error state */
        reach(DFU_APP_IDLE);
        CHECK_EQ(fake_in(&H.dev, &H.fk, 0xA1, DFU_GETSTATUS, 0, 1, bad_status_len[i]), -1);
        CHECK_EQ(dfu_state(&H.dfu), DFU_APP_IDLE);
    }
    for (unsigned i = 0; i < 3; i++) {
        reach(DFU_DNLOAD_IDLE);
        CHECK_EQ(fake_in(&H.dev, &H.fk, 0xA1, DFU_GETSTATE, 0, 0, bad_state_len[i]), -1);
        CHECK_EQ(dfu_state(&H.dfu), DFU_ERROR);
    }
    /* direction: GETSTATUS as OUT, DNLOAD as IN, ABORT with data */
    reach(DFU_IDLE);
    CHECK_EQ(fake_out(&H.dev, &H.fk, 0x21, DFU_GETSTATUS, 0, 0, block64, 6), -1);
    CHECK_EQ(dfu_state(&H.dfu), DFU_ERROR);
    reach(DFU_IDLE);
    CHECK_EQ(fake_in(&H.dev, &H.fk, 0xA1, DFU_DNLOAD, 0, 0, 64), -1);
    CHECK_EQ(dfu_state(&H.dfu), DFU_ERROR);
    reach(DFU_IDLE);
    CHECK_EQ(fake_out(&H.dev, &H.fk, 0x21, DFU_ABORT, 0, 0, block64, 1), -1);
    CHECK_EQ(dfu_state(&H.dfu), DFU_ERROR);
    /* vendor type with a DFU request number */
    reach(DFU_IDLE);
    CHECK_EQ(fake_in(&H.dev, &H.fk, 0xC1, DFU_GETSTATUS, 0, 0, 6), -1);
    CHECK_EQ(dfu_state(&H.dfu), DFU_ERROR);
    /* request numbers past ABORT */
    for (uint8_t r = 7; r < 12; r++) {
        reach(DFU_IDLE);
        CHECK_EQ(h_simple(r, 0), -1);
        CHECK_EQ(dfu_status(&H.dfu), DFU_ERR_STALLEDPKT);
    }
    /* an error is kept while more requests are refused; CLRSTATUS clears */
    reach(DFU_IDLE);
    H.cfg.enable_upload = 1;
    MUST(h_set_alt(0) == 0);
    CHECK_EQ(h_dnload(0, block64, 64), -1); /* alt 0 = slot0: never written */
    CHECK_EQ(dfu_state(&H.dfu), DFU_ERROR);
    CHECK_EQ(dfu_status(&H.dfu), DFU_ERR_WRITE);
    CHECK_EQ(h_simple(DFU_ABORT, 0), -1);
    CHECK_EQ(dfu_status(&H.dfu), DFU_ERR_WRITE);
    CHECK_EQ(h_getstatus(), 0);
    CHECK_EQ(H.st[0], DFU_ERR_WRITE);
    CHECK_EQ(H.st[4], DFU_ERROR);
    CHECK_EQ(h_simple(DFU_CLRSTATUS, 0), 0);
    CHECK_EQ(dfu_state(&H.dfu), DFU_IDLE);
    CHECK_EQ(dfu_status(&H.dfu), DFU_OK);
    /* SET_INTERFACE also resets the state (dfu-util sends it first) */
    CHECK_EQ(h_simple(DFU_CLRSTATUS, 0), -1);
    CHECK_EQ(dfu_state(&H.dfu), DFU_ERROR);
    CHECK_EQ(h_set_alt(1), 0);
    CHECK_EQ(dfu_state(&H.dfu), DFU_IDLE);
    CHECK_EQ(dfu_status(&H.dfu), DFU_OK);
    CHECK_EQ(h_set_alt(2), -1); /* two alt settings only */
}

static void test_download_checks(void)
{
    static uint8_t big[4097];

    /* DNLOAD longer than wTransferSize */
    reach(DFU_IDLE);
    CHECK_EQ(h_dnload(0, big, 4097), -1);
    CHECK_EQ(dfu_state(&H.dfu), DFU_ERROR);
    /* zero-length first DNLOAD */
    reach(DFU_IDLE);
    CHECK_EQ(h_dnload(0, 0, 0), -1);
    CHECK_EQ(dfu_status(&H.dfu), DFU_ERR_STALLEDPKT);
    CHECK_EQ(H.manifests, 0);
    /* block numbers: any first number, then +1; a repeat or a gap fails */
    reach(DFU_IDLE);
    CHECK_EQ(h_dnload(7, block64, 64), 0);
    CHECK_EQ(h_getstatus(), 0);
    CHECK_EQ(h_dnload(8, block64, 64), 0);
    CHECK_EQ(h_getstatus(), 0);
    CHECK_EQ(H.st[4], DFU_DNLOAD_IDLE);
    CHECK_EQ(h_dnload(8, block64, 64), -1);
    CHECK_EQ(dfu_state(&H.dfu), DFU_ERROR);
    CHECK_EQ(dfu_status(&H.dfu), DFU_ERR_STALLEDPKT);
    reach(DFU_IDLE);
    CHECK_EQ(h_dnload(0, block64, 64), 0);
    CHECK_EQ(h_getstatus(), 0);
    CHECK_EQ(h_dnload(2, block64, 64), -1);
    /* wrapping at 16 bits */
    reach(DFU_IDLE);
    CHECK_EQ(h_dnload(0xFFFF, block64, 64), 0);
    CHECK_EQ(h_getstatus(), 0);
    CHECK_EQ(h_dnload(0, block64, 64), 0);
    CHECK_EQ(h_getstatus(), 0);
    CHECK_EQ(H.st[4], DFU_DNLOAD_IDLE);
    /* without slot1 nothing can be downloaded and the capability is clear */
    h_config();
    H.cfg.slot1 = 0;
    H.cfg.start_in_dfu_mode = 1;
    h_start();
    CHECK_EQ(H.dfu.func_desc[2] & DFU_ATTR_CAN_DNLOAD, 0);
    CHECK_EQ(h_set_alt(1), -1); /* one alt setting only */
    CHECK_EQ(h_set_alt(0), 0);
    CHECK_EQ(h_dnload(0, block64, 64), -1);
    CHECK_EQ(dfu_state(&H.dfu), DFU_ERROR);
}

static void test_upload_checks(void)
{
    /* upload disabled: capability bit clear and UPLOAD refused */
    h_config();
    H.cfg.enable_upload = 0;
    H.cfg.start_in_dfu_mode = 1;
    h_start();
    CHECK_EQ(H.dfu.func_desc[2], DFU_ATTR_CAN_DNLOAD | DFU_ATTR_MANIFESTATION_TOLERANT);
    CHECK_EQ(h_set_alt(0), 0);
    CHECK_EQ(h_upload(0, 4096), -1);
    CHECK_EQ(dfu_state(&H.dfu), DFU_ERROR);
    CHECK_EQ(dfu_status(&H.dfu), DFU_ERR_STALLEDPKT);
    /* wLength over wTransferSize, and zero */
    reach(DFU_IDLE);
    CHECK_EQ(h_upload(0, 4097), -1);
    CHECK_EQ(dfu_state(&H.dfu), DFU_ERROR);
    reach(DFU_IDLE);
    CHECK_EQ(h_upload(0, 0), -1);
    CHECK_EQ(dfu_state(&H.dfu), DFU_ERROR);
    /* block numbers checked and wrapping */
    reach(DFU_IDLE);
    CHECK_EQ(h_upload(0xFFFF, 64), 64);
    CHECK_EQ(h_upload(0, 64), 64);
    CHECK_EQ(h_upload(0, 64), -1);
    CHECK_EQ(dfu_state(&H.dfu), DFU_ERROR);
}

/* Run time: dfu-util's sequence, detach timer, will-detach. */
static void test_runtime(void)
{
    /* SET_INTERFACE 0, GETSTATUS, DETACH, then a USB reset */
    h_config();
    h_start();
    CHECK(usbd_descriptors(&H.dev) == &H.app_info);
    CHECK_EQ(h_set_alt(0), 0);
    CHECK_EQ(h_getstatus(), 0);
    CHECK_EQ(H.st[4], DFU_APP_IDLE);
    CHECK_EQ(h_poll(), 0);
    CHECK_EQ(h_simple(DFU_DETACH, 1000), 0);
    CHECK_EQ(dfu_state(&H.dfu), DFU_APP_DETACH);
    CHECK(usbd_descriptors(&H.dev) == &H.app_info);
    H.now_ms += 999;
    fake_bus_reset(&H.dev);
    CHECK(usbd_descriptors(&H.dev) == dfu_mode_descriptors(&H.dfu));
    CHECK_EQ(dfu_state(&H.dfu), DFU_IDLE);
    CHECK_EQ(H.fk.detaches, 0);
    /* the kernel's re-enumeration reads the DFU-mode device */
    CHECK_EQ(fake_in(&H.dev, &H.fk, 0x80, USB_REQ_GET_DESCRIPTOR, 0x0100, 0, 64), 18);
    CHECK_EQ(H.fk.in[10], 0x02);
    /* further resets keep DFU mode */
    fake_bus_reset(&H.dev);
    CHECK_EQ(dfu_state(&H.dfu), DFU_IDLE);
    CHECK_EQ(H.restarts, 0);

    /* a host reading the device descriptor again is no reset: only the
     * controller reports resets (over USB/IP it infers them itself) */
    h_config();
    h_start();
    CHECK_EQ(h_simple(DFU_DETACH, 1000), 0);
    CHECK_EQ(fake_in(&H.dev, &H.fk, 0x80, USB_REQ_GET_DESCRIPTOR, 0x0100, 0, 64), 18);
    CHECK_EQ(H.fk.in[10], 0x01);
    CHECK_EQ(dfu_state(&H.dfu), DFU_APP_DETACH);
    fake_bus_reset(&H.dev);
    CHECK_EQ(dfu_state(&H.dfu), DFU_IDLE);

    /* the detach timer: min(wValue, wDetachTimeOut) */
    h_config();
    h_start();
    CHECK_EQ(h_simple(DFU_DETACH, 300), 0);
    H.now_ms += 301;
    CHECK_EQ(h_getstate(), DFU_APP_IDLE);
    fake_bus_reset(&H.dev);
    CHECK(usbd_descriptors(&H.dev) == &H.app_info);
    h_config();
    H.cfg.detach_timeout = 100;
    h_start();
    CHECK_EQ(h_simple(DFU_DETACH, 1000), 0);
    H.now_ms += 101;
    fake_bus_reset(&H.dev);
    CHECK(usbd_descriptors(&H.dev) == &H.app_info);
    CHECK_EQ(dfu_state(&H.dfu), DFU_APP_IDLE);

    /* will-detach: the device re-enumerates itself after the status stage */
    h_config();
    H.cfg.will_detach = 1;
    h_start();
    H.fk.hold_status = 1;
    CHECK_EQ(h_simple(DFU_DETACH, 1000), 0);
    CHECK_EQ(H.fk.detaches, 0);
    CHECK(usbd_descriptors(&H.dev) == &H.app_info);
    fake_status_done(&H.dev);
    H.fk.hold_status = 0;
    CHECK_EQ(H.fk.detaches, 1);
    CHECK_EQ(H.fk.attaches, 1);
    CHECK(usbd_descriptors(&H.dev) == dfu_mode_descriptors(&H.dfu));
    CHECK_EQ(dfu_state(&H.dfu), DFU_IDLE);
    fake_bus_reset(&H.dev); /* the enumeration that follows */
    CHECK_EQ(dfu_state(&H.dfu), DFU_IDLE);
    CHECK_EQ(H.restarts, 0);
}

/* Leaving DFU mode: DETACH (dfu-util -R), manifestation with reboot. */
static void test_leave(void)
{
    /* DETACH in dfuIDLE: ACK, leave at the next reset only */
    reach(DFU_IDLE);
    CHECK_EQ(h_simple(DFU_DETACH, 1000), 0);
    CHECK_EQ(H.restarts, 0);
    CHECK_EQ(h_getstatus(), 0);
    CHECK_EQ(H.restarts, 0);
    fake_bus_reset(&H.dev);
    CHECK_EQ(H.restarts, 1);
    /* ... not at a second read of the device descriptor */
    reach(DFU_IDLE);
    CHECK_EQ(h_simple(DFU_DETACH, 1000), 0);
    CHECK_EQ(fake_in(&H.dev, &H.fk, 0x80, USB_REQ_GET_DESCRIPTOR, 0x0100, 0, 64), 18);
    CHECK_EQ(H.restarts, 0);
    fake_bus_reset(&H.dev);
    CHECK_EQ(H.restarts, 1);
    /* without a restart callback the system reset is used */
    reach(DFU_IDLE);
    H.cfg.restart = 0;
    CHECK_EQ(h_simple(DFU_DETACH, 1000), 0);
    fake_bus_reset(&H.dev);
    CHECK_EQ(H.sys_resets, 1);
    CHECK_EQ(H.restarts, 0);

    /* CONFIG_USB_DFU_REBOOT: MANIFEST, then WAIT-RESET, reboot only once
     * the host has read the final status */
    reach(DFU_MANIFEST_SYNC);
    H.cfg.reboot = 1;
    H.cfg.poll_timeout = 8;
    CHECK_EQ(h_getstatus(), 0);
    CHECK_EQ(H.st[4], DFU_MANIFEST);
    CHECK_EQ(h_poll(), 8);
    CHECK_EQ(H.restarts, 0);
    CHECK_EQ(dfu_state(&H.dfu), DFU_MANIFEST_WAIT_RESET);
    H.fk.hold_status = 1;
    CHECK_EQ(h_getstatus(), 0);
    CHECK_EQ(H.st[4], DFU_MANIFEST_WAIT_RESET);
    CHECK_EQ(H.st[0], DFU_OK);
    CHECK_EQ(H.restarts, 0);
    fake_status_done(&H.dev);
    H.fk.hold_status = 0;
    CHECK_EQ(H.restarts, 1);
    /* a restart the application defers is asked once: not again by the
     * bus reset that follows while the state still says WAIT-RESET */
    CHECK_EQ(dfu_state(&H.dfu), DFU_MANIFEST_WAIT_RESET);
    fake_bus_reset(&H.dev);
    CHECK_EQ(H.restarts, 1);
    /* a reset in WAIT-RESET reboots too */
    reach(DFU_MANIFEST_WAIT_RESET);
    fake_bus_reset(&H.dev);
    CHECK_EQ(H.restarts, 1);
    /* a reset in dfuMANIFEST (status stage lost) as well */
    reach(DFU_MANIFEST);
    fake_bus_reset(&H.dev);
    CHECK_EQ(H.restarts, 1);
    /* manifestation tolerant: a completed download returns to dfuIDLE, the
     * host may still read back, and the next reset runs the new firmware
     * (fwupd's attach is that reset) */
    reach(DFU_MANIFEST_SYNC);
    CHECK_EQ(h_getstatus(), 0);
    CHECK_EQ(H.st[4], DFU_IDLE);
    CHECK_EQ(h_set_alt(0), 0);
    CHECK_EQ(h_upload(0, H.cfg.transfer_size), H.cfg.transfer_size);
    CHECK_EQ(H.restarts, 0);
    fake_bus_reset(&H.dev);
    CHECK_EQ(H.restarts, 1);
    /* a reset in dfuIDLE with no completed download stays in DFU mode */
    reach(DFU_IDLE);
    fake_bus_reset(&H.dev);
    CHECK_EQ(H.restarts, 0);
    CHECK_EQ(dfu_state(&H.dfu), DFU_IDLE);
    /* an ordinary reset in DFU mode aborts a transfer and stays */
    reach(DFU_DNLOAD_IDLE);
    fake_bus_reset(&H.dev);
    CHECK_EQ(H.restarts, 0);
    CHECK_EQ(dfu_state(&H.dfu), DFU_IDLE);
}

static void test_manifest_failure(void)
{
    reach(DFU_DNLOAD_IDLE);
    H.manifest_rc = DFB_ESIG;
    CHECK_EQ(h_dnload(1, 0, 0), 0);
    CHECK_EQ(H.manifests, 0); /* not inside the request: in the task */
    CHECK_EQ(h_getstatus(), 0);
    CHECK_EQ(H.manifests, 1);
    CHECK_EQ(H.st[4], DFU_ERROR);
    CHECK_EQ(H.st[0], DFU_ERR_VERIFY);
    reach(DFU_DNLOAD_IDLE);
    H.manifest_rc = DFB_EBADIMAGE;
    CHECK_EQ(h_dnload(1, 0, 0), 0);
    CHECK_EQ(h_getstatus(), 0);
    CHECK_EQ(H.st[0], DFU_ERR_FILE);
    /* an image that needs an algorithm this build lacks is not one for it */
    reach(DFU_DNLOAD_IDLE);
    H.manifest_rc = DFB_ENOTSUP;
    CHECK_EQ(h_dnload(1, 0, 0), 0);
    CHECK_EQ(h_getstatus(), 0);
    CHECK_EQ(H.st[0], DFU_ERR_FILE);
    reach(DFU_DNLOAD_IDLE);
    H.manifest_rc = DFB_EIO;
    CHECK_EQ(h_dnload(1, 0, 0), 0);
    CHECK_EQ(h_getstatus(), 0);
    CHECK_EQ(H.st[0], DFU_ERR_WRITE);
    CHECK_EQ(h_simple(DFU_CLRSTATUS, 0), 0);
    CHECK_EQ(dfu_state(&H.dfu), DFU_IDLE);
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static int string_is(uint8_t idx, const char *s)
{
    int n = fake_in(&H.dev, &H.fk, 0x80, USB_REQ_GET_DESCRIPTOR, (uint16_t)(0x0300 | idx), 0x0409, 255);
    size_t len = strlen(s);

    if (n != (int)(2 + 2 * len) || H.fk.in[0] != n || H.fk.in[1] != 3)
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (H.fk.in[2 + 2 * i] != (uint8_t)s[i] || H.fk.in[3 + 2 * i] != 0)
            return 0;
    }
    return 1;
}

static void test_descriptors(void)
{
    uint8_t fd[9] = { 9, 0x21, 0, 0, 0, 0, 0, 0x10, 0x01 };
    uint8_t dev_rt[18] = { 18, 1, 0, 2, 0, 0, 0, 64, 0x09, 0x12, 0x01, 0x00, 0x00, 0x01, 1, 2, 3, 1 };
    uint8_t dev_dfu[18] = { 18, 1, 0, 2, 0, 0, 0, 64, 0x09, 0x12, 0x02, 0x00, 0x00, 0x00, 1, 2, 3, 1 };
    uint8_t cfg_rt[9 + 9 + 9 + 9] = {
        9, 2, 36, 0, 2, 1, 0, 0xC0, 50,
        9, 4, 0, 0, 0, 0xFF, 0, 0, 0,
        9, 4, 1, 0, 0, 0xFE, 0x01, 0x01, 0,
    };
    /* DFU mode: the functional descriptor after each alternate setting */
    uint8_t cfg_dfu[9 + 9 + 9 + 9 + 9] = {
        9, 2, 45, 0, 1, 1, 0, 0xC0, 50,
        9, 4, 0, 0, 0, 0xFE, 0x01, 0x02, 4,
        0, 0, 0, 0, 0, 0, 0, 0, 0,
        9, 4, 0, 1, 0, 0xFE, 0x01, 0x02, 5,
    };
    int n;

    /* defaults: upload on (as the sample), tolerant, no will-detach */
    h_config();
    H.cfg.bcd_device = 0x0100;
    h_start();
    fd[2] = 0x07;
    put16(fd + 3, 1000);
    put16(fd + 5, 4096);
    memcpy(cfg_rt + 27, fd, 9);
    memcpy(cfg_dfu + 18, fd, 9);
    memcpy(cfg_dfu + 36, fd, 9);
    n = fake_in(&H.dev, &H.fk, 0x80, USB_REQ_GET_DESCRIPTOR, 0x0100, 0, 64);
    CHECK_EQ(n, 18);
    CHECK(memcmp(H.fk.in, dev_rt, 18) == 0);
    n = fake_in(&H.dev, &H.fk, 0x80, USB_REQ_GET_DESCRIPTOR, 0x0200, 0, 255);
    CHECK_EQ(n, 36);
    CHECK(memcmp(H.fk.in, cfg_rt, 36) == 0);
    n = fake_in(&H.dev, &H.fk, 0x80, USB_REQ_GET_DESCRIPTOR, 0x2100, 0, 9);
    CHECK_EQ(n, 9);
    CHECK(memcmp(H.fk.in, fd, 9) == 0);
    CHECK(string_is(1, "dfuboot"));
    CHECK(string_is(2, "DFU sample"));
    CHECK(string_is(3, "0123456789ABCDEF"));
    /* DFU mode after DETACH + reset */
    CHECK_EQ(h_simple(DFU_DETACH, 1000), 0);
    fake_bus_reset(&H.dev);
    n = fake_in(&H.dev, &H.fk, 0x80, USB_REQ_GET_DESCRIPTOR, 0x0100, 0, 64);
    dev_dfu[12] = 0x00;
    dev_dfu[13] = 0x01;
    CHECK_EQ(n, 18);
    CHECK(memcmp(H.fk.in, dev_dfu, 18) == 0);
    n = fake_in(&H.dev, &H.fk, 0x80, USB_REQ_GET_DESCRIPTOR, 0x0200, 0, 255);
    CHECK_EQ(n, 45);
    CHECK(memcmp(H.fk.in, cfg_dfu, 45) == 0);
    n = fake_in(&H.dev, &H.fk, 0x80, USB_REQ_GET_DESCRIPTOR, 0x2100, 0, 9);
    CHECK_EQ(n, 9);
    CHECK(memcmp(H.fk.in, fd, 9) == 0);
    CHECK(string_is(1, "dfuboot"));
    CHECK(string_is(2, "DFU sample"));
    CHECK(string_is(3, "0123456789ABCDEF"));
    CHECK(string_is(4, "image_0"));
    CHECK(string_is(5, "image_1"));
    CHECK_EQ(fake_in(&H.dev, &H.fk, 0x80, USB_REQ_GET_DESCRIPTOR, 0x0306, 0x0409, 255), -1);

    /* the other options: reboot (not tolerant), will-detach, no upload,
     * transfer size, detach timeout, DFU PID */
    h_config();
    H.cfg.reboot = 1;
    H.cfg.will_detach = 1;
    H.cfg.enable_upload = 0;
    H.cfg.transfer_size = 1024;
    H.cfg.detach_timeout = 100;
    H.cfg.dfu_pid = 0x1234;
    H.cfg.start_in_dfu_mode = 1;
    h_start();
    fd[2] = 0x09;
    put16(fd + 3, 100);
    put16(fd + 5, 1024);
    n = fake_in(&H.dev, &H.fk, 0x80, USB_REQ_GET_DESCRIPTOR, 0x2100, 0, 9);
    CHECK_EQ(n, 9);
    CHECK(memcmp(H.fk.in, fd, 9) == 0);
    n = fake_in(&H.dev, &H.fk, 0x80, USB_REQ_GET_DESCRIPTOR, 0x0100, 0, 64);
    CHECK_EQ(H.fk.in[10] | (H.fk.in[11] << 8), 0x1234);
    n = fake_in(&H.dev, &H.fk, 0x80, USB_REQ_GET_DESCRIPTOR, 0x0200, 0, 255);
    CHECK_EQ(n, 45);
    CHECK(memcmp(H.fk.in + 18, fd, 9) == 0);
    CHECK(memcmp(H.fk.in + 36, fd, 9) == 0);

    /* bad configurations */
    h_config();
    H.cfg.transfer_size = 4097;
    CHECK_EQ(dfu_init(&H.dfu, &H.cfg, &H.dev), DFB_EINVAL);
    H.cfg.transfer_size = 0;
    CHECK_EQ(dfu_init(&H.dfu, &H.cfg, &H.dev), DFB_EINVAL);
    H.cfg.transfer_size = 64;
    H.cfg.slot0 = 0;
    CHECK_EQ(dfu_init(&H.dfu, &H.cfg, &H.dev), DFB_EINVAL);
}

int main(void)
{
    test_table();
    printf("%u state x request pairs checked\n", pairs);
    test_malformed();
    test_download_checks();
    test_upload_checks();
    test_runtime();
    test_leave();
    test_manifest_failure();
    test_descriptors();
    if (H.sf.mem != 0)
        sim_flash_close(&H.sf);
    CHECK_DONE();
}
