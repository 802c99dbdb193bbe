#!/usr/bin/env python3
"""Prints the product string of a board's USB device, read through a
libusb-1.0 (the libusb-over-USB/IP library of the build) as a host would.
Usage: usb_product.py LIBUSB VID:PID. Exit 1 (nothing printed) when there is
no such device. The tests of both boards use it (tests/e2e/lib.sh,
tests/silicon/lib.sh)."""
import ctypes
import sys

lib = ctypes.CDLL(sys.argv[1])
vid, pid = (int(x, 16) for x in sys.argv[2].split(":"))
lib.libusb_open_device_with_vid_pid.restype = ctypes.c_void_p
lib.libusb_open_device_with_vid_pid.argtypes = [ctypes.c_void_p, ctypes.c_uint16, ctypes.c_uint16]
lib.libusb_get_string_descriptor_ascii.argtypes = [ctypes.c_void_p, ctypes.c_uint8, ctypes.c_char_p, ctypes.c_int]
lib.libusb_close.argtypes = [ctypes.c_void_p]
if lib.libusb_init(None) != 0:
    sys.exit(1)
h = lib.libusb_open_device_with_vid_pid(None, vid, pid)
if not h:
    sys.exit(1)
buf = ctypes.create_string_buffer(256)
n = lib.libusb_get_string_descriptor_ascii(h, 2, buf, 256)  # iProduct is string 2
lib.libusb_close(h)
print(buf.raw[:n].decode() if n > 0 else "")
