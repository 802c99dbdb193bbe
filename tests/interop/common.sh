# common.sh: sourced by the interop test scripts (bash). Provides skip
# handling, a work folder, the fake USB/IP server and a free-port helper.

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
