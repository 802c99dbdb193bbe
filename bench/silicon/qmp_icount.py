#!/usr/bin/env python3
"""Prints QEMU's guest instruction count (QMP query-replay's "icount": the
instructions the guest has executed; with -icount it is exact).

    qmp_icount.py QMP_SOCKET
"""
import json
import socket
import sys


def main():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    f = s.makefile("rw")
    json.loads(f.readline())  # the greeting
    for cmd in ("qmp_capabilities", "query-replay"):
        f.write(json.dumps({"execute": cmd}) + "\n")
        f.flush()
        while True:
            msg = json.loads(f.readline())
            if "return" in msg or "error" in msg:
                break
        if "error" in msg:
            sys.exit("qmp: %s: %s" % (cmd, msg["error"]))
    print(msg["return"]["icount"])


if __name__ == "__main__":
    main()
