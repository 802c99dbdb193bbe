#!/usr/bin/env bash
# `vboard flash` refuses an MCUboot image that dfuboot's swap could never
# move in the board's slots (the boot core's boot_max_image_size: slot
# sectors minus the trailer sector minus the update's offset sector), in
# slot0 and slot1, and takes the largest one that fits.
set -u
bin=${DFUBOOT_BUILD_DIR:?}/bin
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0 passes=0
ok() { passes=$((passes + 1)); }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
sign() { # sign PAYLOAD_SIZE OUT: hash-only image, header 0x200, no protected TLVs (TLVs: 40 bytes)
  head -c "$1" /dev/zero | tr '\0' '\132' > "$work/payload"
  "$bin/dfuimg" sign -H 0x200 --pad-header --align 4 -v 1.0.0 -S 0x100000 "$work/payload" "$2" >/dev/null
}

F=$work/flash.bin
"$bin/vboard" create "$F" >/dev/null || bad "create"
# nRF52840 DK: 0x76000-byte slots of 4 KiB sectors: 118 - 1 - 1 = 116 sectors = 0x74000 bytes
max=$((0x74000))
sign $((max - 0x200 - 40)) "$work/fits.bin" || bad "sign the largest image"
[ "$(stat -c %s "$work/fits.bin")" -eq $max ] && ok || bad "largest image is 0x74000 bytes"
sign $((max - 0x200 - 40 + 1)) "$work/big.bin" || bad "sign one byte more"
"$bin/vboard" flash "$F" --partition slot0 "$work/fits.bin" >/dev/null && ok || bad "largest image into slot0"
"$bin/vboard" flash "$F" --partition slot1 "$work/fits.bin" >/dev/null && ok || bad "largest image into slot1"
for p in slot0 slot1; do
  cp "$F" "$work/before.bin"
  err=$("$bin/vboard" flash "$F" --partition $p "$work/big.bin" 2>&1 >/dev/null); rc=$?
  [ $rc -ne 0 ] && ok || bad "$p: one byte too large accepted"
  [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] && ok || bad "$p: not a one-line error: $err"
  case $err in *"at most 0x74000 bytes"*"trailer"*"offset"*) ok ;; *) bad "$p: reason not named: $err" ;; esac
  cmp -s "$F" "$work/before.bin" && ok || bad "$p: flash changed by a refused image"
done
# an update laid out at the download offset (first sector erased) is checked too
{ head -c 4096 /dev/zero | tr '\0' '\377'; cat "$work/big.bin"; } > "$work/big-at-offset.bin"
"$bin/vboard" flash "$F" --partition slot1 "$work/big-at-offset.bin" >/dev/null 2>&1 && bad "offset image accepted" || ok
# data that is not an image, and other partitions, are not judged
head -c $((0x75000)) /dev/urandom > "$work/blob"
"$bin/vboard" flash "$F" --partition slot0 "$work/blob" >/dev/null && ok || bad "raw data into slot0"
"$bin/vboard" flash "$F" --partition storage "$work/fits.bin" >/dev/null 2>&1; [ $? -ne 0 ] && ok || bad "storage too small must still fail on size"

echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
