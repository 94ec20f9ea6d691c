"""cocotb testbench for the serial-input top written by ``lgn2hw export --target ice40`` (<top>_serial).

Same environment variables as tb_lgn_top.py (contract.py), plus contract.ENV_LATENCY (LATENCY of the
serial top: cycles from in_valid to out_valid, > 0) and contract.ENV_SERIAL_BITS (S, the width of
in_data: input bits loaded per in_shift cycle).

A 10 ns clock runs on clk; inputs change and outputs are read on the falling edge. After a 2-cycle
reset, each vector is loaded in ceil(N/S) cycles with in_shift = 1 (chunk j = bits j*S .. j*S+S-1,
chunk 0 first), then in_valid is pulsed for one cycle while the first chunk of the next vector is
already shifting in (the buffer is sampled before that shift lands). Every cycle out_valid must be
high exactly LATENCY cycles after an in_valid pulse; then scores and class_id must equal the expected
values of that vector. The result file has the tb_lgn_top.py keys (per-class mismatch counts
included) plus latency and cycles.
"""

from __future__ import annotations

import os
import time
from collections import deque

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge

import contract
from tb_lgn_top import start_run

MAX_VALID_ERRORS = 20


@cocotb.test()
async def serial_load_matches_reference(dut):
    """Load every vector through in_data/in_shift; each result LATENCY cycles after its in_valid."""
    log, result_path = start_run(dut, None)  # the serial top loads the vector through in_data
    stimulus, total, num_inputs = log.stimulus, len(log.expected), log.num_inputs
    latency = int(os.environ[contract.ENV_LATENCY])
    bits = int(os.environ[contract.ENV_SERIAL_BITS])
    if len(dut.in_data) != bits:
        raise ValueError(f"in_data is {len(dut.in_data)} bits wide, expected {bits}")
    chunks = -(-num_inputs // bits)
    mask = (1 << bits) - 1

    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.rst.value = 1
    dut.in_valid.value = 0
    dut.in_shift.value = 0
    dut.in_data.value = 0
    for _ in range(2):
        await FallingEdge(dut.clk)
    dut.rst.value = 0

    # One entry per cycle: the vector whose in_valid was sampled that cycle, or None.
    # After the read in cycle k, out_valid reflects the vector sampled LATENCY - 1 cycles earlier.
    sampled: deque = deque([None] * (latency - 1), maxlen=latency)
    cycles = 0
    compared = 0
    start = time.perf_counter()

    async def cycle(data: int, shift: int, valid: int, vector):
        nonlocal cycles, compared
        dut.in_data.value = data
        dut.in_shift.value = shift
        dut.in_valid.value = valid
        await FallingEdge(dut.clk)  # the rising edge in between sampled the inputs above
        cycles += 1
        sampled.append(vector if valid else None)
        due = sampled[0] if len(sampled) == latency else None
        got_valid = str(dut.out_valid.value)
        if got_valid != ("1" if due is not None else "0"):
            if len(log.valid_errors) < MAX_VALID_ERRORS:
                log.valid_errors.append(f"cycle {cycles}: out_valid {got_valid}, expected {int(due is not None)}")
            return
        if due is None:
            return
        compared += 1
        log.check(due, dut.scores.value, dut.class_id.value)

    pending = None  # the vector fully loaded and waiting for its in_valid pulse
    for v in range(total):
        word = stimulus[v]
        for j in range(chunks):
            data = (word >> (j * bits)) & mask
            if j == 0 and pending is not None:
                await cycle(data, 1, 1, pending)  # in_valid samples the old buffer, the shift lands after
                pending = None
            else:
                await cycle(data, 1, 0, None)
        pending = v
    await cycle(0, 0, 1, pending)
    for _ in range(latency + 1):
        await cycle(0, 0, 0, None)
    sim_seconds = time.perf_counter() - start

    if compared != total and not log.valid_errors:
        log.valid_errors.append(f"only {compared} of {total} results came out")
    log.finish(result_path, sim_seconds, latency=latency, cycles=cycles)
