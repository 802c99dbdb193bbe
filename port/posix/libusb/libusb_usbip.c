/* libusb-1.0 over USB/IP: the synchronous subset of the libusb API that
 * dfu-util (and similar tools) use, implemented with the USB/IP client, so
 * an unmodified program linked against libusb-1.0.so.0 talks to a device
 * exported by a USB/IP server without kernel support or root.
 *
 * Model: the server named by $DFUBOOT_USBIP ("host:port", default
 * 127.0.0.1:3240) is one USB bus. libusb_get_device_list() asks it for its
 * devices (OP_REQ_DEVLIST) and imports each one (the equivalent of
 * plugging it in): it enumerates the device as a host does (GET_DESCRIPTOR
 * device with wLength 64, SET_ADDRESS, descriptors, SET_CONFIGURATION) and
 * keeps the connection ("link") for the life of the context, so opening and
 * closing do not disturb the device. A device that is still configured
 * from an earlier program is adopted as it is (descriptors only), as a
 * second program on a real kernel finds it. A link that drops is a device
 * that went away; the next device list imports it again, as a new device.
 *
 * Every function of the libusb-1.0.26 API is exported (libusb_extra.c has
 * the ones that cannot work on a device with endpoint 0 only: they answer
 * LIBUSB_ERROR_NOT_SUPPORTED or NULL). Control transfers are refused above
 * 4096 bytes before anything is sent, as Linux usbfs refuses them.
 *
 * Threads: one recursive lock serialises every entry point, so any number
 * of threads may share a context and a handle; control transfers on one
 * link go one after the other, as on endpoint 0 of a real device.
 *
 * Types and constants come from the real <libusb-1.0/libusb.h>; only the
 * opaque structures (context, device, handle) are ours. */
#include <errno.h>
#include <libusb-1.0/libusb.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "port/posix/libusb/libusb_lock.h"
#include "port/posix/usbip/usbip_client.h"

#define MAX_LINKS 8
#define MAX_CONFIGS 8
#define MAX_CONFIG_LEN 65535
#define IO_TIMEOUT_MS 5000
#define LIST_CONNECT_RETRY_MS 2000
#define RESET_RETRY_MS 6000
/* Linux usbfs refuses control transfers longer than a page (EINVAL). */
#define MAX_CONTROL_LEN 4096

struct link {
    int used;
    char busid[USBIP_BUSID_SIZE];
    struct usbip_client cl; /* fd < 0: the device is gone */
    uint32_t generation;    /* +1 whenever the device re-appeared */
    struct usbip_dev_info info;
    uint8_t dev_desc[18];
    uint8_t *cfg[MAX_CONFIGS];
    uint16_t cfg_len[MAX_CONFIGS];
    uint8_t nconfigs;
};

struct libusb_context {
    char host[128];
    int port;
    int debug;
    int told_no_server; /* the "no USB/IP server" line was printed */
    struct link links[MAX_LINKS];
    struct libusb_transfer *done_head; /* completed, callback not yet run */
};

struct libusb_device {
    int refs;
    struct libusb_context *ctx;
    struct link *link;
    uint32_t generation;
    uint8_t busnum, devnum;
    uint8_t ports[7];
    int nports;
};

struct libusb_device_handle {
    struct libusb_device *dev;
    uint32_t claimed;
};

static struct libusb_context *default_ctx;
static int default_refs;

static pthread_mutex_t api_mutex;
static pthread_once_t api_mutex_once = PTHREAD_ONCE_INIT;

static void api_mutex_init(void)
{
    pthread_mutexattr_t a;

    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&api_mutex, &a);
    pthread_mutexattr_destroy(&a);
}

int libusb_api_lock(void)
{
    pthread_once(&api_mutex_once, api_mutex_init);
    pthread_mutex_lock(&api_mutex);
    return 1;
}

void libusb_api_unlock(int *token)
{
    if (*token)
        pthread_mutex_unlock(&api_mutex);
}

static void dbg(struct libusb_context *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static libusb_log_cb log_cb; /* libusb_set_log_cb(), global or any context */

static void dbg(struct libusb_context *ctx, const char *fmt, ...)
{
    va_list ap;
    char line[512];
    int n;

    if (!ctx || !ctx->debug)
        return;
    n = snprintf(line, sizeof(line), "libusb-usbip: ");
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    va_end(ap);
    if (log_cb) {
        strncat(line, "\n", sizeof(line) - strlen(line) - 1);
        log_cb(ctx, LIBUSB_LOG_LEVEL_DEBUG, line);
    } else {
        fprintf(stderr, "%s\n", line);
    }
}

static struct libusb_context *ctx_of(struct libusb_context *ctx)
{
    return ctx ? ctx : default_ctx;
}

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

    nanosleep(&ts, NULL);
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* errno-style results of the client into libusb error codes. */
static int map_err(int r)
{
    if (r >= 0)
        return r;
    switch (r) {
    case -EPIPE:
        return LIBUSB_ERROR_PIPE;
    case -ETIMEDOUT:
        return LIBUSB_ERROR_TIMEOUT;
    case -ECONNRESET:
    case -ENOTCONN:
    case -ENODEV:
    case -ESHUTDOWN:
    case -ECONNREFUSED:
        return LIBUSB_ERROR_NO_DEVICE;
    case -EOVERFLOW:
        return LIBUSB_ERROR_OVERFLOW;
    case -ENOMEM:
        return LIBUSB_ERROR_NO_MEM;
    case -EINVAL:
        return LIBUSB_ERROR_INVALID_PARAM;
    default:
        return LIBUSB_ERROR_IO;
    }
}

/* ---- links: imported devices ------------------------------------------ */

static void link_free_descs(struct link *l)
{
    for (int i = 0; i < MAX_CONFIGS; i++) {
        free(l->cfg[i]);
        l->cfg[i] = NULL;
        l->cfg_len[i] = 0;
    }
    l->nconfigs = 0;
}

/* Peer closed? (without consuming anything) */
static int link_alive(struct link *l)
{
    uint8_t b;
    ssize_t n;

    if (l->cl.fd < 0)
        return 0;
    n = recv(l->cl.fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
        usbip_client_close(&l->cl);
        return 0;
    }
    return 1;
}

static int ctrl(struct usbip_client *cl, uint8_t rt, uint8_t req, uint16_t val, uint16_t idx, uint16_t len,
                void *data, int timeout_ms)
{
    uint8_t s[8];

    usbip_setup_bytes(s, rt, req, val, idx, len);
    return usbip_client_control(cl, s, data, timeout_ms);
}

/* Reads the device descriptor and every configuration descriptor into dd /
 * cfg (caller frees cfg[i]); the device's state does not change. */
static int read_descriptors(struct usbip_client *cl, uint8_t dd[18], uint8_t **cfg, uint16_t *cfg_len,
                            uint8_t *ncfg)
{
    uint8_t hdr[9];
    int r;

    *ncfg = 0;
    r = ctrl(cl, 0x80, LIBUSB_REQUEST_GET_DESCRIPTOR, LIBUSB_DT_DEVICE << 8, 0, 18, dd, IO_TIMEOUT_MS);
    if (r < 0)
        return r;
    if (r < 18 || dd[1] != LIBUSB_DT_DEVICE)
        return -EPROTO;
    for (uint8_t i = 0; i < dd[17] && i < MAX_CONFIGS; i++) {
        uint16_t total;

        r = ctrl(cl, 0x80, LIBUSB_REQUEST_GET_DESCRIPTOR, (uint16_t)(LIBUSB_DT_CONFIG << 8 | i), 0, 9, hdr,
                 IO_TIMEOUT_MS);
        if (r < 0)
            return r;
        if (r < 9 || hdr[1] != LIBUSB_DT_CONFIG)
            return -EPROTO;
        total = get_le16(hdr + 2);
        if (total < 9)
            return -EPROTO;
        cfg[i] = malloc(total);
        if (!cfg[i])
            return -ENOMEM;
        (*ncfg)++;
        r = ctrl(cl, 0x80, LIBUSB_REQUEST_GET_DESCRIPTOR, (uint16_t)(LIBUSB_DT_CONFIG << 8 | i), 0, total, cfg[i],
                 IO_TIMEOUT_MS);
        if (r < 0)
            return r;
        if (r < 9)
            return -EPROTO;
        cfg_len[i] = (uint16_t)r;
    }
    return 0;
}

/* Enumerates the device on an imported connection, as a host does after a
 * port reset; the descriptors go to dd / cfg (caller frees cfg[i]). */
static int enumerate(struct libusb_context *ctx, struct usbip_client *cl, uint8_t devnum, uint8_t dd[18],
                     uint8_t **cfg, uint16_t *cfg_len, uint8_t *ncfg)
{
    uint8_t buf[64];
    int r;

    *ncfg = 0;
    r = ctrl(cl, 0x80, LIBUSB_REQUEST_GET_DESCRIPTOR, LIBUSB_DT_DEVICE << 8, 0, 64, buf, IO_TIMEOUT_MS);
    if (r < 0)
        return r;
    if (r < 8)
        return -EPROTO;
    r = ctrl(cl, 0x00, LIBUSB_REQUEST_SET_ADDRESS, devnum, 0, 0, NULL, IO_TIMEOUT_MS);
    if (r < 0 && r != -EPIPE)
        return r;
    r = read_descriptors(cl, dd, cfg, cfg_len, ncfg);
    if (r < 0)
        return r;
    /* the host picks the first configuration, as Linux does */
    if (*ncfg > 0) {
        r = ctrl(cl, 0x00, LIBUSB_REQUEST_SET_CONFIGURATION, cfg[0][5], 0, 0, NULL, IO_TIMEOUT_MS);
        if (r < 0 && r != -EPIPE)
            return r;
        if (r == -EPIPE)
            dbg(ctx, "SET_CONFIGURATION %u stalled", cfg[0][5]);
    }
    return 0;
}

/* Connects, imports `busid` and enumerates it. On success the link holds
 * the new connection and descriptors; `changed` tells whether they differ
 * from the ones it had. */
static int link_import(struct libusb_context *ctx, struct link *l, int *changed)
{
    struct usbip_client cl;
    struct usbip_dev_info info;
    uint8_t dd[18], *cfg[MAX_CONFIGS] = { 0 }, ncfg = 0;
    uint16_t cfg_len[MAX_CONFIGS] = { 0 };
    int r, diff;

    r = usbip_client_connect(&cl, ctx->host, ctx->port, IO_TIMEOUT_MS);
    if (r < 0)
        return r;
    r = usbip_client_import(&cl, l->busid, &info, IO_TIMEOUT_MS);
    /* A device that another program's host left configured is still
     * enumerated (the server does not reset it on import): read its
     * descriptors and leave its state alone, as a second program on a real
     * kernel does. Enumerating it again would reset it: a DFU device that
     * completed a download would leave DFU mode between `dfu-util -D` and
     * `dfu-util -U`. */
    if (r == 0 && info.bConfigurationValue != 0)
        r = read_descriptors(&cl, dd, cfg, cfg_len, &ncfg);
    else if (r == 0)
        r = enumerate(ctx, &cl, (uint8_t)info.devnum, dd, cfg, cfg_len, &ncfg);
    if (r < 0) {
        dbg(ctx, "import of %s failed: %s", l->busid, strerror(-r));
        usbip_client_close(&cl);
        for (int i = 0; i < MAX_CONFIGS; i++)
            free(cfg[i]);
        return r;
    }
    diff = memcmp(dd, l->dev_desc, 18) != 0 || ncfg != l->nconfigs;
    for (int i = 0; !diff && i < ncfg; i++)
        diff = cfg_len[i] != l->cfg_len[i] || memcmp(cfg[i], l->cfg[i], cfg_len[i]) != 0;
    usbip_client_close(&l->cl);
    link_free_descs(l);
    l->cl = cl;
    l->info = info;
    memcpy(l->dev_desc, dd, 18);
    for (int i = 0; i < ncfg; i++) {
        l->cfg[i] = cfg[i];
        l->cfg_len[i] = cfg_len[i];
    }
    l->nconfigs = ncfg;
    if (changed)
        *changed = diff;
    dbg(ctx, "imported %s %04x:%04x", l->busid, get_le16(dd + 8), get_le16(dd + 10));
    return 0;
}

static struct link *link_find(struct libusb_context *ctx, const char *busid, int create)
{
    struct link *free_slot = NULL;

    for (int i = 0; i < MAX_LINKS; i++) {
        struct link *l = &ctx->links[i];

        if (l->used && strcmp(l->busid, busid) == 0)
            return l;
        if (!l->used && !free_slot)
            free_slot = l;
    }
    if (!create || !free_slot)
        return NULL;
    memset(free_slot, 0, sizeof(*free_slot));
    free_slot->used = 1;
    free_slot->cl.fd = -1;
    snprintf(free_slot->busid, sizeof(free_slot->busid), "%s", busid);
    return free_slot;
}

static int dev_valid(const struct libusb_device *dev)
{
    return dev->generation == dev->link->generation && link_alive(dev->link);
}

/* ---- library ---------------------------------------------------------------- */

API int LIBUSB_CALL libusb_init(libusb_context **out)
{
    API_LOCK();
    struct libusb_context *ctx;
    const char *dbgenv = getenv("DFUBOOT_USBIP_DEBUG");

    if (!out && default_ctx) {
        default_refs++;
        return 0;
    }
    ctx = calloc(1, sizeof(*ctx));
    if (!ctx)
        return LIBUSB_ERROR_NO_MEM;
    if (usbip_parse_addr(getenv("DFUBOOT_USBIP"), ctx->host, sizeof(ctx->host), &ctx->port) < 0) {
        fprintf(stderr, "libusb-usbip: bad DFUBOOT_USBIP \"%s\" (want host:port)\n", getenv("DFUBOOT_USBIP"));
        free(ctx);
        return LIBUSB_ERROR_INVALID_PARAM;
    }
    ctx->debug = dbgenv && *dbgenv && strcmp(dbgenv, "0") != 0;
    if (out) {
        *out = ctx;
    } else {
        default_ctx = ctx;
        default_refs = 1;
    }
    return 0;
}

API void LIBUSB_CALL libusb_exit(libusb_context *ctx)
{
    API_LOCK();
    if (!ctx) {
        if (!default_ctx || --default_refs > 0)
            return;
        ctx = default_ctx;
        default_ctx = NULL;
    }
    for (int i = 0; i < MAX_LINKS; i++) {
        usbip_client_close(&ctx->links[i].cl);
        link_free_descs(&ctx->links[i]);
    }
    /* devices still referenced keep pointing at ctx: leak it rather than
     * leave them dangling (libusb says this is a program error anyway) */
    free(ctx);
}

API int LIBUSB_CALL libusb_set_option(libusb_context *ctx, enum libusb_option option, ...)
{
    API_LOCK();
    va_list ap;

    ctx = ctx_of(ctx);
    if (option == LIBUSB_OPTION_LOG_LEVEL) {
        int level;

        va_start(ap, option);
        level = va_arg(ap, int);
        va_end(ap);
        if (ctx && level >= LIBUSB_LOG_LEVEL_DEBUG)
            ctx->debug = 1;
        return 0;
    }
    return LIBUSB_ERROR_NOT_SUPPORTED;
}

API void LIBUSB_CALL libusb_set_debug(libusb_context *ctx, int level)
{
    API_LOCK();
    libusb_set_option(ctx, LIBUSB_OPTION_LOG_LEVEL, level);
}

API const struct libusb_version *LIBUSB_CALL libusb_get_version(void)
{
    static const struct libusb_version v = { 1, 0, 26, 0, "-usbip", "dfuboot libusb over USB/IP" };

    return &v;
}

API int LIBUSB_CALL libusb_has_capability(uint32_t capability)
{
    return capability == LIBUSB_CAP_HAS_CAPABILITY;
}

API const char *LIBUSB_CALL libusb_error_name(int code)
{
    switch (code) {
    case LIBUSB_SUCCESS:
        return "LIBUSB_SUCCESS";
    case LIBUSB_ERROR_IO:
        return "LIBUSB_ERROR_IO";
    case LIBUSB_ERROR_INVALID_PARAM:
        return "LIBUSB_ERROR_INVALID_PARAM";
    case LIBUSB_ERROR_ACCESS:
        return "LIBUSB_ERROR_ACCESS";
    case LIBUSB_ERROR_NO_DEVICE:
        return "LIBUSB_ERROR_NO_DEVICE";
    case LIBUSB_ERROR_NOT_FOUND:
        return "LIBUSB_ERROR_NOT_FOUND";
    case LIBUSB_ERROR_BUSY:
        return "LIBUSB_ERROR_BUSY";
    case LIBUSB_ERROR_TIMEOUT:
        return "LIBUSB_ERROR_TIMEOUT";
    case LIBUSB_ERROR_OVERFLOW:
        return "LIBUSB_ERROR_OVERFLOW";
    case LIBUSB_ERROR_PIPE:
        return "LIBUSB_ERROR_PIPE";
    case LIBUSB_ERROR_INTERRUPTED:
        return "LIBUSB_ERROR_INTERRUPTED";
    case LIBUSB_ERROR_NO_MEM:
        return "LIBUSB_ERROR_NO_MEM";
    case LIBUSB_ERROR_NOT_SUPPORTED:
        return "LIBUSB_ERROR_NOT_SUPPORTED";
    case LIBUSB_ERROR_OTHER:
        return "LIBUSB_ERROR_OTHER";
    default:
        return "**UNKNOWN**";
    }
}

API const char *LIBUSB_CALL libusb_strerror(int code)
{
    switch (code) {
    case LIBUSB_SUCCESS:
        return "Success";
    case LIBUSB_ERROR_IO:
        return "Input/Output Error";
    case LIBUSB_ERROR_INVALID_PARAM:
        return "Invalid parameter";
    case LIBUSB_ERROR_ACCESS:
        return "Access denied (insufficient permissions)";
    case LIBUSB_ERROR_NO_DEVICE:
        return "No such device (it may have been disconnected)";
    case LIBUSB_ERROR_NOT_FOUND:
        return "Entity not found";
    case LIBUSB_ERROR_BUSY:
        return "Resource busy";
    case LIBUSB_ERROR_TIMEOUT:
        return "Operation timed out";
    case LIBUSB_ERROR_OVERFLOW:
        return "Overflow";
    case LIBUSB_ERROR_PIPE:
        return "Pipe error";
    case LIBUSB_ERROR_NOT_SUPPORTED:
        return "Operation not supported or unimplemented on this platform";
    default:
        return "Other error";
    }
}

/* ---- devices ------------------------------------------------------------ */

static struct libusb_device *new_device(struct libusb_context *ctx, struct link *l)
{
    struct libusb_device *d = calloc(1, sizeof(*d));
    const char *p;

    if (!d)
        return NULL;
    d->refs = 1;
    d->ctx = ctx;
    d->link = l;
    d->generation = l->generation;
    d->busnum = (uint8_t)l->info.busnum;
    d->devnum = (uint8_t)l->info.devnum;
    /* bus id "B-P[.P...]": the port chain */
    p = strchr(l->busid, '-');
    while (p && d->nports < 7) {
        d->ports[d->nports++] = (uint8_t)strtoul(p + 1, NULL, 10);
        p = strchr(p + 1, '.');
    }
    return d;
}

API ssize_t LIBUSB_CALL libusb_get_device_list(libusb_context *ctx, libusb_device ***list)
{
    API_LOCK();
    struct usbip_dev_info devs[MAX_LINKS];
    struct libusb_device **out;
    int64_t end = now_ms() + LIST_CONNECT_RETRY_MS;
    int n, k = 0;

    ctx = ctx_of(ctx);
    if (!ctx || !list)
        return LIBUSB_ERROR_INVALID_PARAM;
    /* a board that is rebooting refuses connections for a moment */
    for (;;) {
        n = usbip_devlist(ctx->host, ctx->port, devs, MAX_LINKS, IO_TIMEOUT_MS);
        if (n >= 0 || (n != -ECONNREFUSED && n != -ECONNRESET) || now_ms() >= end)
            break;
        sleep_ms(50);
    }
    if (n < 0) {
        /* an empty bus, as libusb reports it; but say once where we looked */
        if (!ctx->told_no_server)
            fprintf(stderr, "libusb-usbip: no USB/IP server at %s:%d (%s); set DFUBOOT_USBIP=host:port\n",
                    ctx->host, ctx->port, strerror(-n));
        ctx->told_no_server = 1;
        n = 0;
    } else {
        ctx->told_no_server = 0;
    }
    if (n > MAX_LINKS)
        n = MAX_LINKS;
    out = calloc((size_t)n + 1, sizeof(*out));
    if (!out)
        return LIBUSB_ERROR_NO_MEM;
    for (int i = 0; i < n; i++) {
        struct link *l = link_find(ctx, devs[i].busid, 1);

        if (!l)
            continue;
        if (!link_alive(l)) {
            if (link_import(ctx, l, NULL) < 0)
                continue; /* imported by someone else, or gone */
            l->generation++;
        }
        out[k] = new_device(ctx, l);
        if (out[k])
            k++;
    }
    /* links to devices the server no longer lists are dropped */
    for (int j = 0; j < MAX_LINKS; j++) {
        struct link *l = &ctx->links[j];
        int listed = 0;

        for (int i = 0; i < n && l->used; i++)
            listed |= strcmp(devs[i].busid, l->busid) == 0;
        if (l->used && !listed)
            usbip_client_close(&l->cl);
    }
    *list = out;
    return k;
}

API void LIBUSB_CALL libusb_free_device_list(libusb_device **list, int unref_devices)
{
    API_LOCK();
    if (!list)
        return;
    if (unref_devices)
        for (int i = 0; list[i]; i++)
            libusb_unref_device(list[i]);
    free(list);
}

API libusb_device *LIBUSB_CALL libusb_ref_device(libusb_device *dev)
{
    API_LOCK();
    dev->refs++;
    return dev;
}

API void LIBUSB_CALL libusb_unref_device(libusb_device *dev)
{
    API_LOCK();
    if (dev && --dev->refs == 0)
        free(dev);
}

API uint8_t LIBUSB_CALL libusb_get_bus_number(libusb_device *dev)
{
    API_LOCK();
    return dev->busnum;
}

API uint8_t LIBUSB_CALL libusb_get_device_address(libusb_device *dev)
{
    API_LOCK();
    return dev->devnum;
}

API uint8_t LIBUSB_CALL libusb_get_port_number(libusb_device *dev)
{
    API_LOCK();
    return dev->nports ? dev->ports[dev->nports - 1] : 0;
}

API int LIBUSB_CALL libusb_get_port_numbers(libusb_device *dev, uint8_t *port_numbers, int len)
{
    API_LOCK();
    if (len <= 0)
        return LIBUSB_ERROR_INVALID_PARAM;
    if (dev->nports > len)
        return LIBUSB_ERROR_OVERFLOW;
    memcpy(port_numbers, dev->ports, (size_t)dev->nports);
    return dev->nports;
}

API int LIBUSB_CALL libusb_get_device_speed(libusb_device *dev)
{
    API_LOCK();
    return dev->link->info.speed == USBIP_SPEED_FULL ? LIBUSB_SPEED_FULL : LIBUSB_SPEED_UNKNOWN;
}

API int LIBUSB_CALL libusb_get_device_descriptor(libusb_device *dev, struct libusb_device_descriptor *desc)
{
    API_LOCK();
    const uint8_t *d = dev->link->dev_desc;

    desc->bLength = d[0];
    desc->bDescriptorType = d[1];
    desc->bcdUSB = get_le16(d + 2);
    desc->bDeviceClass = d[4];
    desc->bDeviceSubClass = d[5];
    desc->bDeviceProtocol = d[6];
    desc->bMaxPacketSize0 = d[7];
    desc->idVendor = get_le16(d + 8);
    desc->idProduct = get_le16(d + 10);
    desc->bcdDevice = get_le16(d + 12);
    desc->iManufacturer = d[14];
    desc->iProduct = d[15];
    desc->iSerialNumber = d[16];
    desc->bNumConfigurations = d[17];
    return 0;
}

/* ---- configuration descriptors, parsed as libusb parses them ------------ */

static int is_proper(uint8_t type)
{
    return type == LIBUSB_DT_ENDPOINT || type == LIBUSB_DT_INTERFACE || type == LIBUSB_DT_CONFIG ||
           type == LIBUSB_DT_DEVICE;
}

/* Skips class/vendor descriptors up to the next "proper" one. Returns the
 * bytes skipped, or -1 for a descriptor with bLength < 2. *short_read is
 * set when a descriptor runs past the end. */
static int skip_extra(const uint8_t *p, int size, int *short_read)
{
    int off = 0;

    *short_read = 0;
    while (size - off >= 2) {
        uint8_t bl = p[off], bt = p[off + 1];

        if (bl < 2)
            return -1;
        if (bl > size - off) {
            *short_read = 1;
            break;
        }
        if (is_proper(bt))
            break;
        off += bl;
    }
    return off;
}

static int copy_extra(const unsigned char **extra, int *extra_len, const uint8_t *p, int len)
{
    uint8_t *e;

    if (len <= 0)
        return 0;
    e = realloc((void *)*extra, (size_t)(*extra_len + len));
    if (!e)
        return LIBUSB_ERROR_NO_MEM;
    memcpy(e + *extra_len, p, (size_t)len);
    *extra = e;
    *extra_len += len;
    return 0;
}

/* Returns bytes parsed (0 if not an endpoint) or an error. */
static int parse_endpoint(struct libusb_endpoint_descriptor *ep, const uint8_t *p, int size)
{
    int parsed, skipped, short_read;

    if (size < 2)
        return LIBUSB_ERROR_IO;
    if (p[1] != LIBUSB_DT_ENDPOINT)
        return 0;
    if (p[0] < LIBUSB_DT_ENDPOINT_SIZE)
        return LIBUSB_ERROR_IO;
    if (p[0] > size)
        return 0;
    ep->bLength = p[0];
    ep->bDescriptorType = p[1];
    ep->bEndpointAddress = p[2];
    ep->bmAttributes = p[3];
    ep->wMaxPacketSize = get_le16(p + 4);
    ep->bInterval = p[6];
    if (p[0] >= LIBUSB_DT_ENDPOINT_AUDIO_SIZE) {
        ep->bRefresh = p[7];
        ep->bSynchAddress = p[8];
    }
    parsed = p[0];
    skipped = skip_extra(p + parsed, size - parsed, &short_read);
    if (skipped < 0)
        return LIBUSB_ERROR_IO;
    if (copy_extra(&ep->extra, &ep->extra_length, p + parsed, skipped) < 0)
        return LIBUSB_ERROR_NO_MEM;
    return parsed + skipped;
}

static void free_interface(struct libusb_interface *itf)
{
    if (!itf->altsetting)
        return;
    for (int a = 0; a < itf->num_altsetting; a++) {
        const struct libusb_interface_descriptor *alt = &itf->altsetting[a];

        if (alt->endpoint)
            for (int e = 0; e < alt->bNumEndpoints; e++)
                free((void *)alt->endpoint[e].extra);
        free((void *)alt->endpoint);
        free((void *)alt->extra);
    }
    free((void *)itf->altsetting);
    itf->altsetting = NULL;
}

/* One interface with its alternate settings. Returns bytes parsed. */
static int parse_interface(struct libusb_interface *itf, const uint8_t *p, int size)
{
    int parsed = 0, number = -1;

    while (size >= LIBUSB_DT_INTERFACE_SIZE) {
        struct libusb_interface_descriptor *alts, *ifp;
        int skipped, short_read;

        if (p[1] != LIBUSB_DT_INTERFACE)
            return parsed;
        if (p[0] < LIBUSB_DT_INTERFACE_SIZE)
            return LIBUSB_ERROR_IO;
        if (p[0] > size)
            return parsed;
        if (p[4] > 32)
            return LIBUSB_ERROR_IO;
        alts = realloc((void *)itf->altsetting, sizeof(*alts) * (size_t)(itf->num_altsetting + 1));
        if (!alts)
            return LIBUSB_ERROR_NO_MEM;
        itf->altsetting = alts;
        ifp = &alts[itf->num_altsetting];
        memset(ifp, 0, sizeof(*ifp));
        itf->num_altsetting++;
        ifp->bLength = p[0];
        ifp->bDescriptorType = p[1];
        ifp->bInterfaceNumber = p[2];
        ifp->bAlternateSetting = p[3];
        ifp->bNumEndpoints = p[4];
        ifp->bInterfaceClass = p[5];
        ifp->bInterfaceSubClass = p[6];
        ifp->bInterfaceProtocol = p[7];
        ifp->iInterface = p[8];
        if (number == -1)
            number = ifp->bInterfaceNumber;
        parsed += p[0];
        size -= p[0];
        p += p[0];
        skipped = skip_extra(p, size, &short_read);
        if (skipped < 0)
            return LIBUSB_ERROR_IO;
        if (copy_extra(&ifp->extra, &ifp->extra_length, p, skipped) < 0)
            return LIBUSB_ERROR_NO_MEM;
        parsed += skipped;
        size -= skipped;
        p += skipped;
        if (short_read)
            return parsed;
        if (ifp->bNumEndpoints > 0) {
            struct libusb_endpoint_descriptor *eps = calloc(ifp->bNumEndpoints, sizeof(*eps));

            if (!eps)
                return LIBUSB_ERROR_NO_MEM;
            ifp->endpoint = eps;
            for (int i = 0; i < ifp->bNumEndpoints; i++) {
                int r = parse_endpoint(&eps[i], p, size);

                if (r < 0)
                    return r;
                if (r == 0) {
                    ifp->bNumEndpoints = (uint8_t)i;
                    break;
                }
                parsed += r;
                size -= r;
                p += r;
            }
        }
        /* another alternate setting of the same interface? */
        if (size < LIBUSB_DT_INTERFACE_SIZE || p[1] != LIBUSB_DT_INTERFACE || p[2] != number)
            return parsed;
    }
    return parsed;
}

static void free_config(struct libusb_config_descriptor *c)
{
    if (!c)
        return;
    if (c->interface) {
        for (int i = 0; i < c->bNumInterfaces; i++)
            free_interface((struct libusb_interface *)&c->interface[i]);
        free((void *)c->interface);
    }
    free((void *)c->extra);
    free(c);
}

static int parse_config(const uint8_t *p, int size, struct libusb_config_descriptor **out)
{
    struct libusb_config_descriptor *c;
    struct libusb_interface *itfs;
    int r = 0;

    if (size < LIBUSB_DT_CONFIG_SIZE || p[1] != LIBUSB_DT_CONFIG || p[0] < LIBUSB_DT_CONFIG_SIZE || p[0] > size ||
        p[4] > 32)
        return LIBUSB_ERROR_IO;
    c = calloc(1, sizeof(*c));
    if (!c)
        return LIBUSB_ERROR_NO_MEM;
    c->bLength = p[0];
    c->bDescriptorType = p[1];
    c->wTotalLength = get_le16(p + 2);
    c->bNumInterfaces = p[4];
    c->bConfigurationValue = p[5];
    c->iConfiguration = p[6];
    c->bmAttributes = p[7];
    c->MaxPower = p[8];
    itfs = calloc(c->bNumInterfaces ? c->bNumInterfaces : 1, sizeof(*itfs));
    if (!itfs) {
        free(c);
        return LIBUSB_ERROR_NO_MEM;
    }
    c->interface = itfs;
    size -= p[0];
    p += p[0];
    for (int i = 0; i < c->bNumInterfaces; i++) {
        int short_read, skipped = skip_extra(p, size, &short_read);

        if (skipped < 0) {
            r = LIBUSB_ERROR_IO;
            break;
        }
        if (copy_extra(&c->extra, &c->extra_length, p, skipped) < 0) {
            r = LIBUSB_ERROR_NO_MEM;
            break;
        }
        p += skipped;
        size -= skipped;
        if (short_read)
            size = 0;
        r = parse_interface(&itfs[i], p, size);
        if (r < 0)
            break;
        if (r == 0) {
            /* fewer interfaces than announced; free the rest */
            c->bNumInterfaces = (uint8_t)i;
            break;
        }
        p += r;
        size -= r;
        r = 0;
    }
    if (r < 0) {
        free_config(c);
        return r;
    }
    *out = c;
    return 0;
}

API int LIBUSB_CALL libusb_get_config_descriptor(libusb_device *dev, uint8_t idx,
                                                 struct libusb_config_descriptor **config)
{
    API_LOCK();
    struct link *l = dev->link;
    int total;

    if (idx >= l->dev_desc[17] || idx >= l->nconfigs)
        return LIBUSB_ERROR_NOT_FOUND;
    total = get_le16(l->cfg[idx] + 2);
    if (total > l->cfg_len[idx])
        total = l->cfg_len[idx];
    return parse_config(l->cfg[idx], total, config);
}

API int LIBUSB_CALL libusb_get_config_descriptor_by_value(libusb_device *dev, uint8_t value,
                                                          struct libusb_config_descriptor **config)
{
    API_LOCK();
    for (uint8_t i = 0; i < dev->link->nconfigs; i++)
        if (dev->link->cfg[i][5] == value)
            return libusb_get_config_descriptor(dev, i, config);
    return LIBUSB_ERROR_NOT_FOUND;
}

API int LIBUSB_CALL libusb_get_active_config_descriptor(libusb_device *dev, struct libusb_config_descriptor **config)
{
    API_LOCK();
    return libusb_get_config_descriptor(dev, 0, config);
}

API void LIBUSB_CALL libusb_free_config_descriptor(struct libusb_config_descriptor *config)
{
    API_LOCK();
    free_config(config);
}

/* ---- handles -------------------------------------------------------------- */

API int LIBUSB_CALL libusb_open(libusb_device *dev, libusb_device_handle **out)
{
    API_LOCK();
    struct libusb_device_handle *h;

    if (!dev_valid(dev))
        return LIBUSB_ERROR_NO_DEVICE;
    h = calloc(1, sizeof(*h));
    if (!h)
        return LIBUSB_ERROR_NO_MEM;
    h->dev = libusb_ref_device(dev);
    *out = h;
    return 0;
}

API void LIBUSB_CALL libusb_close(libusb_device_handle *h)
{
    API_LOCK();
    if (!h)
        return;
    libusb_unref_device(h->dev);
    free(h);
}

API libusb_device *LIBUSB_CALL libusb_get_device(libusb_device_handle *h)
{
    API_LOCK();
    return h->dev;
}

API libusb_device_handle *LIBUSB_CALL libusb_open_device_with_vid_pid(libusb_context *ctx, uint16_t vid, uint16_t pid)
{
    API_LOCK();
    libusb_device **list;
    libusb_device_handle *h = NULL;
    ssize_t n = libusb_get_device_list(ctx, &list);

    for (ssize_t i = 0; i < n && !h; i++) {
        struct libusb_device_descriptor d;

        libusb_get_device_descriptor(list[i], &d);
        if (d.idVendor == vid && d.idProduct == pid && libusb_open(list[i], &h) < 0)
            h = NULL;
    }
    if (n >= 0)
        libusb_free_device_list(list, 1);
    return h;
}

static struct usbip_client *handle_link(libusb_device_handle *h)
{
    if (!dev_valid(h->dev))
        return NULL;
    return &h->dev->link->cl;
}

API int LIBUSB_CALL libusb_control_transfer(libusb_device_handle *h, uint8_t bmRequestType, uint8_t bRequest,
                                            uint16_t wValue, uint16_t wIndex, unsigned char *data, uint16_t wLength,
                                            unsigned int timeout)
{
    API_LOCK();
    struct usbip_client *cl;
    int r;

    if (!h || (wLength > 0 && !data) || wLength > MAX_CONTROL_LEN)
        return LIBUSB_ERROR_INVALID_PARAM;
    cl = handle_link(h);
    if (!cl)
        return LIBUSB_ERROR_NO_DEVICE;
    r = ctrl(cl, bmRequestType, bRequest, wValue, wIndex, wLength, data,
             timeout == 0 ? 0 : (timeout > 24u * 3600 * 1000 ? 24 * 3600 * 1000 : (int)timeout));
    if (r < 0) {
        dbg(h->dev->ctx, "control %02x/%02x: %s", bmRequestType, bRequest, strerror(-r));
        if (cl->fd < 0 || r == -ECONNRESET)
            usbip_client_close(cl);
    }
    return map_err(r);
}

/* The interfaces of the configuration in use (the first one). */
static int has_interface(libusb_device_handle *h, int iface, int alt)
{
    struct libusb_config_descriptor *c;
    int found = 0;

    if (libusb_get_config_descriptor(h->dev, 0, &c) < 0)
        return 0;
    for (int i = 0; i < c->bNumInterfaces; i++)
        for (int a = 0; a < c->interface[i].num_altsetting; a++) {
            const struct libusb_interface_descriptor *d = &c->interface[i].altsetting[a];

            if (d->bInterfaceNumber == iface && (alt < 0 || d->bAlternateSetting == alt))
                found = 1;
        }
    libusb_free_config_descriptor(c);
    return found;
}

API int LIBUSB_CALL libusb_claim_interface(libusb_device_handle *h, int iface)
{
    API_LOCK();
    if (iface < 0 || iface >= 32)
        return LIBUSB_ERROR_INVALID_PARAM;
    if (!dev_valid(h->dev))
        return LIBUSB_ERROR_NO_DEVICE;
    if (!has_interface(h, iface, -1))
        return LIBUSB_ERROR_NOT_FOUND;
    h->claimed |= 1u << iface;
    return 0;
}

API int LIBUSB_CALL libusb_release_interface(libusb_device_handle *h, int iface)
{
    API_LOCK();
    if (iface < 0 || iface >= 32)
        return LIBUSB_ERROR_INVALID_PARAM;
    if (!(h->claimed & (1u << iface)))
        return LIBUSB_ERROR_NOT_FOUND;
    h->claimed &= ~(1u << iface);
    /* libusb (Linux) puts the interface back to alternate setting 0 when
     * released only if asked; nothing to send here. A vanished device is
     * reported as libusb does. */
    return dev_valid(h->dev) ? 0 : LIBUSB_ERROR_NO_DEVICE;
}

API int LIBUSB_CALL libusb_set_interface_alt_setting(libusb_device_handle *h, int iface, int alt)
{
    API_LOCK();
    if (iface < 0 || iface >= 32 || alt < 0 || alt > 255)
        return LIBUSB_ERROR_INVALID_PARAM;
    if (!(h->claimed & (1u << iface)))
        return LIBUSB_ERROR_NOT_FOUND;
    if (!has_interface(h, iface, alt))
        return LIBUSB_ERROR_NOT_FOUND;
    return libusb_control_transfer(h, LIBUSB_RECIPIENT_INTERFACE, LIBUSB_REQUEST_SET_INTERFACE, (uint16_t)alt,
                                   (uint16_t)iface, NULL, 0, IO_TIMEOUT_MS);
}

API int LIBUSB_CALL libusb_get_configuration(libusb_device_handle *h, int *config)
{
    API_LOCK();
    unsigned char v = 0;
    int r = libusb_control_transfer(h, LIBUSB_ENDPOINT_IN, LIBUSB_REQUEST_GET_CONFIGURATION, 0, 0, &v, 1,
                                    IO_TIMEOUT_MS);

    if (r < 0)
        return r;
    *config = v;
    return 0;
}

API int LIBUSB_CALL libusb_set_configuration(libusb_device_handle *h, int config)
{
    API_LOCK();
    return libusb_control_transfer(h, 0, LIBUSB_REQUEST_SET_CONFIGURATION, (uint16_t)(config < 0 ? 0 : config), 0,
                                   NULL, 0, IO_TIMEOUT_MS);
}

API int LIBUSB_CALL libusb_kernel_driver_active(libusb_device_handle *h, int iface)
{
    API_LOCK();
    (void)h;
    (void)iface;
    return 0;
}

API int LIBUSB_CALL libusb_detach_kernel_driver(libusb_device_handle *h, int iface)
{
    API_LOCK();
    (void)h;
    (void)iface;
    return LIBUSB_ERROR_NOT_FOUND;
}

API int LIBUSB_CALL libusb_attach_kernel_driver(libusb_device_handle *h, int iface)
{
    API_LOCK();
    (void)h;
    (void)iface;
    return LIBUSB_ERROR_NOT_FOUND;
}

API int LIBUSB_CALL libusb_set_auto_detach_kernel_driver(libusb_device_handle *h, int enable)
{
    API_LOCK();
    (void)h;
    (void)enable;
    return 0;
}

API int LIBUSB_CALL libusb_get_string_descriptor_ascii(libusb_device_handle *h, uint8_t idx, unsigned char *data,
                                                       int length)
{
    API_LOCK();
    unsigned char buf[255];
    int r, n = 0;
    uint16_t langid;

    if (idx == 0 || length <= 0)
        return LIBUSB_ERROR_INVALID_PARAM;
    r = libusb_control_transfer(h, LIBUSB_ENDPOINT_IN, LIBUSB_REQUEST_GET_DESCRIPTOR, LIBUSB_DT_STRING << 8, 0, buf,
                                sizeof(buf), 1000);
    if (r < 0)
        return r;
    if (r < 4)
        return LIBUSB_ERROR_IO;
    langid = get_le16(buf + 2);
    r = libusb_control_transfer(h, LIBUSB_ENDPOINT_IN, LIBUSB_REQUEST_GET_DESCRIPTOR,
                                (uint16_t)(LIBUSB_DT_STRING << 8 | idx), langid, buf, sizeof(buf), 1000);
    if (r < 0)
        return r;
    if (r < 2 || buf[1] != LIBUSB_DT_STRING || buf[0] > r)
        return LIBUSB_ERROR_IO;
    for (int i = 2; i + 1 < buf[0] && n < length - 1; i += 2)
        data[n++] = (buf[i + 1] || buf[i] & 0x80) ? '?' : buf[i];
    data[n] = 0;
    return n;
}

API int LIBUSB_CALL libusb_clear_halt(libusb_device_handle *h, unsigned char endpoint)
{
    API_LOCK();
    return libusb_control_transfer(h, LIBUSB_RECIPIENT_ENDPOINT, LIBUSB_REQUEST_CLEAR_FEATURE, 0, endpoint, NULL, 0,
                                   IO_TIMEOUT_MS);
}

/* Port reset and re-enumeration. The same device coming back keeps the
 * handle usable (0); a device that comes back different, or not at all,
 * gives LIBUSB_ERROR_NOT_FOUND, as libusb reports a re-enumerated device. */
API int LIBUSB_CALL libusb_reset_device(libusb_device_handle *h)
{
    API_LOCK();
    struct libusb_device *dev = h->dev;
    struct link *l = dev->link;
    struct libusb_context *ctx = dev->ctx;
    int64_t end;
    int r, changed = 0;

    if (!dev_valid(dev))
        return LIBUSB_ERROR_NOT_FOUND;
    /* SET_FEATURE(PORT_RESET) to the port: the server resets the device */
    r = ctrl(&l->cl, 0x23, LIBUSB_REQUEST_SET_FEATURE, 4, 1, 0, NULL, IO_TIMEOUT_MS);
    if (r == 0) {
        uint8_t dd[18], *cfg[MAX_CONFIGS] = { 0 }, ncfg = 0;
        uint16_t cfg_len[MAX_CONFIGS] = { 0 };

        r = enumerate(ctx, &l->cl, (uint8_t)l->info.devnum, dd, cfg, cfg_len, &ncfg);
        if (r == 0) {
            changed = memcmp(dd, l->dev_desc, 18) != 0 || ncfg != l->nconfigs;
            for (int i = 0; !changed && i < ncfg; i++)
                changed = cfg_len[i] != l->cfg_len[i] || memcmp(cfg[i], l->cfg[i], cfg_len[i]) != 0;
            if (changed) {
                link_free_descs(l);
                memcpy(l->dev_desc, dd, 18);
                for (int i = 0; i < ncfg; i++) {
                    l->cfg[i] = cfg[i];
                    l->cfg_len[i] = cfg_len[i];
                }
                l->nconfigs = ncfg;
            } else {
                for (int i = 0; i < MAX_CONFIGS; i++)
                    free(cfg[i]);
            }
        } else {
            for (int i = 0; i < MAX_CONFIGS; i++)
                free(cfg[i]);
        }
    }
    if (r < 0) {
        /* the device dropped off the bus (rebooted): wait for it to come
         * back and import it again */
        dbg(ctx, "reset: link lost (%s), re-importing", strerror(-r));
        usbip_client_close(&l->cl);
        end = now_ms() + RESET_RETRY_MS;
        for (;;) {
            r = link_import(ctx, l, &changed);
            if (r == 0 || now_ms() >= end)
                break;
            sleep_ms(100);
        }
        if (r < 0) {
            l->generation++;
            return LIBUSB_ERROR_NOT_FOUND;
        }
    }
    if (changed) {
        l->generation++; /* a new device: old handles are invalid */
        return LIBUSB_ERROR_NOT_FOUND;
    }
    return 0;
}


API void LIBUSB_CALL libusb_set_log_cb(libusb_context *ctx, libusb_log_cb cb, int mode)
{
    API_LOCK();

    (void)ctx;
    if (mode & (LIBUSB_LOG_CB_GLOBAL | LIBUSB_LOG_CB_CONTEXT))
        log_cb = cb;
}

/* ---- topology and endpoints ---------------------------------------------- */

/* The server's devices are listed without the hub they hang on. */
API libusb_device *LIBUSB_CALL libusb_get_parent(libusb_device *dev)
{
    (void)dev;
    return NULL;
}

API int LIBUSB_CALL libusb_get_port_path(libusb_context *ctx, libusb_device *dev, uint8_t *path, uint8_t path_length)
{
    (void)ctx;
    return libusb_get_port_numbers(dev, path, path_length);
}

/* The endpoint's descriptor in the active configuration, as libusb looks it
 * up (endpoint 0 has none: LIBUSB_ERROR_NOT_FOUND). */
static int find_endpoint(libusb_device *dev, unsigned char endpoint, struct libusb_endpoint_descriptor *out)
{
    struct libusb_config_descriptor *c;
    int r = libusb_get_active_config_descriptor(dev, &c);

    if (r < 0)
        return r == LIBUSB_ERROR_NOT_FOUND ? LIBUSB_ERROR_OTHER : r;
    r = LIBUSB_ERROR_NOT_FOUND;
    for (int i = 0; i < c->bNumInterfaces && r < 0; i++)
        for (int a = 0; a < c->interface[i].num_altsetting && r < 0; a++)
            for (int e = 0; e < c->interface[i].altsetting[a].bNumEndpoints; e++)
                if (c->interface[i].altsetting[a].endpoint[e].bEndpointAddress == endpoint) {
                    *out = c->interface[i].altsetting[a].endpoint[e];
                    out->extra = NULL;
                    r = 0;
                    break;
                }
    libusb_free_config_descriptor(c);
    return r;
}

API int LIBUSB_CALL libusb_get_max_packet_size(libusb_device *dev, unsigned char endpoint)
{
    API_LOCK();
    struct libusb_endpoint_descriptor ep;
    int r = find_endpoint(dev, endpoint, &ep);

    return r < 0 ? r : ep.wMaxPacketSize & 0x7ff;
}

API int LIBUSB_CALL libusb_get_max_iso_packet_size(libusb_device *dev, unsigned char endpoint)
{
    API_LOCK();
    struct libusb_endpoint_descriptor ep;
    int r = find_endpoint(dev, endpoint, &ep);

    if (r < 0)
        return r;
    if ((ep.bmAttributes & 3) == LIBUSB_TRANSFER_TYPE_ISOCHRONOUS)
        return (ep.wMaxPacketSize & 0x7ff) * (1 + ((ep.wMaxPacketSize >> 11) & 3));
    return ep.wMaxPacketSize & 0x7ff;
}

/* ---- asynchronous transfers ------------------------------------------------
 * Control transfers run to completion inside libusb_submit_transfer (the
 * link carries one transfer at a time anyway); their callbacks run from the
 * next libusb_handle_events*() call, as libusb promises. Other transfer
 * types need endpoints the devices do not have. */

static pthread_mutex_t events_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t waiters_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t event_cond = PTHREAD_COND_INITIALIZER;
static int event_handler_running;

struct transfer_priv {
    struct libusb_transfer *next;
    struct libusb_context *ctx;
};

/* libusb_alloc_transfer() puts our bookkeeping before the public struct. */
static struct transfer_priv *tpriv(struct libusb_transfer *t)
{
    return (struct transfer_priv *)((char *)t - sizeof(struct transfer_priv));
}

API struct libusb_transfer *LIBUSB_CALL libusb_alloc_transfer(int iso_packets)
{
    size_t n = sizeof(struct transfer_priv) + sizeof(struct libusb_transfer) +
               sizeof(struct libusb_iso_packet_descriptor) * (size_t)(iso_packets > 0 ? iso_packets : 0);
    char *p;

    if (iso_packets < 0)
        return NULL;
    p = calloc(1, n);
    if (!p)
        return NULL;
    ((struct libusb_transfer *)(p + sizeof(struct transfer_priv)))->num_iso_packets = iso_packets;
    return (struct libusb_transfer *)(p + sizeof(struct transfer_priv));
}

API void LIBUSB_CALL libusb_free_transfer(struct libusb_transfer *transfer)
{
    if (!transfer)
        return;
    if (transfer->flags & LIBUSB_TRANSFER_FREE_BUFFER)
        free(transfer->buffer);
    free(tpriv(transfer));
}

API int LIBUSB_CALL libusb_submit_transfer(struct libusb_transfer *transfer)
{
    API_LOCK();
    struct libusb_context *ctx;
    struct libusb_transfer **tail;
    uint16_t wLength;
    int r;

    if (!transfer || !transfer->dev_handle)
        return LIBUSB_ERROR_INVALID_PARAM;
    if (transfer->type != LIBUSB_TRANSFER_TYPE_CONTROL)
        return LIBUSB_ERROR_NOT_SUPPORTED;
    if (transfer->length < (int)LIBUSB_CONTROL_SETUP_SIZE || !transfer->buffer)
        return LIBUSB_ERROR_INVALID_PARAM;
    wLength = get_le16(transfer->buffer + 6);
    if ((int)wLength > transfer->length - (int)LIBUSB_CONTROL_SETUP_SIZE || wLength > MAX_CONTROL_LEN)
        return LIBUSB_ERROR_INVALID_PARAM;
    if (!dev_valid(transfer->dev_handle->dev))
        return LIBUSB_ERROR_NO_DEVICE;
    r = libusb_control_transfer(transfer->dev_handle, transfer->buffer[0], transfer->buffer[1],
                                get_le16(transfer->buffer + 2), get_le16(transfer->buffer + 4),
                                transfer->buffer + LIBUSB_CONTROL_SETUP_SIZE, wLength, transfer->timeout);
    transfer->actual_length = r >= 0 ? r : 0;
    switch (r >= 0 ? 0 : r) {
    case 0:
        transfer->status = LIBUSB_TRANSFER_COMPLETED;
        break;
    case LIBUSB_ERROR_TIMEOUT:
        transfer->status = LIBUSB_TRANSFER_TIMED_OUT;
        break;
    case LIBUSB_ERROR_PIPE:
        transfer->status = LIBUSB_TRANSFER_STALL;
        break;
    case LIBUSB_ERROR_NO_DEVICE:
        transfer->status = LIBUSB_TRANSFER_NO_DEVICE;
        break;
    case LIBUSB_ERROR_OVERFLOW:
        transfer->status = LIBUSB_TRANSFER_OVERFLOW;
        break;
    default:
        transfer->status = LIBUSB_TRANSFER_ERROR;
        break;
    }
    ctx = transfer->dev_handle->dev->ctx;
    tpriv(transfer)->ctx = ctx;
    tpriv(transfer)->next = NULL;
    for (tail = &ctx->done_head; *tail; tail = &tpriv(*tail)->next) {
    }
    *tail = transfer;
    pthread_mutex_lock(&waiters_mutex);
    pthread_cond_broadcast(&event_cond);
    pthread_mutex_unlock(&waiters_mutex);
    return 0;
}

/* Every submitted transfer has already completed. */
API int LIBUSB_CALL libusb_cancel_transfer(struct libusb_transfer *transfer)
{
    (void)transfer;
    return LIBUSB_ERROR_NOT_FOUND;
}

/* Runs the callbacks of the completed transfers; waits up to `tv` (NULL:
 * 60 s, as libusb) for one when there is none. Stops early once
 * *completed is set. */
static int run_events(libusb_context *ctx, struct timeval *tv, int *completed)
{
    int64_t end = now_ms() + (tv ? (int64_t)tv->tv_sec * 1000 + tv->tv_usec / 1000 : 60000);

    for (;;) {
        struct libusb_transfer *t;

        {
            API_LOCK();
            struct libusb_context *c = ctx_of(ctx);

            if (!c)
                return LIBUSB_ERROR_INVALID_PARAM;
            t = c->done_head;
            c->done_head = NULL;
        }
        if (t) {
            while (t) {
                struct libusb_transfer *next = tpriv(t)->next;
                int free_it = t->flags & LIBUSB_TRANSFER_FREE_TRANSFER;

                if (t->callback)
                    t->callback(t);
                if (free_it)
                    libusb_free_transfer(t);
                t = next;
            }
            return 0;
        }
        if ((completed && *completed) || now_ms() >= end)
            return 0;
        sleep_ms(5);
    }
}

API int LIBUSB_CALL libusb_handle_events_timeout_completed(libusb_context *ctx, struct timeval *tv, int *completed)
{
    return run_events(ctx, tv, completed);
}

API int LIBUSB_CALL libusb_handle_events_timeout(libusb_context *ctx, struct timeval *tv)
{
    return run_events(ctx, tv, NULL);
}

API int LIBUSB_CALL libusb_handle_events(libusb_context *ctx)
{
    return run_events(ctx, NULL, NULL);
}

API int LIBUSB_CALL libusb_handle_events_completed(libusb_context *ctx, int *completed)
{
    return run_events(ctx, NULL, completed);
}

API int LIBUSB_CALL libusb_handle_events_locked(libusb_context *ctx, struct timeval *tv)
{
    return run_events(ctx, tv, NULL);
}

/* No timeouts are ever pending (transfers finish when submitted). */
API int LIBUSB_CALL libusb_get_next_timeout(libusb_context *ctx, struct timeval *tv)
{
    (void)ctx;
    (void)tv;
    return 0;
}

API int LIBUSB_CALL libusb_pollfds_handle_timeouts(libusb_context *ctx)
{
    (void)ctx;
    return 1;
}

/* The events lock and the event waiters, for programs that run their own
 * event loop across threads. */
API int LIBUSB_CALL libusb_try_lock_events(libusb_context *ctx)
{
    (void)ctx;
    if (pthread_mutex_trylock(&events_mutex) != 0)
        return 1;
    event_handler_running = 1;
    return 0;
}

API void LIBUSB_CALL libusb_lock_events(libusb_context *ctx)
{
    (void)ctx;
    pthread_mutex_lock(&events_mutex);
    event_handler_running = 1;
}

API void LIBUSB_CALL libusb_unlock_events(libusb_context *ctx)
{
    (void)ctx;
    event_handler_running = 0;
    pthread_mutex_unlock(&events_mutex);
    pthread_mutex_lock(&waiters_mutex);
    pthread_cond_broadcast(&event_cond);
    pthread_mutex_unlock(&waiters_mutex);
}

API int LIBUSB_CALL libusb_event_handling_ok(libusb_context *ctx)
{
    (void)ctx;
    return 1;
}

API int LIBUSB_CALL libusb_event_handler_active(libusb_context *ctx)
{
    (void)ctx;
    return event_handler_running;
}

API void LIBUSB_CALL libusb_interrupt_event_handler(libusb_context *ctx)
{
    (void)ctx;
    pthread_mutex_lock(&waiters_mutex);
    pthread_cond_broadcast(&event_cond);
    pthread_mutex_unlock(&waiters_mutex);
}

API void LIBUSB_CALL libusb_lock_event_waiters(libusb_context *ctx)
{
    (void)ctx;
    pthread_mutex_lock(&waiters_mutex);
}

API void LIBUSB_CALL libusb_unlock_event_waiters(libusb_context *ctx)
{
    (void)ctx;
    pthread_mutex_unlock(&waiters_mutex);
}

/* Called with the waiters lock held; 0 when woken, 1 on timeout. */
API int LIBUSB_CALL libusb_wait_for_event(libusb_context *ctx, struct timeval *tv)
{
    struct timespec ts;

    (void)ctx;
    if (!tv) {
        pthread_cond_wait(&event_cond, &waiters_mutex);
        return 0;
    }
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += tv->tv_sec + (ts.tv_nsec / 1000 + tv->tv_usec) / 1000000;
    ts.tv_nsec = ((ts.tv_nsec / 1000 + tv->tv_usec) % 1000000) * 1000;
    return pthread_cond_timedwait(&event_cond, &waiters_mutex, &ts) == 0 ? 0 : 1;
}
