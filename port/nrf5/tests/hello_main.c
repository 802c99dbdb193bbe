/* The port's smoke-test application: one line through the board API. */
#include "port/board.h"

int main(void)
{
    board_init();
    board_printf("Hello World! %s\n", board_name());
    for (;;)
        board_wait(1000);
}
