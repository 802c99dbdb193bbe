# common.sh: sourced by the interop test scripts (bash). Provides skip
# handling, a work folder, the fake USB/IP server and a free-port function.

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VM=$here/linux-vm.sh
build_dir=${DFUBOOT_BUILD_DIR:-$here/../../build}
test_name=$(basename "$0" .sh)
work=$build_dir/tests/interop/$test_name
rm -rf "$work"
mkdir -p "$work"

pids=()
cleanup_pids() {
  local p
  for p in ${pids[@]+"${pids[@]}"}; do kill "$p" 2>/dev/null || true; done
  for p in ${pids[@]+"${pids[@]}"}; do wait "$p" 2>/dev/null || true; done
}
trap cleanup_pids EXIT

# Skips the test (exit 77), or fails it when DFUBOOT_INTEROP_REQUIRE=1 says
# that this machine must be able to run the tier.
skip() {
  if [ "${DFUBOOT_INTEROP_REQUIRE:-0}" = 1 ]; then
    echo "$test_name: FAIL (DFUBOOT_INTEROP_REQUIRE=1): $*" >&2
    exit 1
  fi
  echo "$test_name: SKIP: $*"
  exit 77
}

fail() {
  echo "$test_name: FAIL: $*" >&2
  exit 1
}

# The VM must be able to run here and its image must exist (built once).
require_vm() {
  local why
  why=$("$VM" --probe 2>&1) || skip "QEMU unusable: $why"
  "$VM" --build-only >"$work/vm-build.log" 2>&1 ||
    { cat "$work/vm-build.log" >&2; skip "cannot build the VM image (see above)"; }
}

# start_fake [--corrupt MODE]: starts fake-usbip.py; sets fake_port, fake_log.
start_fake() {
  fake_log=$work/fake-usbip.log
  rm -f "$work/fake.port"
  python3 "$here/fake-usbip.py" --port-file "$work/fake.port" --log "$fake_log" "$@" &
  pids+=($!)
  local i
  for i in $(seq 100); do
    [ -s "$work/fake.port" ] && break
    sleep 0.05
  done
  [ -s "$work/fake.port" ] || fail "fake USB/IP server did not start"
  fake_port=$(cat "$work/fake.port")
}

# A TCP port on 127.0.0.1 that was free a moment ago.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Prints the elapsed seconds since $1 (from `date +%s.%N`).
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}'; }

# ---- the virtual board (build/bin/vboard, build/images/*)

bin=$build_dir/bin
images=$build_dir/images
BOARD_VID=1209
BOARD_READY="This device supports USB DFU class."

# Skips unless the board and the images the tests use are built.
require_board() {
  local f
  for f in "$bin/vboard" "$images/bootloader.bin" "$images/dfu.signed.bin" "$images/hello_world.signed.bin"; do
    [ -e "$f" ] || skip "$f is not built yet"
  done
}

# require_chip IMAGE...: skips unless QEMU, vboard and these images of the
# emulated chip (build/images/qemu-nrf51) are there.
require_chip() {
  local f
  command -v "${DFUBOOT_QEMU:-qemu-system-arm}" >/dev/null ||
    skip "qemu-system-arm is not installed (Debian package qemu-system-arm)"
  for f in "$@"; do
    [ -e "$build_dir/images/qemu-nrf51/$f" ] || skip "$build_dir/images/qemu-nrf51/$f is not built"
  done
  [ -x "$bin/vboard" ] || skip "$bin/vboard is not built"
}

vboard() { "$bin/vboard" "$@"; }

# board_flash [qemu-nrf51]: a fresh nRF52840 DK flash with the bootloader
# and the signed DFU sample in slot0 (the seed's starting point); with
# qemu-nrf51, for the emulated nRF51 running the Thumb firmware (USB over its
# UART; images then points at build/images/qemu-nrf51).
board_flash() {
  local machine=${1:-host}
  flash=$work/flash.bin
  [ "$machine" = host ] || images=$build_dir/images/$machine
  vboard create "$flash" --layout nrf52840dk --machine "$machine" --force >/dev/null
  vboard flash "$flash" --partition mcuboot "$images/bootloader.bin" >/dev/null
  vboard flash "$flash" --partition slot0 "$images/dfu.signed.bin" >/dev/null
}

# board_start: powers the board on with its USB/IP server on a free port
# (board_port) and waits for the DFU sample. Extra environment for the board
# can be given as NAME=VALUE arguments.
board_start() {
  console=$work/console.log
  board_port=$(free_port)
  : >"$console"
  console_seen=0
  env "$@" "$bin/vboard" run "$flash" --usbip "127.0.0.1:$board_port" >>"$console" 2>&1 &
  board_pid=$!
  pids+=("$board_pid")
  expect_console "$BOARD_READY" 30
}

board_reset() { kill -USR1 "$board_pid"; }

board_stop() {
  kill -TERM "$board_pid" 2>/dev/null || true
  wait "$board_pid" 2>/dev/null || true
}

# expect_console TEXT [SEC]: waits for a console line with TEXT after the
# lines already matched.
expect_console() {
  local deadline=$((SECONDS + ${2:-30})) n
  while :; do
    n=$(tail -n +$((console_seen + 1)) "$console" | grep -n -F -m1 -- "$1" | cut -d: -f1 || true)
    if [ -n "$n" ]; then
      console_seen=$((console_seen + n))
      return 0
    fi
    if [ $SECONDS -ge $deadline ] || ! kill -0 "$board_pid" 2>/dev/null; then
      echo "--- board console ---" >&2
      cat "$console" >&2
      fail "no board console line with '$1'"
    fi
    sleep 0.1
  done
}

# run_vm ARGS...: linux-vm.sh against the board with the test's share, its
# output in $work/vm.log and on stdout; sets vm_rc.
run_vm() {
  set +e
  "$VM" --usbip "127.0.0.1:$board_port" --share "$share" --timeout 300 --dmesg "$work/dmesg.txt" "$@" 2>&1 |
    tee "$work/vm.log"
  vm_rc=${PIPESTATUS[0]}
  set -e
}

# run_seed_commands ATTACH_WAIT_S: the seed's two dfu-util commands from the
# guest, against the board in run-time mode (dfu-util detaches it):
#   dfu-util --alt 0 --upload slot0_backup.bin
#   dfu-util --alt 1 --download hello_world.signed.bin
# then slot0_backup.bin must equal the flash file's slot0. Sets share.
run_seed_commands() {
  share=$work/share
  mkdir -p "$share"
  cp "$images/hello_world.signed.bin" "$share/"
  cat >"$work/guest.sh" <<GUEST
set -u
bad() { echo "guest: FAIL: \$*"; exit 1; }
vm_autoattach_start
vm_wait_mode 1209 runtime $1 || bad "the board not attached in run-time mode"
dfu-util --alt 0 --upload slot0_backup.bin || bad "upload exited \$?"
dfu-util --alt 1 --download hello_world.signed.bin || bad "download exited \$?"
vm_autoattach_stop
exit 0
GUEST
  run_vm --no-attach --script "$work/guest.sh"
  [ "$vm_rc" = 0 ] || fail "guest exited $vm_rc"
  vboard dump "$flash" --partition slot0 -o "$work/slot0.bin" >/dev/null
  cmp "$share/slot0_backup.bin" "$work/slot0.bin" || fail "slot0_backup.bin differs from slot0 in the flash file"
  echo "$test_name: slot0_backup.bin ($(stat -c %s "$share/slot0_backup.bin") bytes) equals slot0 byte for byte"
}

# recovery_story MACHINE: USB DFU recovery from the guest's Linux USB stack.
# The board (host, or qemu-nrf51: the emulated chip with USB over its UART)
# holds no_usb (an application without USB) and powers on with the recovery
# button held (vboard run --hold-button); the kernel must enumerate the
# bootloader's recovery device (DFU mode, product "dfuboot recovery"),
# dfu-util downloads the DFU sample, the bootloader installs it for good,
# the kernel then sees the sample's run-time device, and slot0 holds the
# sample byte for byte.
recovery_story() {
  local machine=$1 slow=1
  [ "$machine" = host ] || { images=$build_dir/images/$machine; slow=2; }
  [ -e "$images/no_usb.signed.bin" ] || skip "$images/no_usb.signed.bin is not built yet"
  flash=$work/flash.bin
  vboard create "$flash" --layout nrf52840dk --machine "$machine" --force >/dev/null
  vboard flash "$flash" --partition mcuboot "$images/bootloader.bin" >/dev/null
  vboard flash "$flash" --partition slot0 "$images/no_usb.signed.bin" >/dev/null
  console=$work/console.log
  board_port=$(free_port)
  : >"$console"
  console_seen=0
  "$bin/vboard" run "$flash" --usbip "127.0.0.1:$board_port" --hold-button >>"$console" 2>&1 &
  board_pid=$!
  pids+=("$board_pid")
  expect_console "Entering USB DFU recovery: button pressed" $((30 * slow))

  share=$work/share
  mkdir -p "$share"
  cp "$images/dfu.signed.bin" "$share/"
  cat >"$work/guest.sh" <<GUEST
set -u
bad() { echo "guest: FAIL: \$*"; exit 1; }
product() {
  local d v
  for d in /sys/bus/usb/devices/[0-9]*-[0-9]*; do
    case \${d##*/} in *:*) continue ;; esac
    read -r v <"\$d/idVendor" 2>/dev/null || continue
    [ "\$v" = 1209 ] && { cat "\$d/product"; return; }
  done
}
vm_autoattach_start
vm_wait_mode 1209 dfu $((30 * slow)) || bad "no recovery device in DFU mode"
p=\$(product)
echo "guest: the kernel sees product '\$p'"
[ "\$p" = "dfuboot recovery" ] || bad "product is '\$p'"
lsusb -d 1209:0002 || bad "lsusb does not list 1209:0002"
dfu-util --alt 1 --download dfu.signed.bin || bad "download exited \$?"
vm_wait_mode 1209 runtime $((60 * slow)) || bad "the DFU sample's run-time device did not come back"
p=\$(product)
echo "guest: after recovery the kernel sees product '\$p'"
[ "\$p" = "dfuboot DFU sample" ] || bad "product is '\$p'"
vm_autoattach_stop
exit 0
GUEST
  run_vm --no-attach --script "$work/guest.sh"
  [ "$vm_rc" = 0 ] || fail "guest exited $vm_rc"
  expect_console "installing it as a permanent upgrade" 10
  expect_console "Swap type: perm" $((10 * slow * slow * slow))
  expect_console "$BOARD_READY" $((10 * slow * slow * slow))
  # (the chip's flash reaches the flash file at power-off)
  board_stop
  vboard dump "$flash" --partition slot0 -o "$work/slot0.bin" >/dev/null
  cmp -n "$(stat -c %s "$images/dfu.signed.bin")" "$work/slot0.bin" "$images/dfu.signed.bin" ||
    fail "slot0 does not hold the DFU sample byte for byte"
  echo "$test_name: the DFU sample restored in slot0 byte for byte"
}

# ---- the device stack alone (build/tests/interop-dfu-device)

# dev_start ARGS...: starts interop-dfu-device on $work/dev-flash.bin (extra
# ARGS: --create, --mode, --will-detach, --port); sets dev_pid, dev_port.
dev_start() {
  local exe=$build_dir/tests/interop-dfu-device i
  [ -x "$exe" ] || skip "$exe is not built"
  rm -f "$work/dev.port"
  "$exe" --flash "$work/dev-flash.bin" --port-file "$work/dev.port" "$@" >>"$work/dev.log" 2>&1 &
  dev_pid=$!
  pids+=("$dev_pid")
  for i in $(seq 100); do
    [ -s "$work/dev.port" ] && break
    sleep 0.05
  done
  [ -s "$work/dev.port" ] || fail "interop-dfu-device did not start (see $work/dev.log)"
  dev_port=$(cat "$work/dev.port")
}

dev_stop() {
  kill -TERM "$dev_pid" 2>/dev/null || true
  wait "$dev_pid" 2>/dev/null || true
}

# slot_bytes NAME OUT: slot0 or slot1 of the nRF52840 DK flash file.
slot_bytes() {
  case $1 in
    slot0) dd if="$work/dev-flash.bin" of="$2" bs=4096 skip=$((0xC000 / 4096)) count=$((0x76000 / 4096)) status=none ;;
    slot1) dd if="$work/dev-flash.bin" of="$2" bs=4096 skip=$((0x82000 / 4096)) count=$((0x76000 / 4096)) status=none ;;
  esac
}

# check_slot1_image IMAGE: the board's slot1 holds IMAGE byte for byte where
# the bootloader wants it (vboard info tells the offset inside the slot) and
# vboard info finds its hash and signature valid.
check_slot1_image() {
  local at size
  vboard info "$flash" >"$work/info.txt"
  at=$(sed -n '/^slot1/,/^scratch/s/.*image at +\(0x[0-9a-f]*\).*/\1/p' "$work/info.txt")
  [ -n "$at" ] || { cat "$work/info.txt" >&2; fail "vboard info finds no image in slot1"; }
  sed -n '/^slot1/,/^scratch/p' "$work/info.txt" | grep -q 'hash: valid, signature: valid' ||
    { cat "$work/info.txt" >&2; fail "slot1 image: hash or signature not valid"; }
  vboard dump "$flash" --partition slot1 -o "$work/slot1.bin" >/dev/null
  size=$(stat -c %s "$1")
  cmp -n "$size" -i "$((at)):0" "$work/slot1.bin" "$1" || fail "slot1 does not hold $(basename "$1") byte for byte"
  echo "$test_name: slot1 holds $(basename "$1") ($size bytes) at +$at byte for byte"
}
