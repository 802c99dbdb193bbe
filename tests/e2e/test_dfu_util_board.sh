#!/usr/bin/env bash
# Debian's dfu-util, unmodified, through the libusb-over-USB/IP library
# against the running virtual board (real bootloader, real DFU sample):
# listing in run-time and DFU mode, the seed's upload and download commands
# checked byte for byte against the flash file, and the test swap they cause.
. "$(dirname "$0")/lib.sh"
need_dfu_util

board_new
board_start
expect "Starting bootloader"
expect "Swap type: none"
expect "This device supports USB DFU class."

# run-time mode: one runtime interface of the sample (1209:0001)
dfu "$work/l1.log" -l
check "dfu-util -l exits 0" test $? -eq 0
check "-l lists the runtime device" grep -q '^Found Runtime: \[1209:0001\] .*intf=0, path="1-1"' "$work/l1.log"
check "-l lists nothing in DFU mode yet" not grep -q '^Found DFU' "$work/l1.log"

# detach: the device switches to DFU mode at the reset that follows
dfu "$work/e.log" -e
check "dfu-util -e exits 0" test $? -eq 0
dfu "$work/l2.log" -l
check "after -e, DFU mode: alt 1 image_1" grep -q '^Found DFU: \[1209:0002\] .*alt=1, name="image_1"' "$work/l2.log"
check "after -e, DFU mode: alt 0 image_0" grep -q '^Found DFU: \[1209:0002\] .*alt=0, name="image_0"' "$work/l2.log"
check "after -e, no runtime device" not grep -q '^Found Runtime' "$work/l2.log"
check "the firmware did not restart for the detach" expect_not "Starting bootloader"

# the seed's commands, exactly
cp "$flash" "$work/before.bin"
dfu "$work/up.log" --alt 0 --upload slot0_backup.bin
check "upload of slot0 exits 0" test $? -eq 0
vboard dump "$flash" --partition slot0 -o "$work/slot0_now.bin" >/dev/null || die "vboard dump"
check "the backup equals slot0 byte for byte" cmp -s "$work/slot0_backup.bin" "$work/slot0_now.bin"
check "the backup is the whole slot (0x76000 bytes)" test "$(stat -c %s "$work/slot0_backup.bin" 2>/dev/null)" = $((SLOT_SIZE))
check "an upload changes no flash byte" cmp -s "$work/before.bin" "$flash"

hello=$images/hello_world.signed.bin
dfu "$work/dn.log" --alt 1 --download "$hello"
check "download to alt 1 exits 0" test $? -eq 0
check "dfu-util ends in dfuIDLE with status OK" grep -q 'DFU state(2) = dfuIDLE, status(0)' "$work/dn.log"
check "the download lands at slot1+0x1000 byte for byte" landed "$flash" "$hello"
check "slot1 before the image stays erased" erased "$flash" $((SLOT1_OFF)) $((DOWNLOAD_OFF))
len=$(stat -c %s "$hello")
check "nothing written after the image up to the trailer sector" \
  erased "$flash" $((SLOT1_OFF + DOWNLOAD_OFF + len)) $((SLOT_SIZE - DOWNLOAD_OFF - len - SECTOR))
check "the upgrade request (trailer magic) is in slot1" slot1_magic "$flash"
check "everything outside slot1 is unchanged" same_outside_slot1 "$work/before.bin" "$flash"
check "slot0 still holds the DFU sample" in_slot0 "$flash" "$images/dfu.signed.bin"

# the next reset: the bootloader tests the new image
board_reset
expect "Starting bootloader"
expect "Secondary image: magic=good, swap_type=0x2"
expect "Swap type: test"
expect "Jumping to the first image slot"
expect "Hello World! $BOARD"
check "hello_world now at the start of slot0" in_slot0 "$flash" "$hello"

# after the revert the DFU sample erases the rejected image in slot1 in the
# background (pre-erase), so the next download only programs
board_reset
expect "Swap type: revert"
expect "This device supports USB DFU class."
for _ in $(seq 100); do erased "$flash" $((SLOT1_OFF)) $((SLOT_SIZE - SECTOR)) && break; sleep 0.05; done
check "after the revert, slot1's image sectors are pre-erased" erased "$flash" $((SLOT1_OFF)) $((SLOT_SIZE - SECTOR))
# a second download: it lands, and slot1's first sector stays erased (the
# download clears it when an earlier swap left an old header there: MCUboot
# would take that for a misplaced upload; unit test: test_dfu_transfer)
dfu "$work/dn2.log" --alt 1 --download "$hello"
check "a second download exits 0" test $? -eq 0
check "the second download lands at slot1+0x1000" landed "$flash" "$hello"
check "after the second download slot1's first sector reads erased" erased "$flash" $((SLOT1_OFF)) $((SECTOR))
board_stop
check "power off exits 0" test "$board_rc" = 0

e2e_done
