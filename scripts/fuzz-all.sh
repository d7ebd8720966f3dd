#!/usr/bin/env bash
# Runs every cargo-fuzz target for N seconds each, one after another, and
# prints the executions per target. Usage: scripts/fuzz-all.sh N [target ...]
# Crashes land in fuzz/artifacts/<target>/; the committed corpora in fuzz/corpus/ are not
# modified (new units go to a scratch copy). See docs/fuzzing.md.
set -euo pipefail

seconds="${1:?usage: scripts/fuzz-all.sh SECONDS [target ...]}"
shift
cd "$(dirname "$0")/../fuzz"

if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo +nightly fuzz list)
fi

cargo +nightly fuzz build -s none

# No -jobs/-workers: libFuzzer's default is one in-process worker, the single fuzzer process the
# shared machine allows (with -jobs=1 it would fork a child and log to fuzz-0.log instead).
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
total=0
failed=0
printf '%-22s %14s %8s %s\n' target executions seconds result
for target in "${targets[@]}"; do
    mkdir -p "$scratch/$target" "artifacts/$target"
    log="$scratch/$target.log"
    start=$(date +%s)
    status=ok
    cargo +nightly fuzz run -s none "$target" "$scratch/$target" "corpus/$target" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 >"$log" 2>&1 || status="FAILED (see fuzz/artifacts/$target)"
    elapsed=$(( $(date +%s) - start ))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    execs=${execs:-0}
    total=$(( total + execs ))
    [ "$status" = ok ] || { failed=1; tail -n 30 "$log" >&2; }
    printf '%-22s %14s %8s %s\n' "$target" "$execs" "$elapsed" "$status"
done
printf '%-22s %14s\n' total "$total"
exit "$failed"
