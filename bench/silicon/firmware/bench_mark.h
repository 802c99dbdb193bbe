/* Markers around the measured part of a silicon bench firmware. The bench
 * (bench/silicon/bench_silicon.sh, through bench/silicon/icount.sh) stops
 * the emulated chip with a gdb breakpoint on the first instruction of each
 * marker and reads QEMU's guest instruction count there (QMP query-replay):
 * the figure is the difference, so reset, startup, console output and the
 * preparation before bench_mark_begin() are not in it.
 *
 * bench_mark_end() takes the result so the bench can read it at the
 * breakpoint (register r0) and report no figure for a failed run. */
#ifndef DFUBOOT_BENCH_SILICON_BENCH_MARK_H
#define DFUBOOT_BENCH_SILICON_BENCH_MARK_H

void bench_mark_begin(void);
void bench_mark_end(int result);

#endif
