"""Fetch official data files on machines that have a network (ours do not; nothing calls this implicitly).

``fetch`` streams one URL into a file atomically and checks its MD5; ``download(name, dest_dir)`` gets
all files of a data set into ``dest_dir`` so that ``load_dataset(name, dest_dir)`` finds them. Without a
network every call fails with one DataError line saying where to put the files by hand.
"""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from pathlib import Path

from ...errors import DataError
from ...fsutil import atomic_file
from .checksums import KNOWN_FILES

MNIST_MIRROR = "https://ossci-datasets.s3.amazonaws.com/mnist/"
FASHION_MNIST_MIRROR = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
IDX_FILE_KEYS = ("train-images", "train-labels", "t10k-images", "t10k-labels")
_IDX_SUFFIX = {"train-images": "-idx3-ubyte.gz", "t10k-images": "-idx3-ubyte.gz",
               "train-labels": "-idx1-ubyte.gz", "t10k-labels": "-idx1-ubyte.gz"}


def fetch(url: str, dest: str | os.PathLike, md5: str | None = None, timeout: float = 60.0) -> Path:
    """Download ``url`` to ``dest`` (atomically); DataError if it fails or the MD5 differs."""
    dest = Path(dest)
    digest = hashlib.md5(usedforsecurity=False)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, atomic_file(dest, "wb") as handle:
            while chunk := response.read(1 << 20):
                digest.update(chunk)
                handle.write(chunk)
            if md5 is not None and digest.hexdigest() != md5:
                raise DataError(f"{url}: downloaded file has MD5 {digest.hexdigest()}, expected {md5}; not saved")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise DataError(
            f"cannot download {url} ({reason}); without a network, copy the file to {dest} by hand"
        ) from None
    return dest


def download(name: str, dest_dir: str | os.PathLike, base_url: str | None = None) -> Path:
    """Download data set ``name`` (mnist, fashion-mnist, cifar10) into ``dest_dir``; returns ``dest_dir``.

    ``base_url`` replaces the official mirror (for a local mirror, e.g. ``file:///srv/mirror/``).
    """
    dest_dir = Path(dest_dir)
    if name in ("mnist", "fashion-mnist"):
        base = base_url or (MNIST_MIRROR if name == "mnist" else FASHION_MNIST_MIRROR)
        for key in IDX_FILE_KEYS:
            filename = key + _IDX_SUFFIX[key]
            (md5,) = KNOWN_FILES[(name, key)].gz_md5
            fetch(base.rstrip("/") + "/" + filename, dest_dir / filename, md5)
        return dest_dir
    if name == "cifar10":
        from .cifar10 import download as cifar_download

        return cifar_download(dest_dir, base_url=base_url)
    raise DataError(f"no download for data set {name!r}; downloadable: mnist, fashion-mnist, cifar10")
