#!/usr/bin/env bash
# The seed's exact dfu-util commands from the real Linux USB stack, starting
# with the board in runtime mode (dfu-util detaches it itself), with byte
# checks against the flash file:
#   dfu-util --alt 0 --upload slot0_backup.bin      == vboard dump slot0
#   dfu-util --alt 1 --download hello_world.signed.bin  -> slot1 holds it
#   (at the offset vboard info shows, hash and signature valid)
set -euo pipefail
. "$(dirname "$0")/common.sh"
require_board
require_vm

board_flash
board_start
share=$work/share
mkdir -p "$share"
cp "$images/hello_world.signed.bin" "$share/"
cat >"$work/guest.sh" <<'GUEST'
set -u
bad() { echo "guest: FAIL: $*"; exit 1; }
vm_autoattach_start
vm_wait_mode 1209 runtime 30 || bad "board not attached in runtime mode"
dfu-util --alt 0 --upload slot0_backup.bin || bad "upload exited $?"
dfu-util --alt 1 --download hello_world.signed.bin || bad "download exited $?"
vm_autoattach_stop
exit 0
GUEST
t0=$(date +%s.%N)
run_vm --no-attach --script "$work/guest.sh"
[ "$vm_rc" = 0 ] || fail "guest exited $vm_rc"
vboard dump "$flash" --partition slot0 -o "$work/slot0.bin" >/dev/null
cmp "$share/slot0_backup.bin" "$work/slot0.bin" || fail "slot0_backup.bin differs from slot0 in the flash file"
echo "$test_name: slot0_backup.bin ($(stat -c %s "$share/slot0_backup.bin") bytes) equals slot0 byte for byte"
check_slot1_image "$images/hello_world.signed.bin"
board_stop
echo "$test_name: PASS ($(since "$t0") s)"
