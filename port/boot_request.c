#include "port/boot_request.h"

void boot_request_recovery(void)
{
    board_set_boot_mode(BOARD_BOOT_MODE_RECOVERY);
    board_reboot();
}
