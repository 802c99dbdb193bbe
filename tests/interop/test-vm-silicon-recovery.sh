#!/usr/bin/env bash
# USB DFU recovery of the emulated chip from the real Linux USB stack: the
# chip (machine qemu-nrf51, the Thumb firmware, USB over its UART to vboard's
# USB/IP bridge) holds no_usb (an application without USB) and powers on
# with the recovery button held (vboard run --hold-button: the micro:bit's
# button A through QEMU's qtest socket); the guest's kernel enumerates the
# bootloader's recovery device (DFU mode, product "dfuboot recovery"),
# dfu-util downloads the DFU sample, the bootloader installs it for good, and
# the kernel then sees the sample's run-time device.
set -euo pipefail
. "$(dirname "$0")/common.sh"
command -v "${DFUBOOT_QEMU:-qemu-system-arm}" >/dev/null ||
  skip "qemu-system-arm is not installed (Debian package qemu-system-arm)"
images=$build_dir/images/qemu-nrf51
for f in bootloader.bin dfu.signed.bin no_usb.signed.bin; do
  [ -e "$images/$f" ] || skip "$images/$f is not built"
done
[ -x "$bin/vboard" ] || skip "$bin/vboard is not built"
require_vm

flash=$work/flash.bin
vboard create "$flash" --layout nrf52840dk --machine qemu-nrf51 --force >/dev/null
vboard flash "$flash" --partition mcuboot "$images/bootloader.bin" >/dev/null
vboard flash "$flash" --partition slot0 "$images/no_usb.signed.bin" >/dev/null
console=$work/console.log
board_port=$(free_port)
: >"$console"
console_seen=0
"$bin/vboard" run "$flash" --usbip "127.0.0.1:$board_port" --hold-button >>"$console" 2>&1 &
board_pid=$!
pids+=("$board_pid")
expect_console "Entering USB DFU recovery: button pressed" 60

share=$work/share
mkdir -p "$share"
cp "$images/dfu.signed.bin" "$share/"
cat >"$work/guest.sh" <<'GUEST'
set -u
bad() { echo "guest: FAIL: $*"; exit 1; }
product() {
  local d v
  for d in /sys/bus/usb/devices/[0-9]*-[0-9]*; do
    case ${d##*/} in *:*) continue ;; esac
    read -r v <"$d/idVendor" 2>/dev/null || continue
    [ "$v" = 1209 ] && { cat "$d/product"; return; }
  done
}
vm_autoattach_start
vm_wait_mode 1209 dfu 60 || bad "no recovery device in DFU mode"
p=$(product)
echo "guest: the kernel sees product '$p'"
[ "$p" = "dfuboot recovery" ] || bad "product is '$p'"
lsusb -d 1209:0002 || bad "lsusb does not list 1209:0002"
dfu-util --alt 1 --download dfu.signed.bin || bad "download exited $?"
vm_wait_mode 1209 runtime 120 || bad "the DFU sample's run-time device did not come back"
p=$(product)
echo "guest: after recovery the kernel sees product '$p'"
[ "$p" = "dfuboot DFU sample" ] || bad "product is '$p'"
vm_autoattach_stop
exit 0
GUEST
t0=$(date +%s.%N)
run_vm --no-attach --script "$work/guest.sh"
[ "$vm_rc" = 0 ] || fail "guest exited $vm_rc"
expect_console "installing it as a permanent upgrade" 10
expect_console "Swap type: perm" 60
expect_console "$BOARD_READY" 60
# the chip's flash reaches the flash file at power-off
board_stop
vboard dump "$flash" --partition slot0 -o "$work/slot0.bin" >/dev/null
cmp -n "$(stat -c %s "$images/dfu.signed.bin")" "$work/slot0.bin" "$images/dfu.signed.bin" ||
  fail "slot0 does not hold the DFU sample byte for byte"
echo "$test_name: the DFU sample restored in slot0 byte for byte"
echo "$test_name: PASS ($(since "$t0") s)"
