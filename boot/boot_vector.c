#include "boot/boot_vector.h"

#include "common/errors.h"

int boot_vector_check(uint32_t initial_sp, uint32_t reset, const struct boot_vector_bounds *b)
{
    uint32_t entry = reset & ~1u;

    if (b == 0 || b->code_end <= b->code_start || b->ram_end <= b->ram_start)
        return DFB_EINVAL;
    /* MSP: bits 1:0 are zero on every Cortex-M; a full-descending stack may
     * start at the very end of RAM but not at its first byte. */
    if ((initial_sp & 3u) != 0 || initial_sp <= b->ram_start || initial_sp > b->ram_end)
        return DFB_EBADIMAGE;
    /* Cortex-M runs Thumb only: a reset vector without bit 0 faults. */
    if ((reset & 1u) == 0 || entry < b->code_start || entry >= b->code_end || entry - b->code_start < 8u)
        return DFB_EBADIMAGE;
    return DFB_OK;
}
