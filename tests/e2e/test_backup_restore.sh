#!/usr/bin/env bash
# A backup goes back: the whole-slot file `dfu-util --alt 0 --upload` makes
# (the image, then padding and slot0's trailer) is downloaded with
# `dfu-util --alt 1 --download`. The DFU class programs the image and drops
# what follows it; after a reset the bootloader tests it and it boots. The
# same restore works when slot0's trailer holds records (after a swap and its
# revert), which the backup then carries.
. "$(dirname "$0")/lib.sh"
need_dfu_util

board_new
board_start
expect "Swap type: none"
expect "This device supports USB DFU class."

dfu "$work/up.log" --alt 0 --upload backup.bin
check "upload of slot0 exits 0" test $? -eq 0
check "the backup is the whole slot" test "$(stat -c %s "$work/backup.bin" 2>/dev/null)" = $((SLOT_SIZE))
dfu "$work/dn.log" --alt 1 --download "$work/backup.bin"
check "the backup goes back through alt 1 (exit 0)" test $? -eq 0
check "dfu-util ends in dfuIDLE with status OK" grep -q 'DFU state(2) = dfuIDLE, status(0)' "$work/dn.log"
check "no extra manifestation poll" not grep -q 'dfuMANIFEST' "$work/dn.log"
check "the image from the backup is at slot1+0x1000" landed "$flash" "$images/dfu.signed.bin"
len=$(stat -c %s "$images/dfu.signed.bin")
check "nothing after the image is programmed up to the trailer sector" \
  erased "$flash" $((SLOT1_OFF + DOWNLOAD_OFF + len)) $((SLOT_SIZE - DOWNLOAD_OFF - len - SECTOR))
check "the upgrade request (trailer magic) is in slot1" slot1_magic "$flash"

# the restored image boots
board_reset
expect "Swap type: test"
expect "Jumping to the first image slot"
expect "This device supports USB DFU class."

# after the test swap's revert slot0's trailer holds records; the backup
# carries them, and the restore still works
board_reset
expect "Swap type: revert"
expect "This device supports USB DFU class."
rm -f "$work/backup.bin"
dfu "$work/up2.log" --alt 0 --upload backup.bin
check "second upload exits 0" test $? -eq 0
check "the backup's last sector holds slot0's trailer (not erased)" \
  not erased "$work/backup.bin" $((SLOT_SIZE - SECTOR)) $((SECTOR))
dfu "$work/dn2.log" --alt 1 --download "$work/backup.bin"
check "second restore exits 0" test $? -eq 0
check "second restore: the image at slot1+0x1000" landed "$flash" "$images/dfu.signed.bin"
board_reset
expect "Swap type: test"
expect "This device supports USB DFU class."
board_stop

e2e_done
