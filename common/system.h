/* The system services the portable core may use: logging, time, reset and
 * the jump into an application. A board provides one of these; the core
 * never calls the OS directly. Any member may be NULL when unused. */
#ifndef DFUBOOT_COMMON_SYSTEM_H
#define DFUBOOT_COMMON_SYSTEM_H

#include <stdarg.h>
#include <stdint.h>

enum sys_log_level { SYS_LOG_ERR = 0, SYS_LOG_WRN = 1, SYS_LOG_INF = 2, SYS_LOG_DBG = 3 };

struct sys_ops {
    /* One log line, printf-style, without the trailing newline. Formatting
     * is the platform's job (vsnprintf on a host or newlib), so the core
     * carries no formatter of its own. */
    void (*vlog)(void *ctx, enum sys_log_level level, const char *fmt, va_list ap);
    /* Milliseconds since power-on. */
    uint32_t (*uptime_ms)(void *ctx);
    /* Warm reset of the whole board; does not return on hardware. */
    void (*reset)(void *ctx);
    /* Start the application whose image begins at flash offset image_off
     * (header included; hdr_size tells where the code starts). */
    void (*jump)(void *ctx, uint32_t image_off, uint32_t hdr_size, uint32_t img_size);
    void *ctx;
};

#if defined(__GNUC__)
#define SYS_PRINTF_LIKE(a, b) __attribute__((format(printf, a, b)))
#else
#define SYS_PRINTF_LIKE(a, b)
#endif

static inline void sys_log(const struct sys_ops *sys, enum sys_log_level level, const char *fmt, ...)
    SYS_PRINTF_LIKE(3, 4);

static inline void sys_log(const struct sys_ops *sys, enum sys_log_level level, const char *fmt, ...)
{
    va_list ap;

    if (sys == 0 || sys->vlog == 0)
        return;
    va_start(ap, fmt);
    sys->vlog(sys->ctx, level, fmt, ap);
    va_end(ap);
}

#endif
