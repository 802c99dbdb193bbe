#!/usr/bin/env bash
# USB DFU recovery from the real Linux USB stack on the virtual board: the
# board holds no_usb and powers on with the recovery button held; the guest's
# kernel enumerates the bootloader's recovery device ("dfuboot recovery"),
# dfu-util restores the DFU sample, the kernel then sees its run-time device
# (recovery_story in common.sh; test-vm-silicon-recovery.sh does the same on
# the emulated chip).
set -euo pipefail
. "$(dirname "$0")/common.sh"
require_board
require_vm
t0=$(date +%s.%N)
recovery_story host
echo "$test_name: PASS ($(since "$t0") s)"
