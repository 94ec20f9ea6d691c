"""The export's verify/ folder: vectors, the Python reference's expected outputs, the cocotb
testbenches and a standalone runner, so the exported RTL can be re-verified without lgn2hw.

The files follow the layout the cocotb testbenches of hw_tests/ read (packed vectors, expected scores
and classes, the caller's index of each vector), vectors in a low-switching order. A raw-input build's
vectors are raw features (random B-bit values, feature f at port bits f*B .. f*B+B-1); their expected
outputs come from the netlist simulator on the features encoded by the netlist's own input_encoding.
"""

from __future__ import annotations

import io
import json

import numpy as np

from ...ir.encoding import ThresholdEncoding
from ...ir.netlist import Netlist
from ...ir.simulate import expected_outputs
from ...ir.vectors import low_switching_order
from ...resources import hw_tests_dir
from ..verilog.primitives import primitive_models
from .plan import ExportPlan

TESTBENCHES = ("contract.py", "tb_lgn_top.py", "tb_lgn_top_pipelined.py", "tb_lgn_serial.py")


def verification_files(netlist: Netlist, plan: ExportPlan, vectors: int, seed: int, render) -> dict[str, bytes | str]:
    """{relative path: contents} of verify/: ``vectors`` random input vectors (seeded by ``seed``)."""
    rng = np.random.default_rng(seed)
    if plan.raw_bits is None:
        bits = rng.integers(0, 2, size=(vectors, netlist.num_inputs), dtype=np.uint8)
        scores, classes = expected_outputs(netlist, bits)
    else:
        raw_bits = plan.raw_bits
        raw = rng.integers(0, 1 << raw_bits, size=(vectors, plan.num_inputs // raw_bits), dtype=np.int64)
        encoding = ThresholdEncoding.from_json(netlist.input_encoding, num_inputs=netlist.num_inputs)
        scores, classes = expected_outputs(netlist, encoding.encode(raw))
        bits = ((raw[:, :, None] >> np.arange(raw_bits)) & 1).reshape(vectors, plan.num_inputs).astype(np.uint8)
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
    if plan.sim_models:  # Icarus/Verilator need models of the RTL's vendor primitives (Vivado has its own)
        files[plan.sim_models[0]] = primitive_models(plan.primitive_family)
    return files


def checks(plan: ExportPlan) -> list[dict]:
    """The simulations run_verify.py runs: the compiled core, the wrapper, and the serial top if used."""
    n, module = plan.num_inputs, plan.module
    found = [
        {"name": "core", "sources": [f"rtl/{module}.v", *plan.sim_models], "toplevel": module, "num_inputs": n,
         "test_module": "tb_lgn_top_pipelined" if plan.core_latency else "tb_lgn_top", "latency": plan.core_latency},
        {"name": "wrap", "sources": [*plan.rtl_files[:2], *plan.sim_models], "toplevel": plan.wrap, "num_inputs": n,
         "test_module": "tb_lgn_top_pipelined", "latency": plan.wrap_latency},
    ]
    if plan.serial:
        found.append({"name": "serial", "sources": [*plan.rtl_files, *plan.sim_models], "toplevel": plan.serial_top, "num_inputs": n,
                      "test_module": "tb_lgn_serial", "latency": plan.latency,
                      "env": {"LGN2HW_TB_SERIAL_BITS": plan.serial_bits}})
    if plan.raw:  # the vectors drive in_features (the serial top loads them through in_data)
        for check in found:
            if check["name"] != "serial":
                check["input_port"] = plan.input_port
    return found


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()
