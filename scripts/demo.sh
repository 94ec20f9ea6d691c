#!/usr/bin/env bash
# The README's demo command: set up, then train a small learned-connection network on Fashion-MNIST,
# compile it to Verilog that reads uint8 pixels, verify the RTL bit-exact on Icarus against Python
# inference over the whole 10,000-image test set, and count its LUT6 with Yosys (encoder, core, head).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/lgn2hw run --preset demo --raw-inputs --synth -o "${1:-runs/demo}"
