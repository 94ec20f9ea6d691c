"""cocotb testbench for an emitted LGN top module: drive every vector, compare with the Python reference.

lgn2hw.check.cosim.verify_rtl runs it through cocotb's Python runner; the environment variables and
file names it reads are those of contract.py (the reference's vectors, expected scores and classes,
the caller's index of each vector, where to write the result, how many mismatches to describe, and the
input port: in_bits, or in_features for the raw-input front end). The numbers always come from the
Python reference, never from this file.

Per vector: set in_bits, wait 1 ns (the module is combinational), read scores and class_id and compare
them, as whole words, with the expected values. X or Z on an output is a mismatch, never a crash.
The test fails (after writing the result file) when any vector mismatches. Besides the first
mismatches in full, the result counts every mismatch per class (``class_score_mismatches``: vectors
whose class-c score differs) and per (expected, actual) class_id pair (``class_id_mismatches``).
"""

from __future__ import annotations

import heapq
import json
import os
import time

import numpy as np

import cocotb
from cocotb.triggers import Timer

import contract


def input_port(dut):
    """The input port the vectors drive (contract.ENV_INPUT_PORT, default in_bits)."""
    return getattr(dut, os.environ.get(contract.ENV_INPUT_PORT) or "in_bits")


def load_reference():
    """The files the runner wrote, checked to agree on the number of vectors:
    (vectors, num_inputs, expected scores, expected class ids, caller indices, result path, max report)."""
    vectors = np.load(os.environ[contract.ENV_VECTORS])
    num_inputs = int(os.environ[contract.ENV_NUM_INPUTS])
    exp_scores = np.load(os.environ[contract.ENV_SCORES]).astype(np.int64)
    exp_class = np.load(os.environ[contract.ENV_CLASS]).astype(np.int64)
    total = exp_scores.shape[0]
    index = np.load(os.environ[contract.ENV_INDEX]) if os.environ.get(contract.ENV_INDEX) else np.arange(total)
    if vectors.shape[0] != total or exp_class.shape != (total,) or index.shape != (total,):
        raise ValueError("vector and expected-value files disagree on the number of vectors")
    max_report = int(os.environ.get(contract.ENV_MAX_REPORT, "10"))
    return vectors, num_inputs, exp_scores, exp_class, index, os.environ[contract.ENV_RESULT], max_report


def score_field_width(dut, exp_scores: np.ndarray) -> int:
    """Bits per class in the scores port; the expected scores must fit."""
    num_classes = exp_scores.shape[1]
    if len(dut.scores) % num_classes:
        raise ValueError(f"scores is {len(dut.scores)} bits wide, not a multiple of {num_classes} classes")
    width = len(dut.scores) // num_classes
    if int(exp_scores.max(initial=0)) >= 1 << width:
        raise ValueError(f"expected scores do not fit the module's {width}-bit score fields")
    return width


def expected_words(exp_scores: np.ndarray, width: int) -> list[int]:
    """Each vector's expected scores as one integer, laid out as the scores port (class 0 lowest)."""
    packed = np.zeros(exp_scores.shape[0], dtype=object)
    for cls in range(exp_scores.shape[1]):
        packed = packed + (exp_scores[:, cls].astype(object) << (cls * width))
    return packed.tolist()


def _write_json(path: str, doc: dict) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w") as handle:
        json.dump(doc, handle, indent=1, sort_keys=True)
        handle.write("\n")
    os.replace(tmp, path)


def _write_progress(path: str, checked: int) -> None:
    """Vectors checked so far, for the runner's progress display (replaced whole: never read half-written)."""
    tmp = f"{path}.tmp"
    with open(tmp, "w") as handle:
        handle.write(f"{checked}\n")
    os.replace(tmp, path)


def _fields(value, num_classes: int, width: int) -> list:
    """Every class's score from a scores LogicArray: an int each, or the bit string where it holds X/Z."""
    bits = str(value)  # MSB first, class 0 lowest
    total = len(bits)
    texts = [bits[total - (cls + 1) * width : total - cls * width] for cls in range(num_classes)]
    return [int(text, 2) if set(text) <= {"0", "1"} else text for text in texts]


class MismatchTally:
    """Counts of every mismatch: per class score field, and per (expected, actual) class_id pair."""

    def __init__(self, num_classes: int):
        self.scores = [0] * num_classes
        self.class_ids: dict[tuple, int] = {}

    def add(self, got_fields: list, actual, expected_scores, expected_class: int) -> None:
        """``got_fields``: the read scores (_fields); ``actual``: the read class_id (_as_int_or_text)."""
        for cls, want in enumerate(expected_scores):
            if got_fields[cls] != int(want):
                self.scores[cls] += 1
        if actual != expected_class:
            key = (int(expected_class), actual)
            self.class_ids[key] = self.class_ids.get(key, 0) + 1

    def to_json(self) -> dict:
        pairs = sorted(self.class_ids.items(), key=lambda item: (item[0][0], str(item[0][1])))
        return {
            "class_score_mismatches": self.scores,
            "class_id_mismatches": [[want, got, count] for (want, got), count in pairs],
        }


def _as_int_or_text(value):
    # int() rather than .to_unsigned(): a 1-bit port (class_id with 2 classes) reads as a Logic
    return int(value) if value.is_resolvable else str(value)


class ResultLog:
    """What every testbench reports: compares a vector's outputs with the reference, counts the
    mismatches (MismatchTally per class), keeps the lowest-index mismatching vectors in full, collects
    out_valid errors, and at the end writes the result file and fails the test."""

    def __init__(self, stimulus: list[int], exp_scores: np.ndarray, exp_class: np.ndarray, index: np.ndarray,
                 width: int, num_inputs: int, max_report: int):
        self.stimulus, self.exp_scores, self.width, self.max_report = stimulus, exp_scores, width, max_report
        # Whole-word expected values: one int compare per output and vector.
        self.expected = expected_words(exp_scores, width)
        self.expected_ids = exp_class.tolist()
        self.original = index.tolist()
        self.num_inputs = num_inputs
        self.hex_digits = max(1, -(-num_inputs // 4))
        self.mismatches = 0
        self.tally = MismatchTally(exp_scores.shape[1])
        self.kept: list[tuple[int, dict]] = []  # max-heap (by negated index) of the lowest-index mismatches
        self.valid_errors: list[str] = []
        self.checked = 0
        self.progress_path = os.environ.get(contract.ENV_PROGRESS)

    def check(self, i: int, got_scores, got_class) -> None:
        """Compare vector i's scores and class_id with the reference; record a mismatch."""
        self.checked += 1
        if self.progress_path and self.checked % contract.PROGRESS_EVERY == 0:
            _write_progress(self.progress_path, self.checked)
        if (  # int(): 1-bit ports read as Logic, wider ones as LogicArray; both convert when resolvable
            got_scores.is_resolvable
            and got_class.is_resolvable
            and int(got_scores) == self.expected[i]
            and int(got_class) == self.expected_ids[i]
        ):
            return
        self.mismatches += 1
        fields = _fields(got_scores, self.exp_scores.shape[1], self.width)  # read once, used twice
        actual = _as_int_or_text(got_class)
        self.tally.add(fields, actual, self.exp_scores[i], self.expected_ids[i])
        vector = self.original[i]
        if self.max_report > 0 and (len(self.kept) < self.max_report or vector < -self.kept[0][0]):
            record = {
                "vector": vector,
                "input_hex": f"{self.stimulus[i]:0{self.hex_digits}x}",
                "expected_scores": [int(s) for s in self.exp_scores[i]],
                "actual_scores": fields,
                "expected_class": self.expected_ids[i],
                "actual_class": actual,
            }
            if len(self.kept) < self.max_report:
                heapq.heappush(self.kept, (-vector, record))
            else:
                heapq.heapreplace(self.kept, (-vector, record))
        return False

    def finish(self, result_path: str, sim_seconds: float, **extra) -> None:
        """Write the result file, then fail on out_valid errors or mismatches."""
        total = len(self.expected)
        first = [record for _, record in sorted(self.kept, key=lambda item: -item[0])]
        _write_json(
            result_path,
            {
                "complete": True,
                "vectors": total,
                "mismatches": self.mismatches,
                "first_mismatches": first,
                "out_valid_errors": self.valid_errors,
                "score_width": self.width,
                "sim_seconds": sim_seconds,
                **extra,
                **self.tally.to_json(),
            },
        )
        assert not self.valid_errors, "; ".join(self.valid_errors)
        if self.mismatches:
            m = first[0] if first else {}
            raise AssertionError(
                f"{self.mismatches} of {total} vectors mismatch; first at vector {m.get('vector')} "
                f"(in_bits=0x{m.get('input_hex')}): expected scores {m.get('expected_scores')} class "
                f"{m.get('expected_class')}, got {m.get('actual_scores')} class {m.get('actual_class')}"
            )


def start_run(dut, port) -> tuple[ResultLog, str]:
    """Load the reference, check that ``port`` (None: not checked here) is as wide as the vectors and
    that the expected scores fit the scores port; the ResultLog for the run and the result path."""
    vectors, num_inputs, exp_scores, exp_class, index, result_path, max_report = load_reference()
    if port is not None and len(port) != num_inputs:
        raise ValueError(f"the input port is {len(port)} bits wide, the vectors have {num_inputs}")
    width = score_field_width(dut, exp_scores)
    stimulus = [int.from_bytes(row.tobytes(), "little") for row in vectors]
    return ResultLog(stimulus, exp_scores, exp_class, index, width, num_inputs, max_report), result_path


@cocotb.test()
async def compare_with_reference(dut):
    """Every vector: scores and class_id equal the Python reference."""
    log, result_path = start_run(dut, input_port(dut))
    stimulus, total = log.stimulus, len(log.expected)

    in_bits, scores, class_id = input_port(dut), dut.scores, dut.class_id
    dut.clk.value = 0
    dut.rst.value = 0
    dut.in_valid.value = 1
    settle = Timer(1, unit="ns")

    start = time.perf_counter()
    for i in range(total):
        in_bits.value = stimulus[i]
        await settle
        log.check(i, scores.value, class_id.value)
    sim_seconds = time.perf_counter() - start

    # out_valid follows in_valid in the same cycle (combinational build).
    if str(dut.out_valid.value) != "1":
        log.valid_errors.append(f"out_valid is {dut.out_valid.value} while in_valid is 1")
    dut.in_valid.value = 0
    await settle
    if str(dut.out_valid.value) != "0":
        log.valid_errors.append(f"out_valid is {dut.out_valid.value} while in_valid is 0")
    log.finish(result_path, sim_seconds)
