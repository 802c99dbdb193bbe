/* Built-in board layouts. Data only: adding a board means adding a table. */
#include <string.h>

#include "flash/flash_map.h"

static const struct flash_sector_range nrf52840_sectors[] = {
    { .size = 0x1000, .count = 256 }, /* 1 MiB of 4 KiB pages */
};

/* The nRF52840 DK partitions used by the seed (Zephyr's board DTS). */
static const struct flash_partition nrf52840dk_partitions[] = {
    { FLASH_AREA_BOOT, 0x00000, 0x0C000 },
    { FLASH_AREA_SLOT0, 0x0C000, 0x76000 },
    { FLASH_AREA_SLOT1, 0x82000, 0x76000 },
    { FLASH_AREA_SCRATCH, 0xF8000, 0x04000 },
    { FLASH_AREA_STORAGE, 0xFC000, 0x04000 },
};

/* STM32F4-like: non-uniform sectors 4 x 16K, 1 x 64K, 7 x 128K (1 MiB). */
static const struct flash_sector_range stm32f4_sectors[] = {
    { .size = 0x4000, .count = 4 },
    { .size = 0x10000, .count = 1 },
    { .size = 0x20000, .count = 7 },
};

static const struct flash_partition stm32f4_partitions[] = {
    { FLASH_AREA_BOOT, 0x00000, 0x10000 },
    { FLASH_AREA_STORAGE, 0x10000, 0x10000 },
    { FLASH_AREA_SLOT0, 0x20000, 0x60000 },
    { FLASH_AREA_SLOT1, 0x80000, 0x60000 },
    { FLASH_AREA_SCRATCH, 0xE0000, 0x20000 },
};

/* A larger board for instrumented builds (AddressSanitizer firmware is
 * several hundred KiB): 16 MiB of 4 KiB sectors, same partition names. */
static const struct flash_sector_range big_sectors[] = {
    { .size = 0x1000, .count = 4096 },
};

static const struct flash_partition vboard_asan_partitions[] = {
    { FLASH_AREA_BOOT, 0x000000, 0x100000 },
    { FLASH_AREA_SLOT0, 0x100000, 0x600000 },
    { FLASH_AREA_SLOT1, 0x700000, 0x600000 },
    { FLASH_AREA_SCRATCH, 0xD00000, 0x100000 },
    { FLASH_AREA_STORAGE, 0xE00000, 0x200000 },
};

static const struct flash_layout layouts[] = {
    {
        .name = "nrf52840dk",
        .board = "nrf52840dk_nrf52840",
        .geo = {
            .size = 0x100000,
            .write_block_size = 4,
            .erase_value = 0xFF,
            .sectors = nrf52840_sectors,
            .sector_range_count = sizeof(nrf52840_sectors) / sizeof(nrf52840_sectors[0]),
            .timing = &flash_timing_nrf52840,
        },
        .partitions = nrf52840dk_partitions,
        .partition_count = sizeof(nrf52840dk_partitions) / sizeof(nrf52840dk_partitions[0]),
    },
    {
        .name = "stm32f4",
        .board = "stm32f4_disco",
        .geo = {
            .size = 0x100000,
            .write_block_size = 4,
            .erase_value = 0xFF,
            .sectors = stm32f4_sectors,
            .sector_range_count = sizeof(stm32f4_sectors) / sizeof(stm32f4_sectors[0]),
            .timing = &flash_timing_stm32f4,
        },
        .partitions = stm32f4_partitions,
        .partition_count = sizeof(stm32f4_partitions) / sizeof(stm32f4_partitions[0]),
    },
    {
        .name = "vboard-asan",
        .board = "vboard_asan",
        .geo = {
            .size = 0x1000000,
            .write_block_size = 4,
            .erase_value = 0xFF,
            .sectors = big_sectors,
            .sector_range_count = 1,
            .timing = &flash_timing_nrf52840,
        },
        .partitions = vboard_asan_partitions,
        .partition_count = sizeof(vboard_asan_partitions) / sizeof(vboard_asan_partitions[0]),
    },
};

const struct flash_layout *flash_layout_get(uint32_t index)
{
    return index < sizeof(layouts) / sizeof(layouts[0]) ? &layouts[index] : 0;
}

const struct flash_layout *flash_layout_find(const char *name)
{
    for (uint32_t i = 0; name != 0 && flash_layout_get(i) != 0; i++) {
        if (strcmp(layouts[i].name, name) == 0)
            return &layouts[i];
    }
    return 0;
}
