#!/usr/bin/env bash
# dfuimg with hostile files: truncated, oversized, corrupt and garbage images
# and keys, and keys of the wrong type. Every refusal must be an exit code
# of 1 or 2 (never a signal or a sanitizer report) with a one-line message,
# no output file may be left behind by a failed sign, and no changed image
# may ever verify.
set -u
dfuimg=$1
src=${DFUBOOT_SOURCE_DIR:?}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0 checks=0
ok() { checks=$((checks + 1)); }
bad() { checks=$((checks + 1)); fails=$((fails + 1)); echo "FAIL: $*"; }

# run NAME EXPECTED_RC|refused CMD...: 'refused' = rc 1 or 2, one stderr line.
run() {
  local name=$1 want=$2
  shift 2
  "$@" >"$work/out" 2>"$work/err"
  local rc=$?
  if grep -q "Sanitizer\|runtime error" "$work/err"; then bad "$name: sanitizer report"; cat "$work/err"; return; fi
  if [ "$want" = refused ]; then
    if [ $rc -ne 1 ] && [ $rc -ne 2 ]; then bad "$name: rc=$rc (want 1 or 2)"; return; fi
    if [ $rc -eq 2 ] && [ "$(grep -c . "$work/err")" -ne 1 ]; then
      bad "$name: not a one-line error: $(cat "$work/err")"; return
    fi
    if grep -q "correctly validated" "$work/out"; then bad "$name: validated"; return; fi
  elif [ $rc -ne "$want" ]; then
    bad "$name: rc=$rc (want $want): $(cat "$work/err")"; return
  fi
  ok
}

key=$src/keys/dev-rsa-2048.pem
head -c 3000 /dev/urandom >"$work/payload"
"$dfuimg" keygen -t ed25519 -k "$work/ed.pem" 2>/dev/null
"$dfuimg" keygen -t ecdsa-p256 -k "$work/ec.pem" 2>/dev/null
"$dfuimg" keygen -t ed25519 -k "$work/ed2.pem" 2>/dev/null
run "sign good" 0 "$dfuimg" sign -k "$key" -H 0x200 --pad-header -v 1.2.3 -S 0x10000 "$work/payload" "$work/good.bin"
run "verify good" 0 "$dfuimg" verify -k "$key" "$work/good.bin"
len=$(stat -c %s "$work/good.bin")

# --- images ------------------------------------------------------------------
# truncated at every 23rd length (and the edges of each part)
for n in $(seq 0 23 "$len") 31 32 33 $((len - 1)); do
  head -c "$n" "$work/good.bin" >"$work/trunc.bin"
  run "verify truncated to $n" refused "$dfuimg" verify -k "$key" "$work/trunc.bin"
  run "dumpinfo truncated to $n" refused "$dfuimg" dumpinfo "$work/trunc.bin"
done
# one byte changed at a time, every 29th byte of header, padding, body and TLVs
python3 - "$work/good.bin" "$work" <<'PY'
import sys
d = open(sys.argv[1], "rb").read()
for off in range(0, len(d), 29):
    b = bytearray(d); b[off] ^= 0x5a
    open("%s/flip-%d.bin" % (sys.argv[2], off), "wb").write(b)
PY
for f in "$work"/flip-*.bin; do
  run "verify with a byte changed ($(basename "$f"))" refused "$dfuimg" verify -k "$key" "$f"
  "$dfuimg" dumpinfo "$f" >/dev/null 2>"$work/err"; rc=$?
  { [ $rc -le 2 ] && ! grep -q "Sanitizer\|runtime error" "$work/err"; } && ok || bad "dumpinfo $(basename "$f"): rc=$rc"
done
# lying sizes in the header: img_size, hdr_size, protect_tlv_size, TLV tot
python3 - "$work" <<'PY'
import struct, sys
w = sys.argv[1]
d = bytearray(open(w + "/good.bin", "rb").read())
hdr, prot, img = struct.unpack_from("<HHI", d, 8)
def save(name, b): open("%s/%s.bin" % (w, name), "wb").write(b)
for name, val in (("img-huge", 0xffffffff), ("img-big", img + 4), ("img-zero", 0), ("img-wrap", 0xffffffff - hdr + 1)):
    b = bytearray(d); struct.pack_into("<I", b, 12, val); save(name, b)
for name, val in (("hdr-zero", 0), ("hdr-31", 31), ("hdr-huge", 0xffff)):
    b = bytearray(d); struct.pack_into("<H", b, 8, val); save(name, b)
for name, val in (("prot-4", 4), ("prot-huge", 0xffff)):
    b = bytearray(d); struct.pack_into("<H", b, 10, val); save(name, b)
t = hdr + img + prot
for name, val in (("tot-zero", 0), ("tot-3", 3), ("tot-huge", 0xffff), ("tot-short", 8)):
    b = bytearray(d); struct.pack_into("<H", b, t + 2, val); save(name, b)
b = bytearray(d); struct.pack_into("<H", b, t + 6, 0xfff0); save("tlv-len-huge", b)
save("oversized", d + bytes(1 << 20))               # 1 MiB of zeros after the TLVs
save("garbage", bytes((i * 131 + 7) & 0xff for i in range(4096)))
save("header-only", d[:32])
PY
for f in img-huge img-big img-zero img-wrap hdr-zero hdr-31 hdr-huge prot-4 prot-huge tot-zero tot-3 tot-huge \
         tot-short tlv-len-huge garbage header-only; do
  run "verify $f" refused "$dfuimg" verify -k "$key" "$work/$f.bin"
  run "verify $f (hash only)" refused "$dfuimg" verify "$work/$f.bin"
  run "dumpinfo $f" refused "$dfuimg" dumpinfo "$work/$f.bin"
done
# trailing bytes after the image are not part of it: still valid, nothing else
run "verify oversized file" 0 "$dfuimg" verify -k "$key" "$work/oversized.bin"
run "verify a directory" refused "$dfuimg" verify -k "$key" "$work"
run "verify a missing file" refused "$dfuimg" verify -k "$key" "$work/none.bin"

# --- keys ----------------------------------------------------------------------
head -c 100 "$key" >"$work/trunc.pem"
head -c 2000 /dev/urandom >"$work/random.pem"
printf -- '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' >"$work/empty.pem"
: >"$work/zero.pem"
openssl ecparam -name secp384r1 -genkey -noout -out "$work/p384.pem" 2>/dev/null
openssl genrsa -out "$work/rsa1024.pem" 1024 2>/dev/null
openssl ecparam -name secp256k1 -genkey -noout -out "$work/k256.pem" 2>/dev/null
openssl genpkey -algorithm ed448 -out "$work/ed448.pem" 2>/dev/null
"$dfuimg" getpub -k "$work/ed.pem" -e pem -o "$work/ed.pub.pem"
for k in trunc random empty zero rsa1024 k256 ed448; do
  [ -s "$work/$k.pem" ] || [ "$k" = zero ] || { echo "note: no $k key (openssl missing?)"; continue; }
  rm -f "$work/o.bin"
  run "sign with $k key" refused "$dfuimg" sign -k "$work/$k.pem" -H 0x200 --pad-header -v 1 -S 0x10000 \
    "$work/payload" "$work/o.bin"
  [ ! -e "$work/o.bin" ] && ok || bad "sign with $k key left an output file"
  run "verify with $k key" refused "$dfuimg" verify -k "$work/$k.pem" "$work/good.bin"
  run "getpub of $k key" refused "$dfuimg" getpub -k "$work/$k.pem"
done
# a P-384 key from OpenSSL (SEC1 PEM) signs and verifies; not with the RSA key
if [ -s "$work/p384.pem" ]; then
  run "sign with an OpenSSL P-384 key" 0 "$dfuimg" sign -k "$work/p384.pem" -H 0x200 --pad-header -v 1 -S 0x10000 \
    "$work/payload" "$work/p384.bin"
  run "verify the P-384 image" 0 "$dfuimg" verify -k "$work/p384.pem" "$work/p384.bin"
  run "verify the P-384 image with the RSA key" refused "$dfuimg" verify -k "$key" "$work/p384.bin"
fi
# a public key cannot sign; keys of another type never verify
rm -f "$work/o.bin"
run "sign with a public key" refused "$dfuimg" sign -k "$work/ed.pub.pem" -H 0x200 --pad-header -v 1 -S 0x10000 \
  "$work/payload" "$work/o.bin"
[ ! -e "$work/o.bin" ] && ok || bad "sign with a public key left an output file"
run "verify RSA image with an Ed25519 key" refused "$dfuimg" verify -k "$work/ed.pem" "$work/good.bin"
run "verify RSA image with an EC key" refused "$dfuimg" verify -k "$work/ec.pem" "$work/good.bin"
run "sign with ed25519" 0 "$dfuimg" sign -k "$work/ed.pem" -H 0x200 --pad-header -v 1 -S 0x10000 "$work/payload" "$work/ed.bin"
run "verify Ed25519 image with the RSA key" refused "$dfuimg" verify -k "$key" "$work/ed.bin"
run "verify Ed25519 image with another Ed25519 key" refused "$dfuimg" verify -k "$work/ed2.pem" "$work/ed.bin"

# --- sign inputs ----------------------------------------------------------------
head -c $((0x10000)) /dev/urandom >"$work/big"
rm -f "$work/o.bin"
run "sign a payload larger than the slot" refused "$dfuimg" sign -k "$key" -H 0x200 --pad-header -v 1 -S 0x10000 \
  "$work/big" "$work/o.bin"
[ ! -e "$work/o.bin" ] && ok || bad "oversized sign left an output file"
run "sign a missing payload" refused "$dfuimg" sign -k "$key" -H 0x200 --pad-header -v 1 -S 0x10000 \
  "$work/none" "$work/o.bin"
run "sign with a bad version" refused "$dfuimg" sign -k "$key" -H 0x200 --pad-header -v 1.2.3.4.5 -S 0x10000 \
  "$work/payload" "$work/o.bin"
run "sign with header size 8" refused "$dfuimg" sign -k "$key" -H 8 --pad-header -v 1 -S 0x10000 \
  "$work/payload" "$work/o.bin"
# without --pad-header the payload must start with hdr_size zero bytes
run "sign without header room" refused "$dfuimg" sign -k "$key" -H 0x200 -v 1 -S 0x10000 \
  "$work/payload" "$work/o.bin"

echo "$checks checks, $fails failed"
[ $fails -eq 0 ]
