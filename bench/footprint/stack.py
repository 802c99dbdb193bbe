#!/usr/bin/env python3
"""Worst-case stack depth of a link, from GCC's -fcallgraph-info=su files.

  stack.py ROOT [--indirect CALLER_RE=TARGET_RE ...] [--never FUNC ...] CI_FILE...

Each .ci file gives every function's own frame ("N bytes (static)") and its
calls. The depth of a function is its frame plus the deepest of its callees.
Calls through a pointer (GCC's __indirect_call placeholder) are resolved by
the --indirect rules: a call from a function whose "file:line name"
matches CALLER_RE may reach any function whose name matches TARGET_RE (all
of them are assumed, which is the worst case). --never names a function
that is linked but cannot run (e.g. a branch on a constant argument). Functions without a .ci file (newlib,
libgcc) count 0 and are listed; a recursive call is cut and listed.
Prints "stack BYTES" and the deepest path."""
import re
import sys


def main():
    args = sys.argv[1:]
    root = args.pop(0)
    rules, files, never = [], [], set()
    while args:
        a = args.pop(0)
        if a == "--indirect":
            f, t = args.pop(0).split("=", 1)
            rules.append((re.compile(f), re.compile(t)))
        elif a == "--never":
            never.add(args.pop(0))
        else:
            files.append(a)
    frame, where, calls = {}, {}, {}
    node_re = re.compile(r'node: \{ title: "([^"]+)" label: "([^"]*)"')
    edge_re = re.compile(r'edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"')
    for path in files:
        for line in open(path):
            m = node_re.search(line)
            if m:
                title, label = m.groups()
                parts = label.split("\\n")
                st = re.search(r"(\d+) bytes \((static|dynamic|bounded)", label)
                if st:
                    frame[title] = max(frame.get(title, 0), int(st.group(1)))
                    where[title] = parts[1] if len(parts) > 1 else ""
                continue
            m = edge_re.search(line)
            if m:
                calls.setdefault(m.group(1), set()).add(m.group(2))
    unknown, cut, memo = set(), set(), {}

    def callees(fn):
        out = set()
        for c in calls.get(fn, ()):
            if c in never:
                continue
            if c != "__indirect_call":
                out.add(c)
                continue
            hit = False
            for fre, tre in rules:
                if fre.search(where.get(fn, "") + " " + fn):
                    out |= {t for t in frame if tre.search(t)}
                    hit = True
            if not hit:
                unknown.add("indirect call in " + fn)
        return out

    def depth(fn, stack):
        if fn in memo:
            return memo[fn]
        if fn in stack:
            cut.add(fn)
            return (0, [])
        if fn not in frame:
            unknown.add(fn)
            return (0, [fn + " (no frame info)"])
        best = (0, [])
        for c in sorted(callees(fn)):
            d = depth(c, stack | {fn})
            if d[0] > best[0]:
                best = d
        memo[fn] = (frame[fn] + best[0], ["%s %d" % (fn, frame[fn])] + best[1])
        return memo[fn]

    total, path = depth(root, frozenset())
    print("stack %d" % total)
    print("path " + " > ".join(path))
    if unknown:
        print("unresolved (counted 0): " + ", ".join(sorted(unknown)))
    if cut:
        print("recursion cut at: " + ", ".join(sorted(cut)))


main()
