"""The convolutional Logic Gate Network: logic-tree convolutions and OR pooling, then dense layers and GroupSum.

The architecture is a text description (lgn2hw.frontend.model.arch), e.g.
``conv(16,k5,p0)-pool-conv(48)-pool-flatten-dense(8000)-dense(4000)``, over an input image of
(channels, height, width) input bits: a thermometer-encoded image has thresholds x colour channels
channels (the encoding's bit j*F + f is threshold j of feature f = (c, y, x), so its bit order is
already the (channel, y, x) row order of the first layer). Everything flows feature-major, so
``flatten`` costs nothing: the trunk's (C * H * W, batch) rows are the first dense layer's inputs.

Training methods are the dense network's: every gate layer (tree convolutions and dense layers)
turns its (gates, 16) logits into coefficients through the same estimators, and one CAGE schedule
covers all trained gates. A tree gate is trained once and deployed at every position.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
from torch import nn

from ...errors import ConfigError
from .arch import Conv, Dense, Pool, canonical, is_convolutional, parse, shapes
from .cage import CageSchedule
from .estimators import frozen_coefficients, select_coefficients
from .network import EVAL_ACTIVATION_BYTES, INITS, NetConfig, _ScaleGrad, dense_forward, dense_layers
from .pool import OrPool2d
from .tree_conv import TreeConv2d


@dataclass
class ConvNetConfig:
    """A convolutional network's architecture and training method (stored in checkpoints, version 2)."""

    num_inputs: int
    num_classes: int
    image_shape: list[int]  # (channels, height, width) of the input bits
    arch: str
    tau: float = 10.0
    seed: int = 0
    estimator: str = "hard-st"
    cage: bool = True
    cage_per_gate: bool = False
    temperature: float = 1.0
    init: str = "residual"
    residual_logit: float = 5.0
    grad_factor: float = 1.0
    extra: dict = field(default_factory=dict)
    # The dense layers' wiring, as in NetConfig: "random", or "learned" from pools of ``pool`` candidates.
    connections: str = "random"
    pool: int = 8
    # The dense layers' initialization when it differs from the trunk's ``init`` (None: the same).
    # Residual init keeps most dense gates wires under Hard-ST, and learned connections choose
    # poorly among wires; gaussian dense layers fit better (docs/conv.md, "Measured").
    dense_init: str | None = None

    def __post_init__(self) -> None:
        self.image_shape = [int(s) for s in self.image_shape]
        try:
            self.arch = canonical(self.arch)
        except ConfigError:
            pass  # validate() reports it

    def blocks(self) -> list:
        return parse(self.arch)

    def head_config(self) -> NetConfig:
        """The dense layers after flatten as a NetConfig (its validation covers them and the method)."""
        blocks = self.blocks()
        first_dense = next(i for i, b in enumerate(blocks) if isinstance(b, Dense))
        flat = shapes(blocks, tuple(self.image_shape))[first_dense][0]  # the input shape of the first dense layer
        return NetConfig(
            num_inputs=flat, num_classes=self.num_classes, widths=[b.width for b in blocks if isinstance(b, Dense)],
            tau=self.tau, seed=self.seed, estimator=self.estimator, cage=self.cage, cage_per_gate=self.cage_per_gate,
            temperature=self.temperature, init=self.dense_init or self.init, residual_logit=self.residual_logit,
            grad_factor=self.grad_factor, connections=self.connections, pool=self.pool,
        )

    def validate(self) -> None:
        image = tuple(self.image_shape)
        if len(image) != 3 or image[0] * image[1] * image[2] != self.num_inputs:
            raise ConfigError(f"image shape {image} (channels, height, width) does not hold the network's {self.num_inputs} input bits")
        blocks = self.blocks()
        if not is_convolutional(blocks):
            raise ConfigError(f"architecture {self.arch!r} has no conv or pool block: it is a dense network (NetConfig)")
        block_shapes = shapes(blocks, image)
        # The dense layers' wiring rules, named as the description names them (NetConfig says "layer 0").
        for i, block in enumerate(blocks):
            if isinstance(block, Dense) and 2 * block.width < block_shapes[i][0]:
                raise ConfigError(f"architecture block {i + 1} {block.text()}: {block.width} gates are too narrow for "
                                  f"its {block_shapes[i][0]} inputs (2 x width must be >= inputs so every input is wired)")
            if isinstance(block, Dense) and self.connections == "learned" and self.pool > block_shapes[i][0]:
                raise ConfigError(f"architecture block {i + 1} {block.text()}: a pool of {self.pool} candidates is larger "
                                  f"than its {block_shapes[i][0]} inputs (use --pool <= {block_shapes[i][0]})")
        if self.dense_init is not None and self.dense_init not in INITS:
            raise ConfigError(f"unknown dense init {self.dense_init!r} (choose from {', '.join(INITS)})")
        if blocks[-1].width % self.num_classes:
            raise ConfigError(f"architecture: the last layer, {blocks[-1].text()}, is not divisible by {self.num_classes} classes")
        self.head_config().validate()

    def to_dict(self) -> dict:
        return asdict(self)


class ConvLogicNet(nn.Module):
    """Trunk (TreeConv2d / OrPool2d), dense head (LogicLayer) and GroupSum.

    ``forward(x, hard)`` takes (batch, num_inputs) inputs in [0, 1] and returns (batch, classes) group
    sums (not yet divided by tau); ``hard=True`` is the frozen network.
    """

    def __init__(self, config: ConvNetConfig):
        super().__init__()
        config.validate()
        self.config = config
        blocks = config.blocks()
        block_shapes = shapes(blocks, tuple(config.image_shape))
        generator = torch.Generator().manual_seed(config.seed)
        self.trunk = nn.ModuleList()
        for block, in_shape in zip(blocks, block_shapes):
            if isinstance(block, Conv):
                self.trunk.append(TreeConv2d(in_shape, block, generator, config.init, config.residual_logit))
            elif isinstance(block, Pool):
                self.trunk.append(OrPool2d(in_shape, block.size))
        self.head = dense_layers(config.head_config(), generator)
        self.cage = CageSchedule(sum(layer.out_dim for layer in self.gate_layers), per_gate=config.cage_per_gate) if config.cage else None
        self.noise = torch.Generator().manual_seed(config.seed + 1)

    @property
    def gate_layers(self) -> list[nn.Module]:
        """Every layer with trained gates, in order: tree convolutions, then dense layers."""
        return [m for m in self.trunk if isinstance(m, TreeConv2d)] + list(self.head)

    @property
    def reads_padding(self) -> bool:
        return any(m.reads_padding for m in self.trunk if isinstance(m, TreeConv2d))

    @property
    def num_trained_gates(self) -> int:
        return sum(layer.out_dim for layer in self.gate_layers)

    @property
    def num_gates(self) -> int:
        """Gates of the frozen (unrolled) circuit, as lgn2hw.frontend.freeze writes it: every position's
        trees, the OR trees of pooling, the dense layers, and one constant-0 gate when padding is read."""
        return sum(m.unrolled_gates for m in self.trunk) + sum(layer.out_dim for layer in self.head) + int(self.reads_padding)

    def backward_temperatures(self) -> list[torch.Tensor]:
        """Backward temperature of each gate layer: CAGE's when enabled, else the fixed one."""
        layers = self.gate_layers
        if self.cage is None:
            return [torch.tensor(float(self.config.temperature)) for _ in layers]
        t = self.cage.temperature()
        if t.dim() == 0:
            return [t for _ in layers]
        return list(torch.split(t, [layer.out_dim for layer in layers]))

    def all_logits(self) -> torch.Tensor:
        return torch.cat([layer.weights for layer in self.gate_layers])

    def update_cage(self) -> None:
        if self.cage is not None:
            self.cage.update([layer.weights for layer in self.gate_layers])

    def forward(self, x: torch.Tensor, hard: bool = False, noise: torch.Generator | None = None) -> torch.Tensor:
        """Class scores (batch, classes). ``noise`` replaces the training noise generator (Gumbel
        estimators) for this call, as in LogicNet.forward."""
        h = x.T.contiguous()
        temps = None if hard else self.backward_temperatures()
        gate_layer = 0
        for module in [*self.trunk, *self.head]:
            if isinstance(module, OrPool2d):
                h = module(h)
                continue
            if hard:
                coeffs = frozen_coefficients(module.weights, module.coeffs)
            else:
                noise_gen = noise if noise is not None else (self.noise if h.device.type == "cpu" else None)
                coeffs = select_coefficients(module.weights, module.coeffs, self.config.estimator,
                                             temps[gate_layer].to(h.device), noise_gen)
                if gate_layer > 0 and self.config.grad_factor != 1.0:
                    h = _ScaleGrad.apply(h, self.config.grad_factor)
            if isinstance(module, TreeConv2d):
                h = module(h, coeffs)
            else:
                h = dense_forward(module, h, coeffs, None if hard else (self.config.estimator, temps[gate_layer].to(h.device), noise_gen))
            gate_layer += 1
        k = h.shape[0] // self.config.num_classes
        return h.reshape(self.config.num_classes, k, -1).sum(dim=1).T

    def eval_chunk(self, limit: int = 4096) -> int:
        """Samples per evaluation chunk (LogicNet.eval_chunk): on the CPU few enough that the widest
        activation, the gathered leaves of a tree convolution or a dense layer, fits EVAL_ACTIVATION_BYTES."""
        if self.head[0].weights.device.type != "cpu":
            return max(1, limit)
        widest = max([self.config.num_inputs, *(m.activation_rows for m in self.trunk if isinstance(m, TreeConv2d)),
                      *(layer.out_dim for layer in self.head)])
        return max(1, min(limit, EVAL_ACTIVATION_BYTES // (4 * widest)))

    @torch.no_grad()
    def hard_scores(self, bits: torch.Tensor, batch: int = 4096) -> torch.Tensor:
        """Integer class scores of the frozen network on binary inputs (what the hardware computes)."""
        batch = self.eval_chunk(batch)
        out = [self.forward(bits[i : i + batch].float(), hard=True) for i in range(0, bits.shape[0], batch)]
        return torch.cat(out).round().to(torch.int64)

    @torch.no_grad()
    def gate_type_fractions(self) -> list[float]:
        """Fractions of the 16 gate types over the trained gates (a tree gate counts once, not per position)."""
        ops = torch.cat([layer.frozen_ops() for layer in self.gate_layers])
        return (torch.bincount(ops, minlength=16).float() / ops.numel()).tolist()


def build_model(config: NetConfig | ConvNetConfig) -> nn.Module:
    """The network a config describes: LogicNet for a NetConfig, ConvLogicNet for a ConvNetConfig."""
    from .network import LogicNet

    return ConvLogicNet(config) if isinstance(config, ConvNetConfig) else LogicNet(config)
