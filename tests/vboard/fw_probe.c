/* Test firmware for the virtual board: prints what it sees, programs a few
 * words into the storage partition (so flash counters and power cuts can be
 * observed), then reboots itself on the first boot and idles afterwards. */
#include "common/errors.h"
#include "port/board.h"
#include "port/posix/vboard_machine.h"

int main(void)
{
    struct flash_area storage;
    uint8_t word[4] = { 0, 0, 0, 0 };
    uint32_t boots;
    int rc;

    board_init();
    boots = vboard_shared()->boots;
    board_printf("probe: boot %u, layout %s, usb %s\n", boots, board_layout()->name, vboard_has_usb() ? "yes" : "no");
    rc = flash_area_open(board_flash(), board_layout(), FLASH_AREA_STORAGE, &storage);
    if (rc == DFB_OK && boots == 0)
        rc = flash_area_erase(&storage, 0, 0x1000);
    for (uint32_t i = 0; rc == DFB_OK && i < 4; i++)
        rc = flash_area_write(&storage, (boots * 4 + i) * 4, word, sizeof(word));
    board_printf("probe: writes done: %s\n", dfb_strerror(rc));
    if (boots == 0)
        board_reboot();
    board_printf("probe: idle\n");
    return 0;
}
