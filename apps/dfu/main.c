/* dfu: the sample application of the story. It exposes the USB DFU class
 * (upload enabled): alt 0 backs up slot0, alt 1 downloads an update into
 * slot1 and requests the upgrade from the bootloader. Built twice: plainly
 * (test upgrade, manifestation tolerant) and with the permanent-download
 * overlay (CONFIG_USB_DFU_PERMANENT_DOWNLOAD + CONFIG_USB_DFU_REBOOT). */
#include <stdio.h>
#include <unistd.h>

#include "boot/boot_trailer.h"
#include "common/errors.h"
#include "dfu/dfu.h"
#include "port/posix/board.h"
#include "port/posix/usbip/usbip_server.h"
#include "usb/usbd.h"

#ifndef CONFIG_USB_DFU_PERMANENT_DOWNLOAD
#define CONFIG_USB_DFU_PERMANENT_DOWNLOAD 0
#endif
#ifndef CONFIG_USB_DFU_REBOOT
#define CONFIG_USB_DFU_REBOOT 0
#endif

/* Like Zephyr's CONFIG_USB_DFU_REBOOT: the reboot waits a little after
 * the class asks for it, so the host's closing GETSTATUS and its USB reset
 * still reach this device (dfu-util then sees the same device and exits 0). */
#define REBOOT_DELAY_MS 500

struct app {
    struct board board;
    uint32_t reboot_at; /* uptime of a scheduled reboot; 0 = none */
    struct flash_area slot0, slot1;
    struct boot_slots slots;
    struct usb_device usb;
    struct dfu dfu;
};

static struct app app;

/* Manifestation: the download is complete; mark it for the bootloader. */
static int manifest(void *ctx, int permanent)
{
    struct app *a = ctx;

    return boot_request_upgrade(&a->slots, permanent);
}

static void restart(void *ctx)
{
    struct app *a = ctx;

    if (a->reboot_at == 0)
        a->reboot_at = board_uptime_ms(&a->board) + REBOOT_DELAY_MS;
}

int main(void)
{
    struct app *a = &app;
    struct dfu_config cfg = { DFU_CONFIG_DEFAULTS };
    const struct usbd_interface *itfs[1];
    struct usbd_device_info info = {
        .vid = 0x1209,
        .pid = 0x0001,
        .bcd_device = 0x0100,
        .manufacturer = "dfuboot",
        .product = "dfuboot DFU sample",
        .serial = "0123456789ABCDEF",
        .attributes = USB_CFG_SELF_POWERED,
        .max_power = 50,
        .num_interfaces = 1,
        .interfaces = itfs,
    };
    struct usbip_server_config scfg = { .dev = &a->usb, .port = -1 };
    struct usbip_server *srv;
    uint32_t download_off, max_image;
    int rc;

    board_init(&a->board);
    if (flash_area_open(&a->board.flash.dev, a->board.layout, FLASH_AREA_SLOT0, &a->slot0) != DFB_OK ||
        flash_area_open(&a->board.flash.dev, a->board.layout, FLASH_AREA_SLOT1, &a->slot1) != DFB_OK)
        board_halt(&a->board, "no slot0/slot1 partitions");
    a->slots.primary = &a->slot0;
    a->slots.secondary = &a->slot1;
    rc = boot_download_offset(&a->slots, &download_off);
    if (rc == DFB_OK)
        rc = boot_max_image_size(&a->slots, &max_image);
    if (rc != DFB_OK)
        board_halt(&a->board, "the slots cannot be swapped");

    cfg.manufacturer = info.manufacturer;
    cfg.product = info.product;
    cfg.serial = info.serial;
    cfg.bcd_device = info.bcd_device;
    cfg.enable_upload = 1;
    cfg.permanent_download = CONFIG_USB_DFU_PERMANENT_DOWNLOAD;
    cfg.reboot = CONFIG_USB_DFU_REBOOT;
    cfg.slot0 = &a->slot0;
    cfg.slot1 = &a->slot1;
    cfg.slot1_offset = download_off;
    cfg.slot1_limit = download_off + max_image;
    cfg.manifest = manifest;
    cfg.restart = restart;
    cfg.ctx = a;
    cfg.sys = &a->board.sys;
    if (dfu_init(&a->dfu, &cfg, &a->usb) != DFB_OK)
        board_halt(&a->board, "DFU class configuration refused");
    itfs[0] = dfu_runtime_interface(&a->dfu);

    if (a->board.usbip_listen_fd < 0) {
        board_log(&a->board, "main", "No USB connection on this board.");
        return 0;
    }
    scfg.listen_fd = a->board.usbip_listen_fd;
    rc = usbip_server_open(&srv, &scfg);
    if (rc != 0 || usbd_init(&a->usb, board_usb_controller(&a->board, usbip_server_dc_ops(srv)), &info) != DFB_OK)
        board_halt(&a->board, "cannot enable USB");
    board_log(&a->board, "main", "This device supports USB DFU class.");
    for (;;) {
        rc = usbip_server_poll(srv, a->reboot_at ? 20 : 100);
        if (rc < 0)
            board_halt(&a->board, "USB controller failed");
        if (a->reboot_at != 0 && board_uptime_ms(&a->board) >= a->reboot_at)
            board_reboot(&a->board);
    }
}
