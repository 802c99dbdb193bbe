#!/usr/bin/env bash
# The seed's dfu-util commands from the real Linux USB stack (usbip attach,
# vhci-hcd, usbcore, Debian's dfu-util in the guest) against the emulated
# chip: the Thumb firmware on QEMU's nRF51, its USB carried over the UART
# link to vboard's USB/IP bridge (machine qemu-nrf51, vboard run --usbip):
#   dfu-util --alt 0 --upload slot0_backup.bin      == vboard dump slot0
#   dfu-util --alt 1 --download hello_world.signed.bin
# then the reset writes the chip's flash back (slot1 holds the image) and
# the bootloader tests it ("Swap type: test", "Hello World!").
set -euo pipefail
. "$(dirname "$0")/common.sh"
require_chip bootloader.bin dfu.signed.bin hello_world.signed.bin
require_vm

board_flash qemu-nrf51
board_start
t0=$(date +%s.%N)
run_seed_commands 60
# the chip's flash reaches the flash file at the reset
board_reset
expect_console "I: Starting bootloader" 60
check_slot1_image "$images/hello_world.signed.bin"
expect_console "I: Swap type: test" 120
expect_console "Hello World! nrf52840dk_nrf52840" 120
board_stop
echo "$test_name: PASS ($(since "$t0") s)"
