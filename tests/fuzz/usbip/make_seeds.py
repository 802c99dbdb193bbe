#!/usr/bin/env python3
"""Writes the usbip fuzz target's seed corpus (format: fuzz_usbip.c)."""
import os, struct

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "corpus")
os.makedirs(out, exist_ok=True)


def conn(c): return bytes([1, c])
def close(c): return bytes([2, c])
def half(c): return bytes([3, c])
def poll(): return bytes([4, 0])
def imp(c): return bytes([5, c])
def devlist(c): return bytes([7, c])
def raw(c, data): return bytes([0, c]) + struct.pack("<H", len(data)) + data


def submit(c, seq, direction, length, setup, ep=0):
    return bytes([6, c, seq, direction | (ep << 1)]) + struct.pack("<H", length) + setup


def setup(bm, req, val, idx, ln): return struct.pack("<BBHHH", bm, req, val, idx, ln)


seeds = {
    "devlist": conn(0) + devlist(0) + poll(),
    "import-descriptors": conn(0) + imp(0) + submit(0, 1, 1, 18, setup(0x80, 6, 0x100, 0, 18)) +
    submit(0, 2, 1, 255, setup(0x80, 6, 0x200, 0, 255)) + submit(0, 3, 0, 0, setup(0, 9, 1, 0, 0)) + poll(),
    "dfu-download": conn(0) + imp(0) + submit(0, 1, 0, 0, setup(0x01, 11, 1, 0, 0)) +
    submit(0, 2, 0, 64, setup(0x21, 1, 0, 0, 64)) + raw(0, bytes(range(64))) +
    submit(0, 3, 1, 6, setup(0xA1, 3, 0, 0, 6)) + submit(0, 4, 0, 0, setup(0x21, 1, 1, 0, 0)) +
    submit(0, 5, 1, 6, setup(0xA1, 3, 0, 0, 6)) + poll(),
    "two-clients": conn(0) + conn(1) + imp(0) + imp(1) + submit(1, 1, 1, 18, setup(0x80, 6, 0x100, 0, 18)) +
    close(0) + imp(1) + submit(1, 1, 1, 18, setup(0x80, 6, 0x100, 0, 18)) + poll(),
    "cut-mid-urb": conn(0) + imp(0) + submit(0, 1, 0, 4096, setup(0x21, 1, 0, 0, 4096)) + raw(0, bytes(100)) +
    close(0) + conn(2) + imp(2) + poll(),
    "garbage-lengths": conn(0) + raw(0, bytes.fromhex("01118003000000") + b"1-1" + bytes(29)) +
    raw(0, struct.pack(">IIIIIIIIII", 1, 1, 0, 0, 0, 0, 0xfffffff0, 0, 0, 0) + bytes(8)) + poll(),
    "half-close": conn(3) + imp(3) + half(3) + poll() + conn(1) + devlist(1),
}
for name, data in seeds.items():
    open(os.path.join(out, name + ".bin"), "wb").write(data)
print(len(seeds), "seeds in", out)
