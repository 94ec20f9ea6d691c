"""The RTL corpus (benchmarks/rtl_corpus.py) is byte-identical to its recorded digests.

A refactor of the back end must not change a byte of the Verilog it writes; a deliberate change
re-records the digests (``python benchmarks/rtl_corpus.py --write tests/golden/rtl_corpus.json``) in a
commit that says why. The trained demo model's entries are checked by the script with --checkpoint.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import rtl_corpus  # noqa: E402

GOLDEN = ROOT / "tests" / "golden" / "rtl_corpus.json"


def test_corpus_is_byte_identical_to_the_recorded_digests():
    recorded = {k: v for k, v in json.loads(GOLDEN.read_text()).items() if not k.startswith("checkpoint/")}
    current = rtl_corpus.digests(rtl_corpus.corpus())
    assert len(current) == 45
    assert rtl_corpus.compare(recorded, current) == []


def test_compare_names_every_difference():
    assert rtl_corpus.compare({"a": "1", "b": "2"}, {"a": "1", "b": "3", "c": "4"}) == ["differs: b", "new (not recorded): c"]
    assert rtl_corpus.compare({"a": "1"}, {}) == ["missing: a"]
