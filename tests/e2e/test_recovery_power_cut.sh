#!/usr/bin/env bash
# Power cuts during a USB DFU recovery: the board holds no_usb (no USB), the
# button takes it into recovery, dfu-util downloads the DFU sample, the
# bootloader validates it, requests a permanent upgrade and reboots into the
# swap. A cut at any point never bricks the board:
#  - during the download (sampled): the next power-on boots an application
#    byte for byte (no_usb, or, when the cut fell inside the request's
#    trailer writes, the DFU sample on test), and the button still recovers;
#  - during the install swap (32 points spread over every flash operation
#    of the boot that swaps, every other one torn; E2E_CUT_ALL=1: every operation,
#    plain and torn): the next power-on finishes the swap and the DFU sample
#    runs, byte for byte, and stays after a reset.
. "$(dirname "$0")/lib.sh"
need_dfu_util

dfu_sample=$images/dfu.signed.bin
no_usb=$images/no_usb.signed.bin
board_new "$no_usb"
cp "$flash" "$work/original.bin"

# the whole recovery once, counted: download + request + swap
board_start --hold-button --stats "$work/all.json"
expect "Entering USB DFU recovery: button pressed"
dfu "$work/dn.log" --alt 1 --download "$dfu_sample" || die "recovery download: $(tail -3 "$work/dn.log")"
expect "Swap type: perm"
expect "This device supports USB DFU class."
board_stop
check "the clean recovery installed the DFU sample" in_slot0 "$flash" "$dfu_sample"
ops() { sed -n 's/^{"erases": \([0-9]*\), "bytes_programmed": [0-9]*, "writes": \([0-9]*\).*/\1 \2/p' "$1" | { read -r e w; echo $((${e:-0} + ${w:-0})); }; }
all=$(ops "$work/all.json")

# the state between the request and the swap: power off during the reboot
# delay that follows manifestation
cp "$work/original.bin" "$flash"
skip_console
board_start --hold-button
expect "Entering USB DFU recovery: button pressed"
dfu "$work/dn2.log" --alt 1 --download "$dfu_sample" || die "recovery download: $(tail -3 "$work/dn2.log")"
expect "installing it as a permanent upgrade"
board_stop
grep -q "Starting swap" <(tail -n +$((seen + 1)) "$console") && die "the board rebooted before it could be powered off"
in_slot0 "$flash" "$no_usb" && slot1_magic "$flash" && landed "$flash" "$dfu_sample" ||
  die "no pending permanent upgrade after manifestation"
cp "$flash" "$work/pending.bin"

# the install alone, counted
skip_console
board_start --stats "$work/install.json"
expect "Swap type: perm"
expect "This device supports USB DFU class."
board_stop
total=$(ops "$work/install.json")
download=$((all - total))
echo "recovery: $all flash operations: $download for the download and request, $total for the install"
[ "$total" -gt 10 ] && [ "$download" -gt 10 ] || die "cannot read the operation counts from --stats"
ok "the install takes $total flash operations, the download $download (--stats)"
check "the install alone gives the same slot0" in_slot0 "$flash" "$dfu_sample"

# --- cuts during the download ----------------------------------------------
# cut_download N: recovery download with a cut at operation N (counted from
# power-on); then a normal power-on boots one of the two applications
cut_download() {
  local n=$1 what="download cut at $1"
  cp "$work/original.bin" "$flash"
  skip_console
  board_start --hold-button --cut-after-ops "$n"
  expect "Entering USB DFU recovery: button pressed"
  dfu "$work/cut.log" --alt 1 --download "$dfu_sample"
  board_wait_exit 20
  check "$what: exit 3" test "$board_rc" = 3
  check "$what: slot0 untouched by the download" same_region "$work/original.bin" "$flash" $((SLOT0_OFF)) $((SLOT_SIZE))
  skip_console
  board_start
  case $(wait_app) in
    # the cut fell inside the request's trailer writes, after its magic:
    # a test or permanent swap of the complete, validated image
    dfu) check "$what: the DFU sample byte for byte" in_slot0 "$flash" "$dfu_sample" ;;
    no_usb) check "$what: no_usb byte for byte" in_slot0 "$flash" "$no_usb" ;;
    *) bad "$what: no application after power-on (brick)"; show_console ;;
  esac
  board_stop
}
for k in 1 2 3 4; do
  cut_download $((k * download / 5))
done
# the request's three trailer writes (magic, image_ok, swap_info) are last
for n in $((download - 2)) $((download - 1)) "$download"; do
  cut_download "$n"
done

# the button still recovers after a cut download
skip_console
board_start --hold-button
expect "Entering USB DFU recovery: button pressed"
dfu "$work/again.log" --alt 1 --download "$dfu_sample"
check "after the cut downloads: recovery installs the DFU sample (dfu-util exits 0)" test $? -eq 0
expect "This device supports USB DFU class."
check "after the cut downloads: the DFU sample byte for byte" in_slot0 "$flash" "$dfu_sample"
board_stop

# --- cuts during the install ------------------------------------------------
cut_install() {
  local n=$1; shift
  local what="install cut at $n${1:+ $1}"
  cp "$work/pending.bin" "$flash"
  skip_console
  board_start --cut-after-ops "$n" "$@"
  board_wait_exit 20
  check "$what: exit 3, 'power cut at flash operation $n'" \
    eval "[ '$board_rc' = 3 ] && tail -n +$((seen + 1)) '$console' | grep -q '^power cut at flash operation $n\$'"
  skip_console
  board_start
  expect "Starting bootloader"
  expect "This device supports USB DFU class."
  check "$what: the DFU sample complete in slot0" in_slot0 "$flash" "$dfu_sample"
  check "$what: the bootloader, scratch and storage untouched" \
    eval "same_region '$work/pending.bin' '$flash' 0 $((SLOT0_OFF)) && same_region '$work/pending.bin' '$flash' $((SCRATCH_OFF)) $((FLASH_SIZE - SCRATCH_OFF))"
  board_reset
  expect "Swap type: none"
  expect "This device supports USB DFU class."
  board_stop
}
if [ "${E2E_CUT_ALL:-0}" = 1 ]; then
  for n in $(seq 1 "$total"); do cut_install "$n"; cut_install "$n" --torn; done
else
  i=0
  # 1, the last, and 30 points spread over the range in between
  for n in $(for k in $(seq 0 31); do echo $((1 + k * (total - 1) / 31)); done | sort -nu); do
    if [ $((i % 2)) = 0 ]; then cut_install "$n"; else cut_install "$n" --torn; fi
    i=$((i + 1))
  done
fi

e2e_done
