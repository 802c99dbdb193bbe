#!/usr/bin/env bash
# Reset button in the middle of a download from the real Linux USB stack:
# the interrupted dfu-util must fail, the board must come back (bootloader,
# DFU sample, runtime mode), and the same download again must succeed with
# slot1 holding the image byte for byte. The image is 400 KiB (the DFU
# sample's program and random bytes after it), so programming it takes
# about 4 s at the nRF52840's real speed even on a pre-erased slot1 (the DFU
# sample pre-erases it, so a download only programs).
set -euo pipefail
. "$(dirname "$0")/common.sh"
require_board
require_vm
[ -x "$bin/dfuimg" ] || skip "$bin/dfuimg is not built"

board_flash
# flash operations at the nRF52840's real speed: the download takes seconds
# on the board side, a window the reset below cannot miss however fast the
# guest's USB stack is
board_start DFUBOOT_VBOARD_FLASH_TIME=100
share=$work/share
mkdir -p "$share"
cp "$images/dfu.bin" "$work/body.bin"
head -c $((409600 - $(stat -c %s "$images/dfu.bin"))) /dev/urandom >>"$work/body.bin"
"$bin/dfuimg" sign -k "$here/../../keys/dev-rsa-2048.pem" -H 0x200 --pad-header --align 4 -v 3.0.0 \
  -S 0x76000 "$work/body.bin" "$share/big.signed.bin" >/dev/null
cat >"$work/guest.sh" <<'GUEST'
set -u
bad() { echo "guest: FAIL: $*"; exit 1; }
vm_autoattach_start
vm_wait_mode 1209 runtime 30 || bad "board not attached in runtime mode"
if dfu-util --alt 1 --download big.signed.bin >/share/dl1.log 2>&1; then
  cat /share/dl1.log
  echo "guest: the first download completed: the reset came too late"
  exit 3
fi
cat /share/dl1.log
echo "guest: the interrupted download failed, as it must"
vm_wait_mode 1209 runtime 60 || bad "board not back in runtime mode after the reset"
dfu-util --alt 1 --download big.signed.bin >/share/dl2.log 2>&1; r=$?
cat /share/dl2.log
[ $r = 0 ] || bad "the retry exited $r"
vm_autoattach_stop
exit 0
GUEST
t0=$(date +%s.%N)
run_vm --no-attach --script "$work/guest.sh" &
vm_pid=$!
# Press reset once the download has made progress but is not done.
pressed=0
for _ in $(seq 1200); do
  pct=$(tr '\r' '\n' 2>/dev/null <"$share/dl1.log" | grep -o '[0-9]*%' | tail -1 | tr -d % || true)
  if [ -n "$pct" ] && [ "$pct" -ge 5 ] && [ "$pct" -lt 95 ]; then
    board_reset
    pressed=1
    echo "$test_name: reset pressed at ${pct}% of the download"
    break
  fi
  kill -0 "$vm_pid" 2>/dev/null || break
  sleep 0.1
done
wait "$vm_pid" || true
vm_rc=$(grep -o 'guest command exited [0-9]*' "$work/vm.log" | grep -o '[0-9]*$' || echo none)
[ "$pressed" = 1 ] || fail "never saw the download between 5% and 95% to press reset"
[ "$vm_rc" = 0 ] || fail "guest exited $vm_rc"
expect_console "$BOARD_READY" 5
check_slot1_image "$share/big.signed.bin"
board_stop
echo "$test_name: PASS ($(since "$t0") s)"
