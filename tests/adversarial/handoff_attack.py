"""What the sniffer and the forger of handoff-attack.sh share: the fields
the sniffer learns from a hand-off's SYN, handed to the forger through a
file (the sniffer and the forger run in different namespaces)."""
import os
import sys
import time


def tell(path, *fields):
    """Write what the sniffer learned, atomically (the forger polls)."""
    with open(path + ".tmp", "w") as f:
        f.write(" ".join(str(x) for x in fields) + "\n")
    os.rename(path + ".tmp", path)


def learned(path, timeout=30.0):
    """Say "ready", then wait (bounded) for the sniffer's fields."""
    print("ready", flush=True)
    end = time.time() + timeout
    while not os.path.exists(path):
        if time.time() > end:
            sys.exit("nothing learned from the hand-off")
        time.sleep(0.01)
    with open(path) as f:
        return f.read().split()
