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

# expect_msg "description" "text" cmd...: fails with one line on stderr containing text
expect_msg() {
  local what=$1 text=$2; shift 2
  local err; err=$("$@" 2>&1 >/dev/null); local rc=$?
  if [ $rc -eq 0 ]; then bad "$what: exit 0"; return; fi
  if [ "$(printf '%s\n' "$err" | wc -l)" -ne 1 ]; then bad "$what: not one line: $err"; return; fi
  case $err in *"$text"*) ok ;; *) bad "$what: '$err' does not say '$text'" ;; esac
}

# create refuses an existing file (nothing lost) unless --force
cp "$F" "$work/before-create.bin"
expect_msg "create on an existing file" "already exists (vboard create --force replaces it)" "$bin/vboard" create "$F"
cmp -s "$F" "$work/before-create.bin" && ok || bad "a refused create changed the flash file"
H=$work/h.bin
"$bin/vboard" create "$H" >/dev/null && ok || bad "create h.bin"
head -c 100 /dev/urandom | "$bin/vboard" flash "$H" --partition slot0 /dev/stdin >/dev/null
"$bin/vboard" create "$H" --force >/dev/null && ok || bad "create --force"
[ "$(head -c $((0x10000)) "$H" | tr -d '\377' | wc -c)" -eq 0 ] && ok || bad "create --force did not erase"

# the OS reason: a directory is a directory, a missing file is missing
expect_msg "info on a directory" "Is a directory" "$bin/vboard" info "$work" --layout nrf52840dk
expect_msg "flash onto a directory" "Is a directory" "$bin/vboard" flash "$work" --offset 0 "$work/blob"
expect_msg "info on a missing file" "no such flash file" "$bin/vboard" info "$work/missing.bin"
expect_msg "create in a missing folder" "No such file or directory" "$bin/vboard" create "$work/no/dir/x.bin"
expect_msg "flash a directory as input" "Is a directory" "$bin/vboard" flash "$F" --partition slot0 "$work"

# unknown layouts and --help name the layouts there are
expect_msg "unknown layout lists the layouts" "(layouts: nrf52840dk, stm32f4" "$bin/vboard" create "$work/x.bin" --layout nosuch
"$bin/vboard" --help | grep -q "^layouts: nrf52840dk, stm32f4" && ok || bad "--help lists the layouts"

# --usbip: ports above 65535 refused, port 0 picks one and says which
expect_msg "usbip port above 65535" "0 to 65535" "$bin/vboard" run "$F" --usbip 127.0.0.1:70000

# flash --offset inside a sector keeps the sector's other bytes
P=$work/p.bin
"$bin/vboard" create "$P" >/dev/null
head -c 4096 /dev/urandom > "$work/sector"
"$bin/vboard" flash "$P" --offset 0xfc000 "$work/sector" >/dev/null
head -c 100 /dev/urandom > "$work/small"
"$bin/vboard" flash "$P" --offset 0xfc100 "$work/small" >/dev/null || bad "flash at an offset inside a sector"
cmp -s -n 256 -i $((0xfc000)):0 "$P" "$work/sector" && ok || bad "bytes before the data in its sector were lost"
cmp -s -n 100 -i $((0xfc100)):0 "$P" "$work/small" && ok || bad "the data at 0xfc100"
cmp -s -n $((4096 - 0x100 - 100)) -i $((0xfc100 + 100)):$((0x100 + 100)) "$P" "$work/sector" && ok ||
  bad "bytes after the data in its sector were lost"

# info says which key it checks signatures with, and whether the
# bootloader in the flash carries it
"$bin/vboard" info "$P" | grep -q "^key: signatures checked with the .* key vboard was built with (public key SHA-256 [0-9a-f]*...); mcuboot is empty" &&
  ok || bad "info key line (empty mcuboot): $("$bin/vboard" info "$P" | sed -n 2p)"
"$bin/vboard" flash "$P" --partition mcuboot "${DFUBOOT_BUILD_DIR}/images/bootloader.bin" >/dev/null
"$bin/vboard" info "$P" | grep -q "; the bootloader in mcuboot carries the same key$" && ok || bad "info: the bootloader's key"
"$bin/vboard" info "$P" --json | grep -q '"key": {"type": "[a-z0-9-]*", "sha256_prefix": "[0-9a-f]*", "in_bootloader": true}' &&
  ok || bad "info json key"
"$bin/vboard" flash "$P" --partition mcuboot "$probe" >/dev/null
"$bin/vboard" info "$P" | grep -q "does NOT carry it: its verdicts may differ$" && ok || bad "info: a bootloader without the key"

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
# a running board locks its flash file: no second run, create or flash;
# dump and info still read it
expect_msg "second run on a running board's flash" "in use by a running board" "$bin/vboard" run "$F"
expect_msg "create --force under a running board" "in use by a running board" "$bin/vboard" create "$F" --force
expect_msg "flash under a running board" "in use by a running board" "$bin/vboard" flash "$F" --partition slot1 "$work/blob"
"$bin/vboard" info "$F" >/dev/null && ok || bad "info while the board runs"
kill -TERM $pid; wait $pid; rc=$?
[ $rc -eq 0 ] && ok || bad "run exit $rc"
[ "$(grep -c '^\*\*\* Booting dfuboot' "$work/run.log")" -eq 3 ] && ok || bad "three boots: $(cat "$work/run.log")"
grep -q "probe: boot 0, layout nrf52840dk, usb no" "$work/run.log" && ok || bad "boot 0 line"
grep -q "probe: boot 2" "$work/run.log" && ok || bad "reset button boot"
# 1 erase + 4 writes on boot 0, 4 writes on boots 1 and 2
grep -q '"erases": 1, "bytes_programmed": 48, "writes": 12' "$work/stats.json" && ok || bad "stats: $(cat "$work/stats.json")"
grep -q '{"offset": 1032192, "erases": 1, "bytes_programmed": 48}' "$work/stats.json" && ok || bad "sector stats"

# --usbip HOST:0: the board binds a free port and says which
"$bin/vboard" run "$F" --usbip 127.0.0.1:0 > "$work/port0.log" 2>&1 &
pid=$!
for _ in $(seq 50); do grep -q "USB/IP server on" "$work/port0.log" && break; sleep 0.1; done
bound=$(sed -n 's/^vboard: USB\/IP server on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$work/port0.log")
if [ -n "$bound" ] && [ "$bound" -gt 0 ] && (exec 3<>"/dev/tcp/127.0.0.1/$bound") 2>/dev/null; then ok; else
  bad "port 0: no bound port printed or nothing listens there: $(cat "$work/port0.log")"; fi
kill -TERM $pid; wait $pid

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

# the README tells a newcomer what these commands need and do
src=${DFUBOOT_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
readme=$src/README.md
grep -q '`../shared/` is the test material' "$readme" && grep -q 'test_image_vectors' "$readme" && ok ||
  bad "README: where ../shared comes from and which tests skip"
grep -q 'slot1 plus one sector' "$readme" && ok || bad "README: slot1 + one sector, and why"
for layout in $("$bin/vboard" --help | sed -n 's/^layouts: \(.*\) (default.*/\1/p' | tr -d ,); do
  grep -q "\`$layout\`" "$readme" && ok || bad "README does not name layout $layout"
done
grep -q 'DFUBOOT_DEMO_PORT' "$readme" && ok || bad "README: DFUBOOT_DEMO_PORT"
block=$(sed -n '/^## Using it by hand/,/^## /p' "$readme")
grep -q 'B=\$D/build' <<<"$block" && ! grep -q '^B=build' <<<"$block" && ok || bad "README: the by-hand block is tied to the checkout"
[ "$(grep -c 'kill -USR1' <<<"$block")" -ge 2 ] && grep -q 'revert' <<<"$block" && ok || bad "README: the revert reset"
grep -q 'power off' <<<"$block" && ok || bad "README: how to stop the board"
# what the by-hand commands create is ignored; no stray files at the root
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
  for f in flash.bin flash.bin.layout console.log slot0_backup.bin build/x; do
    git -C "$src" check-ignore -q "$f" && ok || bad ".gitignore does not cover $f"
  done
  [ -z "$(git -C "$src" ls-files g.sh out.log)" ] && ok || bad "stray g.sh / out.log in the repository"
fi

echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
