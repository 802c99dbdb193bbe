#!/usr/bin/env bash
# dfu-util with a DFU-suffixed file (dfu-suffix -a) and -R: the suffix is
# checked by dfu-util and never reaches the flash; -R makes the device leave
# DFU mode, the bootloader tests the new image without a reset button.
. "$(dirname "$0")/lib.sh"
need_dfu_util
command -v dfu-suffix >/dev/null || { echo "SKIP: dfu-suffix is not installed"; exit 77; }

hello=$images/hello_world.signed.bin
len=$(stat -c %s "$hello")
cp "$hello" "$work/hello.dfu"
dfu-suffix -a "$work/hello.dfu" -v 1209 -p 0002 > "$work/suffix.log" 2>&1 || die "dfu-suffix -a: $(cat "$work/suffix.log")"
check "dfu-suffix added 16 bytes" test "$(stat -c %s "$work/hello.dfu")" -eq $((len + 16))

board_new
board_start
expect "This device supports USB DFU class."
dfu "$work/e.log" -e
check "dfu-util -e exits 0" test $? -eq 0
cp "$flash" "$work/before.bin"
skip_console

dfu "$work/dn.log" --alt 1 --download "$work/hello.dfu" -R
rc=$?
check "download of the suffixed file with -R exits 0" test $rc -eq 0
check "dfu-util accepted the suffix (no suffix warning)" not grep -q 'Invalid DFU suffix' "$work/dn.log"
check "dfu-util matched the suffix IDs" grep -q -i 'ID 1209:0002' "$work/dn.log"
check "the image landed at slot1+0x1000 byte for byte" landed "$flash" "$hello"
check "the 16 suffix bytes are not in flash (erased after the image)" erased "$flash" $((SLOT1_OFF + DOWNLOAD_OFF + len)) 16

# -R: the device leaves DFU mode by itself; no reset button pressed
expect "DFU: leaving DFU mode"
expect "Starting bootloader"
expect "Swap type: test"
expect "Hello World! $BOARD"
check "hello_world now at the start of slot0" in_slot0 "$flash" "$hello"
check "the bootloader partition unchanged by download and swap" same_region "$work/before.bin" "$flash" 0 $((SLOT0_OFF))
check "scratch and storage unchanged" same_region "$work/before.bin" "$flash" $((SCRATCH_OFF)) $((FLASH_SIZE - SCRATCH_OFF))
check "the old DFU sample kept at the start of slot1" cmp -s -n "$(stat -c %s "$images/dfu.signed.bin")" -i $((SLOT1_OFF)):0 "$flash" "$images/dfu.signed.bin"

board_stop

e2e_done
