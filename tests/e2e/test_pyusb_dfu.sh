#!/usr/bin/env bash
# A second DFU host, independent of dfu-util: tests/e2e/pyusb_dfu.py, written
# from the DFU 1.1 specification on Debian's pyusb (python3-usb), through
# the libusb-over-USB/IP library, against the running virtual board: list,
# detach, upload of alt 0 (equal to slot0), ABORT in the middle of a
# download, a wrong alt, a download to alt 1, its read back by a second
# program, and the USB reset (fwupd's attach) that leaves DFU mode and tests it.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
# Debian's python3 (python3-usb lives in its dist-packages), not whatever
# python3 comes first on PATH.
py=/usr/bin/python3
[ -x "$py" ] || py=python3
"$py" -c 'import usb.core' 2>/dev/null || { echo "SKIP: pyusb is not installed (Debian: python3-usb)"; exit 77; }
lib=$build/lib/libusb-1.0.so.0
[ -e "$lib" ] || { echo "SKIP: $lib was not built (no libusb-1.0 header)"; exit 77; }
host() { local log=$1; shift; (cd "$work" && timeout 120 "$py" "$here/pyusb_dfu.py" --lib "$lib" "$@") >"$log" 2>&1; }

board_new
board_start
expect "This device supports USB DFU class."

host "$work/l1.log" list
check "list exits 0" test $? -eq 0
check "list: the run-time interface of the sample" grep -q '^1209:0001 run-time mode, interface 0, DFU version 1.10' "$work/l1.log"

host "$work/det.log" detach
check "detach exits 0" test $? -eq 0
host "$work/l2.log" list
check "DFU mode, DFU 1.1 and the descriptor's wTransferSize" grep -q '^1209:0002 DFU mode, interface 0, DFU version 1.10, transfer size [1-9][0-9]*,' "$work/l2.log"
check "alt 0 image_0" grep -q '^  alt 0 name "image_0"' "$work/l2.log"
check "alt 1 image_1" grep -q '^  alt 1 name "image_1"' "$work/l2.log"

cp "$flash" "$work/before.bin"
host "$work/up.log" upload --alt 0 up0.bin
check "upload of alt 0 exits 0" test $? -eq 0
vboard dump "$flash" --partition slot0 -o "$work/slot0.bin" >/dev/null || die "vboard dump"
check "the upload equals slot0 byte for byte" cmp -s "$work/up0.bin" "$work/slot0.bin"

hello=$images/hello_world.signed.bin
host "$work/ab.log" download --alt 1 --abort-after 2 "$hello"
check "ABORT after 2 blocks: the device is back in dfuIDLE" grep -q 'aborted after 2 blocks; the device is in dfuIDLE' "$work/ab.log"
check "an aborted download requests no upgrade" not slot1_magic "$flash"

host "$work/w5.log" download --alt 5 "$hello"
check "alt 5 is refused" test $? -eq 1
check "alt 5: the client names the alts there are" grep -q 'alt 5 does not exist (the device has 0, 1)' "$work/w5.log"
host "$work/w0.log" download --alt 0 "$hello"
check "a download to alt 0 (upload only) is refused" test $? -eq 1
check "alt 0: the device refused the first block" grep -q 'block 0 refused' "$work/w0.log"
check "nothing outside slot1 changed" same_outside_slot1 "$work/before.bin" "$flash"

host "$work/dn.log" download --alt 1 "$hello"
check "download to alt 1 exits 0" test $? -eq 0
check "download ends in dfuIDLE" grep -q "downloaded $(stat -c %s "$hello") bytes to alt 1; the device is in dfuIDLE" "$work/dn.log"
check "the image lands at slot1 + one sector byte for byte" landed "$flash" "$hello"
check "the upgrade request (trailer magic) is in slot1" slot1_magic "$flash"
check "nothing outside slot1 changed" same_outside_slot1 "$work/before.bin" "$flash"

# a second program finds the device where the first left it, in DFU mode
host "$work/rb.log" upload --alt 1 rb1.bin
check "read back of alt 1 after the download exits 0 (no reboot in between)" test $? -eq 0
check "alt 1 reads back the image (at the download offset)" cmp -s -n "$(stat -c %s "$hello")" -i $((DOWNLOAD_OFF)):0 "$work/rb1.bin" "$hello"
check "still the same boot: the board did not reboot" test "$(grep -c 'Swap type' "$console")" -eq 1
# attach the way fwupd does, with a bare USB reset: a completed download
# leaves DFU mode and the bootloader tests the new image
host "$work/at.log" attach
check "attach (USB reset) exits 0" test $? -eq 0
expect "DFU: leaving DFU mode"
expect "Swap type: test"
expect "Hello World! $BOARD"
check "hello_world now at the start of slot0" in_slot0 "$flash" "$hello"
board_stop
for f in "$work"/*.log; do echo "--- ${f##*/}"; cat "$f"; done
e2e_done
