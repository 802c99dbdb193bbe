#!/usr/bin/env bash
# Power cuts during the test swap that follows a dfu-util download: the
# board runs with --cut-after-ops N (N spread over every flash operation of
# a boot that swaps; --torn for every other one), must stop with exit 3 and
# "power cut at flash operation N"; then a normal power-on completes the
# swap and boots hello_world, and a further reset reverts to the DFU sample,
# each time byte for byte.
#
# E2E_CUT_ALL=1 cuts at every operation, plain and torn (slow).
. "$(dirname "$0")/lib.sh"
need_dfu_util

hello=$images/hello_world.signed.bin
dfu_sample=$images/dfu.signed.bin

# an upgrade pending: hello_world downloaded with dfu-util, trailer written
board_new
board_start
expect "This device supports USB DFU class."
dfu "$work/e.log" -e || die "dfu-util -e"
dfu "$work/dn.log" --alt 1 --download "$hello" || die "download: $(cat "$work/dn.log")"
board_stop
landed "$flash" "$hello" && slot1_magic "$flash" || die "the download did not leave a pending upgrade"
cp "$flash" "$work/pending.bin"

# a clean boot that swaps: how many flash operations (erases + writes)?
skip_console
board_start --stats "$work/stats.json"
expect "Swap type: test"
expect "Hello World! $BOARD"
board_stop
read -r erases writes < <(sed -n 's/^{"erases": \([0-9]*\), "bytes_programmed": [0-9]*, "writes": \([0-9]*\).*/\1 \2/p' "$work/stats.json")
total=$((${erases:-0} + ${writes:-0}))
echo "a boot that swaps: $erases erases + $writes writes = $total flash operations"
[ "$total" -gt 10 ] || die "cannot read the operation count from --stats: $(head -c 200 "$work/stats.json")"
ok "the swap takes $total flash operations (--stats)"
check "the clean swap left hello_world in slot0" in_slot0 "$flash" "$hello"
cp "$flash" "$work/swapped.bin"

# cut_run N [--torn]: exit 3 and the message; the stats agree
cut_run() {
  local n=$1; shift
  cp "$work/pending.bin" "$flash"
  skip_console
  board_start --cut-after-ops "$n" "$@"
  board_wait_exit 20
  [ "$board_rc" = 3 ] && tail -n +$((seen + 1)) "$console" | grep -q "^power cut at flash operation $n\$"
}

# the count is exact: a cut after the last operation happens, one more never does
check "a cut at operation $total (the last) happens" cut_run "$total"
cp "$work/pending.bin" "$flash"
skip_console
board_start --cut-after-ops $((total + 1))
expect "Hello World! $BOARD"
check "no cut at operation $((total + 1)): the board still runs" kill -0 "$board_pid"
board_stop
check "the swap without a cut gives the same flash as the clean one" cmp -s "$work/swapped.bin" "$flash"

# recover N MODE: normal power-on after a cut: swap completed, hello_world
# runs; a reset reverts to the DFU sample
recover() {
  local what="cut at $1$2"
  skip_console
  local mark=$seen
  board_start
  expect "Starting bootloader"
  expect "Jumping to the first image slot"
  expect "*** Booting dfuboot"
  sleep 0.2
  if [ "$1" = "$total" ] && tail -n +$((mark + 1)) "$console" | grep -q "Primary image: magic=good, .*copy_done=0x1" &&
     tail -n +$((mark + 1)) "$console" | grep -q "Swap type: revert"; then
    # The cut hit the last operation (copy_done) and the write went through:
    # the swap is complete and counts as tested, as in MCUboot: the next boot
    # reverts without running the new image once.
    ok "$what: copy_done was written, the swap counts as tested: reverted at once"
    expect "This device supports USB DFU class."
    check "$what: the DFU sample back in slot0 byte for byte" in_slot0 "$flash" "$dfu_sample"
    board_stop
    return
  fi
  expect "Hello World! $BOARD"
  check "$what: hello_world complete in slot0" in_slot0 "$flash" "$hello"
  check "$what: bootloader, scratch and storage untouched" \
    same_region "$work/pending.bin" "$flash" 0 $((SLOT0_OFF))
  check "$what: scratch and storage untouched" \
    same_region "$work/pending.bin" "$flash" $((SCRATCH_OFF)) $((FLASH_SIZE - SCRATCH_OFF))
  board_reset
  expect "Starting bootloader"
  expect "Swap type: revert"
  expect "This device supports USB DFU class."
  check "$what: the DFU sample back in slot0 byte for byte" in_slot0 "$flash" "$dfu_sample"
  board_stop
}

if [ "${E2E_CUT_ALL:-0}" = 1 ]; then
  points=$(seq 1 "$total")
else
  # 1, the last, and 14 points spread over the range in between
  points=$(for k in $(seq 0 15); do echo $((1 + k * (total - 1) / 15)); done | sort -nu)
fi
i=0
for n in $points; do
  for mode in plain torn; do
    if [ "${E2E_CUT_ALL:-0}" != 1 ]; then
      # every other point torn
      [ $((i % 2)) = 0 ] && [ $mode = torn ] && continue
      [ $((i % 2)) = 1 ] && [ $mode = plain ] && continue
    fi
    opt=; [ $mode = torn ] && opt=--torn
    check "cut at $n${opt:+ $opt}: exit 3, 'power cut at flash operation $n'" cut_run "$n" $opt
    recover "$n" "${opt:+ $opt}"
  done
  i=$((i + 1))
done

e2e_done
