/* Image versions as MCUboot stores them: major.minor.revision+build. */
#ifndef DFUBOOT_COMMON_VERSION_H
#define DFUBOOT_COMMON_VERSION_H

#include <stdint.h>

struct dfb_version {
    uint8_t major;
    uint8_t minor;
    uint16_t revision;
    uint32_t build_num;
};

/* -1, 0 or 1; the build number counts only with `with_build`
 * (MCUboot's MCUBOOT_VERSION_CMP_USE_BUILD_NUMBER). */
int dfb_version_cmp(const struct dfb_version *a, const struct dfb_version *b, int with_build);

#endif
