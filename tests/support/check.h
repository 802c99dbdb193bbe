/* Minimal assertions for plain ctest executables: a failed CHECK prints
 * where and why and makes the test exit non-zero at CHECK_DONE(). */
#ifndef DFUBOOT_TESTS_CHECK_H
#define DFUBOOT_TESTS_CHECK_H

#include <stdio.h>
#include <stdlib.h>

static int check_failures;
static int check_count;

#define CHECK(cond)                                                                                                \
    do {                                                                                                           \
        check_count++;                                                                                             \
        if (!(cond)) {                                                                                             \
            check_failures++;                                                                                      \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);                               \
        }                                                                                                          \
    } while (0)

#define CHECK_EQ(a, b)                                                                                             \
    do {                                                                                                           \
        long long check_a_ = (long long)(a), check_b_ = (long long)(b);                                            \
        check_count++;                                                                                             \
        if (check_a_ != check_b_) {                                                                                \
            check_failures++;                                                                                      \
            fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %s (%lld != %lld)\n", __FILE__, __LINE__, #a, #b,      \
                    check_a_, check_b_);                                                                           \
        }                                                                                                          \
    } while (0)

/* Stops the test at once (for states where going on makes no sense). */
#define REQUIRE(cond)                                                                                              \
    do {                                                                                                           \
        check_count++;                                                                                             \
        if (!(cond)) {                                                                                             \
            fprintf(stderr, "%s:%d: REQUIRE failed, stopping: %s\n", __FILE__, __LINE__, #cond);                   \
            exit(1);                                                                                               \
        }                                                                                                          \
    } while (0)

#define CHECK_DONE()                                                                                               \
    do {                                                                                                           \
        printf("%d checks, %d failed\n", check_count, check_failures);                                             \
        return check_failures == 0 ? 0 : 1;                                                                        \
    } while (0)

#endif
