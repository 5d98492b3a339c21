#!/usr/bin/env bash
# `make bench`: starts the emulator on a free port and runs every benchmark; each prints
# `BENCH <name> <value>` lines. Figures are ratios measured side by side in one run where
# possible: this machine is shared and noisy. The loop benchmark (from an answer to its
# department's notice) then runs against a `make up` of its own.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
trap stop_all EXIT
mkdir -p .local
port=$(free_port)
start_emulator "$port" .local/emulator-bench.log
export_emulator_env "$port"
cargo bench --workspace --exclude closeloop-tests --quiet 2>&1 | tee .local/bench.txt | grep --line-buffered -E '^BENCH |error|panicked' || true
grep -q '^BENCH ' .local/bench.txt || { echo "no benchmark printed a figure" >&2; exit 1; }
cargo bench -p closeloop-tests --bench pipeline --quiet 2>&1 | tee -a .local/bench.txt | grep --line-buffered -E '^BENCH |^# |error|panicked' || true

echo "== the closed loop through make up"
export EMULATOR_PORT=$(free_port) API_PORT=$(free_port) LAMBDA_PORT=$(free_port)
export DEV_ADMIN_TOKEN=bench-$RANDOM$RANDOM
setsid scripts/up.sh >.local/bench-up.log 2>&1 &
PIDS+=($!)
for _ in $(seq 1 900); do
  grep -q '^Ready' .local/bench-up.log && break
  if ! kill -0 "${PIDS[-1]}" 2>/dev/null; then cat .local/bench-up.log >&2; exit 1; fi
  sleep 1
done
grep -q '^Ready' .local/bench-up.log || { echo "make up did not become ready" >&2; tail -20 .local/bench-up.log >&2; exit 1; }
CLOSELOOP_API=http://127.0.0.1:$API_PORT AWS_ENDPOINT_URL=http://127.0.0.1:$EMULATOR_PORT \
  cargo bench -p closeloop-tests --bench loop --quiet 2>&1 | tee -a .local/bench.txt | grep --line-buffered -E '^BENCH |^# |error|panicked'
