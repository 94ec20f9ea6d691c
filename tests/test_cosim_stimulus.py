"""Stimulus of a verification (lgn2hw.check.cosim.stimulus): binary corner vectors and vector labels."""

from __future__ import annotations

import numpy as np

from lgn2hw.check.cosim.stimulus import StimulusPart, VectorLabels, corner_vectors, describe_corner


def test_corner_vectors_are_zeros_ones_and_every_one_hot():
    corners = corner_vectors(5)
    assert corners.dtype == np.uint8 and corners.shape == (7, 5)
    assert corners[0].sum() == 0 and corners[1].sum() == 5
    assert (corners[2:] == np.eye(5, dtype=np.uint8)).all()
    assert [describe_corner(r) for r in corners[:3]] == ["all zeros", "all ones", "one-hot bit 0"]
    spread = corner_vectors(10_000, limit=100)
    ones = [int(np.flatnonzero(r)[0]) for r in spread[2:]]
    assert spread.shape == (102, 10_000) and (spread[2:].sum(axis=1) == 1).all()
    assert ones[0] == 0 and ones[-1] == 9_999 and len(set(ones)) == 100 and ones == sorted(ones)
    assert (corner_vectors(5) == corners).all()  # deterministic


def test_report_labels_name_each_vector_by_its_stimulus_block():
    corners = corner_vectors(6)
    bits = np.concatenate([np.zeros((3, 6), np.uint8), np.ones((2, 6), np.uint8), corners])
    parts = [StimulusPart("test_set", 3, "3 test vectors"), StimulusPart("random", 2, "2 random vectors"),
             StimulusPart("corners", corners.shape[0], "corners")]
    labels = VectorLabels(parts, bits, binary_corners=True)
    assert [labels(i) for i in (0, 2, 3, 4)] == ["test set #0", "test set #2", "random #0", "random #1"]
    assert labels(5) == "corner: all zeros" and labels(7) == "corner: one-hot bit 0"
    assert labels(5 + corners.shape[0]) == "" and labels(-1) == ""
    raw = VectorLabels(parts, bits, binary_corners=False)  # raw-input corners are threshold corners
    assert raw(6) == "corners #1"
