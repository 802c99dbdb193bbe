/* Test firmware: an application that asks the bootloader for USB DFU
 * recovery at once (boot_request_recovery(): the retained boot mode, then
 * a warm reset), as an application would on a user's command. */
#include "port/board.h"
#include "port/boot_request.h"

int main(void)
{
    board_init();
    board_printf("request_recovery: asking the bootloader for USB DFU recovery\n");
    boot_request_recovery();
}
