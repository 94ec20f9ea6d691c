"""Import a difflogic checkpoint (the reference research code's LogicLayer/GroupSum) as a Netlist.

difflogic models are ``torch.nn.Sequential(Flatten, LogicLayer, ..., LogicLayer, GroupSum(k, tau))``.
A LogicLayer's ``weights`` (out_dim, 16) use the same gate order as lgn2hw.ir.gates; its wiring
``indices = (a, b)`` is a plain tuple attribute, not part of ``state_dict()``, so users save it next to
the weights. The accepted layout (docs/difflogic-import.md), loaded with ``torch.load(weights_only=True)``:

* a dict of tensors (the state dict), or a dict whose ``"state_dict"`` / ``"model_state_dict"`` entry
  is one, next to optional metadata;
* per layer with key prefix P: ``P.weights`` (out, 16) and the wiring as ``P.indices`` ((2, out)
  tensor, or a tuple/list of two (out,) tensors), or ``P.indices.0`` + ``P.indices.1``, or
  ``P.idx_a`` + ``P.idx_b`` (integer tensors indexing the previous layer's outputs);
* layers in natural order of their prefixes ("1" < "2" < "10", "model.2" < "model.10");
* optional metadata: ``num_classes`` (GroupSum's k, which is not in the state), ``num_inputs``,
  ``input_encoding`` (lgn2hw's contract, docs/netlist-format.md), ``dataset``, ``tau`` (ignored:
  it does not change the class).

The frozen gate is ``torch.argmax(weights, -1)``: the first maximal logit wins, as in lgn2hw's own
freeze. Class c's score is the popcount of the last layer's outputs [c*n/k, (c+1)*n/k), which is
GroupSum's ``reshape(..., k, n/k).sum(-1)`` without the division by tau.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

import numpy as np
import torch

from ...errors import CheckpointError, NetlistError
from ...ir.gates import coefficient_matrix
from ...ir.netlist import Netlist

CONTAINER_KEYS = ("state_dict", "model_state_dict")
META_KEYS = ("num_classes", "num_inputs", "input_encoding", "dataset", "tau")
_LAYER_KEY = re.compile(r"(?P<prefix>.+)\.(?P<field>weights|indices|indices\.0|indices\.1|idx_a|idx_b)\Z")
_WIRING_FORMS = (("indices",), ("indices.0", "indices.1"), ("idx_a", "idx_b"))


def load_difflogic_file(path: str | os.PathLike):
    """The file's contents if it is a difflogic-layout checkpoint, else None (unreadable files too:
    the caller's own loader then reports why)."""
    from ..checkpoint import load_weights_only

    try:
        doc = load_weights_only(path)
    except CheckpointError:
        return None
    return doc if is_difflogic_state(doc) else None


def is_difflogic_state(doc) -> bool:
    """True for a plain state dict (or a dict holding one) with at least one ``<prefix>.weights`` tensor
    and no lgn2hw ``format`` marker."""
    if not isinstance(doc, Mapping) or "format" in doc:
        return False
    state = _state_of(doc)
    return any(isinstance(k, str) and k.endswith(".weights") and torch.is_tensor(v) for k, v in state.items())


def import_difflogic(
    doc_or_path,
    num_classes: int | None = None,
    num_inputs: int | None = None,
    source: str | None = None,
) -> tuple[Netlist, DifflogicModel]:
    """Netlist (frozen argmax gates, wiring as saved) and a torch reference model of a difflogic checkpoint.

    ``num_classes`` / ``num_inputs`` override or supply what the file does not hold; a value given both
    ways must agree. Raises CheckpointError with one line naming the offending key.
    """
    if isinstance(doc_or_path, (str, os.PathLike)):
        source = source or str(doc_or_path)
        doc = load_difflogic_file(doc_or_path)
        if doc is None:
            raise CheckpointError(f"{source}: not a difflogic checkpoint (no '<layer>.weights' tensors)")
    else:
        doc = doc_or_path
    where = source or "difflogic checkpoint"
    if not isinstance(doc, Mapping):
        raise CheckpointError(f"{where}: expected a dict of tensors (a state dict), got {type(doc).__name__}")
    state = _state_of(doc)
    meta = {k: doc[k] for k in META_KEYS if k in doc}
    meta.update({k: state[k] for k in META_KEYS if k in state})

    layers = _layer_entries(state, where)
    widths, ops, wiring = [], [], []
    for prefix, fields in layers:
        weights = fields.get("weights")
        if weights is None:
            raise CheckpointError(f"{where}: layer {prefix!r} has wiring but no '{prefix}.weights'")
        if weights.ndim != 2 or weights.shape[1] != 16 or weights.shape[0] < 1:
            raise CheckpointError(
                f"{where}: '{prefix}.weights' has shape {tuple(weights.shape)}; a difflogic LogicLayer has "
                "(out_dim, 16): one logit per gate type"
            )
        if not weights.is_floating_point():
            raise CheckpointError(f"{where}: '{prefix}.weights' must be a float tensor, got {weights.dtype}")
        if not torch.isfinite(weights).all():
            raise CheckpointError(f"{where}: '{prefix}.weights' holds NaN or infinite logits")
        out = int(weights.shape[0])
        idx_a, idx_b = _wiring(prefix, fields, out, where)
        widths.append(out)
        ops.append(torch.argmax(weights.detach().float(), dim=-1).numpy().astype(np.uint8))
        wiring.append((idx_a, idx_b))

    first_max = int(max(wiring[0][0].max(), wiring[0][1].max()))
    n = _agree("num_inputs", num_inputs, meta.get("num_inputs"), where)
    if n is None:
        n = first_max + 1
    elif first_max >= n:
        raise CheckpointError(
            f"{where}: layer {layers[0][0]!r} reads input {first_max}, but num_inputs is {n}"
        )
    classes = _agree("num_classes", num_classes, meta.get("num_classes"), where)
    if classes is None:
        raise CheckpointError(
            f"{where}: the class count is not in a difflogic state dict (GroupSum's k is a constructor "
            "argument): pass --num-classes K (num_classes=K), or save a 'num_classes' entry in the file"
        )
    if widths[-1] % classes:
        raise CheckpointError(
            f"{where}: the last layer ({layers[-1][0]!r}) has {widths[-1]} outputs, which do not split into "
            f"{classes} equal GroupSum groups"
        )
    previous = n
    for (prefix, _), (idx_a, idx_b) in zip(layers, wiring):
        worst = int(max(idx_a.max(), idx_b.max()))
        if min(int(idx_a.min()), int(idx_b.min())) < 0 or worst >= previous:
            bad = worst if worst >= previous else int(min(idx_a.min(), idx_b.min()))
            raise CheckpointError(
                f"{where}: layer {prefix!r} wiring index {bad} is out of range: the previous layer has "
                f"{previous} outputs (valid indices 0..{previous - 1})"
            )
        previous = int(idx_a.shape[0])

    a_parts, b_parts = [], []
    base_prev, base = 0, n
    for (idx_a, idx_b), width in zip(wiring, widths):
        a_parts.append(idx_a + base_prev)
        b_parts.append(idx_b + base_prev)
        base_prev, base = base, base + width
    metadata = {"imported_from": "difflogic", "difflogic_layers": [p for p, _ in layers], "widths": widths}
    if isinstance(meta.get("dataset"), str):
        metadata["dataset"] = meta["dataset"]
    encoding = meta.get("input_encoding")
    netlist = Netlist(
        num_inputs=n,
        num_classes=classes,
        ops=np.concatenate(ops),
        a=np.concatenate(a_parts),
        b=np.concatenate(b_parts),
        outputs=np.arange(base_prev, base),
        input_encoding=encoding if encoding is not None else None,
        metadata=metadata,
    )
    try:
        netlist.validate()
    except NetlistError as exc:
        raise CheckpointError(f"{where}: {exc}") from None
    model = DifflogicModel(
        [torch.from_numpy(o.astype(np.int64)) for o in ops],
        [(torch.from_numpy(a), torch.from_numpy(b)) for a, b in wiring],
        classes,
    )
    return netlist, model


class DifflogicModel:
    """Hard (argmax) forward of an imported difflogic network in torch, computed the way difflogic does
    it (gather operands by index per layer, apply the gate, GroupSum sums): the compile step's
    independent reference for the netlist simulator."""

    def __init__(self, ops: list[torch.Tensor], wiring: list[tuple[torch.Tensor, torch.Tensor]], num_classes: int):
        self.ops, self.wiring, self.num_classes = ops, wiring, num_classes
        self.coeffs = torch.from_numpy(coefficient_matrix()).double()

    @torch.no_grad()
    def hard_scores(self, bits: torch.Tensor) -> torch.Tensor:
        """(samples, num_inputs) 0/1 -> (samples, num_classes) int64 class scores (popcounts)."""
        x = bits.double()
        for ops, (idx_a, idx_b) in zip(self.ops, self.wiring):
            a, b = x[..., idx_a], x[..., idx_b]
            c = self.coeffs[ops]  # (out, 4): c0 + c1 a + c2 b + c3 ab, exact on {0, 1}
            x = c[:, 0] + c[:, 1] * a + c[:, 2] * b + c[:, 3] * a * b
        k = self.num_classes
        return x.reshape(*x.shape[:-1], k, x.shape[-1] // k).sum(-1).round().long()


# ------------------------------------------------------------------------------------------ internals
def _state_of(doc: Mapping) -> Mapping:
    for key in CONTAINER_KEYS:
        if isinstance(doc.get(key), Mapping):
            return doc[key]
    return doc


def _natural_key(prefix: str) -> tuple:
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", prefix) if part)


def _layer_entries(state: Mapping, where: str) -> list[tuple[str, dict]]:
    layers: dict[str, dict] = {}
    for key, value in state.items():
        if key in META_KEYS or key in CONTAINER_KEYS:
            continue
        match = _LAYER_KEY.match(key) if isinstance(key, str) else None
        if match is None:
            raise CheckpointError(
                f"{where}: unexpected entry {key!r}: a difflogic layout holds '<layer>.weights' and the wiring "
                "'<layer>.indices' (or '.indices.0'/'.indices.1', '.idx_a'/'.idx_b') per layer, plus "
                f"optional {', '.join(META_KEYS)}"
            )
        layers.setdefault(match["prefix"], {})[match["field"]] = value
    if not layers:
        raise CheckpointError(f"{where}: no '<layer>.weights' tensors: not a difflogic state dict")
    return sorted(layers.items(), key=lambda item: _natural_key(item[0]))


def _wiring(prefix: str, fields: dict, out: int, where: str) -> tuple[np.ndarray, np.ndarray]:
    present = [form for form in _WIRING_FORMS if any(f in fields for f in form)]
    if not present:
        raise CheckpointError(
            f"{where}: layer {prefix!r} has no wiring: LogicLayer.indices is not part of state_dict(), save it "
            f"as '{prefix}.indices' (torch.stack(layer.indices)) or '{prefix}.indices.0'/'{prefix}.indices.1'"
        )
    if len(present) > 1:
        names = ", ".join(f"{prefix}.{f}" for form in present for f in form if f in fields)
        raise CheckpointError(f"{where}: layer {prefix!r} has its wiring twice ({names}): keep one form")
    form = present[0]
    if form == ("indices",):
        value = fields["indices"]
        if isinstance(value, (tuple, list)) and len(value) == 2 and all(torch.is_tensor(v) for v in value):
            parts = list(value)
        elif torch.is_tensor(value) and value.ndim == 2 and value.shape == (2, out):
            parts = [value[0], value[1]]
        else:
            shape = tuple(value.shape) if torch.is_tensor(value) else type(value).__name__
            raise CheckpointError(
                f"{where}: '{prefix}.indices' has shape {shape}; layer {prefix!r} has {out} gates, so (2, {out}) "
                f"or a pair of ({out},) tensors is needed"
            )
        names = [f"{prefix}.indices[0]", f"{prefix}.indices[1]"]
    else:
        have = [f for f in form if f in fields]
        missing = [f for f in form if f not in fields]
        if missing:
            raise CheckpointError(f"{where}: layer {prefix!r} has '{prefix}.{have[0]}' but no '{prefix}.{missing[0]}'")
        parts = [fields[form[0]], fields[form[1]]]
        names = [f"{prefix}.{form[0]}", f"{prefix}.{form[1]}"]
    result = []
    for name, part in zip(names, parts):
        if not torch.is_tensor(part):
            raise CheckpointError(f"{where}: '{name}' must be a tensor, got {type(part).__name__}")
        if part.dtype == torch.bool or part.is_floating_point() or part.is_complex():
            raise CheckpointError(f"{where}: '{name}' must be an integer tensor, got {part.dtype}")
        if part.ndim != 1 or part.shape[0] != out:
            raise CheckpointError(
                f"{where}: '{name}' has shape {tuple(part.shape)}; layer {prefix!r} has {out} gates, "
                f"so ({out},) is needed"
            )
        result.append(part.detach().cpu().to(torch.int64).numpy().copy())
    return result[0], result[1]


def _agree(name: str, given, stored, where: str) -> int | None:
    values = []
    for origin, value in (("option", given), ("file", stored)):
        if value is None:
            continue
        if torch.is_tensor(value) and value.numel() == 1:
            value = value.item()
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise CheckpointError(f"{where}: {name} ({origin}) must be a positive integer, got {value!r}")
        values.append(int(value))
    if len(values) == 2 and values[0] != values[1]:
        raise CheckpointError(f"{where}: {name} given as {values[0]} but the file says {values[1]}")
    return values[0] if values else None
