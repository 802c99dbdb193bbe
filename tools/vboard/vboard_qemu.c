/* `vboard run` on the qemu-nrf51 machine (see vboard_qemu.h).
 *
 * Why the flash is loaded through the gdbstub: anything QEMU loads itself
 * (-kernel, -device loader) is copied back into flash at every reset, which
 * would undo what the firmware programmed. A debugger write goes straight
 * into the flash model and survives resets; the flash is saved with QMP's
 * memsave (pmemsave reads zeros: the flash is not in the system address
 * space on this board).
 *
 * Power cuts: the port's NVMC driver counts flash operations in retained RAM
 * (port/nrf5/nrf5_retained.h) and bumps the count just before an operation
 * starts. A write watchpoint on that word stops the chip there; at the Nth
 * operation vboard saves the flash as it is (operation N never started)
 * and stops, as the host machine's atomic cut does. QEMU programs each word
 * atomically, so there are no torn writes to emulate (--torn is refused).
 *
 * USB (--usbip): the firmware's USB core speaks the UART link on the UART
 * (docs/uart-link.md). The link's host side, the USB/IP bridge, runs in a
 * thread of its own: a request it sends waits for the chip's reply, and the
 * chip may be stopped meanwhile (a watchpoint, a reset, a flash save) by
 * this main thread, which must stay free to restart it. vboard links the
 * bridge and not the device core (the bridge implements the core's usbd_*
 * entry points). The bridge owns QEMU's UART stream: it prints the console
 * text between frames; a new QEMU process gives it a new stream, and a
 * guest reset is the device restarting (its STATE frame), after which the
 * bridge offers the device again.
 *
 * Nothing here waits on wall-clock time except QEMU's start-up. */
#include "tools/vboard/vboard_qemu.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "port/nrf5/nrf5_button.h"
#include "port/nrf5/nrf5_retained.h"
#include "port/posix/usbip/usbip_uart_bridge.h"
#include "port/uartlink/uartlink.h"
#include "tools/vboard/vboard_signals.h"

#define QEMU_PROGRAM "qemu-system-arm"
#define QEMU_PACKAGE "qemu-system-arm"
#define ICOUNT_SHIFT "6" /* 2^6 ns per instruction: about a 16 MHz Cortex-M0 */
/* sleep=on: while the chip idles (WFI) its virtual time follows the wall
 * clock, as a real chip's does; the host's USB timers (DFU's detach
 * timeout) count in that time. Running code stays deterministic: an
 * instruction is 64 ns of virtual time whatever the host's speed. */
#define ICOUNT_OPTIONS "shift=" ICOUNT_SHIFT ",align=off,sleep=on"

int vboard_machine_known(const char *name)
{
    return strcmp(name, VBOARD_MACHINE_HOST) == 0 || strcmp(name, VBOARD_MACHINE_QEMU_NRF51) == 0;
}

int vboard_machine_layout_ok(const char *machine, const struct flash_layout *layout, char *why, unsigned why_len)
{
    if (strcmp(machine, VBOARD_MACHINE_QEMU_NRF51) == 0 && strcmp(layout->name, "nrf52840dk") != 0) {
        snprintf(why, why_len, "machine %s runs the nRF5 port, built for layout nrf52840dk, not %s", machine,
                 layout->name);
        return 0;
    }
    return 1;
}

/* ---- plumbing ------------------------------------------------------------ */

struct qemu {
    pid_t pid;
    int uart, gdb, qmp;
    int qtest; /* with --hold-button until the first reset: QEMU's qtest socket */
    char dir[64];
    char rx[8192]; /* gdb receive buffer */
    size_t rx_len;
    /* without --usbip: separates the console text from the UART link's
     * frames (the DFU sample's device side announces itself anyway) */
    struct uartlink_dec console;
    uint8_t console_frame[64];
};

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    va_list ap;

    fflush(stdout);
    fputs("vboard: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while (len > 0) {
        ssize_t n = write(fd, p, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Reads one line (without its '\n') into buf, cut to len - 1 bytes; 0, or
 * -1 when the stream ends or fails first. */
static int read_line(int fd, char *buf, size_t len)
{
    size_t have = 0;

    for (;;) {
        char c;
        ssize_t n = read(fd, &c, 1);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        if (c == '\n')
            break;
        if (have + 1 < len)
            buf[have++] = c;
    }
    buf[have] = '\0';
    return 0;
}

static int find_in_path(const char *prog, char *out, size_t out_len)
{
    const char *env = getenv("DFUBOOT_QEMU");
    const char *path = getenv("PATH");

    if (env != NULL && *env != '\0') {
        snprintf(out, out_len, "%s", env);
        return access(out, X_OK) == 0;
    }
    while (path != NULL && *path != '\0') {
        const char *colon = strchr(path, ':');
        size_t n = colon ? (size_t)(colon - path) : strlen(path);

        snprintf(out, out_len, "%.*s/%s", (int)n, path, prog);
        if (n > 0 && access(out, X_OK) == 0)
            return 1;
        path = colon ? colon + 1 : NULL;
    }
    return 0;
}

static int unix_connect(const char *path, pid_t *pid)
{
    struct sockaddr_un sa;

    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    /* QEMU creates its sockets while it starts: the one wait on the clock */
    for (int i = 0; i < 3000; i++) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct timespec ts = { 0, 10 * 1000 * 1000 };

        if (fd < 0)
            return -1;
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
            return fd;
        close(fd);
        if (waitpid(*pid, NULL, WNOHANG) == *pid) {
            *pid = -1; /* QEMU exited and is collected: nothing left to kill */
            return -1;
        }
        nanosleep(&ts, NULL);
    }
    return -1;
}

/* ---- gdb remote protocol (the subset QEMU's gdbstub needs) ------------------ */

static int gdb_fill(struct qemu *q)
{
    ssize_t n;

    if (q->rx_len == sizeof(q->rx))
        return -1;
    do {
        n = read(q->gdb, q->rx + q->rx_len, sizeof(q->rx) - q->rx_len);
    } while (n < 0 && errno == EINTR);
    if (n <= 0)
        return -1;
    q->rx_len += (size_t)n;
    return 0;
}

/* Takes a complete packet's payload (NUL-terminated) from the receive
 * buffer: 1 if one was there, 0 if not yet, -1 if it does not fit. QEMU's
 * gdbstub (system emulation) acks our packets with '+' and never waits for
 * our acks: the '+' are skipped, none are sent. */
static int gdb_take(struct qemu *q, char *out, size_t out_len)
{
    char *start = memchr(q->rx, '$', q->rx_len);
    char *hash = start ? memchr(start, '#', q->rx_len - (size_t)(start - q->rx)) : NULL;
    size_t len, used;

    if (start == NULL) {
        q->rx_len = 0; /* acks and noise before a packet */
        return 0;
    }
    if (hash == NULL || (size_t)(hash - q->rx) + 3 > q->rx_len)
        return 0;
    len = (size_t)(hash - start - 1);
    used = (size_t)(hash - q->rx) + 3;
    if (len >= out_len)
        return -1;
    memcpy(out, start + 1, len);
    out[len] = '\0';
    memmove(q->rx, q->rx + used, q->rx_len - used);
    q->rx_len -= used;
    return 1;
}

/* Waits for the next packet. */
static int gdb_recv(struct qemu *q, char *out, size_t out_len)
{
    for (;;) {
        int rc = gdb_take(q, out, out_len);

        if (rc != 0)
            return rc > 0 ? 0 : -1;
        if (gdb_fill(q) != 0)
            return -1;
    }
}

static int gdb_send(struct qemu *q, const char *payload)
{
    size_t len = strlen(payload);
    char *pkt = malloc(len + 5);
    unsigned sum = 0;
    int rc;

    if (pkt == NULL)
        return -1;
    for (size_t i = 0; i < len; i++)
        sum += (unsigned char)payload[i];
    pkt[0] = '$';
    memcpy(pkt + 1, payload, len);
    snprintf(pkt + 1 + len, 4, "#%02x", sum & 0xFFu);
    rc = write_all(q->gdb, pkt, len + 4);
    free(pkt);
    return rc;
}

static int gdb_cmd(struct qemu *q, const char *payload, char *reply, size_t reply_len)
{
    return gdb_send(q, payload) == 0 && gdb_recv(q, reply, reply_len) == 0 ? 0 : -1;
}

static int gdb_write_mem(struct qemu *q, uint32_t addr, const uint8_t *data, uint32_t len)
{
    static const char hex[] = "0123456789abcdef";
    char *pkt = malloc(32 + 2 * (size_t)len);
    char reply[64];
    int n;

    if (pkt == NULL)
        return -1;
    n = sprintf(pkt, "M%x,%x:", addr, len);
    for (uint32_t i = 0; i < len; i++) {
        pkt[n++] = hex[data[i] >> 4];
        pkt[n++] = hex[data[i] & 15];
    }
    pkt[n] = '\0';
    n = gdb_cmd(q, pkt, reply, sizeof(reply));
    free(pkt);
    return n == 0 && strcmp(reply, "OK") == 0 ? 0 : -1;
}

static int gdb_read_u32(struct qemu *q, uint32_t addr, uint32_t *value)
{
    char cmd[32], reply[64];
    unsigned b[4];

    snprintf(cmd, sizeof(cmd), "m%x,4", addr);
    if (gdb_cmd(q, cmd, reply, sizeof(reply)) != 0 ||
        sscanf(reply, "%2x%2x%2x%2x", &b[0], &b[1], &b[2], &b[3]) != 4)
        return -1;
    *value = b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24; /* little-endian target */
    return 0;
}

/* Stops the running chip and waits for its stop reply. */
static int gdb_stop(struct qemu *q)
{
    char reply[256];

    if (write_all(q->gdb, "\x03", 1) != 0)
        return -1;
    return gdb_recv(q, reply, sizeof(reply));
}

/* ---- QMP --------------------------------------------------------------------- */

/* Sends a command and returns its reply line (events are skipped). */
static int qmp_cmd(struct qemu *q, const char *json, char *reply, size_t reply_len)
{
    if (write_all(q->qmp, json, strlen(json)) != 0 || write_all(q->qmp, "\n", 1) != 0)
        return -1;
    for (;;) {
        if (read_line(q->qmp, reply, reply_len) != 0)
            return -1;
        if (strstr(reply, "\"return\"") != NULL)
            return 0;
        if (strstr(reply, "\"error\"") != NULL)
            return -1;
    }
}

/* Resets the chip and returns once the reset has happened. QMP answers
 * system_reset when the reset is requested; the main loop does it later and
 * then emits the RESET event. A 'c' to the gdbstub before that could start
 * the core from the state of the previous reset (at start-up: from the
 * empty flash). Events queued before (guest resets) are dropped first. */
static int qmp_reset(struct qemu *q)
{
    char line[1024];
    int got_return = 0, got_reset = 0;

    for (;;) {
        char drain[512];

        if (recv(q->qmp, drain, sizeof(drain), MSG_DONTWAIT) <= 0)
            break;
    }
    static const char cmd[] = "{\"execute\":\"system_reset\"}\n";

    if (write_all(q->qmp, cmd, sizeof(cmd) - 1) != 0)
        return -1;
    while (!got_return || !got_reset) {
        if (read_line(q->qmp, line, sizeof(line)) != 0)
            return -1;
        if (strstr(line, "\"error\"") != NULL)
            return -1;
        if (strstr(line, "\"return\"") != NULL)
            got_return = 1;
        if (strstr(line, "\"RESET\"") != NULL && strstr(line, "host-qmp-system-reset") != NULL)
            got_reset = 1;
    }
    return 0;
}

static uint64_t qmp_icount(struct qemu *q)
{
    char reply[512];
    const char *p;

    if (qmp_cmd(q, "{\"execute\":\"query-replay\"}", reply, sizeof(reply)) != 0 ||
        (p = strstr(reply, "\"icount\":")) == NULL)
        return 0;
    return strtoull(p + 9, NULL, 10);
}

/* ---- the recovery button through QEMU's qtest protocol ----------------------- */

/* Drives the button's pin from outside (qtest's set_irq_in on the SoC's
 * GPIO input, which works under TCG as well): held is 0 V on the active-low
 * pin, released is the pin driven high. A system reset, QMP's or the
 * chip's own (SYSRESETREQ), resets QEMU's GPIO model, which also forgets
 * the outside drive: the pin then floats and the port's pull-up reads it
 * high. That is the release at the first reset of `--hold-button`. */
static int qtest_set_button(struct qemu *q, int held)
{
    char cmd[128], reply[64];

    snprintf(cmd, sizeof(cmd), "set_irq_in " NRF5_QEMU_GPIO_OWNER " unnamed-gpio-in %u %d\n", NRF5_BUTTON_PIN,
             held ? 0 : 1);
    if (q->qtest < 0 || write_all(q->qtest, cmd, strlen(cmd)) != 0 || read_line(q->qtest, reply, sizeof(reply)) != 0)
        return -1;
    return strcmp(reply, "OK") == 0 ? 0 : -1;
}

/* ---- the USB/IP bridge to the UART link ------------------------------------- */

struct bridge {
    struct usbip_uart_bridge *b;
    pthread_t thread;
    pthread_mutex_t lock;
    int running;
    int stop;       /* under lock */
    int new_uart;   /* under lock: a stream of a new QEMU for the bridge, or -1 */
};

static void *bridge_main(void *arg)
{
    struct bridge *br = arg;

    for (;;) {
        int stop, fd, r;

        pthread_mutex_lock(&br->lock);
        stop = br->stop;
        fd = br->new_uart;
        br->new_uart = -1;
        pthread_mutex_unlock(&br->lock);
        if (stop)
            break;
        if (fd >= 0)
            usbip_uart_bridge_set_uart(br->b, fd);
        /* the timeout only bounds how late a new stream or the stop is seen */
        r = usbip_uart_bridge_poll(br->b, 100);
        if (r < 0 && r != -EPIPE) {
            say("USB/IP bridge: %s", strerror(-r));
            break;
        }
    }
    return NULL;
}

/* Opens the bridge's USB/IP server on the listening socket and starts its
 * thread (signals stay with the main thread). */
static int bridge_start(struct bridge *br, int listen_fd)
{
    struct usbip_uart_bridge_config cfg = { .uart_fd = -1, .listen_fd = listen_fd, .port = -1 };
    sigset_t all, old;
    int e;

    br->new_uart = -1;
    e = usbip_uart_bridge_open(&br->b, &cfg);
    if (e < 0) {
        say("cannot serve USB/IP: %s", strerror(-e));
        return -1;
    }
    pthread_mutex_init(&br->lock, NULL);
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    e = pthread_create(&br->thread, NULL, bridge_main, br);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (e != 0) {
        say("cannot start the USB/IP bridge: %s", strerror(e));
        usbip_uart_bridge_close(br->b);
        return -1;
    }
    br->running = 1;
    return 0;
}

/* Hands the UART stream of a (new) QEMU to the bridge, which owns it from
 * then on. */
static void bridge_give_uart(struct bridge *br, int fd)
{
    pthread_mutex_lock(&br->lock);
    if (br->new_uart >= 0)
        close(br->new_uart);
    br->new_uart = fd;
    pthread_mutex_unlock(&br->lock);
}

/* Stops the thread (QEMU is gone by then: a request it waited on fails). */
static void bridge_stop(struct bridge *br)
{
    if (!br->running)
        return;
    pthread_mutex_lock(&br->lock);
    br->stop = 1;
    pthread_mutex_unlock(&br->lock);
    pthread_join(br->thread, NULL);
    if (br->new_uart >= 0)
        close(br->new_uart);
    usbip_uart_bridge_close(br->b);
    br->running = 0;
}

/* ---- the chip ------------------------------------------------------------- */

static void qemu_kill(struct qemu *q)
{
    if (q->uart >= 0)
        close(q->uart);
    if (q->gdb >= 0)
        close(q->gdb);
    if (q->qmp >= 0)
        close(q->qmp);
    if (q->qtest >= 0)
        close(q->qtest);
    q->uart = q->gdb = q->qmp = q->qtest = -1;
    if (q->pid > 0) {
        kill(q->pid, SIGKILL);
        waitpid(q->pid, NULL, 0);
        q->pid = -1;
    }
}

static void pump_console(struct qemu *q)
{
    uint8_t buf[4096];
    ssize_t n;

    if (q->uart < 0)
        return; /* the USB/IP bridge has the UART and prints the console */
    while ((n = recv(q->uart, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
        size_t text = 0;

        /* link frames (nobody answers them without --usbip) are not text */
        for (ssize_t i = 0; i < n; i++) {
            if (uartlink_dec_byte(&q->console, buf[i]) == UARTLINK_EV_CONSOLE)
                buf[text++] = buf[i];
        }
        fwrite(buf, 1, text, stdout);
        fflush(stdout);
    }
}

/* Loads the flash file into the flash model (the chip stays paused). */
static int load_flash(struct qemu *q, const struct vboard_qemu_run *run)
{
    uint8_t buf[1024];

    for (uint32_t off = 0; off < run->layout->geo.size; off += sizeof(buf)) {
        if (pread(run->flash_fd, buf, sizeof(buf), off) != (ssize_t)sizeof(buf) ||
            gdb_write_mem(q, off, buf, sizeof(buf)) != 0) {
            say("cannot load %s into the emulated flash", run->flash);
            return -1;
        }
    }
    return 0;
}

/* Saves the emulated flash into the flash file, in place (the file stays
 * the one the caller locked): QMP memsave into a file in the private
 * directory, then copied over. */
static int save_flash(struct qemu *q, const struct vboard_qemu_run *run)
{
    char tmp[128], cmd[256], reply[256];
    uint32_t size = run->layout->geo.size;
    uint8_t *buf = malloc(size);
    FILE *f;
    int rc = -1;

    snprintf(tmp, sizeof(tmp), "%s/flash.save", q->dir);
    snprintf(cmd, sizeof(cmd), "{\"execute\":\"memsave\",\"arguments\":{\"val\":0,\"size\":%u,\"filename\":\"%s\"}}",
             size, tmp);
    if (buf != NULL && qmp_cmd(q, cmd, reply, sizeof(reply)) == 0 && (f = fopen(tmp, "rb")) != NULL) {
        if (fread(buf, 1, size, f) == size && pwrite(run->flash_fd, buf, size, 0) == (ssize_t)size)
            rc = 0;
        fclose(f);
    }
    unlink(tmp);
    free(buf);
    if (rc != 0)
        say("%s: saving the emulated flash failed", run->flash);
    return rc;
}

/* --uart-socket: the chip starts once a bridge of the user's is connected
 * to the UART (QEMU drops output nobody reads). QMP's query-chardev says
 * "disconnected:" in front of the socket's name until then; waiting is on
 * the user's bridge, so there is no time limit. -2 if power-off came first. */
static int wait_for_outside_bridge(struct qemu *q, const char *path)
{
    char needle[160], reply[2048];
    int said = 0;

    snprintf(needle, sizeof(needle), "\"disconnected:unix:%s,", path);
    for (;;) {
        struct timespec ts = { 0, 20 * 1000 * 1000 };

        if (qmp_cmd(q, "{\"execute\":\"query-chardev\"}", reply, sizeof(reply)) != 0)
            return -1;
        if (strstr(reply, needle) == NULL)
            return 0;
        if (vboard_want_off)
            return -2;
        if (!said) {
            say("the chip's UART is at %s: waiting for a bridge (uart-usb-bridge --uart unix:%s --reconnect)", path,
                path);
            said = 1;
        }
        nanosleep(&ts, NULL);
    }
}

/* Removes a unix socket left at `path` by an earlier QEMU; anything else
 * there is refused. */
static int clear_socket_path(const char *path)
{
    struct stat st;

    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISSOCK(st.st_mode)) {
        say("--uart-socket %s: exists and is not a socket", path);
        return -1;
    }
    return unlink(path);
}

/* Starts QEMU with the flash file loaded and lets the chip run; `hold`:
 * the recovery button is held from the reset on (qtest socket). */
static int qemu_start(struct qemu *q, const char *qemu_path, const struct vboard_qemu_run *run, int hold)
{
    char uart_path[128], gdb_path[128], qmp_path[128], qtest_path[128], greeting[512];
    char flash_size[64], uart_dev[256], gdb_dev[256], qmp_dev[256], qtest_dev[256], sram[64];

    if (run->uart_socket != NULL) {
        snprintf(uart_path, sizeof(uart_path), "%s", run->uart_socket);
        if (clear_socket_path(uart_path) != 0)
            return -1;
    } else {
        snprintf(uart_path, sizeof(uart_path), "%s/uart", q->dir);
        unlink(uart_path);
    }
    snprintf(gdb_path, sizeof(gdb_path), "%s/gdb", q->dir);
    snprintf(qmp_path, sizeof(qmp_path), "%s/qmp", q->dir);
    snprintf(qtest_path, sizeof(qtest_path), "%s/qtest", q->dir);
    unlink(gdb_path);
    unlink(qmp_path);
    unlink(qtest_path);
    snprintf(flash_size, sizeof(flash_size), "nrf51-soc.flash-size=0x%x", run->layout->geo.size);
    snprintf(uart_dev, sizeof(uart_dev), "socket,id=uart0,path=%s,server=on,wait=off", uart_path);
    snprintf(gdb_dev, sizeof(gdb_dev), "unix:%s,server=on,wait=off", gdb_path);
    snprintf(qmp_dev, sizeof(qmp_dev), "unix:%s,server=on,wait=off", qmp_path);
    snprintf(qtest_dev, sizeof(qtest_dev), "unix:%s,server=on,wait=off", qtest_path);
    snprintf(sram, sizeof(sram), "nrf51-soc.sram-size=0x%x", NRF5_RAM_SIZE);
    fflush(stdout);
    q->pid = fork();
    if (q->pid < 0)
        return -1;
    if (q->pid == 0) {
        int null = open("/dev/null", O_RDWR);

        dup2(null, 0);
        dup2(null, 1); /* the console is the UART socket; QEMU's errors go to stderr */
        signal(SIGINT, SIG_IGN); /* vboard powers the chip off */
        const char *argv[32] = { qemu_path, "-M", "microbit", "-global", flash_size, "-global", sram,
                                 "-icount", ICOUNT_OPTIONS, "-display", "none", "-nodefaults", "-S",
                                 "-chardev", uart_dev, "-serial", "chardev:uart0", "-gdb", gdb_dev,
                                 "-qmp", qmp_dev };
        int argc = 0;

        while (argv[argc] != NULL)
            argc++;
        if (hold) {
            /* qtest beside TCG (without -accel, -qtest picks its own
             * accelerator, which runs no code); its log is not wanted */
            static const char *const more[] = { "-accel", "tcg", "-qtest", NULL, "-qtest-log", "/dev/null" };

            for (unsigned i = 0; i < sizeof(more) / sizeof(more[0]); i++)
                argv[argc++] = more[i] != NULL ? more[i] : qtest_dev;
        }
        argv[argc] = NULL;
        execv(qemu_path, (char *const *)argv);
        _exit(127);
    }
    uartlink_dec_init(&q->console, q->console_frame, sizeof(q->console_frame));
    /* with --uart-socket the user's bridge connects to the UART, not vboard */
    q->uart = run->uart_socket == NULL ? unix_connect(uart_path, &q->pid) : -1;
    q->gdb = q->uart >= 0 || run->uart_socket != NULL ? unix_connect(gdb_path, &q->pid) : -1;
    q->qmp = q->gdb >= 0 ? unix_connect(qmp_path, &q->pid) : -1;
    q->qtest = hold && q->qmp >= 0 ? unix_connect(qtest_path, &q->pid) : -1;
    if (q->qmp < 0 || (hold && q->qtest < 0)) {
        say("%s did not start", qemu_path);
        return -1;
    }
    {
        char reply[256];
        ssize_t n = read(q->qmp, greeting, sizeof(greeting) - 1); /* the QMP greeting line */

        if (n <= 0 || qmp_cmd(q, "{\"execute\":\"qmp_capabilities\"}", reply, sizeof(reply)) != 0 ||
            gdb_cmd(q, "?", reply, sizeof(reply)) != 0) {
            say("%s does not answer on its control sockets", qemu_path);
            return -1;
        }
    }
    if (load_flash(q, run) != 0)
        return -1;
    {
        char reply[256];

        if (qmp_reset(q) != 0)
            return -1;
        /* after the reset, which clears the pin's outside drive */
        if (hold && qtest_set_button(q, 1) != 0) {
            say("QEMU's qtest socket refused the button (%s unnamed-gpio-in %u)", NRF5_QEMU_GPIO_OWNER,
                NRF5_BUTTON_PIN);
            return -1;
        }
        if (run->cut_after != 0) {
            char cmd[64];

            snprintf(cmd, sizeof(cmd), "Z2,%x,4", NRF5_RETAINED_ADDR + NRF5_RETAINED_OFF_FLASH_OPS);
            if (gdb_cmd(q, cmd, reply, sizeof(reply)) != 0 || strcmp(reply, "OK") != 0) {
                say("QEMU's gdbstub refused the watchpoint the power cut needs");
                return -1;
            }
        }
    }
    if (run->uart_socket != NULL) {
        int w = wait_for_outside_bridge(q, uart_path);

        if (w != 0)
            return w;
    }
    return gdb_send(q, "c");
}

/* A flash file whose boot partition holds no Cortex-M vector table was not
 * made for this machine (an ELF of the virtual host machine, or empty). */
static int check_flash_file(const struct vboard_qemu_run *run)
{
    const struct flash_partition *boot = flash_layout_partition(run->layout, FLASH_AREA_BOOT);
    uint8_t w[8];
    FILE *f = fopen(run->flash, "rb");
    int ok;

    if (f == NULL) {
        say("%s: %s", run->flash, strerror(errno));
        return -1;
    }
    ok = boot != NULL && fseek(f, (long)boot->off, SEEK_SET) == 0 && fread(w, 1, 8, f) == 8;
    fclose(f);
    if (!ok)
        return -1;
    if (memcmp(w, "\177ELF", 4) == 0) {
        say("%s: the boot partition holds an ELF program for the host machine, not Cortex-M firmware: "
            "this flash file was made for the other machine (flash build/images/qemu-nrf51/bootloader.bin)",
            run->flash);
        return -1;
    }
    {
        uint32_t sp = w[0] | w[1] << 8 | w[2] << 16 | (uint32_t)w[3] << 24;
        uint32_t pc = w[4] | w[5] << 8 | w[6] << 16 | (uint32_t)w[7] << 24;

        if (sp <= NRF5_RAM_BASE || sp > NRF5_RAM_BASE + NRF5_RAM_SIZE || (pc & 1u) == 0 || pc >= boot->size) {
            say("%s: no Cortex-M bootloader in the boot partition (flash build/images/qemu-nrf51/bootloader.bin)",
                run->flash);
            return -1;
        }
    }
    return 0;
}

struct totals {
    uint64_t flash_ops, erases, writes, bytes, icount;
};

/* Adds the chip's counters (retained RAM, since this QEMU started) to t. */
static void collect(struct qemu *q, struct totals *t)
{
    uint32_t v[4] = { 0 };
    static const uint32_t off[4] = { NRF5_RETAINED_OFF_FLASH_OPS, NRF5_RETAINED_OFF_ERASES,
                                     NRF5_RETAINED_OFF_WRITES, NRF5_RETAINED_OFF_BYTES };
    uint32_t magic = 0;

    if (gdb_read_u32(q, NRF5_RETAINED_ADDR, &magic) == 0 && magic == NRF5_RETAINED_MAGIC) {
        for (int i = 0; i < 4; i++)
            gdb_read_u32(q, NRF5_RETAINED_ADDR + off[i], &v[i]);
    }
    t->flash_ops += v[0];
    t->erases += v[1];
    t->writes += v[2];
    t->bytes += v[3];
    t->icount += qmp_icount(q);
}

static void write_stats(const char *path, const struct totals *t)
{
    FILE *f;

    if (path == NULL)
        return;
    f = fopen(path, "w");
    if (f == NULL) {
        say("%s: %s", path, strerror(errno));
        return;
    }
    fprintf(f,
            "{\"machine\": \"" VBOARD_MACHINE_QEMU_NRF51 "\", \"erases\": %llu, \"bytes_programmed\": %llu, "
            "\"writes\": %llu, \"flash_ops\": %llu, \"guest_instructions\": %llu}\n",
            (unsigned long long)t->erases, (unsigned long long)t->bytes, (unsigned long long)t->writes,
            (unsigned long long)t->flash_ops, (unsigned long long)t->icount);
    fclose(f);
}

/* The chip stopped (watchpoint or exit). Returns 1 for a power cut, -1
 * if the chip no longer answers. QEMU stops an ARM core in front of the
 * store that hits a watchpoint (gdb's "non-steppable" watchpoints): step
 * over it with the watchpoint removed, put it back, then read the count the
 * store wrote. */
static int on_gdb_stop(struct qemu *q, const char *reply, uint64_t cut_after, int *dead)
{
    char z[48], r[256];
    uint32_t ops;

    if (reply[0] == 'W' || reply[0] == 'X') {
        *dead = 1;
        return 0;
    }
    if (cut_after != 0 && strstr(reply, "watch:") != NULL) {
        snprintf(z, sizeof(z), "z2,%x,4", NRF5_RETAINED_ADDR + NRF5_RETAINED_OFF_FLASH_OPS);
        if (gdb_cmd(q, z, r, sizeof(r)) != 0 || gdb_cmd(q, "s", r, sizeof(r)) != 0)
            return -1;
        z[0] = 'Z';
        if (gdb_cmd(q, z, r, sizeof(r)) != 0 ||
            gdb_read_u32(q, NRF5_RETAINED_ADDR + NRF5_RETAINED_OFF_FLASH_OPS, &ops) != 0)
            return -1;
        if (ops == cut_after)
            return 1;
    }
    return gdb_send(q, "c") == 0 ? 0 : -1;
}

int vboard_qemu_run(const struct vboard_qemu_run *run)
{
    char qemu_path[4096];
    struct qemu q = { .pid = -1, .uart = -1, .gdb = -1, .qmp = -1, .qtest = -1 };
    struct totals t = { 0 };
    struct bridge br = { .running = 0 };
    int rc = 1, running = 0;
    /* --hold-button: held while the chip powers on, let go at the first
     * reset of the run (the reset button, or the chip's own reset, which
     * clears the pin's drive: qtest_set_button()), like the host machine */
    int button = run->hold_button;

    if (!find_in_path(QEMU_PROGRAM, qemu_path, sizeof(qemu_path))) {
        say(QEMU_PROGRAM " not found: install the Debian package " QEMU_PACKAGE);
        return 1;
    }
    if (check_flash_file(run) != 0)
        return 1;
    if (run->usbip_fd >= 0 && bridge_start(&br, run->usbip_fd) != 0)
        return 1;
    snprintf(q.dir, sizeof(q.dir), "/tmp/vboard-qemu.XXXXXX");
    if (mkdtemp(q.dir) == NULL) {
        say("mkdtemp: %s", strerror(errno));
        return 1;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (vboard_signals_install() != 0)
        return 1;
    signal(SIGPIPE, SIG_IGN);

    for (int power_on = 1;;) {
        struct pollfd pfd[3] = {
            { .fd = vboard_signals_fd(), .events = POLLIN },
            { .fd = q.uart, .events = POLLIN },
            { .fd = q.gdb, .events = POLLIN },
        };
        char reply[512];
        int dead = 0;

        if (power_on) {
            power_on = 0;
            int started = qemu_start(&q, qemu_path, run, button);

            running = started == 0;
            if (!running) {
                qemu_kill(&q);
                rc = started == -2 ? 0 : 1; /* -2: powered off while waiting for a bridge */
                goto out;
            }
            if (br.running) {
                bridge_give_uart(&br, q.uart);
                q.uart = -1;
            }
            continue;
        }
        if (poll(pfd, 3, -1) < 0 && errno != EINTR)
            break;
        vboard_signals_drain();
        if (running && (pfd[1].revents & (POLLIN | POLLHUP)))
            pump_console(&q);
        if (running && (pfd[2].revents & (POLLIN | POLLHUP))) {
            int got = gdb_fill(&q) == 0 ? gdb_take(&q, reply, sizeof(reply)) : -1;
            int cut = got > 0 ? on_gdb_stop(&q, reply, run->cut_after, &dead) : 0;

            if (got < 0 || cut < 0)
                dead = 1;
            else if (cut > 0) {
                pump_console(&q);
                printf("power cut at flash operation %llu\n", (unsigned long long)run->cut_after);
                collect(&q, &t);
                rc = save_flash(&q, run) == 0 ? 3 : 1;
                qemu_kill(&q);
                goto out;
            }
        }
        if (running && !dead && waitpid(q.pid, NULL, WNOHANG) == q.pid) {
            q.pid = -1;
            dead = 1;
        }
        if (dead) {
            /* QEMU ended on its own: a core lockup (Thumb-2 code on the M0)
             * or a crash. The flash since the last save is lost with it. */
            pump_console(&q);
            printf("vboard: the emulated chip stopped (QEMU ended); the board stays halted until reset\n");
            qemu_kill(&q);
            running = 0;
        }
        if (vboard_want_off || vboard_want_reset) {
            if (running) {
                if (gdb_stop(&q) != 0 || save_flash(&q, run) != 0) {
                    qemu_kill(&q);
                    goto out;
                }
                pump_console(&q);
            }
            if (vboard_want_off) {
                if (running)
                    collect(&q, &t);
                qemu_kill(&q);
                rc = 0;
                goto out;
            }
            vboard_want_reset = 0;
            if (button && running && qtest_set_button(&q, 0) != 0) {
                qemu_kill(&q);
                goto out;
            }
            button = 0;
            if (running) {
                /* the reset button: a warm reset, RAM (the boot mode) kept */
                if (qmp_reset(&q) != 0 ||
                    gdb_send(&q, "c") != 0) {
                    qemu_kill(&q);
                    goto out;
                }
            } else {
                power_on = 1;
            }
        }
    }
out:
    bridge_stop(&br);
    write_stats(run->stats, &t);
    {
        char p[128];

        snprintf(p, sizeof(p), "%s/uart", q.dir);
        unlink(p);
        if (run->uart_socket != NULL)
            clear_socket_path(run->uart_socket);
        snprintf(p, sizeof(p), "%s/gdb", q.dir);
        unlink(p);
        snprintf(p, sizeof(p), "%s/qmp", q.dir);
        unlink(p);
        snprintf(p, sizeof(p), "%s/qtest", q.dir);
        unlink(p);
        rmdir(q.dir);
    }
    return rc;
}
