#!/usr/bin/python3
"""A UART line that damages what it carries: relays bytes between the
chip's UART socket (vboard run --uart-socket) and a bridge
(uart-usb-bridge --uart unix:LISTEN), injecting faults both ways from a
seeded random generator:
  - towards the chip: garbage bursts (any byte values, frame markers
    included) anywhere, and flipped bits;
  - towards the host: flipped bits and garbage bursts inside link frames
    (between START 0xC0 and END 0xC1, the markers themselves kept). Bytes
    outside frames are console text by the protocol's design: a fault there,
    or a START destroyed (the frame then reads as text), is
    indistinguishable from text on the console and is not what this line
    tests; the bridge's resend after a quiet line covers the lost reply.
Prints its counts on exit (SIGTERM) as `relay: <direction> <kind> <n>`.

  uart_noise_relay.py --connect CHIP_SOCKET --listen BRIDGE_SOCKET
                      [--seed N] [--every BYTES]
--every: one fault per that many bytes on average (default 1500).
"""
import argparse
import os
import random
import select
import signal
import socket
import sys
import time

START, END = 0xC0, 0xC1

counts = {}


def count(key):
    counts[key] = counts.get(key, 0) + 1


def report(*_):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    for k in sorted(counts):
        print("relay: %s %d" % (k, counts[k]), flush=True)
    sys.exit(0)


class Damager:
    def __init__(self, rng, every, name, frames_only):
        self.rng, self.every, self.name, self.frames_only = rng, every, name, frames_only
        self.in_frame = False

    def garbage(self):
        return bytes(self.rng.choice((START, END, 0xDB, self.rng.randrange(256)))
                     for _ in range(self.rng.randrange(1, 12)))

    def feed(self, data):
        out = bytearray()
        for b in data:
            marker = b == START or b == END
            if b == START:
                self.in_frame = True
            eligible = not self.frames_only or (self.in_frame and not marker)
            if eligible and self.rng.randrange(self.every) == 0:
                if self.rng.randrange(2):
                    b ^= 1 << self.rng.randrange(8)
                    count(self.name + " bit-flips")
                else:
                    out += self.garbage()
                    count(self.name + " garbage-bursts")
            if b == END:
                self.in_frame = False
            out.append(b)
        return bytes(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--connect", required=True)
    ap.add_argument("--listen", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--every", type=int, default=1500)
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, report)
    rng = random.Random(a.seed)
    # the chip's side first (vboard creates it), then wait for the bridge
    chip = socket.socket(socket.AF_UNIX)
    for _ in range(6000):
        try:
            chip.connect(a.connect)
            break
        except OSError:
            time.sleep(0.01)
    else:
        print("relay: cannot connect to %s" % a.connect, file=sys.stderr)
        return 1
    if os.path.exists(a.listen):
        os.unlink(a.listen)
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(a.listen)
    srv.listen(1)
    host, _ = srv.accept()
    to_chip = Damager(rng, a.every, "to-chip", frames_only=False)
    to_host = Damager(rng, a.every, "to-host", frames_only=True)
    while True:
        r, _, _ = select.select([chip, host], [], [])
        for s in r:
            data = s.recv(4096)
            if not data:
                report()
            if s is chip:
                host.sendall(to_host.feed(data))
            else:
                chip.sendall(to_chip.feed(data))


if __name__ == "__main__":
    sys.exit(main())
