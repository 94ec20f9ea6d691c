"""netlist.json has one strict reader (lgn2hw/ir/netlist_json.py): every rule of docs/netlist-format.md
is checked where the file enters, numbers are never coerced, and each bad file is one clear line.

Regression tests for issue 15: op 3.9 -> 3, operand true -> 1, "7" -> 7 and output 4.5 -> 4 were
silently coerced; NaN/inf thresholds were written back as non-JSON tokens; a feature index of 1e9
compiled into an 8-Gbit port; deep nesting, huge integers and a metadata that is not an object ended
in tracebacks; pipeline metadata of a source netlist was copied into a combinational build.
"""

from __future__ import annotations

import json

import pytest

from helpers import assert_one_line_error, invoke
from lgn2hw.errors import NetlistError
from lgn2hw.ir.netlist import Netlist
from lgn2hw.ir.netlist_json import MAX_DEPTH, loads


def _doc(**changes):
    doc = {"format": "lgn2hw-netlist", "version": 1, "num_inputs": 3, "num_classes": 2,
           "gates": [[1, 0, 1], [6, 1, 2], [7, 3, 4]], "outputs": [3, 4, 5, 5]}
    doc.update(changes)
    return doc


def _load(tmp_path, doc_or_text) -> Netlist:
    path = tmp_path / "n.json"
    path.write_text(doc_or_text if isinstance(doc_or_text, str) else json.dumps(doc_or_text))
    return Netlist.load(path)


@pytest.mark.parametrize("changes, needle", [
    (dict(gates=[[3.9, 0, 1], [6, 1, 2], [7, 3, 4]]), "integers only"),
    (dict(gates=[[1, True, 1], [6, 1, 2], [7, 3, 4]]), "integers only"),
    (dict(gates=[[1, "0", 1], [6, 1, 2], [7, 3, 4]]), "integers only"),
    (dict(outputs=[3, 4, 5, 4.5]), "integers only"),
    (dict(outputs=[3, 4, 5, False]), "integers only"),
    (dict(num_inputs=True), "num_inputs must be an integer"),
    (dict(num_inputs=3.0), "num_inputs must be an integer"),
    (dict(num_classes="2"), "num_classes must be an integer"),
    (dict(num_classes=0), "num_classes must be in 1.."),
    (dict(version=True), "unsupported netlist version"),
    (dict(gates=[[1, 0, 10**30], [6, 1, 2], [7, 3, 4]]), "beyond 64 bits"),
    (dict(gates=[[1, 0], [6, 1, 2], [7, 3, 4]]), "gate 0 must be [op, a, b]"),
    (dict(gates={"0": [1, 0, 1]}), "gates must be a list"),
    (dict(outputs=[]), "non-empty list"),
    (dict(metadata=[1, 2]), "metadata must be a JSON object"),
    (dict(metadata="x"), "metadata must be a JSON object"),
    (dict(input_encoding={"kind": "threshold", "feature": [0, 1, 2], "threshold": [1, 2, 3], "extra": 1}), "unknown key 'extra'"),
    (dict(input_encoding={"kind": "threshold", "feature": [0, 1, 10**9], "threshold": [1, 2, 3]}), "features are supported"),
    (dict(input_encoding={"kind": "threshold", "feature": [0, 1, True], "threshold": [1, 2, 3]}), "feature[2]"),
    (dict(input_encoding={"kind": "threshold", "feature": [0, 1, 2], "threshold": [1, 2, "3"]}), "not a finite number"),
    (dict(gates=[[16, 0, 1], [6, 1, 2], [7, 3, 4]]), "unknown gate id 16"),
    (dict(gates=[[1, 0, 5], [6, 1, 2], [7, 3, 4]]), "forward reference"),
])
def test_bad_documents_are_one_clear_netlist_error(tmp_path, changes, needle):
    with pytest.raises(NetlistError) as info:
        _load(tmp_path, _doc(**changes))
    assert needle in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_non_json_number_tokens_are_refused(tmp_path, token):
    text = json.dumps(_doc(input_encoding={"kind": "threshold", "feature": [0, 1, 2], "threshold": [1, 2, 0]}))
    with pytest.raises(NetlistError, match="not valid JSON"):
        _load(tmp_path, text.replace('"threshold": [1, 2, 0]', f'"threshold": [1, 2, {token}]'))


def test_deep_nesting_is_one_line_not_a_recursion_error(tmp_path):
    for depth in (MAX_DEPTH + 5, 100_000):
        nested = "[" * depth + "]" * depth
        text = json.dumps(_doc(metadata={"x": 0})).replace('{"x": 0}', '{"x": ' + nested + "}")
        with pytest.raises(NetlistError, match="nested too deeply"):
            _load(tmp_path, text)
    assert loads(json.dumps({"a": [[1]]}))  # shallow documents parse


def test_a_fifo_is_refused_without_reading_it(tmp_path):
    import os

    path = tmp_path / "fifo.json"
    os.mkfifo(path)
    with pytest.raises(NetlistError, match="not a regular file"):
        Netlist.load(path)


def test_unknown_top_level_keys_are_allowed_and_not_written_back(tmp_path):
    netlist = _load(tmp_path, _doc(comment="made by another tool"))
    assert "comment" not in netlist.to_json()


def test_the_writer_never_emits_non_json_numbers(tmp_path):
    netlist = _load(tmp_path, _doc())
    netlist.metadata["bad"] = float("nan")
    with pytest.raises(ValueError):
        netlist.to_json()


def test_compile_of_a_bad_netlist_is_one_line_and_writes_nothing(tmp_path):
    path = tmp_path / "n.json"
    path.write_text(json.dumps(_doc(gates=[[3.9, 0, 1], [6, 1, 2], [7, 3, 4]])))
    assert_one_line_error(invoke("compile", path, "-o", tmp_path / "out"), "integers only")
    assert not (tmp_path / "out").exists()


def test_build_metadata_of_a_source_netlist_is_recomputed_not_copied(tmp_path):
    """A netlist.json from a pipelined raw-input build, compiled again combinationally: the new build must
    not claim the old build's pipeline, latency or raw port (verify failed correct RTL because of it)."""
    doc = _doc(input_encoding={"kind": "threshold", "feature": [0, 1, 2], "threshold": [10, 20, 30]},
               metadata={"pipeline": 3, "latency": 6, "raw_inputs": {"bits": 8, "features": 3, "port": "in_features"},
                         "module_name": "old_top", "note": "kept"})
    source = tmp_path / "n.json"
    source.write_text(json.dumps(doc))
    out = tmp_path / "out"
    result = invoke("compile", source, "-o", out, "--check-vectors", 64)
    assert result.exit_code == 0, result.output
    meta = json.loads((out / "netlist.json").read_text())["metadata"]
    assert "pipeline" not in meta and "latency" not in meta and "raw_inputs" not in meta
    assert meta["module_name"] == "lgn_top" and meta["note"] == "kept"
    verified = invoke("verify", out, "--random", 32)
    assert verified.exit_code == 0, verified.output


def test_an_unknown_data_set_in_metadata_is_said_not_silently_replaced(tmp_path):
    doc = _doc(input_encoding={"kind": "threshold", "feature": [0, 1, 2], "threshold": [10, 20, 30]},
               metadata={"dataset": "imagenet-42"})
    source = tmp_path / "n.json"
    source.write_text(json.dumps(doc))
    result = invoke("compile", source, "-o", tmp_path / "out", "--check-vectors", 64)
    assert result.exit_code == 0, result.output
    assert "random vectors (metadata names data set 'imagenet-42', which lgn2hw does not know" in result.output
