"""cocotb testbench for a pipelined LGN top module (emit_verilog(..., pipeline=N), N > 0).

Same environment variables as tb_lgn_top.py (contract.py), plus contract.ENV_LATENCY (LATENCY of the
module: cycles from in_bits/in_valid to the outputs, > 0) and contract.ENV_SEED (seed of the stimulus
pattern: gaps, resets; default 1).

A 10 ns clock runs on clk. Inputs change and outputs are read on the falling edge, so that every value
is stable around the rising edge where the registers sample. After a reset the vectors are driven in
order: the first third back to back (in_valid = 1 every cycle), the rest with random gaps (in_valid = 0
on about 40 % of the cycles). Twice in the middle of the stream, rst is held high for 2 cycles while
in_valid stays 1: every vector still in flight (sampled at or after LATENCY - 1 cycles before the reset)
is lost, is checked to be lost (out_valid low where it would have come out), and is driven again later.

Every cycle the model predicts out_valid: high exactly when in_valid was high LATENCY cycles earlier
and no reset was sampled since. A wrong out_valid is an out_valid error; when out_valid is expected
high, scores and class_id must equal the expected values of that vector (results in order, exactly
LATENCY cycles later). Each vector is compared once (its surviving drive). The result file has the
tb_lgn_top.py keys (per-class mismatch counts included) plus latency, cycles, resets and killed_in_flight.
"""

from __future__ import annotations

import os
import time
from collections import deque

import numpy as np

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge

import contract
from tb_lgn_top import input_port, start_run

MAX_VALID_ERRORS = 20
RESET_CYCLES = 2


@cocotb.test()
async def pipelined_stream_matches_reference(dut):
    """Streams with and without gaps and with mid-stream resets: every result LATENCY cycles later."""
    log, result_path = start_run(dut, input_port(dut))
    stimulus, total = log.stimulus, len(log.expected)
    latency = int(os.environ[contract.ENV_LATENCY])
    rng = np.random.default_rng(int(os.environ.get(contract.ENV_SEED, "1")))
    if latency < 1:
        raise ValueError(f"latency must be >= 1 for the pipelined testbench, got {latency}")

    # Reset plan: after about 1/2 and 3/4 of the vectors have been driven (once each).
    reset_at = sorted({max(1, total // 2), max(1, (3 * total) // 4)})
    gaps_from = total // 3

    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.rst.value = 1
    dut.in_valid.value = 0
    input_port(dut).value = 0
    # history[f] = (in_valid, vector or None, rst) driven at falling edge f (sampled at the next rising edge)
    history: list[tuple[int, int | None, int]] = []
    pending: deque[int] = deque(range(total))
    checked = [False] * total
    valid_error_count = 0
    resets = 0
    killed = 0
    issued = 0  # vectors driven so far (counting re-drives)
    reset_left = 0
    next_reset = 0

    in_bits, scores, class_id, out_valid = input_port(dut), dut.scores, dut.class_id, dut.out_valid
    start = time.perf_counter()
    f = 0
    tail = 0
    while True:
        await FallingEdge(dut.clk)
        # ---- check what the registers produced at the rising edge just before this falling edge
        if f >= 1:
            src = f - latency
            if src >= 0:
                valid_src, vec_src, _ = history[src]
                reset_since = any(history[j][2] for j in range(src, f))
                want_valid = bool(valid_src) and not reset_since
            else:
                want_valid, vec_src = False, None
            got_valid = out_valid.value
            if str(got_valid) != ("1" if want_valid else "0"):
                valid_error_count += 1
                if len(log.valid_errors) < MAX_VALID_ERRORS:
                    log.valid_errors.append(
                        f"cycle {f}: out_valid is {got_valid}, expected {int(want_valid)}"
                        + (f" (vector {log.original[vec_src]} driven at cycle {src})" if vec_src is not None else "")
                    )
            if want_valid:
                checked[vec_src] = True
                log.check(vec_src, scores.value, class_id.value)
        # ---- drive the next cycle
        if f == 0:
            history.append((0, None, 1))  # initial reset
            f += 1
            continue
        if not pending:
            tail += 1
            if tail > latency + 1:
                break
            dut.rst.value = 0
            dut.in_valid.value = 0
            history.append((0, None, 0))
            f += 1
            continue
        rst = 0
        if reset_left == 0 and next_reset < len(reset_at) and issued >= reset_at[next_reset]:
            next_reset += 1
            reset_left = RESET_CYCLES
            resets += 1
        if reset_left:
            rst = 1
            reset_left -= 1
        valid = 1 if (issued < gaps_from or rst or rng.random() >= 0.4) else 0
        vec = None
        if valid:
            vec = pending.popleft()
            issued += 1
            in_bits.value = stimulus[vec]
        dut.rst.value = rst
        dut.in_valid.value = valid
        history.append((valid, vec, rst))
        if rst:
            # every valid vector driven in the last LATENCY cycles (this one included) is lost: drive again
            lost = [history[j][1] for j in range(max(0, f - latency + 1), f + 1) if history[j][0]]
            queued = set(pending)
            lost = [v for v in dict.fromkeys(lost) if v is not None and v not in queued]
            killed += sum(1 for j in range(max(0, f - latency + 1), f) if history[j][0] and not history[j][2])
            for v in reversed(lost):
                pending.appendleft(v)
        f += 1
    sim_seconds = time.perf_counter() - start

    unchecked = [log.original[i] for i in range(total) if not checked[i]]
    if unchecked:
        log.valid_errors.append(f"{len(unchecked)} vectors never came out with out_valid high, e.g. {unchecked[:5]}")
    elif valid_error_count > len(log.valid_errors):
        log.valid_errors.append(f"... {valid_error_count} out_valid errors in all")
    log.finish(result_path, sim_seconds, latency=latency, cycles=f, resets=resets, killed_in_flight=killed)
