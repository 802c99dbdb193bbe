/* `vboard info`: what is in each partition of a board's flash. */
#ifndef DFUBOOT_TOOLS_VBOARD_INFO_H
#define DFUBOOT_TOOLS_VBOARD_INFO_H

#include <stdio.h>

#include "flash/flash_map.h"

void vboard_info_print(FILE *out, const struct flash_layout *layout, const struct flash_dev *dev, int json);

#endif
