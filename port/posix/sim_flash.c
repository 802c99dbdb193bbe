#include "port/posix/sim_flash.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/errors.h"
#include "port/posix/irq_context.h"

/* With realtime_percent set, an operation also takes that share of its
 * modelled time in real time (a board that programs as slowly as the part). */
static void take_time(const struct sim_flash *sf, uint32_t us)
{
    uint64_t ns = (uint64_t)us * 1000u * sf->realtime_percent / 100u;
    struct timespec ts = { (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) };

    if (ns == 0)
        return;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* usb/usb_dc.h: no flash erase or program inside a USB controller event. */
static void check_not_in_event(const char *op, uint32_t off, uint32_t len)
{
    const char *ev = irq_context_active();

    if (ev != NULL) {
        fprintf(stderr,
                "FATAL: flash %s at 0x%x (%u bytes) inside USB controller event '%s': slow work belongs in the "
                "task (usb/usb_dc.h)\n",
                op, (unsigned)off, (unsigned)len, ev);
        abort();
    }
}

static uint64_t next_rand(struct sim_flash *sf)
{
    /* xorshift64*: reproducible torn-operation content from a seed. */
    uint64_t x = sf->rng ? sf->rng : 0x9E3779B97F4A7C15ull;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    sf->rng = x;
    return x * 0x2545F4914F6CDD1Dull;
}

/* Counts one erase/write operation; returns 1 if power is cut at it. */
static int op_is_cut(struct sim_flash *sf)
{
    if (sf->before_op)
        sf->before_op(sf->before_op_ctx, sf->ops + 1);
    sf->ops++;
    if (sf->cut_at != 0 && sf->ops == sf->cut_at) {
        sf->powered_off = 1;
        return 1;
    }
    return 0;
}

static void power_cut_notify(struct sim_flash *sf)
{
    if (sf->on_power_cut)
        sf->on_power_cut(sf->on_power_cut_ctx, sf->ops);
}

static int sim_read(void *ctx, uint32_t off, void *buf, uint32_t len)
{
    struct sim_flash *sf = ctx;

    if (sf->powered_off)
        return DFB_EPOWER;
    memcpy(buf, sf->mem + off, len);
    sf->stats.reads++;
    sf->stats.bytes_read += len;
    return DFB_OK;
}

/* A bit may only move away from its erased state. */
static int bits_ok(uint8_t ev, uint8_t old, uint8_t new_)
{
    return ev == 0xFF ? (old & new_) == new_ : (old | new_) == new_;
}

static int sim_write(void *ctx, uint32_t off, const void *buf, uint32_t len)
{
    struct sim_flash *sf = ctx;
    const uint8_t *src = buf;
    uint8_t ev = sf->geo->erase_value;
    uint32_t wbs = sf->geo->write_block_size;
    struct flash_sector s;

    check_not_in_event("write", off, len);
    if (sf->powered_off)
        return DFB_EPOWER;
    for (uint32_t i = 0; i < len; i++) {
        if (!bits_ok(ev, sf->mem[off + i], src[i]))
            return DFB_ENOTERASED;
    }
    if (sf->strict) {
        for (uint32_t b = off / wbs; b < (off + len) / wbs; b++) {
            if (sf->programmed[b])
                return DFB_ENOTERASED;
        }
    }
    if (op_is_cut(sf)) {
        if (sf->cut_mode == SIM_CUT_TORN && len > 0) {
            uint32_t prefix = (uint32_t)(next_rand(sf) % len);
            uint8_t partial = (uint8_t)next_rand(sf);

            memcpy(sf->mem + off, src, prefix);
            /* the byte being programmed got only some of its bits */
            if (ev == 0xFF)
                sf->mem[off + prefix] &= (uint8_t)(src[prefix] | partial);
            else
                sf->mem[off + prefix] |= (uint8_t)(src[prefix] & partial);
            if (sf->strict) {
                for (uint32_t b = off / wbs; b <= (off + prefix) / wbs; b++)
                    sf->programmed[b] = 1;
            }
        }
        power_cut_notify(sf);
        return DFB_EPOWER;
    }
    for (uint32_t i = 0; i < len; i++)
        sf->mem[off + i] = src[i];
    if (sf->strict)
        memset(sf->programmed + off / wbs, 1, len / wbs);
    sf->stats.writes++;
    sf->stats.bytes_programmed += len;
    sf->stats.sim_time_us += flash_timing_program_us(sf->geo->timing, len);
    take_time(sf, flash_timing_program_us(sf->geo->timing, len));
    /* a write never spans more than it was asked to: account per sector */
    for (uint32_t done = 0; done < len;) {
        uint32_t n;

        flash_geo_sector_at(sf->geo, off + done, &s);
        n = s.off + s.size - (off + done);
        if (n > len - done)
            n = len - done;
        sf->sector_programmed[s.index] += n;
        done += n;
    }
    if (sf->on_op)
        sf->on_op(sf->on_op_ctx);
    return DFB_OK;
}

static int sim_erase(void *ctx, uint32_t off, uint32_t len)
{
    struct sim_flash *sf = ctx;
    uint8_t ev = sf->geo->erase_value;
    uint32_t end = off + len;

    check_not_in_event("erase", off, len);
    /* One operation per sector, so power can be cut between sectors. */
    while (off < end) {
        struct flash_sector s;

        if (sf->powered_off)
            return DFB_EPOWER;
        flash_geo_sector_at(sf->geo, off, &s);
        if (op_is_cut(sf)) {
            if (sf->cut_mode == SIM_CUT_TORN) {
                /* part-way erase: random bits have reached the erased state */
                for (uint32_t i = 0; i < s.size; i++) {
                    uint8_t r = (uint8_t)next_rand(sf);

                    if (ev == 0xFF)
                        sf->mem[s.off + i] |= r;
                    else
                        sf->mem[s.off + i] &= (uint8_t)~r;
                }
                if (sf->strict) {
                    uint32_t wbs = sf->geo->write_block_size;

                    memset(sf->programmed + s.off / wbs, 1, s.size / wbs);
                }
            }
            power_cut_notify(sf);
            return DFB_EPOWER;
        }
        memset(sf->mem + s.off, ev, s.size);
        if (sf->strict)
            memset(sf->programmed + s.off / sf->geo->write_block_size, 0, s.size / sf->geo->write_block_size);
        sf->stats.erases++;
        sf->stats.sim_time_us += flash_timing_erase_us(sf->geo->timing, s.size);
        take_time(sf, flash_timing_erase_us(sf->geo->timing, s.size));
        sf->sector_erases[s.index]++;
        off = s.off + s.size;
        if (sf->on_op)
            sf->on_op(sf->on_op_ctx);
    }
    return DFB_OK;
}

static const struct flash_dev_ops sim_ops = {
    .read = sim_read,
    .write = sim_write,
    .erase = sim_erase,
};

static int common_init(struct sim_flash *sf, const struct flash_geometry *geo)
{
    memset(sf, 0, sizeof(*sf));
    sf->fd = -1;
    if (flash_geo_check(geo) != DFB_OK)
        return DFB_EINVAL;
    sf->geo = geo;
    sf->nsectors = flash_geo_sector_count(geo);
    sf->sector_erases = calloc(sf->nsectors, sizeof(*sf->sector_erases));
    sf->sector_programmed = calloc(sf->nsectors, sizeof(*sf->sector_programmed));
    sf->programmed = calloc(geo->size / geo->write_block_size, 1);
    if (!sf->sector_erases || !sf->sector_programmed || !sf->programmed) {
        sim_flash_close(sf);
        return DFB_ENOSPC;
    }
    sf->dev.ops = &sim_ops;
    sf->dev.ctx = sf;
    sf->dev.geo = geo;
    return DFB_OK;
}

int sim_flash_init_mem(struct sim_flash *sf, const struct flash_geometry *geo)
{
    int rc = common_init(sf, geo);

    if (rc != DFB_OK)
        return rc;
    sf->mem = malloc(geo->size);
    if (sf->mem == NULL) {
        sim_flash_close(sf);
        return DFB_ENOSPC;
    }
    memset(sf->mem, geo->erase_value, geo->size);
    return DFB_OK;
}

static int map_fd(struct sim_flash *sf, const struct flash_geometry *geo, int create)
{
    struct stat st;
    void *map;

    if (create && ftruncate(sf->fd, geo->size) != 0) {
        sim_flash_close(sf);
        return DFB_EIO;
    }
    if (fstat(sf->fd, &st) != 0 || (uint64_t)st.st_size != geo->size) {
        sim_flash_close(sf);
        return DFB_ERANGE;
    }
    map = mmap(NULL, geo->size, PROT_READ | PROT_WRITE, MAP_SHARED, sf->fd, 0);
    if (map == MAP_FAILED) {
        sim_flash_close(sf);
        return DFB_EIO;
    }
    sf->mem = map;
    if (create)
        memset(sf->mem, geo->erase_value, geo->size);
    return DFB_OK;
}

int sim_flash_open_file(struct sim_flash *sf, const struct flash_geometry *geo, const char *path, int create)
{
    int rc = common_init(sf, geo);

    if (rc != DFB_OK)
        return rc;
    sf->fd = open(path, create ? O_RDWR | O_CREAT | O_TRUNC : O_RDWR, 0644);
    if (sf->fd < 0) {
        sim_flash_close(sf);
        return DFB_ENOENT;
    }
    return map_fd(sf, geo, create);
}

int sim_flash_open_fd(struct sim_flash *sf, const struct flash_geometry *geo, int fd)
{
    int rc = common_init(sf, geo);

    if (rc != DFB_OK)
        return rc;
    sf->fd = fd;
    return map_fd(sf, geo, 0);
}

void sim_flash_close(struct sim_flash *sf)
{
    if (sf->mem != NULL) {
        if (sf->fd >= 0) {
            msync(sf->mem, sf->geo->size, MS_SYNC);
            munmap(sf->mem, sf->geo->size);
        } else {
            free(sf->mem);
        }
    }
    if (sf->fd >= 0)
        close(sf->fd);
    free(sf->sector_erases);
    free(sf->sector_programmed);
    free(sf->programmed);
    sf->mem = NULL;
    sf->fd = -1;
    sf->sector_erases = NULL;
    sf->sector_programmed = NULL;
    sf->programmed = NULL;
}

void sim_flash_power_on(struct sim_flash *sf)
{
    sf->powered_off = 0;
    sf->ops = 0;
}

void sim_flash_set_cut(struct sim_flash *sf, uint64_t op, enum sim_cut_mode mode, uint64_t seed)
{
    sf->cut_at = op;
    sf->cut_mode = mode;
    sf->rng = seed;
}

void sim_flash_reset_stats(struct sim_flash *sf)
{
    memset(&sf->stats, 0, sizeof(sf->stats));
    memset(sf->sector_erases, 0, sf->nsectors * sizeof(*sf->sector_erases));
    memset(sf->sector_programmed, 0, sf->nsectors * sizeof(*sf->sector_programmed));
}

int sim_flash_stats_json(FILE *out, const struct flash_geometry *geo, const struct sim_flash_stats *stats,
                         const uint32_t *sector_erases, const uint64_t *sector_programmed)
{
    uint32_t n = flash_geo_sector_count(geo);

    fprintf(out, "{\"erases\": %llu, \"bytes_programmed\": %llu, \"writes\": %llu, \"reads\": %llu, "
                 "\"bytes_read\": %llu, \"sim_time_us\": %llu, \"sectors\": [",
            (unsigned long long)stats->erases, (unsigned long long)stats->bytes_programmed,
            (unsigned long long)stats->writes, (unsigned long long)stats->reads,
            (unsigned long long)stats->bytes_read, (unsigned long long)stats->sim_time_us);
    for (uint32_t i = 0, first = 1; i < n; i++) {
        struct flash_sector s;

        if (sector_erases[i] == 0 && sector_programmed[i] == 0)
            continue;
        flash_geo_sector_get(geo, i, &s);
        fprintf(out, "%s{\"offset\": %u, \"erases\": %u, \"bytes_programmed\": %llu}", first ? "" : ", ", s.off,
                sector_erases[i], (unsigned long long)sector_programmed[i]);
        first = 0;
    }
    fprintf(out, "]}\n");
    return ferror(out) ? DFB_EIO : DFB_OK;
}

int sim_flash_write_stats_json(const struct sim_flash *sf, FILE *out)
{
    return sim_flash_stats_json(out, sf->geo, &sf->stats, sf->sector_erases, sf->sector_programmed);
}
