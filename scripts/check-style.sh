#!/usr/bin/env bash
# Formatting (clang-format, .clang-format) of every tracked C file.
# clang-tidy (.clang-tidy) over the compile database of build dir $1.
# Layering over the object files of build dir $1 (scripts/check-layering.py):
# no call cycle between files of a folder, layers only downwards, every
# exported symbol with its folder's prefix. No Python file named like a
# standard module.
set -euo pipefail
cd "$(dirname "$0")/.."
builddir=${1:-build-san}

mapfile -t files < <(git ls-files '*.c' '*.h')
bad=0
for f in "${files[@]}"; do
	if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
		echo "check-style: clang-format would change $f" >&2
		bad=1
	fi
done
if [ "$bad" -ne 0 ]; then
	echo "check-style: run: clang-format -i \$(git ls-files '*.c' '*.h')" >&2
	exit 1
fi

if [ -f .clang-tidy ]; then
	mapfile -t srcs < <(git ls-files '*.c' | grep -v '\.bpf\.c$' | grep -v '^tests/fuzz/')
	# clang-tidy's own exit status also counts findings we ignore (inside
	# bpftool-generated skeletons): judge by the filtered findings instead.
	clang-tidy -p "$builddir" --quiet --warnings-as-errors='*' "${srcs[@]}" \
		>"$builddir/clang-tidy.raw" 2>&1 || true
	(grep -E 'warning:|error:' "$builddir/clang-tidy.raw" || true) |
		(grep -v '\.skel\.h:' || true) >"$builddir/clang-tidy.log"
	if [ -s "$builddir/clang-tidy.log" ]; then
		cat "$builddir/clang-tidy.log" >&2
		exit 1
	fi
fi
python3 scripts/check-layering.py "$builddir"

# A test script named like a Python standard module (token.py, ...) hides
# that module from every script of its folder: python puts the script's
# folder first on sys.path (it broke paced.py's `import asyncio` once).
git ls-files '*.py' | python3 -c '
import os, sys
bad = [f for f in sys.stdin.read().split() if os.path.basename(f)[:-3] in sys.stdlib_module_names]
for f in bad:
    print("check-style: %s hides the standard module of that name" % f, file=sys.stderr)
sys.exit(1 if bad else 0)'

echo "check-style: ${#files[@]} files formatted, clang-tidy clean, layering clean"
