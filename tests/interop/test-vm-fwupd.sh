#!/usr/bin/env bash
# Debian's fwupd (fwupdtool 2.0.x, the guest image of `linux-vm.sh --with
# fwupd`) against the board through the real Linux USB stack: with the quirk
# file of packaging/fwupd installed the documented way, fwupdtool finds the
# board in run-time mode, detaches it, sees both DFU-mode alternate settings
# with the functional descriptor's values (DFU 1.1, its wTransferSize) and
# installs an update into alt 1 (a DFU sample signed as version 1.1.0, in a
# DfuSe container that names alt 1). fwupd's last step, attach, is a bare USB reset: the
# DFU class leaves DFU mode at that reset (a completed download), the
# bootloader tests the update, and the new DFU sample comes back in run-time
# mode, so fwupdtool exits 0; slot0 then holds the update byte for byte.
# See docs/fwupd.md.
set -euo pipefail
. "$(dirname "$0")/common.sh"
require_board
require_vm
"$VM" --with fwupd --build-only >"$work/vm-fwupd-build.log" 2>&1 ||
  { cat "$work/vm-fwupd-build.log" >&2; skip "cannot build the fwupd VM image (see above)"; }
[ -x "$bin/dfuimg" ] || skip "$bin/dfuimg is not built"

share=$work/share
mkdir -p "$share"
cp "$here/../../packaging/fwupd/dfuboot.quirk" "$share/"
"$bin/dfuimg" sign -k "$here/../../keys/dev-rsa-2048.pem" -H 0x200 --pad-header --align 4 -v 1.1.0 \
  -S 0x76000 "$images/dfu.bin" "$share/dfu-1.1.0.signed.bin" >/dev/null
python3 "$here/dfuse-pack.py" --alt 1 --name image_1 --vid 0x1209 --pid 0x0002 \
  "$share/dfu-1.1.0.signed.bin" "$share/update.dfu"

board_flash
board_start
cat >"$work/guest.sh" <<'GUEST'
set -u
bad() { echo "guest: FAIL: $*"; exit 1; }
# the documented install step of the quirk file
cp dfuboot.quirk /usr/share/fwupd/quirks.d/ || bad "cannot install the quirk file"
# fwupd 2.0.20 built against libusb 1.0.26 cannot set up its hotplug
# listener (see guest-src/netlink-autobind.c); detach and install need it
export LD_PRELOAD=/usr/lib/netlink-autobind.so
vm_autoattach_start
vm_wait_mode 1209 runtime 30 || bad "board not attached in run-time mode"
fwupdtool get-devices --plugins dfu >get-devices.log 2>&1 || bad "fwupdtool get-devices exited $?"
id=$(fwupdtool get-devices --plugins dfu --json 2>/dev/null | sed -n 's/.*"DeviceId" *: *"\([0-9a-f]*\)".*/\1/p' | head -1)
[ -n "$id" ] || bad "fwupdtool lists no DFU device"
echo "guest: fwupd device $id"
fwupdtool install-blob update.dfu "$id" --plugins dfu --force -vv >install.log 2>&1
echo $? >install.rc
vm_autoattach_stop
exit 0
GUEST
t0=$(date +%s.%N)
run_vm --with fwupd --memory 1G --no-attach --script "$work/guest.sh"
[ "$vm_rc" = 0 ] || fail "guest exited $vm_rc"
grep -q 'USB:0x1209' "$share/get-devices.log" || { cat "$share/get-devices.log"; fail "fwupdtool did not find the board"; }
echo "$test_name: fwupdtool found the board in run-time mode"
log=$share/install.log
need() { grep -q -- "$1" "$log" || { grep -v 'Loading\|Idle\|Waiting' "$log" | tail -40; fail "$2"; }; }
need 'doing device reset as host will not self-reset' "fwupdtool did not detach the board"
need 'no UM0424 sector description in image_1' "fwupd does not see alt 1 (image_1)"
need 'using DFU transfer size 0x' "fwupd does not use the functional descriptor's wTransferSize"
if grep -q 'no image idx 33\|transfer size invalid\|DFU version 0x0000' "$log"; then
  fail "fwupd did not find the functional descriptor on every alternate setting"
fi
need 'downloading to target: image_1' "fwupd did not download to alt 1"
echo "$test_name: fwupdtool detached the board and wrote alt 1 ($(grep -m1 -o 'using DFU transfer size 0x[0-9a-f]* bytes' "$log"))"
rc=$(cat "$share/install.rc")
[ "$rc" = 0 ] || { grep -v 'Loading\|Idle\|Waiting' "$log" | tail -40; fail "fwupdtool install-blob exited $rc"; }
need 'attach(dfu)' "fwupd did not attach"
need 'old device came back' "fwupd did not see the board come back after its attach (USB reset)"
echo "$test_name: fwupdtool install-blob exited 0 (attach: the board came back in run-time mode)"
expect_console "DFU: leaving DFU mode" 30
expect_console "Swap type: test" 30
expect_console "$BOARD_READY" 30
vboard dump "$flash" --partition slot0 -o "$work/slot0.bin" >/dev/null
cmp -n "$(stat -c %s "$share/dfu-1.1.0.signed.bin")" "$work/slot0.bin" "$share/dfu-1.1.0.signed.bin" ||
  fail "slot0 does not hold the new image after the test swap"
echo "$test_name: the board tested the update and boots it from slot0"
board_stop
echo "$test_name: PASS ($(since "$t0") s)"
