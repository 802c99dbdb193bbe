#!/usr/bin/python3
"""A second, independent DFU 1.1 host: written from the USB DFU 1.1
specification on pyusb (Debian python3-usb), sharing no code with dfu-util
or with the device. The end-to-end tests run it against the virtual board
through the libusb-over-USB/IP library; it works the same on a real board
with the system's libusb.

  pyusb_dfu.py [--lib PATH] list
  pyusb_dfu.py [--lib PATH] detach
  pyusb_dfu.py [--lib PATH] attach [--wait]
  pyusb_dfu.py [--lib PATH] upload --alt N FILE
  pyusb_dfu.py [--lib PATH] download --alt N FILE [--abort-after BLOCKS]

--lib loads that libusb-1.0 shared library instead of the system's.
Exit status: 0 done, 1 the device refused or failed (message on stderr),
2 usage, 3 no DFU device found.
"""
import argparse
import sys
import time

import usb.backend.libusb1
import usb.core
import usb.util

# DFU 1.1 requests (spec 3, table 3.2); recipient interface, wIndex = interface.
DETACH, DNLOAD, UPLOAD, GETSTATUS, CLRSTATUS, GETSTATE, ABORT = range(7)
OUT = 0x21  # host to device, class, interface
IN = 0xA1  # device to host, class, interface

STATES = ["appIDLE", "appDETACH", "dfuIDLE", "dfuDNLOAD-SYNC", "dfuDNBUSY", "dfuDNLOAD-IDLE",
          "dfuMANIFEST-SYNC", "dfuMANIFEST", "dfuMANIFEST-WAIT-RESET", "dfuUPLOAD-IDLE", "dfuERROR"]
APP_IDLE, APP_DETACH, DFU_IDLE, DNLOAD_SYNC, DNBUSY, DNLOAD_IDLE = range(6)
MANIFEST_SYNC, MANIFEST, MANIFEST_WAIT_RESET, UPLOAD_IDLE, DFU_ERROR = range(6, 11)
STATUS = ["OK", "errTARGET", "errFILE", "errWRITE", "errERASE", "errCHECK_ERASED", "errPROG",
          "errVERIFY", "errADDRESS", "errNOTDONE", "errFIRMWARE", "errVENDOR", "errUSBR", "errPOR",
          "errUNKNOWN", "errSTALLEDPKT"]

FUNCTIONAL = 0x21  # DFU functional descriptor type (spec 4.1.3)
CAN_DNLOAD, CAN_UPLOAD, MANIFEST_TOLERANT, WILL_DETACH = 1, 2, 4, 8
TIMEOUT_MS = 5000


class DfuError(Exception):
    pass


def state_name(s):
    return STATES[s] if s < len(STATES) else "state %d" % s


def status_name(s):
    return STATUS[s] if s < len(STATUS) else "status %d" % s


class Functional:
    """The 9-byte functional descriptor (7 bytes in DFU 1.0)."""

    def __init__(self, raw):
        self.attributes = raw[2]
        self.detach_timeout = raw[3] | raw[4] << 8
        self.transfer_size = raw[5] | raw[6] << 8
        self.version = raw[7] | raw[8] << 8 if raw[0] >= 9 else 0x0100


def functional_of(cfg, number):
    """The functional descriptor of interface `number`: it follows the
    interface descriptor(s), so libusb hands it out as `extra` bytes of one
    of the alternate settings (usually the last one)."""
    for intf in cfg:
        if intf.bInterfaceNumber != number:
            continue
        extra = bytes(intf.extra_descriptors or b"")
        while len(extra) >= 2 and extra[0] >= 2:
            if extra[1] == FUNCTIONAL and extra[0] >= 7 and len(extra) >= extra[0]:
                return Functional(extra)
            extra = extra[extra[0]:]
    return None


class Device:
    def __init__(self, dev):
        self.dev = dev
        cfg = dev.get_active_configuration()
        self.alts = [i for i in cfg if i.bInterfaceClass == 0xFE and i.bInterfaceSubClass == 0x01]
        if not self.alts:
            raise DfuError("%04x:%04x has no DFU interface" % (dev.idVendor, dev.idProduct))
        self.interface = self.alts[0].bInterfaceNumber
        self.runtime = self.alts[0].bInterfaceProtocol == 0x01
        self.func = functional_of(cfg, self.interface)
        if self.func is None:
            raise DfuError("no DFU functional descriptor on interface %d" % self.interface)
        if not 1 <= self.func.transfer_size <= 4096:
            raise DfuError("wTransferSize %d is not usable" % self.func.transfer_size)

    def name(self, alt):
        if not alt.iInterface:
            return ""
        try:
            return usb.util.get_string(self.dev, alt.iInterface)
        except (usb.core.USBError, ValueError):
            return "?"

    # -- requests ----------------------------------------------------------
    def get_status(self):
        r = self.dev.ctrl_transfer(IN, GETSTATUS, 0, self.interface, 6, TIMEOUT_MS)
        if len(r) != 6:
            raise DfuError("GETSTATUS returned %d bytes, not 6" % len(r))
        return r[0], r[1] | r[2] << 8 | r[3] << 16, r[4]

    def get_state(self):
        r = self.dev.ctrl_transfer(IN, GETSTATE, 0, self.interface, 1, TIMEOUT_MS)
        if len(r) != 1:
            raise DfuError("GETSTATE returned %d bytes, not 1" % len(r))
        return r[0]

    def clear_status(self):
        self.dev.ctrl_transfer(OUT, CLRSTATUS, 0, self.interface, None, TIMEOUT_MS)

    def abort(self):
        self.dev.ctrl_transfer(OUT, ABORT, 0, self.interface, None, TIMEOUT_MS)

    def select(self, alt):
        numbers = [a.bAlternateSetting for a in self.alts]
        if alt not in numbers:
            raise DfuError("alt %d does not exist (the device has %s)" % (alt, ", ".join(map(str, numbers))))
        usb.util.claim_interface(self.dev, self.interface)
        self.dev.set_interface_altsetting(self.interface, alt)

    def idle(self):
        """Brings the device to dfuIDLE from wherever it is (spec 6.1.2)."""
        status, _, state = self.get_status()
        if state == DFU_ERROR:
            self.clear_status()
        elif state in (DNLOAD_IDLE, UPLOAD_IDLE, DNLOAD_SYNC, MANIFEST_SYNC):
            self.abort()
        status, _, state = self.get_status()
        if state != DFU_IDLE:
            raise DfuError("cannot bring the device to dfuIDLE: %s, %s" % (state_name(state), status_name(status)))

    def wait_while_busy(self):
        """GETSTATUS after each bwPollTimeout until the device leaves the
        busy states; returns (status, state)."""
        deadline = time.monotonic() + 60
        while True:
            status, poll_ms, state = self.get_status()
            if state not in (DNBUSY, DNLOAD_SYNC, MANIFEST, MANIFEST_SYNC) or status != 0:
                return status, state
            if time.monotonic() > deadline:
                raise DfuError("the device stays in %s" % state_name(state))
            time.sleep(poll_ms / 1000.0)

    # -- operations ------------------------------------------------------------
    def upload(self, alt):
        if not self.func.attributes & CAN_UPLOAD:
            raise DfuError("the device cannot upload (bitCanUpload is 0)")
        self.select(alt)
        self.idle()
        size = self.func.transfer_size
        data = bytearray()
        block = 0
        while True:
            chunk = self.dev.ctrl_transfer(IN, UPLOAD, block & 0xFFFF, self.interface, size, TIMEOUT_MS)
            data += bytes(chunk)
            block += 1
            if len(chunk) < size:  # a short frame ends the upload
                break
        status, _, state = self.get_status()
        if state != DFU_IDLE or status != 0:
            raise DfuError("after the upload: %s, %s" % (state_name(state), status_name(status)))
        return bytes(data)

    def download(self, alt, image, abort_after=None):
        """Sends the image; returns the final state. With abort_after, sends
        that many blocks, then ABORT, and checks that the device is idle."""
        if not self.func.attributes & CAN_DNLOAD:
            raise DfuError("the device cannot download (bitCanDnload is 0)")
        self.select(alt)
        self.idle()
        size = self.func.transfer_size
        blocks = [image[i:i + size] for i in range(0, len(image), size)]
        for n, chunk in enumerate(blocks):
            if abort_after is not None and n == abort_after:
                self.abort()
                state = self.get_state()
                if state != DFU_IDLE:
                    raise DfuError("after ABORT the device is in %s, not dfuIDLE" % state_name(state))
                return state
            try:
                self.dev.ctrl_transfer(OUT, DNLOAD, n & 0xFFFF, self.interface, chunk, TIMEOUT_MS)
            except usb.core.USBError as e:
                status, _, state = self.get_status()
                raise DfuError("block %d refused (%s): %s, %s" % (n, e, state_name(state), status_name(status)))
            status, state = self.wait_while_busy()
            if status != 0 or state != DNLOAD_IDLE:
                raise DfuError("after block %d: %s, %s" % (n, state_name(state), status_name(status)))
        # the zero-length DNLOAD: end of the image, manifestation follows
        self.dev.ctrl_transfer(OUT, DNLOAD, len(blocks) & 0xFFFF, self.interface, None, TIMEOUT_MS)
        if not self.func.attributes & MANIFEST_TOLERANT:
            # the device may go away now (spec 7: dfuMANIFEST-WAIT-RESET)
            try:
                status, state = self.wait_while_busy()
            except usb.core.USBError:
                return MANIFEST_WAIT_RESET
        else:
            status, state = self.wait_while_busy()
        if status != 0 or state not in (DFU_IDLE, MANIFEST_WAIT_RESET):
            raise DfuError("manifestation: %s, %s" % (state_name(state), status_name(status)))
        return state

    def detach(self):
        """Run-time mode to DFU mode (spec 5.1): DETACH, then a USB reset
        unless the device detaches itself."""
        if not self.runtime:
            raise DfuError("the device is already in DFU mode")
        usb.util.claim_interface(self.dev, self.interface)
        timeout = min(self.func.detach_timeout, 1000)
        self.dev.ctrl_transfer(OUT, DETACH, timeout, self.interface, None, TIMEOUT_MS)
        usb.util.release_interface(self.dev, self.interface)
        if not self.func.attributes & WILL_DETACH:
            try:
                self.dev.reset()
            except usb.core.USBError:
                pass  # it came back as another device: the DFU-mode one


def find(backend, want_dfu_mode=None, wait_s=0.0):
    """The first device with a DFU interface (in the wanted mode)."""
    deadline = time.monotonic() + wait_s
    while True:
        for dev in usb.core.find(find_all=True, backend=backend):
            try:
                d = Device(dev)
            except (DfuError, usb.core.USBError):
                continue
            if want_dfu_mode is None or want_dfu_mode != d.runtime:
                return d
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.1)


def came_back(backend, dfu_mode, wait_s):
    """Waits for the device in the mode it should have come back in; the
    exit status."""
    mode = "DFU" if dfu_mode else "run-time"
    d = find(backend, want_dfu_mode=dfu_mode, wait_s=wait_s)
    if d is None:
        print("pyusb_dfu: the device did not come back in %s mode" % mode, file=sys.stderr)
        return 1
    print("%s mode: %04x:%04x" % (mode, d.dev.idVendor, d.dev.idProduct))
    return 0


def main():
    ap = argparse.ArgumentParser(description="DFU 1.1 host on pyusb")
    ap.add_argument("--lib", help="libusb-1.0 shared library to use instead of the system's")
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list")
    sub.add_parser("detach")
    at = sub.add_parser("attach")
    at.add_argument("--wait", action="store_true", help="wait for the device in run-time mode")
    up = sub.add_parser("upload")
    up.add_argument("--alt", type=int, required=True)
    up.add_argument("file")
    dn = sub.add_parser("download")
    dn.add_argument("--alt", type=int, required=True)
    dn.add_argument("--abort-after", type=int, metavar="BLOCKS")
    dn.add_argument("file")
    args = ap.parse_args()

    backend = usb.backend.libusb1.get_backend(find_library=(lambda _: args.lib) if args.lib else None)
    if backend is None:
        print("pyusb_dfu: cannot load libusb-1.0%s" % (" from " + args.lib if args.lib else ""), file=sys.stderr)
        return 1
    try:
        if args.cmd == "list":
            found = 0
            for dev in usb.core.find(find_all=True, backend=backend):
                try:
                    d = Device(dev)
                except (DfuError, usb.core.USBError):
                    continue
                found += 1
                mode = "run-time" if d.runtime else "DFU"
                print("%04x:%04x %s mode, interface %d, DFU version %x.%02x, transfer size %d, attributes 0x%02x"
                      % (dev.idVendor, dev.idProduct, mode, d.interface, d.func.version >> 8,
                         d.func.version & 0xFF, d.func.transfer_size, d.func.attributes))
                for alt in d.alts:
                    print("  alt %d name \"%s\"" % (alt.bAlternateSetting, d.name(alt)))
            return 0 if found else 3

        if args.cmd == "detach":
            d = find(backend)
            if d is None:
                print("pyusb_dfu: no DFU device found", file=sys.stderr)
                return 3
            d.detach()
            return came_back(backend, dfu_mode=True, wait_s=10)

        d = find(backend, want_dfu_mode=True)
        if d is None:
            print("pyusb_dfu: no device in DFU mode (run detach first)", file=sys.stderr)
            return 3
        if args.cmd == "attach":
            # DFU mode to run-time mode (spec A.2, any DFU state: a USB reset
            # runs the firmware if it is valid), the way fwupd attaches
            try:
                d.dev.reset()
            except usb.core.USBError:
                pass  # it came back as another device, or is still rebooting
            print("USB reset sent")
            return came_back(backend, dfu_mode=False, wait_s=30) if args.wait else 0
        if args.cmd == "upload":
            data = d.upload(args.alt)
            with open(args.file, "wb") as f:
                f.write(data)
            print("uploaded %d bytes from alt %d" % (len(data), args.alt))
            return 0

        with open(args.file, "rb") as f:
            image = f.read()
        state = d.download(args.alt, image, args.abort_after)
        if args.abort_after is not None:
            print("aborted after %d blocks; the device is in %s" % (args.abort_after, state_name(state)))
        else:
            print("downloaded %d bytes to alt %d; the device is in %s" % (len(image), args.alt, state_name(state)))
        return 0
    except DfuError as e:
        print("pyusb_dfu: %s" % e, file=sys.stderr)
        return 1
    except usb.core.USBError as e:
        print("pyusb_dfu: USB error: %s" % e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
