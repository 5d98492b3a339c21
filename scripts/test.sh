#!/usr/bin/env bash
# `make test`: every check, on a fresh machine. Starts the AWS emulator on a free port, runs
# fmt, clippy, the template linters and all tests, and stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
trap stop_all EXIT

export CARGO_PROFILE_DEV_DEBUG=0 SAM_CLI_TELEMETRY=0 CARGO_TERM_COLOR=never
rustup component add rustfmt clippy >/dev/null 2>&1 || true

# The browser test drives Debian's headless Chromium; CJK and emoji fonts make its screenshots
# (target/artefacts/) readable. Installed once; a no-op when present.
if [ ! -x /usr/bin/chromium ] || [ ! -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ]; then
  echo "== installing chromium and fonts for the browser test"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei fonts-noto-color-emoji >/dev/null
fi

echo "== format"
cargo fmt --all -- --check

echo "== template"
.venv/bin/cfn-lint template.yaml
.venv/bin/sam validate --lint

echo "== clippy"
cargo clippy --workspace --all-targets -- -D warnings

echo "== emulator fast paths answer as stock moto"
.venv/bin/python scripts/check_moto_fast_paths.py

mkdir -p .local
port=$(free_port)
echo "== AWS emulator on 127.0.0.1:$port"
start_emulator "$port" .local/emulator-test.log
export_emulator_env "$port"

echo "== tests"
# The tests record every AWS operation each function performs; the IAM check below reads them.
rm -rf target/aws-operations
cargo test --workspace --no-fail-fast

echo "== IAM: each function's policy allows what it called in the tests, and nothing else"
cargo test -p closeloop-tests --test iam -- --ignored

echo "== end to end: make up, then the admin API through the local runner"
scripts/smoke.sh

echo "== make up: binaries under CARGO_TARGET_DIR, a component dying at start-up, stopping by SIGINT and group SIGTERM"
scripts/up_test.sh
