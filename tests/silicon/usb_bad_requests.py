#!/usr/bin/python3
"""Bad control requests to the DFU device, through pyusb and the
libusb-over-USB/IP library: each must be refused with a STALL (pyusb's
USBError, errno EPIPE) and leave the device answering. Used by the tests on
the emulated chip, where they cross the UART link to the Thumb firmware.

  usb_bad_requests.py --lib PATH
Exit status: 0 every request refused and the device still fine, 1 not.
"""
import argparse
import errno
import sys

import usb.backend.libusb1
import usb.core

OUT_STD_DEV, IN_STD_DEV = 0x00, 0x80
OUT_CLASS_ITF, IN_CLASS_ITF = 0x21, 0xA1
DFU_DNLOAD, DFU_UPLOAD, DFU_GETSTATUS = 1, 2, 3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", required=True)
    args = ap.parse_args()
    backend = usb.backend.libusb1.get_backend(find_library=lambda _: args.lib)
    dev = usb.core.find(idVendor=0x1209, backend=backend)
    if dev is None:
        print("no device 1209:xxxx", file=sys.stderr)
        return 1
    bad = [
        # (what, bmRequestType, bRequest, wValue, wIndex, data or wLength)
        ("SET_ADDRESS with a 64-byte data stage", OUT_STD_DEV, 5, 7, 0, bytes(64)),
        ("SET_CONFIGURATION 9 (there is one)", OUT_STD_DEV, 9, 9, 0, None),
        ("GET_DESCRIPTOR of an unknown type 0x77", IN_STD_DEV, 6, 0x7700, 0, 64),
        ("GET_DESCRIPTOR string index 200", IN_STD_DEV, 6, 0x03C8, 0x0409, 255),
        ("unknown standard request 0x33", IN_STD_DEV, 0x33, 0, 0, 8),
        ("DFU_GETSTATUS addressed to the device, not the interface", 0xA0, DFU_GETSTATUS, 0, 0, 6),
        ("unknown DFU request 0x42", OUT_CLASS_ITF, 0x42, 0, 0, None),
        ("DFU_UPLOAD in run-time mode", IN_CLASS_ITF, DFU_UPLOAD, 0, 0, 1024),
        ("DFU_DNLOAD in run-time mode", OUT_CLASS_ITF, DFU_DNLOAD, 0, 0, bytes(16)),
    ]
    failed = 0
    for what, rt, req, value, index, data in bad:
        try:
            dev.ctrl_transfer(rt, req, value, index, data, 5000)
            print("FAIL: accepted: %s" % what)
            failed += 1
        except usb.core.USBError as e:
            if e.errno == errno.EPIPE:
                print("ok: stalled: %s" % what)
            else:
                print("FAIL: %s: %s (not a STALL)" % (what, e))
                failed += 1
    # the device is unharmed: its device descriptor and its DFU status
    desc = dev.ctrl_transfer(IN_STD_DEV, 6, 0x0100, 0, 18, 5000)
    if len(desc) != 18 or desc[1] != 1:
        print("FAIL: the device descriptor after the bad requests: %r" % bytes(desc))
        failed += 1
    else:
        print("ok: the device descriptor is intact afterwards")
    st = dev.ctrl_transfer(IN_CLASS_ITF, DFU_GETSTATUS, 0, 0, 6, 5000)
    if len(st) != 6 or st[0] != 0:
        print("FAIL: DFU_GETSTATUS afterwards: %r" % bytes(st))
        failed += 1
    else:
        print("ok: DFU_GETSTATUS answers afterwards (state %d, status OK)" % st[4])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
