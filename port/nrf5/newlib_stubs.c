/* The two system calls newlib's code may reach on this port. There is no
 * heap: firmware allocates nothing (mbedTLS takes its memory from a static
 * buffer), so sbrk always fails. exit() halts the board. */
#include <errno.h>
#include <stddef.h>

#include "port/nrf5/nrf5_start.h"

void *_sbrk(ptrdiff_t incr);
void _exit(int status);

void *_sbrk(ptrdiff_t incr)
{
    (void)incr;
    errno = ENOMEM;
    return (void *)-1;
}

void _exit(int status)
{
    (void)status;
    nrf5_fatal("exit() called");
}
