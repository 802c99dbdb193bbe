#!/usr/bin/env bash
# Figures of the nRF5 port on the emulated chip (machine qemu-nrf51):
#   bench/silicon/bench_silicon.sh BUILD_DIR
# - the bootloader's text/data/bss with its crypto (RSA-2048 + ECDSA P-256)
#   and with RSA-2048 only;
# - its peak stack during a boot that swaps (TEST) and validates RSA-2048
#   signatures (RAM painted with a pattern through gdb-multiarch);
# - guest instructions (QEMU -icount) from reset until hello_world has
#   printed its line, for a TEST swap of a 400 KiB image;
# - guest instructions to validate a full slot (image_validate() with the
#   target crypto, RSA-2048) against a floor firmware that hashes the slot in
#   place and verifies once (bench/silicon/firmware/, built by `make bench`).
# Prints a table and `result: <key> <number>` lines.
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
images=$build/images/qemu-nrf51
bin=$build/bin
key=$root/keys/dev-rsa-2048.pem
work=$(mktemp -d "${TMPDIR:-/tmp}/dfuboot-bench-silicon.XXXXXX")
trap 'rm -rf "$work"' EXIT

[ -e "$images/bootloader.elf" ] || { echo "silicon: $images not built, section skipped"; exit 0; }

size_of() { arm-none-eabi-size "$1" | awk 'NR == 2 { print $1, $2, $3 }'; }
read -r t d b < <(size_of "$images/bootloader.elf")
read -r rt rd rb < <(size_of "$images/bootloader-rsa-only.elf")
echo "| nRF5 bootloader (Cortex-M0, -Os) | text | data | bss |"
echo "|---|---|---|---|"
echo "| RSA-2048 + ECDSA P-256 + SHA-256 | $t | $d | $b |"
echo "| RSA-2048 only | $rt | $rd | $rb |"
echo "result: nrf5_bootloader_text $t"
echo "result: nrf5_bootloader_data $d"
echo "result: nrf5_bootloader_bss $b"
echo "result: nrf5_bootloader_rsa_only_text $rt"
echo "result: nrf5_bootloader_rsa_only_data $rd"
echo "result: nrf5_bootloader_rsa_only_bss $rb"

# The bootloader as flashed is the one with USB DFU recovery: the USB core,
# the DFU class, the UART link's controller driver and the crypto. Its flash
# image is text + data (the .data initialisers live in flash); the limit is
# the 48 KiB mcuboot partition of the nrf52840dk layout (0xC000). The figure
# is only reported when those parts are really linked in.
boot_limit=$((0xC000))
missing=
syms=$(arm-none-eabi-nm "$images/bootloader.elf")
for sym in recovery_run usbd_init dfu_init uartlink_dev_poll mbedtls_rsa_rsassa_pss_verify_ext; do
  grep -q " T $sym\$" <<<"$syms" || missing="$missing $sym"
done
if [ -z "$missing" ]; then
  rec=$((t + d))
  verdict=met; [ "$rec" -le "$boot_limit" ] || verdict=missed
  echo "| bootloader with recovery (USB core, DFU class, UART link driver, crypto): text + data | $rec B of $boot_limit B (48 KiB partition: $verdict, $((boot_limit - rec)) B left) |"
  echo "result: bootloader_recovery_text_bytes $rec"
  echo "result: bootloader_recovery_partition_bytes $boot_limit"
else
  echo "| bootloader with recovery | not reported: the ELF lacks$missing |"
fi

# a flash with the DFU sample in slot0 and an upgrade request for IMAGE_BIN
pending_flash() {
  local f=$1 payload=$2
  rm -f "$f" "$f.layout"
  "$bin/vboard" create "$f" --machine qemu-nrf51 >/dev/null
  "$bin/vboard" flash "$f" --partition mcuboot "$images/bootloader.bin" >/dev/null
  "$bin/vboard" flash "$f" --partition slot0 "$images/dfu.signed.bin" >/dev/null
  "$bin/dfuimg" sign -k "$key" -H 0x200 --pad-header --align 4 -v 2.0.0 -S $((0x76000 - 0x1000)) --pad \
    "$payload" "$work/req.bin" >/dev/null 2>&1
  "$bin/vboard" flash "$f" --offset $((0x82000 + 0x1000)) "$work/req.bin" >/dev/null
}

# peak stack of the bootloader (TEST swap, RSA-2048)
if command -v gdb-multiarch >/dev/null; then
  pending_flash "$work/stack.bin" "$images/hello_world.bin"
  lo=$(arm-none-eabi-nm "$images/bootloader.elf" | awk '$3 == "__stack_limit" { print "0x" $1 }')
  hi=$(arm-none-eabi-nm "$images/bootloader.elf" | awk '$3 == "__stack_top" { print "0x" $1 }')
  python3 -c "import sys; sys.stdout.buffer.write(b'\xa5' * ($hi - $lo))" > "$work/pattern.bin"
  qemu-system-arm -M microbit -global nrf51-soc.flash-size=0x100000 -global nrf51-soc.sram-size=0x40000 \
    -icount shift=6,align=off,sleep=off -display none -nodefaults -S -gdb "unix:$work/gdb,server=on,wait=off" \
    </dev/null >/dev/null 2>&1 &
  qpid=$!
  for _ in $(seq 100); do [ -S "$work/gdb" ] && break; sleep 0.05; done
  gdb-multiarch -batch -ex "set pagination off" -ex "target remote $work/gdb" -ex "restore $work/stack.bin binary 0" \
    -ex "monitor system_reset" -ex "restore $work/pattern.bin binary $lo" -ex "break nrf5_jump" -ex continue \
    -ex "dump binary memory $work/ram.bin $lo $hi" -ex kill "$images/bootloader.elf" >/dev/null 2>&1 || true
  kill "$qpid" 2>/dev/null || true; wait "$qpid" 2>/dev/null || true
  stack=$(python3 -c "
import sys
d = open('$work/ram.bin', 'rb').read()
i = 0
while i < len(d) and d[i] == 0xa5: i += 1
print(len(d) - i)" 2>/dev/null || echo 0)
  # no RAM dump (the gdb run failed) or an untouched pattern: not measured
  if [ "$stack" -gt 0 ] && [ "$stack" -lt $((hi - lo)) ]; then
    echo "| bootloader peak stack (TEST swap, RSA-2048) | $stack B; static RAM $((d + b)) B; total $((stack + d + b)) B |"
    echo "result: nrf5_bootloader_stack_peak $stack"
    echo "result: nrf5_bootloader_ram_total $((stack + d + b))"
  else
    echo "| bootloader peak stack | not measured: the gdb run gave no RAM dump (see $work) |"
  fi
fi

# reset to hello_world's line, TEST swap of a 400 KiB image (hello_world's
# code, padded to 400 KiB of payload)
python3 -c "
import sys
d = open('$images/hello_world.bin', 'rb').read()
sys.stdout.buffer.write(d + b'\0' * (400 * 1024 - 0x200 - len(d)))" > "$work/hello400.bin"
pending_flash "$work/swap.bin" "$work/hello400.bin"
"$bin/vboard" run "$work/swap.bin" --stats "$work/stats.json" > "$work/console.log" 2>&1 &
vpid=$!
for _ in $(seq 1200); do grep -q "Hello World!" "$work/console.log" && break; sleep 0.1; done
kill -TERM "$vpid"; wait "$vpid" || true
insns=$(sed -n 's/.*"guest_instructions": \([0-9]*\).*/\1/p' "$work/stats.json")
if grep -q "Swap type: test" "$work/console.log" && grep -q "Hello World!" "$work/console.log" && [ "${insns:-0}" -gt 0 ]; then
  echo "| reset to hello_world's line, TEST swap of a 400 KiB image | $insns guest instructions (hello_world idles after its line) |"
  echo "result: nrf5_test_swap_400k_instructions $insns"
else
  echo "| reset to hello_world's line, TEST swap of a 400 KiB image | not measured: the run did not reach hello_world |"
fi

# Validation of a full slot against the in-place floor (RSA-2048). The
# image: 468 KiB hashed (header + body: the 472 KiB slot less its last
# sector), as section 3 on the host (signed for a larger slot: dfuimg and
# vboard refuse an image dfuboot could not swap, and validation needs no
# swap; it is written into the flash file directly). Zero bytes: SHA-256
# costs the same whatever the content. Each firmware runs at 0x0 with the
# image in slot0; bench/silicon/icount_between.sh counts the guest
# instructions between its markers (reset, startup and console excluded).
fw=$images/bench
if [ -e "$fw/silicon_bench_validate.bin" ] && [ -e "$fw/silicon_bench_floor.bin" ] &&
  [ -e "$fw/silicon_bench_floor_copy.bin" ] && command -v gdb-multiarch >/dev/null; then
  hashed=$((0x76000 - 0x1000))
  truncate -s $((hashed - 0x200)) "$work/slotpayload.bin"
  "$bin/dfuimg" sign -k "$key" -H 0x200 --pad-header --align 4 -v 1.0.0 -S 0x78000 \
    "$work/slotpayload.bin" "$work/slot.img" >/dev/null 2>&1
  declare -A icount
  for prog in validate floor floor_copy; do
    f=$work/$prog.flash
    rm -f "$f" "$f.layout"
    "$bin/vboard" create "$f" --machine qemu-nrf51 >/dev/null
    "$bin/vboard" flash "$f" --partition mcuboot "$fw/silicon_bench_$prog.bin" >/dev/null
    python3 -c "
import sys
f = open(sys.argv[1], 'r+b'); f.seek(0xC000); f.write(open(sys.argv[2], 'rb').read())" "$f" "$work/slot.img"
    line=$(bash "$root/bench/silicon/icount_between.sh" "$f" "$fw/silicon_bench_$prog.elf" 2>"$work/$prog.err") || line=
    # a run whose validation failed (result != 0) gives no figure
    case $line in "instructions "*" result 0") icount[$prog]=$(awk '{ print $2 }' <<<"$line") ;; *) icount[$prog]=0 ;; esac
  done
  if [ "${icount[validate]}" -gt 0 ] && [ "${icount[floor]}" -gt 0 ] && [ "${icount[floor_copy]}" -gt 0 ]; then
    r=$(awk -v a="${icount[validate]}" -v b="${icount[floor]}" 'BEGIN { printf "%.4f", a / b }')
    rc=$(awk -v a="${icount[validate]}" -v b="${icount[floor_copy]}" 'BEGIN { printf "%.4f", a / b }')
    verdict=$(awk -v r="$r" 'BEGIN { print (r <= 1.003) ? "met" : "missed" }')
    echo "| validate a full slot, RSA-2048 ($hashed B hashed): image_validate() + crypto_target.c | ${icount[validate]} guest instructions |"
    echo "| floor: SHA-256 in place over the mapped flash + one verify, same mbedTLS | ${icount[floor]} guest instructions |"
    echo "| ratio to the in-place floor | $r (goal <= 1.003: $verdict) |"
    echo "| copy floor: the same hashing a 1 KiB memcpy'd copy | ${icount[floor_copy]} guest instructions (ratio $rc) |"
    echo "result: silicon_validate_instructions ${icount[validate]}"
    echo "result: silicon_validate_floor_instructions ${icount[floor]}"
    echo "result: silicon_validate_ratio $r"
    echo "result: silicon_validate_copy_floor_instructions ${icount[floor_copy]}"
    echo "result: silicon_validate_ratio_copy_floor $rc"
  else
    echo "| validate a full slot | not measured: a run failed (validate ${icount[validate]}, floor ${icount[floor]}, copy floor ${icount[floor_copy]}; see $work/*.err) |"
  fi
else
  echo "| validate a full slot | not measured: needs the bench firmware (make bench) and gdb-multiarch |"
fi
