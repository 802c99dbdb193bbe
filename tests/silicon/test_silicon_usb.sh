#!/usr/bin/env bash
# USB on the emulated chip: Debian's dfu-util, through the libusb shim and
# vboard's USB/IP bridge, over the UART link to the USB core and DFU class
# running as Thumb code (vboard run --usbip on qemu-nrf51):
#   list (run-time mode), upload of slot0 through alt 0 byte for byte,
#   download of hello_world to alt 1; the reset writes the chip's flash back
#   (the image at slot1's download offset, the upgrade requested, nothing
#   else changed) and tests it ("Swap type: test", "Hello World!"); the next
#   reset reverts and the DFU sample answers over USB again.
# Then the bootloader's USB DFU recovery over the same link: a tampered
# image in slot0, the bootloader becomes the DFU device, dfu-util downloads
# the DFU sample, which is installed (PERM) and answers over USB.
# Prints the figures: seconds for the upload and the download.
. "$(dirname "$0")/lib.sh"
need_dfu_util

hello=$images/hello_world.signed.bin
board_new
cp "$flash" "$work/original.bin"
usb_start
expect "This device supports USB DFU class."

dfu "$work/l.log" -l
check "dfu-util -l: the run-time interface over the UART" grep -q '^Found Runtime: \[1209:0001\]' "$work/l.log"

t0=$(date +%s.%N)
dfu "$work/up.log" --alt 0 --upload "$work/up0.bin"
check "upload of alt 0 exits 0" test $? -eq 0
t1=$(date +%s.%N)
vboard dump "$flash" --partition slot0 -o "$work/slot0.bin" >/dev/null || die "vboard dump"
check "the upload equals slot0 byte for byte" cmp -s "$work/up0.bin" "$work/slot0.bin"

dfu "$work/dn.log" --alt 1 --download "$hello"
check "download of hello_world to alt 1 exits 0" test $? -eq 0
t2=$(date +%s.%N)
check "dfu-util: the device is idle after the download" grep -q 'DFU state(2) = dfuIDLE, status(0)' "$work/dn.log"
awk -v a="$t0" -v b="$t1" -v c="$t2" -v up="$(stat -c %s "$work/up0.bin")" -v dn="$(stat -c %s "$hello")" \
  'BEGIN { printf "figure: upload of slot0 (%d B) %.2f s, download of hello_world (%d B) %.2f s\n", up, b - a, dn, c - b }'

skip_console
board_reset
expect "I: Starting bootloader"
check "the image landed at slot1's download offset byte for byte" landed "$flash" "$hello"
check "the upgrade is requested (slot1's trailer magic)" slot1_magic "$flash"
check "nothing outside slot1 changed" same_outside_slot1 "$work/original.bin" "$flash"
expect "I: Secondary image: magic=good, swap_type=0x2"
expect "I: Swap type: test"
expect "Hello World! $BOARD"

board_reset
expect "I: Swap type: revert"
expect "This device supports USB DFU class."
dfu "$work/l2.log" -l
check "after the revert the DFU sample answers over USB" grep -q '^Found Runtime: \[1209:0001\]' "$work/l2.log"
board_stop
check "power-off: exit 0" [ "$board_rc" = 0 ]
check "the DFU sample back in slot0 byte for byte" in_slot0 "$flash" "$images/dfu.signed.bin"

# --- recovery in the Thumb bootloader, over the UART link ----------------------
board_new "$images/hello_world.signed.bin"
printf '\x01' | dd of="$flash" bs=1 seek=$((SLOT0_OFF + 0x300)) conv=notrunc status=none
skip_console
usb_start
expect "E: Image in the primary slot is not valid!"
expect "I: Entering USB DFU recovery: no bootable image"
dfu "$work/rl.log" -l
check "recovery: the bootloader is a DFU-mode device over the UART" grep -q '^Found DFU: \[1209:' "$work/rl.log"
dfu "$work/rdn.log" --alt 1 --download "$images/dfu.signed.bin"
check "recovery: dfu-util downloads the DFU sample" test $? -eq 0
expect "Recovery image 1.0.0+0 valid; installing it as a permanent upgrade"
expect "I: Swap type: perm"
expect "This device supports USB DFU class."
board_stop
check "recovery: the DFU sample installed in slot0 byte for byte" in_slot0 "$flash" "$images/dfu.signed.bin"

silicon_done
