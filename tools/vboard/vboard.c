/* vboard: the virtual board. Creates, flashes, inspects and runs a board
 * whose flash is a file and whose USB port is a USB/IP server.
 *
 *   vboard create FLASH [--layout NAME] [--machine host|qemu-nrf51] [--force]
 *   vboard flash FLASH (--partition NAME | --offset OFF) FILE
 *   vboard dump FLASH --partition NAME -o FILE
 *   vboard info FLASH [--json]
 *   vboard run FLASH [--usbip HOST:PORT] [--cut-after-ops N [--torn]] [--stats FILE] [--hold-button]
 *                    [--uart-socket PATH]      (qemu-nrf51: the UART for an outside bridge)
 *
 * The layout of a flash file is recorded beside it in FLASH.layout (first
 * line), with the machine that runs it (second line; absent: host, the
 * firmware as Linux processes). Every command also takes --layout NAME.
 * Machine qemu-nrf51 runs the Thumb firmware on QEMU (vboard_qemu.c). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/errors.h"
#include "flash/flash_map.h"
#include "port/posix/vboard_machine.h"
#include "port/posix/sim_flash.h"
#include "tools/vboard/vboard_fit.h"
#include "tools/vboard/vboard_info.h"
#include "tools/vboard/vboard_qemu.h"
#include "tools/vboard/vboard_signals.h"

static void fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
    va_list ap;

    fputs("vboard: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

/* "name, name, ..." of every layout vboard knows. */
static void print_layouts(FILE *out)
{
    for (uint32_t i = 0; flash_layout_get(i) != NULL; i++)
        fprintf(out, "%s%s", i ? ", " : "", flash_layout_get(i)->name);
}

static void usage(FILE *out)
{
    fputs("usage: vboard create FLASH [--layout NAME] [--machine host|qemu-nrf51] [--force]\n"
          "       vboard flash FLASH (--partition NAME | --offset OFF) FILE\n"
          "       vboard dump FLASH --partition NAME -o FILE\n"
          "       vboard info FLASH [--json]\n"
          "       vboard run FLASH [--usbip HOST:PORT] [--cut-after-ops N [--torn]] [--stats FILE]\n"
          "                  [--hold-button]  (the recovery button held at power-on, released at the first reset)\n"
          "                  [--uart-socket PATH]\n"
          "       (every command also takes --layout NAME; --hold-button on machine qemu-nrf51 holds\n"
          "       the micro:bit's button A, P0.17, low; --uart-socket, machine qemu-nrf51 only:\n"
          "       the chip's UART as a unix socket at PATH for a bridge of your own, e.g.\n"
          "       uart-usb-bridge --uart unix:PATH --reconnect; the chip starts once it is connected)\n"
          "environment for run: DFUBOOT_VBOARD_CORRUPT=config-length makes the board's USB\n"
          "       configuration descriptors announce 2 bytes more than they hold (fault injection)\n",
          out);
    fputs("layouts: ", out);
    print_layouts(out);
    fputs(" (default nrf52840dk)\n", out);
}

static const struct flash_layout *find_layout(const char *name)
{
    const struct flash_layout *l = flash_layout_find(name);

    if (l == NULL) {
        fprintf(stderr, "vboard: unknown layout '%s' (layouts: ", name);
        print_layouts(stderr);
        fputs(")\n", stderr);
        exit(1);
    }
    return l;
}

/* The flash file must exist and be a file; says why not, as the OS does. */
static void need_flash_file(const char *path)
{
    struct stat st;

    if (stat(path, &st) != 0) {
        if (errno == ENOENT)
            fail("%s: no such flash file (make one with: vboard create %s)", path, path);
        fail("%s: %s", path, strerror(errno));
    }
    if (S_ISDIR(st.st_mode))
        fail("%s: %s", path, strerror(EISDIR));
}

/* A running board holds an exclusive lock on its flash file for as long as
 * it runs; create, flash and a second run take the same lock. */
static void lock_flash(int fd, const char *path)
{
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            fail("%s is in use by a running board (vboard run); power that board off first", path);
        fail("%s: cannot lock: %s", path, strerror(errno));
    }
}

static uint32_t parse_u32(const char *s, const char *what)
{
    char *end;
    unsigned long long v;

    errno = 0;
    v = strtoull(s, &end, 0);
    if (errno != 0 || *s == '\0' || *end != '\0' || v > 0xFFFFFFFFull || s[0] == '-')
        fail("bad %s: '%s'", what, s);
    return (uint32_t)v;
}

static char *sidecar_path(const char *flash)
{
    size_t n = strlen(flash) + sizeof(".layout");
    char *p = malloc(n);

    if (p == NULL)
        fail("out of memory");
    snprintf(p, n, "%s.layout", flash);
    return p;
}

/* The layout named on the command line, else the one recorded beside FLASH. */
static const struct flash_layout *resolve_layout(const char *flash, const char *name)
{
    const struct flash_layout *l;
    char buf[64] = "";

    need_flash_file(flash);
    if (name == NULL) {
        char *path = sidecar_path(flash);
        FILE *f = fopen(path, "r");

        if (f == NULL)
            fail("%s: no layout recorded beside the flash file (use --layout NAME)", path);
        if (fgets(buf, sizeof(buf), f) == NULL)
            buf[0] = '\0';
        fclose(f);
        free(path);
        buf[strcspn(buf, "\r\n")] = '\0';
        name = buf;
    }
    l = find_layout(name);
    return l;
}

/* lock: take the running board's lock (commands that write). */
/* The flash file, read-write (and locked if asked), of the layout's size;
 * fails with the reason otherwise. */
static int open_flash_fd(const char *path, const struct flash_layout *l, int lock)
{
    struct stat st;
    int fd;

    need_flash_file(path);
    fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        fail("%s: %s", path, strerror(errno));
    if (lock)
        lock_flash(fd, path);
    if (fstat(fd, &st) != 0)
        fail("%s: %s", path, strerror(errno));
    if ((uint64_t)st.st_size != l->geo.size)
        fail("%s: size %lld does not match layout %s (%u bytes)", path, (long long)st.st_size, l->name,
             l->geo.size);
    return fd;
}

static void open_flash(struct sim_flash *sf, const char *path, const struct flash_layout *l, int lock)
{
    int rc = sim_flash_open_fd(sf, &l->geo, open_flash_fd(path, l, lock));

    if (rc != DFB_OK)
        fail("%s: cannot open: %s", path, dfb_strerror(rc));
}

static const struct flash_partition *need_partition(const struct flash_layout *l, const char *name)
{
    const struct flash_partition *p = flash_layout_partition(l, name);

    if (p == NULL) {
        fprintf(stderr, "vboard: unknown partition '%s' (layout %s has:", name, l->name);
        for (uint32_t i = 0; i < l->partition_count; i++)
            fprintf(stderr, " %s", l->partitions[i].name);
        fprintf(stderr, ")\n");
        exit(1);
    }
    return p;
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t cap = 0, n = 0;

    if (f == NULL)
        fail("%s: %s", path, strerror(errno));
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            buf = realloc(buf, cap);
            if (buf == NULL)
                fail("out of memory");
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0)
            break;
    }
    if (ferror(f))
        fail("%s: %s", path, strerror(errno));
    fclose(f);
    *len = n;
    return buf;
}

enum { OPT_LAYOUT = 1000, OPT_PARTITION, OPT_OFFSET, OPT_USBIP, OPT_CUT, OPT_TORN, OPT_STATS, OPT_JSON, OPT_FORCE,
       OPT_MACHINE, OPT_HOLD_BUTTON, OPT_UART_SOCKET };

static const struct option long_opts[] = {
    { "layout", required_argument, NULL, OPT_LAYOUT },
    { "partition", required_argument, NULL, OPT_PARTITION },
    { "offset", required_argument, NULL, OPT_OFFSET },
    { "usbip", required_argument, NULL, OPT_USBIP },
    { "cut-after-ops", required_argument, NULL, OPT_CUT },
    { "torn", no_argument, NULL, OPT_TORN },
    { "stats", required_argument, NULL, OPT_STATS },
    { "json", no_argument, NULL, OPT_JSON },
    { "machine", required_argument, NULL, OPT_MACHINE },
    { "uart-socket", required_argument, NULL, OPT_UART_SOCKET },
    { "force", no_argument, NULL, OPT_FORCE },
    { "hold-button", no_argument, NULL, OPT_HOLD_BUTTON },
    { "output", required_argument, NULL, 'o' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

struct args {
    const char *layout, *partition, *usbip, *stats, *output, *machine, *uart_socket;
    const char *offset;
    uint64_t cut_after;
    int torn, json, force, hold_button;
    const char *pos[2];
    int npos;
};

/* Each command lists the options it accepts as letters:
 * L layout, P partition, O offset, U usbip, C cut-after-ops, T torn,
 * S stats, J json, M machine, o output, F force, B hold-button, A uart-socket. */
static char option_letter(int c)
{
    switch (c) {
    case OPT_LAYOUT: return 'L';
    case OPT_PARTITION: return 'P';
    case OPT_OFFSET: return 'O';
    case OPT_USBIP: return 'U';
    case OPT_CUT: return 'C';
    case OPT_TORN: return 'T';
    case OPT_STATS: return 'S';
    case OPT_JSON: return 'J';
    case OPT_MACHINE: return 'M';
    case OPT_FORCE: return 'F';
    case OPT_HOLD_BUTTON: return 'B';
    case OPT_UART_SOCKET: return 'A';
    default: return 'o';
    }
}

static void parse_args(int argc, char **argv, struct args *a, const char *allowed)
{
    int c;

    memset(a, 0, sizeof(*a));
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "o:h", long_opts, NULL)) != -1) {
        if (c == '?') {
            if (optopt)
                fail("option '-%c' needs an argument or is unknown (see vboard --help)", optopt);
            fail("unknown or incomplete option '%s' (see vboard --help)", argv[optind - 1]);
        }
        if (c == 'h') {
            usage(stdout);
            exit(0);
        }
        if (strchr(allowed, option_letter(c)) == NULL)
            fail("option '%s' does not apply to '%s'", argv[optind - 1], argv[0]);
        switch (c) {
        case OPT_LAYOUT: a->layout = optarg; break;
        case OPT_PARTITION: a->partition = optarg; break;
        case OPT_OFFSET: a->offset = optarg; break;
        case OPT_USBIP: a->usbip = optarg; break;
        case OPT_CUT: a->cut_after = parse_u32(optarg, "operation count"); break;
        case OPT_TORN: a->torn = 1; break;
        case OPT_STATS: a->stats = optarg; break;
        case OPT_JSON: a->json = 1; break;
        case OPT_MACHINE: a->machine = optarg; break;
        case OPT_FORCE: a->force = 1; break;
        case OPT_HOLD_BUTTON: a->hold_button = 1; break;
        case OPT_UART_SOCKET: a->uart_socket = optarg; break;
        case 'o': a->output = optarg; break;
        }
    }
    for (; optind < argc; optind++) {
        if (a->npos == 2)
            fail("too many arguments for '%s'", argv[0]);
        a->pos[a->npos++] = argv[optind];
    }
}

static int cmd_create(int argc, char **argv)
{
    struct args a;
    const struct flash_layout *l;
    struct sim_flash sf;
    char *side, why[160];
    FILE *f;
    int rc, host;

    int fd;

    parse_args(argc, argv, &a, "LMF");
    if (a.npos != 1)
        fail("usage: vboard create FLASH [--layout NAME] [--machine host|qemu-nrf51] [--force]");
    l = find_layout(a.layout ? a.layout : "nrf52840dk");
    if (a.machine == NULL)
        a.machine = VBOARD_MACHINE_HOST;
    if (!vboard_machine_known(a.machine))
        fail("unknown machine '%s' (host or qemu-nrf51)", a.machine);
    if (!vboard_machine_layout_ok(a.machine, l, why, sizeof(why)))
        fail("%s", why);
    /* an existing flash file (perhaps a running board's) is replaced only
     * when asked, and never under a running board */
    fd = open(a.pos[0], O_RDWR | O_CREAT | O_CLOEXEC | (a.force ? 0 : O_EXCL), 0644);
    if (fd < 0 && errno == EEXIST)
        fail("%s already exists (vboard create --force replaces it)", a.pos[0]);
    if (fd < 0)
        fail("%s: cannot create: %s", a.pos[0], strerror(errno));
    lock_flash(fd, a.pos[0]);
    if (ftruncate(fd, 0) != 0 || ftruncate(fd, l->geo.size) != 0)
        fail("%s: cannot create: %s", a.pos[0], strerror(errno));
    rc = sim_flash_open_fd(&sf, &l->geo, fd);
    if (rc != DFB_OK)
        fail("%s: cannot create: %s", a.pos[0], dfb_strerror(rc));
    memset(sf.mem, l->geo.erase_value, l->geo.size);
    sim_flash_close(&sf);
    side = sidecar_path(a.pos[0]);
    host = strcmp(a.machine, VBOARD_MACHINE_HOST) == 0; /* host: no machine line, as before machines */
    f = fopen(side, "w");
    if (f == NULL || fprintf(f, "%s\n%s%s", l->name, host ? "" : a.machine, host ? "" : "\n") < 0 || fclose(f) != 0)
        fail("%s: cannot write layout: %s", side, strerror(errno));
    printf("created %s: %s, %u KiB, erased to 0x%02x\n", a.pos[0], l->name, l->geo.size / 1024, l->geo.erase_value);
    for (uint32_t i = 0; i < l->partition_count; i++)
        printf("  %-8s 0x%06x..0x%06x (%u KiB)\n", l->partitions[i].name, l->partitions[i].off,
               l->partitions[i].off + l->partitions[i].size, l->partitions[i].size / 1024);
    free(side);
    return 0;
}

static int cmd_flash(int argc, char **argv)
{
    struct args a;
    const struct flash_layout *l;
    struct sim_flash sf;
    struct flash_area fa;
    uint32_t off, limit, wbs, padded, at_off;
    size_t len;
    uint8_t *data;
    int rc;

    parse_args(argc, argv, &a, "LPO");
    if (a.npos != 2 || (a.partition == NULL) == (a.offset == NULL))
        fail("usage: vboard flash FLASH (--partition NAME | --offset OFF) FILE");
    l = resolve_layout(a.pos[0], a.layout);
    if (a.partition) {
        const struct flash_partition *p = need_partition(l, a.partition);

        off = p->off;
        limit = p->off + p->size;
    } else {
        off = parse_u32(a.offset, "offset");
        limit = l->geo.size;
        if (off >= limit)
            fail("offset 0x%x is past the end of the flash (0x%x)", off, limit);
    }
    wbs = l->geo.write_block_size;
    if (off % wbs != 0)
        fail("offset 0x%x is not aligned to the write block size (%u)", off, wbs);
    data = read_file(a.pos[1], &len);
    if (a.partition) { /* an MCUboot image dfuboot could never swap is refused */
        char why[512];
        if (vboard_image_fits(l, a.partition, data, len, why, sizeof(why)) != 0)
            fail("%s: %s", a.pos[1], why);
    }
    if (len > limit - off)
        fail("%s: %zu bytes do not fit at 0x%x (%u bytes available)", a.pos[1], len, off, limit - off);
    padded = (uint32_t)((len + wbs - 1) / wbs * wbs);
    data = realloc(data, padded ? padded : 1);
    memset(data + len, l->geo.erase_value, padded - len);
    at_off = off;
    open_flash(&sf, a.pos[0], l, 1);
    rc = flash_area_init(&fa, &sf.dev, "flash", 0, l->geo.size);
    if (rc == DFB_OK && a.offset != NULL && padded > 0) {
        /* --offset: the bytes of the touched sectors around the data are
         * kept (read, erased, written back with the data in between); a
         * partition is written from its start and owns its sectors */
        struct flash_sector first, last;
        uint8_t *whole;

        rc = flash_area_sector_at(&fa, off, &first);
        if (rc == DFB_OK)
            rc = flash_area_sector_at(&fa, off + padded - 1, &last);
        if (rc == DFB_OK) {
            uint32_t lo = first.off, n = last.off + last.size - first.off;

            whole = malloc(n);
            if (whole == NULL)
                fail("out of memory");
            rc = flash_area_read(&fa, lo, whole, n);
            memcpy(whole + (off - lo), data, padded);
            free(data);
            data = whole;
            off = lo;
            padded = n;
        }
    }
    /* erase every sector the data touches, then program it */
    for (uint32_t at = off; rc == DFB_OK && at < off + padded;) {
        struct flash_sector s;

        rc = flash_area_sector_at(&fa, at, &s);
        if (rc == DFB_OK)
            rc = flash_area_erase(&fa, s.off, s.size);
        at = s.off + s.size;
    }
    if (rc == DFB_OK)
        rc = flash_area_write(&fa, off, data, padded);
    if (rc != DFB_OK)
        fail("flashing failed: %s", dfb_strerror(rc));
    printf("flashed %zu bytes at 0x%06x (%llu sectors erased)\n", len, at_off, (unsigned long long)sf.stats.erases);
    sim_flash_close(&sf);
    free(data);
    return 0;
}

static int cmd_dump(int argc, char **argv)
{
    struct args a;
    const struct flash_layout *l;
    const struct flash_partition *p;
    struct sim_flash sf;
    FILE *out;

    parse_args(argc, argv, &a, "LPo");
    if (a.npos != 1 || a.partition == NULL || a.output == NULL)
        fail("usage: vboard dump FLASH --partition NAME -o FILE");
    l = resolve_layout(a.pos[0], a.layout);
    p = need_partition(l, a.partition);
    open_flash(&sf, a.pos[0], l, 0);
    out = fopen(a.output, "wb");
    if (out == NULL)
        fail("%s: %s", a.output, strerror(errno));
    if (fwrite(sf.mem + p->off, 1, p->size, out) != p->size || fclose(out) != 0)
        fail("%s: write error", a.output);
    printf("dumped %s (%u bytes) to %s\n", p->name, p->size, a.output);
    sim_flash_close(&sf);
    return 0;
}

static int cmd_info(int argc, char **argv)
{
    struct args a;
    const struct flash_layout *l;
    struct sim_flash sf;

    parse_args(argc, argv, &a, "LJ");
    if (a.npos != 1)
        fail("usage: vboard info FLASH [--json]");
    l = resolve_layout(a.pos[0], a.layout);
    open_flash(&sf, a.pos[0], l, 0);
    vboard_info_print(stdout, l, &sf.dev, a.json);
    sim_flash_close(&sf);
    return 0;
}

/* ---- run ---- */

static int listen_usbip(const char *spec)
{
    char host[64];
    const char *colon = strrchr(spec, ':');
    struct sockaddr_in sa;
    socklen_t sa_len = sizeof(sa);
    uint32_t port;
    int fd, one = 1;

    if (colon == NULL || (size_t)(colon - spec) >= sizeof(host))
        fail("bad --usbip '%s' (want HOST:PORT, e.g. 127.0.0.1:3240)", spec);
    memcpy(host, spec, (size_t)(colon - spec));
    host[colon - spec] = '\0';
    port = parse_u32(colon + 1, "port");
    if (port > 65535)
        fail("bad --usbip port %u (0 to 65535; 0 picks a free one)", port);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        fail("bad --usbip address '%s' (want an IPv4 address such as 127.0.0.1)", host);
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        fail("socket: %s", strerror(errno));
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
        fail("cannot listen on %s: %s", spec, strerror(errno));
    if (listen(fd, 16) != 0)
        fail("listen: %s", strerror(errno));
    if (port == 0) {
        /* the system picked the port: say which */
        if (getsockname(fd, (struct sockaddr *)&sa, &sa_len) != 0)
            fail("getsockname: %s", strerror(errno));
        printf("vboard: USB/IP server on %s:%u\n", host, ntohs(sa.sin_port));
        fflush(stdout);
    }
    return fd;
}

static void write_stats(const char *path, const struct flash_layout *l, const struct board_shared *sh)
{
    FILE *f;

    if (path == NULL)
        return;
    f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "vboard: %s: %s\n", path, strerror(errno));
        return;
    }
    sim_flash_stats_json(f, &l->geo, &sh->stats, sh->sector_erases, sh->sector_programmed);
    fclose(f);
}

/* The machine recorded beside FLASH (host if none); `wanted` (--machine)
 * must agree with it. */
static const char *recorded_machine(const char *flash, const char *wanted)
{
    static char buf[64];
    char *path = sidecar_path(flash);
    FILE *f = fopen(path, "r");

    snprintf(buf, sizeof(buf), "%s", VBOARD_MACHINE_HOST);
    if (f != NULL) {
        char line[64];

        if (fgets(line, sizeof(line), f) != NULL && fgets(line, sizeof(line), f) != NULL) {
            line[strcspn(line, "\r\n")] = '\0';
            if (line[0] != '\0')
                snprintf(buf, sizeof(buf), "%s", line);
        }
        fclose(f);
    }
    free(path);
    if (!vboard_machine_known(buf))
        fail("%s: made for machine '%s', which this vboard cannot run", flash, buf);
    if (wanted != NULL && strcmp(wanted, buf) != 0)
        fail("%s was made for machine %s, not %s (create a flash file with --machine %s)", flash, buf, wanted,
             wanted);
    return buf;
}

static int run_qemu(const struct args *a, const struct flash_layout *l)
{
    struct vboard_qemu_run run = {
        .flash = a->pos[0], .layout = l, .usbip_fd = -1, .stats = a->stats,
        .cut_after = a->cut_after, .uart_socket = a->uart_socket, .hold_button = a->hold_button,
    };
    char why[160];

    if (a->usbip && a->uart_socket)
        fail("--usbip and --uart-socket: vboard's own bridge or yours on the UART, not both");
    if (a->uart_socket && strlen(a->uart_socket) >= 100)
        fail("--uart-socket %s: too long for a unix socket path", a->uart_socket);
    if (a->torn)
        fail("--torn: machine qemu-nrf51 programs each word atomically (QEMU's NVMC); use a plain cut");
    if (!vboard_machine_layout_ok(VBOARD_MACHINE_QEMU_NRF51, l, why, sizeof(why)))
        fail("%s", why);
    run.flash_fd = open_flash_fd(a->pos[0], l, 1);
    if (a->usbip)
        run.usbip_fd = listen_usbip(a->usbip);
    return vboard_qemu_run(&run);
}

static int cmd_run(int argc, char **argv)
{
    struct args a;
    const struct flash_layout *l;
    struct board_shared *sh;
    char why[160];
    int flash_fd, shared_fd, usbip_fd = -1, status = 0;
    pid_t child = -1;

    parse_args(argc, argv, &a, "LUCTSMBA");
    if (a.npos != 1)
        fail("usage: vboard run FLASH [--usbip HOST:PORT] [--cut-after-ops N [--torn]] [--stats FILE] "
             "[--hold-button]");
    if (a.torn && a.cut_after == 0)
        fail("--torn needs --cut-after-ops N");
    l = resolve_layout(a.pos[0], a.layout);
    if (strcmp(recorded_machine(a.pos[0], a.machine), VBOARD_MACHINE_QEMU_NRF51) == 0)
        return run_qemu(&a, l);
    if (a.uart_socket)
        fail("--uart-socket: machine host has no UART (its USB port is --usbip); create the flash file with "
             "--machine qemu-nrf51");
    if (flash_layout_check(l) != DFB_OK || flash_geo_sector_count(&l->geo) > BOARD_MAX_SECTORS)
        fail("layout %s is not usable", l->name);
    flash_fd = open_flash_fd(a.pos[0], l, 1);
    sh = board_shared_create(&shared_fd, l->name);
    if (sh == NULL)
        fail("cannot create board state: %s", strerror(errno));
    sh->nsectors = flash_geo_sector_count(&l->geo);
    sh->cut_at = a.cut_after;
    sh->cut_torn = (uint32_t)a.torn;
    /* held while the board powers on, let go before any reset: the user's
     * hand on the button, as the bootloader samples it */
    sh->button = (uint32_t)a.hold_button;
    if (a.usbip)
        usbip_fd = listen_usbip(a.usbip);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (vboard_signals_install() != 0)
        fail("signals: %s", strerror(errno));

    for (int power_on = 1;;) {
        struct pollfd pfd = { .fd = vboard_signals_fd(), .events = POLLIN };

        if (power_on) {
            power_on = 0;
            child = board_rom_start(l, flash_fd, shared_fd, usbip_fd, why, sizeof(why));
            if (child < 0)
                printf("vboard: %s; the board stays halted\n", why);
        }
        if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
            fail("poll: %s", strerror(errno));
        vboard_signals_drain();
        if (vboard_want_off || vboard_want_reset) {
            if (child > 0) {
                kill(child, SIGKILL);
                waitpid(child, &status, 0);
                child = -1;
            }
            if (vboard_want_off)
                break;
            vboard_want_reset = 0;
            sh->button = 0;
            sh->boots++;
            board_shared_restart_clock(sh);
            power_on = 1;
            continue;
        }
        if (child > 0 && waitpid(child, &status, WNOHANG) == child) {
            child = -1;
            if (WIFEXITED(status) && WEXITSTATUS(status) == BOARD_EXIT_REBOOT) {
                sh->button = 0;
                sh->boots++;
                board_shared_restart_clock(sh);
                power_on = 1;
            } else if (WIFEXITED(status) && WEXITSTATUS(status) == BOARD_EXIT_POWER_CUT) {
                write_stats(a.stats, l, sh);
                return 3;
            } else if (WIFSIGNALED(status)) {
                printf("vboard: firmware crashed (signal %d); the board stays halted until reset\n",
                       WTERMSIG(status));
            }
        }
    }
    write_stats(a.stats, l, sh);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        fail("missing command: create, flash, dump, info or run (see vboard --help)");
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "create") == 0)
        return cmd_create(argc - 1, argv + 1);
    if (strcmp(argv[1], "flash") == 0)
        return cmd_flash(argc - 1, argv + 1);
    if (strcmp(argv[1], "dump") == 0)
        return cmd_dump(argc - 1, argv + 1);
    if (strcmp(argv[1], "info") == 0)
        return cmd_info(argc - 1, argv + 1);
    if (strcmp(argv[1], "run") == 0)
        return cmd_run(argc - 1, argv + 1);
    fail("unknown command '%s' (create, flash, dump, info, run)", argv[1]);
}
