"""What a verification runner and the cocotb testbenches agree on: environment variables and file names.

The testbenches (tb_*.py, which import this as the top-level module ``contract`` inside the simulator),
lgn2hw's runner (lgn2hw.check.cosim, via lgn2hw.resources.hw_tests_contract) and the exported
standalone runner (verify/run_verify.py, beside a copy of this file) all read the names from here.
The numbers always come from the Python reference in the files, never from a testbench.

  VECTORS_FILE   .npy, (V, ceil(N/8)) uint8: input vectors packed little-endian
                 (np.packbits(bits, bitorder="little")), so bit i of the input port is input i
  SCORES_FILE    .npy, (V, C) int64 expected class scores
  CLASS_FILE     .npy, (V,) int64 expected class ids (argmax, lowest index on ties)
  INDEX_FILE     .npy, (V,) int64, optional: the caller's index of each driven vector (vectors are
                 driven in a low-switching order); mismatches are reported by this index, lowest first
  RESULT_FILE    JSON the testbench writes: counts, timing and the first mismatches
  RESULTS_XML    cocotb's own results file (tests run and failed), which the runners read back
  PROGRESS_FILE  the number of vectors checked so far, for a progress display (optional)

Imports only the standard library: it runs inside the simulator and without lgn2hw installed.
"""

from __future__ import annotations

from pathlib import Path

ENV_VECTORS = "LGN2HW_TB_VECTORS"  # path of VECTORS_FILE
ENV_NUM_INPUTS = "LGN2HW_TB_NUM_INPUTS"  # N, the width of the driven port
ENV_SCORES = "LGN2HW_TB_EXPECTED_SCORES"  # path of SCORES_FILE
ENV_CLASS = "LGN2HW_TB_EXPECTED_CLASS"  # path of CLASS_FILE
ENV_INDEX = "LGN2HW_TB_INDEX"  # path of INDEX_FILE (optional)
ENV_RESULT = "LGN2HW_TB_RESULT"  # where the testbench writes RESULT_FILE
ENV_MAX_REPORT = "LGN2HW_TB_MAX_REPORT"  # how many mismatching vectors to describe in full (default 10)
ENV_INPUT_PORT = "LGN2HW_TB_INPUT_PORT"  # the port the vectors drive: in_bits (default), or in_features (raw inputs)
ENV_LATENCY = "LGN2HW_TB_LATENCY"  # clocked testbenches: LATENCY of the module in cycles, > 0
ENV_SEED = "LGN2HW_TB_SEED"  # tb_lgn_top_pipelined: seed of the stimulus pattern (gaps, resets); default 1
ENV_SERIAL_BITS = "LGN2HW_TB_SERIAL_BITS"  # tb_lgn_serial: S, the width of in_data
ENV_PROGRESS = "LGN2HW_TB_PROGRESS"  # optional: where the testbench writes how many vectors it has checked

VECTORS_FILE = "vectors.npy"
SCORES_FILE = "expected_scores.npy"
CLASS_FILE = "expected_class.npy"
INDEX_FILE = "vector_index.npy"
RESULT_FILE = "tb_result.json"
RESULTS_XML = "results.xml"
PROGRESS_FILE = "progress.txt"  # one integer: vectors checked so far (rewritten every PROGRESS_EVERY)
PROGRESS_EVERY = 512

COMBINATIONAL_TESTBENCH = "tb_lgn_top"
PIPELINED_TESTBENCH = "tb_lgn_top_pipelined"
SERIAL_TESTBENCH = "tb_lgn_serial"
# The top module's ports the testbenches touch (docs/verilog-interface.md; in_features: raw-input builds).
PORTS = ("clk", "rst", "in_valid", "in_bits", "in_features", "out_valid", "scores", "class_id")


def testbench_env(folder, result, *, num_inputs: int, test_module: str, latency: int = 0, seed: int = 1,
                  max_report: int = 10, input_port: str = "in_bits") -> dict[str, str]:
    """The environment of one testbench run: the reference files in ``folder`` (the names above), the
    ``result`` path it writes, and its settings."""
    folder = Path(folder)
    return {
        ENV_VECTORS: str(folder / VECTORS_FILE),
        ENV_NUM_INPUTS: str(num_inputs),
        ENV_INPUT_PORT: input_port,
        ENV_SCORES: str(folder / SCORES_FILE),
        ENV_CLASS: str(folder / CLASS_FILE),
        ENV_INDEX: str(folder / INDEX_FILE),
        ENV_RESULT: str(result),
        ENV_MAX_REPORT: str(max_report),
        ENV_LATENCY: str(latency),
        ENV_SEED: str(seed),
        ENV_PROGRESS: str(folder / PROGRESS_FILE),
        # cocotb lets pytest rewrite the asserts of every module imported after the test starts
        # ("*.py"), numpy included: about a second per run. Only the testbench needs it.
        "COCOTB_REWRITE_ASSERTION_FILES": f"{test_module}.py",
    }
