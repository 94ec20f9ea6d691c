#!/usr/bin/env bash
# The README's demo command: set up, then train on Fashion-MNIST, compile to Verilog and verify the
# RTL bit-exact on Icarus against Python inference over the whole 10,000-image test set.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/lgn2hw run --preset demo -o "${1:-runs/demo}"
