#!/usr/bin/env bash
# The README's test command: installs what is missing, builds with
# ASan+UBSan, and runs the unit and integration suites, then the style
# checks and the bounded fuzz runs. Must run as root (namespaces, BPF).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh

jobs=$(nproc)
fuzz_seconds=${SG_FUZZ_SECONDS:-60}

# 1. Unit + integration suites under AddressSanitizer and UBSan.
if [ ! -d build-san ]; then
	meson setup build-san -Db_sanitize=address,undefined -Db_lundef=false
fi
meson compile -C build-san
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
meson test -C build-san --suite unit --suite integration --print-errorlogs \
	--num-processes "$jobs"

# 2. Style: formatting and clang-tidy (scripts/check-style.sh).
./scripts/check-style.sh build-san

# 3. Fuzz suite: each libFuzzer target for a bounded time (clang only).
if [ ! -d build-fuzz ]; then
	CC=clang meson setup build-fuzz -Dfuzz=true -Dfuzz_seconds="$fuzz_seconds"
else
	meson configure build-fuzz -Dfuzz_seconds="$fuzz_seconds"
fi
meson compile -C build-fuzz
meson test -C build-fuzz --suite fuzz --print-errorlogs --num-processes "$jobs"

# One closing line over both runs (meson's JSON logs): "N passed, N failed".
# A skip counts as a failure: a test that cannot set itself up must not pass.
python3 - build-san/meson-logs/testlog.json build-fuzz/meson-logs/testlog.json <<'PY'
import json, sys
ok = bad = 0
for path in sys.argv[1:]:
    for line in open(path):
        r = json.loads(line).get("result")
        if r in ("OK", "EXPECTEDFAIL"):
            ok += 1
        else:
            bad += 1
print("%d passed, %d failed" % (ok, bad))
sys.exit(1 if bad else 0)
PY
