#!/usr/bin/env bash
# A damaged UART line between the chip and the bridge: the chip's UART as a
# socket (vboard run --uart-socket), tests/silicon/uart_noise_relay.py in
# the middle injecting garbage bursts and bit flips both ways (seeded), and
# uart-usb-bridge serving USB/IP. Over that line dfu-util uploads
# slot0 and downloads hello_world byte for byte; the link recovers by itself
# (the device NAKs damaged requests, the bridge asks again for damaged
# replies, resends are answered from memory and never executed twice);
# the reset then tests the image as usual.
# SILICON_NOISE_SEED picks the fault pattern (default 7).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_dfu_util
py=/usr/bin/python3
[ -x "$py" ] || py=python3
seed=${SILICON_NOISE_SEED:-7}
relay_pid=
bridge_pid=
stop_helpers() {
  for p in $bridge_pid $relay_pid; do kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  bridge_pid= relay_pid=
}
trap 'stop_helpers; board_test_cleanup' EXIT

board_new
cp "$flash" "$work/original.bin"
"$bin/vboard" run "$flash" --uart-socket "$work/uart.sock" > "$work/vboard.log" 2>&1 &
board_pid=$!
"$py" "$here/uart_noise_relay.py" --connect "$work/uart.sock" --listen "$work/relay.sock" --seed "$seed" \
  > "$work/relay.log" 2>&1 &
relay_pid=$!
"$bin/uart-usb-bridge" --uart "unix:$work/relay.sock" --usbip 127.0.0.1:0 --port-file "$work/port" --reconnect \
  --verbose >> "$console" 2> "$work/bridge.log" &
bridge_pid=$!
for _ in $(seq 200); do [ -s "$work/port" ] && break; sleep 0.05; done
[ -s "$work/port" ] || die "the bridge did not start: $(cat "$work/bridge.log")"
export DFUBOOT_USBIP=127.0.0.1:$(cat "$work/port")
expect "This device supports USB DFU class."

dfu "$work/up.log" --alt 0 --upload "$work/up0.bin"
check "upload of slot0 over the damaged line exits 0" test $? -eq 0
vboard dump "$flash" --partition slot0 -o "$work/slot0.bin" >/dev/null || die "vboard dump"
check "... and equals slot0 byte for byte" cmp -s "$work/up0.bin" "$work/slot0.bin"

hello=$images/hello_world.signed.bin
dfu "$work/dn.log" --alt 1 --download "$hello"
check "download of hello_world over the damaged line exits 0" test $? -eq 0

skip_console
board_reset
expect "I: Starting bootloader"
check "the image landed in slot1 byte for byte" landed "$flash" "$hello"
check "nothing outside slot1 changed" same_outside_slot1 "$work/original.bin" "$flash"
expect "I: Swap type: test"
expect "Hello World! $BOARD"

stop_helpers
sort -u "$work/relay.log"
tail -n 1 "$work/bridge.log"
check "faults were injected towards the chip" grep -q '^relay: to-chip' "$work/relay.log"
check "faults were injected towards the host" grep -q '^relay: to-host' "$work/relay.log"
naks=$(sed -n 's/.* \([0-9]*\) NAKs from the device.*/\1/p' "$work/bridge.log" | tail -n 1)
damaged=$(sed -n 's/.* \([0-9]*\) damaged frames from the device.*/\1/p' "$work/bridge.log" | tail -n 1)
check "the chip NAKed damaged requests ($naks)" test "${naks:-0}" -gt 0
check "the bridge caught damaged replies ($damaged)" test "${damaged:-0}" -gt 0
board_stop
check "power-off: exit 0" [ "$board_rc" = 0 ]

silicon_done
