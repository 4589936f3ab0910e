#!/usr/bin/env python3
"""One member's health from a JSON document on stdin (the data plane's
telemetry /sg/members, or `sgctl --json health`): member.py POOL MEMBER
prints "STATE REASON" (reason "-" when none), or exits 1 when the member is
not in the document. The member is the first object, at any depth, whose
name is MEMBER and whose pool (if it names one, or its parent's name)
is POOL.
"""
import json
import sys

NAME_KEYS = ("name", "member")
STATE_KEYS = ("state", "health", "status")
REASON_KEYS = ("reason", "last_reason", "why")


def find(node, pool, member, parent_pool=None):
    if isinstance(node, dict):
        name = next((node[k] for k in NAME_KEYS if isinstance(node.get(k), str)), None)
        p = node.get("pool", parent_pool)
        if name == member and p in (pool, None) and any(k in node for k in STATE_KEYS):
            return node
        child_pool = node.get("name") if isinstance(node.get("members"), (list, dict)) else p
        for k, v in node.items():
            got = find(v, pool, member, k if isinstance(v, dict) and k == pool else child_pool)
            if got is not None:
                return got
    elif isinstance(node, list):
        for v in node:
            got = find(v, pool, member, parent_pool)
            if got is not None:
                return got
    return None


def main():
    pool, member = sys.argv[1], sys.argv[2]
    m = find(json.load(sys.stdin), pool, member)
    if m is None:
        return 1
    state = next(str(m[k]) for k in STATE_KEYS if k in m)
    reason = next((str(m[k]) for k in REASON_KEYS if m.get(k) not in (None, "")), "-")
    print(state, reason)
    return 0


if __name__ == "__main__":
    sys.exit(main())
