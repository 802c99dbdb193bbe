#!/usr/bin/env python3
"""Writes the boot fuzz target's seed corpus (format: fuzz_boot.c)."""
import os, struct

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "corpus")
os.makedirs(out, exist_ok=True)
PRI, SEC = 0, 4


def image(slot, body, ver=(1, 0, 0, 0), sec=1, good=1, seed=1, hdr64=0, flip=0xffff):
    return bytes([0 | slot, hdr64]) + struct.pack("<H", body) + bytes(ver) + bytes([sec, good, seed]) + \
        struct.pack("<H", flip)


def trailer(slot, magic=1, ok=0, done=0, info=0xff):
    return bytes([2 | slot, magic | (ok << 1) | (done << 2), info])


seeds = {
    "empty": bytes([0]),
    "primary-only": bytes([0]) + image(PRI, 1000),
    "test-swap": bytes([0]) + image(PRI, 1000) + image(SEC, 1500, (2, 0, 0, 0), seed=2) + trailer(SEC),
    "perm-swap": bytes([0]) + image(PRI, 800) + image(SEC, 900, (1, 1, 0, 0), seed=3) + trailer(SEC, ok=1),
    "bad-secondary": bytes([0]) + image(PRI, 800) + image(SEC, 900, seed=4, good=0) + trailer(SEC),
    "flipped-secondary": bytes([0]) + image(PRI, 800) + image(SEC, 900, seed=4, flip=100) + trailer(SEC),
    "downgrade": bytes([1]) + image(PRI, 800, (2, 0, 0, 0)) + image(SEC, 900, (1, 0, 0, 0), seed=5) + trailer(SEC),
    "downgrade-seccnt": bytes([3]) + image(PRI, 800, sec=5) + image(SEC, 900, sec=4, seed=5) + trailer(SEC),
    "powercut-swap": bytes([0x40]) + struct.pack("<HH", 7, 20) + image(PRI, 3000) +
    image(SEC, 3500, (2, 0, 0, 0), seed=6) + trailer(SEC),
    "torn-cut": bytes([0xa0]) + struct.pack("<H", 11) + image(PRI, 3000) + image(SEC, 2000, seed=7) + trailer(SEC),
    "revert": bytes([0]) + image(PRI, 1000, (2, 0, 0, 0)) + image(SEC, 1000, seed=8) +
    trailer(PRI, magic=1, ok=0, done=1, info=0x02),
    "align16": bytes([0x10]) + image(PRI, 1000) + image(SEC, 1200, (1, 2, 0, 0), seed=9) + trailer(SEC),
}
for name, data in seeds.items():
    open(os.path.join(out, name + ".bin"), "wb").write(data)
print(len(seeds), "seeds in", out)
