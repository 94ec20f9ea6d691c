"""Digests of the official data files, and the check that a file on disk is one of them.

Policy (docs/datasets.md, "Checksums"):

* A file is accepted when the MD5 of the file as stored (for a gzip file: of the compressed bytes,
  which is what the MNIST / Fashion-MNIST sites and torchvision publish) matches a published digest,
  or when the SHA-256 of its decompressed contents matches a known one. The second form lets a
  re-compressed copy through, such as Debian's ``dataset-fashion-mnist`` (its .gz files differ from
  the upstream ones byte for byte, their contents do not).
* A known file whose digests match none of the accepted ones raises DataError. Users with their own
  re-encoded files pass ``verify_checksums=False``; format and range checks still apply.
* Where no digest of a form is known (uncompressed MNIST files: only the .gz digests are published),
  the file is accepted on format and official-shape checks alone. Nothing here is guessed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from ...errors import DataError
from .idx import RawFile


@dataclass(frozen=True)
class KnownFile:
    """Accepted digests of one official file: MD5 of the published .gz, SHA-256 of the contents."""

    gz_md5: frozenset[str] = field(default_factory=frozenset)
    content_sha256: frozenset[str] = field(default_factory=frozenset)


def _known(gz_md5: tuple[str, ...] = (), content_sha256: tuple[str, ...] = ()) -> KnownFile:
    return KnownFile(frozenset(gz_md5), frozenset(content_sha256))


# (dataset, file key) -> digests. File keys: train-images, train-labels, t10k-images, t10k-labels.
KNOWN_FILES: dict[tuple[str, str], KnownFile] = {
    # MNIST: MD5 of the .gz files as published by the MNIST site and used by torchvision.
    ("mnist", "train-images"): _known(gz_md5=("f68b3c2dcbeaaa9fbdd348bbdeb94873",)),
    ("mnist", "train-labels"): _known(gz_md5=("d53e105ee54ea40749a09fcbcd1e9432",)),
    ("mnist", "t10k-images"): _known(gz_md5=("9fb629c4189551a2d022fa330f9573f3",)),
    ("mnist", "t10k-labels"): _known(gz_md5=("ec29112dd5afa0611ce80d1b7f02629c",)),
    # Fashion-MNIST: MD5 of the upstream .gz files (Zalando / torchvision) and SHA-256 of the
    # decompressed contents (measured on Debian's dataset-fashion-mnist, whose .gz files are
    # re-compressed: their MD5s differ from upstream's, so the content digest is what accepts them).
    ("fashion-mnist", "train-images"): _known(
        ("8d4fb7e6c68d591d4c3dfef9ec88bf0d",), ("c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",)
    ),
    ("fashion-mnist", "train-labels"): _known(
        ("25c81989df183df01b3e8a0aad5dffbe",), ("bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",)
    ),
    ("fashion-mnist", "t10k-images"): _known(
        ("bef4ecab320f06d8554ea6380940ec79",), ("5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",)
    ),
    ("fashion-mnist", "t10k-labels"): _known(
        ("bb300cfdad3c16e7a12a480ee83cd310",), ("0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",)
    ),
}

# MD5 of the official CIFAR-10 binary archive (https://www.cs.toronto.edu/~kriz/cifar.html).
# Digests of the individual data_batch_*.bin files are not published; batches are format-checked.
CIFAR10_BINARY_TAR_MD5 = "c32a1d4ab5d03f1284b67883e8d87530"


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def has_digest_for(dataset: str, key: str, gzipped: bool) -> bool:
    """Whether a file of this form (gzip or raw) can be checked against a known digest."""
    known = KNOWN_FILES.get((dataset, key))
    return known is not None and bool(known.content_sha256 or (gzipped and known.gz_md5))


def verify_file(dataset: str, key: str, raw: RawFile) -> bool:
    """Check ``raw`` against the official digests of ``(dataset, key)``.

    Returns True when a digest matched, False when no digest is known for this form of the file
    (the caller then relies on format checks). Raises DataError on a mismatch.
    """
    known = KNOWN_FILES.get((dataset, key))
    if known is None or not has_digest_for(dataset, key, raw.gzipped):
        return False
    found = []
    if raw.gzipped and known.gz_md5:
        digest = md5_hex(raw.file_bytes)
        if digest in known.gz_md5:
            return True
        found.append(f"MD5 of the gzip file {digest}")
    if known.content_sha256:
        digest = sha256_hex(raw.payload)
        if digest in known.content_sha256:
            return True
        found.append(f"SHA-256 of the {'decompressed ' if raw.gzipped else ''}contents {digest}")
    raise DataError(
        f"{raw.path}: checksum mismatch: {'; '.join(found)} match no official {dataset} {key} file "
        "(corrupt or not the official file; for your own re-encoded files use --no-checksums, or verify_checksums=False from Python)"
    )
