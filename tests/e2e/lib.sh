# Shared helpers for the end-to-end tests: a virtual board running the real
# bootloader and DFU sample, its USB port on loopback, and Debian's dfu-util
# through the libusb-over-USB/IP library. Sourced, not executed:
#
#   E2E_PORT=3301 . lib.sh      (DFUBOOT_BUILD_DIR must be set)
#
# The helpers themselves (checks, console, dfu-util, byte checks) are in
# tests/support/board_test_lib.sh, shared with the tests on the emulated
# chip. `e2e_done` ends a test. Exit 77 = skipped (no dfu-util).
set -u

build=${DFUBOOT_BUILD_DIR:?DFUBOOT_BUILD_DIR must point at the build directory}
bin=$build/bin
images=$build/images
keys=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../keys" && pwd)
port=${E2E_PORT:?E2E_PORT must be set (one TCP port per test)}
TEST_KIND=e2e
MACHINE=host
# the board layout (DFUBOOT_E2E_LAYOUT, default the seed's nRF52840 DK; the
# sanitizer build uses its larger vboard-asan board)
LAYOUT=${DFUBOOT_E2E_LAYOUT:-nrf52840dk}
WAIT_S=20
EXIT_WAIT_S=20
DFU_TIMEOUT_S=60
FLASH_LIVE=1 # the board writes the flash file as it goes
. "$(dirname "${BASH_SOURCE[0]}")/../support/board_test_lib.sh"

for f in "$bin/vboard" "$images/bootloader.bin" "$images/dfu.signed.bin"; do
  [ -e "$f" ] || die "$f is missing (build first)"
done

e2e_done() { board_test_done; }

# board_start [vboard run options...]: powers the board on with its USB port
# on 127.0.0.1:$port (usb_start).
board_start() { usb_start "$@"; }
