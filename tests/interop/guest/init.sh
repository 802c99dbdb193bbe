# init.sh: the guest half of linux-vm.sh. /init runs it as PID 1 from the
# harness folder /vm (9p), where the host also put config and cmd.sh; it
# leaves "cmd CODE" or "setup 1 REASON" in /vm/status and powers off.

export PATH=/vm/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
. /vm/config
. /vm/lib.sh

finish() {
  dmesg >/vm/dmesg 2>/dev/null
  echo "$*" >/vm/status.new && mv /vm/status.new /vm/status
  sync
  umount /share 2>/dev/null
  umount /vm 2>/dev/null
  reboot -f
  sleep 30
}
setup_fail() {
  echo "vm: $*" >&2
  finish setup 1 "$*"
}

stty -onlcr 2>/dev/null
modprobe -a virtio_net vhci-hcd || setup_fail "cannot load kernel modules"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,cache=none share /share ||
  setup_fail "cannot mount the shared folder"
ip link set lo up
ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 || setup_fail "no network interface"
mkdir -p /run/vhci_hcd /root
echo "vm: guest kernel $(uname -r), $(dfu-util --version 2>/dev/null | head -1) (ready $(cut -d' ' -f1 /proc/uptime) s after boot)"

cd /share
if [ "$VM_ATTACH" = 1 ]; then
  dev=$(vm_attach "$VM_BUSID") || setup_fail "usbip attach -r $VM_USBIP_HOST -b $VM_BUSID failed"
  echo "vm: attached $VM_BUSID as $dev ($(cat /sys/bus/usb/devices/$dev/idVendor):$(cat /sys/bus/usb/devices/$dev/idProduct))"
fi
sh -c '. /vm/lib.sh; . /vm/cmd.sh' vm-command "$@" </dev/null
finish cmd $?
