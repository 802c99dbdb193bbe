/* A small blocking USB/IP client: device list, import, control transfers
 * on endpoint 0 with timeouts, unlink. Used by the tests and by the
 * libusb-1.0 shim (port/posix/libusb).
 *
 * Functions return 0 (or a byte count) on success and a negative errno
 * value on failure: the status of a RET_SUBMIT as the device side reported
 * it (-EPIPE for a STALL), -ETIMEDOUT when a transfer timed out (it has
 * been unlinked), -ENOTCONN / -ECONNRESET when the connection is gone,
 * -EPROTO for a malformed reply, -ENODEV / -EBUSY for a refused import. */
#ifndef DFUBOOT_PORT_POSIX_USBIP_CLIENT_H
#define DFUBOOT_PORT_POSIX_USBIP_CLIENT_H

#include <stdint.h>

#include "port/posix/usbip/usbip_proto.h"

struct usbip_client {
    int fd;          /* -1 when not connected */
    uint32_t seqnum; /* last sequence number used */
    uint32_t devid;  /* (busnum << 16) | devnum of the imported device */
};

/* "host:port", "host" or NULL (127.0.0.1:3240) into its parts. */
int usbip_parse_addr(const char *spec, char *host, unsigned host_size, int *port);

int usbip_client_connect(struct usbip_client *c, const char *host, int port, int timeout_ms);
void usbip_client_close(struct usbip_client *c);

/* OP_REQ_DEVLIST on a connection of its own. Returns the number of devices
 * the server exports (records beyond `max` are read and dropped). */
int usbip_devlist(const char *host, int port, struct usbip_dev_info *devs, int max, int timeout_ms);

/* OP_REQ_IMPORT on a connected client; on success `info` (may be NULL)
 * holds the device record and the connection carries URBs from now on. */
int usbip_client_import(struct usbip_client *c, const char *busid, struct usbip_dev_info *info, int timeout_ms);

/* Sends a CMD_SUBMIT for endpoint 0: the direction comes from the SETUP
 * packet; OUT transfers send wLength bytes from `out`. */
int usbip_client_submit(struct usbip_client *c, const uint8_t setup[8], const void *out, uint32_t *seqnum);
/* Sends a CMD_UNLINK for `seqnum`. */
int usbip_client_unlink(struct usbip_client *c, uint32_t seqnum, uint32_t *unlink_seqnum);
/* Reads the next reply (RET_SUBMIT or RET_UNLINK). IN data goes to `in`
 * (at most `max` bytes; a longer reply is a protocol error). */
int usbip_client_recv(struct usbip_client *c, struct usbip_urb_hdr *h, void *in, uint32_t max, int timeout_ms);

/* A whole control transfer: returns the bytes of the data stage (IN:
 * received into `data`; OUT: sent from `data`) or a negative errno value.
 * On timeout the transfer is unlinked and -ETIMEDOUT returned. */
int usbip_client_control(struct usbip_client *c, const uint8_t setup[8], void *data, int timeout_ms);

/* Fills 8 SETUP bytes. */
static inline void usbip_setup_bytes(uint8_t s[8], uint8_t bmRequestType, uint8_t bRequest, uint16_t wValue,
                                     uint16_t wIndex, uint16_t wLength)
{
    s[0] = bmRequestType;
    s[1] = bRequest;
    put_le16(s + 2, wValue);
    put_le16(s + 4, wIndex);
    put_le16(s + 6, wLength);
}

#endif
