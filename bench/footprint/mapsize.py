#!/usr/bin/env python3
"""Sizes per input object from a GNU ld map file (after --gc-sections).

  mapsize.py MAP  -> lines "object text data bss rodata": text = the input
                     sections placed in the output .text, .rodata and
                     .ARM.exidx (what arm-none-eabi-size calls text);
                     rodata = the .rodata part of it,
                     objects named like libdfuboot_core.a:usbd.c.obj
                     (archive members) or boot_root.o

Only input sections that were kept (listed under "Linker script and memory
map") are counted; discarded ones are listed earlier in the file."""
import re
import sys
from collections import defaultdict


def main():
    lines = open(sys.argv[1]).read().splitlines()
    try:
        start = next(i for i, l in enumerate(lines) if l.startswith("Linker script and memory map"))
    except StopIteration:
        sys.exit("no memory map in " + sys.argv[1])
    sizes = defaultdict(lambda: [0, 0, 0, 0])
    pending = None
    sec_re = re.compile(r"^ (\.[\w.$]+|COMMON)\s*(0x[0-9a-f]+\s+0x[0-9a-f]+\s+\S.*)?$")
    loc_re = re.compile(r"^\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(\S.*)$")
    out_re = re.compile(r"^(\.[\w.]+)(\s|$)")
    kind = None
    is_ro = False
    for l in lines[start:]:
        mo = out_re.match(l)
        if mo:  # an output section: decides how its input sections count
            o = mo.group(1)
            kind = {".text": 0, ".rodata": 0, ".ARM.exidx": 0, ".data": 1, ".bss": 2}.get(o)
            is_ro = o == ".rodata"
            pending = None
            continue
        if kind is None:
            continue
        m = sec_re.match(l)
        rest = None
        if m:
            pending = m.group(1)
            rest = m.group(2)
            if rest is None:
                continue
        elif pending is not None:
            rest = l
        else:
            continue
        m2 = loc_re.match(" " + rest)
        name = pending
        pending = None
        if not m2:
            continue
        size = int(m2.group(2), 16)
        obj = m2.group(3).strip()
        mo = re.match(r"^(.*)\(([^)]+)\)$", obj)
        obj = mo.group(1).rsplit("/", 1)[-1] + ":" + mo.group(2) if mo else obj.rsplit("/", 1)[-1]
        sizes[obj][kind] += size
        if is_ro:
            sizes[obj][3] += size
    for obj, (t, d, b, r) in sorted(sizes.items()):
        print(obj.replace(" ", "_"), t, d, b, r)


if __name__ == "__main__":
    main()
