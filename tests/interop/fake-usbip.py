#!/usr/bin/env python3
"""A tiny USB/IP server (protocol 0x0111) that exports one made-up full-speed
device, bus id 1-1, 1209:0001, with a DFU runtime interface (0xFE/0x01/0x01).

DFU_DETACH switches it to DFU mode as a device with bitWillDetach that drops
its USB/IP connection does: the reply goes out, the connection closes, and the
export comes back with a DFU-mode interface (0xFE/0x01/0x02, alt 0 "image_0",
alt 1 "image_1"). It answers DFU_GETSTATUS and DFU_GETSTATE, and DFU_UPLOAD
with an empty image; it stores no firmware. It is not the board: it exists to prove the VM machinery (forwarding, one host
connection per guest connection, usbip list, usbip attach, enumeration by the
guest kernel, libusb in dfu-util/lsusb) without our device. It logs every
operation and control request, one per line, to --log.

--corrupt config-length  announces a wTotalLength that is 2 bytes longer than
                         the configuration descriptor it returns, so the guest
                         kernel must refuse to configure the device.
"""
import argparse
import socket
import socketserver
import struct
import sys
import threading

VERSION = 0x0111
OP_REQ_DEVLIST, OP_REP_DEVLIST = 0x8005, 0x0005
OP_REQ_IMPORT, OP_REP_IMPORT = 0x8003, 0x0003
CMD_SUBMIT, CMD_UNLINK, RET_SUBMIT, RET_UNLINK = 1, 2, 3, 4
BUSID = b"1-1"
VID, PID = 0x1209, 0x0001
EPIPE = -32


def string_desc(s):
    data = s.encode("utf-16-le")
    return bytes([2 + len(data), 3]) + data


DEVICE = struct.pack("<BBHBBBBHHHBBBB", 18, 1, 0x0200, 0, 0, 0, 64, VID, PID, 0x0100, 1, 2, 3, 1)
INTERFACE = bytes([9, 4, 0, 0, 0, 0xFE, 0x01, 0x01, 4])
DFU_FUNCTIONAL = struct.pack("<BBBHHH", 9, 0x21, 0x0D, 1000, 1024, 0x0110)
STRINGS = {
    0: bytes([4, 3, 0x09, 0x04]),
    1: string_desc("dfuboot test"),
    2: string_desc("fake usbip device"),
    3: string_desc("FAKE0001"),
    4: string_desc("fake runtime"),
    5: string_desc("image_0"),
    6: string_desc("image_1"),
}


def config_desc(corrupt, mode):
    if mode == "dfu":
        body = (bytes([9, 4, 0, 0, 0, 0xFE, 0x01, 0x02, 5]) + bytes([9, 4, 0, 1, 0, 0xFE, 0x01, 0x02, 6])
                + DFU_FUNCTIONAL)
    else:
        body = INTERFACE + DFU_FUNCTIONAL
    total = 9 + len(body) + (2 if corrupt == "config-length" else 0)
    return struct.pack("<BBHBBBBB", 9, 2, total, 1, 1, 0, 0x80, 50) + body


def device_record(mode):
    rec = b"/sys/devices/fake/usb1/1-1".ljust(256, b"\0") + BUSID.ljust(32, b"\0")
    rec += struct.pack(">III", 1, 2, 2)  # busnum, devnum, speed (full)
    rec += struct.pack(">HHHBBBBBB", VID, PID, 0x0100, 0, 0, 0, 1, 1, 1)
    return rec


def interface_record(mode):
    return bytes([0xFE, 0x01, 0x02 if mode == "dfu" else 0x01, 0])


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


class Handler(socketserver.BaseRequestHandler):
    def log(self, msg):
        with self.server.log_lock:
            self.server.log.write(msg + "\n")
            self.server.log.flush()

    def handle(self):
        sock = self.request
        try:
            version, code, _status = struct.unpack(">HHI", recv_exact(sock, 8))
            if version != VERSION:
                self.log(f"bad-version {version:#06x}")
                return
            if code == OP_REQ_DEVLIST:
                self.log("devlist")
                mode = self.server.mode
                sock.sendall(struct.pack(">HHII", VERSION, OP_REP_DEVLIST, 0, 1) + device_record(mode)
                             + interface_record(mode))
            elif code == OP_REQ_IMPORT:
                busid = recv_exact(sock, 32).rstrip(b"\0")
                self.log(f"import {busid.decode(errors='replace')}")
                with self.server.import_lock:
                    refuse = 1 if busid != BUSID else 2 if self.server.imported else 0
                    self.server.imported = not refuse
                if refuse:  # 1: no such device, 2: already imported (as the board)
                    self.log(f"refused {refuse}")
                    sock.sendall(struct.pack(">HHI", VERSION, OP_REP_IMPORT, refuse))
                    return
                try:
                    sock.sendall(struct.pack(">HHI", VERSION, OP_REP_IMPORT, 0) + device_record(self.server.mode))
                    self.urbs(sock)
                finally:
                    self.server.imported = False
            else:
                self.log(f"bad-op {code:#06x}")
        except (EOFError, ConnectionError):
            pass

    def urbs(self, sock):
        self.detach = False
        while True:
            hdr = recv_exact(sock, 48)
            command, seqnum, devid, direction, ep = struct.unpack(">IIIII", hdr[:20])
            if command == CMD_UNLINK:
                self.log(f"unlink {struct.unpack('>I', hdr[20:24])[0]}")
                sock.sendall(struct.pack(">IIIIIi", RET_UNLINK, seqnum, devid, direction, ep, 0) + bytes(24))
                continue
            if command != CMD_SUBMIT:
                self.log(f"bad-command {command}")
                return
            _flags, length, _sf, _npk, _interval = struct.unpack(">IiIiI", hdr[20:40])
            setup = hdr[40:48]
            out = recv_exact(sock, length) if direction == 0 and length > 0 else b""
            status, data = self.control(ep, setup, length, out)
            data = data[:length] if direction == 1 else b""
            actual = len(data) if direction == 1 else (len(out) if status == 0 else 0)
            sock.sendall(struct.pack(">IIIIIiiiii", RET_SUBMIT, seqnum, 0, 0, 0, status, actual, 0, 0, 0)
                         + bytes(8) + data)
            if self.detach:
                self.log("drop (detach)")
                self.server.mode = "dfu"
                sock.shutdown(socket.SHUT_RDWR)
                return

    def control(self, ep, setup, length, out):
        if ep != 0:
            self.log(f"ep{ep} stall")
            return EPIPE, b""
        rt, req, value, index, wlen = struct.unpack("<BBHHH", setup)
        self.log(f"ctrl {rt:02x} {req:02x} {value:04x} {index:04x} {wlen}")
        if rt == 0x80 and req == 6:  # GET_DESCRIPTOR
            kind, idx = value >> 8, value & 0xFF
            if kind == 1:
                return 0, DEVICE
            if kind == 2 and idx == 0:
                return 0, config_desc(self.server.corrupt, self.server.mode)
            if kind == 3 and idx in STRINGS:
                return 0, STRINGS[idx]
            return EPIPE, b""
        if rt == 0x80 and req == 0:  # GET_STATUS
            return 0, b"\0\0"
        if rt == 0x00 and req in (5, 9):  # SET_ADDRESS, SET_CONFIGURATION
            return 0, b""
        if rt == 0x01 and req == 11:  # SET_INTERFACE
            return 0, b""
        dfu_mode = self.server.mode == "dfu"
        if rt == 0x21 and req == 0 and not dfu_mode:  # DFU_DETACH
            self.detach = True
            return 0, b""
        if rt == 0xA1 and req == 3:  # DFU_GETSTATUS: OK, appIDLE or dfuIDLE
            return 0, bytes([0, 0, 0, 0, 2 if dfu_mode else 0, 0])
        if rt == 0xA1 and req == 2 and dfu_mode:  # DFU_UPLOAD: an empty image
            return 0, b""
        if rt == 0xA1 and req == 5:  # DFU_GETSTATE
            return 0, bytes([2 if dfu_mode else 0])
        return EPIPE, b""


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port-file", required=True, help="write the listening port here")
    ap.add_argument("--log", required=True)
    ap.add_argument("--corrupt", choices=["config-length"])
    args = ap.parse_args()
    server = Server(("127.0.0.1", 0), Handler)
    server.log = open(args.log, "a", encoding="utf-8")
    server.log_lock = threading.Lock()
    server.corrupt = args.corrupt
    server.mode = "runtime"
    server.imported = False
    server.import_lock = threading.Lock()
    with open(args.port_file + ".tmp", "w", encoding="ascii") as f:
        f.write(f"{server.server_address[1]}\n")
    import os
    os.replace(args.port_file + ".tmp", args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
