#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""What holds the box's 2 MiB hugepages: one line per process that maps
files of a hugetlbfs mount (pid, name, MiB, the file prefixes, its command
line), then the files no process maps (left by a killed DPDK program: they
hold their pages until deleted). Prints nothing when nothing holds any.

scripts/bench-dataplane.sh prints this when a case cannot have the free
hugepages it needs (another bench, or any DPDK program, runs beside it).
Usage: hugepage_holders.py [--exclude-pid PID]...
"""
import glob
import os
import re
import sys


def mounts():
    out = []
    with open("/proc/mounts") as f:
        for line in f:
            p = line.split()
            if len(p) > 2 and p[2] == "hugetlbfs":
                out.append(p[1].rstrip("/") + "/")
    return out


def prefix(path):
    # DPDK names its files PREFIXmap_N (rtemap_N by default)
    return re.sub(r"map_\d+$", "", os.path.basename(path))


def holders(mnts, exclude):
    mapped = set()
    rows = []
    for maps in glob.glob("/proc/[0-9]*/maps"):
        pid = maps.split("/")[2]
        if pid in exclude:
            continue
        size, prefixes = 0, set()
        try:
            with open(maps) as f:
                for line in f:
                    p = line.split(None, 5)
                    if len(p) < 6:
                        continue
                    path = p[5].strip().removesuffix(" (deleted)")
                    if not any(path.startswith(m) for m in mnts):
                        continue
                    lo, hi = (int(x, 16) for x in p[0].split("-"))
                    size += hi - lo
                    prefixes.add(prefix(path))
                    mapped.add(path)
            if size == 0:
                continue
            with open(f"/proc/{pid}/comm") as f:
                comm = f.read().strip()
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue  # gone meanwhile
        rows.append(f"  pid {pid} ({comm}): {size >> 20} MiB, files "
                    f"{','.join(sorted(prefixes))}: {cmd[:160]}")
    return rows, mapped


def stale(mnts, mapped):
    by = {}
    for m in mnts:
        try:
            names = os.listdir(m)
        except OSError:
            continue
        for n in names:
            path = m + n
            try:
                st = os.stat(path)
            except OSError:
                continue
            if path in mapped or st.st_blocks == 0:
                continue
            by.setdefault(prefix(path), [0, m])[0] += st.st_blocks * 512
    return [f"  {size >> 20} MiB in {m}{p}* (no process maps them: "
            f"rm {m}{p}map_* frees them)" for p, (size, m) in sorted(by.items())]


def main():
    exclude = set()
    args = sys.argv[1:]
    while args:
        if args[0] == "--exclude-pid" and len(args) > 1:
            exclude.add(args[1])
            args = args[2:]
        else:
            sys.exit(f"usage: {sys.argv[0]} [--exclude-pid PID]...")
    mnts = mounts()
    rows, mapped = holders(mnts, exclude)
    for line in rows + stale(mnts, mapped):
        print(line)


if __name__ == "__main__":
    main()
