/* uevent-relay: the part of udevd that libusb needs in the VM guest.
 *
 * libusb (built with udev, as in Debian) learns about devices that appear
 * after libusb_init only from udev's netlink multicast group 2; the kernel
 * sends its uevents to group 1, and without udevd nobody passes them on.
 * dfu-util detaches a run-time device and probes again in the same process,
 * so without this it never sees the device come back in DFU mode ("Lost
 * device after RESET?"). This relay resends every kernel uevent unchanged to
 * group 2; libudev accepts the kernel format there (no "libudev" header, so
 * the socket filters let it through) from a root sender.
 *
 * Built statically on the host by linux-vm.sh; runs in the background from
 * the guest's init. */
#include <linux/netlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
    struct sockaddr_nl in = { .nl_family = AF_NETLINK, .nl_groups = 1 };
    struct sockaddr_nl out = { .nl_family = AF_NETLINK, .nl_groups = 2 };
    static char buf[16384];
    int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);
    int size = 1 << 20;

    if (fd < 0 || bind(fd, (struct sockaddr *)&in, sizeof(in)) != 0) {
        perror("uevent-relay: netlink");
        return 1;
    }
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof(buf), 0);

        if (n <= 0)
            continue;
        if (sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&out, sizeof(out)) < 0)
            perror("uevent-relay: sendto");
    }
}
