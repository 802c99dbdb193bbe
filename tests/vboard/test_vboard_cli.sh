#!/usr/bin/env bash
# vboard command line: create/flash/dump/info round trips, every bad
# argument a one-line error, and `run` with a probe firmware: boot banner,
# software reboot, reset button, power cut injection and flash statistics.
set -u
bin=${DFUBOOT_BUILD_DIR:?}/bin
probe=${DFUBOOT_BUILD_DIR}/tests/fw_probe
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
fails=0 passes=0
ok() { passes=$((passes + 1)); }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
expect_fail() { # expect_fail "description" cmd...: non-zero exit and one line on stderr
  local what=$1; shift
  local err; err=$("$@" 2>&1 >/dev/null); local rc=$?
  if [ $rc -eq 0 ]; then bad "$what: exit 0"; return; fi
  if [ "$(printf '%s\n' "$err" | wc -l)" -ne 1 ] || [ -z "$err" ]; then bad "$what: not one line: $err"; return; fi
  ok
}

F=$work/flash.bin
"$bin/vboard" create "$F" >/dev/null || bad "create"
[ "$(stat -c %s "$F")" -eq 1048576 ] && ok || bad "flash size"
[ "$(cat "$F.layout")" = nrf52840dk ] && ok || bad "layout sidecar"
[ "$(od -An -tx1 -N4 "$F" | tr -d ' ')" = ffffffff ] && ok || bad "erased"

head -c 5000 /dev/urandom > "$work/blob"
"$bin/vboard" flash "$F" --partition slot1 "$work/blob" >/dev/null || bad "flash slot1"
"$bin/vboard" dump "$F" --partition slot1 -o "$work/slot1.bin" >/dev/null || bad "dump"
cmp -s -n 5000 "$work/blob" "$work/slot1.bin" && ok || bad "dump equals flashed bytes"
[ "$(stat -c %s "$work/slot1.bin")" -eq $((0x76000)) ] && ok || bad "dump size"
[ "$(tail -c +5001 "$work/slot1.bin" | tr -d '\377' | wc -c)" -eq 0 ] && ok || bad "rest of slot1 erased"
cmp -s -n $((0x76000)) -i $((0x82000)):0 "$F" "$work/slot1.bin" && ok || bad "slot1 at 0x82000"
"$bin/vboard" flash "$F" --offset 0xfc000 "$work/blob" >/dev/null || bad "flash --offset"
"$bin/vboard" info "$F" | grep -q "slot0 .*offset 0x00c000 size 0x076000" && ok || bad "info text"
"$bin/vboard" info "$F" --json | grep -q '"name": "slot1", "offset": 532480' && ok || bad "info json"

# info reads image headers, validates them with the build's key, and shows trailers
img=${DFUBOOT_BUILD_DIR}/images/hello_world.signed.bin
G=$work/g.bin
"$bin/vboard" create "$G" >/dev/null
"$bin/vboard" flash "$G" --partition slot0 "$img" >/dev/null
"$bin/vboard" info "$G" > "$work/info.txt"
grep -q "image at +0x0: version 2.0.0+0, header 0x200" "$work/info.txt" && ok || bad "info image line: $(cat "$work/info.txt")"
grep -q "hash: valid, signature: valid (ok)" "$work/info.txt" && ok || bad "info verdict"
grep -q "trailer: magic=unset swap_type=none copy_done=unset image_ok=unset" "$work/info.txt" && ok || bad "info trailer"
"$bin/vboard" info "$G" --json | grep -q '"bootable": true' && ok || bad "info json image"
# flip one payload byte: the hash no longer matches
printf '\x00' | dd of="$G" bs=1 seek=$((0xC000 + 0x300)) conv=notrunc 2>/dev/null
"$bin/vboard" info "$G" | grep -q "hash: invalid, signature: invalid" && ok || bad "info on a corrupted image"
"$bin/vboard" info "$G" --json | grep -q '"hash_valid": false' && ok || bad "info json corrupted"

expect_fail "no command" "$bin/vboard"
expect_fail "unknown command" "$bin/vboard" frobnicate "$F"
expect_fail "unknown option" "$bin/vboard" run "$F" --bogus
expect_fail "missing flash file" "$bin/vboard" info "$work/nope.bin" --layout nrf52840dk
expect_fail "no layout sidecar" "$bin/vboard" info "$work/blob"
expect_fail "unknown layout" "$bin/vboard" create "$work/x.bin" --layout nosuchboard
expect_fail "wrong-size flash" "$bin/vboard" info "$work/blob" --layout nrf52840dk
expect_fail "unknown partition" "$bin/vboard" dump "$F" --partition nope -o "$work/x"
expect_fail "too big for partition" "$bin/vboard" flash "$F" --partition scratch "$F"
expect_fail "both partition and offset" "$bin/vboard" flash "$F" --partition slot0 --offset 0 "$work/blob"
expect_fail "unaligned offset" "$bin/vboard" flash "$F" --offset 0x3 "$work/blob"
expect_fail "offset past end" "$bin/vboard" flash "$F" --offset 0x200000 "$work/blob"
expect_fail "bad number" "$bin/vboard" flash "$F" --offset 12z "$work/blob"
expect_fail "missing input" "$bin/vboard" flash "$F" --partition slot0 "$work/nope"
expect_fail "option for another command" "$bin/vboard" create "$work/y.bin" --torn
expect_fail "torn without cut" "$bin/vboard" run "$F" --torn
expect_fail "bad usbip address" "$bin/vboard" run "$F" --usbip nowhere
expect_fail "dump without output" "$bin/vboard" dump "$F" --partition slot0

# run: no bootloader -> the board says so and stays halted until powered off
"$bin/vboard" run "$F" > "$work/empty.log" 2>&1 &
pid=$!
sleep 0.5; kill -TERM $pid; wait $pid; rc=$?
[ $rc -eq 0 ] && ok || bad "power off exit $rc"
grep -q "no bootloader in the boot partition" "$work/empty.log" && ok || bad "empty boot partition message"

# run the probe as the boot firmware: reboot once by itself, then idle
"$bin/vboard" flash "$F" --partition mcuboot "$probe" >/dev/null || bad "flash probe"
"$bin/vboard" run "$F" --stats "$work/stats.json" > "$work/run.log" 2>&1 &
pid=$!
for _ in $(seq 50); do grep -q "probe: idle" "$work/run.log" && break; sleep 0.1; done
kill -USR1 $pid   # reset button
for _ in $(seq 50); do [ "$(grep -c 'probe: idle' "$work/run.log")" -ge 2 ] && break; sleep 0.1; done
kill -TERM $pid; wait $pid; rc=$?
[ $rc -eq 0 ] && ok || bad "run exit $rc"
[ "$(grep -c '^\*\*\* Booting dfuboot' "$work/run.log")" -eq 3 ] && ok || bad "three boots: $(cat "$work/run.log")"
grep -q "probe: boot 0, layout nrf52840dk, usb no" "$work/run.log" && ok || bad "boot 0 line"
grep -q "probe: boot 2" "$work/run.log" && ok || bad "reset button boot"
# 1 erase + 4 writes on boot 0, 4 writes on boots 1 and 2
grep -q '"erases": 1, "bytes_programmed": 48, "writes": 12' "$work/stats.json" && ok || bad "stats: $(cat "$work/stats.json")"
grep -q '{"offset": 1032192, "erases": 1, "bytes_programmed": 48}' "$work/stats.json" && ok || bad "sector stats"

# power cut at the 3rd operation of this power-on: exits 3 with the message
"$bin/vboard" flash "$F" --partition storage /dev/null >/dev/null
"$bin/vboard" run "$F" --cut-after-ops 3 --stats "$work/cut.json" > "$work/cut.log" 2>&1
rc=$?
[ $rc -eq 3 ] && ok || bad "power cut exit $rc"
grep -q "^power cut at flash operation 3$" "$work/cut.log" && ok || bad "power cut message: $(cat "$work/cut.log")"
grep -q '"erases": 1, "bytes_programmed": 4, "writes": 1' "$work/cut.json" && ok || bad "cut stats: $(cat "$work/cut.json")"
# a cut after the 7th op lands in the second boot (5 ops on boot 0)
"$bin/vboard" run "$F" --cut-after-ops 7 > "$work/cut2.log" 2>&1
rc=$?
[ $rc -eq 3 ] && grep -q "probe: boot 1" "$work/cut2.log" && grep -q "operation 7" "$work/cut2.log" && ok || bad "cut in second boot"

echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
