/* Shared helpers for the fuzz harnesses. A harness defines
 * LLVMFuzzerTestOneInput(); with libFuzzer (clang -fsanitize=fuzzer) it is a
 * fuzzer, otherwise replay_main.c turns it into a program that runs every
 * file of the corpus directories given on its command line (a regression
 * test for the normal suite). A broken property calls FUZZ_FAIL, which
 * prints why and aborts, so libFuzzer saves the input as a crash. */
#ifndef DFUBOOT_TESTS_FUZZ_SUPPORT_H
#define DFUBOOT_TESTS_FUZZ_SUPPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define FUZZ_FAIL(...)                                                                                             \
    do {                                                                                                           \
        fprintf(stderr, "%s:%d: property violated: ", __FILE__, __LINE__);                                      \
        fprintf(stderr, __VA_ARGS__);                                                                              \
        fputc('\n', stderr);                                                                                       \
        abort();                                                                                                   \
    } while (0)

#define FUZZ_ASSERT(cond)                                                                                          \
    do {                                                                                                           \
        if (!(cond))                                                                                               \
            FUZZ_FAIL("%s", #cond);                                                                                \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A tiny cursor over the fuzz input: takes bytes from the front, returns 0
 * when the input is used up. */
struct fuzz_in {
    const uint8_t *p;
    size_t n;
};

static inline uint8_t fuzz_u8(struct fuzz_in *in)
{
    uint8_t v = 0;
    if (in->n) {
        v = in->p[0];
        in->p++;
        in->n--;
    }
    return v;
}

static inline uint16_t fuzz_u16(struct fuzz_in *in)
{
    uint16_t lo = fuzz_u8(in);
    return (uint16_t)(lo | (uint16_t)(fuzz_u8(in) << 8));
}

#endif
