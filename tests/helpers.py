"""Helpers shared by the test modules: running the CLI, checking its one-line errors, tiny data sets,
random layered netlists."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from click.testing import CliRunner

from lgn2hw.cli import main
from lgn2hw.frontend.train import EncodedData
from lgn2hw.ir.netlist import Netlist


def invoke(*args):
    """Run ``lgn2hw ARGS...`` in-process; every argument is passed as a string."""
    return CliRunner().invoke(main, [str(a) for a in args])


def assert_one_line_error(result, *needles: str) -> None:
    """The command failed with exactly one ``Error:`` line, no traceback, and that line names every needle."""
    assert result.exit_code != 0, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.output
    assert "Traceback" not in result.output, result.output
    for needle in needles:
        assert needle in errors[0], errors[0]


def random_bit_data(
    n_train: int, n_test: int, inputs: int, classes: int, label: Callable[[torch.Tensor], torch.Tensor], seed: int = 0
) -> EncodedData:
    """Uniformly random input bits (training rows drawn first, then test rows) labelled by ``label``,
    with an identity threshold encoding: a learnable task that needs no data files."""
    g = torch.Generator().manual_seed(seed)
    train_bits = (torch.rand(n_train, inputs, generator=g) > 0.5).to(torch.uint8)
    test_bits = (torch.rand(n_test, inputs, generator=g) > 0.5).to(torch.uint8)
    enc = {"kind": "threshold", "feature": list(range(inputs)), "threshold": [0] * inputs}
    return EncodedData("synthetic", train_bits, label(train_bits), test_bits, label(test_bits), classes, enc)


def layered(num_inputs: int, widths: list[int], num_classes: int, seed: int = 0) -> Netlist:
    """Random LGN-shaped netlist: each layer reads two random signals of the layer before, random ops."""
    rng = np.random.default_rng(seed)
    ops, a, b = [], [], []
    lo, width, base = 0, num_inputs, num_inputs
    for w in widths:
        ops.append(rng.integers(0, 16, w))
        a.append(lo + rng.integers(0, width, w))
        b.append(lo + rng.integers(0, width, w))
        lo, width, base = base, w, base + w
    netlist = Netlist(
        num_inputs, num_classes, np.concatenate(ops), np.concatenate(a), np.concatenate(b), np.arange(lo, base)
    )
    netlist.validate()
    return netlist


def write_tiny_mnist(folder, n_train: int = 60, n_test: int = 20, seed: int = 0):
    """A tiny MNIST in the real IDX format, random pixels and labels 0..9 (use with --no-checksums)."""
    from lgn2hw.frontend.data.idx import write_idx

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        write_idx(folder / f"{prefix}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        write_idx(folder / f"{prefix}-labels-idx1-ubyte", rng.integers(0, 10, n, dtype=np.uint8))
    return folder


def random_gates(seed: int, num_inputs: int, widths=(24, 24), classes: int = 4):
    """A layered netlist of ops drawn from 1..14 (no constant gates), each layer reading the one before;
    the last layer's gates are the outputs (lgn2hw.ir.synthetic.random_gates)."""
    from lgn2hw.ir.synthetic import random_gates as draw

    return draw(seed, num_inputs, widths, classes)



def compiled_dir(tmp_path, netlist, name: str = "rtl", pipeline: int = 0):
    """``netlist`` saved and compiled (-O0, no agreement check) into ``tmp_path / name``; returns the folder."""
    from lgn2hw.flows.compile import compile_source

    src = tmp_path / f"{name}.json"
    netlist.save(src)
    out = tmp_path / name
    compile_source(src, out, opt_level=0, check_vectors=None, pipeline=pipeline)
    return out
