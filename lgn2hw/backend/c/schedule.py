"""The batch variant's evaluation plan: gate order, kernel groups and the rows of the value buffer.

The batch code keeps one *row* of words (64 samples a bit, several words wide) per live signal and
evaluates gates from a table, one tight loop per run of gates with the same kernel. The plan:

- Copies (``a``, ``b`` gates) are not evaluated: every reader of a copy reads its source instead
  (chains resolve in signal order, since operands precede their gate). Gates nobody reads are dropped.
- Fusion (lgn2hw.backend.c.fuse): a gate read once, by one gate, is computed inside its reader, a
  3-operand table entry; its own row is never written.
- Order: by logic level, then by kernel, so that each (level, kernel) run is one group and entries of
  a group never read each other.
- Rows: input bit i is row ``i + i // 64`` at the start of every block of samples (the input words
  are transposed in place in squares of 64 rows, one row apart so that they do not start on the same
  4 KiB boundary, where stores to them would compete for the same cache sets); a gate's row is taken
  from the rows freed so far (last freed first, most likely still in cache) or is a new one. A signal's row is
  freed right after its last reader, so the buffer holds the live signals only (on trained networks
  about two layers, not the whole network). A gate may write the row one of its own operands frees:
  the kernels read both operands before they write. Output signals stay live to the end.
- Class scores: per class, each distinct output signal is counted once with its multiplicity m
  (bit 0 of m in the carry-save popcount, the other bits of m added at their weight), and constant
  signals (FALSE / TRUE gates) become a constant offset instead of a row (trained networks often tie
  many output bits of a class to one constant).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...ir.netlist import Netlist
from .fuse import FusedKernel, choose_fusions, fused_expression, truth3, uses_y
from .kernels import WordKernel, gate_word_kernels, word_kernels


@dataclass(frozen=True)
class KernelGroup:
    """A run of consecutive entries of one table (the 2-operand or the 3-operand one) evaluated with one kernel."""

    kernel: WordKernel | FusedKernel
    start: int  # first entry of the run in its table
    count: int


@dataclass(frozen=True)
class ClassCount:
    """How one class score is counted: rows of weight 1, (row, bit) pairs of weight 2^bit, a constant."""

    rows: tuple[int, ...]
    weighted: tuple[tuple[int, int], ...]
    offset: int


@dataclass(frozen=True)
class BatchPlan:
    """What the batch code evaluates: tables of rows (destination, x, y) and (destination, x, y, z) in
    evaluation order, their kernel groups (in evaluation order), the number of rows, and how every
    class score is counted."""

    table2: np.ndarray  # (entries, 3) int64
    table3: np.ndarray  # (entries, 4) int64: fused pairs
    groups: tuple[KernelGroup, ...]
    num_rows: int
    counts: tuple[ClassCount, ...]
    num_levels: int

    @property
    def num_evaluated(self) -> int:
        """Table entries (a fused pair is one)."""
        return int(self.table2.shape[0] + self.table3.shape[0])

    @property
    def num_fused(self) -> int:
        return int(self.table3.shape[0])


def plan_batch(netlist: Netlist, fuse: bool = True) -> BatchPlan:
    """The evaluation plan of ``netlist`` for the bit-parallel batch code (see the module doc);
    ``fuse`` folds gates read once into their readers (lgn2hw.backend.c.fuse)."""
    n, num_signals = netlist.num_inputs, netlist.num_signals
    kernels = list(word_kernels())
    kernel_id, x, y, source = _read_through_copies(netlist, kernels)
    constant = np.full(num_signals, -1, dtype=np.int64)  # 0 / 1 for FALSE / TRUE gates, else -1
    for value, name in ((0, "zero"), (1, "one")):
        constant[n + np.flatnonzero(kernel_id == next(i for i, k in enumerate(kernels) if k.name == name))] = value
    per_class = _class_terms(source[netlist.outputs], netlist.num_classes, constant)
    counted = np.array(sorted({s for terms, _ in per_class for s in terms}), dtype=np.int64)
    is_copy = np.array([k.is_copy for k in kernels], dtype=bool)[kernel_id]
    keep = _needed(n, num_signals, counted, is_copy, x, y)
    ops, operands, op_kernel, all_kernels = _operations(n, num_signals, keep, kernels, kernel_id, x, y, counted, fuse)

    level = _levels(n, ops, operands, num_signals)
    order = np.lexsort((op_kernel, level[n + ops]))
    ops, operands, op_kernel = ops[order], operands[order], op_kernel[order]
    rows, num_rows = _allocate_rows(n, num_signals, ops, operands, counted)

    three = operands[:, 2] >= 0
    entry = np.concatenate([(n + ops)[:, None], operands], axis=1)
    table2 = rows[entry[~three][:, :3]] if (~three).any() else np.zeros((0, 3), np.int64)
    table3 = rows[entry[three]] if three.any() else np.zeros((0, 4), np.int64)
    index_in_table = np.where(three, np.cumsum(three) - 1, np.cumsum(~three) - 1)
    groups = []
    if ops.size:
        key = level[n + ops] * len(all_kernels) + op_kernel
        cuts = np.concatenate([[0], np.flatnonzero(key[1:] != key[:-1]) + 1, [ops.size]])
        for lo, hi in zip(cuts[:-1], cuts[1:]):
            groups.append(KernelGroup(all_kernels[int(op_kernel[lo])], int(index_in_table[lo]), int(hi - lo)))
    counts = []
    for terms, offset in per_class:
        once = tuple(int(rows[s]) for s, m in terms.items() if m & 1)
        weighted = tuple((int(rows[s]), bit) for s, m in terms.items() for bit in range(1, m.bit_length()) if m >> bit & 1)
        counts.append(ClassCount(once, weighted, offset))
    num_levels = int(level[n + ops].max()) if ops.size else 0
    return BatchPlan(table2.astype(np.int64), table3.astype(np.int64), tuple(groups), num_rows, tuple(counts), num_levels)


def _read_through_copies(netlist: Netlist, kernels: list[WordKernel]):
    """(kernel id per gate, operands x and y in kernel order with copies read through, source of every
    signal). One-operand kernels (NOT, constants) read x twice, so they keep nothing else alive."""
    n = netlist.num_inputs
    per_gate = gate_word_kernels()
    kernel_id = np.array([kernels.index(per_gate[op][0]) for op in range(16)], dtype=np.int64)[netlist.ops]
    swap = np.array([per_gate[op][1] for op in range(16)], dtype=bool)[netlist.ops]
    x = np.where(swap, netlist.b, netlist.a)
    y = np.where(swap, netlist.a, netlist.b)
    two_input = np.array([uses_y(k) for k in kernels], dtype=bool)
    y = np.where(two_input[kernel_id], y, x)
    source = np.arange(netlist.num_signals, dtype=np.int64)  # the signal whose value each signal carries
    is_copy = np.array([k.is_copy for k in kernels], dtype=bool)[kernel_id]
    for i in np.flatnonzero(is_copy):  # ascending, so a chain's earlier links are already resolved
        source[n + i] = source[x[i]]
    return kernel_id, source[x], source[y], source


def _needed(n: int, num_signals: int, counted: np.ndarray, is_copy: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The gates (ascending) the counted outputs read, transitively; copies are never evaluated."""
    needed = np.zeros(num_signals, dtype=bool)
    needed[counted] = True
    while True:  # one whole-array step per level of depth
        reading = np.flatnonzero(needed[n:] & ~is_copy)
        before = int(needed.sum())
        needed[x[reading]] = True
        needed[y[reading]] = True
        if int(needed.sum()) == before:
            return np.flatnonzero(needed[n:] & ~is_copy)


def _operations(n, num_signals, keep, kernels, kernel_id, x, y, counted, fuse: bool):
    """The table entries: every kept gate not folded into its reader, its operand signals (x, y, z; z
    is -1 for two operands) and its kernel (an index into the returned kernel list: the word kernels,
    then the fused kernels by truth table)."""
    two_input = np.array([uses_y(k) for k in kernels], dtype=bool)
    folded = (choose_fusions(n, keep, kernel_id, x, y, two_input, counted, num_signals) if fuse
              else np.full(len(x), -1, dtype=np.int64))
    is_inner = np.zeros(len(x), dtype=bool)
    is_inner[folded[folded >= 0] - n] = True
    ops = keep[~is_inner[keep]]
    operands = np.stack([x[ops], y[ops], np.full(ops.size, -1, dtype=np.int64)], axis=1)
    fused: dict[int, FusedKernel] = {}
    truth_of_op = {}
    for i in np.flatnonzero(folded[ops] >= 0).tolist():
        gate, inner = int(ops[i]), int(folded[ops[i]]) - n
        inner_is_x = int(x[gate]) == n + inner
        expr = fused_expression(kernels[kernel_id[gate]], kernels[kernel_id[inner]], inner_is_x)
        truth = truth3(expr)
        fused.setdefault(truth, FusedKernel(f"f{truth:02x}", expr, truth))
        operands[i] = (x[inner], y[inner], y[gate] if inner_is_x else x[gate])
        truth_of_op[i] = truth
    truths = sorted(fused)
    index = {t: len(kernels) + j for j, t in enumerate(truths)}
    op_kernel = kernel_id[ops].copy()
    for i, truth in truth_of_op.items():
        op_kernel[i] = index[truth]
    return ops, operands, op_kernel, kernels + [fused[t] for t in truths]


def _class_terms(outputs: np.ndarray, num_classes: int, constant: np.ndarray) -> list[tuple[dict[int, int], int]]:
    """Per class: {non-constant signal: multiplicity} in first-occurrence order, and the number of
    output bits tied to TRUE."""
    result = []
    for group in outputs.reshape(num_classes, -1).tolist():
        terms: dict[int, int] = {}
        offset = 0
        for s in group:
            if constant[s] >= 0:
                offset += int(constant[s])
            else:
                terms[s] = terms.get(s, 0) + 1
        result.append((terms, offset))
    return result


def _levels(n: int, ops: np.ndarray, operands: np.ndarray, num_signals: int) -> np.ndarray:
    """Level of every operation's signal: 1 + the deepest operand it reads (inputs 0), so that no
    operation reads one of its own level. Relaxation, one whole-array step per level."""
    level = np.zeros(num_signals + 1, dtype=np.int64)  # the extra last entry stands for "no operand" (-1)
    gates = n + ops
    while True:
        new = 1 + level[operands].max(axis=1)
        if np.array_equal(new, level[gates]):
            return level[:-1]
        level[gates] = new


SQUARE_STRIDE = 65  # rows from one input square (64 input bits) to the next


def input_rows(num_inputs: int) -> np.ndarray:
    """Row of every input bit: bit i of word c = i // 64 lives in square c (rows 65 c .. 65 c + 63)."""
    i = np.arange(num_inputs, dtype=np.int64)
    return i + i // 64


def _allocate_rows(n: int, num_signals: int, order: np.ndarray, operands: np.ndarray, outputs: np.ndarray):
    """Rows for inputs (input_rows) and the signals of the operations (gates ``order``, in evaluation
    order), reusing the rows of signals past their last reader."""
    forever = order.size  # outputs: read after the last gate
    last = np.full(num_signals, -1, dtype=np.int64)
    position = np.repeat(np.arange(order.size, dtype=np.int64), operands.shape[1]).reshape(operands.shape)
    real = operands >= 0
    np.maximum.at(last, operands[real], position[real])
    last[outputs] = forever
    # Signals freed after each position, grouped once (a Python loop over gates follows, no per-gate scans).
    dying = np.flatnonzero((last >= 0) & (last < forever))
    dying = dying[np.argsort(last[dying], kind="stable")]
    bounds = np.searchsorted(last[dying], np.arange(order.size + 1))
    # The squares' rows that hold no input (gaps, the last square's tail) and the rows of inputs nobody
    # reads are free before the first gate.
    rows = np.full(num_signals, -1, dtype=np.int64)
    rows[:n] = input_rows(n)
    num_rows = SQUARE_STRIDE * (-(-n // 64) - 1) + 64
    taken = np.zeros(num_rows, dtype=bool)
    taken[rows[:n][last[:n] >= 0]] = True
    free = np.flatnonzero(~taken)[::-1].tolist()
    dying_list = dying.tolist()
    bounds_list = bounds.tolist()
    rows_list = rows.tolist()
    for p, gate in enumerate(order.tolist()):
        for s in dying_list[bounds_list[p]:bounds_list[p + 1]]:
            free.append(rows_list[s])
        if free:
            r = free.pop()
        else:
            r = num_rows
            num_rows += 1
        rows_list[n + gate] = r
    return np.asarray(rows_list, dtype=np.int64), max(num_rows, 1)
