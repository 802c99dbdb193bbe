/* hello_world: the update image of the sample's story. It prints one line
 * and does not confirm itself, so the next reset reverts to the previous
 * image. */
#include <stdio.h>

#include "port/posix/board.h"

int main(void)
{
    struct board b;

    board_init(&b);
    printf("Hello World! %s\n", b.layout->board);
    return 0;
}
