/* Error codes shared by every layer of dfuboot.
 *
 * Portable code returns 0 on success and one of these negative values on
 * failure, so results can travel up through the layers unchanged. */
#ifndef DFUBOOT_COMMON_ERRORS_H
#define DFUBOOT_COMMON_ERRORS_H

enum dfb_err {
    DFB_OK = 0,
    DFB_EINVAL = -1,     /* bad argument */
    DFB_ERANGE = -2,     /* outside a device, area or buffer */
    DFB_EALIGN = -3,     /* not aligned to the write block or sector */
    DFB_EIO = -4,        /* the device reported a failure */
    DFB_ENOTERASED = -5, /* a NOR write that would set a bit */
    DFB_EPOWER = -6,     /* power was cut (simulated fault injection) */
    DFB_ENOSPC = -7,     /* does not fit */
    DFB_ENOENT = -8,     /* no such partition, key or item */
    DFB_EBADIMAGE = -9,  /* malformed image header or TLVs */
    DFB_EHASH = -10,     /* image hash mismatch or missing */
    DFB_ESIG = -11,      /* signature missing or wrong */
    DFB_ENOKEY = -12,    /* no built-in key matches */
    DFB_ESTATE = -13,    /* not allowed in the current state */
    DFB_ENOTSUP = -14,   /* not supported by this build or device */
    DFB_EBADTRAILER = -15, /* trailer content is bad */
    DFB_EOVERFLOW = -16, /* arithmetic overflow in sizes or offsets */
};

/* A short English description of an error code (never NULL). */
const char *dfb_strerror(int err);

#endif
