/* Internals shared by the port's files (not part of the board API). */
#ifndef DFUBOOT_PORT_NRF5_NRF5_START_H
#define DFUBOOT_PORT_NRF5_NRF5_START_H

#include <stddef.h>
#include <stdint.h>

extern const uintptr_t nrf5_vectors[];

/* Prints why on the console and stops (board.c). */
void nrf5_fatal(const char *why) __attribute__((noreturn));
void nrf5_fatal_exception(uint32_t exception) __attribute__((noreturn));

/* Where console text goes while something else shares the UART (the USB
 * link, usb_link.h): `write` queues it (returns nonzero when it took the
 * text), `flush` sends what is queued before a reboot or a halt. Set by
 * the link when the application binds it, so programs without USB (the
 * bootloader, hello_world) link none of it. NULL: straight to the UART. */
struct nrf5_console_route {
    int (*write)(const char *text, size_t len);
    void (*flush)(void);
};
void nrf5_console_set_route(const struct nrf5_console_route *route);

#endif
