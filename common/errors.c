#include "common/errors.h"

const char *dfb_strerror(int err)
{
    switch (err) {
    case DFB_OK: return "ok";
    case DFB_EINVAL: return "invalid argument";
    case DFB_ERANGE: return "out of range";
    case DFB_EALIGN: return "misaligned";
    case DFB_EIO: return "i/o error";
    case DFB_ENOTERASED: return "write over non-erased bits";
    case DFB_EPOWER: return "power cut";
    case DFB_ENOSPC: return "no space";
    case DFB_ENOENT: return "not found";
    case DFB_EBADIMAGE: return "malformed image";
    case DFB_EHASH: return "bad image hash";
    case DFB_ESIG: return "bad signature";
    case DFB_ENOKEY: return "no matching key";
    case DFB_ESTATE: return "wrong state";
    case DFB_ENOTSUP: return "not supported";
    case DFB_EBADTRAILER: return "bad trailer";
    case DFB_EOVERFLOW: return "size overflow";
    default: return "unknown error";
    }
}
