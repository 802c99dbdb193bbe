/* The parts of the libusb-1.0 API that cannot work on a device reached
 * over USB/IP with endpoint 0 only: no bulk, interrupt or isochronous
 * endpoints (so no streams and no device memory), no hotplug
 * notifications, no file descriptors to poll, no BOS descriptors (the
 * boards are USB 2.0 devices). They answer LIBUSB_ERROR_NOT_SUPPORTED or
 * NULL, as libusb does on a platform without the feature, so a program
 * that probes for them carries on without. */
#include <libusb-1.0/libusb.h>
#include <stdlib.h>
#include <string.h>

#include "port/posix/libusb/libusb_lock.h"

API int LIBUSB_CALL libusb_bulk_transfer(libusb_device_handle *dev_handle, unsigned char endpoint,
                                         unsigned char *data, int length, int *actual_length, unsigned int timeout)
{
    (void)dev_handle, (void)endpoint, (void)data, (void)length, (void)timeout;
    if (actual_length)
        *actual_length = 0;
    return LIBUSB_ERROR_NOT_SUPPORTED;
}

API int LIBUSB_CALL libusb_interrupt_transfer(libusb_device_handle *dev_handle, unsigned char endpoint,
                                              unsigned char *data, int length, int *actual_length,
                                              unsigned int timeout)
{
    (void)dev_handle, (void)endpoint, (void)data, (void)length, (void)timeout;
    if (actual_length)
        *actual_length = 0;
    return LIBUSB_ERROR_NOT_SUPPORTED;
}

API int LIBUSB_CALL libusb_alloc_streams(libusb_device_handle *dev_handle, uint32_t num_streams,
                                         unsigned char *endpoints, int num_endpoints)
{
    (void)dev_handle, (void)num_streams, (void)endpoints, (void)num_endpoints;
    return LIBUSB_ERROR_NOT_SUPPORTED;
}

API int LIBUSB_CALL libusb_free_streams(libusb_device_handle *dev_handle, unsigned char *endpoints, int num_endpoints)
{
    (void)dev_handle, (void)endpoints, (void)num_endpoints;
    return LIBUSB_ERROR_NOT_SUPPORTED;
}

/* Streams need bulk endpoints: every transfer is on stream 0. */
API void LIBUSB_CALL libusb_transfer_set_stream_id(struct libusb_transfer *transfer, uint32_t stream_id)
{
    (void)transfer, (void)stream_id;
}

API uint32_t LIBUSB_CALL libusb_transfer_get_stream_id(struct libusb_transfer *transfer)
{
    (void)transfer;
    return 0;
}

API unsigned char *LIBUSB_CALL libusb_dev_mem_alloc(libusb_device_handle *dev_handle, size_t length)
{
    (void)dev_handle, (void)length;
    return NULL;
}

API int LIBUSB_CALL libusb_dev_mem_free(libusb_device_handle *dev_handle, unsigned char *buffer, size_t length)
{
    (void)dev_handle, (void)buffer, (void)length;
    return LIBUSB_ERROR_NOT_SUPPORTED;
}

API int LIBUSB_CALL libusb_wrap_sys_device(libusb_context *ctx, intptr_t sys_dev, libusb_device_handle **dev_handle)
{
    (void)ctx, (void)sys_dev;
    if (dev_handle)
        *dev_handle = NULL;
    return LIBUSB_ERROR_NOT_SUPPORTED;
}

/* ---- BOS descriptors ------------------------------------------------------ */

API int LIBUSB_CALL libusb_get_bos_descriptor(libusb_device_handle *dev_handle, struct libusb_bos_descriptor **bos)
{
    (void)dev_handle;
    if (bos)
        *bos = NULL;
    return LIBUSB_ERROR_NOT_SUPPORTED;
}

API void LIBUSB_CALL libusb_free_bos_descriptor(struct libusb_bos_descriptor *bos)
{
    free(bos);
}

API int LIBUSB_CALL libusb_get_usb_2_0_extension_descriptor(
    libusb_context *ctx, struct libusb_bos_dev_capability_descriptor *dev_cap,
    struct libusb_usb_2_0_extension_descriptor **usb_2_0_extension)
{
    (void)ctx, (void)dev_cap;
    if (usb_2_0_extension)
        *usb_2_0_extension = NULL;
    return LIBUSB_ERROR_NOT_SUPPORTED;
}

API void LIBUSB_CALL libusb_free_usb_2_0_extension_descriptor(
    struct libusb_usb_2_0_extension_descriptor *usb_2_0_extension)
{
    free(usb_2_0_extension);
}

API int LIBUSB_CALL libusb_get_ss_usb_device_capability_descriptor(
    libusb_context *ctx, struct libusb_bos_dev_capability_descriptor *dev_cap,
    struct libusb_ss_usb_device_capability_descriptor **ss_usb_device_cap)
{
    (void)ctx, (void)dev_cap;
    if (ss_usb_device_cap)
        *ss_usb_device_cap = NULL;
    return LIBUSB_ERROR_NOT_SUPPORTED;
}

API void LIBUSB_CALL libusb_free_ss_usb_device_capability_descriptor(
    struct libusb_ss_usb_device_capability_descriptor *ss_usb_device_cap)
{
    free(ss_usb_device_cap);
}

API int LIBUSB_CALL libusb_get_container_id_descriptor(libusb_context *ctx,
                                                       struct libusb_bos_dev_capability_descriptor *dev_cap,
                                                       struct libusb_container_id_descriptor **container_id)
{
    (void)ctx, (void)dev_cap;
    if (container_id)
        *container_id = NULL;
    return LIBUSB_ERROR_NOT_SUPPORTED;
}

API void LIBUSB_CALL libusb_free_container_id_descriptor(struct libusb_container_id_descriptor *container_id)
{
    free(container_id);
}

/* SuperSpeed only; the boards are full speed. */
API int LIBUSB_CALL libusb_get_ss_endpoint_companion_descriptor(
    libusb_context *ctx, const struct libusb_endpoint_descriptor *endpoint,
    struct libusb_ss_endpoint_companion_descriptor **ep_comp)
{
    (void)ctx, (void)endpoint;
    if (ep_comp)
        *ep_comp = NULL;
    return LIBUSB_ERROR_NOT_SUPPORTED;
}

API void LIBUSB_CALL libusb_free_ss_endpoint_companion_descriptor(struct libusb_ss_endpoint_companion_descriptor *ep_comp)
{
    free(ep_comp);
}

/* ---- hotplug and polling ---------------------------------------------------- */

/* libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG) is 0: a program asks the
 * device list again instead. */
API int LIBUSB_CALL libusb_hotplug_register_callback(libusb_context *ctx, int events, int flags, int vendor_id,
                                                     int product_id, int dev_class, libusb_hotplug_callback_fn cb_fn,
                                                     void *user_data, libusb_hotplug_callback_handle *callback_handle)
{
    (void)ctx, (void)events, (void)flags, (void)vendor_id, (void)product_id, (void)dev_class, (void)cb_fn,
        (void)user_data;
    if (callback_handle)
        *callback_handle = 0;
    return LIBUSB_ERROR_NOT_SUPPORTED;
}

API void LIBUSB_CALL libusb_hotplug_deregister_callback(libusb_context *ctx,
                                                        libusb_hotplug_callback_handle callback_handle)
{
    (void)ctx, (void)callback_handle;
}

API void *LIBUSB_CALL libusb_hotplug_get_user_data(libusb_context *ctx, libusb_hotplug_callback_handle callback_handle)
{
    (void)ctx, (void)callback_handle;
    return NULL;
}

/* Transfers complete inside libusb_submit_transfer; no descriptor would
 * ever become readable, so there are none to poll (NULL, as for a
 * platform that cannot provide them). */
API const struct libusb_pollfd **LIBUSB_CALL libusb_get_pollfds(libusb_context *ctx)
{
    (void)ctx;
    return NULL;
}

API void LIBUSB_CALL libusb_free_pollfds(const struct libusb_pollfd **pollfds)
{
    free((void *)pollfds);
}

API void LIBUSB_CALL libusb_set_pollfd_notifiers(libusb_context *ctx, libusb_pollfd_added_cb added_cb,
                                                 libusb_pollfd_removed_cb removed_cb, void *user_data)
{
    (void)ctx, (void)added_cb, (void)removed_cb, (void)user_data;
}

/* The messages of libusb_strerror() are English only. */
API int LIBUSB_CALL libusb_setlocale(const char *locale)
{
    if (!locale || strlen(locale) < 2)
        return LIBUSB_ERROR_INVALID_PARAM;
    return (locale[0] == 'e' || locale[0] == 'E') && (locale[1] == 'n' || locale[1] == 'N') &&
                   (locale[2] == '\0' || locale[2] == '_' || locale[2] == '-' || locale[2] == '.')
               ? LIBUSB_SUCCESS
               : LIBUSB_ERROR_NOT_FOUND;
}
