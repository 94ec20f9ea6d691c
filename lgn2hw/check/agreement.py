"""Agreement of the Python references: torch hard inference, the raw and the optimized netlist, bit for bit.

compile runs check_agreement before it writes anything; its vectors (reference_vectors) are the
encoded test set of the model's data set when that is readable here, else random ones.
"""

from __future__ import annotations

import numpy as np

from ..errors import DataError, VerificationError
from ..limits import check_memory
from ..ir.netlist import Netlist
from ..ir.simulate import Simulator


def reference_vectors(netlist: Netlist, count: int | None, data_dir=None, seed: int = 0) -> tuple[np.ndarray, str]:
    """Input bits to check on: the encoded test set of the netlist's data set when it is known and
    readable, else uniformly random vectors. Returns (bits, description); the description says why
    random vectors were used when the netlist names a data set (never a silent fallback)."""
    from ..frontend.data.datasets import DATASETS

    dataset = netlist.metadata.get("dataset")
    why = ""
    if dataset is not None and (not isinstance(dataset, str) or dataset not in DATASETS):
        why = f" (metadata names data set {dataset!r}, which lgn2hw does not know: {', '.join(DATASETS)})"
    elif dataset and netlist.input_encoding is None:
        why = f" (the netlist has no input_encoding to encode the {dataset} test set with)"
    elif dataset:
        try:
            bits = encoded_test_set(netlist, dataset, data_dir)
            if count is not None:
                bits = bits[:count]
            return bits, f"{dataset} test set"
        except DataError as exc:
            why = f" (the {dataset} test set is not readable: {str(exc).splitlines()[0][:200]})"
    count = count or 4096
    # the bits, their packed copy and three simulators' scores: refuse what cannot fit before allocating
    check_memory(count * (2 * netlist.num_inputs + 48 * netlist.num_classes), f"{count:,} check vectors",
                 "use fewer --check-vectors")
    rng = np.random.default_rng(seed)
    return rng.integers(0, 2, size=(count, netlist.num_inputs), dtype=np.uint8), "random vectors" + why


def encoded_test_set(netlist: Netlist, dataset: str, data_dir=None) -> np.ndarray:
    """The data set's test split turned into input bits with the netlist's own input_encoding."""
    from ..frontend.data.datasets import load_dataset
    from ..ir.encoding import ThresholdEncoding

    encoding = ThresholdEncoding.from_json(netlist.input_encoding, num_inputs=netlist.num_inputs)
    data = load_dataset(dataset, data_dir=data_dir)
    return encoding.encode(data.test_x)


def check_agreement(model, raw: Netlist, optimized: Netlist, count: int, data_dir=None) -> dict:
    """Class scores from torch hard inference (``model``, when not None), the raw and the optimized
    netlist must be identical (VerificationError naming the first differing vector otherwise)."""
    bits, description = reference_vectors(raw, count, data_dir)
    raw_scores = Simulator(raw).scores(bits)
    opt_scores = Simulator(optimized).scores(bits)
    result = {"vectors": int(bits.shape[0]), "on": description}
    _require_equal("raw netlist simulator", raw_scores, "optimized netlist simulator", opt_scores)
    result["netlist_vs_optimized"] = "identical"
    if model is not None:
        import torch  # a model exists only where torch is loaded already

        torch_scores = model.hard_scores(torch.from_numpy(bits)).numpy()
        _require_equal("Python (torch) hard inference", torch_scores, "netlist simulator", raw_scores)
        result["torch_vs_netlist"] = "identical"
    return result


def _require_equal(name_a: str, a: np.ndarray, name_b: str, b: np.ndarray) -> None:
    if a.shape != b.shape or not np.array_equal(a, b):
        rows = np.nonzero((a != b).any(axis=1))[0] if a.shape == b.shape else [0]
        i = int(rows[0])
        raise VerificationError(
            f"{name_a} and {name_b} disagree on {len(rows)} vectors; first: vector {i}, "
            f"{name_a} {a[i].tolist()} vs {name_b} {b[i].tolist()}"
        )
