/* See vboard_signals.h. */
#include "tools/vboard/vboard_signals.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

volatile sig_atomic_t vboard_want_reset, vboard_want_off;
static int wake_pipe[2] = { -1, -1 };

static void on_signal(int sig)
{
    int saved = errno;
    char c = (char)sig;

    if (sig == SIGUSR1)
        vboard_want_reset = 1;
    else if (sig == SIGINT || sig == SIGTERM)
        vboard_want_off = 1;
    if (write(wake_pipe[1], &c, 1) < 0) {
        /* the pipe is full: a wake-up is pending anyway */
    }
    errno = saved;
}

int vboard_signals_install(void)
{
    static const int sigs[] = { SIGUSR1, SIGINT, SIGTERM, SIGCHLD };
    struct sigaction sa;

    if (wake_pipe[0] < 0 && pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        return -1;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
        if (sigaction(sigs[i], &sa, NULL) != 0)
            return -1;
    }
    return 0;
}

int vboard_signals_fd(void)
{
    return wake_pipe[0];
}

void vboard_signals_drain(void)
{
    char drain[64];

    while (read(wake_pipe[0], drain, sizeof(drain)) > 0) {
    }
}
