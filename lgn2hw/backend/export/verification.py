"""The export's verify/ folder: vectors, the Python reference's expected outputs, the cocotb
testbenches and a standalone runner, so the exported RTL can be re-verified without lgn2hw.

The files follow the layout the cocotb testbenches of hw_tests/ read (packed vectors, expected scores
and classes, the caller's index of each vector), vectors in a low-switching order.
"""

from __future__ import annotations

import io
import json

import numpy as np

from ...ir.netlist import Netlist
from ...ir.simulate import expected_outputs
from ...ir.vectors import low_switching_order
from ...resources import hw_tests_dir
from .plan import ExportPlan

TESTBENCHES = ("contract.py", "tb_lgn_top.py", "tb_lgn_top_pipelined.py", "tb_lgn_serial.py")


def verification_files(netlist: Netlist, plan: ExportPlan, vectors: int, seed: int, render) -> dict[str, bytes | str]:
    """{relative path: contents} of verify/: ``vectors`` random input vectors (seeded by ``seed``)."""
    n = netlist.num_inputs
    bits = np.random.default_rng(seed).integers(0, 2, size=(vectors, n), dtype=np.uint8)
    scores, classes = expected_outputs(netlist, bits)
    order = low_switching_order(bits)
    files: dict[str, bytes | str] = {
        "verify/vectors.npy": _npy(np.packbits(bits[order], axis=1, bitorder="little")),
        "verify/expected_scores.npy": _npy(scores[order].astype(np.int64)),
        "verify/expected_class.npy": _npy(classes[order].astype(np.int64)),
        "verify/vector_index.npy": _npy(order.astype(np.int64)),
    }
    for name in TESTBENCHES:
        files[f"verify/{name}"] = (hw_tests_dir() / name).read_bytes()
    files["verify/checks.json"] = json.dumps({"checks": checks(plan), "seed": seed, "vectors": vectors},
                                             indent=1, sort_keys=True) + "\n"
    files["verify/run_verify.py"] = render("run_verify.py.j2")
    return files


def checks(plan: ExportPlan) -> list[dict]:
    """The simulations run_verify.py runs: the compiled core, the wrapper, and the serial top if used."""
    n, module = plan.num_inputs, plan.module
    found = [
        {"name": "core", "sources": [f"rtl/{module}.v"], "toplevel": module, "num_inputs": n,
         "test_module": "tb_lgn_top_pipelined" if plan.core_latency else "tb_lgn_top", "latency": plan.core_latency},
        {"name": "wrap", "sources": list(plan.rtl_files[:2]), "toplevel": plan.wrap, "num_inputs": n,
         "test_module": "tb_lgn_top_pipelined", "latency": plan.wrap_latency},
    ]
    if plan.serial:
        found.append({"name": "serial", "sources": list(plan.rtl_files), "toplevel": plan.serial_top, "num_inputs": n,
                      "test_module": "tb_lgn_serial", "latency": plan.latency,
                      "env": {"LGN2HW_TB_SERIAL_BITS": plan.serial_bits}})
    return found


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()
