/* USB DFU 1.1 class (run-time and DFU mode) over the USB device core.
 *
 * Run-time mode: the application adds dfu_runtime_interface() to its own
 * configuration (interface class 0xFE/0x01/0x01 with the functional
 * descriptor). DETACH followed by a USB reset (or, with will_detach, the
 * device's own detach/attach) switches to the DFU-mode descriptor set:
 * one interface 0xFE/0x01/0x02 with alt 0 "image_0" (slot0) and alt 1
 * "image_1" (slot1), the functional descriptor after each alt (fwupd 2.x
 * reads it per alternate setting), and a separate product ID.
 *
 * Download goes to slot1 only, from slot1_offset on (slot1's sectors before
 * it are erased too). Controller events only queue each block in a
 * caller-provided buffer; dfu_task(), called from the application's main
 * loop, programs it (progressive erase, straight from the buffer) and
 * manifests. GETSTATUS answers dfuDNBUSY with an honest bwPollTimeout
 * while no buffer is free, and dfuDNLOAD-IDLE as soon as one is. Upload
 * reads the whole partition of the selected alt. See docs/usb-dfu.md for
 * the state machine and timing. */
#ifndef DFUBOOT_DFU_DFU_H
#define DFUBOOT_DFU_DFU_H

#include <stdint.h>

#include "common/system.h"
#include "flash/flash_map.h"
#include "flash/stream_writer.h"
#include "usb/usbd.h"

/* Largest wTransferSize (Linux usbfs caps control transfers at 4096). */
#define DFU_TRANSFER_SIZE_MAX 4096
/* Most block buffers the class uses (see dfu_config.buffers). */
#define DFU_BUFFERS_MAX 2

enum dfu_request {
    DFU_DETACH = 0,
    DFU_DNLOAD = 1,
    DFU_UPLOAD = 2,
    DFU_GETSTATUS = 3,
    DFU_CLRSTATUS = 4,
    DFU_GETSTATE = 5,
    DFU_ABORT = 6,
};

enum dfu_state {
    DFU_APP_IDLE = 0,
    DFU_APP_DETACH = 1,
    DFU_IDLE = 2,
    DFU_DNLOAD_SYNC = 3,
    DFU_DNBUSY = 4,
    DFU_DNLOAD_IDLE = 5,
    DFU_MANIFEST_SYNC = 6,
    DFU_MANIFEST = 7,
    DFU_MANIFEST_WAIT_RESET = 8,
    DFU_UPLOAD_IDLE = 9,
    DFU_ERROR = 10,
};

enum dfu_status {
    DFU_OK = 0x00,
    DFU_ERR_TARGET = 0x01,
    DFU_ERR_FILE = 0x02,
    DFU_ERR_WRITE = 0x03,
    DFU_ERR_ERASE = 0x04,
    DFU_ERR_CHECK_ERASED = 0x05,
    DFU_ERR_PROG = 0x06,
    DFU_ERR_VERIFY = 0x07,
    DFU_ERR_ADDRESS = 0x08,
    DFU_ERR_NOTDONE = 0x09,
    DFU_ERR_FIRMWARE = 0x0A,
    DFU_ERR_VENDOR = 0x0B,
    DFU_ERR_USBR = 0x0C,
    DFU_ERR_POR = 0x0D,
    DFU_ERR_UNKNOWN = 0x0E,
    DFU_ERR_STALLEDPKT = 0x0F,
};

/* bmAttributes of the functional descriptor. */
#define DFU_ATTR_CAN_DNLOAD 0x01
#define DFU_ATTR_CAN_UPLOAD 0x02
#define DFU_ATTR_MANIFESTATION_TOLERANT 0x04
#define DFU_ATTR_WILL_DETACH 0x08

#define DFU_FUNC_DESC_TYPE 0x21
#define DFU_FUNC_DESC_LEN 9

struct dfu_config {
    /* DFU-mode device descriptor. VID and strings are normally the same
     * as the application's; the DFU-mode PID differs (DFU 1.1 ch. 2). */
    uint16_t vid;             /* CONFIG_USB_DEVICE_VID */
    uint16_t dfu_pid;         /* CONFIG_USB_DEVICE_DFU_PID */
    uint16_t bcd_device;
    const char *manufacturer; /* CONFIG_USB_DEVICE_MANUFACTURER */
    const char *product;      /* CONFIG_USB_DEVICE_PRODUCT */
    const char *serial;       /* CONFIG_USB_DEVICE_SN */

    uint16_t transfer_size;   /* wTransferSize, 1..4096 (USBD_DFU_TRANSFER_SIZE) */
    uint16_t detach_timeout;  /* wDetachTimeOut, ms: CONFIG_USB_DFU_DETACH_TIMEOUT */
    uint16_t poll_timeout;    /* ms announced while manifesting: CONFIG_USB_DFU_DEFAULT_POLLTIMEOUT */
    /* Block buffers, provided by the caller: buffer_count (1 or 2) buffers
     * of transfer_size bytes each, back to back. A DNLOAD block lands in a
     * free buffer during the data stage and is programmed from there, with
     * no copy, by dfu_task(). With two, the next block crosses USB while
     * the previous one programs. Uploads read flash into a free buffer. */
    uint8_t *buffers;
    uint8_t buffer_count;
    /* Most bytes dfu_task() programs in one flash operation (0: a whole
     * block). Bounds how long a controller interrupt can wait on a part
     * whose CPU stalls while its flash programs (nRF5). */
    uint16_t max_write_step;
    uint8_t enable_upload;      /* CONFIG_USB_DFU_ENABLE_UPLOAD */
    uint8_t permanent_download; /* CONFIG_USB_DFU_PERMANENT_DOWNLOAD */
    uint8_t reboot;             /* CONFIG_USB_DFU_REBOOT: not manifestation
                                   tolerant; reboot after manifestation */
    uint8_t will_detach;        /* CONFIG_USB_DFU_WILL_DETACH */
    uint8_t start_in_dfu_mode;  /* start with the DFU-mode descriptors */

    const struct flash_area *slot0; /* alt 0 "image_0": upload only */
    const struct flash_area *slot1; /* alt 1 "image_1": download target */
    uint32_t slot1_offset;          /* download starts here in slot1 */
    uint32_t slot1_limit;           /* and may not pass this area offset
                                       (0: end of slot1); keeps a download
                                       out of the bootloader's trailer */

    /* Optional: the download's total size, learnt from its first blocks
     * (for an MCUboot image: image_size_probe_feed()). Called from the
     * controller event for each block, in order (offset 0 starts a new
     * download); returns the size once known, else 0. Knowing the last
     * block lets the class report it only once it is programmed, so
     * manifestation is done by the first GETSTATUS after the zero-length
     * DNLOAD (dfu-util waits 1 s more otherwise). Without it the last
     * block is recognised only when it is short. With it, what follows
     * the image is taken and dropped, up to a slot's size: the whole-slot
     * file an alt 0 upload makes goes back through alt 1. */
    uint32_t (*download_size)(void *ctx, uint32_t offset, const uint8_t *data, uint32_t len);
    /* Manifestation: after the last block is flushed. The application
     * marks slot1 for the bootloader (test, or permanent as asked); 0 or
     * a negative dfb_err. May be NULL. */
    int (*manifest)(void *ctx, int permanent);
    /* Leaves DFU mode (reboot into the application). NULL: sys->reset.
     * Called at most once (from an event); it may defer the reboot. */
    void (*restart)(void *ctx);
    void *ctx;
    const struct sys_ops *sys; /* uptime for the detach timer, reset, log */
};

/* Defaults: pid.codes test VID/PIDs (0x1209:0x0001 run time, 0x0002 DFU). */
#define DFU_CONFIG_DEFAULTS                                                                                            \
    .vid = 0x1209, .dfu_pid = 0x0002, .transfer_size = DFU_TRANSFER_SIZE_MAX, .detach_timeout = 1000,               \
    .poll_timeout = 8, .buffer_count = 1, .max_write_step = 256

/* The class's state. Fields are private. Two execution contexts share it
 * (usb/usb_dc.h): controller events (maybe interrupts) and dfu_task() (the
 * main loop). Each field has one writer: "events" fields change only in
 * events (and dfu_init), "task" fields only in dfu_task(); the other side
 * only reads them. The block buffers are a ring: events queue at `head`,
 * the task programs at `tail`, and each advances its counter last, which
 * hands the buffer over. */
struct dfu {
    const struct dfu_config *cfg;
    struct usb_device *usb;
    /* events */
    uint8_t state;      /* enum dfu_state */
    uint8_t status;     /* enum dfu_status */
    uint8_t alt;        /* DFU mode: selected alt setting */
    uint8_t dfu_mode;   /* DFU-mode descriptors are active */
    uint8_t leave;      /* leave DFU mode (reboot) at the next reset */
    uint8_t restarting; /* restart() was called: it is not called again */
    uint8_t after;      /* action after the status stage */
    uint8_t last_block; /* the last block queued ends the download (it was
                           short, or download_size says so) */
    uint8_t filling;    /* buffer receiving the current DNLOAD data stage */
    volatile uint8_t head;       /* blocks queued, ever (mod 256) */
    volatile uint8_t epoch_head; /* head when this download (epoch) began */
    uint8_t reject;     /* enum dfu_status for the block being received:
                           told by the next GETSTATUS, the block dropped */
    uint16_t block;     /* next expected block number */
    uint32_t queued;    /* bytes queued in this download */
    uint32_t expected;  /* the download's size per download_size; 0: unknown */
    uint32_t offset;    /* upload: bytes sent so far */
    uint32_t detach_at; /* uptime at DETACH; detach_ms: timer length */
    uint16_t detach_ms;
    volatile uint16_t epoch;    /* a new download, or the end of one */
    volatile uint16_t manifest_epoch; /* download whose manifestation is asked */
    uint16_t buf_len[DFU_BUFFERS_MAX]; /* bytes queued in each buffer */
    /* task */
    uint16_t task_epoch;        /* download the task works on */
    volatile uint8_t tail;      /* blocks programmed or dropped, ever (mod 256) */
    volatile uint32_t prog_left; /* bytes of the current block not yet programmed */
    volatile uint8_t task_status;    /* enum dfu_status of the task's download */
    volatile uint16_t task_status_epoch; /* ... valid for this download */
    volatile uint16_t manifest_done;     /* download whose manifestation finished */
    uint8_t slot1_erased;       /* dfu_slot1_erased(): for the next download */
    struct stream_writer sw;
    /* constant after dfu_init */
    uint8_t func_desc[DFU_FUNC_DESC_LEN];
    uint8_t reply[6];
    struct usbd_interface rt_itf, dfu_itf;
    const struct usbd_interface *dfu_itfs[1];
    struct usbd_device_info dfu_info;
};

/* Prepares the class. `usb` is the device it lives on (the one the
 * application passes to usbd_init afterwards). */
int dfu_init(struct dfu *dfu, const struct dfu_config *cfg, struct usb_device *usb);

/* The run-time interface to place in the application's configuration. */
const struct usbd_interface *dfu_runtime_interface(struct dfu *dfu);

/* The DFU-mode descriptor set (for a bootloader that starts in DFU mode,
 * pass it to usbd_init; start_in_dfu_mode set). */
const struct usbd_device_info *dfu_mode_descriptors(struct dfu *dfu);

/* The class's slow work, for the application's main loop (never from a
 * controller event): one bounded step per call, at most one flash erase
 * or write (programming a queued block, erasing the sectors a download
 * needs, manifestation). Returns 1 while work remains (call again soon),
 * 0 when idle: only then may the application reset the board. */
int dfu_task(struct dfu *dfu);

/* From the main loop: nothing is being downloaded (no download state, no
 * queued block, no manifestation pending). Only then may the application
 * touch slot1 itself (pre-erase, boot/boot_preerase.h). */
int dfu_download_idle(const struct dfu *dfu);

/* From the main loop: the application has erased slot1 (a completed
 * pre-erase). The next download then skips erasing the sectors that read
 * erased, and only programs (stream_writer_skip_erased). Consumed by that
 * download. */
void dfu_slot1_erased(struct dfu *dfu);

/* State for the application and tests. */
enum dfu_state dfu_state(const struct dfu *dfu);
enum dfu_status dfu_status(const struct dfu *dfu);

#endif
