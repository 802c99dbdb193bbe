/* The standard image check for boot_go(): MCUboot images validated by the
 * image library (hash + signature with the built-in keys). The boot core
 * itself only knows the callback in struct boot_image_ops; this connects it
 * to image/image_validate.h. */
#ifndef DFUBOOT_BOOT_BOOT_IMAGE_H
#define DFUBOOT_BOOT_BOOT_IMAGE_H

#include "boot/boot.h"
#include "image/image_validate.h"

/* A struct boot_image_ops.validate: `ctx` is a const struct
 * image_validate_cfg *. Returns image_validate()'s result and, on success,
 * fills in sizes, version and security counter. */
int boot_image_validate(void *ctx, const struct flash_area *fa, uint32_t image_off, struct boot_image_info *out);

#endif
