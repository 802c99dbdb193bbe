# Shared helpers for the tests on the emulated chip (machine qemu-nrf51:
# QEMU's microbit with the nRF52840's flash and RAM, running the Thumb
# firmware of build/images/qemu-nrf51). Sourced, not executed; needs
# DFUBOOT_BUILD_DIR. Exit 77 = skipped (QEMU or the firmware missing).
#
# Checks: `check "what" cmd...` counts a pass or a failure and goes on;
# `die "why"` stops the test (console shown); `silicon_done` ends it.
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

work=$(mktemp -d "${TMPDIR:-/tmp}/dfuboot-silicon.XXXXXX")
flash=$work/flash.bin
console=$work/console.log
board_pid=
board_rc=
seen=0
passes=0
fails=0
: > "$console"

# the nrf52840dk layout (the port's): offsets from vboard info --json
"$bin/vboard" create "$work/probe.bin" --layout nrf52840dk --machine qemu-nrf51 >/dev/null ||
  { echo "FAIL (fatal): vboard create --machine qemu-nrf51"; exit 1; }
eval "$("$bin/vboard" info "$work/probe.bin" --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
print("BOARD=%s FLASH_SIZE=%d" % (d["board"], d["flash_size"]))
for p in d["partitions"]:
    print("%s_OFF=%d %s_SIZE=%d SECTOR=%d" % (p["name"].upper(), p["offset"], p["name"].upper(), p["size"], p["sector_size"]))
')"
rm -f "$work/probe.bin" "$work/probe.bin.layout"
SLOT_SIZE=$SLOT0_SIZE
DOWNLOAD_OFF=$SECTOR # update images start at slot1's second sector (swap using offset)

silicon_cleanup() {
  if [ -n "$board_pid" ]; then
    kill -TERM "$board_pid" 2>/dev/null
    wait "$board_pid" 2>/dev/null
  fi
  if [ "${SILICON_KEEP:-0}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap silicon_cleanup EXIT

show_console() { echo "--- console ($console) ---"; tail -n 60 "$console"; echo "---"; }
die() { echo "FAIL (fatal): $*"; show_console; fails=$((fails + 1)); echo "$passes passed, $fails failed"; exit 1; }
ok() { passes=$((passes + 1)); echo "ok: $*"; }
bad() { fails=$((fails + 1)); echo "FAIL: $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
silicon_done() { echo "$passes passed, $fails failed"; [ "$fails" -eq 0 ] || show_console; [ "$fails" -eq 0 ]; exit $?; }

vboard() { "$bin/vboard" "$@"; }

# board_new [SLOT0_IMAGE]: an erased qemu-nrf51 flash file with the Thumb
# bootloader and (default) the signed DFU sample in slot0.
board_new() {
  rm -f "$flash" "$flash.layout"
  vboard create "$flash" --layout nrf52840dk --machine qemu-nrf51 >/dev/null || die "vboard create"
  vboard flash "$flash" --partition mcuboot "$images/bootloader.bin" >/dev/null || die "flash bootloader"
  vboard flash "$flash" --partition slot0 "${1:-$images/dfu.signed.bin}" >/dev/null || die "flash slot0"
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

# board_start [vboard run options...]: powers the chip on.
board_start() {
  "$bin/vboard" run "$flash" "$@" >> "$console" 2>&1 &
  board_pid=$!
}

# board_stop: power off (SIGTERM); board_rc is vboard's exit status.
board_stop() {
  [ -n "$board_pid" ] || return 0
  kill -TERM "$board_pid" 2>/dev/null
  wait "$board_pid"
  board_rc=$?
  board_pid=
}

# board_wait_exit [seconds]: waits for vboard to end by itself.
board_wait_exit() {
  local deadline=$((SECONDS + ${1:-60}))
  while kill -0 "$board_pid" 2>/dev/null; do
    [ $SECONDS -ge $deadline ] && { board_stop; board_rc=timeout; return 1; }
    sleep 0.02
  done
  wait "$board_pid"
  board_rc=$?
  board_pid=
}

board_reset() { kill -USR1 "$board_pid"; }

# expect "text" [seconds]: a console line containing text after everything
# matched so far; fatal on timeout or if the board stops. The chip's time
# is virtual (-icount): the timeout only guards against a hang of the test.
expect() {
  local deadline=$((SECONDS + ${2:-120})) n
  while :; do
    n=$(tail -n +$((seen + 1)) "$console" | grep -n -F -m1 -- "$1" | cut -d: -f1 || true)
    if [ -n "$n" ]; then
      seen=$((seen + n))
      ok "console: $1"
      return 0
    fi
    [ $SECONDS -ge $deadline ] && die "no console line with '$1' within ${2:-120} s"
    [ -n "$board_pid" ] && ! kill -0 "$board_pid" 2>/dev/null && die "the board stopped while waiting for '$1'"
    sleep 0.05
  done
}

skip_console() { seen=$(wc -l < "$console"); }
expect_not() { ! tail -n +$((seen + 1)) "$console" | grep -q -F -- "$1"; }

same_region() { cmp -s -n $(($4)) -i $(($3)):$(($3)) "$1" "$2"; }
in_slot0() { cmp -s -n "$(stat -c %s "$2")" -i $((SLOT0_OFF)):0 "$1" "$2"; }

# --- USB over the UART link (vboard run --usbip on qemu-nrf51) ---------------
dfu_util=$bin/vboard-dfu-util
port=${SILICON_PORT:-3340}
export DFUBOOT_USBIP=127.0.0.1:$port

need_dfu_util() {
  command -v dfu-util >/dev/null || { echo "SKIP: dfu-util is not installed"; exit 77; }
  [ -x "$dfu_util" ] || { echo "SKIP: $dfu_util was not built (no libusb-1.0 header)"; exit 77; }
}

# usb_start [vboard run options...]: powers the chip on with its USB (over
# the UART) served on 127.0.0.1:$port; a port taken by another run on this
# machine moves it up, and DFUBOOT_USBIP follows.
usb_start() {
  local tries mark
  for tries in 1 2 3 4 5 6 7 8; do
    mark=$(wc -l < "$console")
    "$bin/vboard" run "$flash" --usbip "127.0.0.1:$port" "$@" >> "$console" 2>&1 &
    board_pid=$!
    sleep 0.05
    if ! kill -0 "$board_pid" 2>/dev/null && tail -n +$((mark + 1)) "$console" | grep -q "cannot listen"; then
      wait "$board_pid" 2>/dev/null
      board_pid=
      port=$((port + 100))
      export DFUBOOT_USBIP=127.0.0.1:$port
      continue
    fi
    return 0
  done
  die "no free TCP port for the board's USB/IP server"
}

# dfu LOG args...: dfu-util through the libusb shim (at most 300 s: the UART
# is slow), output in LOG; returns dfu-util's exit status (124: it hung).
dfu() {
  local log=$1; shift
  echo "\$ dfu-util $*" > "$log"
  (cd "$work" && timeout 300 "$dfu_util" "$@") >> "$log" 2>&1
}

not() { ! "$@"; }
# The chip's flash reaches the flash file at a reset or power-off: check
# these after one.
landed() { cmp -s -n "$(stat -c %s "$2")" -i $((SLOT1_OFF + DOWNLOAD_OFF)):0 "$1" "$2"; }
same_outside_slot1() {
  same_region "$1" "$2" 0 $((SLOT1_OFF)) && same_region "$1" "$2" $((SLOT1_OFF + SLOT_SIZE)) $((FLASH_SIZE - SLOT1_OFF - SLOT_SIZE))
}
slot1_magic() {
  [ "$(od -An -tx1 -j $((SLOT1_OFF + SLOT_SIZE - 16)) -N 16 "$1" | tr -d ' \n')" = 77c295f360d2ef7f3552500f2cb67980 ]
}

# usb_product [VID:PID]: the product string of the chip's USB device (default
# the DFU-mode IDs 1209:0002) through the libusb-over-USB/IP library, as a
# host reads it; empty when there is no such device.
usb_product() {
  python3 "$(dirname "${BASH_SOURCE[0]}")/../support/usb_product.py" "$build/lib/libusb-1.0.so.0" \
    "${1:-1209:0002}" 2>/dev/null
}

# console_count TEXT: console lines containing TEXT after the mark set by
# skip_console (or everything matched so far).
console_count() { tail -n +$((${2:-$seen} + 1)) "$console" | grep -c -F -- "$1"; }
