#include "boot/boot_image.h"

#include <string.h>

#include "common/errors.h"

int boot_image_validate(void *ctx, const struct flash_area *fa, uint32_t image_off, struct boot_image_info *out)
{
    struct image_info info;
    int rc = image_validate(ctx, fa, image_off, &info);

    if (rc != DFB_OK)
        return rc;
    memset(out, 0, sizeof(*out));
    out->total_size = info.total_size;
    out->hdr_size = info.hdr.hdr_size;
    out->img_size = info.hdr.img_size;
    out->version = info.hdr.ver;
    out->has_security_counter = info.has_security_counter;
    out->security_counter = info.security_counter;
    return DFB_OK;
}
