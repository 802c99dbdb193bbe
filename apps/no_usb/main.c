/* no_usb: an application that never enables USB. It stands for the warning
 * of CONFIG_USB_DFU_PERMANENT_DOWNLOAD: once it is installed for good, the
 * board has no USB DFU device any more, and only the bootloader's recovery
 * mode (the button held at reset) brings an update in. It confirms nothing
 * and needs nothing: it prints its line and idles. */
#include "port/board.h"

int main(void)
{
    board_init();
    board_printf("no_usb: running on %s without USB\n", board_name());
    return 0;
}
