#include "port/posix/irq_context.h"

#include <stdio.h>
#include <stdlib.h>

/* Events are never nested (usb/usb_dc.h); a nested enter is a bug of the
 * controller and is reported as such. */
static const char *active;

void irq_context_enter(const char *what)
{
    if (active != NULL) {
        fprintf(stderr, "FATAL: USB controller event '%s' delivered inside event '%s' (events must not nest)\n",
                what, active);
        abort();
    }
    active = what;
}

void irq_context_exit(void)
{
    active = NULL;
}

const char *irq_context_active(void)
{
    return active;
}
