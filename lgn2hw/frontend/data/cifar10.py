"""CIFAR-10, binary version (https://www.cs.toronto.edu/~kriz/cifar.html, "suitable for C programs").

Each batch file (``data_batch_1.bin`` .. ``data_batch_5.bin``, ``test_batch.bin``) is a sequence of
3073-byte records: one label byte (0..9), then 3072 pixel bytes: the 1024 red values of the 32x32
image row by row, then the 1024 green, then the 1024 blue. That is exactly the flattened (C, H, W)
order lgn2hw uses for features, so a record minus its label byte is one sample row.

The official archive ``cifar-10-binary.tar.gz`` (MD5 c32a1d4ab5d03f1284b67883e8d87530) unpacks to
``cifar-10-batches-bin/``. Digests of the individual .bin files are not published, so batches are
format-checked (exact size of 10000 records = 30,730,000 bytes for official data, labels 0..9); the
archive itself, when it is what the user has, is MD5-checked and read without unpacking.
"""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import numpy as np

from ...errors import DataError
from ...fsutil import atomic_file
from .checksums import CIFAR10_BINARY_TAR_MD5, md5_hex

URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
TAR_NAME = "cifar-10-binary.tar.gz"
SUBDIR = "cifar-10-batches-bin"
TRAIN_BATCHES = tuple(f"data_batch_{i}.bin" for i in range(1, 6))
TEST_BATCH = "test_batch.bin"
IMAGE_SHAPE = (3, 32, 32)
PIXELS = 3 * 32 * 32
RECORD = 1 + PIXELS
RECORDS_PER_BATCH = 10000
BATCH_BYTES = RECORD * RECORDS_PER_BATCH  # 30,730,000
NUM_CLASSES = 10
CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def parse_batch(data: bytes, source: str, strict_size: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Decode one batch's bytes into (images uint8 (n, 3072) in C,H,W order, labels int64 (n,))."""
    if strict_size and len(data) != BATCH_BYTES:
        raise DataError(
            f"{source}: {len(data)} bytes, an official CIFAR-10 batch has {BATCH_BYTES} "
            f"({RECORDS_PER_BATCH} records of {RECORD} bytes){' (truncated)' if len(data) < BATCH_BYTES else ''}"
        )
    if len(data) == 0 or len(data) % RECORD:
        raise DataError(
            f"{source}: {len(data)} bytes is not a whole number of {RECORD}-byte records "
            "(1 label byte + 3072 pixel bytes): truncated or not a CIFAR-10 binary batch"
        )
    records = np.frombuffer(data, dtype=np.uint8).reshape(-1, RECORD)
    labels = records[:, 0].astype(np.int64)
    bad = labels >= NUM_CLASSES
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(f"{source}: record {i} has label {int(labels[i])}, CIFAR-10 labels are 0..9")
    return records[:, 1:].copy(), labels


def read_cifar10_batch(path: str | os.PathLike, strict_size: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Read one binary batch file: (images uint8 (n, 3072), labels int64 (n,)).

    ``strict_size`` demands the official 10000 records; off, any whole number of records is read.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror or exc})") from None
    return parse_batch(data, str(path), strict_size)


def write_cifar10_batch(path: str | os.PathLike, images: np.ndarray, labels: np.ndarray) -> Path:
    """Write a batch in the official binary format (for tests); images (n, 3, 32, 32) or (n, 3072) uint8."""
    images = np.asarray(images)
    labels = np.asarray(labels)
    n = images.shape[0]
    if images.dtype != np.uint8 or images.reshape(n, -1).shape[1] != PIXELS:
        raise DataError(f"write_cifar10_batch: images must be uint8 (n, 3, 32, 32) or (n, 3072), got {images.dtype} {images.shape}")
    if labels.shape != (n,) or (n and (labels.min() < 0 or labels.max() > 255)):
        raise DataError(f"write_cifar10_batch: labels must be {n} values 0..255, got shape {labels.shape}")
    records = np.empty((n, RECORD), dtype=np.uint8)
    records[:, 0] = labels
    records[:, 1:] = images.reshape(n, PIXELS)
    path = Path(path)
    with atomic_file(path, "wb") as handle:
        handle.write(records.tobytes())
    return path


def find_cifar10(data_dir: str | os.PathLike) -> Path:
    """The directory holding the batch files, or the archive: ``data_dir``, its ``cifar-10-batches-bin``
    subfolder, or ``data_dir/cifar-10-binary.tar.gz`` (also when ``data_dir`` is that file)."""
    data_dir = Path(data_dir)
    if data_dir.is_file() and tarfile.is_tarfile(data_dir):
        return data_dir
    if not data_dir.is_dir():
        raise DataError(
            f"cifar10: data directory {data_dir} does not exist; put the binary batches (from {URL}) there"
        )
    for candidate in (data_dir, data_dir / SUBDIR):
        if (candidate / TEST_BATCH).is_file() or (candidate / TRAIN_BATCHES[0]).is_file():
            return candidate
    if (data_dir / TAR_NAME).is_file():
        return data_dir / TAR_NAME
    raise DataError(
        f"cifar10: no CIFAR-10 binary batches in {data_dir} (nor in {data_dir / SUBDIR}, nor {TAR_NAME}); "
        f"unpack {URL} there"
    )


def load_cifar10(
    data_dir: str | os.PathLike, verify_checksums: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, Path]:
    """(train_x, train_y, test_x, test_y, source) from a batch directory or the official archive.

    With ``verify_checksums`` every batch must have the official size and an archive its official
    MD5; without, batches of any whole number of records are read (for test files).
    """
    location = find_cifar10(data_dir)
    if location.is_file():
        blobs = _read_tar(location, verify_checksums)
    else:
        blobs = {}
        for name in (*TRAIN_BATCHES, TEST_BATCH):
            path = location / name
            if not path.is_file():
                raise DataError(f"cifar10: missing {path}; all of {', '.join((*TRAIN_BATCHES, TEST_BATCH))} are needed")
            try:
                blobs[name] = (path.read_bytes(), str(path))
            except OSError as exc:
                raise DataError(f"{path}: cannot read ({exc.strerror or exc})") from None
    train = [parse_batch(*blobs[name], strict_size=verify_checksums) for name in TRAIN_BATCHES]
    test_x, test_y = parse_batch(*blobs[TEST_BATCH], strict_size=verify_checksums)
    train_x = np.concatenate([x for x, _ in train])
    train_y = np.concatenate([y for _, y in train])
    return train_x, train_y, test_x, test_y, location


def _read_tar(path: Path, verify_checksums: bool) -> dict[str, tuple[bytes, str]]:
    try:
        archive_bytes = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if verify_checksums:
        digest = md5_hex(archive_bytes)
        if digest != CIFAR10_BINARY_TAR_MD5:
            raise DataError(
                f"{path}: checksum mismatch: MD5 {digest}, the official {TAR_NAME} has {CIFAR10_BINARY_TAR_MD5} "
                "(corrupt or not the official archive; for your own files use --no-checksums, or verify_checksums=False from Python)"
            )
    blobs: dict[str, tuple[bytes, str]] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(archive_bytes), mode="r:*") as tar:
            for member in tar:
                base = member.name.rsplit("/", 1)[-1]
                if member.isfile() and base in (*TRAIN_BATCHES, TEST_BATCH):
                    if member.size > BATCH_BYTES:  # read no more than a batch can hold (no archive bomb)
                        raise DataError(f"{path}:{member.name}: {member.size:,} bytes, more than a CIFAR-10 batch "
                                        f"holds ({BATCH_BYTES:,})")
                    handle = tar.extractfile(member)
                    blobs[base] = (handle.read(BATCH_BYTES + 1), f"{path}:{member.name}")
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise DataError(f"{path}: corrupt or truncated archive ({exc})") from None
    missing = [name for name in (*TRAIN_BATCHES, TEST_BATCH) if name not in blobs]
    if missing:
        raise DataError(f"{path}: archive lacks {', '.join(missing)}; is it the CIFAR-10 binary version?")
    return blobs


def download(dest_dir: str | os.PathLike, base_url: str | None = None) -> Path:
    """Download the official binary archive (MD5-checked) and unpack the six batches into
    ``dest_dir/cifar-10-batches-bin``; returns that folder. Needs a network (fails here, cleanly)."""
    from .download import fetch

    dest_dir = Path(dest_dir)
    url = (base_url.rstrip("/") + "/" + TAR_NAME) if base_url else URL
    archive = fetch(url, dest_dir / TAR_NAME, CIFAR10_BINARY_TAR_MD5)
    blobs = _read_tar(archive, verify_checksums=True)
    out = dest_dir / SUBDIR
    for name, (data, source) in blobs.items():
        parse_batch(data, source, strict_size=True)
        with atomic_file(out / name, "wb") as handle:
            handle.write(data)
    return out
