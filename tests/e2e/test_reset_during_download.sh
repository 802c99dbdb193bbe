#!/usr/bin/env bash
# The reset button pressed while dfu-util downloads a ~300 KiB signed image:
# dfu-util fails, the board comes back with the unchanged DFU sample (no
# swap: the download was never completed, so no upgrade was requested), the
# next full download succeeds and the reset after it tests the new image.
. "$(dirname "$0")/lib.sh"
need_dfu_util

# a valid signed image of ~300 KiB (random body)
head -c 307200 /dev/urandom > "$work/body.bin"
"$bin/dfuimg" sign -k "$keys/dev-rsa-2048.pem" --header-size 0x200 --pad-header --align 4 \
  --version 3.0.0 --slot-size $((SLOT_SIZE)) "$work/body.bin" "$work/big.signed.bin" > "$work/sign.log" 2>&1 ||
  die "dfuimg sign: $(cat "$work/sign.log")"
big_len=$(stat -c %s "$work/big.signed.bin")

board_new
cp "$flash" "$work/original.bin"
# flash operations at 10 % of the nRF52840's real time: the ~300 KiB
# download takes about a second, so the reset lands in its middle on a
# loaded machine too
DFUBOOT_VBOARD_FLASH_TIME=10 board_start
expect "This device supports USB DFU class."
dfu "$work/e.log" -e
check "dfu-util -e exits 0" test $? -eq 0

# Download in 64-byte transfers, press reset once 64 KiB of the image are in
# flash.
probe=$((SLOT1_OFF + DOWNLOAD_OFF + 0x10000))
skip_console
dfu "$work/dn1.log" --alt 1 -t 64 --download "$work/big.signed.bin" &
dfu_pid=$!
deadline=$((SECONDS + 20))
while erased "$flash" $probe 16; do
  kill -0 $dfu_pid 2>/dev/null || break
  [ $SECONDS -ge $deadline ] && break
done
cp "$flash" "$work/at_reset.bin" # the flash as the reset finds it
board_reset
wait $dfu_pid
rc=$?
check "dfu-util fails when the board resets under it" test $rc -ne 0
check "the reset came in the middle: 64 KiB of the image were written" not erased "$work/at_reset.bin" $probe 16
check "the reset came in the middle: the end of the image was not" \
  erased "$work/at_reset.bin" $((SLOT1_OFF + DOWNLOAD_OFF + big_len - SECTOR)) $((SECTOR))
expect "Starting bootloader"
expect "Secondary image: magic=unset"
expect "Swap type: none"
expect "This device supports USB DFU class."
check "no upgrade requested by the partial download" not slot1_magic "$flash"
check "slot0 and everything outside slot1 unchanged" same_outside_slot1 "$work/original.bin" "$flash"

# the next full download (hello_world) succeeds
hello=$images/hello_world.signed.bin
dfu "$work/e2.log" -e
check "dfu-util -e after the reset exits 0" test $? -eq 0
dfu "$work/dn2.log" --alt 1 --download "$hello"
check "the next download exits 0" test $? -eq 0
check "it lands at slot1+0x1000 byte for byte" landed "$flash" "$hello"
check "the upgrade is requested" slot1_magic "$flash"
check "slot0 and everything outside slot1 still unchanged" same_outside_slot1 "$work/original.bin" "$flash"

board_reset
expect "Starting bootloader"
expect "Swap type: test"
expect "Hello World! $BOARD"
check "hello_world at the start of slot0" in_slot0 "$flash" "$hello"
board_stop

e2e_done
