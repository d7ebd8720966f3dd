#!/usr/bin/env bash
# Fleet benchmark (issue 11): `gw-provision apply` against `sandbox serve` on loopback, release
# build, as an administrator runs it (`login` once with persistent login, then `apply`).
#
#  1. 1,000 new gateways in one application: wall time, the client's peak memory (max RSS from
#     /usr/bin/time) and the Keeper API requests the sandbox counted (GET /__sandbox/stats).
#     Targets: <= 5 s, <= 100 MiB, <= 8 + N requests.
#  2. Side by side, in one run: Keeper Commander logged in once, running `pam gateway new` 100
#     times in one process (benches/commander_gateway_loop.py), against `apply` of 100 gateways
#     into an application that also already exists. Target: apply >= 20x faster (whole process
#     against whole process). Needs Commander: GW_PROVISION_INTEROP_PYTHON, or the venv the
#     interop tests make in target/interop-venv; skipped with a note otherwise.
#
# Prints a Markdown table (the figures docs/benchmarks.md quotes) and exits 1 if a target is
# missed. Usage: benches/fleet.sh [GATEWAYS (default 1000)] [SIDE_BY_SIDE (default 100)]
set -euo pipefail
cd "$(dirname "$0")/.."
big=${1:-1000}
side=${2:-100}
cargo build --release --locked --quiet
bin=$PWD/target/release/gw-provision
work=$(mktemp -d)
sandbox_pid=
cleanup() {
  [ -n "$sandbox_pid" ] && kill "$sandbox_pid" 2>/dev/null && wait "$sandbox_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
export HOME="$work/home" XDG_DATA_HOME="$work/home/data" XDG_CONFIG_HOME="$work/home/config"
export NO_COLOR=1 CI=true GW_PROVISION_PERSISTENT_LOGIN=true
mkdir -p "$HOME"

descriptor="$work/sandbox.json"
"$bin" sandbox serve --state "$work/state" --descriptor "$descriptor" >/dev/null 2>&1 &
sandbox_pid=$!
for _ in $(seq 200); do
  jq -e .url "$descriptor" >/dev/null 2>&1 && break
  sleep 0.05
done
url=$(jq -r .url "$descriptor")
jq -r .ca_cert_pem "$descriptor" >"$work/ca.pem"
stats_total() { curl -fsS --cacert "$work/ca.pem" "$url/__sandbox/stats" | jq .total; }
stats_reset() { curl -fsS --cacert "$work/ca.pem" -X DELETE "$url/__sandbox/stats" >/dev/null; }
gw() { "$bin" --sandbox-descriptor "$descriptor" "$@"; }

manifest() { # file app count prefix
  {
    printf '[defaults]\nfolder = "%s Folder"\napp = "%s"\nos = "linux"\n' "$2" "$2"
    for i in $(seq 1 "$3"); do printf '\n[[gateway]]\nname = "%s-%05d"\n' "$4" "$i"; done
  } >"$1"
}
timed() { # out-file command... ; sets wall (s) and rss (KiB)
  local out=$1; shift
  /usr/bin/time -f '%e %M' -o "$work/time" "$@" >"$out" 2>"$work/stderr" || {
    cat "$work/stderr" >&2
    return 1
  }
  read -r wall rss <"$work/time"
}

gw login >/dev/null 2>&1
failed=0
echo "| what | figure | target |"
echo "|---|---|---|"

manifest "$work/big.toml" "Fleet App" "$big" edge
stats_reset
timed "$work/big.json" "$bin" --sandbox-descriptor "$descriptor" --output json apply -f "$work/big.toml"
requests=$(stats_total)
created=$(jq .summary.created "$work/big.json")
[ "$created" = "$big" ] || { echo "apply created $created of $big" >&2; exit 1; }
mib=$((rss / 1024))
echo "| apply, $big new gateways: wall time | ${wall} s | <= 5 s |"
echo "| apply, $big new gateways: client peak memory (max RSS) | ${mib} MiB | <= 100 MiB |"
echo "| apply, $big new gateways: Keeper API requests | $requests | <= $((8 + big)) (8 + N) |"
awk "BEGIN{exit !($wall <= 5)}" || failed=1
[ "$mib" -le 100 ] || failed=1
[ "$requests" -le $((8 + big)) ] || failed=1

stats_reset
timed "$work/again.json" "$bin" --sandbox-descriptor "$descriptor" --output json apply -f "$work/big.toml"
echo "| re-apply of the same $big (nothing to do) | ${wall} s, $(stats_total) requests, $(jq .summary.reused "$work/again.json") reused | creates nothing |"
[ "$(jq .summary.created "$work/again.json")" = 0 ] || failed=1

python=${GW_PROVISION_INTEROP_PYTHON:-$PWD/target/interop-venv/bin/python}
if [ -x "$python" ] && "$python" -c 'import keepercommander' 2>/dev/null; then
  # Both applications exist beforehand, so both sides only add gateways.
  gw new --folder "Cmd Folder" --app "Cmd App" --gateway cmd-seed --os linux >/dev/null 2>&1
  gw new --folder "Side Folder" --app "Side App" --gateway side-seed --os linux >/dev/null 2>&1
  stats_reset
  timed "$work/cmd.json" env -u CI HOME="$work/py-home" PYTHONWARNINGS=ignore \
    "$python" benches/commander_gateway_loop.py "$descriptor" "Cmd App" "$side"
  cmd_wall=$wall cmd_requests=$(stats_total) cmd_loop=$(tail -1 "$work/cmd.json" | jq .loop_seconds)
  manifest "$work/side.toml" "Side App" "$side" side
  stats_reset
  timed "$work/side.json" "$bin" --sandbox-descriptor "$descriptor" --output json apply -f "$work/side.toml"
  apply_wall=$wall apply_requests=$(stats_total)
  ratio=$(awk "BEGIN{printf \"%.1f\", $cmd_wall / $apply_wall}")
  echo "| Commander: login + $side x \`pam gateway new\` in one process | ${cmd_wall} s (loop alone ${cmd_loop} s), $cmd_requests requests | |"
  echo "| gw-provision apply, the same $side gateways | ${apply_wall} s, $apply_requests requests | |"
  echo "| apply speed-up over Commander, whole process | ${ratio}x | >= 20x |"
  awk "BEGIN{exit !($ratio >= 20)}" || failed=1
else
  echo "| Commander side by side | skipped: no python with keepercommander (set GW_PROVISION_INTEROP_PYTHON) | |"
fi
[ "$failed" = 0 ] || { echo "a target was missed" >&2; exit 1; }
