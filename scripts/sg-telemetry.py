#!/usr/bin/env python3
"""Query sg-dataplane's DPDK telemetry socket: sg-telemetry.py PREFIX COMMAND...

PREFIX is the EAL file prefix (appliance.file_prefix); each COMMAND (e.g.
/sg/stats, /sg/vs, /sg/members,web, /sg/reload) prints one JSON line.
The same socket also answers dpdk-telemetry.py -f PREFIX.
"""
import json
import os
import socket
import sys


def query(prefix, cmds, rundir="/var/run/dpdk"):
    path = os.path.join(rundir, prefix, "dpdk_telemetry.v2")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(10)
    s.connect(path)
    info = json.loads(s.recv(16384).decode())
    bufsz = int(info.get("max_output_len", 16384))
    out = []
    for c in cmds:
        s.send(c.encode())
        out.append(json.loads(s.recv(bufsz).decode()))
    s.close()
    return out


def main():
    if len(sys.argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        for reply in query(sys.argv[1], sys.argv[2:]):
            print(json.dumps(reply, sort_keys=True))
    except (OSError, ValueError) as e:
        print("sg-telemetry: %s: %s" % (sys.argv[1], e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
