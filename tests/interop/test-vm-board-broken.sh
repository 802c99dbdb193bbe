#!/usr/bin/env bash
# The tier must fail on a broken device: with DFUBOOT_VBOARD_CORRUPT=
# config-length the board announces a configuration wTotalLength 2 bytes
# longer than what it sends, and the descriptor check in the guest must
# report it. Skips while vboard does not document that variable.
set -euo pipefail
. "$(dirname "$0")/common.sh"
require_board
"$bin/vboard" --help 2>&1 | grep -q DFUBOOT_VBOARD_CORRUPT ||
  skip "vboard does not support DFUBOOT_VBOARD_CORRUPT yet (see docs/interop.md)"
require_vm

board_flash
board_start DFUBOOT_VBOARD_CORRUPT=config-length
share=$work/share
mkdir -p "$share"
t0=$(date +%s.%N)
run_vm -- check-descriptors 1209:
[ "$vm_rc" = 1 ] || fail "check-descriptors on the corrupted board exited $vm_rc, want 1"
grep -q 'wTotalLength .* but only .* bytes were read\|descriptor too short' "$work/vm.log" ||
  fail "the check did not name the corrupt wTotalLength"
board_stop
echo "$test_name: PASS: the corrupted descriptor was caught ($(since "$t0") s)"
