/* Reset handler and vector table of every nRF5 program (bootloader and
 * applications): the 16 Cortex-M system vectors plus the nRF51/nRF52
 * peripheral interrupts the port may use. No interrupt is enabled by the
 * port today; every exception goes to one handler. */
#include <stdint.h>
#include <string.h>

#include "port/nrf5/nrf5_retained.h"
#include "port/nrf5/nrf5_start.h"

extern uint32_t __data_start[], __data_end[], __data_load[], __bss_start[], __bss_end[], __stack_top[];
int main(void);

void nrf5_reset_handler(void) __attribute__((noreturn));
void nrf5_exception_handler(void);

#define NRF5_VECTORS (16 + 32)

__attribute__((section(".vectors"), used)) const uintptr_t nrf5_vectors[NRF5_VECTORS] = {
    [0] = (uintptr_t)__stack_top,
    [1] = (uintptr_t)nrf5_reset_handler,
    [2 ... NRF5_VECTORS - 1] = (uintptr_t)nrf5_exception_handler,
};

void nrf5_reset_handler(void)
{
    memcpy(__data_start, __data_load, (size_t)((uintptr_t)__data_end - (uintptr_t)__data_start));
    memset(__bss_start, 0, (size_t)((uintptr_t)__bss_end - (uintptr_t)__bss_start));
    main();
    /* main() returned: its work is done (hello_world); the core idles until
     * the next reset, as an RTOS's idle thread would */
    for (;;)
        __asm volatile("wfi");
}

/* Without VTOR the table at address 0 (the bootloader's) stays in use after
 * the bootloader has started an application: forward the exception to the
 * application's handler. Otherwise an exception nobody handles is fatal. */
void nrf5_exception_handler(void)
{
    const struct nrf5_retained *r = (const struct nrf5_retained *)NRF5_RETAINED_ADDR;
    uint32_t ipsr;

    __asm volatile("mrs %0, ipsr" : "=r"(ipsr));
    if (r->magic == NRF5_RETAINED_MAGIC && r->vector_table != 0 && r->vector_table != (uintptr_t)nrf5_vectors) {
        const uint32_t *table = (const uint32_t *)(uintptr_t)r->vector_table;
        void (*handler)(void) = (void (*)(void))(uintptr_t)table[ipsr & 0x3Fu];

        handler();
        return;
    }
    nrf5_fatal_exception(ipsr & 0x3Fu);
}
