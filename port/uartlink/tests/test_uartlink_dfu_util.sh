#!/bin/bash
# Debian's dfu-util, through dfuboot's libusb-over-USB/IP library, the
# uart-usb-bridge program and the UART link, to the real USB core and DFU
# class running in the firmware stand-in (uartlink_dfu_device): list, a
# download to alt 1 byte-checked in the flash file, an upload of slot0
# through alt 0 byte-checked; then the device vanishes and dfu-util fails
# cleanly instead of hanging; then it comes back and the bridge, started
# with --reconnect, serves it again. Exit 77 = skipped (no dfu-util).
set -u
build=${DFUBOOT_BUILD_DIR:?DFUBOOT_BUILD_DIR must point at the build directory}
dfu_util=$build/bin/vboard-dfu-util
command -v dfu-util >/dev/null || { echo "SKIP: dfu-util is not installed"; exit 77; }
[ -x "$dfu_util" ] || { echo "SKIP: $dfu_util was not built (no libusb-1.0 header)"; exit 77; }

work=$(mktemp -d "${TMPDIR:-/tmp}/uartlink-dfu-util.XXXXXX")
dev_pid=
bridge_pid=
cleanup() {
  for p in $bridge_pid $dev_pid; do kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
passes=0 fails=0
ok() { passes=$((passes + 1)); echo "ok: $*"; }
bad() { fails=$((fails + 1)); echo "FAIL: $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

# the nRF52840 DK layout: slot0 at 0xc000 (472 KiB), slot1 at 0x82000,
# downloads start at slot1's second 4 KiB sector
SLOT0_OFF=$((0xc000)) SLOT0_SIZE=$((0x76000)) SLOT1_OFF=$((0x82000)) DL_OFF=4096
python3 - "$work/flash.bin" "$SLOT0_OFF" "$SLOT0_SIZE" <<'PY'
import sys
path, off, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
f = bytearray(b"\xff" * (1024 * 1024))
f[off:off + size] = bytes((i * 13 + (i >> 9)) & 0xff for i in range(size))
open(path, "wb").write(f)
open(path + ".slot0", "wb").write(f[off:off + size])
PY
head -c 50000 /dev/urandom > "$work/update.bin"

"$build/tests/uartlink_dfu_device" --listen "$work/uart.sock" --flash "$work/flash.bin" 2>"$work/device.log" &
dev_pid=$!
"$build/bin/uart-usb-bridge" --uart "unix:$work/uart.sock" --usbip 127.0.0.1:0 --port-file "$work/port" \
  --reconnect >"$work/console.log" 2>"$work/bridge.log" &
bridge_pid=$!
for _ in $(seq 200); do [ -s "$work/port" ] && break; sleep 0.05; done
[ -s "$work/port" ] || { echo "FAIL: the bridge did not start"; cat "$work/bridge.log"; exit 1; }
export DFUBOOT_USBIP=127.0.0.1:$(cat "$work/port")

list_ok() { timeout 60 "$dfu_util" -l 2>&1 | tee "$work/list.txt" | grep -q '1209:0001'; }
for _ in $(seq 50); do list_ok && break; sleep 0.1; done
check "dfu-util -l sees the device over the UART link" grep -q '1209:0001' "$work/list.txt"

check "download to alt 1" timeout 120 "$dfu_util" -a 1 -D "$work/update.bin"
python3 - "$work/flash.bin" $((SLOT1_OFF + DL_OFF)) "$work/update.bin" <<'PY' && ok "downloaded bytes in slot1" || bad "downloaded bytes in slot1"
import sys
f = open(sys.argv[1], "rb").read()
off = int(sys.argv[2]); want = open(sys.argv[3], "rb").read()
sys.exit(0 if f[off:off + len(want)] == want else 1)
PY
rm -f "$work/up.bin"
check "upload of slot0 through alt 0" timeout 120 "$dfu_util" -a 0 -U "$work/up.bin"
check "uploaded bytes equal slot0" cmp "$work/up.bin" "$work/flash.bin.slot0"
check "console text passed through" grep -q "This device supports USB DFU class." "$work/console.log"

# the device vanishes: dfu-util gets an error, in bounded time
kill -KILL "$dev_pid"; wait "$dev_pid" 2>/dev/null; dev_pid=
start=$(date +%s)
if timeout 60 "$dfu_util" -a 1 -D "$work/update.bin" >"$work/gone.txt" 2>&1; then
  bad "download to a vanished device fails"
else
  rc=$?
  check "download to a vanished device fails without hanging (rc $rc)" test "$rc" -ne 124
fi
check "... quickly" test $(( $(date +%s) - start )) -lt 30
check "the bridge reported the closed stream" grep -q "stream closed" "$work/bridge.log"
kill -0 "$bridge_pid" 2>/dev/null && ok "the bridge keeps serving" || bad "the bridge keeps serving"

# the device comes back on the same socket (QEMU started again): the bridge
# reconnects and dfu-util finds it. This time the device moves its bytes as
# an interrupt handler would (6-byte RX FIFO bursts).
"$build/tests/uartlink_dfu_device" --listen "$work/uart.sock" --flash "$work/flash.bin" --irq 2>>"$work/device.log" &
dev_pid=$!
for _ in $(seq 100); do list_ok && break; sleep 0.1; done
check "the device is back after a reconnect" grep -q '1209:0001' "$work/list.txt"
rm -f "$work/up2.bin"
check "upload after the reconnect" timeout 120 "$dfu_util" -a 0 -U "$work/up2.bin"
check "... byte-exact" cmp "$work/up2.bin" "$work/flash.bin.slot0"
head -c 30000 /dev/urandom > "$work/update2.bin"
check "download in interrupt mode" timeout 120 "$dfu_util" -a 1 -D "$work/update2.bin"
python3 - "$work/flash.bin" $((SLOT1_OFF + DL_OFF)) "$work/update2.bin" <<'PY' && ok "... byte-exact in slot1" || bad "... byte-exact in slot1"
import sys
f = open(sys.argv[1], "rb").read()
off = int(sys.argv[2]); want = open(sys.argv[3], "rb").read()
sys.exit(0 if f[off:off + len(want)] == want else 1)
PY

echo "$passes passed, $fails failed"
if [ "$fails" -ne 0 ]; then
  echo "--- bridge log"; cat "$work/bridge.log"; echo "--- device log"; cat "$work/device.log"
fi
[ "$fails" -eq 0 ]
