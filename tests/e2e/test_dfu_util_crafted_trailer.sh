#!/usr/bin/env bash
# A hostile host must not be able to brick the board with unsigned data.
# A 0x76000-byte download is refused with errADDRESS at its last block, but
# the block before it lands in slot1's trailer sector. If those bytes read
# as a revert journal (magic erased, swap_info 4, a sane swap_size), the
# next boot "resumes" a revert that copies slot1 over slot0 unvalidated.
# Expected: the download cannot reach the trailer sector (and/or the
# bootloader validates what a resumed revert would copy); after the reset
# the DFU sample still runs.
. "$(dirname "$0")/lib.sh"
need_dfu_util

# file byte f lands at slot1 offset 0x1000 + f; the trailer sector is the
# last 4 KiB of slot1 (BOOT_MAX_ALIGN 8: swap_size at S-48, swap_info at S-40)
head -c $((SLOT_SIZE)) /dev/urandom > "$work/crafted.bin"
trailer_at=$((SLOT_SIZE - SECTOR - DOWNLOAD_OFF))
{ head -c $((SECTOR - 48)) /dev/zero | tr '\0' '\377'
  printf '\x88\x9d\x00\x00'            # swap_size 40328, little endian
  head -c 4 /dev/zero | tr '\0' '\377'
  printf '\x04'                        # swap_info: revert
  head -c 39 /dev/zero | tr '\0' '\377'
} > "$work/sector.bin"
[ "$(stat -c %s "$work/sector.bin")" -eq $((SECTOR)) ] || die "crafted sector size"
dd if="$work/sector.bin" of="$work/crafted.bin" bs=1 seek=$trailer_at conv=notrunc status=none

board_new
cp "$flash" "$work/original.bin"
board_start
expect "This device supports USB DFU class."
dfu "$work/e.log" -e
dfu "$work/dn.log" --alt 1 --download "$work/crafted.bin"
check "the crafted download fails in dfu-util" test $? -ne 0
check "slot1's trailer sector holds no downloaded byte" erased "$flash" $((SLOT1_OFF + SLOT_SIZE - SECTOR)) $((SECTOR))
skip_console
board_reset
expect "Starting bootloader"
expect "This device supports USB DFU class."
check "slot0 still holds the DFU sample byte for byte" in_slot0 "$flash" "$images/dfu.signed.bin"
check "nothing outside slot1 changed" same_outside_slot1 "$work/original.bin" "$flash"
board_stop

e2e_done
