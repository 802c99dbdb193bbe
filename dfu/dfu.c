/* USB DFU 1.1 class: the state machine of DFU 1.1 appendix A.2, driven by
 * class requests from the USB device core. */
#include "dfu/dfu.h"

#include <string.h>

#include "common/bytes.h"
#include "common/errors.h"

/* What to do once the host has the answer (status stage complete). */
enum { AFTER_NONE, AFTER_PROGRAM, AFTER_WAIT_RESET, AFTER_RESTART, AFTER_ENTER_DFU };

#define R(req) (1u << DFU_##req)
#define IN_REQUESTS (R(UPLOAD) | R(GETSTATUS) | R(GETSTATE))

/* Requests each state accepts (DFU 1.1 A.2); anything else stalls and, in
 * DFU mode, enters dfuERROR with errSTALLEDPKT. Deviations, all for real
 * hosts: DETACH in dfuIDLE and dfuMANIFEST-WAIT-RESET means "leave DFU mode
 * at the next reset" (dfu-util -R); GETSTATUS in dfuDNBUSY and dfuMANIFEST
 * is answered (it can only arrive when a status stage was lost). */
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
    case DFB_EBADIMAGE:
    case DFB_EHASH:
    case DFB_ESIG:
    case DFB_ENOKEY:
        return DFU_ERR_FILE;
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

/* Modelled time to program the pending block, in ms (rounded up). */
static uint32_t busy_ms(const struct dfu *d)
{
    return (stream_writer_estimate_us(&d->sw, d->pending) + 999) / 1000;
}

static void program(struct dfu *d)
{
    d->block_err = status_of(stream_writer_write(&d->sw, d->buf, d->pending));
    d->pending = 0;
}

static int get_status(struct dfu *d, struct usbd_ctrl *c)
{
    uint32_t poll = 0;

    switch (d->state) {
    case DFU_DNLOAD_SYNC:
    case DFU_DNBUSY:
        if (d->pending != 0) {
            poll = busy_ms(d);
            d->state = DFU_DNBUSY;
            d->after = AFTER_PROGRAM;
        } else if (d->block_err != DFU_OK) {
            set_state(d, DFU_ERROR, d->block_err);
        } else {
            d->state = DFU_DNLOAD_IDLE;
        }
        break;
    case DFU_MANIFEST_SYNC:
        if (d->block_err != DFU_OK) {
            set_state(d, DFU_ERROR, d->block_err);
        } else if (!d->cfg->reboot) {
            d->state = DFU_IDLE; /* manifestation tolerant and complete */
        } else {
            d->state = DFU_MANIFEST;
            poll = d->cfg->poll_timeout;
            d->after = AFTER_WAIT_RESET;
        }
        break;
    case DFU_MANIFEST:
    case DFU_MANIFEST_WAIT_RESET:
        d->state = DFU_MANIFEST_WAIT_RESET;
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

    if (s->wLength == 0) {
        /* End of the download: only after at least one block. */
        if (d->state != DFU_DNLOAD_IDLE)
            return refuse(d, DFU_ERR_STALLEDPKT);
        d->block_err = status_of(stream_writer_flush(&d->sw));
        if (d->block_err == DFU_OK && cfg->manifest != 0)
            d->block_err = status_of(cfg->manifest(cfg->ctx, cfg->permanent_download));
        d->state = DFU_MANIFEST_SYNC;
        return 0;
    }
    if (cfg->slot1 == 0 || s->wLength > cfg->transfer_size)
        return refuse(d, DFU_ERR_STALLEDPKT);
    if (d->alt != 1)
        return refuse(d, DFU_ERR_WRITE); /* slot0 is never written */
    if (d->state == DFU_IDLE) {
        if (stream_writer_init(&d->sw, cfg->slot1, d->wbuf, sizeof(d->wbuf), cfg->slot1_offset, cfg->slot1_limit) != DFB_OK)
            return refuse(d, DFU_ERR_ADDRESS);
        d->block = s->wValue;
    } else if (s->wValue != d->block) {
        return refuse(d, DFU_ERR_STALLEDPKT);
    }
    c->data = d->buf;
    return 0;
}

static int dfu_data_out(void *ctx, struct usbd_ctrl *c)
{
    struct dfu *d = ctx;

    d->block++;
    d->pending = c->setup.wLength;
    d->state = DFU_DNLOAD_SYNC;
    if (busy_ms(d) <= d->cfg->sync_write_ms)
        program(d);
    return 0;
}

static int upload(struct dfu *d, struct usbd_ctrl *c)
{
    const struct usb_setup *s = &c->setup;
    const struct flash_area *fa = d->alt ? d->cfg->slot1 : d->cfg->slot0;
    uint32_t n;

    if (!d->cfg->enable_upload || s->wLength == 0 || s->wLength > d->cfg->transfer_size)
        return refuse(d, DFU_ERR_STALLEDPKT);
    if (d->state == DFU_IDLE) {
        d->offset = 0;
        d->block = s->wValue;
    } else if (s->wValue != d->block) {
        return refuse(d, DFU_ERR_STALLEDPKT);
    }
    n = fa->size - d->offset;
    if (n > s->wLength)
        n = s->wLength;
    if (flash_area_read(fa, d->offset, d->buf, n) != DFB_OK)
        return refuse(d, DFU_ERR_UNKNOWN);
    d->offset += n;
    d->block++;
    /* A short frame (possibly empty) ends the upload. */
    d->state = n < s->wLength ? DFU_IDLE : DFU_UPLOAD_IDLE;
    c->data = d->buf;
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
        d->pending = 0;
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
    case AFTER_PROGRAM:
        program(d);
        d->state = DFU_DNLOAD_SYNC;
        break;
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
    d->pending = 0;
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
    d->pending = 0;
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
        cfg->transfer_size > DFU_TRANSFER_SIZE_MAX)
        return DFB_EINVAL;
    memset(d, 0, sizeof(*d));
    d->cfg = cfg;
    d->usb = usb;
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

enum dfu_state dfu_state(const struct dfu *d)
{
    return (enum dfu_state)d->state;
}

enum dfu_status dfu_status(const struct dfu *d)
{
    return (enum dfu_status)d->status;
}
