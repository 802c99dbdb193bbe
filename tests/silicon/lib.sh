# Shared helpers for the tests on the emulated chip (machine qemu-nrf51:
# QEMU's microbit with the nRF52840's flash and RAM, running the Thumb
# firmware of build/images/qemu-nrf51). Sourced, not executed; needs
# DFUBOOT_BUILD_DIR. Exit 77 = skipped (QEMU or the firmware missing).
#
# The helpers themselves (checks, console, dfu-util over the UART link, byte
# checks) are in tests/support/board_test_lib.sh, shared with the
# end-to-end tests. `silicon_done` ends a test. The chip's flash reaches the
# flash file at a reset or a power-off: check its bytes after one.
set -u

build=${DFUBOOT_BUILD_DIR:?DFUBOOT_BUILD_DIR must point at the build directory}
bin=$build/bin
images=$build/images/qemu-nrf51
keys=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../keys" && pwd)
key=${DFUBOOT_SIGNING_KEY:-$keys/dev-rsa-2048.pem}

if ! command -v "${DFUBOOT_QEMU:-qemu-system-arm}" >/dev/null; then
  echo "SKIP: qemu-system-arm is not installed (Debian package qemu-system-arm)"
  exit 77
fi
for f in bootloader.bin dfu.signed.bin dfu-permanent.signed.bin hello_world.bin hello_world.signed.bin; do
  if [ ! -e "$images/$f" ]; then
    echo "SKIP: $images/$f was not built (no arm-none-eabi-gcc or no mbedTLS source for the target)"
    exit 77
  fi
done

TEST_KIND=silicon
MACHINE=qemu-nrf51
LAYOUT=nrf52840dk # the port's
# the chip's time is virtual (-icount): timeouts only guard against a hang
WAIT_S=120
EXIT_WAIT_S=60
DFU_TIMEOUT_S=300 # the UART is slow
FLASH_LIVE=0 # the chip's flash reaches the file at a reset or power-off
port=${SILICON_PORT:-3340}
. "$(dirname "${BASH_SOURCE[0]}")/../support/board_test_lib.sh"

silicon_done() { board_test_done; }

# ops_of STATS_JSON: the chip's flash operations in `vboard run --stats`
ops_of() { sed -n 's/.*"flash_ops": \([0-9]*\).*/\1/p' "$1"; }

# board_start [vboard run options...]: powers the chip on (no USB/IP server;
# usb_start serves its USB over the UART link).
board_start() {
  "$bin/vboard" run "$flash" "$@" >> "$console" 2>&1 &
  board_pid=$!
}

# request_upgrade IMAGE_BIN VERSION [--confirm]: signs IMAGE_BIN with
# `dfuimg sign --pad` for the part of slot1 after the download offset and
# flashes it there: the image at the download offset, the trailer's upgrade
# request (TEST; PERM with --confirm) at the end of slot1.
request_upgrade() {
  local out=$work/request.bin
  "$bin/dfuimg" sign -k "$key" -H 0x200 --pad-header --align 4 -v "$2" -S $((SLOT_SIZE - DOWNLOAD_OFF)) --pad \
    ${3:-} "$1" "$out" >/dev/null 2>&1 || die "dfuimg sign --pad"
  vboard flash "$flash" --offset $((SLOT1_OFF + DOWNLOAD_OFF)) "$out" >/dev/null || die "flash the request"
}
