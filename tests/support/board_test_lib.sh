# What the end-to-end tests (tests/e2e, the virtual board) and the tests on
# the emulated chip (tests/silicon, machine qemu-nrf51) share: a flash file
# of a layout, a board powered on by `vboard run` with its console in a file,
# Debian's dfu-util through the libusb-over-USB/IP library, and byte checks
# on the flash file. Sourced by tests/e2e/lib.sh and tests/silicon/lib.sh,
# which set first:
#   TEST_KIND       e2e | silicon (names the work folder and the *_KEEP variable)
#   MACHINE         host | qemu-nrf51 (vboard create --machine)
#   LAYOUT          the flash layout
#   WAIT_S          expect's default timeout (the chip's time is virtual:
#                   there it only guards against a hang)
#   EXIT_WAIT_S     board_wait_exit's default timeout
#   DFU_TIMEOUT_S   dfu-util's limit (the UART link is slow)
#   FLASH_LIVE      1: the flash file follows the board's writes at once;
#                   0: only at a reset or a power-off (the chip's)
#   port            the first TCP port to try for the board's USB/IP server
# and `images`, `build`, `bin`.
#
# Checks: `check "what" cmd...` counts a pass or a failure and goes on;
# `die "why"` stops the test (console shown); `board_test_done` ends it with
# the summary and the right exit status.

dfu_util=$bin/vboard-dfu-util
export DFUBOOT_USBIP=127.0.0.1:$port

work=$(mktemp -d "${TMPDIR:-/tmp}/dfuboot-$TEST_KIND.XXXXXX")
flash=$work/flash.bin
console=$work/console.log
board_pid=
board_rc=
seen=0
passes=0
fails=0
: > "$console"

# The layout's offsets and sizes in bytes, from `vboard info --json`, so the
# tests hold for any layout: BOARD, FLASH_SIZE, <PARTITION>_OFF/_SIZE,
# SECTOR; SLOT_SIZE; DOWNLOAD_OFF (update images start at slot1's second
# sector: swap using offset).
"$bin/vboard" create "$work/layout-probe.bin" --layout "$LAYOUT" --machine "$MACHINE" >/dev/null ||
  { echo "FAIL (fatal): vboard create --layout $LAYOUT --machine $MACHINE"; exit 1; }
eval "$("$bin/vboard" info "$work/layout-probe.bin" --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
print("BOARD=%s FLASH_SIZE=%d" % (d["board"], d["flash_size"]))
for p in d["partitions"]:
    print("%s_OFF=%d %s_SIZE=%d SECTOR=%d" % (p["name"].upper(), p["offset"], p["name"].upper(), p["size"], p["sector_size"]))
')"
rm -f "$work/layout-probe.bin" "$work/layout-probe.bin.layout"
SLOT_SIZE=$SLOT0_SIZE
DOWNLOAD_OFF=$SECTOR

board_test_cleanup() {
  local keep=${TEST_KIND^^}_KEEP
  if [ -n "$board_pid" ]; then
    kill -TERM "$board_pid" 2>/dev/null
    wait "$board_pid" 2>/dev/null
  fi
  if [ "${!keep:-0}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap board_test_cleanup EXIT

show_console() { echo "--- console ($console, last 200 lines) ---"; tail -n 200 "$console"; echo "---"; }
die() { echo "FAIL (fatal): $*"; show_console; fails=$((fails + 1)); echo "$passes passed, $fails failed"; exit 1; }
ok() { passes=$((passes + 1)); echo "ok: $*"; }
bad() { fails=$((fails + 1)); echo "FAIL: $*"; }
# check "description" cmd...: runs cmd, counts a pass or a failure
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
not() { ! "$@"; }
board_test_done() { echo "$passes passed, $fails failed"; [ "$fails" -eq 0 ] || show_console; [ "$fails" -eq 0 ]; exit $?; }

need_dfu_util() {
  command -v dfu-util >/dev/null || { echo "SKIP: dfu-util is not installed"; exit 77; }
  [ -x "$dfu_util" ] || { echo "SKIP: $dfu_util was not built (no libusb-1.0 header)"; exit 77; }
}

vboard() { "$bin/vboard" "$@"; }

# board_new [SLOT0_IMAGE]: an erased flash of the layout with the bootloader
# and (default) the signed DFU sample in slot0.
board_new() {
  vboard create "$flash" --layout "$LAYOUT" --machine "$MACHINE" --force >/dev/null || die "vboard create"
  vboard flash "$flash" --partition mcuboot "$images/bootloader.bin" >/dev/null || die "flash bootloader"
  vboard flash "$flash" --partition slot0 "${1:-$images/dfu.signed.bin}" >/dev/null || die "flash slot0"
}

# usb_start [vboard run options...]: powers the board on with its USB port
# on 127.0.0.1:$port. If the port is taken (another test run on this
# machine), the next free one is used and DFUBOOT_USBIP follows.
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

# board_stop: power off (SIGTERM); board_rc is vboard's exit status.
board_stop() {
  [ -n "$board_pid" ] || return 0
  kill -TERM "$board_pid" 2>/dev/null
  wait "$board_pid"
  board_rc=$?
  board_pid=
}

# board_wait_exit [seconds]: waits for vboard to end by itself (a power cut).
board_wait_exit() {
  local deadline=$((SECONDS + ${1:-$EXIT_WAIT_S}))
  while kill -0 "$board_pid" 2>/dev/null; do
    [ $SECONDS -ge $deadline ] && { board_stop; board_rc=timeout; return 1; }
    sleep 0.02
  done
  wait "$board_pid"
  board_rc=$?
  board_pid=
}

board_reset() { kill -USR1 "$board_pid"; }

# expect "text" [seconds]: waits for a console line containing text, after
# everything matched so far (old lines never satisfy a new step); fatal on
# timeout or if the board stops.
expect() {
  local deadline=$((SECONDS + ${2:-$WAIT_S})) n
  while :; do
    n=$(tail -n +$((seen + 1)) "$console" | grep -n -F -m1 -- "$1" | cut -d: -f1 || true)
    if [ -n "$n" ]; then
      seen=$((seen + n))
      ok "console: $1"
      return 0
    fi
    [ $SECONDS -ge $deadline ] && die "no console line with '$1' within ${2:-$WAIT_S} s"
    [ -n "$board_pid" ] && ! kill -0 "$board_pid" 2>/dev/null && die "the board stopped while waiting for '$1'"
    sleep 0.05
  done
}

# wait_app [seconds]: after a power-on, which program printed its first
# line since the last match: dfu (the DFU sample), hello (hello_world),
# no_usb, halted (the bootloader gave up), stopped (the board ended) or
# timeout (default WAIT_S).
wait_app() {
  local deadline=$((SECONDS + ${1:-$WAIT_S})) tail_
  while :; do
    tail_=$(tail -n +$((seen + 1)) "$console")
    if grep -q -F "This device supports USB DFU class." <<<"$tail_"; then echo dfu; return; fi
    if grep -q -F "Hello World! $BOARD" <<<"$tail_"; then echo hello; return; fi
    if grep -q -F "no_usb: running on $BOARD without USB" <<<"$tail_"; then echo no_usb; return; fi
    if grep -q -F "*** board halted" <<<"$tail_"; then echo halted; return; fi
    [ $SECONDS -ge $deadline ] && { echo timeout; return; }
    kill -0 "$board_pid" 2>/dev/null || { echo stopped; return; }
    sleep 0.02
  done
}

# expect_not "text": no console line containing text since the last match
expect_not() { ! tail -n +$((seen + 1)) "$console" | grep -q -F -- "$1"; }
# skip_console: forget everything printed so far
skip_console() { seen=$(wc -l < "$console"); }
# console_count TEXT [MARK]: console lines containing TEXT after line MARK
# (default: after everything matched so far).
console_count() { tail -n +$((${2:-$seen} + 1)) "$console" | grep -c -F -- "$1"; }

# dfu LOG args...: runs dfu-util through the library (at most DFU_TIMEOUT_S),
# output in LOG; returns dfu-util's exit status (124 if it hung).
dfu() {
  local log=$1; shift
  echo "\$ dfu-util $*" > "$log"
  (cd "$work" && timeout "$DFU_TIMEOUT_S" "$dfu_util" "$@") >> "$log" 2>&1
}

# Byte checks on flash files (the chip's flash reaches its file at a reset
# or a power-off: check after one).
# region FILE OFF LEN OUT: copies bytes [OFF, OFF+LEN) of FILE to OUT
region() { tail -c +$(($2 + 1)) "$1" | head -c $(($3)) > "$4"; }
# same_region A B OFF LEN: files A and B hold the same bytes in [OFF, OFF+LEN)
same_region() { cmp -s -n $(($4)) -i $(($3)):$(($3)) "$1" "$2"; }
# erased FILE OFF LEN: bytes [OFF, OFF+LEN) of FILE are all 0xff
erased() { [ "$(tail -c +$(($2 + 1)) "$1" | head -c $(($3)) | tr -d '\377' | wc -c)" -eq 0 ]; }
# same_outside_slot1 A B: everything but slot1 (bootloader, slot0, scratch, storage) is equal
same_outside_slot1() {
  same_region "$1" "$2" 0 $((SLOT1_OFF)) && same_region "$1" "$2" $((SLOT1_OFF + SLOT_SIZE)) $((FLASH_SIZE - SLOT1_OFF - SLOT_SIZE))
}
# landed FLASH IMAGE: IMAGE is in slot1 at the download offset, byte for byte
landed() { cmp -s -n "$(stat -c %s "$2")" -i $((SLOT1_OFF + DOWNLOAD_OFF)):0 "$1" "$2"; }
# in_slot0 FLASH IMAGE: IMAGE is at the start of slot0, byte for byte
in_slot0() { cmp -s -n "$(stat -c %s "$2")" -i $((SLOT0_OFF)):0 "$1" "$2"; }
# the MCUboot trailer magic (BOOT_MAX_ALIGN 8) at the end of slot1: an upgrade is pending
slot1_magic() {
  [ "$(od -An -tx1 -j $((SLOT1_OFF + SLOT_SIZE - 16)) -N 16 "$1" | tr -d ' \n')" = 77c295f360d2ef7f3552500f2cb67980 ]
}

# usb_product [VID:PID]: the product string of the board's USB device (default
# the DFU-mode IDs 1209:0002), read through the libusb-over-USB/IP library
# as a host would; empty when there is no such device.
usb_product() {
  local ids=${1:-1209:0002} lib=$build/lib/libusb-1.0.so.0 asan
  # an instrumented library (the sanitizer build) needs its runtime first
  asan=$(ldd "$lib" 2>/dev/null | awk '/libclang_rt\.asan/ {print $3}')
  LD_PRELOAD=$asan ASAN_OPTIONS=detect_leaks=0 python3 "$(dirname "${BASH_SOURCE[0]}")/usb_product.py" \
    "$lib" "$ids" 2>/dev/null
}
