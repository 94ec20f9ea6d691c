"""The architecture description of a convolutional Logic Gate Network: parse, check, print.

A network is written as blocks joined by ``-`` (spaces are ignored)::

    conv(16,k5,p0)-pool-conv(48)-pool-conv(144)-pool-flatten-dense(20480)-dense(10240)-dense(5120)

=====================================  ==============================================================
block                                  meaning
=====================================  ==============================================================
``conv(C[,kK][,pP][,gG][,dD])``        C output channels; each is one logic tree of depth D (default
                                       3: 2^D = 8 inputs, 2^D - 1 = 7 gates) over a K x K receptive
                                       field (default 3) of at most 2 input channels, applied at every
                                       position (stride 1) with P rows/columns of zero padding (default
                                       K // 2, "same"); channels split into G independent groups
                                       (default 1): a tree of group g reads only input channels of g.
``pool`` / ``pool(S)``                 S x S OR pooling with stride S (default 2).
``flatten``                            feature maps -> one vector, (channel, y, x) order. Optional:
                                       the first ``dense`` implies it.
``dense(W)``                           a fully-connected logic layer of W gates (random wiring).
=====================================  ==============================================================

The last block is a dense layer; GroupSum splits its gates into the classes. ``canonical()`` prints
every option explicitly (``conv(16,k5,p0,g1,d3)-pool(2)-...``): that form is stored in checkpoints,
so a network rebuilds exactly. ``shapes()`` checks a description against an input image shape
(channels, height, width) and names the first block that does not fit in one ConfigError line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ...errors import ConfigError

MAX_TREE_DEPTH = 6  # 64 leaves: far beyond the paper's 3, small enough to stay a "small tree"
CHANNELS_PER_TREE = 2  # the paper's routability rule: every tree reads at most two input channels


@dataclass(frozen=True)
class Conv:
    channels: int
    kernel: int = 3
    padding: int | None = None  # None: kernel // 2 ("same" for odd kernels)
    groups: int = 1
    depth: int = 3

    @property
    def pad(self) -> int:
        return self.kernel // 2 if self.padding is None else self.padding

    @property
    def leaves(self) -> int:
        return 2 ** self.depth

    @property
    def tree_gates(self) -> int:
        return 2 ** self.depth - 1

    def text(self) -> str:
        return f"conv({self.channels},k{self.kernel},p{self.pad},g{self.groups},d{self.depth})"


@dataclass(frozen=True)
class Pool:
    size: int = 2

    def text(self) -> str:
        return f"pool({self.size})"


@dataclass(frozen=True)
class Flatten:
    def text(self) -> str:
        return "flatten"


@dataclass(frozen=True)
class Dense:
    width: int

    def text(self) -> str:
        return f"dense({self.width})"


Block = Conv | Pool | Flatten | Dense
_BLOCK = re.compile(r"^([a-z]+)(?:\((.*)\))?$")
_CONV_OPTION = re.compile(r"^([kpgd])(\d+)$")
_CONV_OPTION_NAMES = {"k": "kernel", "p": "padding", "g": "groups", "d": "depth"}


def _int(text: str, what: str, block: str) -> int:
    if not re.fullmatch(r"\d+", text.strip()):
        raise ConfigError(f"architecture block {block!r}: {what} must be a whole number, got {text.strip()!r}")
    return int(text)


def parse(description: str) -> list[Block]:
    """The blocks of a description, in order, with ``flatten`` inserted before the first dense layer
    when the description has feature maps and no explicit flatten. Syntax errors are ConfigError."""
    if not isinstance(description, str) or not description.strip():
        raise ConfigError("empty architecture description (example: conv(16)-pool-dense(8000))")
    blocks: list[Block] = []
    for raw in description.replace(" ", "").lower().split("-"):
        match = _BLOCK.match(raw)
        if not raw or not match:
            raise ConfigError(f"architecture: cannot read block {raw!r} in {description!r} (blocks: conv(C,...), pool, flatten, dense(W))")
        name, args = match.group(1), match.group(2)
        parts = [] if args is None or args == "" else args.split(",")
        if name == "conv":
            if not parts:
                raise ConfigError(f"architecture block {raw!r}: conv needs its channel count, e.g. conv(16)")
            options = {}
            for part in parts[1:]:
                option = _CONV_OPTION.match(part)
                if not option:
                    raise ConfigError(f"architecture block {raw!r}: unknown conv option {part!r} (kK kernel, pP padding, gG groups, dD tree depth)")
                key = _CONV_OPTION_NAMES[option.group(1)]
                if key in options:
                    raise ConfigError(f"architecture block {raw!r}: option {option.group(1)} given twice")
                options[key] = int(option.group(2))
            blocks.append(Conv(_int(parts[0], "the channel count", raw), **options))
        elif name == "pool":
            if len(parts) > 1:
                raise ConfigError(f"architecture block {raw!r}: pool takes one size, e.g. pool(2)")
            blocks.append(Pool(_int(parts[0], "the pool size", raw)) if parts else Pool())
        elif name == "flatten":
            if parts:
                raise ConfigError(f"architecture block {raw!r}: flatten takes no arguments")
            blocks.append(Flatten())
        elif name == "dense":
            if len(parts) != 1:
                raise ConfigError(f"architecture block {raw!r}: dense takes one width, e.g. dense(8000)")
            blocks.append(Dense(_int(parts[0], "the width", raw)))
        else:
            raise ConfigError(f"architecture: unknown block {name!r} in {description!r} (blocks: conv, pool, flatten, dense)")
    return _with_flatten(blocks)


def _with_flatten(blocks: list[Block]) -> list[Block]:
    spatial = [i for i, b in enumerate(blocks) if isinstance(b, (Conv, Pool))]
    dense = [i for i, b in enumerate(blocks) if isinstance(b, Dense)]
    flats = [i for i, b in enumerate(blocks) if isinstance(b, Flatten)]
    if len(flats) > 1:
        raise ConfigError("architecture: flatten may appear once")
    if not flats and spatial and dense:
        blocks = blocks[: dense[0]] + [Flatten()] + blocks[dense[0]:]
        flats = [dense[0]]
    if flats:
        f = flats[0]
        if any(i > f for i in spatial):
            raise ConfigError("architecture: conv and pool blocks must come before flatten / the first dense layer")
        if any(i < f for i in dense):
            raise ConfigError("architecture: dense layers must come after flatten")
    if not blocks or not isinstance(blocks[-1], Dense):
        raise ConfigError("architecture: the last block must be a dense layer (GroupSum splits its gates into the classes)")
    return blocks


def canonical(description: str | list[Block]) -> str:
    """The description with every option explicit: the form stored in checkpoints."""
    blocks = parse(description) if isinstance(description, str) else description
    return "-".join(b.text() for b in blocks)


def is_convolutional(blocks: list[Block]) -> bool:
    return any(isinstance(b, (Conv, Pool)) for b in blocks)


def conv_output_size(size: int, conv: Conv) -> int:
    return size + 2 * conv.pad - conv.kernel + 1


def shapes(blocks: list[Block], image_shape: tuple[int, int, int]) -> list[tuple[int, ...]]:
    """Input shape of every block and, last, the output shape: (C, H, W) before flatten, (n,) after.

    ConfigError (one line, naming the block) when a kernel or pool does not fit the feature maps,
    channel groups do not divide, a tree cannot find enough distinct inputs, or a size is not positive.
    """
    if len(image_shape) != 3 or any(int(s) < 1 for s in image_shape):
        raise ConfigError(f"image shape must be (channels, height, width) of positive sizes, got {tuple(image_shape)}")
    shape: tuple[int, ...] = tuple(int(s) for s in image_shape)
    out = [shape]
    for i, block in enumerate(blocks):
        where = f"architecture block {i + 1} {block.text()}"
        if isinstance(block, Conv):
            c, h, w = shape
            if block.channels < 1 or block.kernel < 1 or block.groups < 1 or not 1 <= block.depth <= MAX_TREE_DEPTH:
                raise ConfigError(f"{where}: channels, kernel and groups must be >= 1 and depth 1..{MAX_TREE_DEPTH}")
            if block.pad >= block.kernel:
                raise ConfigError(f"{where}: padding {block.pad} must be smaller than the kernel {block.kernel}")
            if c % block.groups or block.channels % block.groups:
                raise ConfigError(
                    f"{where}: {block.groups} channel groups do not divide {c} input and {block.channels} output channels"
                )
            per_group = c // block.groups
            candidates = min(CHANNELS_PER_TREE, per_group) * block.kernel ** 2
            if candidates < block.leaves:
                raise ConfigError(
                    f"{where}: a depth-{block.depth} tree needs {block.leaves} distinct inputs, but a {block.kernel}x{block.kernel} "
                    f"receptive field over {min(CHANNELS_PER_TREE, per_group)} channel(s) has only {candidates}"
                )
            oh, ow = conv_output_size(h, block), conv_output_size(w, block)
            if oh < 1 or ow < 1:
                raise ConfigError(f"{where}: a {block.kernel}x{block.kernel} kernel with padding {block.pad} does not fit {h}x{w} feature maps")
            shape = (block.channels, oh, ow)
        elif isinstance(block, Pool):
            c, h, w = shape
            if block.size < 2:
                raise ConfigError(f"{where}: pool size must be >= 2")
            if h % block.size or w % block.size:
                raise ConfigError(f"{where}: {block.size}x{block.size} pooling does not fit {h}x{w} feature maps (sizes must divide)")
            shape = (c, h // block.size, w // block.size)
        elif isinstance(block, Flatten):
            shape = (shape[0] * shape[1] * shape[2],)
        else:
            if block.width < 1:
                raise ConfigError(f"{where}: width must be positive")
            shape = (block.width,)
        out.append(shape)
    return out
