/* Shared by the files of the libusb-1.0 replacement: what is exported, and
 * the one lock every entry point holds while it runs. */
#ifndef DFUBOOT_PORT_POSIX_LIBUSB_LIBUSB_LOCK_H
#define DFUBOOT_PORT_POSIX_LIBUSB_LIBUSB_LOCK_H

/* Part of the libusb API (everything else stays inside the library). */
#define API __attribute__((visibility("default")))

/* Recursive: entry points call each other (open_device_with_vid_pid calls
 * get_device_list, set_interface_alt_setting calls control_transfer). */
int libusb_api_lock(void);
void libusb_api_unlock(int *token);

/* Takes the lock until the end of the enclosing block, whichever return
 * leaves it. */
#define API_LOCK() int api_lock_token_ __attribute__((cleanup(libusb_api_unlock), unused)) = libusb_api_lock()

#endif
