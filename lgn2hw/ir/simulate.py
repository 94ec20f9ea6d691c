"""Bit-packed reference simulator of a netlist: 64 samples per machine word, one array step per gate kind per level.

This is the Python reference the RTL is checked against, and what accuracy reports use on whole test
sets. There is no per-gate and no per-sample Python code:

- Schedule (built once): gates are grouped by logic level and, within a level, by kernel. Every one of
  the 16 gate functions is one of five kernels (AND, OR, XOR, a AND NOT b, copy of a), with the
  operands possibly swapped and the output possibly inverted; the kernel of each gate id is found by
  evaluating the kernels on the gate's truth table (lgn2hw.ir.gates), so there is no second copy of the
  gate semantics. Constant gates are written once; pass-through gates (a, b) are not evaluated at all,
  their row aliases the operand's.
- Values live in one (rows, words) uint64 buffer whose rows follow the schedule, so each group writes a
  contiguous slice: per group two row gathers (``np.take`` into preallocated scratch) and one or two
  bitwise ufuncs with ``out=``, no temporaries.
- Samples are processed in blocks of BLOCK_WORDS words (BLOCK_WORDS * 64 samples) so that a level's
  scratch stays in cache.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from ..errors import NetlistError
from .gates import GATES, compose_id, gate_from_function
from .netlist import Netlist

_WORD = 64
# Upper bound on the signal-value buffer (rows x words x 8 bytes) per block of samples.
_CHUNK_BYTES = 256 * 1024 * 1024
SCORE_ROWS = 4080  # output rows unpacked at a time by packed_scores (a multiple of 255)
BLOCK_WORDS = 32  # words (x 64 samples) per block: 16..64 measured fastest (4..157 tried) on 6 x 8000 gates

_ONES = np.uint64(0xFFFFFFFFFFFFFFFF)


def pack_bits(bits: np.ndarray) -> np.ndarray:
    """(samples, n) array of 0/1 -> (n, words) uint64; sample s is bit s % 64 of word s // 64."""
    bits = np.asarray(bits)
    samples, n = bits.shape
    words = max(1, -(-samples // _WORD))
    padded = np.zeros((words * _WORD, n), dtype=np.uint8)
    np.not_equal(bits, 0, out=padded[:samples].view(bool))
    # Byte j of word w holds samples w*64 + 8j .. +7: weight each sample bit by its place in the byte
    # and OR along the 8, then bring the input axis to the front (one small byte transpose).
    weights = (np.uint8(1) << np.arange(8, dtype=np.uint8))[None, None, :, None]
    packed = np.bitwise_or.reduce(padded.reshape(words, 8, 8, n) * weights, axis=2)  # (words, 8, n)
    return np.ascontiguousarray(packed.transpose(2, 0, 1)).reshape(n, words * 8).view("<u8").astype(np.uint64, copy=False)


def unpack_bits(packed: np.ndarray, samples: int) -> np.ndarray:
    """Inverse of pack_bits: (n, words) uint64 -> (samples, n) uint8."""
    as_bytes = np.ascontiguousarray(packed).astype("<u8", copy=False).view(np.uint8)
    return np.unpackbits(as_bytes, axis=1, bitorder="little")[:, :samples].T.copy()


# Kernels on (x, y, out): x and y are scratch gathers of the operands and may be overwritten.
def _k_and(x, y, out):
    np.bitwise_and(x, y, out=out)


def _k_or(x, y, out):
    np.bitwise_or(x, y, out=out)


def _k_xor(x, y, out):
    np.bitwise_xor(x, y, out=out)


def _k_andn(x, y, out):
    np.invert(y, out=y)
    np.bitwise_and(x, y, out=out)


# name -> function on packed words (x, y, out); "copy" (reads x only) and "zero" are done by the schedule.
_KERNELS = {"and": _k_and, "or": _k_or, "xor": _k_xor, "andn": _k_andn, "copy": None, "zero": None}


def _kernel_table(name: str) -> str:
    """Truth table (a, b = 00, 01, 10, 11) of a kernel, by running it on packed words."""
    x = np.array([[0, 0, _ONES, _ONES]], dtype=np.uint64)
    y = np.array([[0, _ONES, 0, _ONES]], dtype=np.uint64)
    fn = _KERNELS[name]
    if name == "copy":
        out = x.copy()
    elif name == "zero":
        out = np.zeros_like(x)
    else:
        out = np.empty_like(x)
        fn(x.copy(), y.copy(), out)
    return "".join("1" if v else "0" for v in out[0])


@cache
def gate_kernels() -> tuple[tuple[str, bool, bool], ...]:
    """Per gate id: (kernel, swap operands, invert output). Each kernel's gate is found by running it;
    swapping and inverting come from the gate table (lgn2hw.ir.gates), the first kernel in _KERNELS order
    (then no swap, then no inversion) wins."""
    by_id: dict[int, tuple[str, bool, bool]] = {}
    for name in _KERNELS:
        table = _kernel_table(name)
        base = gate_from_function(lambda a, b: table[2 * a + b] == "1")
        for swap in (False, True):
            for invert in (False, True):
                op = compose_id(GATES[base].swapped_id if swap else base, invert_out=invert)
                by_id.setdefault(op, (name, swap, invert))
    missing = [g.name for g in GATES if g.id not in by_id]
    if missing:  # pragma: no cover - every two-input function is covered by the kernels
        raise AssertionError(f"no simulator kernel for gates {missing}")
    return tuple(by_id[g.id] for g in GATES)


class Simulator:
    """Evaluates one netlist on many samples; precomputes the level and kernel schedule once."""

    def __init__(self, netlist: Netlist):
        netlist.validate()
        self.netlist = netlist
        n, gates = netlist.num_inputs, netlist.num_gates
        names = list(_KERNELS)
        per_op = np.array([(names.index(k), s, i) for k, s, i in gate_kernels()], dtype=np.int64)[netlist.ops]
        kind, swap, invert = per_op[:, 0], per_op[:, 1].astype(bool), per_op[:, 2].astype(bool)
        first = np.where(swap, netlist.b, netlist.a)  # operand x of the kernel
        second = np.where(swap, netlist.a, netlist.b)  # operand y
        level = netlist.levels()[n:]
        # row[s]: buffer row of signal s. Inputs first, then one contiguous row range per (level, kernel,
        # invert) group; a non-inverting copy (wire) takes its operand's row instead of a row of its own.
        row = np.empty(netlist.num_signals, dtype=np.int64)
        row[:n] = np.arange(n)
        is_wire = (kind == names.index("copy")) & ~invert
        order = np.lexsort((invert, kind, level))
        next_row = n
        self._const_ones: list[tuple[int, int]] = []
        self._groups: list[tuple] = []  # (fn or None, row lo, row hi, x rows, y rows, invert)
        key = np.stack([level, kind, invert.astype(np.int64)], axis=1)[order]
        cuts = np.flatnonzero(np.any(key[1:] != key[:-1], axis=1)) + 1
        for idx in np.split(order, cuts) if gates else []:
            name = names[kind[idx[0]]]
            inv = bool(invert[idx[0]])
            if is_wire[idx[0]]:
                # Operands are at lower levels (already have rows); wires of wires resolve in level order.
                row[n + idx] = row[first[idx]]
                continue
            lo, hi = next_row, next_row + idx.size
            row[n + idx] = np.arange(lo, hi)
            next_row = hi
            if name == "zero":
                if inv:
                    self._const_ones.append((lo, hi))
                continue
            fn = _KERNELS[name]
            x_rows = row[first[idx]]
            y_rows = row[second[idx]] if fn is not None else None
            self._groups.append((fn, lo, hi, x_rows, y_rows, inv))
        self._rows = next_row
        self._max_group = max((hi - lo for _, lo, hi, *_ in self._groups), default=0)
        self._out_rows = row[netlist.outputs]

    def run_packed(self, packed_inputs: np.ndarray) -> np.ndarray:
        """(num_inputs, words) packed inputs -> (num_outputs, words) packed output bits."""
        n = self.netlist.num_inputs
        if packed_inputs.ndim != 2 or packed_inputs.shape[0] != n:
            raise NetlistError(f"expected packed inputs of shape ({n}, words), got {packed_inputs.shape}")
        words = packed_inputs.shape[1]
        block = max(1, min(words, BLOCK_WORDS, _CHUNK_BYTES // (8 * max(1, self._rows))))
        out = np.empty((self._out_rows.shape[0], words), dtype=np.uint64)
        values = np.zeros((self._rows, block), dtype=np.uint64)  # constant-zero rows stay zero
        for lo, hi in self._const_ones:
            values[lo:hi] = _ONES
        scratch_x = np.empty((self._max_group, block), dtype=np.uint64)
        scratch_y = np.empty((self._max_group, block), dtype=np.uint64)
        for start in range(0, words, block):
            stop = min(words, start + block)
            width = stop - start
            if width != block:  # last, narrower block: fresh buffers of its width
                values = np.ascontiguousarray(values[:, :width])
                scratch_x = np.empty((self._max_group, width), dtype=np.uint64)
                scratch_y = np.empty((self._max_group, width), dtype=np.uint64)
            values[:n] = packed_inputs[:, start:stop]
            for fn, lo, hi, x_rows, y_rows, inv in self._groups:
                dst = values[lo:hi]
                if fn is None:  # inverted copy (NOT)
                    np.take(values, x_rows, axis=0, out=scratch_x[: hi - lo], mode="clip")
                    np.invert(scratch_x[: hi - lo], out=dst)
                    continue
                x, y = scratch_x[: hi - lo], scratch_y[: hi - lo]
                np.take(values, x_rows, axis=0, out=x, mode="clip")
                np.take(values, y_rows, axis=0, out=y, mode="clip")
                fn(x, y, dst)
                if inv:
                    np.invert(dst, out=dst)
            out[:, start:stop] = values[self._out_rows]
        return out

    def output_bits(self, bits: np.ndarray) -> np.ndarray:
        """(samples, num_inputs) 0/1 -> (samples, num_outputs) uint8 output bits."""
        bits = _check_bits(bits, self.netlist.num_inputs)
        return unpack_bits(self.run_packed(pack_bits(bits)), bits.shape[0])

    def scores(self, bits: np.ndarray, batch: int = 65536) -> np.ndarray:
        """(samples, num_inputs) 0/1 -> (samples, num_classes) int64 popcount class scores."""
        bits = _check_bits(bits, self.netlist.num_inputs)
        c, k = self.netlist.num_classes, self.netlist.group_size
        result = np.empty((bits.shape[0], c), dtype=np.int64)
        for start in range(0, bits.shape[0], batch):
            chunk = bits[start : start + batch]
            result[start : start + chunk.shape[0]] = packed_scores(self.run_packed(pack_bits(chunk)), c, k, chunk.shape[0])
        return result


def packed_scores(packed_outputs: np.ndarray, num_classes: int, group_size: int, samples: int) -> np.ndarray:
    """(num_classes * group_size, words) packed output bits -> (samples, num_classes) int64 popcounts.

    Unpacks along the sample axis (no transpose of the big bit matrix), SCORE_ROWS output rows at a
    time (the unpacked bits of a 200,000-output layer and 10,000 samples would be 2 GB), and sums each
    class's rows in uint8 (255 at a time: cannot overflow), the partial sums in int64.
    """
    packed = np.ascontiguousarray(packed_outputs).astype("<u8", copy=False)
    sums = np.zeros((num_classes, packed.shape[1] * 64), dtype=np.int64)
    for cls in range(num_classes):
        rows = packed[cls * group_size : (cls + 1) * group_size]
        for lo in range(0, group_size, SCORE_ROWS):
            bits = np.unpackbits(rows[lo : lo + SCORE_ROWS].view(np.uint8), axis=1, bitorder="little")
            for part in range(0, bits.shape[0], 255):
                sums[cls] += np.add.reduce(bits[part : part + 255], axis=0, dtype=np.uint8)
    return np.ascontiguousarray(sums[:, :samples].T)


def scores(netlist: Netlist, bits: np.ndarray) -> np.ndarray:
    """Class scores of ``netlist`` on binary input vectors (samples, num_inputs)."""
    return Simulator(netlist).scores(bits)


def predict(class_scores: np.ndarray) -> np.ndarray:
    """Class ids from scores; ties go to the lowest class index, as torch.argmax and the RTL do."""
    return np.argmax(class_scores, axis=1)


def _check_bits(bits: np.ndarray, num_inputs: int) -> np.ndarray:
    bits = np.asarray(bits)
    if bits.ndim != 2 or bits.shape[1] != num_inputs:
        raise NetlistError(f"expected input bits of shape (samples, {num_inputs}), got {bits.shape}")
    return bits


def expected_outputs(netlist: Netlist, bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reference (scores, class ids) of ``netlist`` on ``bits``; ties go to the lowest class index,
    as torch.argmax and the RTL's argmax do."""
    scores = Simulator(netlist).scores(bits)
    return scores, np.argmax(scores, axis=1)
