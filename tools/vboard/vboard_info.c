#include "tools/vboard/vboard_info.h"

void vboard_info_print(FILE *out, const struct flash_layout *l, const struct flash_dev *dev, int json)
{
    (void)dev;
    if (json) {
        fprintf(out, "{\"layout\": \"%s\", \"board\": \"%s\", \"flash_size\": %u, \"partitions\": [", l->name,
                l->board, l->geo.size);
        for (uint32_t i = 0; i < l->partition_count; i++) {
            const struct flash_partition *p = &l->partitions[i];
            struct flash_sector s;

            flash_geo_sector_at(&l->geo, p->off, &s);
            fprintf(out, "%s{\"name\": \"%s\", \"offset\": %u, \"size\": %u, \"sector_size\": %u}", i ? ", " : "",
                    p->name, p->off, p->size, s.size);
        }
        fprintf(out, "]}\n");
        return;
    }
    fprintf(out, "layout %s (board %s), %u KiB flash, write block %u, erased 0x%02x\n", l->name, l->board,
            l->geo.size / 1024, l->geo.write_block_size, l->geo.erase_value);
    for (uint32_t i = 0; i < l->partition_count; i++) {
        const struct flash_partition *p = &l->partitions[i];
        struct flash_sector s;

        flash_geo_sector_at(&l->geo, p->off, &s);
        fprintf(out, "%-8s offset 0x%06x size 0x%06x (%u KiB), sectors of %u bytes\n", p->name, p->off, p->size,
                p->size / 1024, s.size);
    }
}
