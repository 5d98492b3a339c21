#!/usr/bin/env bash
# `make bench`: starts the emulator on a free port and runs every benchmark; each prints
# `BENCH <name> <value>` lines. Figures are ratios measured side by side in one run where
# possible: this machine is shared and noisy.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
trap stop_all EXIT
mkdir -p .local
port=$(free_port)
start_emulator "$port" .local/emulator-bench.log
export_emulator_env "$port"
cargo bench --workspace --quiet 2>&1 | tee .local/bench.txt | grep --line-buffered -E '^BENCH |error|panicked' || true
grep -q '^BENCH ' .local/bench.txt || { echo "no benchmark printed a figure" >&2; exit 1; }
