/* Footprint root for the USB device core + DFU class (Cortex-M4 link with
 * --gc-sections from bench_root): everything a DFU-mode bootloader or an
 * application with the run-time interface calls, plus the controller's
 * four events, so that only code reachable from these entry points counts.
 * The device and class objects and the DFU sample's two 1 KiB block
 * buffers are static, as in an application (the RAM the caller provides);
 * the controller driver is this file's stubs (excluded from the figures). */
#include "dfu/dfu.h"
#include "usb/usbd.h"

static int dc_send(void *ctx, const void *data, uint16_t len)
{
    (void)ctx;
    (void)data;
    return len;
}

static int dc_buf(void *ctx, void *buf, uint16_t len)
{
    (void)ctx;
    (void)buf;
    return len;
}

static int dc_none(void *ctx)
{
    (void)ctx;
    return 0;
}

static int dc_addr(void *ctx, uint8_t addr)
{
    (void)ctx;
    return addr;
}

static const struct usb_dc_ops dc = { dc_send, dc_buf, dc_none, dc_none, dc_addr, dc_none, dc_none, 0 };

struct usb_device bench_usb;
struct dfu bench_dfu;
uint8_t bench_dfu_buffers[2 * 1024];
extern struct flash_area bench_slot0, bench_slot1;
struct flash_area bench_slot0, bench_slot1;
static const struct dfu_config cfg = { DFU_CONFIG_DEFAULTS, .product = "DFU", .slot0 = &bench_slot0,
                                       .slot1 = &bench_slot1, .start_in_dfu_mode = 1, .transfer_size = 1024,
                                       .buffers = bench_dfu_buffers, .buffer_count = 2 };
volatile struct usb_setup bench_setup;
volatile uint8_t bench_data[64];

void bench_root(void);
void bench_root(void)
{
    struct usb_setup s = bench_setup;

    dfu_init(&bench_dfu, &cfg, &bench_usb);
    (void)dfu_runtime_interface(&bench_dfu);
    usbd_init(&bench_usb, &dc, dfu_mode_descriptors(&bench_dfu));
    for (;;) {
        usbd_bus_reset(&bench_usb);
        usbd_setup(&bench_usb, &s);
        usbd_ep0_out(&bench_usb, (const void *)bench_data, 64);
        usbd_status_done(&bench_usb);
        (void)dfu_task(&bench_dfu);
        (void)dfu_state(&bench_dfu);
    }
}
