/* port/board.h for Nordic nRF51/nRF52 (ARMv6-M code), proven on QEMU's
 * microbit machine enlarged to the nRF52840's flash and RAM. Peripherals are
 * polled: UART0 for the console and the USB link (usb_link.h), TIMER0 for
 * uptime, the NVMC for flash. */
#include "port/board.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "boot/boot_vector.h"
#include "common/errors.h"
#include "port/nrf5/nrf5_button.h"
#include "port/nrf5/nrf5_regs.h"
#include "port/nrf5/nrf5_retained.h"
#include "port/nrf5/nrf5_start.h"
#include "port/nrf5/nvmc.h"
#include "port/nrf5/uart.h"
#include "port/nrf5/usb_link.h"

/* The flash layout of this port: the nRF52840 DK partitions (flash/layouts.c). */
#define NRF5_LAYOUT "nrf52840dk"
#define GPIO_PIN_CNF(pin) NRF5_REG(0x50000700u + 4u * (pin))
#define GPIO_PIN_CNF_INPUT_PULLUP 0x0000000Cu

#ifndef DFUBOOT_VERSION_STRING
#define DFUBOOT_VERSION_STRING "0.1.0"
#endif

static struct nrf5_retained *const retained = (struct nrf5_retained *)NRF5_RETAINED_ADDR;
static const struct flash_layout *layout;
static struct nvmc nvmc;

/* --- console ------------------------------------------------------------ */

/* Console text goes between the USB link's frames while the link runs,
 * straight to the UART before (the bootloader, hello_world, start-up). */
static const struct nrf5_console_route *console_route;

void nrf5_console_set_route(const struct nrf5_console_route *route)
{
    console_route = route;
}

static void uart_write(const char *s, size_t len)
{
    if (console_route == 0 || !console_route->write(s, len))
        nrf5_uart_write(s, len);
}

static void console_flush(void)
{
    if (console_route != 0)
        console_route->flush();
    nrf5_uart_drain();
}

static void console_vprintf(const char *fmt, va_list ap)
{
    char line[256];
    int n = vsnprintf(line, sizeof(line), fmt, ap);

    if (n < 0)
        return;
    uart_write(line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

void board_printf(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    console_vprintf(fmt, ap);
    va_end(ap);
}

/* --- time ----------------------------------------------------------------- */

static void timer_init(void)
{
    /* Stop/start keeps the count: after the bootloader's jump the
     * application's uptime still runs from the reset. */
    TIMER0_TASKS_STOP = 1;
    TIMER0_MODE = 0;
    TIMER0_BITMODE = TIMER_BITMODE_32;
    TIMER0_PRESCALER = TIMER_PRESCALER_1MHZ;
    TIMER0_TASKS_START = 1;
}

/* Time since reset as milliseconds plus microseconds, advanced from the
 * 32-bit 1 MHz counter (which wraps every 71 minutes: a caller must look
 * at least that often). 32-bit arithmetic only: no 64-bit division
 * helpers in the bootloader. */
static uint32_t clock_ms, clock_us, clock_last;

static void clock_advance(void)
{
    uint32_t now, delta;

    TIMER0_TASKS_CAPTURE0 = 1;
    now = TIMER0_CC0;
    delta = now - clock_last;
    clock_last = now;
    clock_us += delta % 1000u;
    clock_ms += delta / 1000u + clock_us / 1000u;
    clock_us %= 1000u;
}

uint32_t board_uptime_ms(void)
{
    clock_advance();
    return clock_ms;
}

void board_log(const char *module, const char *fmt, ...)
{
    uint32_t s, ms, us;
    va_list ap;

    clock_advance();
    s = clock_ms / 1000u;
    ms = clock_ms % 1000u;
    us = clock_us;
    board_printf("[%02lu:%02lu:%02lu.%03lu,%03lu] <inf> %s: ", (unsigned long)(s / 3600),
                   (unsigned long)(s / 60 % 60), (unsigned long)(s % 60), (unsigned long)ms, (unsigned long)us,
                   module);
    va_start(ap, fmt);
    console_vprintf(fmt, ap);
    va_end(ap);
    uart_write("\n", 1);
}

/* --- reset, halt, faults -------------------------------------------------- */

void board_reboot(void)
{
    console_flush();
    __asm volatile("dsb" ::: "memory");
    SCB_AIRCR = SCB_AIRCR_VECTKEY | SCB_AIRCR_SYSRESETREQ;
    __asm volatile("dsb" ::: "memory");
    for (;;) {
    }
}

static void stop_here(void) __attribute__((noreturn));
static void stop_here(void)
{
    for (;;)
        __asm volatile("wfi");
}

void board_halt(const char *why)
{
    board_printf("*** board halted: %s ***\n", why);
    console_flush();
    stop_here();
}

void nrf5_fatal(const char *why)
{
    board_halt(why);
}

void nrf5_fatal_exception(uint32_t exception)
{
    board_printf("*** board halted: unexpected exception %lu ***\n", (unsigned long)exception);
    console_flush();
    stop_here();
}

/* --- retained state and the button --------------------------------------- */

static void retained_power_on(void)
{
    if (retained->magic == NRF5_RETAINED_MAGIC)
        return;
    memset(retained, 0, sizeof(*retained));
    retained->magic = NRF5_RETAINED_MAGIC;
    retained->boot_mode = BOARD_BOOT_MODE_NORMAL;
    retained->boot_mode_check = ~(uint32_t)BOARD_BOOT_MODE_NORMAL;
}

uint32_t board_boot_mode(void)
{
    if (retained->magic != NRF5_RETAINED_MAGIC || retained->boot_mode != ~retained->boot_mode_check)
        return BOARD_BOOT_MODE_NORMAL;
    return retained->boot_mode;
}

void board_set_boot_mode(uint32_t mode)
{
    retained_power_on();
    retained->boot_mode = mode;
    retained->boot_mode_check = ~mode;
}

int board_button_pressed(void)
{
    return (GPIO_IN & (1u << NRF5_BUTTON_PIN)) == 0;
}

/* --- flash, layout, name --------------------------------------------------- */

const struct flash_dev *board_flash(void)
{
    return &nvmc.dev;
}

const struct flash_layout *board_layout(void)
{
    return layout;
}

const char *board_name(void)
{
    return layout != 0 ? layout->board : "nrf5";
}

/* --- the jump ---------------------------------------------------------------- */

static void start_image(uint32_t sp, uint32_t entry) __attribute__((noreturn));
static void start_image(uint32_t sp, uint32_t entry)
{
    __asm volatile("msr msp, %0\n\t"
                   "isb\n\t"
                   "bx %1" ::"r"(sp), "r"(entry) : "memory");
    __builtin_unreachable();
}

static void nrf5_jump(void *ctx, uint32_t image_off, uint32_t hdr_size, uint32_t img_size)
{
    uint32_t table = image_off + hdr_size; /* flash is mapped at address 0 */
    const uint32_t *words = (const uint32_t *)(uintptr_t)table;
    const struct flash_partition *slot0 = flash_layout_partition(layout, FLASH_AREA_SLOT0);
    struct boot_vector_bounds bounds = {
        .code_start = table,
        .code_end = table + img_size,
        .ram_start = NRF5_RAM_BASE,
        .ram_end = NRF5_RETAINED_ADDR,
    };

    (void)ctx;
    /* The image must run where it lies: inside slot0, pointing into itself
     * and into RAM. */
    if (slot0 == 0 || image_off != slot0->off || img_size > slot0->size - hdr_size ||
        boot_vector_check(words[0], words[1], &bounds) != DFB_OK) {
        board_printf("E: Image in the primary slot is not valid!\n");
        board_halt("no bootable image");
    }
    /* Peripherals back to their reset state where the application expects
     * it: the timer keeps counting (uptime since reset). */
    nrf5_uart_disable();
    /* VTOR: present on QEMU's M0 and on the nRF52's M4, absent (RAZ/WI) on
     * the nRF51's M0. Without it the bootloader's handlers forward. */
    SCB_VTOR = table;
    retained->vector_table = SCB_VTOR == table ? 0 : table;
    start_image(words[0], words[1]);
}

static void sys_vlog(void *ctx, enum sys_log_level level, const char *fmt, va_list ap)
{
    static const char prefix[] = { 'E', 'W', 'I', 'D' };

    (void)ctx;
    board_printf("%c: ", prefix[level & 3]);
    console_vprintf(fmt, ap);
    uart_write("\n", 1);
}

static uint32_t sys_uptime(void *ctx)
{
    (void)ctx;
    return board_uptime_ms();
}

static void sys_reset(void *ctx)
{
    (void)ctx;
    board_reboot();
}

static const struct sys_ops nrf5_sys = {
    .vlog = sys_vlog,
    .uptime_ms = sys_uptime,
    .reset = sys_reset,
    .jump = nrf5_jump,
};

const struct sys_ops *board_sys(void)
{
    return &nrf5_sys;
}

/* --- USB -------------------------------------------------------------------- */

const struct usb_dc_ops *board_usb_controller(struct usb_device *dev)
{
    return nrf5_usb_link_bind(dev);
}

void board_usb_disable(void)
{
    nrf5_usb_link_unbind();
}

/* Sleeps (WFI) until the UART has received a byte or `us` microseconds
 * have passed. No handler runs: the two interrupts are enabled in the
 * NVIC with PRIMASK set, and a pending interrupt ends WFI all the same;
 * both are disabled and cleared again before PRIMASK is. A byte that came
 * before the WFI leaves RXDRDY set, so it is never slept through.
 *
 * Why sleep rather than spin: a real chip's time runs on while it idles,
 * and the host's protocol timers (DFU's wDetachTimeOut, the USB stack's
 * request timeouts) are in that time. On QEMU (-icount with sleep=on) an
 * idle chip's virtual time follows the wall clock, where a spinning one
 * would run ahead of it; and an idle QEMU takes no host CPU. */
static void idle_until_input(uint32_t us)
{
    uint32_t irqs = (1u << NRF5_IRQ_UART0) | (1u << NRF5_IRQ_TIMER0);

    TIMER0_TASKS_CAPTURE0 = 1;
    TIMER0_EVENTS_COMPARE1 = 0;
    TIMER0_CC1 = TIMER0_CC0 + us;
    TIMER0_INTENSET = TIMER_INT_COMPARE1;
    UART0_INTENSET = UART_INT_RXDRDY;
    __asm volatile("cpsid i" ::: "memory");
    NVIC_ISER = irqs;
    __asm volatile("dsb\n\twfi" ::: "memory");
    NVIC_ICER = irqs;
    UART0_INTENCLR = UART_INT_RXDRDY;
    TIMER0_INTENCLR = TIMER_INT_COMPARE1;
    TIMER0_EVENTS_COMPARE1 = 0;
    NVIC_ICPR = irqs;
    __asm volatile("cpsie i" ::: "memory");
}

/* Below this the compare could be passed before the WFI: spin instead. */
#define IDLE_MIN_US 200u
/* One sleep at most this long (the 32-bit compare stays far from wrapping). */
#define IDLE_MAX_US 1000000u

int board_wait(uint32_t timeout_ms)
{
    uint32_t start = board_uptime_ms();

    for (;;) {
        int rc = nrf5_usb_link_poll();
        uint32_t elapsed, left_us;

        if (rc != 0)
            return rc < 0 ? rc : 0;
        elapsed = board_uptime_ms() - start;
        if (elapsed >= timeout_ms)
            return 0;
        left_us = timeout_ms - elapsed > IDLE_MAX_US / 1000u ? IDLE_MAX_US : (timeout_ms - elapsed) * 1000u;
        if (left_us >= IDLE_MIN_US)
            idle_until_input(left_us);
    }
}

/* --- init -------------------------------------------------------------------- */

void board_init(void)
{
    int rc;
    uintptr_t own_table = (uintptr_t)nrf5_vectors;

    __asm("" : "+r"(own_table)); /* an address compared at run time, not a constant */
    retained_power_on();
    if (own_table == 0) /* the bootloader (linked at 0): nothing to forward to yet */
        retained->vector_table = 0;
    nrf5_uart_init();
    timer_init();
    GPIO_PIN_CNF(NRF5_BUTTON_PIN) = GPIO_PIN_CNF_INPUT_PULLUP;
    board_printf("*** Booting dfuboot v%s ***\n", DFUBOOT_VERSION_STRING);
    layout = flash_layout_find(NRF5_LAYOUT);
    if (layout == 0)
        board_halt("no flash layout " NRF5_LAYOUT);
    rc = nvmc_init(&nvmc, &layout->geo, retained);
    if (rc != DFB_OK)
        board_halt("the NVMC does not match the flash layout");
}
