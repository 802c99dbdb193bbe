/* Included (compiler option -include) into the board runtime's build of
 * the USB/IP controller. The runtime is a shared library; the device core
 * whose event entry points (usb/usb_dc.h) the controller calls is in the
 * firmware that loads it. Firmware that never enables USB has no device
 * core, so the references are weak: such firmware still loads, and never
 * reaches them (no controller is opened without board_usb_controller()). */
#pragma weak usbd_bus_reset
#pragma weak usbd_setup
#pragma weak usbd_ep0_out
#pragma weak usbd_status_done
