#!/usr/bin/env bash
# The DFU misuse set over the UART link, against the Thumb firmware on the
# emulated chip (the virtual board's tests/e2e counterparts:
# test_dfu_util_bad_downloads.sh and test_pyusb_dfu.sh):
#  - bad control requests (a data stage where none belongs, unknown
#    requests and descriptors, a wrong interface, DFU transfers in run-time
#    mode): each STALLed, the device fine afterwards;
#  - a download to alt 0 (slot0 is upload only): refused;
#  - a wrong alt (5): refused; an ABORT after two blocks: back to dfuIDLE;
#  - data past the end of slot1 (0x76000 bytes) and up to its very end
#    (0x75000, larger than the largest image): errADDRESS while streaming;
# then the reset that writes the chip's flash back: nothing written outside
# slot1, slot0 unchanged, no upgrade requested, the DFU sample boots
# unchanged (no swap) and still answers over USB.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_dfu_util
py=/usr/bin/python3
[ -x "$py" ] || py=python3
lib=$build/lib/libusb-1.0.so.0
have_pyusb=1
"$py" -c 'import usb.core' 2>/dev/null && [ -e "$lib" ] || have_pyusb=0
host() { local log=$1; shift; (cd "$work" && timeout 300 "$py" "$@") > "$log" 2>&1; }

board_new
cp "$flash" "$work/original.bin"
usb_start
expect "This device supports USB DFU class."

if [ $have_pyusb = 1 ]; then
  host "$work/bad.log" "$here/usb_bad_requests.py" --lib "$lib"
  check "bad control requests: each stalled, the device fine afterwards" test $? -eq 0
  cat "$work/bad.log"
else
  echo "note: pyusb (python3-usb) or the libusb shim missing: bad requests, wrong alt and ABORT not run"
fi

dfu "$work/e.log" -e
check "dfu-util -e (detach) exits 0" test $? -eq 0

hello=$images/hello_world.signed.bin
dfu "$work/alt0.log" --alt 0 --download "$hello"
check "download to alt 0: dfu-util fails" test $? -ne 0

if [ $have_pyusb = 1 ]; then
  pyusb_dfu=$here/../e2e/pyusb_dfu.py
  host "$work/w5.log" "$pyusb_dfu" --lib "$lib" download --alt 5 "$hello"
  check "alt 5 is refused" test $? -eq 1
  check "alt 5: the client names the alts there are" grep -q 'alt 5 does not exist (the device has 0, 1)' "$work/w5.log"
  host "$work/ab.log" "$pyusb_dfu" --lib "$lib" download --alt 1 --abort-after 2 "$hello"
  check "ABORT after 2 blocks: the device is back in dfuIDLE" \
    grep -q 'aborted after 2 blocks; the device is in dfuIDLE' "$work/ab.log"
fi

head -c $((SLOT_SIZE)) /dev/urandom > "$work/huge.bin"
dfu "$work/huge.log" --alt 1 --download "$work/huge.bin"
check "past the end of slot1 (0x76000 B): dfu-util fails" test $? -ne 0
check "past the end: dfu-util reports the device's errADDRESS" \
  grep -q 'status(8) = Cannot program memory due to received address that is out of range' "$work/huge.log"

head -c $((SLOT_SIZE - DOWNLOAD_OFF)) /dev/urandom > "$work/big.bin"
dfu "$work/big.log" --alt 1 --download "$work/big.bin"
check "to slot1's very end (0x75000 B): dfu-util fails" test $? -ne 0
check "to the very end: the device reports errADDRESS" grep -q 'status(8)' "$work/big.log"

dfu "$work/l.log" -l
check "the device still answers after the misuse" grep -q '^Found' "$work/l.log"

skip_console
board_reset
expect "I: Starting bootloader"
check "nothing written outside slot1" same_outside_slot1 "$work/original.bin" "$flash"
check "slot0 unchanged" in_slot0 "$flash" "$images/dfu.signed.bin"
check "no upgrade requested" not slot1_magic "$flash"
expect "I: Swap type: none"
expect "This device supports USB DFU class."
dfu "$work/l2.log" -l
check "the DFU sample answers over USB after the reset" grep -q '^Found Runtime: \[1209:0001\]' "$work/l2.log"
board_stop
check "power-off: exit 0" [ "$board_rc" = 0 ]

silicon_done
