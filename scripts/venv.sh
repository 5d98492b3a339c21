#!/usr/bin/env bash
# Creates .venv with the pinned dev tools (emulator, cargo-lambda, template linters).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
