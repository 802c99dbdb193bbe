# USB DFU recovery in the bootloader, each way in, with Debian's dfu-util,
# on either board: sourced after tests/e2e/lib.sh (the virtual board) or
# tests/silicon/lib.sh (the emulated chip, USB over its UART):
#  a. no bootable image (an empty slot0); then normal operation: the
#     restored DFU sample updates to hello_world (test swap) and reverts, as
#     in the seed's story;
#  b. the recovery button held at power-on (vboard run --hold-button) over an
#     application that never enables USB (apps/no_usb); the first reset lets
#     it go;
#  c. the application's request (boot_request_recovery(): the retained boot
#     mode and a warm reset), one boot per request;
#  d. the wait window of bootloader-wait (CONFIG_BOOT_USB_DFU_WAIT=2500):
#     unused, the bootloader leaves USB (board_usb_disable) and the DFU
#     sample enumerates on its own; used, recovery takes the download.
# Each time the device is "dfuboot recovery" (1209:0002), takes the DFU
# sample (or hello_world) through alt 1, says "DFU: leaving DFU mode" once,
# installs it as a permanent upgrade and boots it. Flash bytes are checked
# after a power-off (the chip's flash reaches its file then).
need_dfu_util
dfu_sample=$images/dfu.signed.bin
hello=$images/hello_world.signed.bin
no_usb=$images/no_usb.signed.bin
requester=$images/request_recovery.signed.bin
for f in "$no_usb" "$requester" "$images/bootloader-wait.bin"; do
  [ -e "$f" ] || { echo "SKIP: $f was not built"; exit 77; }
done

# restore WHAT: dfu-util puts the DFU sample back through the recovery
# device and the bootloader installs it for good
restore() {
  local what=$1 mark
  check "$what: the device is 'dfuboot recovery'" test "$(usb_product)" = "dfuboot recovery"
  dfu "$work/list.log" -l
  check "$what: dfu-util lists alt 1 (image_1)" grep -q 'alt=1, name="image_1"' "$work/list.log"
  mark=$(wc -l < "$console")
  dfu "$work/restore.log" --alt 1 --download "$dfu_sample"
  check "$what: dfu-util downloads the DFU sample and exits 0" test $? -eq 0
  expect "Recovery image 1.0.0+0 valid; installing it as a permanent upgrade"
  expect "Starting bootloader"
  expect "Secondary image: magic=good, swap_type=0x3"
  expect "Swap type: perm"
  expect "Jumping to the first image slot"
  expect "This device supports USB DFU class."
  check "$what: 'DFU: leaving DFU mode' said once" test "$(console_count "DFU: leaving DFU mode" "$mark")" = 1
  check "$what: the run-time device is back (1209:0001)" test "$(usb_product 1209:0001)" = "dfuboot DFU sample"
}

# --- a. no bootable image ---------------------------------------------------
vboard create "$flash" --layout "$LAYOUT" --machine "$MACHINE" --force >/dev/null || die "vboard create"
vboard flash "$flash" --partition mcuboot "$images/bootloader.bin" >/dev/null || die "flash bootloader"
cp "$flash" "$work/empty.bin"
usb_start
expect "Unable to find bootable image"
expect "Entering USB DFU recovery: no bootable image"
expect "Waiting for USB DFU"
[ "$FLASH_LIVE" = 0 ] || check "a: nothing written while waiting" cmp -s "$work/empty.bin" "$flash"
restore "a"
# recovery followed by normal operation: the sample's own update path
dfu "$work/dn.log" --alt 1 --download "$hello"
check "a, then normal operation: the DFU sample downloads hello_world" test $? -eq 0
board_reset
expect "Swap type: test"
expect "Hello World! $BOARD"
board_reset
expect "Swap type: revert"
expect "This device supports USB DFU class."
mark=$(wc -l < "$console")
board_reset
expect "Swap type: none"
expect "This device supports USB DFU class."
check "a: no recovery once slot0 boots" test "$(console_count "Entering USB DFU recovery" "$mark")" = 0
board_stop
check "a, then normal operation: reverted to the DFU sample byte for byte" in_slot0 "$flash" "$dfu_sample"
check "a: the bootloader partition unchanged" same_region "$work/empty.bin" "$flash" 0 $((SLOT0_OFF))

# --- b. the button held at power-on -----------------------------------------
board_new "$no_usb"
skip_console
usb_start
expect "Swap type: none"
expect "no_usb: running on $BOARD without USB"
sleep 0.3
check "b: without the button no_usb runs and no USB device appears" \
  test -z "$(usb_product)$(usb_product 1209:0001)"
board_stop
skip_console
mark=$seen
usb_start --hold-button
expect "Swap type: none"
expect "Entering USB DFU recovery: button pressed"
sleep 0.3
check "b: the application did not run" test "$(console_count "no_usb: running" "$mark")" = 0
# upload is enabled in recovery: alt 0 reads slot0 back
dfu "$work/up.log" --alt 0 --upload "$work/slot0_up.bin"
check "b: dfu-util uploads slot0 (alt 0) in recovery" test $? -eq 0
check "b: the upload starts with no_usb byte for byte" cmp -s -n "$(stat -c %s "$no_usb")" "$work/slot0_up.bin" "$no_usb"
# the reset button lets the button go: no_usb boots
mark=$(wc -l < "$console")
board_reset
expect "Starting bootloader"
expect "no_usb: running on $BOARD without USB"
check "b: released at the first reset (no recovery after it)" \
  test "$(console_count "Entering USB DFU recovery" "$mark")" = 0
board_stop
skip_console
usb_start --hold-button
expect "Entering USB DFU recovery: button pressed"
# the reboot that installs the image is the first reset: released there
restore "b"
board_reset
expect "Swap type: none"
expect "This device supports USB DFU class."
board_stop
check "b: the DFU sample in slot0 byte for byte" in_slot0 "$flash" "$dfu_sample"

# --- c. the application's request -------------------------------------------
board_new "$requester"
skip_console
usb_start
expect "request_recovery: asking the bootloader for USB DFU recovery"
expect "Starting bootloader"
expect "Swap type: none"
expect "Entering USB DFU recovery: requested by the application"
# one request, one recovery: a reset without a download boots the
# application again (which asks again)
board_reset
expect "Starting bootloader"
expect "Jumping to the first image slot"
expect "request_recovery: asking the bootloader for USB DFU recovery"
expect "Entering USB DFU recovery: requested by the application"
restore "c"
board_stop
check "c: the DFU sample in slot0 byte for byte" in_slot0 "$flash" "$dfu_sample"

# --- d. the wait window (CONFIG_BOOT_USB_DFU_WAIT=2500) ---------------------
board_new
vboard flash "$flash" --partition mcuboot "$images/bootloader-wait.bin" >/dev/null || die "flash bootloader-wait"
skip_console
mark=$seen
usb_start
expect "Waiting for USB DFU (2500 ms)"
expect "USB DFU wait time elapsed" 30
expect "Jumping to the first image slot"
expect "This device supports USB DFU class."
check "d: an unused window is no recovery" test "$(console_count "Entering USB DFU recovery" "$mark")" = 0
# the bootloader left USB (board_usb_disable) before the jump: the
# sample's own run-time device is the one a host finds
check "d: after the window the DFU sample's own device enumerates" \
  test "$(usb_product 1209:0001)" = "dfuboot DFU sample"
board_reset
expect "Waiting for USB DFU (2500 ms)"
dfu "$work/wait.log" --alt 1 --download "$hello"
check "d: dfu-util downloads hello_world in the window and exits 0" test $? -eq 0
expect "Entering USB DFU recovery: USB DFU started in the wait window"
expect "Recovery image 2.0.0+0 valid; installing it as a permanent upgrade"
expect "Swap type: perm"
expect "Hello World! $BOARD"
board_stop
check "d: hello_world in slot0 byte for byte" in_slot0 "$flash" "$hello"
