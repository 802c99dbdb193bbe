/* Simulated NOR flash for the host, in memory or backed by a file.
 *
 * Real NOR semantics: an erase sets a whole sector to the erase value; a
 * write must be aligned to the write block size and may only move bits away
 * from their erased state (a write that would set a bit back is an error,
 * as MCUboot's simulator enforces). With `strict` set, a write block may
 * not be programmed twice between erases at all (ECC flash).
 *
 * It counts erases, writes and bytes per sector and in total, keeps a
 * simulated clock from the device's timing model, and can cut the power
 * at the Nth erase/write operation after power-on: the operation does not
 * happen, or (torn) happens only partly. After a cut every access fails
 * with DFB_EPOWER until sim_flash_power_on(). */
#ifndef DFUBOOT_PORT_POSIX_SIM_FLASH_H
#define DFUBOOT_PORT_POSIX_SIM_FLASH_H

#include <stdint.h>
#include <stdio.h>

#include "flash/flash_dev.h"

enum sim_cut_mode {
    SIM_CUT_ATOMIC, /* the cut operation does not happen at all */
    SIM_CUT_TORN,   /* a write leaves a prefix programmed; an erase leaves
                       the sector part-way, with unpredictable content */
};

struct sim_flash_stats {
    uint64_t erases;           /* sector erases */
    uint64_t writes;           /* write operations */
    uint64_t bytes_programmed;
    uint64_t reads;
    uint64_t bytes_read;
    uint64_t sim_time_us;      /* per the timing model */
};

struct sim_flash {
    struct flash_dev dev; /* hand &dev to the portable code */
    const struct flash_geometry *geo;
    uint8_t *mem;
    int fd;               /* -1 for memory-only flash */
    int strict;           /* forbid double programming of a write block */
    uint8_t *programmed;  /* per write block, for strict mode */
    uint32_t nsectors;
    uint32_t *sector_erases;
    uint64_t *sector_programmed;
    struct sim_flash_stats stats;
    /* power-cut injection */
    uint64_t ops;         /* erase/write operations since power-on */
    uint64_t cut_at;      /* 1-based operation that is cut; 0 = never */
    enum sim_cut_mode cut_mode;
    uint64_t rng;
    int powered_off;
    void (*on_power_cut)(void *ctx, uint64_t op);
    void *on_power_cut_ctx;
    /* called before every erase or write is counted, with the number it
     * will have (sf->ops + 1): a test can take a snapshot of the flash
     * there, or set a cut at that very operation (sim_flash_set_cut) */
    void (*before_op)(void *ctx, uint64_t op);
    void *before_op_ctx;
    /* 0: operations are instant; N: each takes N % of its modelled time in
     * real time (tests that must act in the middle of a download) */
    uint32_t realtime_percent;
    /* called after every completed erase or write, e.g. to publish counters */
    void (*on_op)(void *ctx);
    void *on_op_ctx;
};

/* An erased flash in memory. */
int sim_flash_init_mem(struct sim_flash *sf, const struct flash_geometry *geo);
/* A flash backed by `path` (file offset = flash offset). With `create` the
 * file is created or truncated and erased; otherwise its size must equal
 * the geometry's. Writes reach the file as they happen (shared mapping). */
int sim_flash_open_file(struct sim_flash *sf, const struct flash_geometry *geo, const char *path, int create);
/* Same, over an open read-write file descriptor (taken over: closed by
 * sim_flash_close). */
int sim_flash_open_fd(struct sim_flash *sf, const struct flash_geometry *geo, int fd);
void sim_flash_close(struct sim_flash *sf);

/* Power on: clears a power cut and restarts the operation count. */
void sim_flash_power_on(struct sim_flash *sf);
/* Cut power at operation `op` (1-based, counted from power-on; 0 = off). */
void sim_flash_set_cut(struct sim_flash *sf, uint64_t op, enum sim_cut_mode mode, uint64_t seed);
void sim_flash_reset_stats(struct sim_flash *sf);

/* {"erases":..,"bytes_programmed":..,"writes":..,"sim_time_us":..,
 *  "sectors":[{"offset":..,"erases":..,"bytes_programmed":..},...]} */
int sim_flash_write_stats_json(const struct sim_flash *sf, FILE *out);
/* The same from counters kept elsewhere (per-sector arrays of the geometry's
 * sector count). */
int sim_flash_stats_json(FILE *out, const struct flash_geometry *geo, const struct sim_flash_stats *stats,
                         const uint32_t *sector_erases, const uint64_t *sector_programmed);

#endif
