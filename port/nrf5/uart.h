/* UART0 of the nRF51/nRF52 (the legacy UART registers; the nRF52's UARTE0
 * has them too), polled, one byte at a time. It carries the console and,
 * in the applications that use USB, the frames of the UART link
 * (usb_link.h): the non-blocking byte functions are what the link's
 * device side takes. */
#ifndef DFUBOOT_PORT_NRF5_UART_H
#define DFUBOOT_PORT_NRF5_UART_H

#include <stddef.h>
#include <stdint.h>

void nrf5_uart_init(void);
/* Takes one byte for transmission: 1, or 0 while the previous byte is
 * still going out (TXDRDY not yet raised; a TXD write then would be lost). */
int nrf5_uart_try_put(uint8_t byte);
/* One received byte: 1, or 0 when the receiver has none. */
int nrf5_uart_try_get(uint8_t *byte);
/* Blocking write of len bytes (waits for the transmitter between bytes). */
void nrf5_uart_write(const void *data, size_t len);
/* Waits until the last byte has left (before disabling the UART). */
void nrf5_uart_drain(void);
void nrf5_uart_disable(void);

#endif
