"""A built C library (``lib<prefix>_model.so``) loaded with ctypes: numpy arrays in, scores and class ids out.

The library is the generated C of lgn2hw.backend.c, compiled as a shared object (lgn2hw.flows.predict
does that). Loading checks that the library was built from the expected netlist (its
``<prefix>_netlist_sha256``), so a stale file is never mistaken for the network in hand.
"""

from __future__ import annotations

import ctypes
import os
import threading

import numpy as np

from ...errors import DataError, Lgn2hwError
from .lower import PREFIX

_VOID = ctypes.c_void_p


class CLibrary:
    """The entry points of one loaded library (those its variant has; None for the others). The batch
    calls reuse one workspace per calling thread (no allocation per call)."""

    def __init__(self, path: str | os.PathLike, sha256: str, num_inputs: int, num_classes: int,
                 num_features: int | None, prefix: str = PREFIX):
        try:
            self._lib = ctypes.CDLL(str(path))
        except OSError as exc:
            raise Lgn2hwError(f"{path}: cannot load the C library ({exc})") from None
        built_from = ctypes.c_char.in_dll(self._lib, f"{prefix}_netlist_sha256")
        found = ctypes.string_at(ctypes.addressof(built_from), 64).decode("ascii", "replace")
        if found != sha256:
            raise Lgn2hwError(f"{path}: built from netlist {found[:12]}..., not {sha256[:12]}...")
        self.path = str(path)
        self.num_inputs, self.num_classes, self.num_features = num_inputs, num_classes, num_features
        self.input_bytes = -(-num_inputs // 8)
        self._batch = {name: self._function(f"{prefix}_predict_{name}_ws", None, [_VOID, _VOID, ctypes.c_size_t, _VOID, _VOID])
                       for name in ("raw", "bits")}
        size = self._function(f"{prefix}_workspace_bytes", ctypes.c_size_t, [])
        self._workspace_bytes = int(size()) if size is not None else 0
        self._local = threading.local()  # one workspace per calling thread, kept between calls
        self._single = {name: self._function(f"{prefix}_classify_{name}", ctypes.c_int, [_VOID, _VOID])
                        for name in ("raw", "bits")}

    def _function(self, name: str, restype, argtypes):
        fn = getattr(self._lib, name, None)
        if fn is not None:
            fn.restype, fn.argtypes = restype, argtypes
        return fn

    @property
    def has_batch(self) -> bool:
        return self._batch["bits"] is not None

    @property
    def has_single(self) -> bool:
        return self._single["bits"] is not None

    # ------------------------------------------------------------------ inputs
    def _raw(self, features: np.ndarray) -> np.ndarray:
        if self.num_features is None:
            raise DataError("this netlist has no input_encoding: raw features cannot be classified, give input bits")
        x = np.asarray(features)
        if x.ndim > 2:
            x = x.reshape(x.shape[0], -1)
        if x.ndim != 2 or x.dtype != np.uint8 or x.shape[1] != self.num_features:
            raise DataError(f"raw features must be uint8 (samples, {self.num_features}), got {x.dtype} {x.shape}")
        return np.ascontiguousarray(x)

    def pack(self, bits: np.ndarray) -> np.ndarray:
        """(samples, num_inputs) 0/1 -> (samples, input bytes): bit i is bit i % 8 of byte i // 8."""
        bits = np.asarray(bits)
        if bits.ndim != 2 or bits.shape[1] != self.num_inputs:
            raise DataError(f"input bits must be (samples, {self.num_inputs}), got {bits.shape}")
        return np.ascontiguousarray(np.packbits(bits != 0, axis=1, bitorder="little"))

    # ------------------------------------------------------------------- batch
    def predict_raw(self, features: np.ndarray, scores: bool = True) -> tuple[np.ndarray | None, np.ndarray]:
        """(scores (n, C) int32 or None, class ids (n,) int32) of raw uint8 samples, batch variant."""
        return self._predict("raw", self._raw(features), scores)

    def predict_bits(self, bits: np.ndarray, scores: bool = True) -> tuple[np.ndarray | None, np.ndarray]:
        """The same from (samples, num_inputs) 0/1 input bits (packed here, then the packed-bit entry point)."""
        return self._predict("bits", self.pack(bits), scores)

    def _predict(self, name: str, inputs: np.ndarray, want_scores: bool):
        fn = self._batch[name]
        if fn is None:
            raise Lgn2hwError(f"{self.path} has no batch variant")
        n = inputs.shape[0]
        scores = np.empty((n, self.num_classes), dtype=np.int32) if want_scores else None
        classes = np.empty(n, dtype=np.int32)
        workspace = getattr(self._local, "workspace", None)
        if workspace is None:
            workspace = self._local.workspace = np.empty(self._workspace_bytes, dtype=np.uint8)
        fn(workspace.ctypes.data, inputs.ctypes.data, n, scores.ctypes.data if scores is not None else None,
           classes.ctypes.data)
        return scores, classes

    # ------------------------------------------------------------------ single
    def classify_raw(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Scores and class ids with the single-sample variant, one call per sample."""
        return self._classify("raw", self._raw(features))

    def classify_bits(self, bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self._classify("bits", self.pack(bits))

    def _classify(self, name: str, inputs: np.ndarray):
        fn = self._single[name]
        if fn is None:
            raise Lgn2hwError(f"{self.path} has no single-sample variant")
        scores = np.empty((inputs.shape[0], self.num_classes), dtype=np.int32)
        classes = np.empty(inputs.shape[0], dtype=np.int32)
        for i in range(inputs.shape[0]):
            classes[i] = fn(inputs[i].ctypes.data, scores[i].ctypes.data)
        return scores, classes
