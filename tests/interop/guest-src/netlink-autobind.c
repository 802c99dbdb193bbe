/* netlink-autobind: an LD_PRELOAD library for fwupdtool in the VM guest.
 *
 * fwupd 2.0.20 (Debian 12) binds its uevent netlink socket to
 * nl_pid = getpid() (libfwupdplugin/fu-udev-backend.c,
 * fu_udev_backend_netlink_setup). Built against libusb 1.0.26, the same
 * process has already called libusb_init(), whose udev monitor took that
 * port id by autobinding, so the bind fails with EADDRINUSE, the udev
 * backend is not set up, and every fwupdtool command that needs hotplug
 * (detach, install, install-blob) finds no device at all (fwupd issue
 * #8083; upstream sets up the udev backend before libusb since PR #10422).
 *
 * This library turns such a bind into an autobind (nl_pid 0): the kernel
 * picks a free port id and the socket gets the same uevents. Nothing else
 * changes. Built by linux-vm.sh into the fwupd image. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <linux/netlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
    static int (*real_bind)(int, const struct sockaddr *, socklen_t);
    struct sockaddr_nl nl;

    if (!real_bind)
        real_bind = (int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "bind");
    if (addr && addr->sa_family == AF_NETLINK && len >= sizeof(nl)) {
        memcpy(&nl, addr, sizeof(nl));
        if (nl.nl_pid == (__u32)getpid()) {
            nl.nl_pid = 0;
            return real_bind(fd, (const struct sockaddr *)&nl, sizeof(nl));
        }
    }
    return real_bind(fd, addr, len);
}
