#!/usr/bin/env bash
# USB DFU recovery of the emulated chip from the real Linux USB stack: the
# chip (machine qemu-nrf51, the Thumb firmware, USB over its UART to vboard's
# USB/IP bridge) holds no_usb and powers on with the recovery button held
# (vboard run --hold-button: the micro:bit's button A through QEMU's qtest
# socket); the guest's kernel enumerates the bootloader's recovery device
# ("dfuboot recovery"), dfu-util restores the DFU sample, and the kernel then
# sees its run-time device (recovery_story in common.sh).
set -euo pipefail
. "$(dirname "$0")/common.sh"
require_chip bootloader.bin dfu.signed.bin no_usb.signed.bin
require_vm
t0=$(date +%s.%N)
recovery_story qemu-nrf51
echo "$test_name: PASS ($(since "$t0") s)"
