#!/usr/bin/env bash
# The README's test command: set up (Debian packages, .venv), then run the default test suite.
# Slow tests (marked "slow") are excluded by default; run them with: .venv/bin/pytest -m slow
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m pytest "$@"
