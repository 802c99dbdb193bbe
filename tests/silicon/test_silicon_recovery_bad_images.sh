#!/usr/bin/env bash
# The Thumb bootloader's recovery and the images it must refuse, over the
# UART link: tests/support/recovery_bad_images.sh (the same story runs on
# the virtual board as test_e2e_recovery_bad_images).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../support/recovery_bad_images.sh"
silicon_done
