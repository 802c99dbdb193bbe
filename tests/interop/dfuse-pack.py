#!/usr/bin/env python3
"""Wraps a binary into a DfuSe file (ST UM0391 file format: "DfuSe" prefix,
one "Target" for the given alternate setting with one element, DFU suffix
with bcdDFU 0x011A and the DFU CRC). fwupd's dfu plugin takes the alternate
setting to write from the target of such a file; a plain binary always goes
to alt 0. The device protocol stays plain DFU 1.1 (the functional
descriptor says 0x0110), the file is only the container.

  dfuse-pack.py --alt N [--name NAME] [--vid V] [--pid P] INPUT OUTPUT
"""
import argparse
import struct
import zlib


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--alt", type=int, required=True)
    ap.add_argument("--name", default="")
    ap.add_argument("--address", type=lambda s: int(s, 0), default=0)
    ap.add_argument("--vid", type=lambda s: int(s, 0), default=0xFFFF)
    ap.add_argument("--pid", type=lambda s: int(s, 0), default=0xFFFF)
    ap.add_argument("input")
    ap.add_argument("output")
    a = ap.parse_args()
    data = open(a.input, "rb").read()
    element = struct.pack("<II", a.address, len(data)) + data
    name = a.name.encode()[:254]
    target = (b"Target" + struct.pack("<BI", a.alt, 1 if name else 0) + name.ljust(255, b"\0")
              + struct.pack("<II", len(element), 1) + element)
    body = b"DfuSe" + struct.pack("<BIB", 1, 11 + len(target), 1) + target
    suffix = struct.pack("<HHHH", 0xFFFF, a.pid, a.vid, 0x011A) + b"UFD" + bytes([16])
    # DFU CRC: CRC-32 without the final inversion, over everything before it
    crc = zlib.crc32(body + suffix) ^ 0xFFFFFFFF
    open(a.output, "wb").write(body + suffix + struct.pack("<I", crc))


if __name__ == "__main__":
    main()
