"""lgn2hw sweep: grid, resume, settings mismatch, table/CSV/plots, selection gap, bad input."""

import csv
import json
import sys

import pytest
import torch

import lgn2hw.frontend.train
from lgn2hw.errors import ConfigError, ToolError
from lgn2hw.frontend.sweep import PLOTS, RunSpec, SweepConfig, run_sweep, write_plots
from lgn2hw.frontend.train import EncodedData

import helpers

SETTINGS = {
    "dataset": "synthetic", "thresholds": 1, "layers": 2, "width": 30, "epochs": 2, "batch_size": 50,
    "lr": 0.05, "tau": 3.0, "device": "cpu",
}


def synthetic_data(n_train=400, n_test=200, seed=0) -> EncodedData:
    """16 input bits, 3 classes: the class is a function of a few bits, so a tiny net can learn it."""
    g = torch.Generator().manual_seed(seed)
    bits = torch.randint(0, 2, (n_train + n_test, 16), generator=g, dtype=torch.uint8)
    y = (bits[:, 0].long() + bits[:, 1].long() * (1 - bits[:, 2].long()) + bits[:, 3].long() * bits[:, 4].long()) % 3
    return EncodedData("synthetic", bits[:n_train], y[:n_train], bits[n_train:], y[n_train:], 3,
                       {"kind": "threshold", "feature": list(range(16)), "threshold": [0] * 16})


def small_config(**overrides) -> SweepConfig:
    grid = {"estimators": ("hard-st", "soft-mix"), "temperatures": (0.3, 1.0), "seeds": (0,), "cage_estimators": ("hard-st",)}
    grid.update(overrides)
    return SweepConfig(dict(SETTINGS), **grid)


@pytest.fixture
def data():
    return synthetic_data()


@pytest.fixture
def count_training(monkeypatch):
    """Counts calls of lgn2hw.frontend.train.train (the sweep trains through it)."""
    calls = []
    real = lgn2hw.frontend.train.train

    def counting(*args, **kw):
        calls.append(args[0].estimator)
        return real(*args, **kw)

    monkeypatch.setattr(lgn2hw.frontend.train, "train", counting)
    return calls


def read_csv(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_sweep_writes_table_csv_and_plots(tmp_path, data):
    result = run_sweep(small_config(), tmp_path / "sw", data=data, progress=False, echo=lambda s: None)
    out = tmp_path / "sw"
    rows = read_csv(out / "results.csv")
    assert [(r["estimator"], r["cage"], r["temperature"]) for r in rows] == [
        ("hard-st", "no", "0.3"), ("hard-st", "no", "1"), ("hard-st", "yes", ""), ("soft-mix", "no", "0.3"), ("soft-mix", "no", "1"),
    ]
    md = (out / "results.md").read_text().splitlines()
    assert len(md) == 2 + 5 and md[0].startswith("| estimator | CAGE | T |")
    assert "| hard-st | yes | CAGE 3.0→0.5 |" in md[4]
    for name in PLOTS:
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    assert sorted(p.name for p in (out / "runs").iterdir()) == sorted(s.run_id for s in small_config().runs())
    for outcome in result.outcomes:
        run_dir = out / "runs" / outcome.spec.run_id
        assert len((run_dir / "metrics.jsonl").read_text().splitlines()) == SETTINGS["epochs"]
        assert not (run_dir / "model.pt").exists()
        assert 0.0 <= outcome.result["hard_test_acc"] <= 1.0
    assert json.loads((out / "sweep.json").read_text())["settings"]["epochs"] == 2
    # No date or software version in the PNGs: the same results draw the same bytes.
    first = {name: (out / name).read_bytes() for name in PLOTS}
    write_plots(out, result.outcomes, result.rows)
    assert {name: (out / name).read_bytes() for name in PLOTS} == first


def test_hard_st_selection_gap_is_exactly_zero(tmp_path, data):
    result = run_sweep(small_config(), tmp_path / "sw", data=data, progress=False, plots=False, echo=lambda s: None)
    hard = [o.result for o in result.outcomes if o.spec.estimator == "hard-st"]
    assert len(hard) == 3  # two temperatures + CAGE
    for r in hard:
        assert r["selection_gap"] == 0.0 and r["discretization_gap"] == 0.0
        assert r["soft_test_acc"] == r["hard_test_acc"]
    # The soft mixture is another function than its argmax network: some gap somewhere.
    soft = [o.result for o in result.outcomes if o.spec.estimator == "soft-mix"]
    assert any(r["discretization_gap"] != 0.0 or r["selection_gap"] != 0.0 for r in soft)


def test_rerun_resumes_without_retraining(tmp_path, data, count_training):
    out = tmp_path / "sw"
    run_sweep(small_config(), out, data=data, progress=False, plots=False, echo=lambda s: None)
    assert len(count_training) == 5
    stamps = {p: p.stat().st_mtime_ns for p in out.glob("runs/*/result.json")}
    table = (out / "results.csv").read_text()
    again = run_sweep(small_config(), out, data=data, progress=False, plots=False, echo=lambda s: None)
    assert len(count_training) == 5 and again.trained == 0
    assert {p: p.stat().st_mtime_ns for p in out.glob("runs/*/result.json")} == stamps
    assert (out / "results.csv").read_text() == table
    assert "0 trained, 5 already done" in again.summary()


def test_unfinished_run_is_retrained_and_grid_can_grow(tmp_path, data, count_training):
    out = tmp_path / "sw"
    run_sweep(small_config(), out, data=data, progress=False, plots=False, echo=lambda s: None)
    (out / "runs" / "soft-mix_T1_s0" / "result.json").unlink()  # as if killed mid-run
    count_training.clear()
    result = run_sweep(small_config(temperatures=(0.3, 1.0, 3.0)), out, data=data, progress=False, plots=False, echo=lambda s: None)
    assert sorted(count_training) == ["hard-st", "soft-mix", "soft-mix"]  # T=3 twice, soft-mix T=1 again
    assert [o.spec.run_id for o in result.outcomes if not o.skipped] == ["hard-st_T3_s0", "soft-mix_T1_s0", "soft-mix_T3_s0"]
    assert len(read_csv(out / "results.csv")) == 7


def test_same_seed_same_results(tmp_path, data):
    a = run_sweep(small_config(), tmp_path / "a", data=data, progress=False, plots=False, echo=lambda s: None)
    b = run_sweep(small_config(), tmp_path / "b", data=data, progress=False, plots=False, echo=lambda s: None)
    assert [o.result["hard_test_acc"] for o in a.outcomes] == [o.result["hard_test_acc"] for o in b.outcomes]

    def without_time(path):  # the last column is wall time
        return [line.rsplit(",", 1)[0] for line in path.read_text().splitlines()]

    assert without_time(tmp_path / "a" / "results.csv") == without_time(tmp_path / "b" / "results.csv")


def test_settings_mismatch_is_refused(tmp_path, data, count_training):
    out = tmp_path / "sw"
    run_sweep(small_config(), out, data=data, progress=False, plots=False, echo=lambda s: None)
    count_training.clear()
    other = small_config()
    other.settings["epochs"] = 3
    with pytest.raises(ConfigError, match=r"other training settings \(epochs: 2 there, 3 now\)"):
        run_sweep(other, out, data=data, progress=False, plots=False, echo=lambda s: None)
    assert count_training == []
    assert json.loads((out / "sweep.json").read_text())["settings"]["epochs"] == 2


def test_foreign_output_directory_is_refused(tmp_path, data):
    out = tmp_path / "sw"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match="holds no sweep.json"):
        run_sweep(small_config(), out, data=data, progress=False, plots=False, echo=lambda s: None)


def test_seeds_give_mean_and_std(tmp_path, data):
    result = run_sweep(small_config(estimators=("soft-mix",), temperatures=(1.0,), seeds=(0, 1), cage_estimators=()),
                       tmp_path / "sw", data=data, progress=False, plots=False, echo=lambda s: None)
    (row,) = result.rows
    accs = [o.result["hard_test_acc"] for o in result.outcomes]
    assert row["seeds"] == "0 1" and row["hard_test_acc_mean"] == pytest.approx(sum(accs) / 2)
    assert row["hard_test_acc_std"] == pytest.approx(abs(accs[0] - accs[1]) / 2 ** 0.5)
    assert " ± " in (tmp_path / "sw" / "results.md").read_text()


def test_missing_matplotlib_fails_before_training(tmp_path, data, count_training, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import raises ImportError
    with pytest.raises(ToolError, match=r"lgn2hw\[plot\]"):
        run_sweep(small_config(), tmp_path / "sw", data=data, progress=False, echo=lambda s: None)
    assert count_training == []
    run_sweep(small_config(), tmp_path / "sw", data=data, progress=False, plots=False, echo=lambda s: None)
    assert (tmp_path / "sw" / "results.csv").exists() and not (tmp_path / "sw" / PLOTS[0]).exists()


@pytest.mark.parametrize("overrides, message", [
    ({"estimators": ()}, "no estimators"),
    ({"estimators": ("hard-st", "magic")}, "unknown estimator 'magic'"),
    ({"cage_estimators": ("soft-mix",)}, "CAGE applies to straight-through"),
    ({"temperatures": (1.0, 0.0)}, "temperatures must be finite and > 0"),
    ({"temperatures": (-1.0,)}, "temperatures must be finite and > 0"),
    ({"temperatures": (float("nan"),)}, "temperatures must be finite and > 0"),
    ({"temperatures": ()}, "no temperatures"),
    ({"seeds": ()}, "no seeds"),
    ({"temperatures": (1.0, 1.0)}, "temperature listed twice"),
])
def test_bad_grid_is_a_config_error(tmp_path, data, overrides, message):
    with pytest.raises(ConfigError, match=message):
        run_sweep(small_config(**overrides), tmp_path / "sw", data=data, progress=False, plots=False)
    assert not (tmp_path / "sw").exists()


def test_run_ids_are_distinct():
    specs = SweepConfig(dict(SETTINGS), temperatures=(0.1, 0.3, 1.0, 3.0), seeds=(0, 1)).runs()
    assert len({s.run_id for s in specs}) == len(specs) == (4 * 4 + 2) * 2
    assert RunSpec("gumbel-st", True, None, 1).run_id == "gumbel-st-cage_s1"


# --- command line --------------------------------------------------------------------------------------

def invoke(*args):
    return helpers.invoke("sweep", *args)


@pytest.mark.parametrize("args, needle", [
    (["--estimators", ""], "no estimators"),
    (["--estimators", "hard-st,nope"], "unknown estimator 'nope'"),
    (["--temperatures", "0.1,0"], "temperatures must be finite and > 0"),
    (["--temperatures", "-3"], "temperatures must be finite and > 0"),
    (["--temperatures", "hot"], "comma-separated list of float"),
    (["--seeds", "1.5"], "comma-separated list of int"),
    (["--cage-variants", "soft-gumbel"], "CAGE applies to straight-through"),
])
def test_cli_bad_input_is_one_error_line(tmp_path, args, needle):
    result = invoke("--preset", "tiny", *args, "-o", tmp_path / "sw")
    assert result.exit_code != 0, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert len(errors) == 1 and needle in result.output, result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "sw").exists()


def test_cli_tiny_sweep_resumes_and_refuses_other_settings(tmp_path):
    args = ["--preset", "tiny", "--limit-train", 300, "--limit-test", 200, "--estimators", "hard-st,gumbel-st",
            "--temperatures", "0.5,2", "--cage-variants", "none", "--no-plots", "--no-progress", "-o", tmp_path / "sw"]
    first = invoke(*args)
    assert first.exit_code == 0, first.output
    assert "hard-st_T0.5_s0: hard acc" in first.output
    assert "sweep: 4 runs (4 trained, 0 already done), 4 table rows" in first.output
    rows = read_csv(tmp_path / "sw" / "results.csv")
    assert [(r["estimator"], r["temperature"]) for r in rows] == [("hard-st", "0.5"), ("hard-st", "2"), ("gumbel-st", "0.5"), ("gumbel-st", "2")]
    assert all(float(r["selection_gap_mean"]) == 0.0 for r in rows if r["estimator"] == "hard-st")
    again = invoke(*args)
    assert again.exit_code == 0 and "sweep: 4 runs (0 trained, 4 already done)" in again.output, again.output
    other = invoke(*args[:-2], "--thresholds", 2, "-o", tmp_path / "sw")
    assert other.exit_code != 0 and "thresholds: 1 there, 2 now" in other.output, other.output
