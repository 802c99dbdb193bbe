#!/usr/bin/env bash
# Recovery mode and the images it must refuse, on the virtual board:
# tests/support/recovery_bad_images.sh (the same story runs on the emulated
# chip as test_silicon_recovery_bad_images).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../support/recovery_bad_images.sh"
e2e_done
