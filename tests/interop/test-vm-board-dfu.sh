#!/usr/bin/env bash
# The seed's exact dfu-util commands from the real Linux USB stack, starting
# with the board in runtime mode (dfu-util detaches it itself), with byte
# checks against the flash file:
#   dfu-util --alt 0 --upload slot0_backup.bin      == vboard dump slot0
#   dfu-util --alt 1 --download hello_world.signed.bin  -> slot1 holds it
#   (at the offset vboard info shows, hash and signature valid)
set -euo pipefail
. "$(dirname "$0")/common.sh"
require_board
require_vm

board_flash
board_start
t0=$(date +%s.%N)
run_seed_commands 30
check_slot1_image "$images/hello_world.signed.bin"
board_stop
echo "$test_name: PASS ($(since "$t0") s)"
