#!/usr/bin/env bash
# USB DFU recovery, each way in, on the virtual board:
# tests/support/recovery_entry.sh (the same story runs on the emulated chip
# as test_silicon_recovery).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../support/recovery_entry.sh"
e2e_done
