#!/usr/bin/env bash
# Our USB device core and DFU class (interop-dfu-device: the stack on the
# USB/IP server with a file-backed nRF52840 DK flash, no firmware images)
# against the real Linux USB stack in the VM:
#  1. run-time device without bitWillDetach: descriptors well formed,
#     dfu-util -l, dfu-util -e + USB reset (which vhci turns into a new
#     enumeration), DFU mode descriptors with image_0/image_1, then
#     dfu-util --alt 0 --upload and --alt 1 --download, byte-checked against
#     the flash file;
#  2. run-time device with bitWillDetach: the seed's commands straight from
#     run-time mode (dfu-util detaches, the device re-enumerates by dropping
#     its connection, the guest attaches again), byte-checked;
#  3. the device restarted (reset) in the middle of a download: that
#     dfu-util fails, the retry succeeds, slot1 holds the image;
#  4. the same device with a corrupt configuration wTotalLength: the
#     descriptor check must fail and name the fault.
set -euo pipefail
. "$(dirname "$0")/common.sh"
[ -x "$build_dir/tests/interop-dfu-device" ] || skip "interop-dfu-device is not built"
require_vm
share=$work/share
mkdir -p "$share"
t0=$(date +%s.%N)

run_dev_vm() { # linux-vm.sh against the device; sets vm_rc
  set +e
  "$VM" --usbip "127.0.0.1:$dev_port" --share "$share" --timeout 300 --dmesg "$work/dmesg-$1.txt" \
    --no-attach --script "$work/guest-$1.sh" 2>&1 | tee "$work/vm-$1.log"
  vm_rc=${PIPESTATUS[0]}
  set -e
}

check_slots() { # $1: round; slot0 backup and downloaded image vs the flash
  slot_bytes slot0 "$work/slot0.bin"
  slot_bytes slot1 "$work/slot1.bin"
  cmp "$share/slot0_backup.bin" "$work/slot0.bin" || fail "round $1: upload differs from slot0"
  cmp -n "$(stat -c %s "$share/app.bin")" "$share/app.bin" "$work/slot1.bin" ||
    fail "round $1: slot1 does not hold the downloaded image"
}

# ---- 1
head -c 100000 /dev/urandom >"$share/app.bin"
dev_start --create --mode runtime
cat >"$work/guest-1.sh" <<'GUEST'
set -u
bad() { echo "guest: FAIL: $*"; exit 1; }
vm_attach >/dev/null || bad "attach"
[ "$(vm_mode 1209)" = runtime ] || bad "mode $(vm_mode 1209), want runtime"
check-descriptors 1209:0001 || bad "run-time descriptors"
dfu-util -l >/share/l1.txt 2>&1 || bad "dfu-util -l"
cat /share/l1.txt
grep -q 'Found Runtime: \[1209:0001\]' /share/l1.txt || bad "no run-time device listed"
dfu-util -e || bad "dfu-util -e"
vm_wait_mode 1209 dfu 30 || bad "no DFU mode after DETACH + reset"
check-descriptors 1209:0002 || bad "DFU-mode descriptors"
dfu-util -l >/share/l2.txt 2>&1 || bad "dfu-util -l in DFU mode"
cat /share/l2.txt
grep -q 'alt=0, name="image_0"' /share/l2.txt || bad "no alt 0 image_0"
grep -q 'alt=1, name="image_1"' /share/l2.txt || bad "no alt 1 image_1"
dfu-util --alt 0 --upload slot0_backup.bin || bad "upload"
dfu-util --alt 1 --download app.bin || bad "download"
GUEST
run_dev_vm 1
[ "$vm_rc" = 0 ] || fail "round 1: guest exited $vm_rc"
grep -q 'Resetting USB' "$work/vm-1.log" || fail "round 1: dfu-util did not take the reset path"
check_slots 1
dev_stop
echo "$test_name: round 1 passed ($(since "$t0") s)"

# ---- 2
rm -f "$share/slot0_backup.bin"
head -c 60000 /dev/urandom >"$share/app.bin"
dev_start --create --mode runtime --will-detach
cat >"$work/guest-2.sh" <<'GUEST'
set -u
bad() { echo "guest: FAIL: $*"; exit 1; }
vm_autoattach_start
vm_wait_mode 1209 runtime 30 || bad "not attached in run-time mode"
dfu-util --alt 0 --upload slot0_backup.bin || bad "upload from run-time mode"
dfu-util --alt 1 --download app.bin || bad "download"
GUEST
run_dev_vm 2
[ "$vm_rc" = 0 ] || fail "round 2: guest exited $vm_rc"
grep -q 'Device will detach and reattach' "$work/vm-2.log" || fail "round 2: dfu-util did not take the will-detach path"
check_slots 2
dev_stop
echo "$test_name: round 2 passed ($(since "$t0") s)"

# ---- 3
head -c 400000 /dev/urandom >"$share/app.bin"
dev_start --create --mode dfu
port=$dev_port
cat >"$work/guest-3.sh" <<'GUEST'
set -u
bad() { echo "guest: FAIL: $*"; exit 1; }
vm_autoattach_start
vm_wait_mode 1209 dfu 30 || bad "not attached"
if dfu-util --alt 1 --download app.bin >/share/dl1.log 2>&1; then
  echo "guest: the first download completed: the reset came too late"
  exit 3
fi
tr '\r' '\n' </share/dl1.log | tail -3
echo "guest: the interrupted download failed, as it must"
vm_wait_mode 1209 dfu 60 || bad "device not back after the reset"
dfu-util --alt 1 --download app.bin >/share/dl2.log 2>&1; r=$?
tr '\r' '\n' </share/dl2.log | tail -3
[ $r = 0 ] || bad "the retry exited $r"
GUEST
run_dev_vm 3 &
vm_job=$!
pressed=0
for _ in $(seq 1500); do
  pct=$(tr '\r' '\n' 2>/dev/null <"$share/dl1.log" | grep -o '[0-9]*%' | tail -1 | tr -d % || true)
  if [ -n "$pct" ] && [ "$pct" -ge 5 ] && [ "$pct" -lt 95 ]; then
    kill -KILL "$dev_pid"
    wait "$dev_pid" 2>/dev/null || true
    echo "$test_name: device reset at ${pct}% of the download"
    dev_start --mode dfu --port "$port"
    pressed=1
    break
  fi
  kill -0 "$vm_job" 2>/dev/null || break
  sleep 0.1
done
wait "$vm_job" || true
vm_rc=$(grep -o 'guest command exited [0-9]*' "$work/vm-3.log" | grep -o '[0-9]*$' || echo none)
[ "$pressed" = 1 ] || fail "round 3: never saw the download between 5% and 95%"
[ "$vm_rc" = 0 ] || fail "round 3: guest exited $vm_rc"
slot_bytes slot1 "$work/slot1.bin"
cmp -n "$(stat -c %s "$share/app.bin")" "$share/app.bin" "$work/slot1.bin" ||
  fail "round 3: slot1 does not hold the image after the retry"
dev_stop
echo "$test_name: round 3 passed ($(since "$t0") s)"

# ---- 4
dev_start --create --mode runtime --corrupt config-length
set +e
"$VM" --usbip "127.0.0.1:$dev_port" --timeout 300 -- check-descriptors 1209:0001 2>&1 | tee "$work/vm-4.log"
vm_rc=${PIPESTATUS[0]}
set -e
[ "$vm_rc" = 1 ] || fail "round 4: check-descriptors on the corrupted device exited $vm_rc, want 1"
grep -q 'wTotalLength .* but only .* bytes were read' "$work/vm-4.log" || fail "round 4: the fault was not named"
dev_stop
echo "$test_name: PASS ($(since "$t0") s)"
