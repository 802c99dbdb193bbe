/* Test firmware for the virtual board: prints what it sees, programs a few
 * words into the storage partition (so flash counters and power cuts can be
 * observed), then reboots itself on the first boot and idles afterwards. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/errors.h"
#include "port/posix/board.h"

int main(void)
{
    struct board b;
    struct flash_area storage;
    uint8_t word[4] = { 0, 0, 0, 0 };
    uint32_t boots;
    int rc;

    board_init(&b);
    boots = b.shared->boots;
    printf("probe: boot %u, layout %s, usb %s\n", boots, b.layout->name, b.usbip_listen_fd >= 0 ? "yes" : "no");
    rc = flash_area_open(&b.flash.dev, b.layout, FLASH_AREA_STORAGE, &storage);
    if (rc == DFB_OK && boots == 0)
        rc = flash_area_erase(&storage, 0, 0x1000);
    for (uint32_t i = 0; rc == DFB_OK && i < 4; i++)
        rc = flash_area_write(&storage, (boots * 4 + i) * 4, word, sizeof(word));
    printf("probe: writes done: %s\n", dfb_strerror(rc));
    if (boots == 0)
        board_reboot(&b);
    printf("probe: idle\n");
    return 0;
}
