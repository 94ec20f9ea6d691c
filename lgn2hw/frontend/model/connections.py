"""Learned connections: each gate input chooses one of K candidate signals of the previous layer.

A ``PooledLogicLayer`` gives every gate input (a and b separately) a fixed pool of K distinct
candidate inputs (buffers ``pool_a``, ``pool_b``, (gates, K)) and K connection logits (parameters
``conn_a``, ``conn_b``, stored candidate-major as (K, gates): PyTorch's CPU softmax and its backward
over a last dimension of 8 are 10-50x slower than over the first, docs/architectures.md). The
choice is trained like the gate itself (LILogicNet-style pools, with the paper's hard forward):

* ``hard-st``: forward reads the argmax candidate; backward is the straight-through gradient of the
  mixture softmax(logits / T) over the candidates, T the gate's backward temperature (CAGE's or the
  fixed one). On binary inputs the training forward is the frozen network: selection gap 0.
* ``gumbel-st``: the same with Gumbel noise on the connection logits.
* ``soft-mix`` / ``soft-gumbel``: forward is the softmax mixture of the candidates.

The gradient reaching the previous layer flows through the chosen candidate only (the forward used
nothing else), as Hard-ST's input gradient uses the chosen gate's coefficients.

Candidate 0 of every pool is difflogic's random wiring (drawn from the network seed exactly as a
random-wiring layer draws it) and the connection logits start at 0, so at initialization the
network *is* the random-wiring network of the same seed (argmax picks the first of equal values);
candidates 1..K-1 are distinct other inputs drawn uniformly from a generator seeded with
seed + POOL_SEED_OFFSET. The backward needs, for every candidate, the dot product over the batch of
the operand gradient and the candidate's activations: a sampled dense-dense product
(``torch.sparse.sampled_addmm`` on the pools' sparsity pattern), about 4x faster on the CPU than K
row gathers (docs/architectures.md, "Speed").
"""

from __future__ import annotations

import warnings

import torch
import torch.nn.functional as F
from torch import nn

from .estimators import STRAIGHT_THROUGH, _softmax_backward, gumbel_noise
from .network import LogicLayer, _GateLayer, gate_backward, gate_forward, input_gradient_plan

# Offset of the candidate-pool seed from the network seed (training noise: + 1, evaluation noise: + 2).
POOL_SEED_OFFSET = 3


def candidate_pools(first: torch.Tensor, in_dim: int, pool: int, generator: torch.Generator) -> torch.Tensor:
    """(gates, pool) candidate inputs: column 0 is ``first``, the others distinct inputs != first.

    The others are first + d (mod in_dim) for ``pool - 1`` distinct offsets d in 1..in_dim-1 per gate,
    drawn uniformly by Floyd's algorithm (``pool - 1`` vectorized steps, no (gates, in_dim) tensor).
    """
    if not 1 <= pool <= in_dim:
        raise ValueError(f"pool must be in 1..{in_dim}, got {pool}")
    gates, m, n = first.shape[0], pool - 1, in_dim - 1
    chosen = torch.empty(gates, m, dtype=torch.int64)
    for i, j in enumerate(range(n - m, n)):
        t = torch.randint(0, j + 1, (gates,), generator=generator)
        seen = (chosen[:, :i] == t.unsqueeze(1)).any(dim=1)
        chosen[:, i] = torch.where(seen, torch.full_like(t, j), t)
    first = first.to(torch.int64).unsqueeze(1)
    return torch.cat([first, (first + chosen + 1) % in_dim], dim=1).contiguous()


class CandidatePattern:
    """The candidates of a layer's a and b inputs as one sparsity pattern ((2 gates, in_dim) CSR,
    columns sorted per row), for the candidate dot products of the backward."""

    def __init__(self, pool_a: torch.Tensor, pool_b: torch.Tensor, in_dim: int, dtype: torch.dtype):
        both = torch.cat([pool_a, pool_b])
        rows, k = both.shape
        columns, order = both.sort(dim=1)
        # Entry (k, r) of the (K, 2 gates) result is value r*K + (sorted position of pool entry (r, k)).
        self.take = (torch.arange(rows, device=both.device).unsqueeze(1) * k + order.argsort(dim=1)).T.reshape(-1)
        self.pools, self.shape = both, (k, rows)
        crow = torch.arange(0, rows * k + 1, k, device=both.device)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
            warnings.filterwarnings("ignore", message="Sparse invariant checks are implicitly disabled")
            self.csr = torch.sparse_csr_tensor(
                crow, columns.reshape(-1), torch.zeros(rows * k, dtype=dtype, device=both.device),
                size=(rows, in_dim), check_invariants=False,
            )

    def dots(self, grads: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """(K, 2 gates): entry (k, r) is the sum over the batch of grads[r] * x[candidate k of row r]."""
        try:
            values = torch.sparse.sampled_addmm(self.csr, grads, x.T, beta=0.0).values()
        except (RuntimeError, NotImplementedError):  # a device without the sparse kernel
            return candidate_dots_by_gather(grads, x, self.pools)
        return values.index_select(0, self.take).view(self.shape)


def candidate_dots_by_gather(grads: torch.Tensor, x: torch.Tensor, pools: torch.Tensor) -> torch.Tensor:
    """``CandidatePattern.dots`` by K row gathers (the reference, and the fallback)."""
    out = grads.new_empty(pools.shape[1], pools.shape[0])
    for k in range(pools.shape[1]):
        rows = x.index_select(0, pools[:, k])
        rows.mul_(grads)
        torch.sum(rows, 1, out=out[k])
    return out


def first_argmax(scores: torch.Tensor) -> torch.Tensor:
    """Index of the first maximum of every column of (K, gates) ``scores``, as ``argmax(dim=0)``.

    On the CPU a running comparison over the K rows: ``argmax(dim=0)`` there is about 7x slower
    than this loop for K = 8 (docs/architectures.md, "Speed")."""
    if scores.device.type != "cpu":
        return scores.argmax(dim=0)
    best = scores[0].clone()
    index = torch.zeros(scores.shape[1], dtype=torch.int64, device=scores.device)
    for k in range(1, scores.shape[0]):
        index.masked_fill_(scores[k] > best, k)  # strictly greater: ties keep the first
        torch.maximum(best, scores[k], out=best)
    return index


def choose(pool: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
    """(gates,) the candidate of ``pool`` (gates, K) that ``scores`` (K, gates) ranks first."""
    return pool.gather(1, first_argmax(scores).unsqueeze(1)).squeeze(1)


class _PooledGateLayer(torch.autograd.Function):
    """A gate layer whose inputs are the argmax candidates of ``scores_a`` / ``scores_b`` (K, gates).

    Forward: the chosen inputs, then ``_GateLayer``'s arithmetic. Backward: ``_GateLayer``'s
    coefficient and input gradients (the input gradient through the chosen candidates only), and
    for the scores the straight-through gradient of softmax(scores / T) over the candidates' values.
    """

    @staticmethod
    def forward(ctx, x, coeffs, scores_a, scores_b, temperature, pool_a, pool_b, pattern):
        idx_a, idx_b = choose(pool_a, scores_a), choose(pool_b, scores_b)
        out, saved = gate_forward(x, coeffs, idx_a, idx_b)
        ctx.save_for_backward(x, *saved, scores_a, scores_b, temperature, idx_a, idx_b)
        ctx.pattern = pattern
        return out

    @staticmethod
    def backward(ctx, g):
        x, a, b, t, ct, scores_a, scores_b, temperature, idx_a, idx_b = ctx.saved_tensors
        grad_coeffs, both = gate_backward(g, (a, b, t, ct), operands=True)
        grad_x = None
        if ctx.needs_input_grad[0]:
            order, offsets = input_gradient_plan(idx_a, idx_b, x.shape[0])
            grad_x = F.embedding_bag(order, both, offsets, mode="sum")
        gates = idx_a.shape[0]
        temp = temperature.repeat(2) if temperature.dim() else temperature  # one per gate: a and b rows alike
        scores = torch.cat([scores_a, scores_b], dim=1)
        probs = torch.softmax(scores / temp, dim=0)
        grad_scores = _softmax_backward(ctx.pattern.dots(both, x) / temp, probs, dim=0)
        return grad_x, grad_coeffs.T, grad_scores[:, :gates], grad_scores[:, gates:], None, None, None, None


def candidate_mixture(x: torch.Tensor, pool: torch.Tensor, probs: torch.Tensor) -> torch.Tensor:
    """(gates, batch): sum_k probs[k] x[pool[:, k]] (the soft estimators' connection; probs (K, gates))."""
    gates, k = pool.shape
    candidates = x.index_select(0, pool.reshape(-1)).view(gates, k, -1)
    return torch.bmm(probs.T.unsqueeze(1), candidates).squeeze(1)


class PooledLogicLayer(LogicLayer):
    """A LogicLayer whose two inputs per gate are learned, each from a pool of ``pool`` candidates."""

    learns_connections = True

    def __init__(self, in_dim: int, out_dim: int, generator: torch.Generator, init: str, residual_logit: float,
                 pool: int, pool_generator: torch.Generator):
        super().__init__(in_dim, out_dim, generator, init, residual_logit)
        first_a, first_b = self.idx_a, self.idx_b
        del self.idx_a, self.idx_b  # the wiring is chosen now: wiring() reads it from the pools
        self.register_buffer("pool_a", candidate_pools(first_a, in_dim, pool, pool_generator))
        self.register_buffer("pool_b", candidate_pools(first_b, in_dim, pool, pool_generator))
        self.conn_a = nn.Parameter(torch.zeros(pool, out_dim))
        self.conn_b = nn.Parameter(torch.zeros(pool, out_dim))

    def wiring(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(idx_a, idx_b) at deployment: the argmax candidate of every gate input."""
        return choose(self.pool_a, self.conn_a.detach()), choose(self.pool_b, self.conn_b.detach())

    def candidate_pattern(self, dtype: torch.dtype) -> CandidatePattern:
        """This layer's CandidatePattern, cached; rebuilt when the pools are replaced or loaded into."""
        key = (self.pool_a.data_ptr(), self.pool_a._version, self.pool_b.data_ptr(), self.pool_b._version, dtype)
        if getattr(self, "_pattern_key", None) != key:
            self._pattern, self._pattern_key = CandidatePattern(self.pool_a, self.pool_b, self.in_dim, dtype), key
        return self._pattern

    def forward(self, x: torch.Tensor, coeffs: torch.Tensor, estimator: str | None = None,
                temperature: torch.Tensor | None = None, noise: torch.Generator | None = None) -> torch.Tensor:
        """x: (in_dim, batch). Without ``estimator``: the deployed wiring; with one: its training forward
        (``temperature``: scalar or one per gate; ``noise``: the Gumbel generator)."""
        if estimator is None:
            idx_a, idx_b = self.wiring()
            return _GateLayer.apply(x, coeffs, idx_a, idx_b)
        scores_a, scores_b = self.conn_a, self.conn_b
        if estimator in ("gumbel-st", "soft-gumbel"):
            scores_a = scores_a + gumbel_noise(scores_a.shape, scores_a.device, noise)
            scores_b = scores_b + gumbel_noise(scores_b.shape, scores_b.device, noise)
        if estimator in STRAIGHT_THROUGH:
            return _PooledGateLayer.apply(x, coeffs, scores_a, scores_b, temperature, self.pool_a, self.pool_b,
                                          self.candidate_pattern(x.dtype))
        a = candidate_mixture(x, self.pool_a, torch.softmax(scores_a / temperature, dim=0))
        b = candidate_mixture(x, self.pool_b, torch.softmax(scores_b / temperature, dim=0))
        rows = torch.arange(a.shape[0], device=a.device)
        return _GateLayer.apply(torch.cat([a, b]), coeffs, rows, rows + a.shape[0])
