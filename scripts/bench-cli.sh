#!/usr/bin/env bash
# Measures what the README and closing notes quote: release binary size, `--help` start-up
# time, `new --sandbox` wall time, and the number of HTTP requests a first run and a re-run of
# `new` make. Uses hyperfine when installed, otherwise a plain timing loop.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/gw-provision
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME="$work" XDG_DATA_HOME="$work/data" XDG_CONFIG_HOME="$work/config" NO_COLOR=1

echo "binary size: $(wc -c < "$bin") bytes"

time_runs() { # name runs command...
  local name=$1 runs=$2; shift 2
  if command -v hyperfine >/dev/null; then
    hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/h.json" "$*" >/dev/null
    python3 -c "import json;r=json.load(open('$work/h.json'))['results'][0];print('$name: mean %.1f ms, min %.1f ms (%d runs)'%(r['mean']*1e3,r['min']*1e3,len(r['times'])))"
  else
    local start end
    start=$(date +%s%N)
    for _ in $(seq "$runs"); do "$@" >/dev/null 2>&1 </dev/null; done
    end=$(date +%s%N)
    echo "$name: mean $(( (end - start) / runs / 1000000 )) ms ($runs runs)"
  fi
}

time_runs "--help start-up" 200 "$bin" --help
time_runs "new --sandbox (in-process sandbox, full flow)" 20 "$bin" new --sandbox --output json

count_requests() {
  "$bin" -vv new --sandbox --folder "Bench F" --app "Bench A" --gateway "$1" --os linux </dev/null 2>&1 >/dev/null \
    | grep -c 'POST' || true
}
rm -rf "$XDG_DATA_HOME"
echo "HTTP requests, first run: $(count_requests bench-1)"
echo "HTTP requests, re-run (folder/app/share reused): $(count_requests bench-2)"
