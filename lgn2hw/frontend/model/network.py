"""The trainable Logic Gate Network: fixed random wiring, 16 logits per gate, GroupSum head.

Activations flow feature-major, (features, batch), so gathering a layer's operands is an
``index_select`` of whole contiguous rows, and a gate is four multiply-adds on its coefficients:
out = c0 + c2 b + a (c1 + c3 b). The gather and the multiply-adds are one autograd function
(``_GateLayer``) with a hand-written backward: autograd's own graph of the same expression made about
twice as many full (gates x batch) passes (docs/training.md, "Speed").
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from ...errors import ConfigError
from ...limits import check_memory
from ...ir.gates import PASS_A, coefficient_matrix
from .cage import CageSchedule
from ..methods import CONNECTIONS
from .estimators import ESTIMATORS, STRAIGHT_THROUGH, frozen_coefficients, select_coefficients

INITS = ("gaussian", "residual")
# On the CPU, evaluation runs in chunks of samples small enough that one (gates x chunk) float32
# activation stays under this many bytes: below glibc's mmap threshold, so freed chunks are reused
# instead of fresh pages being faulted in for every activation (at 4 x 24000 gates: 2.8x faster
# evaluation, 1.9M page faults -> 41k per 5000 samples, docs/training.md "Speed").
EVAL_ACTIVATION_BYTES = 16 * 1024 * 1024


@dataclass
class NetConfig:
    """Everything that defines a network's architecture and training method (stored in checkpoints)."""

    num_inputs: int
    num_classes: int
    widths: list[int]
    tau: float = 10.0
    seed: int = 0
    estimator: str = "hard-st"
    cage: bool = True
    cage_per_gate: bool = False
    temperature: float = 1.0
    init: str = "gaussian"
    residual_logit: float = 5.0
    grad_factor: float = 1.0
    extra: dict = field(default_factory=dict)
    # "random": difflogic's fixed random wiring; "learned": each gate input chooses among ``pool``
    # candidate signals of the previous layer, trained like the gate (connections.py).
    connections: str = "random"
    pool: int = 8

    def validate(self) -> None:
        for name in ("num_inputs", "num_classes", "seed"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConfigError(f"{name.replace('_', ' ')} must be an integer, got {value!r}")
        if self.num_inputs < 1 or self.num_classes < 1:
            raise ConfigError("num_inputs and num_classes must be positive")
        if not isinstance(self.widths, list) or not self.widths:
            raise ConfigError("a network needs at least one layer")
        if any(isinstance(w, bool) or not isinstance(w, int) for w in self.widths):
            raise ConfigError(f"layer widths must be integers, got {self.widths!r}"[:200])
        if self.estimator not in ESTIMATORS:
            raise ConfigError(f"unknown estimator {self.estimator!r} (choose from {', '.join(ESTIMATORS)})")
        if self.cage and self.estimator not in STRAIGHT_THROUGH:
            raise ConfigError(f"CAGE applies to straight-through estimators ({', '.join(STRAIGHT_THROUGH)}); use --no-cage with {self.estimator}")
        for name in ("temperature", "tau", "grad_factor", "residual_logit"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and (value > 0 or name == "residual_logit")):
                bound = " > 0" if name != "residual_logit" else ""
                raise ConfigError(f"{name.replace('_', ' ')} must be{bound} (a finite number), got {value!r}")
        if self.init not in INITS:
            raise ConfigError(f"unknown init {self.init!r} (choose from {', '.join(INITS)})")
        if self.connections not in CONNECTIONS:
            raise ConfigError(f"unknown connections {self.connections!r} (choose from {', '.join(CONNECTIONS)})")
        if isinstance(self.pool, bool) or not isinstance(self.pool, int) or self.pool < 1:
            raise ConfigError(f"pool must be an integer >= 1 (candidates per gate input), got {self.pool!r}")
        # No rule ties a layer's width to its inputs: a layer narrower than half the one before it
        # leaves some of those signals unread, and they are dead gates the compiler removes
        # (docs/architectures.md measures such narrow layers).
        previous = self.num_inputs
        for i, width in enumerate(self.widths):
            if isinstance(width, bool) or not isinstance(width, int) or width < 1:
                raise ConfigError(f"layer {i}: width must be a positive integer, got {width!r}")
            if self.connections == "learned" and self.pool > previous:
                raise ConfigError(
                    f"layer {i}: a pool of {self.pool} candidates is larger than its {previous} inputs "
                    f"(each candidate is a distinct input; use --pool <= {previous})"
                )
            previous = width
        if self.widths[-1] % self.num_classes:
            raise ConfigError(
                f"last layer width {self.widths[-1]} is not divisible by {self.num_classes} classes "
                f"(each class sums an equal group of output bits)"
            )
        # 16 float32 logits per gate (and 2 x pool connection logits when learned), plus their
        # gradient and Adam's two moments
        per_gate = 16 + (2 * self.pool if self.connections == "learned" else 0)
        check_memory(sum(self.widths) * per_gate * 4 * 4, f"a network of {sum(self.widths):,} gates", "use fewer or narrower layers")

    def to_dict(self) -> dict:
        return asdict(self)


def random_wiring(in_dim: int, out_dim: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """difflogic's 'random' connections: each input feeds about equally many gates, order shuffled."""
    c = torch.randperm(2 * out_dim, generator=generator) % in_dim
    c = torch.randperm(in_dim, generator=generator)[c]
    return c[:out_dim].contiguous(), c[out_dim:].contiguous()


def input_gradient_plan(idx_a: torch.Tensor, idx_b: torch.Tensor, in_dim: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(order, offsets) that sum a layer's operand gradients back onto its inputs.

    ``order`` lists the positions in cat(idx_a, idx_b) grouped by the input they read (input 0's uses
    first, each group in position order); ``offsets[i]`` is where input i's group starts (an unused
    input has an empty group). The input gradient is then one
    ``embedding_bag(order, operand_grads, offsets, mode="sum")``: each input's operand-gradient rows
    gathered and summed in one pass, for any wiring, with no zero-filled tensor and no scatter
    (about 3x faster than a row gather followed by a sum at 4 x 8000; docs/training.md, "Speed").
    """
    both = torch.cat([idx_a, idx_b])
    counts = torch.bincount(both, minlength=in_dim)
    return torch.argsort(both, stable=True), torch.cumsum(counts, 0) - counts


class LogicLayer(nn.Module):
    """One layer of two-input gates with fixed wiring (buffers ``idx_a``, ``idx_b``) and learned logits."""

    def __init__(self, in_dim: int, out_dim: int, generator: torch.Generator, init: str = "gaussian", residual_logit: float = 5.0):
        super().__init__()
        self.in_dim, self.out_dim = in_dim, out_dim
        idx_a, idx_b = random_wiring(in_dim, out_dim, generator)
        self.register_buffer("idx_a", idx_a)
        self.register_buffer("idx_b", idx_b)
        if init == "residual":
            weights = torch.zeros(out_dim, 16)
            weights[:, PASS_A] = residual_logit
        else:
            weights = torch.randn(out_dim, 16, generator=generator)
        self.weights = nn.Parameter(weights)
        self.register_buffer("coeffs", torch.from_numpy(coefficient_matrix().copy()), persistent=False)

    def forward(self, x: torch.Tensor, coeffs: torch.Tensor) -> torch.Tensor:
        """x: (in_dim, batch); coeffs: (out_dim, 4) per-gate multilinear coefficients."""
        plan = self.gradient_plan() if x.requires_grad else None
        return _GateLayer.apply(x, coeffs, self.idx_a, self.idx_b, plan)

    def gradient_plan(self) -> tuple[torch.Tensor, torch.Tensor]:
        """This layer's ``input_gradient_plan``, cached; recomputed when the wiring buffers are
        replaced or loaded into."""
        key = (self.idx_a.data_ptr(), self.idx_a._version, self.idx_b.data_ptr(), self.idx_b._version, self.in_dim)
        if getattr(self, "_plan_key", None) != key:
            self._plan, self._plan_key = input_gradient_plan(self.idx_a, self.idx_b, self.in_dim), key
        return self._plan

    def frozen_ops(self) -> torch.Tensor:
        """Gate id of every gate at deployment (argmax of its logits)."""
        return self.weights.detach().argmax(dim=-1)

    def wiring(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(idx_a, idx_b): the input each gate reads at deployment."""
        return self.idx_a, self.idx_b


class _GateLayer(torch.autograd.Function):
    """out = c0 + c1 a + c2 b + c3 ab with a = x[idx_a], b = x[idx_b], feature-major (rows are gates).

    Forward: two row gathers and three passes over (gates, batch). Backward, with g = dL/dout:
    dL/dc = row sums of g, g a, g b, g a b; dL/da = g (c1 + c3 b) (c1 + c3 b is kept from the forward),
    dL/db = g (c2 + c3 a), written into one (2 gates, batch) tensor in the order of cat(idx_a, idx_b)
    and summed back onto x's rows by one ``embedding_bag`` through ``plan`` (input_gradient_plan);
    nothing for x when it needs no gradient (the first layer). Exact on binary inputs: the hard
    forward is the frozen network.
    """

    @staticmethod
    def forward(ctx, x, coeffs, idx_a, idx_b, plan=None):
        out, saved = gate_forward(x, coeffs, idx_a, idx_b)
        ctx.save_for_backward(*saved)  # references only; dropped at once without autograd
        if ctx.needs_input_grad[0] and plan is None:
            plan = input_gradient_plan(idx_a, idx_b, x.shape[0])
        ctx.plan = plan
        return out

    @staticmethod
    def backward(ctx, g):
        grad_coeffs, both = gate_backward(g, ctx.saved_tensors, operands=ctx.needs_input_grad[0])
        grad_x = None
        if both is not None:
            order, offsets = ctx.plan
            grad_x = F.embedding_bag(order, both, offsets, mode="sum")  # (in_dim, batch); unused inputs get 0
        return grad_x, grad_coeffs.T, None, None, None


def gate_forward(x: torch.Tensor, coeffs: torch.Tensor, idx_a: torch.Tensor, idx_b: torch.Tensor):
    """(out, saved): ``_GateLayer``'s forward, and the tensors ``gate_backward`` needs."""
    a = x.index_select(0, idx_a)
    b = x.index_select(0, idx_b)
    ct = coeffs.detach().T.contiguous()  # (4, gates): every c_i a contiguous (gates, 1) column
    c0, c1, c2, c3 = (ct[i].unsqueeze(1) for i in range(4))
    # mul and add kernels for the (gates, 1) operands (there addcmul is about 3x slower than mul on
    # CPU); one in-place addcmul_ for the full-size product (one pass instead of a product and a sum).
    t = b * c3
    t += c1  # c1 + c3 b
    out = b * c2
    out += c0
    out.addcmul_(a, t)  # c0 + c2 b + a (c1 + c3 b); exact on binary inputs (integers throughout)
    return out, (a, b, t, ct)


def gate_backward(g: torch.Tensor, saved, operands: bool):
    """(grad_coeffs (4, gates), operand gradients (2 gates, batch) in the order of cat(idx_a, idx_b),
    or None without ``operands``): ``_GateLayer``'s backward for the output gradient ``g``."""
    a, b, t, ct = saved
    g = g.contiguous()
    gates, batch = g.shape
    p = g * a
    grad_coeffs = g.new_empty(4, gates)  # rows: sums of g, g a, g b, g a b
    torch.sum(g, 1, out=grad_coeffs[0])
    torch.sum(p, 1, out=grad_coeffs[1])
    both = None
    if operands:
        both = torch.empty(2 * gates, batch, dtype=g.dtype, device=g.device)
        ga, gb = both[:gates], both[gates:]
        torch.mul(g, ct[2].unsqueeze(1), out=gb)
        gb.addcmul_(p, ct[3].unsqueeze(1))  # g (c2 + c3 a) = c2 g + c3 (g a), reusing g a
        torch.mul(g, t, out=ga)  # g (c1 + c3 b)
    p *= b
    torch.sum(p, 1, out=grad_coeffs[3])
    torch.mul(g, b, out=p)
    torch.sum(p, 1, out=grad_coeffs[2])
    return grad_coeffs, both


def dense_layers(config: NetConfig, generator: torch.Generator) -> nn.ModuleList:
    """The layers of ``config.widths`` (random or learned connections), their wiring drawn from
    ``generator``; learned connections draw their other candidates from seed + POOL_SEED_OFFSET.
    A convolutional network's dense layers are built here too, from its head_config."""
    dims = [config.num_inputs, *config.widths]
    if config.connections == "learned":
        from .connections import POOL_SEED_OFFSET, PooledLogicLayer  # connections.py builds on this module

        pools = torch.Generator().manual_seed(config.seed + POOL_SEED_OFFSET)
        return nn.ModuleList(
            PooledLogicLayer(dims[i], dims[i + 1], generator, config.init, config.residual_logit, config.pool, pools)
            for i in range(len(config.widths))
        )
    return nn.ModuleList(
        LogicLayer(dims[i], dims[i + 1], generator, config.init, config.residual_logit) for i in range(len(config.widths))
    )


def dense_forward(layer: LogicLayer, h: torch.Tensor, coeffs: torch.Tensor, training: tuple | None) -> torch.Tensor:
    """One dense layer on (in_dim, batch) activations. ``training``: None for the deployed network, or
    (estimator, backward temperature, noise generator), which learned connections choose their inputs
    with (their choice follows the gate's estimator and temperature)."""
    if training is None or not getattr(layer, "learns_connections", False):
        return layer(h, coeffs)
    return layer(h, coeffs, *training)


class _ScaleGrad(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, factor):
        ctx.factor = factor
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.factor, None


class LogicNet(nn.Module):
    """A stack of LogicLayers and a GroupSum head.

    ``forward(x, hard)`` takes (batch, num_inputs) inputs in [0, 1] and returns (batch, classes) group
    sums (not yet divided by tau). ``hard=True`` is the frozen network; ``hard=False`` is the training
    forward of the configured estimator.
    """

    def __init__(self, config: NetConfig):
        super().__init__()
        config.validate()
        self.config = config
        self.layers = dense_layers(config, torch.Generator().manual_seed(config.seed))
        total = sum(config.widths)
        self.cage = CageSchedule(total, per_gate=config.cage_per_gate) if config.cage else None
        self.noise = torch.Generator().manual_seed(config.seed + 1)

    @property
    def num_gates(self) -> int:
        return sum(layer.out_dim for layer in self.layers)

    def backward_temperatures(self) -> list[torch.Tensor]:
        """Backward temperature of each layer: CAGE's when enabled, else the fixed one."""
        if self.cage is None:
            return [torch.tensor(float(self.config.temperature)) for _ in self.layers]
        t = self.cage.temperature()
        if t.dim() == 0:
            return [t for _ in self.layers]
        return list(torch.split(t, [layer.out_dim for layer in self.layers]))

    def all_logits(self) -> torch.Tensor:
        return torch.cat([layer.weights for layer in self.layers])

    def update_cage(self) -> None:
        if self.cage is not None:
            self.cage.update([layer.weights for layer in self.layers])

    def forward(self, x: torch.Tensor, hard: bool = False, noise: torch.Generator | None = None) -> torch.Tensor:
        """Class scores (batch, classes). ``noise`` replaces the training noise generator (Gumbel
        estimators) for this call, so an evaluation can draw fixed noise without advancing training's."""
        h = x.T.contiguous()
        temps = None if hard else self.backward_temperatures()
        for i, layer in enumerate(self.layers):
            if hard:
                coeffs = frozen_coefficients(layer.weights, layer.coeffs)
            else:
                noise_gen = noise if noise is not None else (self.noise if h.device.type == "cpu" else None)
                coeffs = select_coefficients(layer.weights, layer.coeffs, self.config.estimator, temps[i].to(h.device), noise_gen)
                if i > 0 and self.config.grad_factor != 1.0:
                    # difflogic's GradFactor: scale the gradient flowing back through this layer's inputs.
                    h = _ScaleGrad.apply(h, self.config.grad_factor)
            h = dense_forward(layer, h, coeffs, None if hard else (self.config.estimator, temps[i].to(h.device), noise_gen))
        k = h.shape[0] // self.config.num_classes
        return h.reshape(self.config.num_classes, k, -1).sum(dim=1).T

    def eval_chunk(self, limit: int = 4096) -> int:
        """Samples per evaluation chunk: at most ``limit``; on the CPU also few enough that the widest
        layer's (gates x chunk) float32 activation fits EVAL_ACTIVATION_BYTES (a GPU has no glibc
        allocator to spare and prefers big chunks)."""
        if self.layers[0].weights.device.type != "cpu":
            return max(1, limit)
        widest = max(self.config.num_inputs, *self.config.widths)
        return max(1, min(limit, EVAL_ACTIVATION_BYTES // (4 * widest)))

    @torch.no_grad()
    def hard_scores(self, bits: torch.Tensor, batch: int = 4096) -> torch.Tensor:
        """Integer class scores of the frozen network on binary inputs (what the hardware computes),
        computed ``eval_chunk(batch)`` samples at a time."""
        batch = self.eval_chunk(batch)
        out = [self.forward(bits[i : i + batch].float(), hard=True) for i in range(0, bits.shape[0], batch)]
        return torch.cat(out).round().to(torch.int64)

    @torch.no_grad()
    def gate_type_fractions(self) -> list[float]:
        ops = torch.cat([layer.frozen_ops() for layer in self.layers])
        return (torch.bincount(ops, minlength=16).float() / ops.numel()).tolist()
