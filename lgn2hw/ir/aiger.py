"""Reading and simulating AIGER files (binary ``aig`` and ASCII ``aag``), combinational only.

What ``lgn2hw export --target aiger`` writes is read back here and simulated bit-parallel on numpy
words, so the export and the tests can compare every output bit with lgn2hw.ir.simulate without an
external tool. Latches are refused (the exporter writes none). Names come from the symbol table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ..errors import NetlistError


@dataclass(frozen=True)
class AigerFile:
    """A combinational AIG: ``ands`` (A, 3) int64 rows (lhs, rhs0, rhs1) in file order."""

    max_var: int
    num_inputs: int
    outputs: np.ndarray  # output literals
    ands: np.ndarray
    input_names: dict[int, str]
    output_names: dict[int, str]
    comments: list[str]

    @property
    def num_ands(self) -> int:
        return int(self.ands.shape[0])

    def output_index(self, name: str) -> int:
        for i, found in self.output_names.items():
            if found == name:
                return i
        raise KeyError(name)

    def simulate(self, inputs: np.ndarray) -> np.ndarray:
        """(samples, I) 0/1 -> (samples, O) uint8 output values."""
        inputs = np.asarray(inputs, dtype=np.uint8)
        if inputs.ndim != 2 or inputs.shape[1] != self.num_inputs:
            raise ValueError(f"inputs must be (samples, {self.num_inputs}), got {inputs.shape}")
        samples = inputs.shape[0]
        packed = np.packbits(inputs.astype(bool), axis=0, bitorder="little")  # (ceil(samples/8), I) bytes
        packed = np.pad(packed, ((0, (-packed.shape[0]) % 8), (0, 0)))
        words = np.ascontiguousarray(packed.T).view(np.uint64)  # (I, words): sample s in bit s % 64
        values = np.zeros((self.max_var + 1, words.shape[1]), dtype=np.uint64)
        values[1 : self.num_inputs + 1] = words
        ones = np.uint64(0xFFFFFFFFFFFFFFFF)
        for lhs, r0, r1 in self.ands.tolist():
            x = values[r0 >> 1] ^ ones if r0 & 1 else values[r0 >> 1]
            y = values[r1 >> 1] ^ ones if r1 & 1 else values[r1 >> 1]
            values[lhs >> 1] = x & y
        out = values[self.outputs >> 1] ^ np.where(self.outputs & 1, ones, np.uint64(0))[:, None]
        bits = np.unpackbits(out.view(np.uint8), axis=1, bitorder="little")[:, :samples]
        return bits.T.copy()


def _number(data: bytes, pos: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        if pos >= len(data):
            raise NetlistError("AIGER: file ends inside an AND gate")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7


def _line(data: bytes, pos: int) -> tuple[str, int]:
    end = data.find(b"\n", pos)
    if end < 0:
        raise NetlistError("AIGER: file ends inside a line")
    return data[pos:end].decode("ascii", "replace"), end + 1


def read_aiger(data: bytes) -> AigerFile:
    """Parse AIGER bytes (``aig`` or ``aag``); NetlistError on anything malformed or sequential."""
    header, pos = _line(data, 0)
    match = re.fullmatch(r"(aig|aag) (\d+) (\d+) (\d+) (\d+) (\d+)((?: \d+)*)", header)
    if not match:
        raise NetlistError(f"AIGER: bad header {header[:60]!r}")
    kind = match.group(1)
    m, i, latches, o, a = (int(match.group(g)) for g in range(2, 7))
    if latches:
        raise NetlistError(f"AIGER: {latches} latches; only combinational AIGs are read")
    if match.group(7).strip() and any(int(x) for x in match.group(7).split()):
        raise NetlistError("AIGER: bad, constraint, justice or fairness properties are not read")
    ands = np.zeros((a, 3), dtype=np.int64)
    if kind == "aag":
        for n in range(i):
            text, pos = _line(data, pos)
            if int(text) != 2 * (n + 1):
                raise NetlistError("AIGER: inputs must be numbered 2, 4, ... in order")
    outputs = []
    for _ in range(o):
        text, pos = _line(data, pos)
        outputs.append(int(text.split()[0]))
    for n in range(a):
        if kind == "aag":
            text, pos = _line(data, pos)
            ands[n] = [int(x) for x in text.split()]
        else:
            lhs = 2 * (i + n + 1)
            d0, pos = _number(data, pos)
            d1, pos = _number(data, pos)
            ands[n] = (lhs, lhs - d0, lhs - d0 - d1)
    if kind == "aag" and a and (ands[:, 0] // 2 <= np.maximum(ands[:, 1], ands[:, 2]) // 2).any():
        raise NetlistError("AIGER: ASCII ANDs must come in topological order (each after its operands)")
    if (ands[:, 1:] > 2 * m + 1).any() or any(lit > 2 * m + 1 for lit in outputs) or i + a > m:
        raise NetlistError("AIGER: a literal names no variable")
    inputs, outs, comments = {}, {}, []
    while pos < len(data):
        text, pos = _line(data, pos)
        if text == "c":
            comments = data[pos:].decode("utf-8", "replace").splitlines()
            break
        sym = re.fullmatch(r"([ilo])(\d+) (.+)", text)
        if sym is None:
            raise NetlistError(f"AIGER: bad symbol line {text[:60]!r}")
        (inputs if sym.group(1) == "i" else outs)[int(sym.group(2))] = sym.group(3)
    return AigerFile(m, i, np.array(outputs, dtype=np.int64), ands, inputs, outs, comments)
