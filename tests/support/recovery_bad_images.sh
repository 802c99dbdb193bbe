# What recovery mode does with images it must refuse, and with a download
# cut short, on either board: sourced after tests/e2e/lib.sh (the virtual
# board) or tests/silicon/lib.sh (the emulated chip, USB over its UART). The
# board holds no_usb (an application without USB) and enters recovery
# through the button (vboard run --hold-button):
#  - garbage, an unsigned image, an image signed with another key and a
#    signed image with one byte changed are each downloaded with dfu-util:
#    GETSTATUS after the download reports dfuERROR with errFILE (garbage,
#    another key) or errVERIFY (no signature, a changed byte; dfu-util 0.11
#    prints the status and still exits 0), the console says why, the device
#    stays in recovery (the next dfu-util run clears the error), no upgrade
#    is requested and slot0 and everything outside slot1 stay as they were
#    (checked after each image where the flash file follows the board
#    live, FLASH_LIVE=1, and after the reset on both);
#  - a reset after a refused image boots no_usb as before;
#  - a reset in the middle of a recovery download boots no_usb as before,
#    and the next recovery download installs the DFU sample.
need_dfu_util
dfu_sample=$images/dfu.signed.bin
no_usb=$images/no_usb.signed.bin
[ -e "$no_usb" ] || { echo "SKIP: $no_usb was not built"; exit 77; }

board_new "$no_usb"
cp "$flash" "$work/original.bin"
usb_start --hold-button
expect "Entering USB DFU recovery: button pressed"

# nothing_requested WHEN: no upgrade request in slot1, and slot0 and
# everything outside slot1 as at the start
nothing_requested() {
  check "$1: no upgrade requested" not slot1_magic "$flash"
  check "$1: slot0 and everything outside slot1 unchanged" same_outside_slot1 "$work/original.bin" "$flash"
}

# refused NAME FILE STATUS_TEXT: a recovery download of FILE is refused
refused() {
  local name=$1 file=$2 status=$3
  skip_console
  dfu "$work/$name.log" --alt 1 --download "$file"
  check "$name: GETSTATUS says dfuERROR, $status" grep -q "DFU state(10) = dfuERROR, $status" "$work/$name.log"
  expect "Recovery image refused"
  [ "$FLASH_LIVE" = 0 ] || nothing_requested "$name"
  check "$name: still the recovery device" test "$(usb_product)" = "dfuboot recovery"
  check "$name: the bootloader did not reboot" expect_not "Starting bootloader"
}
errfile="status(2)"   # errFILE
errverify="status(7)" # errVERIFY

head -c 20000 /dev/urandom > "$work/garbage.bin"
refused garbage "$work/garbage.bin" "$errfile"

"$bin/dfuimg" sign --header-size 0x200 --pad-header --align 4 --version 5.0.0 --slot-size $((SLOT_SIZE)) \
  "$images/dfu.bin" "$work/unsigned.bin" > "$work/sign1.log" 2>&1 || die "dfuimg sign (no key): $(cat "$work/sign1.log")"
refused unsigned "$work/unsigned.bin" "$errverify"

"$bin/dfuimg" keygen -t ecdsa-p256 -k "$work/other.pem" > "$work/keygen.log" 2>&1 || die "dfuimg keygen"
"$bin/dfuimg" sign -k "$work/other.pem" --header-size 0x200 --pad-header --align 4 --version 5.0.0 \
  --slot-size $((SLOT_SIZE)) "$images/dfu.bin" "$work/other_key.bin" > "$work/sign2.log" 2>&1 ||
  die "dfuimg sign (other key): $(cat "$work/sign2.log")"
refused other_key "$work/other_key.bin" "$errfile"

# one byte of the body changed after signing
cp "$dfu_sample" "$work/tampered.bin"
printf '\x5a' | dd of="$work/tampered.bin" bs=1 seek=4096 conv=notrunc status=none
cmp -s "$dfu_sample" "$work/tampered.bin" && die "the tampered copy equals the original"
refused tampered "$work/tampered.bin" "$errverify"

# back to a safe state: a reset (which also lets the button go) boots the
# unchanged application
board_reset
expect "Starting bootloader"
expect "Swap type: none"
expect "no_usb: running on $BOARD without USB"
nothing_requested "after the refused images"
check "after the refused images: slot0 still no_usb" in_slot0 "$flash" "$no_usb"
board_stop

# a reset in the middle of a recovery download: a valid image of 400 KiB or
# more (the DFU sample's program with random bytes after it)
cp "$images/dfu.bin" "$work/body.bin"
pad=$((409600 - $(stat -c %s "$images/dfu.bin")))
[ "$pad" -ge 65536 ] || pad=65536 # an instrumented build's program is larger
head -c "$pad" /dev/urandom >> "$work/body.bin"
"$bin/dfuimg" sign -k "${key:-$keys/dev-rsa-2048.pem}" --header-size 0x200 --pad-header --align 4 \
  --version 3.0.0 --slot-size $((SLOT_SIZE)) "$work/body.bin" "$work/big.signed.bin" > "$work/sign3.log" 2>&1 ||
  die "dfuimg sign: $(cat "$work/sign3.log")"
big_len=$(stat -c %s "$work/big.signed.bin")
probe=$((SLOT1_OFF + DOWNLOAD_OFF + 0x4000))
skip_console
if [ "$FLASH_LIVE" = 1 ]; then
  # flash operations at 10 % of the nRF52840's real time and 64-byte
  # transfers, so the reset lands in the middle of the download on a loaded
  # machine too; the reset comes once 16 KiB of the image are in the file
  DFUBOOT_VBOARD_FLASH_TIME=10 usb_start --hold-button
  expect "Entering USB DFU recovery: button pressed"
  ff16=$(printf 'ff%.0s' $(seq 16))
  dfu "$work/big.log" --alt 1 -t 64 --download "$work/big.signed.bin" &
  dfu_pid=$!
  deadline=$((SECONDS + 20))
  while [ "$(od -An -v -tx1 -j $probe -N 16 "$flash" | tr -d ' \n')" = "$ff16" ]; do
    kill -0 $dfu_pid 2>/dev/null || break
    [ $SECONDS -ge $deadline ] && break
  done
else
  # the chip's flash reaches the file only at the reset: go by dfu-util's
  # progress, and reset once a fifth of it is through
  usb_start --hold-button
  expect "Entering USB DFU recovery: button pressed"
  dfu "$work/big.log" --alt 1 --download "$work/big.signed.bin" &
  dfu_pid=$!
  deadline=$((SECONDS + 120))
  until tr '\r' '\n' < "$work/big.log" 2>/dev/null | grep -q -E '\] +([2-9][0-9])% '; do
    kill -0 $dfu_pid 2>/dev/null || break
    [ $SECONDS -ge $deadline ] && break
    sleep 0.1
  done
fi
board_reset
wait $dfu_pid
check "reset mid-download: dfu-util fails" test $? -ne 0
expect "Starting bootloader"
check "reset mid-download: it came in the middle (16 KiB written, the end not)" \
  eval "! erased '$flash' $probe 16 && erased '$flash' $((SLOT1_OFF + DOWNLOAD_OFF + big_len - SECTOR)) $((SECTOR))"
expect "Secondary image: magic=unset"
expect "Swap type: none"
expect "no_usb: running on $BOARD without USB"
nothing_requested "reset mid-download"
board_stop

# the next recovery download installs the DFU sample
skip_console
usb_start --hold-button
expect "Entering USB DFU recovery: button pressed"
dfu "$work/restore.log" --alt 1 --download "$dfu_sample"
check "the next recovery download exits 0" test $? -eq 0
expect "Swap type: perm"
expect "This device supports USB DFU class."
board_stop
check "the DFU sample in slot0 byte for byte" in_slot0 "$flash" "$dfu_sample"
