/* RAM the port keeps across warm resets (SYSRESETREQ, the reset button), at
 * a fixed address at the top of RAM that neither the bootloader's nor an
 * application's linker script allocates. Both programs and the host-side
 * QEMU runner (tools/vboard/vboard_qemu.c) use this one definition.
 *
 * After a power-on its content is undefined (zero on QEMU, random on
 * silicon): `magic` tells whether it was initialised since then. */
#ifndef DFUBOOT_PORT_NRF5_NRF5_RETAINED_H
#define DFUBOOT_PORT_NRF5_NRF5_RETAINED_H

#include <stdint.h>

#define NRF5_RAM_BASE 0x20000000u
#define NRF5_RAM_SIZE 0x40000u      /* nRF52840: 256 KiB (QEMU: sram-size=0x40000) */
#define NRF5_RETAINED_SIZE 0x40u
#define NRF5_RETAINED_ADDR (NRF5_RAM_BASE + NRF5_RAM_SIZE - NRF5_RETAINED_SIZE)
#define NRF5_RETAINED_MAGIC 0x52544E44u /* "DNTR" */

struct nrf5_retained {
    uint32_t magic;
    uint32_t boot_mode;       /* enum board_boot_mode */
    uint32_t boot_mode_check; /* ~boot_mode: a torn or random word reads as NORMAL */
    /* Flash operations since power-on, counted by the NVMC driver of
     * whichever program runs. flash_ops is incremented just before an
     * operation starts (a debugger watching it stops the chip in front of
     * operation N). */
    uint32_t flash_ops;
    uint32_t erases;          /* 4 KiB sector erases */
    uint32_t writes;          /* write operations */
    uint32_t bytes_programmed;
    /* On a core without VTOR (a real nRF51's Cortex-M0) the bootloader's
     * vector table stays active after the jump; its exception handlers then
     * forward to the table recorded here (0: none). */
    uint32_t vector_table;
    uint32_t reserved[8];
};

_Static_assert(sizeof(struct nrf5_retained) == NRF5_RETAINED_SIZE, "retained area size");

/* Offsets the host-side runner reads and watches. */
#define NRF5_RETAINED_OFF_FLASH_OPS 12u
#define NRF5_RETAINED_OFF_ERASES 16u
#define NRF5_RETAINED_OFF_WRITES 20u
#define NRF5_RETAINED_OFF_BYTES 24u

#endif
