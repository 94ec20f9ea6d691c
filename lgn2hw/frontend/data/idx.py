"""IDX files (the MNIST / Fashion-MNIST container): strict reader and a writer for tests.

Layout (big-endian, http://yann.lecun.com/exdb/mnist/): two zero bytes, one element-type byte
(0x08 = unsigned byte, the only type this reader accepts), one byte with the number of dimensions
``d``, then ``d`` big-endian uint32 dimension sizes, then ``prod(dims)`` elements, row-major.
Image files therefore start ``00 00 08 03`` (magic 0x00000803) and label files ``00 00 08 01``
(0x00000801).

A file may be stored raw or gzip-compressed; which one is decided by the first two bytes (gzip's
magic ``1f 8b``), never by the file name. Every defect (unknown magic, wrong number of dimensions,
truncated header or data, trailing bytes, broken gzip stream) raises DataError naming the file.
"""

from __future__ import annotations

import gzip as _gzip
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...errors import ConfigError, DataError
from ...fsutil import atomic_file
from ...limits import check_memory

GZIP_MAGIC = b"\x1f\x8b"
_GUNZIP_BLOCK = 1 << 22  # decompressed bytes per step
UBYTE = 0x08
IMAGES_MAGIC = 0x00000803
LABELS_MAGIC = 0x00000801

_TYPE_NAMES = {0x08: "unsigned byte", 0x09: "signed byte", 0x0B: "int16", 0x0C: "int32", 0x0D: "float32", 0x0E: "float64"}


@dataclass
class RawFile:
    """The bytes of one data file as read from disk, and its decompressed payload."""

    path: Path
    file_bytes: bytes
    payload: bytes
    gzipped: bool


def read_payload(path: str | os.PathLike) -> RawFile:
    """Read ``path`` whole; gunzip it when it starts with the gzip magic. DataError on any failure."""
    path = Path(path)
    try:
        file_bytes = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a directory, expected a file") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if file_bytes[:2] != GZIP_MAGIC:
        return RawFile(path, file_bytes, file_bytes, False)
    return RawFile(path, file_bytes, gunzip_idx(file_bytes, str(path)), True)


def gunzip_idx(file_bytes: bytes, source: str) -> bytes:
    """Decompress a gzipped IDX file a block at a time, never past the size its header declares.

    A small file that inflates to gigabytes (a gzip bomb, or a header declaring more than memory) is
    refused as soon as that is known, before it is decompressed whole.
    """
    stream = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = bytearray()
    pending, limit = file_bytes, None
    try:
        while True:
            chunk = stream.decompress(pending, _GUNZIP_BLOCK)
            out += chunk
            pending = stream.unconsumed_tail
            if limit is None and len(out) >= 4 and len(out) >= 4 + 4 * out[3]:
                limit = _declared_size(bytes(out), source)
            if limit is not None and len(out) > limit:
                raise DataError(f"{source}: decompresses to more than the {limit:,} bytes its IDX header declares")
            if stream.eof:
                break
            if not pending and not chunk:  # input used up, nothing buffered, stream not finished
                raise DataError(f"{source}: truncated gzip stream (the compressed file ends early)")
    except zlib.error as exc:
        raise DataError(f"{source}: corrupt gzip data ({exc})") from None
    if stream.unused_data.strip(b"\0"):
        raise DataError(f"{source}: unexpected data after the gzip stream")
    return bytes(out)


def _declared_size(head: bytes, source: str) -> int:
    """Bytes an IDX file with this header holds (header + elements), checked against memory."""
    if head[0] != 0 or head[1] != 0:
        return 1 << 62  # not IDX: parse_idx names the problem with the whole payload
    dims = [int.from_bytes(head[4 + 4 * i : 8 + 4 * i], "big") for i in range(head[3])]
    size = 4 + 4 * len(dims) + int(np.prod(dims, dtype=object))
    try:
        check_memory(2 * size, f"{source} (its IDX header declares {'x'.join(map(str, dims))})")
    except ConfigError as exc:
        raise DataError(str(exc)) from None
    return size


def parse_idx(payload: bytes, source: str = "IDX data", ndim: int | None = None) -> np.ndarray:
    """Decode IDX bytes (already decompressed) into a writable uint8 array of the header's shape.

    ``ndim`` (3 for images, 1 for labels) is checked when given.
    """
    if len(payload) < 4:
        raise DataError(f"{source}: truncated: {len(payload)} bytes is too short for an IDX header")
    if payload[0] != 0 or payload[1] != 0:
        raise DataError(
            f"{source}: not an IDX file (magic bytes {payload[:4].hex(' ')}; IDX files start 00 00 08 01 or 00 00 08 03)"
        )
    magic = int.from_bytes(payload[:4], "big")
    dtype_code, dims_count = payload[2], payload[3]
    if dtype_code != UBYTE:
        kind = _TYPE_NAMES.get(dtype_code, "unknown type")
        raise DataError(
            f"{source}: IDX element type 0x{dtype_code:02x} ({kind}) is not supported; only unsigned byte (0x08) is"
        )
    if ndim is not None and dims_count != ndim:
        want = {3: "an image file (magic 0x00000803)", 1: "a label file (magic 0x00000801)"}.get(ndim, f"{ndim} dimensions")
        raise DataError(f"{source}: wrong magic 0x{magic:08x}: expected {want}, found {dims_count} dimension(s)")
    if dims_count == 0:
        raise DataError(f"{source}: IDX header declares 0 dimensions")
    header = 4 + 4 * dims_count
    if len(payload) < header:
        raise DataError(
            f"{source}: truncated: header needs {header} bytes for {dims_count} dimensions, file has {len(payload)}"
        )
    dims = tuple(int.from_bytes(payload[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims_count))
    expected = 1
    for d in dims:
        expected *= d
    actual = len(payload) - header
    shape = "x".join(str(d) for d in dims)
    if actual < expected:
        raise DataError(
            f"{source}: truncated: header declares {shape} = {expected} data bytes, file has only {actual}"
        )
    if actual > expected:
        raise DataError(
            f"{source}: {actual - expected} unexpected trailing bytes after the {shape} = {expected} data bytes "
            "its header declares"
        )
    array = np.frombuffer(payload, dtype=np.uint8, count=expected, offset=header)
    return array.reshape(dims).copy()


def read_idx(path: str | os.PathLike, ndim: int | None = None) -> np.ndarray:
    """Read an IDX file (raw or gzip, detected by content) as a uint8 array of its declared shape."""
    raw = read_payload(path)
    return parse_idx(raw.payload, str(raw.path), ndim)


def read_idx_images(path: str | os.PathLike) -> np.ndarray:
    """An IDX image file (magic 0x00000803) as a uint8 array (n, rows, cols)."""
    return read_idx(path, ndim=3)


def read_idx_labels(path: str | os.PathLike) -> np.ndarray:
    """An IDX label file (magic 0x00000801) as a uint8 array (n,)."""
    return read_idx(path, ndim=1)


def encode_idx(array: np.ndarray) -> bytes:
    """IDX bytes of a uint8 array (any number of dimensions >= 1)."""
    array = np.asarray(array)
    if array.dtype != np.uint8:
        if array.size and (array.min() < 0 or array.max() > 255 or not np.issubdtype(array.dtype, np.integer)):
            raise DataError(f"write_idx: values must be integers 0..255, got dtype {array.dtype}")
        array = array.astype(np.uint8)
    if not 1 <= array.ndim <= 255:
        raise DataError(f"write_idx: need 1..255 dimensions, got {array.ndim}")
    header = bytes([0, 0, UBYTE, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + np.ascontiguousarray(array).tobytes()


def write_idx(path: str | os.PathLike, array: np.ndarray, gzip: bool = False) -> Path:
    """Write ``array`` (uint8) as an IDX file, gzip-compressed when ``gzip``; atomic. Returns the path."""
    data = encode_idx(array)
    if gzip:
        data = _gzip.compress(data, mtime=0)
    path = Path(path)
    with atomic_file(path, "wb") as handle:
        handle.write(data)
    return path
