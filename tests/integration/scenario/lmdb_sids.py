#!/usr/bin/env python3
"""The session IDs in an sg-control session DB (LMDB), read with mdb_dump.

lmdb_sids.py DB_DIR
    Prints one JSON list of the session IDs (as 16-digit hex strings) of the
    "controlling" table (control/sessiondb.c, struct db_controlling: version
    byte 1, then state, reason, ..., the session ID as a little-endian u64 at
    offset 8). Works on the DB of a dead sg-control too. A row of another
    version or shorter than 16 bytes is an error (exit 1): the layout moved
    and this reader must follow it.
"""
import json
import struct
import subprocess
import sys

ROW_VERSION = 1


def rows(db_dir):
    out = subprocess.run(["mdb_dump", "-s", "controlling", db_dir], check=True,
                         capture_output=True, text=True, timeout=20).stdout
    lines = out.splitlines()
    try:
        start = lines.index("HEADER=END") + 1
    except ValueError:
        raise SystemExit("lmdb_sids.py: no mdb_dump header in the output")
    body = [ln.strip() for ln in lines[start:] if ln.strip() and ln.strip() != "DATA=END"]
    if len(body) % 2:
        raise SystemExit("lmdb_sids.py: odd number of key/value lines")
    for i in range(0, len(body), 2):
        yield bytes.fromhex(body[i + 1])


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    sids = []
    for v in rows(sys.argv[1]):
        if len(v) < 16 or v[0] != ROW_VERSION:
            print("lmdb_sids.py: a controlling row of %d bytes, version %d" % (len(v), v[0]),
                  file=sys.stderr)
            return 1
        sids.append("%016x" % struct.unpack_from("<Q", v, 8)[0])
    print(json.dumps(sids))
    return 0


if __name__ == "__main__":
    sys.exit(main())
