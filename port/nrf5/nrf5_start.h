/* Internals shared by the port's files (not part of the board API). */
#ifndef DFUBOOT_PORT_NRF5_NRF5_START_H
#define DFUBOOT_PORT_NRF5_NRF5_START_H

#include <stdint.h>

extern const uintptr_t nrf5_vectors[];

/* Prints why on the console and stops (board.c). */
void nrf5_fatal(const char *why) __attribute__((noreturn));
void nrf5_fatal_exception(uint32_t exception) __attribute__((noreturn));

#endif
