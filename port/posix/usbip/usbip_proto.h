/* USB/IP wire format (protocol version 0x0111), as far as dfuboot uses it.
 *
 * Every integer on the wire is big-endian, except the 8 SETUP bytes of a
 * control transfer, which travel exactly as on the USB bus (little-endian
 * fields). Operations before an import ("OP_*") start with an 8-byte
 * header; after an import the connection carries 48-byte URB headers. */
#ifndef DFUBOOT_PORT_POSIX_USBIP_PROTO_H
#define DFUBOOT_PORT_POSIX_USBIP_PROTO_H

#include <stdint.h>
#include <string.h>

#include "common/bytes.h"

#define USBIP_VERSION 0x0111u
#define USBIP_DEFAULT_PORT 3240

/* Operation codes (connection phase). */
#define USBIP_OP_REQ_DEVLIST 0x8005u
#define USBIP_OP_REP_DEVLIST 0x0005u
#define USBIP_OP_REQ_IMPORT 0x8003u
#define USBIP_OP_REP_IMPORT 0x0003u
#define USBIP_OP_HDR_SIZE 8
#define USBIP_ST_OK 0u
#define USBIP_ST_NA 1u    /* not available (unknown bus id, detached) */
#define USBIP_ST_BUSY 2u  /* already imported by another client */

/* Device record of OP_REP_DEVLIST / OP_REP_IMPORT. */
#define USBIP_PATH_SIZE 256
#define USBIP_BUSID_SIZE 32
#define USBIP_DEV_RECORD_SIZE 312
#define USBIP_INTF_RECORD_SIZE 4
#define USBIP_MAX_INTERFACES 32

/* URB phase. */
#define USBIP_CMD_SUBMIT 1u
#define USBIP_CMD_UNLINK 2u
#define USBIP_RET_SUBMIT 3u
#define USBIP_RET_UNLINK 4u
#define USBIP_URB_HDR_SIZE 48
#define USBIP_DIR_OUT 0u
#define USBIP_DIR_IN 1u

/* Linux speed numbers used in the device record. */
#define USBIP_SPEED_FULL 2u

/* Negative errno values carried in RET_SUBMIT / RET_UNLINK status. */
#define USBIP_EPIPE (-32)
#define USBIP_ECONNRESET (-104)
#define USBIP_EINVAL (-22)

/* Largest control data stage this stack moves in one transfer: 4096 (the
 * Linux usbfs and dfu-util limit) plus margin. Longer OUT stages are
 * refused; IN stages are bounded by wLength (16 bits). */
#define USBIP_MAX_CTRL_OUT (4096u + 512u)
#define USBIP_MAX_CTRL_IN 65535u

struct usbip_dev_info {
    char path[USBIP_PATH_SIZE];
    char busid[USBIP_BUSID_SIZE];
    uint32_t busnum, devnum, speed;
    uint16_t idVendor, idProduct, bcdDevice;
    uint8_t bDeviceClass, bDeviceSubClass, bDeviceProtocol;
    uint8_t bConfigurationValue, bNumConfigurations, bNumInterfaces;
    /* (class, subclass, protocol) of each interface, alternate setting 0 */
    uint8_t intf[USBIP_MAX_INTERFACES][3];
};

/* The URB header, decoded. For CMD_UNLINK, `unlink_seqnum` is the first
 * word after the basic header; for RET_*, `status` is. */
struct usbip_urb_hdr {
    uint32_t command, seqnum, devid, direction, ep;
    /* CMD_SUBMIT */
    uint32_t flags, length, start_frame, npackets, interval;
    uint8_t setup[8];
    /* RET_SUBMIT / RET_UNLINK */
    int32_t status;
    uint32_t actual_length, error_count;
    /* CMD_UNLINK */
    uint32_t unlink_seqnum;
};

static inline void usbip_put_op_hdr(uint8_t *p, uint16_t code, uint32_t status)
{
    put_be16(p, USBIP_VERSION);
    put_be16(p + 2, code);
    put_be32(p + 4, status);
}

static inline void usbip_put_dev_record(uint8_t *p, const struct usbip_dev_info *d)
{
    memset(p, 0, USBIP_DEV_RECORD_SIZE);
    memcpy(p, d->path, strnlen(d->path, USBIP_PATH_SIZE - 1));
    memcpy(p + 256, d->busid, strnlen(d->busid, USBIP_BUSID_SIZE - 1));
    put_be32(p + 288, d->busnum);
    put_be32(p + 292, d->devnum);
    put_be32(p + 296, d->speed);
    put_be16(p + 300, d->idVendor);
    put_be16(p + 302, d->idProduct);
    put_be16(p + 304, d->bcdDevice);
    p[306] = d->bDeviceClass;
    p[307] = d->bDeviceSubClass;
    p[308] = d->bDeviceProtocol;
    p[309] = d->bConfigurationValue;
    p[310] = d->bNumConfigurations;
    p[311] = d->bNumInterfaces;
}

static inline void usbip_get_dev_record(const uint8_t *p, struct usbip_dev_info *d)
{
    memset(d, 0, sizeof(*d));
    memcpy(d->path, p, USBIP_PATH_SIZE - 1);
    memcpy(d->busid, p + 256, USBIP_BUSID_SIZE - 1);
    d->busnum = get_be32(p + 288);
    d->devnum = get_be32(p + 292);
    d->speed = get_be32(p + 296);
    d->idVendor = get_be16(p + 300);
    d->idProduct = get_be16(p + 302);
    d->bcdDevice = get_be16(p + 304);
    d->bDeviceClass = p[306];
    d->bDeviceSubClass = p[307];
    d->bDeviceProtocol = p[308];
    d->bConfigurationValue = p[309];
    d->bNumConfigurations = p[310];
    d->bNumInterfaces = p[311];
}

static inline void usbip_put_urb_hdr(uint8_t *p, const struct usbip_urb_hdr *h)
{
    memset(p, 0, USBIP_URB_HDR_SIZE);
    put_be32(p, h->command);
    put_be32(p + 4, h->seqnum);
    put_be32(p + 8, h->devid);
    put_be32(p + 12, h->direction);
    put_be32(p + 16, h->ep);
    switch (h->command) {
    case USBIP_CMD_SUBMIT:
        put_be32(p + 20, h->flags);
        put_be32(p + 24, h->length);
        put_be32(p + 28, h->start_frame);
        put_be32(p + 32, h->npackets);
        put_be32(p + 36, h->interval);
        memcpy(p + 40, h->setup, 8);
        break;
    case USBIP_RET_SUBMIT:
        put_be32(p + 20, (uint32_t)h->status);
        put_be32(p + 24, h->actual_length);
        put_be32(p + 28, h->start_frame);
        put_be32(p + 32, h->npackets);
        put_be32(p + 36, h->error_count);
        break;
    case USBIP_CMD_UNLINK:
        put_be32(p + 20, h->unlink_seqnum);
        break;
    case USBIP_RET_UNLINK:
        put_be32(p + 20, (uint32_t)h->status);
        break;
    default:
        break;
    }
}

static inline void usbip_get_urb_hdr(const uint8_t *p, struct usbip_urb_hdr *h)
{
    memset(h, 0, sizeof(*h));
    h->command = get_be32(p);
    h->seqnum = get_be32(p + 4);
    h->devid = get_be32(p + 8);
    h->direction = get_be32(p + 12);
    h->ep = get_be32(p + 16);
    switch (h->command) {
    case USBIP_CMD_SUBMIT:
        h->flags = get_be32(p + 20);
        h->length = get_be32(p + 24);
        h->start_frame = get_be32(p + 28);
        h->npackets = get_be32(p + 32);
        h->interval = get_be32(p + 36);
        memcpy(h->setup, p + 40, 8);
        break;
    case USBIP_RET_SUBMIT:
        h->status = (int32_t)get_be32(p + 20);
        h->actual_length = get_be32(p + 24);
        h->start_frame = get_be32(p + 28);
        h->npackets = get_be32(p + 32);
        h->error_count = get_be32(p + 36);
        break;
    case USBIP_CMD_UNLINK:
        h->unlink_seqnum = get_be32(p + 20);
        break;
    case USBIP_RET_UNLINK:
        h->status = (int32_t)get_be32(p + 20);
        break;
    default:
        break;
    }
}

#endif
