/* Flash driver for the nRF51/nRF52 NVMC behind struct flash_dev.
 *
 * The NVMC programs whole aligned 32-bit words (smaller stores fault) and
 * erases pages: 1 KiB on the nRF51 (and QEMU's model), 4 KiB on the
 * nRF52840. The driver presents the geometry it is given (the board
 * layout's, 4 KiB sectors for nrf52840dk) and erases a sector page by page,
 * so flash/layouts.c works unchanged on both chips.
 *
 * Operations are counted in the retained RAM area (nrf5_retained.h): one
 * per write call, one per sector erase, as the virtual board's simulated
 * flash counts them; the count is bumped just before the operation starts.
 * Flash is memory-mapped at address 0: a device offset is an address. */
#ifndef DFUBOOT_PORT_NRF5_NVMC_H
#define DFUBOOT_PORT_NRF5_NVMC_H

#include "flash/flash_dev.h"
#include "port/nrf5/nrf5_retained.h"

struct nvmc {
    struct flash_dev dev;
    struct nrf5_retained *counters;
    uint32_t page_size;
};

/* Binds the NVMC to `geo`. DFB_EINVAL if the chip's pages (FICR) do not
 * tile the geometry's sectors or writes are not whole words. */
int nvmc_init(struct nvmc *n, const struct flash_geometry *geo, struct nrf5_retained *counters);

#endif
