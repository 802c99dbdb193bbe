/* Runs a shell command for a test and captures its standard output. */
#ifndef DFUBOOT_TESTS_RUN_H
#define DFUBOOT_TESTS_RUN_H

#include <stdio.h>

/* Output (NUL-terminated, truncated to size - 1) in `out`; returns the
 * pclose() status, or -1 if the command could not be started. */
static inline int run_command(const char *cmd, char *out, size_t size)
{
    FILE *p = popen(cmd, "r");
    size_t n = 0;

    if (!p)
        return -1;
    while (n + 1 < size) {
        size_t k = fread(out + n, 1, size - 1 - n, p);

        if (k == 0)
            break;
        n += k;
    }
    out[n] = 0;
    return pclose(p);
}

#endif
