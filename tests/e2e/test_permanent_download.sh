#!/usr/bin/env bash
# The permanent-download sample (CONFIG_USB_DFU_PERMANENT_DOWNLOAD +
# CONFIG_USB_DFU_REBOOT): dfu-util downloads from run-time mode (it detaches
# by itself), exits 0 although the device reboots at the end; the bootloader
# makes the swap permanent, and hello_world stays after further resets.
# Before that, hostile requests against the running sample:
# a download to alt 0, garbage as an update (rejected by the bootloader).
. "$(dirname "$0")/lib.sh"
need_dfu_util

hello=$images/hello_world.signed.bin
perm=$images/dfu-permanent.signed.bin
board_new "$perm"
cp "$flash" "$work/original.bin"
board_start
expect "This device supports USB DFU class."

# hostile first: garbage as an update. The class takes it (it cannot know),
# the automatic reboot follows, the bootloader refuses the image, erases the
# request and boots the unchanged sample.
head -c 20000 /dev/urandom > "$work/garbage.bin"
dfu "$work/g.log" -E 1 --alt 1 --download "$work/garbage.bin"
check "garbage download: dfu-util exits 0 (the device cannot check it)" test $? -eq 0
expect "Starting bootloader"
expect "Swap type: perm"
expect "Image in the secondary slot is not valid!"
expect "This device supports USB DFU class."
check "garbage: slot0 unchanged" in_slot0 "$flash" "$perm"
check "garbage: the request is gone" not slot1_magic "$flash"
check "garbage: nothing outside slot1 changed" same_outside_slot1 "$work/original.bin" "$flash"

# download to alt 0 in DFU mode: refused, no flash byte changes
dfu "$work/e.log" -e
cp "$flash" "$work/before_alt0.bin"
dfu "$work/alt0.log" --alt 0 --download "$hello"
check "download to alt 0: dfu-util fails" test $? -ne 0
check "download to alt 0: no flash byte changed" cmp -s "$work/before_alt0.bin" "$flash"
skip_console
board_reset
expect "Swap type: none"
expect "This device supports USB DFU class."

# the story: download from run-time mode, automatic reboot, permanent swap
cp "$flash" "$work/before.bin"
dfu "$work/dn.log" --alt 1 --download "$hello"
rc=$?
check "permanent download: dfu-util exits 0" test $rc -eq 0
check "dfu-util detached the run-time device itself" grep -q 'Device really in Run-Time Mode, send DFU detach request' "$work/dn.log"
expect "DFU: leaving DFU mode"
expect "Starting bootloader"
expect "Secondary image: magic=good, swap_type=0x3"
expect "Swap type: perm"
expect "Hello World! $BOARD"
check "hello_world at the start of slot0" in_slot0 "$flash" "$hello"
check "the bootloader partition unchanged" same_region "$work/before.bin" "$flash" 0 $((SLOT0_OFF))
check "scratch and storage unchanged" same_region "$work/before.bin" "$flash" $((SCRATCH_OFF)) $((FLASH_SIZE - SCRATCH_OFF))

for r in 1 2; do
  board_reset
  expect "Starting bootloader"
  expect "Swap type: none"
  expect "Hello World! $BOARD"
done
check "no revert after two resets" in_slot0 "$flash" "$hello"
board_stop

e2e_done
