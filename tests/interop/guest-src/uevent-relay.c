/* uevent-relay: the part of udevd that libusb and fwupd need in the VM guest.
 *
 * libusb (built with udev, as in Debian) learns about devices that appear
 * after libusb_init only from udev's netlink multicast group 2; the kernel
 * sends its uevents to group 1, and without udevd nobody passes them on.
 * dfu-util detaches a run-time device and probes again in the same process,
 * so without this it never sees the device come back in DFU mode ("Lost
 * device after RESET?"). This relay resends every kernel uevent to group 2
 * twice:
 *
 *  - unchanged: libudev (libusb) accepts the kernel format there (no
 *    "libudev" header, so the socket filters let it through) from a root
 *    sender;
 *  - in udevd's own format, the "libudev" header followed by the kernel's
 *    KEY=VALUE properties: fwupd 2.x reads group 2 itself and takes only
 *    that format (it waits for a detached device to come back this way).
 *    The header's subsystem and devtype filter hashes are left 0, so
 *    libudev's socket filters (libusb matches "usb"/"usb_device" by hash)
 *    drop this copy and libusb sees every event once.
 *
 * Built statically on the host by linux-vm.sh; runs in the background from
 * the guest's init. */
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* udevd's netlink message header (all fields after the prefix in host
 * order except the magic, as libudev writes them). */
struct udev_netlink_header {
    char prefix[8]; /* "libudev" */
    uint32_t magic; /* htonl(0xfeedcafe) */
    uint32_t header_size;
    uint32_t properties_off;
    uint32_t properties_len;
    uint32_t filter_subsystem_hash;
    uint32_t filter_devtype_hash;
    uint32_t filter_tag_bloom_hi;
    uint32_t filter_tag_bloom_lo;
};

int main(void)
{
    struct sockaddr_nl in = { .nl_family = AF_NETLINK, .nl_groups = 1 };
    struct sockaddr_nl out = { .nl_family = AF_NETLINK, .nl_groups = 2 };
    static char buf[16384], msg[sizeof(struct udev_netlink_header) + sizeof(buf)];
    int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);
    int size = 1 << 20;

    if (fd < 0 || bind(fd, (struct sockaddr *)&in, sizeof(in)) != 0) {
        perror("uevent-relay: netlink");
        return 1;
    }
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
    for (;;) {
        struct udev_netlink_header h = { .prefix = "libudev" };
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        size_t head;

        if (n <= 0)
            continue;
        if (sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&out, sizeof(out)) < 0)
            perror("uevent-relay: sendto");
        /* the kernel's message: "ACTION@DEVPATH\0KEY=VALUE\0..." */
        head = strnlen(buf, (size_t)n) + 1;
        if (head >= (size_t)n)
            continue;
        h.magic = htonl(0xfeedcafe);
        h.header_size = sizeof(h);
        h.properties_off = sizeof(h);
        h.properties_len = (uint32_t)((size_t)n - head);
        memcpy(msg, &h, sizeof(h));
        memcpy(msg + sizeof(h), buf + head, (size_t)n - head);
        if (sendto(fd, msg, sizeof(h) + (size_t)n - head, 0, (struct sockaddr *)&out, sizeof(out)) < 0)
            perror("uevent-relay: sendto");
    }
}
