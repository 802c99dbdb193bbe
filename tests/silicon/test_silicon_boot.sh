#!/usr/bin/env bash
# The Thumb bootloader on the emulated chip: boots signed applications,
# refuses an image built for the other machine, keeps the flash file across
# runs; vboard's machine checks and exit codes.
. "$(dirname "$0")/lib.sh"

# hello_world in slot0: validated (RSA-2048 on the Cortex-M0) and started
board_new "$images/hello_world.signed.bin"
cp "$flash" "$work/before.bin"
board_start --stats "$work/stats.json"
expect "*** Booting dfuboot"
expect "I: Starting bootloader"
expect "I: Swap type: none"
expect "I: Bootloader chainload address offset: 0x$(printf %x $SLOT0_OFF)"
expect "I: Jumping to the first image slot"
expect "*** Booting dfuboot"
expect "Hello World! $BOARD"
board_stop
check "power-off: exit status 0" [ "$board_rc" = 0 ]
check "a boot without swap leaves the flash file as it was" cmp -s "$work/before.bin" "$flash"
check "--stats: a JSON line with the guest instruction count" \
  grep -q '"machine": "qemu-nrf51", "erases": 0, "bytes_programmed": 0, "writes": 0, "flash_ops": 0, "guest_instructions": [1-9]' "$work/stats.json"

# the DFU sample: its board API runs without USB (no UART link yet)
board_new
board_start
expect "I: Jumping to the first image slot"
expect "<inf> main: This device supports USB DFU class."
board_stop

# the virtual host machine's signed hello_world (an x86-64 ELF) in slot0:
# signature valid, but its vector table points nowhere on this chip
host_hello=$build/images/hello_world.signed.bin
if [ -e "$host_hello" ]; then
  board_new "$host_hello"
  skip_console
  board_start
  expect "E: Image in the primary slot is not valid!"
  expect "*** board halted: no bootable image ***"
  check "nothing after the refusal" expect_not "Hello World!"
  board_stop
  check "a refused image: power-off still exits 0" [ "$board_rc" = 0 ]
else
  echo "note: $host_hello not built; the wrong-machine image case is left out"
fi

# a signed image that is not this machine's firmware at all
head -c 4096 /dev/urandom > "$work/noise.bin"
"$bin/dfuimg" sign -k "$key" -H 0x200 --pad-header --align 4 -v 1.0.0 -S $((SLOT_SIZE)) "$work/noise.bin" \
  "$work/noise.signed.bin" >/dev/null 2>&1 || die "sign noise"
board_new "$work/noise.signed.bin"
skip_console
board_start
expect "E: Image in the primary slot is not valid!"
board_stop

# a tampered image: the signature check on the target refuses it
board_new "$images/hello_world.signed.bin"
printf '\x01' | dd of="$flash" bs=1 seek=$((SLOT0_OFF + 0x300)) conv=notrunc status=none
skip_console
board_start
expect "E: Image in the primary slot is not valid!"
expect "Entering USB DFU recovery: no bootable image"
board_stop

# vboard: machine recorded beside the layout, info works unchanged
check "the machine is recorded beside the layout" [ "$(sed -n 2p "$flash.layout")" = qemu-nrf51 ]
check "vboard info on a qemu-nrf51 file" sh -c "'$bin/vboard' info '$flash' | grep -q 'layout nrf52840dk'"

# a flash file made for the host machine: clear error, exit 1, file intact
vboard create "$work/host.bin" --layout nrf52840dk >/dev/null || die "create host flash"
vboard flash "$work/host.bin" --partition mcuboot "$build/images/bootloader.bin" >/dev/null 2>&1 ||
  vboard flash "$work/host.bin" --partition mcuboot /bin/true >/dev/null || die "flash an ELF"
cp "$work/host.bin" "$work/host.copy"
"$bin/vboard" run "$work/host.bin" --machine qemu-nrf51 > "$work/err.txt" 2>&1
rc=$?
check "run --machine qemu-nrf51 on a host flash file: exit 1" [ "$rc" = 1 ]
check "... saying it was made for the host machine" grep -q "made for machine host, not qemu-nrf51" "$work/err.txt"
printf 'nrf52840dk\nqemu-nrf51\n' > "$work/host.bin.layout"
"$bin/vboard" run "$work/host.bin" > "$work/err.txt" 2>&1
rc=$?
check "an ELF in the boot partition of a qemu-nrf51 file: exit 1" [ "$rc" = 1 ]
check "... saying the file was made for the other machine" grep -q "made for the other machine" "$work/err.txt"
check "... and the file is untouched" cmp -s "$work/host.bin" "$work/host.copy"
check "--machine with another layout is refused" \
  sh -c "! '$bin/vboard' create '$work/x.bin' --layout stm32f4 --machine qemu-nrf51 2>/dev/null"
check "--torn is refused on qemu-nrf51" sh -c "! '$bin/vboard' run '$flash' --cut-after-ops 1 --torn 2>/dev/null"

# QEMU missing: one line naming the Debian package
DFUBOOT_QEMU=/nonexistent/qemu-system-arm "$bin/vboard" run "$flash" > "$work/err.txt" 2>&1
rc=$?
check "QEMU missing: exit 1" [ "$rc" = 1 ]
check "... one line naming the Debian package" \
  sh -c "[ \$(wc -l < '$work/err.txt') = 1 ] && grep -q 'install the Debian package qemu-system-arm' '$work/err.txt'"

silicon_done
