#!/usr/bin/env python3
"""Layering check over the object files of a meson build directory.

Reads compile_commands.json to map each object file to its source, then the
symbol tables (`nm`) of the production objects (everything outside tests/):

1. call cycles: inside each folder (dataplane/core, control, idmgr, ...), a
   graph of files, A -> B when A's object references a global symbol that
   B's object defines. Any strongly connected group of two or more files is
   a cycle and fails the check. Callbacks and events registered at init are
   not symbol references and rightly do not count.
2. layers: a folder may reference only the folders listed for it in
   ALLOWED (the data-plane core never reaches session code, a library never
   reaches a program).
3. exports: every global symbol a production object defines starts with its
   folder's prefix (PREFIX); `main` in programs is allowed.

Usage: scripts/check-layering.py [--root SRC] BUILD_DIR   (exit 1 on any finding)
       scripts/check-layering.py --self-test   (compiles a small tree with one finding
                                                of each kind; exit 0 when all are found)
"""

import json
import os
import subprocess
import sys
from collections import defaultdict

# Folder -> prefixes its exported symbols must start with. The longest
# matching folder wins (dataplane/core before dataplane).
PREFIX = {
    "config": ("sg_cfg_",),
    "idmgr": ("sg_id_",),
    "idmgr/cli": ("sg_id_cli_",),
    "dataplane": ("sg_dp_",),
    "control": ("sg_ctl_",),
    "hostagent": ("sg_ha_",),
    "lib/shmchan": ("sg_shm_",),
    "lib/agentproto": ("sg_agent_",),
    "lib/etcd": ("sg_etcd_",),
    "lib/telemetry": ("sg_tel_",),
    "lib/token": ("sg_token_",),
    "routing": ("sg_rt_",),
}

# Folder -> folders of this project it may reference (besides itself).
# Anything not listed here is a layering violation.
ALLOWED = {
    "config": set(),
    "idmgr": {"lib/etcd"},
    "idmgr/cli": {"idmgr", "lib/etcd"},
    "lib/shmchan": set(),
    "lib/agentproto": set(),
    "lib/etcd": set(),
    "lib/token": set(),
    "dataplane/core": {"config"},
    "dataplane/session": {"dataplane/core", "config"},
    "dataplane/worker": {"dataplane/core", "dataplane/session", "config"},
    "dataplane": {"dataplane/core", "dataplane/session", "dataplane/worker", "config",
                  "lib/shmchan"},
    "control": {"config", "idmgr", "lib/shmchan", "lib/agentproto", "lib/etcd", "lib/telemetry",
                "lib/token"},
    "hostagent": {"config", "lib/agentproto"},
    "lib/telemetry": {"config"},
    "routing": {"config", "lib/telemetry"},
}

# Symbols defined by the toolchain or generated code, not by our sources:
# these, and every name starting with "__" (reserved to the implementation:
# AddressSanitizer's __odr_asan.<global>, coverage and profiling symbols).
IGNORED_DEFS = {"main", "_init", "_fini"}


def folder_of(rel):
    """The folder key (longest match in ALLOWED) of a source path."""
    parts = rel.split("/")
    for n in range(len(parts) - 1, 0, -1):
        key = "/".join(parts[:n])
        if key in ALLOWED:
            return key
    return None


def production_objects(build, top):
    with open(os.path.join(build, "compile_commands.json")) as f:
        db = json.load(f)
    seen = {}
    for e in db:
        src = os.path.realpath(os.path.join(e["directory"], e["file"]))
        rel = os.path.relpath(src, top)
        if rel.startswith(("tests/", "..")) or not rel.endswith(".c"):
            continue
        if folder_of(rel) is None:
            continue
        obj = os.path.join(e["directory"], e["output"])
        if os.path.exists(obj) and rel not in seen:
            seen[rel] = obj
    return seen


def symbols(obj):
    out = subprocess.run(["nm", "--defined-only", "-g", obj], capture_output=True,
                         text=True, check=True).stdout
    defs = {line.split()[-1] for line in out.splitlines() if line.strip()}
    out = subprocess.run(["nm", "-u", obj], capture_output=True, text=True,
                         check=True).stdout
    undef = {line.split()[-1] for line in out.splitlines() if line.strip()}
    return defs, undef


def sccs(nodes, edges):
    """Tarjan's strongly connected components, iterative."""
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            nxt = next(it, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter[0]
                    counter[0] += 1
                    stack.append(nxt)
                    on.add(nxt)
                    work.append((nxt, iter(sorted(edges[nxt]))))
                elif nxt in on:
                    low[v] = min(low[v], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                out.append(sorted(comp))
    return out


def check(build, top):
    """The findings (list of text lines) of the objects of @build under source tree @top."""
    objs = production_objects(build, top)
    if not objs:
        raise SystemExit("check-layering: no production objects in %s (build it first)" % build)
    defs, undefs, owner = {}, {}, {}
    for rel, obj in objs.items():
        defs[rel], undefs[rel] = symbols(obj)
        for s in defs[rel]:
            owner.setdefault(s, rel)

    findings = []
    edges = defaultdict(set)
    via = {}
    for rel in objs:
        for s in undefs[rel]:
            dst = owner.get(s)
            if dst is None or dst == rel:
                continue
            fa, fb = folder_of(rel), folder_of(dst)
            if fa == fb:
                edges[rel].add(dst)
                via.setdefault((rel, dst), s)
            elif fb not in ALLOWED[fa]:
                findings.append("layer: %s (%s) references %s in %s (%s)" % (rel, fa, s, dst, fb))

    by_folder = defaultdict(list)
    for rel in objs:
        by_folder[folder_of(rel)].append(rel)
    for folder, files in sorted(by_folder.items()):
        for comp in sccs(sorted(files), edges):
            if len(comp) < 2:
                continue
            members = set(comp)
            detail = ", ".join("%s->%s (%s)" % (a, b, via[(a, b)])
                               for a in comp for b in sorted(edges[a] & members))
            findings.append("cycle in %s: %s" % (folder, detail))

    for rel in sorted(objs):
        folder = folder_of(rel)
        key = max((k for k in PREFIX if folder == k or folder.startswith(k + "/")),
                  key=len, default=None)
        if key is None:
            continue
        for s in sorted(defs[rel] - IGNORED_DEFS):
            if not s.startswith(PREFIX[key]) and not s.startswith("__"):
                findings.append("export: %s defines %s (prefix %s)" %
                                (rel, s, " or ".join(PREFIX[key])))

    return findings, len(objs), len(by_folder)


# A tree with exactly one finding of each kind (and clean files beside them).
SELF_TEST_TREE = {
    "control/a.c": "void sg_ctl_b(void); void sg_ctl_a(void) { sg_ctl_b(); }",
    "control/b.c": "void sg_ctl_a(void); void sg_ctl_b(void) { sg_ctl_a(); }",
    "control/c.c": "void sg_ctl_a(void); void sg_ctl_c(void) { sg_ctl_a(); }",
    "config/d.c": "void sg_ctl_c(void); void sg_cfg_d(void) { sg_ctl_c(); }",
    "idmgr/e.c": "int obj_read(void); int obj_read(void) { return 0; }\n"
                 "static int quiet(void) { return 1; } int sg_id_e(void) { return quiet(); }",
}
SELF_TEST_WANT = [
    "layer: config/d.c (config) references sg_ctl_c in control/c.c (control)",
    "cycle in control: control/a.c->control/b.c (sg_ctl_b), control/b.c->control/a.c (sg_ctl_a)",
    "export: idmgr/e.c defines obj_read (prefix sg_id_)",
]


def self_test():
    import tempfile
    with tempfile.TemporaryDirectory() as top:
        build = os.path.join(top, "build")
        os.mkdir(build)
        db = []
        for rel, text in SELF_TEST_TREE.items():
            src = os.path.join(top, rel)
            os.makedirs(os.path.dirname(src), exist_ok=True)
            with open(src, "w") as f:
                f.write(text + "\n")
            out = rel.replace("/", "_") + ".o"
            subprocess.run(["cc", "-c", src, "-o", os.path.join(build, out)], check=True)
            db.append({"directory": build, "file": src, "output": out})
        with open(os.path.join(build, "compile_commands.json"), "w") as f:
            json.dump(db, f)
        findings, _, _ = check(build, top)
    if sorted(findings) != sorted(SELF_TEST_WANT):
        print("check-layering: self-test: expected\n  %s\ngot\n  %s" %
              ("\n  ".join(SELF_TEST_WANT), "\n  ".join(findings)), file=sys.stderr)
        return 1
    print("check-layering: self-test: the %d seeded findings found, nothing else" %
          len(findings))
    return 0


def main():
    args = sys.argv[1:]
    if args == ["--self-test"]:
        return self_test()
    top = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    if len(args) == 3 and args[0] == "--root":
        top, args = os.path.realpath(args[1]), args[2:]
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    findings, n_objs, n_folders = check(args[0], top)
    for f in findings:
        print("check-layering: " + f, file=sys.stderr)
    if findings:
        print("check-layering: %d finding(s)" % len(findings), file=sys.stderr)
        return 1
    print("check-layering: %d objects in %d folders, no cycle, layers and exports clean" %
          (n_objs, n_folders))
    return 0


if __name__ == "__main__":
    sys.exit(main())
