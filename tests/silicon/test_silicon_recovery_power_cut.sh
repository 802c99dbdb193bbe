#!/usr/bin/env bash
# Power cuts during a USB DFU recovery on the emulated chip: it holds no_usb
# (no USB), the button takes the Thumb bootloader into recovery, dfu-util
# downloads the DFU sample over the UART link, the bootloader validates it,
# requests a permanent upgrade and reboots into the swap. A cut at any point
# (vboard run --cut-after-ops N: the chip stops in front of its Nth NVMC
# operation, counted from power-on) never bricks the board:
#  - during the download (4 points) and at each of the request's three
#    trailer writes: the next power-on boots an application byte for byte
#    (no_usb, or the DFU sample when the cut fell after the request's
#    magic), and the button still recovers;
#  - during the install swap (every operation; SILICON_CUT_POINTS=N
#    samples N): the next power-on finishes the swap and the DFU sample
#    runs, byte for byte, and stays after a reset.
. "$(dirname "$0")/lib.sh"
need_dfu_util
[ -e "$images/no_usb.signed.bin" ] || { echo "SKIP: $images/no_usb.signed.bin was not built"; exit 77; }

dfu_sample=$images/dfu.signed.bin
no_usb=$images/no_usb.signed.bin
board_new "$no_usb"
cp "$flash" "$work/original.bin"

# the state between the request and the swap: power off during the reboot
# delay (0.5 s) that follows manifestation; counted: download + request
usb_start --hold-button --stats "$work/download.json"
expect "Entering USB DFU recovery: button pressed"
dfu "$work/dn.log" --alt 1 --download "$dfu_sample" || die "recovery download: $(tail -3 "$work/dn.log")"
expect "installing it as a permanent upgrade"
board_stop
grep -q "Starting bootloader" <(tail -n +$((seen + 1)) "$console") && die "the chip rebooted before it could be powered off"
in_slot0 "$flash" "$no_usb" && slot1_magic "$flash" && landed "$flash" "$dfu_sample" ||
  die "no pending permanent upgrade after manifestation"
cp "$flash" "$work/pending.bin"
download=$(ops_of "$work/download.json")

# the install alone, counted
skip_console
board_start --stats "$work/install.json"
expect "Swap type: perm"
expect "This device supports USB DFU class."
board_stop
total=$(ops_of "$work/install.json")
echo "recovery: $download flash operations for the download and the request, $total for the install"
[ "${total:-0}" -gt 10 ] && [ "${download:-0}" -gt 10 ] || die "cannot read the operation counts from --stats"
check "the clean install put the DFU sample in slot0" in_slot0 "$flash" "$dfu_sample"

# --- cuts during the download and the request ---------------------------------
cut_download() {
  local n=$1 what="download cut at $1"
  cp "$work/original.bin" "$flash"
  skip_console
  usb_start --hold-button --cut-after-ops "$n"
  expect "Entering USB DFU recovery: button pressed"
  dfu "$work/cut.log" --alt 1 --download "$dfu_sample"
  board_wait_exit 60
  check "$what: exit 3, 'power cut at flash operation $n'" \
    eval "[ '$board_rc' = 3 ] && tail -n +$((seen + 1)) '$console' | grep -q '^power cut at flash operation $n\$'"
  check "$what: slot0 untouched by the download" same_region "$work/original.bin" "$flash" $((SLOT0_OFF)) $((SLOT_SIZE))
  skip_console
  board_start
  app=$(wait_app)
  board_stop # the chip's flash reaches the file here
  case $app in
    # the cut fell inside the request's trailer writes, after its magic:
    # a swap of the complete, validated image
    dfu) check "$what: the DFU sample byte for byte" in_slot0 "$flash" "$dfu_sample" ;;
    no_usb) check "$what: no_usb byte for byte" in_slot0 "$flash" "$no_usb" ;;
    *) bad "$what: after power-on '$app' (brick)"; show_console ;;
  esac
}
for k in 1 2 3 4; do
  cut_download $((k * download / 5))
done
# the request's three trailer writes (magic, image_ok, swap_info) are last
for n in $((download - 2)) $((download - 1)) "$download"; do
  cut_download "$n"
done

# the button still recovers after a cut download
cp "$work/original.bin" "$flash"
skip_console
usb_start --hold-button
expect "Entering USB DFU recovery: button pressed"
dfu "$work/again.log" --alt 1 --download "$dfu_sample"
check "after the cut downloads: recovery installs the DFU sample (dfu-util exits 0)" test $? -eq 0
expect "This device supports USB DFU class."
board_stop
check "after the cut downloads: the DFU sample byte for byte" in_slot0 "$flash" "$dfu_sample"

# --- cuts during the install ------------------------------------------------
points() {
  local n=${SILICON_CUT_POINTS:-0}
  if [ "$n" -gt 1 ] && [ "$n" -lt "$total" ]; then
    for k in $(seq 0 $((n - 1))); do echo $((1 + k * (total - 1) / (n - 1))); done | sort -nu
  else
    seq 1 "$total"
  fi
}
cuts=0
good=0
for n in $(points); do
  cp "$work/pending.bin" "$flash"
  skip_console
  board_start --cut-after-ops "$n"
  board_wait_exit 60
  if [ "$board_rc" != 3 ] || ! tail -n +$((seen + 1)) "$console" | grep -q "^power cut at flash operation $n\$"; then
    bad "install cut at $n: exit $board_rc, no 'power cut at flash operation $n'"
    continue
  fi
  cuts=$((cuts + 1))
  skip_console
  board_start
  expect "Starting bootloader"
  expect "This device supports USB DFU class."
  board_reset
  expect "Swap type: none"
  expect "This device supports USB DFU class."
  board_stop
  if in_slot0 "$flash" "$dfu_sample" && same_region "$work/pending.bin" "$flash" 0 $((SLOT0_OFF)) &&
     same_region "$work/pending.bin" "$flash" $((SCRATCH_OFF)) $((FLASH_SIZE - SCRATCH_OFF)); then
    good=$((good + 1))
  else
    bad "install cut at $n: slot0 is not the DFU sample, or the bootloader, scratch or storage changed"
  fi
done
check "install: $cuts cuts, $good ended in the DFU sample complete in slot0 (0 bricks)" [ "$good" = "$cuts" ]

silicon_done
