/* The virtual board's stand-in for interrupt context.
 *
 * On a microcontroller, USB controller events reach the device core from
 * an interrupt handler, and usb/usb_dc.h forbids slow work there (flash
 * erase or program above all). A host process has no interrupts, so the
 * controllers of this port (the USB/IP server, the fake controller of the
 * unit tests, the UART bridge) bracket every event they deliver with
 * irq_context_enter()/irq_context_exit(), and the simulated flash aborts
 * the program, loudly, when it is erased or programmed inside. Every test
 * runs with the check on. */
#ifndef DFUBOOT_PORT_POSIX_IRQ_CONTEXT_H
#define DFUBOOT_PORT_POSIX_IRQ_CONTEXT_H

/* `what` names the event, for the message if the contract is broken. */
void irq_context_enter(const char *what);
void irq_context_exit(void);
/* The event being delivered now, or NULL outside events. */
const char *irq_context_active(void);

#endif
