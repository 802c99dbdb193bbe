/* hello_world: the update image of the sample's story. It prints one line
 * and does not confirm itself, so the next reset reverts to the previous
 * image. */
#include "port/board.h"

int main(void)
{
    board_init();
    board_printf("Hello World! %s\n", board_name());
    return 0;
}
