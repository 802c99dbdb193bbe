/* boot_vector_check: the bootloader refuses to jump through a vector table
 * that does not point into its image and into RAM. */
#include <string.h>

#include "boot/boot_vector.h"
#include "common/errors.h"
#include "tests/support/check.h"

int main(void)
{
    /* slot0 of the nrf52840dk layout with a 0x200 header, 256 KiB of RAM */
    const struct boot_vector_bounds b = {
        .code_start = 0xC200, .code_end = 0xC000 + 0x76000, .ram_start = 0x20000000, .ram_end = 0x2003FFC0,
    };
    /* what the port's application linker script produces */
    CHECK_EQ(boot_vector_check(0x2003FFC0, 0xC2C1, &b), DFB_OK);
    CHECK_EQ(boot_vector_check(0x20001000, 0x81FFF, &b), DFB_OK);
    /* stack: unaligned, at or below the start of RAM, past its end, in flash */
    CHECK_EQ(boot_vector_check(0x2003FFBE, 0xC2C1, &b), DFB_EBADIMAGE);
    CHECK_EQ(boot_vector_check(0x20000000, 0xC2C1, &b), DFB_EBADIMAGE);
    CHECK_EQ(boot_vector_check(0x2003FFC4, 0xC2C1, &b), DFB_EBADIMAGE);
    CHECK_EQ(boot_vector_check(0x00010000, 0xC2C1, &b), DFB_EBADIMAGE);
    CHECK_EQ(boot_vector_check(0, 0, &b), DFB_EBADIMAGE);
    /* reset handler: ARM (not Thumb) address, in the vector table itself,
     * before the image, past its end, in RAM */
    CHECK_EQ(boot_vector_check(0x2003FFC0, 0xC2C0, &b), DFB_EBADIMAGE);
    CHECK_EQ(boot_vector_check(0x2003FFC0, 0xC205, &b), DFB_EBADIMAGE);
    CHECK_EQ(boot_vector_check(0x2003FFC0, 0x00C1, &b), DFB_EBADIMAGE);
    CHECK_EQ(boot_vector_check(0x2003FFC0, 0x82001, &b), DFB_EBADIMAGE);
    CHECK_EQ(boot_vector_check(0x2003FFC0, 0x20000101, &b), DFB_EBADIMAGE);
    /* the first words of an x86-64 ELF ("\177ELF", class/data/version) */
    {
        const uint8_t elf[8] = { 0x7f, 'E', 'L', 'F', 2, 1, 1, 0 };
        uint32_t w[2];
        memcpy(w, elf, sizeof(w));
        CHECK_EQ(boot_vector_check(w[0], w[1], &b), DFB_EBADIMAGE);
    }
    /* erased flash */
    CHECK_EQ(boot_vector_check(0xFFFFFFFF, 0xFFFFFFFF, &b), DFB_EBADIMAGE);
    /* nonsense bounds are the caller's bug */
    {
        struct boot_vector_bounds bad = b;
        bad.code_end = bad.code_start;
        CHECK_EQ(boot_vector_check(0x2003FFC0, 0xC2C1, &bad), DFB_EINVAL);
        CHECK_EQ(boot_vector_check(0x2003FFC0, 0xC2C1, NULL), DFB_EINVAL);
    }
    CHECK_DONE();
}
