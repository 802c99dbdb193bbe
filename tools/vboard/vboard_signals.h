/* The signals a running board takes, for both machines' run loops:
 * SIGUSR1 presses the reset button, SIGINT and SIGTERM power it off, and
 * SIGCHLD (a firmware process or QEMU ended) only wakes the loop. Each one
 * also writes a byte to a pipe, so a loop blocked in poll() on
 * vboard_signals_fd() wakes up (no race between a check and the wait). */
#ifndef DFUBOOT_TOOLS_VBOARD_SIGNALS_H
#define DFUBOOT_TOOLS_VBOARD_SIGNALS_H

#include <signal.h>

extern volatile sig_atomic_t vboard_want_reset; /* SIGUSR1 came: the loop clears it */
extern volatile sig_atomic_t vboard_want_off;   /* SIGINT or SIGTERM came */

/* Creates the pipe and installs the handlers (SA_RESTART). 0, or -1 with
 * errno set. */
int vboard_signals_install(void);
/* The pipe's read end, for poll(). */
int vboard_signals_fd(void);
/* Empties the pipe after a wake-up. */
void vboard_signals_drain(void);

#endif
