/* USB DFU 1.1 class: the state machine of DFU 1.1 appendix A.2, driven by
 * class requests from the USB device core. */
#include "dfu/dfu.h"

#include <string.h>

#include "common/bytes.h"
#include "common/errors.h"

/* What to do once the host has the answer (status stage complete). */
enum { AFTER_NONE, AFTER_WAIT_RESET, AFTER_RESTART, AFTER_ENTER_DFU };

#define R(req) (1u << DFU_##req)
#define IN_REQUESTS (R(UPLOAD) | R(GETSTATUS) | R(GETSTATE))

/* Requests each state accepts (DFU 1.1 A.2); anything else stalls and, in
 * DFU mode, enters dfuERROR with errSTALLEDPKT. Deviations, all for real
 * hosts: DETACH in dfuIDLE and dfuMANIFEST-WAIT-RESET means "leave DFU mode
 * at the next reset" (dfu-util -R); GETSTATUS in dfuDNBUSY and dfuMANIFEST
 * is answered (it can only arrive when a status stage was lost). A
 * manifestation-tolerant device that completed a download goes back to
 * dfuIDLE and leaves DFU mode at the next bus reset (A.2's "USB reset: run
 * the new firmware if valid"; the bootloader judges validity), because that
 * reset is how fwupd and other hosts attach; Zephyr's class stays in DFU
 * mode until a reboot. */
static const uint8_t allowed[11] = {
    [DFU_APP_IDLE] = R(DETACH) | R(GETSTATUS) | R(GETSTATE),
    [DFU_APP_DETACH] = R(GETSTATUS) | R(GETSTATE),
    [DFU_IDLE] = R(DETACH) | R(DNLOAD) | R(UPLOAD) | R(GETSTATUS) | R(GETSTATE) | R(ABORT),
    [DFU_DNLOAD_SYNC] = R(GETSTATUS) | R(GETSTATE),
    [DFU_DNBUSY] = R(GETSTATUS),
    [DFU_DNLOAD_IDLE] = R(DNLOAD) | R(GETSTATUS) | R(GETSTATE) | R(ABORT),
    [DFU_MANIFEST_SYNC] = R(GETSTATUS) | R(GETSTATE),
    [DFU_MANIFEST] = R(GETSTATUS),
    [DFU_MANIFEST_WAIT_RESET] = R(DETACH) | R(GETSTATUS) | R(GETSTATE),
    [DFU_UPLOAD_IDLE] = R(UPLOAD) | R(GETSTATUS) | R(GETSTATE) | R(ABORT),
    [DFU_ERROR] = R(GETSTATUS) | R(GETSTATE) | R(CLRSTATUS),
};

/* wLength each fixed-size request must carry. */
static const uint8_t fixed_len[7] = { [DFU_GETSTATUS] = 6, [DFU_GETSTATE] = 1 };

static const char *const alt_names[2] = { "image_0", "image_1" };

static void set_state(struct dfu *d, uint8_t state, uint8_t status)
{
    d->state = state;
    d->status = status;
}

/* Refuses a request (STALL). In DFU mode that is dfuERROR with `status`
 * (an earlier error is kept); in appDETACH it cancels the detach. */
static int refuse(struct dfu *d, uint8_t status)
{
    if (d->state == DFU_APP_DETACH)
        d->state = DFU_APP_IDLE;
    else if (d->state >= DFU_IDLE && d->state != DFU_ERROR && d->state != DFU_MANIFEST_WAIT_RESET)
        set_state(d, DFU_ERROR, status);
    return -1;
}

static uint8_t status_of(int rc)
{
    switch (rc) {
    case DFB_OK:
        return DFU_OK;
    case DFB_ENOSPC:
    case DFB_ERANGE:
        return DFU_ERR_ADDRESS;
    case DFB_ENOTERASED:
        return DFU_ERR_CHECK_ERASED;
    case DFB_EBADIMAGE: /* not an image for this device */
    case DFB_ENOKEY:
    case DFB_ENOTSUP: /* it needs what this build lacks (an algorithm) */
        return DFU_ERR_FILE;
    case DFB_EHASH: /* an image for it, but it does not verify */
    case DFB_ESIG:
        return DFU_ERR_VERIFY;
    default:
        return DFU_ERR_WRITE;
    }
}

static uint32_t uptime(const struct dfu *d)
{
    const struct sys_ops *sys = d->cfg->sys;

    return sys != 0 && sys->uptime_ms != 0 ? sys->uptime_ms(sys->ctx) : 0;
}

static void restart(struct dfu *d)
{
    const struct sys_ops *sys = d->cfg->sys;

    d->leave = 0;
    /* once: a restart the application defers (the bootloader's recovery
     * reboots 0.5 s later) must not be asked again by the bus reset that
     * follows the final GETSTATUS while the state is still WAIT-RESET */
    if (d->restarting)
        return;
    d->restarting = 1;
    sys_log(sys, SYS_LOG_INF, "DFU: leaving DFU mode");
    if (d->cfg->restart != 0)
        d->cfg->restart(d->cfg->ctx);
    else if (sys != 0 && sys->reset != 0)
        sys->reset(sys->ctx);
}

static void enter_dfu_mode(struct dfu *d)
{
    d->dfu_mode = 1;
    d->alt = 0;
    d->leave = 0;
    set_state(d, DFU_IDLE, DFU_OK);
}

/* ------------------------------------------------------------------------
 * Block buffers: a ring. Events queue block number `head` in buffer
 * head % buffer_count and then advance head; the task programs block `tail`
 * and then advances tail. A buffer is free while head - tail < count.
 * Nothing here touches flash. */

static uint8_t *buffer(const struct dfu *d, uint8_t i)
{
    return d->cfg->buffers + (uint32_t)i * d->cfg->transfer_size;
}

/* The buffer the host may fill now, or -1 (all hold unprogrammed blocks). */
static int free_buffer(const struct dfu *d)
{
    uint8_t head = d->head;

    return (uint8_t)(head - d->tail) < d->cfg->buffer_count ? head % d->cfg->buffer_count : -1;
}

static uint32_t write_align(const struct dfu *d)
{
    return flash_area_align(d->cfg->slot1);
}

/* Bytes of this download not yet programmed: all of them (`all`), or
 * those of the oldest block, whose buffer frees first. For a download the
 * task has not picked up yet, its blocks start at epoch_head. */
static uint32_t bytes_left(const struct dfu *d, int all)
{
    int current = d->task_epoch == d->epoch;
    uint8_t i = current ? d->tail : d->epoch_head;
    uint32_t n = 0;

    for (; i != d->head; i++) {
        n += current && i == d->tail && d->prog_left != 0 ? d->prog_left : d->buf_len[i % d->cfg->buffer_count];
        if (!all)
            break;
    }
    return n;
}

/* A writer for a new download. It erases slot1 from its first sector on,
 * not from the download offset: after a swap the sectors before the offset
 * still hold an old image header, which MCUboot takes for a misplaced
 * upload ("Secondary header magic detected in first sector"). */
static int start_writer(const struct dfu_config *cfg, struct stream_writer *sw)
{
    int rc = stream_writer_init(sw, cfg->slot1, 0, 0, cfg->slot1_offset, cfg->slot1_limit);

    return rc != DFB_OK ? rc : stream_writer_erase_from(sw, 0);
}

/* Modelled time (ms, rounded up, at least 1) for the task to program
 * `len` more bytes, with the erases they need. It reads the task's writer
 * without a lock (an estimate taken while the task moves on is off by at
 * most one step); for a download the task has not started yet it models a
 * fresh writer. */
static uint32_t busy_ms(const struct dfu *d, uint32_t len)
{
    const struct stream_writer *sw = &d->sw;
    struct stream_writer fresh;
    uint32_t ms;

    if (d->task_epoch != d->epoch && start_writer(d->cfg, &fresh) == DFB_OK)
        sw = &fresh;
    ms = sw->fa != 0 ? (stream_writer_estimate_us(sw, len) + 999) / 1000 : 0;
    return ms != 0 ? ms : 1;
}

/* The download has passed the end of the image download_size announced. */
static int past_image(const struct dfu *d)
{
    return d->expected != 0 && d->queued >= d->expected;
}

/* The task's verdict on this download, or DFU_OK. */
static uint8_t task_status(const struct dfu *d)
{
    return d->task_status_epoch == d->epoch ? d->task_status : DFU_OK;
}

/* Forgets the download in progress (ABORT, reset, alt change, error): the
 * task drops its queued blocks at its next step. */
static void end_download(struct dfu *d)
{
    d->reject = DFU_OK;
    d->epoch_head = d->head;
    d->epoch++; /* last: the task reads epoch_head after it */
    d->queued = 0;
    d->expected = 0;
    d->last_block = 0;
}

static int get_status(struct dfu *d, struct usbd_ctrl *c)
{
    uint32_t poll = 0;

    switch (d->state) {
    case DFU_IDLE:
        /* after an ABORT the task may still be finishing a flash step */
        if (free_buffer(d) < 0)
            poll = busy_ms(d, bytes_left(d, 0));
        break;
    case DFU_DNLOAD_SYNC:
    case DFU_DNBUSY:
        if (d->reject != DFU_OK) {
            set_state(d, DFU_ERROR, d->reject);
        } else if (task_status(d) != DFU_OK) {
            set_state(d, DFU_ERROR, task_status(d));
        } else if (d->last_block && bytes_left(d, 1) != 0) {
            /* the last block: report it programmed only when it is, so
             * the manifestation that follows is quick */
            d->state = DFU_DNBUSY;
            poll = busy_ms(d, bytes_left(d, 1));
        } else if (free_buffer(d) >= 0) {
            d->state = DFU_DNLOAD_IDLE;
        } else {
            /* both buffers queued: the oldest one frees first */
            d->state = DFU_DNBUSY;
            poll = busy_ms(d, bytes_left(d, 0));
        }
        break;
    case DFU_MANIFEST_SYNC:
    case DFU_MANIFEST:
        if (d->manifest_done != d->epoch) {
            d->state = DFU_MANIFEST;
            poll = busy_ms(d, bytes_left(d, 1));
        } else if (task_status(d) != DFU_OK) {
            set_state(d, DFU_ERROR, task_status(d));
        } else if (!d->cfg->reboot) {
            d->state = DFU_IDLE; /* manifestation tolerant and complete */
            d->leave = 1;
        } else if (d->state == DFU_MANIFEST_SYNC) {
            d->state = DFU_MANIFEST;
            poll = d->cfg->poll_timeout;
            d->after = AFTER_WAIT_RESET;
        } else {
            d->state = DFU_MANIFEST_WAIT_RESET;
            d->leave = 1;
            d->after = AFTER_RESTART;
        }
        break;
    case DFU_MANIFEST_WAIT_RESET:
        d->leave = 1;
        d->after = AFTER_RESTART;
        break;
    }
    d->reply[0] = d->status;
    put_le32(d->reply + 1, poll); /* 24 bits; reply[4] is overwritten next */
    d->reply[4] = d->state;
    d->reply[5] = 0;
    c->len = 6;
    return 0;
}

static int dnload(struct dfu *d, struct usbd_ctrl *c)
{
    const struct dfu_config *cfg = d->cfg;
    const struct usb_setup *s = &c->setup;
    uint32_t room;
    int b;

    if (s->wLength == 0) {
        /* End of the download: only after at least one block. The task
         * programs what is queued, then manifests. */
        if (d->state != DFU_DNLOAD_IDLE)
            return refuse(d, DFU_ERR_STALLEDPKT);
        d->manifest_epoch = d->epoch;
        d->state = DFU_MANIFEST_SYNC;
        return 0;
    }
    if (cfg->slot1 == 0 || s->wLength > cfg->transfer_size)
        return refuse(d, DFU_ERR_STALLEDPKT);
    if (d->alt != 1)
        return refuse(d, DFU_ERR_WRITE); /* slot0 is never written */
    if (d->state == DFU_IDLE) {
        end_download(d); /* a new download: a new epoch */
        d->block = s->wValue;
    } else if (s->wValue != d->block) {
        return refuse(d, DFU_ERR_STALLEDPKT);
    } else if (!past_image(d) && d->queued % write_align(d) != 0) {
        return refuse(d, DFU_ERR_WRITE); /* data after a short, padded block */
    }
    room = cfg->slot1_limit ? cfg->slot1_limit : cfg->slot1->size;
    if (room > cfg->slot1->size || cfg->slot1_offset > room)
        return refuse(d, DFU_ERR_ADDRESS);
    room -= cfg->slot1_offset;
    /* An image that fits may be followed by the rest of a whole-slot
     * backup (an alt 0 upload: padding and slot0's old trailer), up to a
     * slot's size: taken and dropped, never programmed. */
    if (d->expected != 0 && d->expected <= room)
        room = cfg->slot0->size > cfg->slot1->size ? cfg->slot0->size : cfg->slot1->size;
    b = free_buffer(d);
    if (b < 0)
        return refuse(d, DFU_ERR_UNKNOWN); /* the host did not wait bwPollTimeout */
    /* past the end: take the data, drop it, and say why at GETSTATUS
     * (dfu-util then prints the status instead of a bare STALL) */
    d->reject = s->wLength > room - d->queued ? DFU_ERR_ADDRESS : DFU_OK;
    d->filling = (uint8_t)b;
    c->data = buffer(d, (uint8_t)b);
    return 0;
}

/* The DNLOAD data is in: queue the block for the task. The status stage
 * is not held: GETSTATUS tells the host when it may send the next one. */
static int dfu_data_out(void *ctx, struct usbd_ctrl *c)
{
    struct dfu *d = ctx;
    uint8_t b = d->filling;

    d->block++;
    d->state = DFU_DNLOAD_SYNC;
    if (d->reject != DFU_OK)
        return 0; /* the buffer stays free */
    uint32_t keep = c->setup.wLength;

    if (d->cfg->download_size != 0 && d->expected == 0)
        d->expected = d->cfg->download_size(d->cfg->ctx, d->queued, c->data, c->setup.wLength);
    if (past_image(d))
        keep = 0;
    else if (d->expected != 0 && d->expected - d->queued < keep)
        keep = d->expected - d->queued; /* the image ends inside this block */
    d->queued += c->setup.wLength;
    d->last_block = c->setup.wLength < d->cfg->transfer_size || past_image(d);
    if (keep == 0)
        return 0; /* after the image: dropped, the buffer stays free */
    d->buf_len[b] = (uint16_t)keep;
    d->head++; /* hand-over to the task: last */
    return 0;
}

/* ------------------------------------------------------------- the task */

static void task_fail(struct dfu *d, uint16_t epoch, uint8_t status)
{
    d->task_status = status;
    d->task_status_epoch = epoch;
}

/* One step of programming block `b`; pads a short last block in place. */
static int program_step(struct dfu *d, uint8_t b)
{
    uint8_t *p = buffer(d, b);
    uint32_t len = d->buf_len[b], align = write_align(d), done = len - d->prog_left, n;
    int rc;

    if (d->prog_left == len && len % align != 0) {
        uint32_t padded = (len + align - 1) / align * align;

        memset(p + len, flash_area_erased_val(d->cfg->slot1), padded - len);
        d->buf_len[b] = (uint16_t)padded; /* the buffer is the task's now */
        d->prog_left = padded;
        len = padded;
        done = 0;
    }
    rc = stream_writer_step(&d->sw, p + done, len - done, d->cfg->max_write_step, &n);
    if (rc != DFB_OK)
        return rc;
    d->prog_left -= n;
    if (d->prog_left == 0)
        d->tail++; /* hand-over back to USB: last */
    return DFB_OK;
}

int dfu_task(struct dfu *d)
{
    const struct dfu_config *cfg = d->cfg;
    uint16_t epoch = d->epoch;
    int rc;

    if (cfg->slot1 == 0)
        return 0;
    if (epoch != d->task_epoch) {
        /* a new download, or the end of one: blocks queued before it are
         * dropped unprogrammed */
        d->task_epoch = epoch;
        d->tail = d->epoch_head;
        d->prog_left = 0;
        if (start_writer(cfg, &d->sw) != DFB_OK)
            task_fail(d, epoch, DFU_ERR_ADDRESS);
        /* the hint holds until a block is programmed: SET_INTERFACE and
         * SET_CONFIGURATION also start an epoch, before any DNLOAD */
        stream_writer_skip_erased(&d->sw, d->slot1_erased);
    }
    if (d->tail != d->head) {
        uint8_t b = d->tail % cfg->buffer_count;

        if (task_status(d) != DFU_OK) {
            d->tail = d->head; /* a failed download: drop the rest */
            return 0;
        }
        if (d->prog_left == 0)
            d->prog_left = d->buf_len[b];
        d->slot1_erased = 0; /* slot1 holds data from now on */
        rc = program_step(d, b);
        if (rc < 0) {
            task_fail(d, epoch, status_of(rc));
            d->prog_left = 0;
        }
        return 1;
    }
    if (d->manifest_epoch == epoch && d->manifest_done != epoch) {
        rc = DFB_OK;
        if (task_status(d) == DFU_OK && cfg->manifest != 0)
            rc = cfg->manifest(cfg->ctx, cfg->permanent_download);
        if (rc != DFB_OK)
            task_fail(d, epoch, status_of(rc));
        d->manifest_done = epoch; /* last: GETSTATUS reads the verdict after it */
    }
    return 0;
}

static int upload(struct dfu *d, struct usbd_ctrl *c)
{
    const struct usb_setup *s = &c->setup;
    const struct flash_area *fa = d->alt ? d->cfg->slot1 : d->cfg->slot0;
    uint32_t n;
    int b;

    if (!d->cfg->enable_upload || s->wLength == 0 || s->wLength > d->cfg->transfer_size)
        return refuse(d, DFU_ERR_STALLEDPKT);
    b = free_buffer(d);
    if (b < 0)
        return refuse(d, DFU_ERR_UNKNOWN); /* still dropping an aborted download */
    if (d->state == DFU_IDLE) {
        d->offset = 0;
        d->block = s->wValue;
    } else if (s->wValue != d->block) {
        return refuse(d, DFU_ERR_STALLEDPKT);
    }
    n = fa->size - d->offset;
    if (n > s->wLength)
        n = s->wLength;
    /* a memory-mapped read on a microcontroller: allowed in an event */
    if (flash_area_read(fa, d->offset, buffer(d, (uint8_t)b), n) != DFB_OK)
        return refuse(d, DFU_ERR_UNKNOWN);
    d->offset += n;
    d->block++;
    /* A short frame (possibly empty) ends the upload. */
    d->state = n < s->wLength ? DFU_IDLE : DFU_UPLOAD_IDLE;
    c->data = buffer(d, (uint8_t)b);
    c->len = (uint16_t)n;
    return 0;
}

/* appDETACH ends when the detach timer runs out without a reset. */
static void check_detach_timer(struct dfu *d)
{
    if (d->state == DFU_APP_DETACH && d->cfg->sys != 0 && d->cfg->sys->uptime_ms != 0 &&
        uptime(d) - d->detach_at > d->detach_ms)
        d->state = DFU_APP_IDLE;
}

static int dfu_setup(void *ctx, struct usbd_ctrl *c)
{
    struct dfu *d = ctx;
    const struct usb_setup *s = &c->setup;
    uint8_t req = s->bRequest;

    check_detach_timer(d);
    d->after = AFTER_NONE;
    if ((s->bmRequestType & USB_TYPE_MASK) != USB_TYPE_CLASS || req > DFU_ABORT || !((allowed[d->state] >> req) & 1) ||
        ((s->bmRequestType & USB_DIR_IN) != 0) != ((IN_REQUESTS >> req) & 1) ||
        (req != DFU_DNLOAD && req != DFU_UPLOAD && s->wLength != fixed_len[req]))
        return refuse(d, DFU_ERR_STALLEDPKT);
    c->data = d->reply;
    switch (req) {
    case DFU_GETSTATUS:
        return get_status(d, c);
    case DFU_GETSTATE:
        d->reply[0] = d->state;
        c->len = 1;
        return 0;
    case DFU_DETACH:
        if (d->dfu_mode) {
            d->leave = 1;
        } else {
            d->state = DFU_APP_DETACH;
            d->detach_at = uptime(d);
            d->detach_ms = s->wValue < d->cfg->detach_timeout ? s->wValue : d->cfg->detach_timeout;
            if (d->cfg->will_detach)
                d->after = AFTER_ENTER_DFU;
        }
        return 0;
    case DFU_DNLOAD:
        return dnload(d, c);
    case DFU_UPLOAD:
        return upload(d, c);
    default: /* CLRSTATUS (dfuERROR only) and ABORT (idle states only) */
        end_download(d);
        set_state(d, DFU_IDLE, DFU_OK);
        return 0;
    }
}

static void dfu_status_done(void *ctx, const struct usbd_ctrl *c)
{
    struct dfu *d = ctx;
    uint8_t after = d->after;

    (void)c;
    d->after = AFTER_NONE;
    switch (after) {
    case AFTER_WAIT_RESET:
        d->state = DFU_MANIFEST_WAIT_RESET;
        d->leave = 1;
        break;
    case AFTER_RESTART:
        restart(d);
        break;
    case AFTER_ENTER_DFU:
        enter_dfu_mode(d);
        usbd_reenumerate(d->usb, &d->dfu_info);
        break;
    }
}

/* SET_INTERFACE (dfu-util always sends one) and SET_CONFIGURATION: back to
 * the idle state of the mode, with the alt setting selected. */
static int dfu_set_alt(void *ctx, uint8_t iface, uint8_t alt)
{
    struct dfu *d = ctx;

    (void)iface;
    end_download(d);
    d->alt = alt;
    set_state(d, d->dfu_mode ? DFU_IDLE : DFU_APP_IDLE, DFU_OK);
    return 0;
}

static void dfu_reset(void *ctx, struct usb_device *dev)
{
    struct dfu *d = ctx;

    check_detach_timer(d);
    if (d->dfu_mode && (d->leave || d->state == DFU_MANIFEST || d->state == DFU_MANIFEST_WAIT_RESET)) {
        restart(d);
    } else if (d->state == DFU_APP_DETACH) {
        enter_dfu_mode(d);
        usbd_set_descriptors(dev, &d->dfu_info);
        return;
    }
    /* A complete download whose manifestation the task has not run yet
     * (a host that resets in dfuMANIFEST) is kept: the task programs what
     * is queued and manifests it, and a restart waits for that (the
     * application reboots once dfu_task() has no work). Anything else in
     * progress is dropped. */
    if (d->manifest_epoch != d->epoch || d->manifest_done == d->epoch)
        end_download(d);
    d->after = AFTER_NONE;
    set_state(d, d->dfu_mode ? DFU_IDLE : DFU_APP_IDLE, DFU_OK);
}

static const struct usbd_class_ops dfu_ops = {
    .reset = dfu_reset,
    .set_alt = dfu_set_alt,
    .setup = dfu_setup,
    .data_out = dfu_data_out,
    .status_done = dfu_status_done,
};

int dfu_init(struct dfu *d, const struct dfu_config *cfg, struct usb_device *usb)
{
    uint8_t *f;

    if (d == 0 || cfg == 0 || usb == 0 || cfg->slot0 == 0 || cfg->transfer_size == 0 ||
        cfg->transfer_size > DFU_TRANSFER_SIZE_MAX || cfg->buffers == 0 || cfg->buffer_count == 0 ||
        cfg->buffer_count > DFU_BUFFERS_MAX)
        return DFB_EINVAL;
    /* blocks are programmed straight from the buffers: whole write blocks */
    if (cfg->slot1 != 0 && (cfg->transfer_size % flash_area_align(cfg->slot1) != 0 ||
                            cfg->max_write_step % flash_area_align(cfg->slot1) != 0))
        return DFB_EINVAL;
    memset(d, 0, sizeof(*d));
    d->cfg = cfg;
    d->usb = usb;
    /* a writer from the start, for GETSTATUS estimates (a bad range is
     * reported when a download starts) */
    if (cfg->slot1 != 0 && start_writer(cfg, &d->sw) != DFB_OK)
        memset(&d->sw, 0, sizeof(d->sw));
    f = d->func_desc;
    f[0] = DFU_FUNC_DESC_LEN;
    f[1] = DFU_FUNC_DESC_TYPE;
    f[2] = (uint8_t)((cfg->slot1 ? DFU_ATTR_CAN_DNLOAD : 0) | (cfg->enable_upload ? DFU_ATTR_CAN_UPLOAD : 0) |
                     (cfg->reboot ? 0 : DFU_ATTR_MANIFESTATION_TOLERANT) |
                     (cfg->will_detach ? DFU_ATTR_WILL_DETACH : 0));
    put_le16(f + 3, cfg->detach_timeout);
    put_le16(f + 5, cfg->transfer_size);
    put_le16(f + 7, 0x0110);
    d->rt_itf = (struct usbd_interface){ 0xFE, 0x01, 0x01, 1, 0, f, DFU_FUNC_DESC_LEN, &dfu_ops, d };
    d->dfu_itf = (struct usbd_interface){ 0xFE, 0x01, 0x02, cfg->slot1 ? 2 : 1, alt_names, f, DFU_FUNC_DESC_LEN,
                                          &dfu_ops, d };
    d->dfu_itfs[0] = &d->dfu_itf;
    d->dfu_info = (struct usbd_device_info){
        .vid = cfg->vid, .pid = cfg->dfu_pid, .bcd_device = cfg->bcd_device,
        .manufacturer = cfg->manufacturer, .product = cfg->product, .serial = cfg->serial,
        .attributes = USB_CFG_SELF_POWERED, .max_power = 50, .num_interfaces = 1, .interfaces = d->dfu_itfs,
    };
    if (cfg->start_in_dfu_mode)
        enter_dfu_mode(d);
    return DFB_OK;
}

const struct usbd_interface *dfu_runtime_interface(struct dfu *d)
{
    return &d->rt_itf;
}

const struct usbd_device_info *dfu_mode_descriptors(struct dfu *d)
{
    return &d->dfu_info;
}

int dfu_download_idle(const struct dfu *d)
{
    /* a manifestation asked for in an earlier epoch never runs */
    return (d->state < DFU_DNLOAD_SYNC || d->state > DFU_MANIFEST_WAIT_RESET) && d->tail == d->head &&
           (d->manifest_epoch != d->epoch || d->manifest_done == d->epoch);
}

void dfu_slot1_erased(struct dfu *d)
{
    d->slot1_erased = 1;
}

enum dfu_state dfu_state(const struct dfu *d)
{
    return (enum dfu_state)d->state;
}

enum dfu_status dfu_status(const struct dfu *d)
{
    return (enum dfu_status)d->status;
}
