#!/usr/bin/env bash
# run-fuzz.sh TARGET SEED_DIR SECONDS WORK_DIR [LIBFUZZER-FLAG...]: run one
# libFuzzer target for a bounded time. New inputs go to WORK_DIR/corpus (never
# into the source tree), crash artifacts to WORK_DIR/. Extra flags (-dict=,
# -max_len=) follow. Exits non-zero on any finding.
set -euo pipefail
target=$1 seeds=$2 seconds=$3 work=$4
shift 4
mkdir -p "$work/corpus"
# libFuzzer exits 77 on a finding by default, which meson reads as SKIP.
exec "$target" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
	-error_exitcode=1 -timeout_exitcode=1 \
	-print_final_stats=1 -artifact_prefix="$work/" "$@" "$work/corpus" "$seeds"
