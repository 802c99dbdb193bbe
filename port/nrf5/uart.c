/* UART0, polled: see uart.h. */
#include "port/nrf5/uart.h"

#include "port/nrf5/nrf5_regs.h"

/* UART pins of the micro:bit (QEMU ignores them; a DK uses P0.06/P0.08). */
#define NRF5_UART_TX_PIN 24u
#define NRF5_UART_RX_PIN 25u

/* A byte was written to TXD and its TXDRDY may not have come yet. */
static uint8_t tx_in_flight;

void nrf5_uart_init(void)
{
    UART0_PSELTXD = NRF5_UART_TX_PIN;
    UART0_PSELRXD = NRF5_UART_RX_PIN;
    UART0_BAUDRATE = UART_BAUDRATE_115200;
    UART0_ENABLE = UART_ENABLE_ENABLED;
    UART0_TASKS_STARTTX = 1;
    UART0_TASKS_STARTRX = 1;
    tx_in_flight = 0;
}

int nrf5_uart_try_put(uint8_t byte)
{
    if (tx_in_flight && UART0_EVENTS_TXDRDY == 0)
        return 0;
    UART0_EVENTS_TXDRDY = 0;
    UART0_TXD = byte;
    tx_in_flight = 1;
    return 1;
}

int nrf5_uart_try_get(uint8_t *byte)
{
    if (UART0_EVENTS_RXDRDY == 0)
        return 0;
    /* clear the event first: reading RXD raises it again while the
     * receive FIFO holds more */
    UART0_EVENTS_RXDRDY = 0;
    *byte = (uint8_t)UART0_RXD;
    return 1;
}

void nrf5_uart_write(const void *data, size_t len)
{
    const uint8_t *p = data;

    for (size_t i = 0; i < len; i++) {
        while (!nrf5_uart_try_put(p[i])) {
        }
    }
}

void nrf5_uart_drain(void)
{
    if (tx_in_flight) {
        while (UART0_EVENTS_TXDRDY == 0) {
        }
    }
}

void nrf5_uart_disable(void)
{
    nrf5_uart_drain();
    UART0_ENABLE = 0;
    tx_in_flight = 0;
}
