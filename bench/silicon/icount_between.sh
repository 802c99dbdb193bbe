#!/usr/bin/env bash
# Guest instructions between two markers of a silicon bench firmware
# (bench/silicon/firmware/bench_mark.h) on QEMU's microbit with the board's
# flash and RAM (1 MiB, 256 KiB) and a deterministic -icount:
#   bench/silicon/icount_between.sh FLASH.bin FIRMWARE.elf
# FLASH.bin is the whole flash (the firmware at 0x0). The chip is reset, runs
# to the first instruction of bench_mark_begin(), where QEMU's instruction
# count is read (QMP), then to the first instruction of bench_mark_end(),
# where it is read again and the firmware's result (r0) taken. Prints
#   instructions <end - begin> result <r0>
# The console (UART) goes to FLASH.console.
set -euo pipefail
flash=$1 elf=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/dfuboot-icount.XXXXXX")
qpid=
cleanup() { [ -z "$qpid" ] || { kill "$qpid" 2>/dev/null; wait "$qpid" 2>/dev/null; } || true; rm -rf "$work"; }
trap cleanup EXIT
qemu-system-arm -M microbit -global nrf51-soc.flash-size=0x100000 -global nrf51-soc.sram-size=0x40000 \
  -icount shift=6,align=off,sleep=off -display none -nodefaults -serial "file:$flash.console" -S \
  -gdb "unix:$work/gdb,server=on,wait=off" -qmp "unix:$work/qmp,server=on,wait=off" </dev/null >/dev/null 2>&1 &
qpid=$!
for _ in $(seq 200); do [ -S "$work/gdb" ] && [ -S "$work/qmp" ] && break; sleep 0.05; done
q="python3 $here/qmp_icount.py $work/qmp"
# board_halt() before the markers (a missing image, a bad layout) ends the
# run at once; a firmware that never gets there ends at the timeout.
cat >"$work/cmds.gdb" <<GDB
set pagination off
set confirm off
target remote $work/gdb
restore $flash binary 0
monitor system_reset
break *board_halt
commands
  printf "halted before the markers\\n"
  kill
  quit
end
break *bench_mark_begin
break *bench_mark_end
continue
shell $q > $work/begin
continue
shell $q > $work/end
printf "result %d\\n", \$r0
kill
GDB
timeout "${BENCH_ICOUNT_TIMEOUT:-900}" gdb-multiarch -batch -x "$work/cmds.gdb" "$elf" >"$work/gdb.log" 2>&1 || true
result=$(sed -n 's/^result \(-\?[0-9]*\)$/\1/p' "$work/gdb.log")
if [ ! -s "$work/begin" ] || [ ! -s "$work/end" ] || [ -z "$result" ]; then
  echo "icount_between: the firmware did not reach both markers" >&2
  cat "$work/gdb.log" >&2
  exit 1
fi
echo "instructions $(($(cat "$work/end") - $(cat "$work/begin"))) result $result"
