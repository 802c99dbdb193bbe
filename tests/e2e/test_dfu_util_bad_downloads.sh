#!/usr/bin/env bash
# Downloads the device must refuse, with dfu-util reporting the device's
# error and nothing written outside slot1:
#  - more data than slot1 can hold (0x76000 bytes from offset 0x1000):
#    errADDRESS while downloading;
#  - a download to alt 0 (slot0 is never written): errWRITE;
#  - exactly up to the end of slot1 (0x75000 bytes): larger than the largest
#    image (0x74000, the last sector holds the trailer).
# Afterwards the board boots the unchanged DFU sample, no swap.
#
# The 0x75000-byte download must fail in dfu-util with errADDRESS while it
# streams: the DFU class stops at the largest image the bootloader can swap,
# so nothing reaches slot1's trailer sector.
. "$(dirname "$0")/lib.sh"
need_dfu_util

board_new
cp "$flash" "$work/original.bin"
board_start
expect "This device supports USB DFU class."
dfu "$work/e.log" -e
check "dfu-util -e exits 0" test $? -eq 0

# 1. past the end of slot1
head -c $((SLOT_SIZE)) /dev/urandom > "$work/huge.bin"
dfu "$work/huge.log" --alt 1 --download "$work/huge.bin"
check "too large (0x76000): dfu-util fails" test $? -ne 0
check "too large: dfu-util reports the device's errADDRESS" \
  grep -q 'status(8) = Cannot program memory due to received address that is out of range' "$work/huge.log"
check "too large: nothing written outside slot1" same_outside_slot1 "$work/original.bin" "$flash"
check "too large: slot0 unchanged" in_slot0 "$flash" "$images/dfu.signed.bin"
check "too large: no upgrade requested" not slot1_magic "$flash"

# 2. alt 0 (slot0): refused before anything is written
cp "$flash" "$work/before_alt0.bin"
dfu "$work/alt0.log" --alt 0 --download "$images/hello_world.signed.bin"
check "download to alt 0: dfu-util fails" test $? -ne 0
# (slot1 itself may change meanwhile: the DFU sample pre-erases what the
# refused download left there, in the background)
check "download to alt 0: not a single flash byte changed outside slot1" same_outside_slot1 "$work/before_alt0.bin" "$flash"

# 3. slot1 filled to its very end: past the largest image
head -c $((SLOT_SIZE - DOWNLOAD_OFF)) /dev/urandom > "$work/big.bin"
dfu "$work/big.log" --alt 1 --download "$work/big.bin"
rc=$?
check "0x75000 bytes: nothing written outside slot1" same_outside_slot1 "$work/original.bin" "$flash"
check "0x75000 bytes: slot0 unchanged" in_slot0 "$flash" "$images/dfu.signed.bin"
check "0x75000 bytes: no upgrade requested" not slot1_magic "$flash"
check "0x75000 bytes: the device reports an error" grep -q 'DFU state(10) = dfuERROR' "$work/big.log"
check "0x75000 bytes: dfu-util fails" test $rc -ne 0
check "0x75000 bytes: dfu-util reports errADDRESS" grep -q 'status(8)' "$work/big.log"

# the board still boots the DFU sample, no swap
skip_console
board_reset
expect "Starting bootloader"
expect "Swap type: none"
expect "This device supports USB DFU class."
check "after the reset, nothing outside slot1 changed" same_outside_slot1 "$work/original.bin" "$flash"
dfu "$work/l.log" -l
check "the DFU sample answers in run-time mode" grep -q '^Found Runtime: \[1209:0001\]' "$work/l.log"
board_stop

e2e_done
