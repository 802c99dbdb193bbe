/* Pre-erase of the secondary slot (see boot_preerase.h). */
#include "boot/boot_preerase.h"

#include "common/errors.h"

enum { PE_START = 0, PE_SCAN, PE_ERASE, PE_DONE };

/* 1 if the secondary slot may be erased now (see the contract). */
static int secondary_unneeded(const struct boot_slots *s, const struct boot_geo *g)
{
    struct boot_swap_state ps, ss;
    uint32_t tr = (g->slot_sectors - g->trailer_sectors) * g->sector_size;

    if (boot_read_swap_state(s->primary, g->a_pri, &ps) != DFB_OK ||
        boot_read_swap_state(s->secondary, g->a_sec, &ss) != DFB_OK)
        return 0;
    if (boot_swap_type_from_states(&ps, &ss) != BOOT_SWAP_TYPE_NONE)
        return 0; /* pending update, or an image under test */
    return flash_area_is_erased(s->secondary, tr, s->secondary->size - tr) == 1;
}

static int sector_erased(const struct boot_slots *s, const struct boot_geo *g, uint32_t i)
{
    return flash_area_is_erased(s->secondary, i * g->sector_size, g->sector_size);
}

static int erase_sector(const struct boot_slots *s, const struct boot_geo *g, uint32_t i)
{
    return flash_area_erase(s->secondary, i * g->sector_size, g->sector_size);
}

int boot_preerase_step(const struct boot_slots *s, struct boot_preerase *pe)
{
    struct boot_geo g;
    uint32_t data;
    int rc;

    if (s == 0 || pe == 0)
        return DFB_EINVAL;
    rc = boot_geo_compute(s, &g);
    if (rc != DFB_OK)
        return rc;
    data = g.slot_sectors - g.trailer_sectors;
    if (pe->phase == PE_DONE)
        return 0;
    if (!secondary_unneeded(s, &g))
        return DFB_ESTATE;
    if (pe->phase == PE_START || pe->next >= data) {
        pe->phase = PE_SCAN;
        pe->next = data; /* one past the sector looked at next */
    }
    for (uint32_t checks = 0; checks < BOOT_PREERASE_CHECKS; checks++) {
        uint32_t i;

        if (pe->next == 0) {
            int scanned_only = pe->phase == PE_SCAN;

            pe->phase = PE_DONE;
            if (!scanned_only)
                return 0;
            /* no sector held data: the lowest one may be the one whose
             * erase a cut interrupted (the last erase of a pre-erase) */
            rc = erase_sector(s, &g, 0);
            return rc == DFB_OK ? 1 : rc;
        }
        i = pe->next - 1;
        rc = sector_erased(s, &g, i);
        if (rc < 0)
            return rc;
        if (rc == 1) {
            pe->next = i; /* nothing to erase here */
            continue;
        }
        if (pe->phase == PE_SCAN) {
            /* the highest sector with data: the one above it may be the one
             * whose erase a power cut interrupted, so it is erased again */
            pe->phase = PE_ERASE;
            if (i + 1 < data) {
                rc = erase_sector(s, &g, i + 1);
                return rc == DFB_OK ? 1 : rc;
            }
        }
        rc = erase_sector(s, &g, i);
        if (rc != DFB_OK)
            return rc;
        pe->next = i;
        return 1;
    }
    return 1;
}
