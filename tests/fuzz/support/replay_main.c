/* Replays fuzz inputs without libFuzzer: every regular file named on the
 * command line, or found directly inside a directory named there, goes
 * through LLVMFuzzerTestOneInput once. Exits 0 when all ran (a broken
 * property aborts). Used as a corpus regression test in the normal suite. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/fuzz/support/fuzz_support.h"

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    long len;
    uint8_t *buf;

    if (!f) {
        perror(path);
        return -1;
    }
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc(len > 0 ? (size_t)len : 1);
    if (!buf || (len > 0 && fread(buf, 1, (size_t)len, f) != (size_t)len)) {
        fprintf(stderr, "%s: read failed\n", path);
        fclose(f);
        free(buf);
        return -1;
    }
    fclose(f);
    /* an exact-size copy so that ASan sees overreads */
    uint8_t *exact = malloc(len > 0 ? (size_t)len : 1);
    memcpy(exact, buf, (size_t)len);
    LLVMFuzzerTestOneInput(exact, (size_t)len);
    free(exact);
    free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    int files = 0, errors = 0;

    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            perror(argv[i]);
            errors++;
            continue;
        }
        if (!S_ISDIR(st.st_mode)) {
            errors += run_file(argv[i]) != 0;
            files++;
            continue;
        }
        DIR *d = opendir(argv[i]);
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL) {
            char path[4096];
            struct stat fst;
            snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
            if (stat(path, &fst) == 0 && S_ISREG(fst.st_mode)) {
                errors += run_file(path) != 0;
                files++;
            }
        }
        if (d)
            closedir(d);
    }
    printf("replayed %d inputs, %d unreadable\n", files, errors);
    if (files == 0) {
        fprintf(stderr, "no inputs found\n");
        return 1;
    }
    return errors ? 1 : 0;
}
