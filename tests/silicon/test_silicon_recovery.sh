#!/usr/bin/env bash
# USB DFU recovery in the Thumb bootloader, each way in, over the UART link:
# tests/support/recovery_entry.sh (the same story runs on the virtual board
# as test_e2e_recovery_entry). The button is the micro:bit's button A,
# held through QEMU's qtest socket.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../support/recovery_entry.sh"
silicon_done
