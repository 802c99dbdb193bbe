#!/usr/bin/env bash
# The board under the real Linux USB stack: usbip list -r output, well-formed
# descriptors (check-descriptors: raw descriptors, kernel log, lsusb -v) in
# runtime mode, dfu-util -l, the runtime-to-DFU switch (DFU_DETACH, then the
# device back in DFU mode), and in DFU mode the descriptors again and
# dfu-util -l with alt 0 "image_0" and alt 1 "image_1".
set -euo pipefail
. "$(dirname "$0")/common.sh"
require_board
require_vm

board_flash
board_start
share=$work/share
mkdir -p "$share"
cat >"$work/guest.sh" <<'GUEST'
set -u
bad() { echo "guest: FAIL: $*"; exit 1; }
usbip list -r "$VM_USBIP_HOST" >/share/usbip-list.txt 2>&1 || bad "usbip list -r"
cat /share/usbip-list.txt
dev=$(vm_attach) || bad "attach"
[ "$(vm_mode 1209)" = runtime ] || bad "mode after attach: $(vm_mode 1209), want runtime"
check-descriptors 1209: >/share/check-runtime.txt 2>&1; r=$?
cat /share/check-runtime.txt
[ $r = 0 ] || bad "runtime descriptors"
lsusb -v -d 1209: >/share/lsusb-runtime.txt 2>&1 || bad "lsusb -v (runtime)"
dfu-util -l >/share/dfu-l-runtime.txt 2>&1 || bad "dfu-util -l (runtime)"
cat /share/dfu-l-runtime.txt
vm_autoattach_start
dfu-util -e >/share/dfu-e.txt 2>&1 || { cat /share/dfu-e.txt; bad "dfu-util -e"; }
cat /share/dfu-e.txt
vm_wait_mode 1209 dfu 60 || bad "no DFU mode after DFU_DETACH"
check-descriptors 1209: >/share/check-dfu.txt 2>&1; r=$?
cat /share/check-dfu.txt
[ $r = 0 ] || bad "DFU-mode descriptors"
lsusb -v -d 1209: >/share/lsusb-dfu.txt 2>&1 || bad "lsusb -v (DFU mode)"
dfu-util -l >/share/dfu-l-dfu.txt 2>&1 || bad "dfu-util -l (DFU mode)"
cat /share/dfu-l-dfu.txt
vm_autoattach_stop
exit 0
GUEST
t0=$(date +%s.%N)
run_vm --no-attach --script "$work/guest.sh"
[ "$vm_rc" = 0 ] || fail "guest exited $vm_rc"
grep -q '1-1: .*(1209:[0-9a-f]*)' "$share/usbip-list.txt" || fail "usbip list -r does not show 1-1 with VID 1209"
grep -q 'fe/01/01' "$share/usbip-list.txt" || fail "usbip list -r does not show the DFU runtime interface"
grep -q 'Found Runtime: \[1209:' "$share/dfu-l-runtime.txt" || fail "dfu-util -l finds no runtime device"
grep -q 'bInterfaceClass *254' "$share/lsusb-runtime.txt" || fail "lsusb -v: no 0xFE interface in runtime mode"
grep -q 'Found DFU: \[1209:.*alt=0, name="image_0"' "$share/dfu-l-dfu.txt" || fail "DFU mode: no alt 0 image_0"
grep -q 'Found DFU: \[1209:.*alt=1, name="image_1"' "$share/dfu-l-dfu.txt" || fail "DFU mode: no alt 1 image_1"
grep -q 'bInterfaceProtocol *2' "$share/lsusb-dfu.txt" || fail "lsusb -v: no DFU-mode interface"
board_stop
echo "$test_name: PASS ($(since "$t0") s)"
