"""Bit-packed reference simulator of a netlist: 64 samples per machine word, one array step per level.

This is the Python reference the RTL is checked against, and what accuracy reports use on whole test
sets. Gates are evaluated as a two-level multiplexer over their truth table (masks from lgn2hw.gates),
so there is no per-gate Python code and no second copy of the gate semantics.
"""

from __future__ import annotations

import numpy as np

from .errors import NetlistError
from .gates import truth_masks
from .netlist import Netlist

_WORD = 64
# Upper bound on the signal-value buffer (signals x words x 8 bytes) per chunk of samples.
_CHUNK_BYTES = 256 * 1024 * 1024


def pack_bits(bits: np.ndarray) -> np.ndarray:
    """(samples, n) array of 0/1 -> (n, words) uint64; sample s is bit s % 64 of word s // 64."""
    bits = np.asarray(bits)
    samples = bits.shape[0]
    words = max(1, -(-samples // _WORD))
    padded = np.zeros((bits.shape[1], words * _WORD), dtype=np.uint8)
    padded[:, :samples] = bits.T != 0
    return np.packbits(padded, axis=1, bitorder="little").view("<u8").astype(np.uint64, copy=False)


def unpack_bits(packed: np.ndarray, samples: int) -> np.ndarray:
    """Inverse of pack_bits: (n, words) uint64 -> (samples, n) uint8."""
    as_bytes = np.ascontiguousarray(packed).astype("<u8", copy=False).view(np.uint8)
    return np.unpackbits(as_bytes, axis=1, bitorder="little")[:, :samples].T.copy()


class Simulator:
    """Evaluates one netlist on many samples; precomputes the level schedule once."""

    def __init__(self, netlist: Netlist):
        netlist.validate()
        self.netlist = netlist
        level = netlist.levels()[netlist.num_inputs :]
        order = np.argsort(level, kind="stable")
        bounds = np.searchsorted(level[order], np.arange(1, int(level.max(initial=0)) + 2))
        masks = truth_masks()[netlist.ops]
        self._levels = []
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            idx = order[lo:hi]
            m = masks[idx]
            # out = a ? (b ? m11 : m10) : (b ? m01 : m00), with each mux as x ^ ((x ^ y) & sel).
            self._levels.append(
                (
                    netlist.num_inputs + idx,
                    netlist.a[idx],
                    netlist.b[idx],
                    m[:, 0:1],
                    (m[:, 0] ^ m[:, 1])[:, None],
                    m[:, 2:3],
                    (m[:, 2] ^ m[:, 3])[:, None],
                )
            )

    def run_packed(self, packed_inputs: np.ndarray) -> np.ndarray:
        """(num_inputs, words) packed inputs -> (num_outputs, words) packed output bits."""
        n = self.netlist.num_inputs
        if packed_inputs.ndim != 2 or packed_inputs.shape[0] != n:
            raise NetlistError(f"expected packed inputs of shape ({n}, words), got {packed_inputs.shape}")
        words = packed_inputs.shape[1]
        chunk = max(1, min(words, _CHUNK_BYTES // (8 * self.netlist.num_signals)))
        out = np.empty((self.netlist.outputs.shape[0], words), dtype=np.uint64)
        values = np.empty((self.netlist.num_signals, chunk), dtype=np.uint64)
        for start in range(0, words, chunk):
            stop = min(words, start + chunk)
            v = values[:, : stop - start]
            v[:n] = packed_inputs[:, start:stop]
            for sig, a, b, m00, x01, m10, x11 in self._levels:
                va, vb = v[a], v[b]
                lo = m00 ^ (x01 & vb)
                hi = m10 ^ (x11 & vb)
                v[sig] = lo ^ ((lo ^ hi) & va)
            out[:, start:stop] = v[self.netlist.outputs]
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
            out = self.output_bits(chunk)
            result[start : start + chunk.shape[0]] = out.reshape(-1, c, k).sum(axis=2, dtype=np.int64)
        return result


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
