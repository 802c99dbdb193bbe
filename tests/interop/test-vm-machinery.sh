#!/usr/bin/env bash
# The VM machinery without our device: boot, kernel modules, 9p share both
# ways, exit status, the guest reaching a host-side USB/IP server (a fake one)
# through guestfwd with one host connection per guest connection (usbip list
# twice, then usbip attach), enumeration by the guest kernel, dfu-util and
# lsusb on top of libusb, dfu-util's own runtime-to-DFU switch with the
# connection dropped, attached again by the guest's auto-attach loop and
# found again by the same dfu-util process (uevent-relay), the descriptor checker failing on a broken device,
# and a failed attach reported as a setup failure.
set -euo pipefail
. "$(dirname "$0")/common.sh"
require_vm

# 1. A full round: files in and out, list, list, attach, checks, exit 42.
start_fake
share=$work/share
mkdir -p "$share/in" "$share/out"
token=$(od -An -tx8 -N8 /dev/urandom | tr -d ' ')
echo "$token" >"$share/in/token"
head -c 1048576 /dev/urandom >"$share/in/blob"
cat >"$work/guest1.sh" <<'GUEST'
set -u
bad() { echo "guest: FAIL: $*"; exit 1; }
for m in vhci_hcd usbip_core usbcore 9p 9pnet_virtio virtio_net; do
  [ -d "/sys/module/$m" ] || bad "module $m is not loaded"
done
[ "$(cat /share/in/token)" = "$1" ] || bad "token from the host does not match"
sha256sum /share/in/blob | cut -d' ' -f1 >/share/out/blob.sha256
cp /share/in/blob /share/out/blob.copy
uname -r >/share/out/uname
usbip list -r "$VM_USBIP_HOST" >/share/out/list1.txt 2>&1 || bad "first usbip list"
usbip list -r "$VM_USBIP_HOST" >/share/out/list2.txt 2>&1 || bad "second usbip list"
dev=$(vm_attach) || bad "usbip attach after two lists"
echo "guest: attached as $dev"
check-descriptors 1209:0001 || bad "descriptors of the fake device"
dfu-util -l >/share/out/dfu-l.txt 2>&1 || bad "dfu-util -l"
cat /share/out/dfu-l.txt
lsusb -v -d 1209:0001 >/share/out/lsusb-v.txt 2>&1 || bad "lsusb -v"
[ "$(vm_mode 1209)" = runtime ] || bad "vm_mode: $(vm_mode 1209), want runtime"
# dfu-util detaches the run-time device, the fake drops the connection and
# comes back in DFU mode, the auto-attach loop imports it again, and the
# same dfu-util process finds it (libusb hears of it through uevent-relay).
pidof uevent-relay >/dev/null || bad "uevent-relay is not running"
vm_autoattach_start
dfu-util --alt 0 --upload /tmp/up.bin >/share/out/upload.txt 2>&1 || { cat /share/out/upload.txt; bad "upload"; }
cat /share/out/upload.txt
vm_wait_mode 1209 dfu || bad "no DFU mode after detach"
vm_autoattach_stop
check-descriptors 1209: || bad "descriptors in DFU mode"
dfu-util -l >/share/out/dfu-l-dfu.txt 2>&1 || bad "dfu-util -l in DFU mode"
cat /share/out/dfu-l-dfu.txt
vm_detach
vm_wait_gone 1209:0001 10 || bad "device still present after detach"
exit 42
GUEST
t0=$(date +%s.%N)
set +e
"$VM" --no-attach --usbip "127.0.0.1:$fake_port" --share "$share" --timeout 180 \
  --dmesg "$work/dmesg1.txt" --script "$work/guest1.sh" "$token" 2>&1 | tee "$work/vm1.log"
rc=${PIPESTATUS[0]}
set -e
echo "$test_name: round 1 took $(since "$t0") s"
[ "$rc" = 42 ] || fail "round 1: exit status $rc, want 42 (the guest's)"
grep -q '^vm: guest kernel [0-9].*dfu-util [0-9]' "$work/vm1.log" || fail "no kernel/dfu-util version line"
[ "$(cat "$share/out/blob.sha256")" = "$(sha256sum "$share/in/blob" | cut -d' ' -f1)" ] ||
  fail "guest read a different blob through 9p"
cmp -s "$share/in/blob" "$share/out/blob.copy" || fail "blob written back by the guest differs"
for f in list1 list2; do
  grep -q '1-1: .*(1209:0001)' "$share/out/$f.txt" || fail "$f: the fake's device is not listed"
  grep -q 'fe/01/01' "$share/out/$f.txt" || fail "$f: the interface class is not listed"
done
[ "$(grep -c '^devlist$' "$fake_log")" -ge 2 ] || fail "the fake did not see two devlist connections"
grep -q '^import 1-1$' "$fake_log" || fail "the fake did not see the import"
grep -q '^ctrl 80 06 0100 ' "$fake_log" || fail "the fake saw no GET_DESCRIPTOR(device)"
grep -q '^ctrl 00 09 0001 ' "$fake_log" || fail "the fake saw no SET_CONFIGURATION(1)"
grep -q 'Found Runtime: \[1209:0001\].*name="fake runtime"' "$share/out/dfu-l.txt" || fail "dfu-util -l output"
grep -q 'bcdDFUVersion *1.10' "$share/out/lsusb-v.txt" || fail "lsusb -v shows no DFU functional descriptor"
grep -q 'Found DFU: \[1209:0001\].*alt=0, name="image_0"' "$share/out/dfu-l-dfu.txt" || fail "DFU mode: no alt 0 image_0"
grep -q 'Found DFU: \[1209:0001\].*alt=1, name="image_1"' "$share/out/dfu-l-dfu.txt" || fail "DFU mode: no alt 1 image_1"
grep -q '^ctrl 21 00 ' "$fake_log" || fail "the fake saw no DFU_DETACH"
grep -q 'Device will detach and reattach' "$share/out/upload.txt" || fail "dfu-util did not detach the run-time device"
grep -q 'Opening DFU USB Device' "$share/out/upload.txt" || fail "dfu-util did not find the device again in DFU mode"
grep -q '^ctrl a1 02 ' "$fake_log" || fail "the fake saw no DFU_UPLOAD"
[ "$(grep -c '^import 1-1$' "$fake_log")" -ge 2 ] || fail "no second import after the detach"
! grep -q '^refused 2$' "$fake_log" || fail "the guest tried to import the device while it held it"
cleanup_pids; pids=()

# 2. The same device with a corrupt wTotalLength: the checker must fail,
#    with the default attach path and the guest status coming back as is.
start_fake --corrupt config-length
set +e
"$VM" --usbip "127.0.0.1:$fake_port" --timeout 180 -- check-descriptors 1209:0001 2>&1 | tee "$work/vm2.log"
rc=${PIPESTATUS[0]}
set -e
[ "$rc" = 1 ] || fail "round 2: check-descriptors on a broken device exited $rc, want 1"
grep -q 'wTotalLength 29 but only 27 bytes' "$work/vm2.log" || fail "round 2: the checker did not name the fault"
cleanup_pids; pids=()

# 3. Attaching a bus id the server does not export is a setup failure (126).
start_fake
set +e
"$VM" --usbip "127.0.0.1:$fake_port" --busid 9-9 --timeout 180 -- true 2>&1 | tee "$work/vm3.log"
rc=${PIPESTATUS[0]}
set -e
[ "$rc" = 126 ] || fail "round 3: attach of a missing bus id gave $rc, want 126"
grep -q 'guest setup failed' "$work/vm3.log" || fail "round 3: no setup failure message"
grep -q '^import 9-9$' "$fake_log" || fail "round 3: the import did not reach the server"

echo "$test_name: PASS ($(since "$t0") s)"
