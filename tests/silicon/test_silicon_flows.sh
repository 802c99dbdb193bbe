#!/usr/bin/env bash
# The seed's swap flows run by the Thumb bootloader on the emulated chip,
# with the update placed by `vboard flash` and the request in the trailer
# written by `dfuimg sign --pad` (TEST) / `--pad --confirm` (PERM):
#   TEST: "Swap type: test", hello_world runs; the reset button (SIGUSR1)
#         gives "Swap type: revert" and the DFU sample back byte for byte;
#   PERM: "Swap type: perm", hello_world runs, and stays after a reset.
# The flash file holds the result after each power-off.
. "$(dirname "$0")/lib.sh"

hello_bin=$images/hello_world.bin
dfu_sample=$images/dfu.signed.bin

# --- TEST, then REVERT --------------------------------------------------------
board_new
request_upgrade "$hello_bin" 2.0.0
cp "$flash" "$work/pending.bin"
board_start
expect "I: Secondary image: magic=good"
expect "I: Swap type: test"
expect "I: Starting swap using offset algorithm."
expect "I: Jumping to the first image slot"
expect "Hello World! $BOARD"
board_reset
expect "I: Starting bootloader"
expect "I: Primary image: magic=good, swap_type=0x2, copy_done=0x1, image_ok=0x3"
expect "I: Swap type: revert"
expect "I: Jumping to the first image slot"
expect "<inf> main: This device supports USB DFU class."
board_stop
check "power-off after the revert: exit 0" [ "$board_rc" = 0 ]
check "the DFU sample back in slot0 byte for byte" in_slot0 "$flash" "$dfu_sample"
check "the bootloader untouched" same_region "$work/pending.bin" "$flash" 0 $((SLOT0_OFF))
check "scratch and storage untouched" same_region "$work/pending.bin" "$flash" $((SCRATCH_OFF)) $((FLASH_SIZE - SCRATCH_OFF))

# the swap is kept across a power cycle (flash written back at power-off)
board_new
request_upgrade "$hello_bin" 2.0.0
skip_console
board_start
expect "I: Swap type: test"
expect "Hello World! $BOARD"
board_stop
skip_console
board_start
expect "I: Swap type: revert"
expect "<inf> main: This device supports USB DFU class."
board_stop
check "revert after a power cycle: the DFU sample back" in_slot0 "$flash" "$dfu_sample"

# --- PERM -----------------------------------------------------------------------
board_new "$images/dfu-permanent.signed.bin"
request_upgrade "$hello_bin" 2.0.0 --confirm
skip_console
board_start
expect "I: Secondary image: magic=good"
expect "I: Swap type: perm"
expect "Hello World! $BOARD"
mark=$(wc -l < "$console")
board_reset
expect "I: Starting bootloader"
expect "I: Swap type: none"
expect "Hello World! $BOARD"
board_stop
check "after PERM and a reset: hello_world still runs (no revert)" \
  test "$(console_count "Swap type: revert" "$mark")" = 0

silicon_done
