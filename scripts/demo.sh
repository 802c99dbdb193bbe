#!/usr/bin/env bash
# The seed's story, scripted on the virtual board:
#   flash the bootloader and the signed DFU sample; back up slot0 over USB;
#   download hello_world; reset: test swap; reset: revert; then the
#   permanent-download variant: download, automatic reboot, permanent swap;
#   then the variant's warning as a story: a permanent download of an
#   application without USB leaves no DFU device, and the bootloader's USB
#   DFU recovery (the button held at power-on) brings the DFU sample back.
# DFUBOOT_DEMO_BOARD (make demo BOARD=...) picks the board: vboard (default,
# the firmware as Linux processes) or qemu-nrf51 (the Thumb firmware on
# QEMU's emulated nRF51, USB carried over its UART: docs/port-nrf5.md).
# Each step says what it does and checks what it expects; any failure stops
# the story with a message and a non-zero exit.
set -euo pipefail

build=$(cd "${1:-build}" && pwd)
bin=$build/bin
images=$build/images
work=${DFUBOOT_DEMO_DIR:-$build/demo}
port=${DFUBOOT_DEMO_PORT:-3240}
layout=${DFUBOOT_DEMO_LAYOUT:-nrf52840dk}
create_opts=()
wait_s=20
flash_saved_at_reset=0 # 1: flash.bin lags the chip until a reset or power-off
case ${DFUBOOT_DEMO_BOARD:-vboard} in
  vboard) ;;
  qemu-nrf51)
    # the images built for the chip, a flash file for the emulated machine;
    # the chip's time is virtual and slower than the host's: longer waits
    images=$build/images/qemu-nrf51
    create_opts=(--machine qemu-nrf51)
    wait_s=120
    flash_saved_at_reset=1
    command -v "${DFUBOOT_QEMU:-qemu-system-arm}" >/dev/null ||
      { echo "demo: qemu-system-arm is not installed (Debian package qemu-system-arm; make bootstrap)" >&2; exit 1; }
    ;;
  *) echo "demo: unknown board '$DFUBOOT_DEMO_BOARD' (vboard or qemu-nrf51)" >&2; exit 2 ;;
esac
dfu_util=$bin/vboard-dfu-util
export DFUBOOT_USBIP=127.0.0.1:$port

rm -rf "$work"
mkdir -p "$work"
cd "$work"
console=$work/console.log
board_pid=
seen=0

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
die() { printf '\ndemo: FAILED: %s\n' "$*" >&2; [ -f "$console" ] && { echo "--- console ---" >&2; cat "$console" >&2; }; exit 1; }
run() { echo "\$ $*"; "$@" || die "command failed: $*"; }
cleanup() { [ -n "$board_pid" ] && kill -TERM "$board_pid" 2>/dev/null && wait "$board_pid" 2>/dev/null; true; }
trap cleanup EXIT

# expect "text" [seconds]: waits for a console line containing text, after
# everything already matched (so old lines never satisfy a new step).
expect() {
  local deadline=$((SECONDS + ${2:-$wait_s})) n
  while :; do
    n=$(tail -n +$((seen + 1)) "$console" | grep -n -F -m1 -- "$1" | cut -d: -f1 || true)
    if [ -n "$n" ]; then
      seen=$((seen + n))
      echo "   console: $(sed -n "${seen}p" "$console")"
      return 0
    fi
    [ $SECONDS -ge $deadline ] && die "no console line with '$1'"
    kill -0 "$board_pid" 2>/dev/null || die "the board stopped"
    sleep 0.1
  done
}

# check_slot1: the downloaded image is in flash.bin's slot1 byte for byte
check_slot1() {
  run vboard info flash.bin | tee info.txt
  # the update sits where the bootloader wants it: at the slot's second sector
  at=$(sed -n '/^slot1/,/^scratch/s/.*image at +\(0x[0-9a-f]*\).*/\1/p' info.txt)
  [ -n "$at" ] || die "no image found in slot1"
  run vboard dump flash.bin --partition slot1 -o slot1_now.bin
  cmp -n "$(stat -c %s "$images/hello_world.signed.bin")" -i "$((at)):0" slot1_now.bin "$images/hello_world.signed.bin" \
    || die "slot1 does not hold the downloaded image byte for byte"
  echo "   slot1 holds the downloaded image at +$at byte for byte"
}

power_on() {
  "$bin/vboard" run flash.bin --usbip "127.0.0.1:$port" "$@" >> "$console" 2>&1 &
  board_pid=$!
}
power_off() { kill -TERM "$board_pid"; wait "$board_pid" || true; board_pid=; }
reset_soc() { echo "\$ (press reset)"; kill -USR1 "$board_pid"; }
vboard() { "$bin/vboard" "$@"; }

for f in "$images/bootloader.bin" "$images/dfu.signed.bin" "$images/dfu-permanent.signed.bin" \
         "$images/hello_world.signed.bin" "$images/no_usb.signed.bin" "$dfu_util"; do
  [ -e "$f" ] || die "$f is missing (run 'make' first)"
done
command -v dfu-util >/dev/null || die "dfu-util is not installed (make bootstrap installs it)"
: > "$console"

say "1. An empty $layout flash; the bootloader and the signed DFU sample at SLOT-0"
run vboard create flash.bin --layout "$layout" "${create_opts[@]}"
board=$(vboard info flash.bin | sed -n '1s/.*(board \(.*\)).*/\1/p')
run vboard flash flash.bin --partition mcuboot "$images/bootloader.bin"
run vboard flash flash.bin --partition slot0 "$images/dfu.signed.bin"

say "2. Power on: the bootloader starts the DFU sample"
power_on
expect "Starting bootloader"
expect "Jumping to the first image slot"
expect "This device supports USB DFU class."

say "3. Back up SLOT-0 over USB"
run "$dfu_util" --alt 0 --upload slot0_backup.bin
run vboard dump flash.bin --partition slot0 -o slot0_now.bin
cmp slot0_backup.bin slot0_now.bin || die "the backup differs from slot0"
echo "   backup equals slot0 byte for byte ($(stat -c %s slot0_backup.bin) bytes)"

say "4. Download hello_world into SLOT-1"
run "$dfu_util" --alt 1 --download "$images/hello_world.signed.bin"
if [ "$flash_saved_at_reset" = 0 ]; then
  check_slot1
else
  echo "   (the emulated chip writes its flash back to flash.bin at the reset: slot1 is checked there)"
fi

say "5. Reset the SoC: the bootloader tests the new image"
reset_soc
expect "Starting bootloader"
[ "$flash_saved_at_reset" = 0 ] || check_slot1
expect "Secondary image: magic=good, swap_type=0x2"
expect "Swap type: test"
expect "Jumping to the first image slot"
expect "Hello World! $board"

say "6. Reset again: hello_world did not confirm itself, so the bootloader reverts"
reset_soc
expect "Starting bootloader"
expect "Swap type: revert"
expect "Jumping to the first image slot"
expect "This device supports USB DFU class."
power_off

say "7. Permanent download and automatic reboot (overlay-permanent-download)"
run vboard create flash.bin --layout "$layout" "${create_opts[@]}" --force
run vboard flash flash.bin --partition mcuboot "$images/bootloader.bin"
run vboard flash flash.bin --partition slot0 "$images/dfu-permanent.signed.bin"
power_on
expect "This device supports USB DFU class."
run "$dfu_util" --alt 1 --download "$images/hello_world.signed.bin"
expect "Starting bootloader"
expect "Secondary image: magic=good, swap_type=0x3"
expect "Swap type: perm"
expect "Hello World! $board"

say "8. A further reset stays on hello_world"
reset_soc
expect "Starting bootloader"
expect "Swap type: none"
expect "Hello World! $board"
power_off

say "9. The warning of the permanent download: an application without USB, installed for good"
run vboard create flash.bin --layout "$layout" "${create_opts[@]}" --force
run vboard flash flash.bin --partition mcuboot "$images/bootloader.bin"
run vboard flash flash.bin --partition slot0 "$images/dfu-permanent.signed.bin"
power_on
expect "This device supports USB DFU class."
run "$dfu_util" --alt 1 --download "$images/no_usb.signed.bin"
expect "Swap type: perm"
expect "no_usb: running on $board without USB"

say "10. Two resets: no_usb stays, and no DFU device appears"
for r in 1 2; do
  reset_soc
  expect "Swap type: none"
  expect "no_usb: running on $board without USB"
done
echo "\$ $dfu_util -l"
"$dfu_util" -l > list.txt 2>&1 || true
grep -q "Found DFU" list.txt && die "a DFU device is listed: $(grep 'Found DFU' list.txt)"
echo "   dfu-util finds no DFU device"
power_off

say "11. Recovery: power on with the button held; the bootloader is the DFU device"
echo "\$ vboard run flash.bin --usbip 127.0.0.1:$port --hold-button"
[ "${DFUBOOT_DEMO_BOARD:-vboard}" = qemu-nrf51 ] &&
  echo "   (on the emulated micro:bit the button is button A, P0.17, held low through QEMU's qtest socket)"
power_on --hold-button
expect "Entering USB DFU recovery: button pressed"
run "$dfu_util" --alt 1 --download "$images/dfu.signed.bin"
expect "Recovery image 1.0.0+0 valid; installing it as a permanent upgrade"
expect "Swap type: perm"
expect "This device supports USB DFU class."

say "12. A final reset: the DFU sample stays"
reset_soc
expect "Swap type: none"
expect "This device supports USB DFU class."
power_off

say "The story ran as the sample describes."
