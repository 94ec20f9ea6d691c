"""Fixtures shared by the test modules (helpers.py holds the plain helper functions)."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def netlist_doc():
    """A tiny valid netlist.json document: 3 inputs, 3 gates, 2 classes x 2 outputs."""
    return {"format": "lgn2hw-netlist", "version": 1, "num_inputs": 3, "num_classes": 2,
            "gates": [[1, 0, 1], [6, 1, 2], [7, 3, 4]], "outputs": [3, 4, 5, 5]}


@pytest.fixture
def netlist_doc_path(tmp_path, netlist_doc):
    path = tmp_path / "net.json"
    path.write_text(json.dumps(netlist_doc))
    return path


@pytest.fixture
def no_training(monkeypatch):
    """Fails the test if training starts: every check must come first."""
    import lgn2hw.frontend.settings

    def forbidden(*args, **kw):
        raise AssertionError("training started")

    monkeypatch.setattr(lgn2hw.frontend.settings, "train", forbidden)

