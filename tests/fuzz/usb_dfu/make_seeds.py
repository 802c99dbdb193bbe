#!/usr/bin/env python3
"""Writes the seed corpus of the usb_dfu fuzz target (see fuzz_usb_dfu.c for
the input format): dfu-util's download, upload and detach sequences, a
descriptor walk, and an error with CLRSTATUS recovery."""
import os, struct

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "corpus")
os.makedirs(out, exist_ok=True)
DETACH, DNLOAD, UPLOAD, GETSTATUS, CLRSTATUS, GETSTATE, ABORT = range(7)


def dfu(req, value=0, length=0, data=b""):
    return bytes([1, req]) + struct.pack("<HH", value, length) + data


def raw(bm, req, value, index, length, data=b"", cut=0xffff):
    b = bytes([0, bm, req]) + struct.pack("<HHH", value, index, length)
    if not (bm & 0x80) and length:
        b += struct.pack("<H", cut) + data
    return b


alt = lambda a: bytes([2, a])
reset = bytes([3])
wait = lambda ms: bytes([4]) + struct.pack("<H", ms)
poll = bytes([7])


def download(blocks, size):
    s = b""
    for i in range(blocks):
        s += dfu(DNLOAD, i, size, bytes((i * 13 + j) & 0xff for j in range(size))) + poll
    return s + dfu(DNLOAD, blocks, 0) + poll + poll + poll


seeds = {
    # DFU mode, 64-byte transfers: download 3 blocks and manifest
    "dl-dfumode": bytes([0x10, 0x00]) + alt(1) + download(3, 64),
    # tolerant + upload, 256-byte transfers, DNBUSY path
    "dl-dnbusy": bytes([0x51, 0x01]) + alt(1) + download(2, 256),
    # run time: GETSTATUS, DETACH, reset, download, reboot after manifest
    "runtime-detach": bytes([0x04, 0x00]) + dfu(GETSTATUS, 0, 6) + dfu(DETACH, 1000) + wait(10) + reset +
    alt(1) + download(2, 64) + reset,
    # upload of slot0 then slot1
    "upload": bytes([0x11, 0x00]) + alt(0) + b"".join(dfu(UPLOAD, i, 64) for i in range(4)) + dfu(ABORT) +
    alt(1) + dfu(UPLOAD, 0, 64) + dfu(GETSTATE, 0, 1),
    # upload disabled: UPLOAD refused, CLRSTATUS
    "upload-off": bytes([0x10, 0x00]) + alt(0) + dfu(UPLOAD, 0, 64) + poll + dfu(CLRSTATUS) + dfu(GETSTATE, 0, 1),
    # descriptors and chapter 9
    "chapter9": bytes([0x00, 0x00]) + raw(0x80, 6, 0x0100, 0, 18) + raw(0x80, 6, 0x0200, 0, 255) +
    raw(0x80, 6, 0x0300, 0, 255) + raw(0x80, 6, 0x0302, 0x0409, 255) + raw(0x00, 5, 7, 0, 0) +
    raw(0x00, 9, 1, 0, 0) + raw(0x80, 8, 0, 0, 1) + raw(0x81, 10, 0, 1, 1) + raw(0x80, 0, 0, 0, 2),
    # a download cut by a disconnect mid data stage, then a full one
    "dl-cut": bytes([0x10, 0x03]) + alt(1) + dfu(DNLOAD, 0, 4096, bytes(4096)) + poll +
    raw(0x21, DNLOAD, 1, 0, 4096, bytes(100), cut=100) + reset + alt(1) + download(2, 4096),
    # errors: block gap, past the end with offset, CLRSTATUS
    "errors": bytes([0x90, 0x03]) + alt(1) + dfu(DNLOAD, 0, 64, bytes(64)) + poll + dfu(DNLOAD, 5, 64, bytes(64)) +
    poll + dfu(CLRSTATUS) + b"".join(dfu(DNLOAD, i, 4096, bytes(4096)) + poll for i in range(5)),
}
for name, data in seeds.items():
    open(os.path.join(out, name + ".bin"), "wb").write(data)
print(len(seeds), "seeds in", out)
