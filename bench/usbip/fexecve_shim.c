/* LD_PRELOAD shim for measuring the virtual board under valgrind: the board
 * starts the bootloader and the application with fexecve() on a memfd,
 * which valgrind's --trace-children cannot follow (it reopens the program
 * by path after the exec, when the close-on-exec memfd is gone). With
 * BENCH_EXEC_DIR set, fexecve() copies the program to a file there and
 * execve()s that file instead; everything else is unchanged. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int fexecve(int fd, char *const argv[], char *const envp[])
{
    const char *dir = getenv("BENCH_EXEC_DIR");
    char path[4096], buf[65536];
    ssize_t got;
    off_t off = 0;
    int out;

    if (dir == NULL) {
        int (*real)(int, char *const[], char *const[]) = (int (*)(int, char *const[], char *const[]))dlsym(RTLD_NEXT, "fexecve");
        return real ? real(fd, argv, envp) : -1;
    }
    /* A new file each time: exec keeps the pid, and the running program's
     * own file must not be overwritten. */
    snprintf(path, sizeof(path), "%s/exec-XXXXXX", dir);
    out = mkostemp(path, O_CLOEXEC);
    if (out < 0 || fchmod(out, 0700) != 0)
        return -1;
    while ((got = pread(fd, buf, sizeof(buf), off)) > 0) {
        if (write(out, buf, (size_t)got) != got) {
            close(out);
            return -1;
        }
        off += got;
    }
    close(out);
    return execve(path, argv, envp);
}
