#include "common/version.h"

int dfb_version_cmp(const struct dfb_version *a, const struct dfb_version *b, int with_build)
{
    if (a->major != b->major)
        return a->major < b->major ? -1 : 1;
    if (a->minor != b->minor)
        return a->minor < b->minor ? -1 : 1;
    if (a->revision != b->revision)
        return a->revision < b->revision ? -1 : 1;
    if (with_build && a->build_num != b->build_num)
        return a->build_num < b->build_num ? -1 : 1;
    return 0;
}
