"""lgn2hw explore: a real grid through the CLI (train, compile from pixels, estimate, Yosys on the front),
its front and presets, resuming, and bad input."""

from __future__ import annotations

import csv
import json
import shutil

import pytest

from helpers import assert_one_line_error, invoke
from lgn2hw.flows.explore import ExploreConfig, Point, pareto_front
from lgn2hw.frontend.checkpoint import Checkpoint

SMALL = ("--limit-train", 2000, "--limit-test", 400, "--epochs", 1, "--no-progress", "--no-plots")
GRID = ("--widths-grid", "100,100,20;300,300,60", "--connections-grid", "random,learned", "--pools", 4)


def _result(point: str, acc: float, luts: int) -> dict:
    return {"point": point, "hard_test_acc": acc, "estimate": {"total": luts}, "yosys": None}


def test_pareto_front_keeps_the_points_nothing_beats():
    results = [_result("a", 0.70, 100), _result("b", 0.65, 150), _result("c", 0.80, 300), _result("d", 0.80, 200),
               _result("e", 0.75, 200)]
    assert [r["point"] for r in pareto_front(results)] == ["a", "d"]


def test_points_get_a_tau_that_grows_with_the_square_root_of_outputs_per_class():
    point = Point((400, 400, 1000), 3, "learned", 16)
    assert point.settings({}, 10)["tau"] == 8.0  # the demo: 100 outputs per class, tau 8
    assert point.settings({}, 10, tau=20.0)["tau"] == 20.0
    assert Point((8000,), 3, "random", None).settings({}, 10)["tau"] == round(0.8 * 800 ** 0.5, 2)
    config = ExploreConfig({"dataset": "fashion-mnist", "tau": 20.0}, widths=((100, 20),), connections=("random", "learned"),
                           pools=(4, 8))
    assert [p.point_id for p in config.points()] == ["w100-20_t3_random", "w100-20_t3_learned4", "w100-20_t3_learned8"]


@pytest.mark.skipif(shutil.which("yosys") is None, reason="yosys not installed")
def test_explore_reports_the_front_resumes_and_its_presets_retrain(tmp_path):
    out = tmp_path / "ex"
    result = invoke("explore", *GRID, *SMALL, "-o", out)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader((out / "results.csv").open()))
    assert sorted(r["point"] for r in rows) == sorted(["w100-100-20_t3_random", "w100-100-20_t3_learned4",
                                                        "w300-300-60_t3_random", "w300-300-60_t3_learned4"])
    front = [r for r in rows if r["on_front"] == "yes"]
    assert front and all(r["lut6_yosys"] for r in front)  # --synth front: Yosys counted every front point
    # the front is what pareto_front says of the counted points, and every point has its own build
    counted = [json.loads((out / "points" / r["point"] / "result.json").read_text()) for r in rows if r["lut6_yosys"]]
    assert sorted(r["point"] for r in pareto_front(counted)) == sorted(r["point"] for r in front)
    for r in rows:
        point = json.loads((out / "points" / r["point"] / "result.json").read_text())
        assert point["selection_gap"] == 0.0
        assert int(r["lut6_estimate"]) == point["estimate"]["total"] > 0
        netlist = json.loads((out / "points" / r["point"] / "rtl" / "netlist.json").read_text())
        assert netlist["metadata"]["raw_inputs"] and len(netlist["gates"]) == int(r["gates"])
        if r["lut6_yosys"]:
            synth = json.loads((out / "points" / r["point"] / "rtl" / "synth.json").read_text())
            assert synth["table"][0]["luts"] == int(r["lut6_yosys"]) and synth["table"][0]["encoder_luts"] is not None
            parts = ("encoder_yosys", "core_yosys", "merged_yosys", "popcount_yosys", "argmax_yosys")
            assert sum(int(r[part]) for part in parts) == int(r["lut6_yosys"])  # the blocks add up
    assert "mean absolute error" in (out / "results.md").read_text()

    # a preset file per front point retrains the same network: same settings, same seed, same accuracy
    best = max(front, key=lambda r: float(r["hard_test_acc"]))
    preset = out / "presets" / f"{best['point']}.json"
    retrained = tmp_path / "again.pt"
    assert invoke("train", "--preset", preset, "--no-progress", "-o", retrained).exit_code == 0
    original = Checkpoint.load(out / "points" / best["point"] / "model.pt")
    again = Checkpoint.load(retrained)
    assert again.metrics[-1]["hard_test_acc"] == pytest.approx(float(best["hard_test_acc"]), abs=1e-9)
    assert again.model.config == original.model.config

    # the same command trains nothing; a bigger grid trains only the new point; other settings are refused
    result = invoke("explore", *GRID, *SMALL, "-o", out)
    assert result.exit_code == 0 and "(0 trained" in result.output, result.output
    result = invoke("explore", "--widths-grid", "100,100,20;300,300,60;200,200,40", "--connections-grid", "random,learned",
                    "--pools", 4, *SMALL, "--synth", "none", "-o", out)
    assert result.exit_code == 0 and "(2 trained" in result.output, result.output
    assert_one_line_error(invoke("explore", *GRID, *SMALL[:-4], "--epochs", 2, "--no-progress", "--no-plots", "-o", out),
                          "other training settings", "epochs")


def test_bad_grids_are_one_line_before_anything_is_written(tmp_path):
    out = tmp_path / "ex"
    cases = [
        (("--widths-grid", "100,100,25"), "do not divide by the 10 classes"),
        (("--widths-grid", "100,8,20", "--pools", 16), "larger than a layer of 8 gates"),
        (("--widths-grid", "100,20", "--widths", "100,20"), "--widths is set per point"),
        (("--widths-grid", "100,20", "--thresholds", 3), "--thresholds is set per point"),
        (("--widths-grid", "100,x"), "expected widths like"),
        (("--widths-grid", "100,20;100,20"), "listed twice"),
        (("--widths-grid", "100,20", "--connections-grid", "magic"), "unknown connections"),
        (("--widths-grid", "100,20", "--arch", "conv"), "dense networks"),
    ]
    for args, needle in cases:
        assert_one_line_error(invoke("explore", *args, *SMALL, "-o", out), needle)
        assert not out.exists(), args
    (tmp_path / "file").write_text("mine")
    assert_one_line_error(invoke("explore", "--widths-grid", "100,20", *SMALL, "-o", tmp_path / "file"), "is a file")
    assert (tmp_path / "file").read_text() == "mine"
