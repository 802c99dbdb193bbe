/* The last check before a bootloader on a Cortex-M core starts an image:
 * the first two words of its vector table must make sense for this board.
 * An image built for another machine (an x86-64 ELF of the virtual board, a
 * program linked for another address) can carry a valid signature; jumping
 * through its first words would run garbage. MCUboot's words for a refused
 * image are "Image in the primary slot is not valid!".
 *
 * Portable: the caller reads the words and names the ranges. */
#ifndef DFUBOOT_BOOT_BOOT_VECTOR_H
#define DFUBOOT_BOOT_BOOT_VECTOR_H

#include <stdint.h>

/* Address ranges [start, end) of the running image and of RAM. */
struct boot_vector_bounds {
    uint32_t code_start; /* the vector table's own address */
    uint32_t code_end;   /* end of the image's code (or of its slot) */
    uint32_t ram_start;
    uint32_t ram_end;    /* first address past the RAM the image may use */
};

/* DFB_OK if `initial_sp` is a word-aligned stack top inside
 * (ram_start, ram_end] and `reset` is a Thumb address (bit 0 set) inside
 * the code range past the two words themselves; DFB_EBADIMAGE otherwise. */
int boot_vector_check(uint32_t initial_sp, uint32_t reset, const struct boot_vector_bounds *b);

#endif
