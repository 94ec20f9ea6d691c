"""Running an exploration: train, compile and estimate every point of the grid that has no result yet,
then synthesize the screened points with Yosys, and report the front."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ...backend.synth import synthesize
from ...backend.synth.estimate import estimate_luts
from ...backend.verilog import RAW_BITS
from ...fsutil import atomic_file, claim_resumable_dir
from ...toolchain.yosys import find_yosys
from ..compile import compile_source
from .grid import EXPLORE_FILE, NUM_CLASSES, ExploreConfig, Point
from .report import pareto_front, write_plot, write_presets, write_tables

RESULT_FILE = "result.json"
CHECKPOINT_FILE = "model.pt"
RTL_DIR = "rtl"


@dataclass
class ExploreResult:
    outdir: Path
    results: list[dict]
    front: list[dict]
    trained: int
    synthesized: int
    files: list[Path] = field(default_factory=list)

    def summary(self) -> str:
        best = " | ".join(f"{r['point']} {100 * r['hard_test_acc']:.2f} % in {r['yosys']['luts'] if r.get('yosys') else r['estimate']['total']:,} LUT6"
                          for r in self.front)
        return (f"explore: {len(self.results)} points ({self.trained} trained, {self.synthesized} synthesized now), "
                f"front: {best} -> {self.outdir}")


def run_explore(config: ExploreConfig, outdir: str | os.PathLike, progress: bool = True, plots: bool = True,
                echo: Callable[[str], None] = print, data_for: Callable[[dict], object] | None = None) -> ExploreResult:
    """Train, compile (``--raw-inputs``: the encoder is part of every design) and estimate each point
    without a finished result, then synthesize with Yosys (``config.synth``: the points on the estimated
    front, all, or none) and write results.csv/.md, pareto.png and a preset file per front point.

    Resumable: a point's result.json is written atomically when its training and compile are done, and
    again when Yosys has counted it; an interrupted exploration continues where it stopped. An OUTDIR
    made with other shared settings is refused. ``data_for(settings)`` supplies the encoded data set
    (tests use a synthetic one); by default it is loaded once per threshold count.
    """
    config.validate()
    if plots:
        from ...frontend.sweep.plots import pyplot

        pyplot()  # fail before hours of training, not after
    if config.synth != "none":
        find_yosys("explore --synth")  # likewise
    outdir = Path(outdir)
    claim_resumable_dir(outdir, EXPLORE_FILE, config.to_json())
    shared = config.shared_settings()
    cache: dict[int, object] = {}

    def data(settings: dict):
        if data_for is not None:
            return data_for(settings)
        if settings["thresholds"] not in cache:
            from ...frontend.settings import encode_from

            cache[settings["thresholds"]] = encode_from(settings)
        return cache[settings["thresholds"]]

    results, trained = [], 0
    points = config.points()
    for i, point in enumerate(points, 1):
        settings = point.settings(shared, NUM_CLASSES, config.tau)
        point_dir = outdir / "points" / point.point_id
        result = _finished(point_dir, settings)
        if result is None:
            echo(f"[{i}/{len(points)}] {point.point_id}: training")
            result = _train_and_compile(point, settings, point_dir, data(settings), progress)
            trained += 1
            echo(f"[{i}/{len(points)}] {point.point_id}: hard acc {100 * result['hard_test_acc']:.2f} %, "
                 f"{result['gates_raw']:,} -> {result['gates']:,} gates, about {result['estimate']['total']:,} LUT6 "
                 f"({result['train_seconds']:.0f} s training)")
        results.append(result)
        write_tables(outdir, results, pareto_front(results), None)  # a partial table to watch a long run

    to_synth = {"all": results, "front": pareto_front(results, key=lambda r: r["estimate"]["total"]),
                "none": []}[config.synth]
    synthesized, version = 0, None
    for r in to_synth:
        # a count without "merged" is from before the front run (2026-12-06): its popcount holds the merge
        if r.get("yosys") and "merged" in r["yosys"]:
            version = r["yosys"]["version"]
            continue
        echo(f"yosys synth -lut 6: {r['point']}")
        report = synthesize(outdir / "points" / r["point"] / RTL_DIR, flows=("generic",), timeout_s=config.synth_timeout_s,
                            pnr=False)
        row = report.table()[0]
        blocks = row["blocks"]
        r["yosys"] = {"version": report.yosys_version, "luts": row["luts"],
                      **{b: blocks.get(b, {}).get("luts", 0) for b in ("encoder", "core", "popcount", "argmax")},
                      **({"merged": blocks["merged"]["luts"]} if "merged" in blocks else {})}
        version = report.yosys_version
        _write_result(outdir / "points" / r["point"], r)
        synthesized += 1
    measured = [r for r in results if r.get("yosys")]
    front = pareto_front(measured if config.synth != "none" and measured else results)
    files = write_tables(outdir, results, front, version)
    files += write_presets(outdir, front)
    if plots:
        files.append(write_plot(outdir, results, front))
    return ExploreResult(outdir, results, front, trained, synthesized, files)


def _finished(point_dir: Path, settings: dict) -> dict | None:
    path = point_dir / RESULT_FILE
    if not path.exists():
        return None
    try:
        result = json.loads(path.read_text())
    except (OSError, ValueError):
        return None  # written atomically: damage from outside, so train again
    return result if isinstance(result, dict) and result.get("settings") == settings else None


def _train_and_compile(point: Point, settings: dict, point_dir: Path, data, progress: bool) -> dict:
    from ...frontend.settings import train_and_save

    point_dir.mkdir(parents=True, exist_ok=True)
    (point_dir / RESULT_FILE).unlink(missing_ok=True)  # stale (other settings): never mix with the new run
    trained, _ = train_and_save(settings, point_dir / CHECKPOINT_FILE, progress=progress, data=data)
    last = trained.history[-1]
    compiled = compile_source(point_dir / CHECKPOINT_FILE, point_dir / RTL_DIR, raw_inputs=True,
                              data_dir=settings.get("data_dir"))
    estimate = estimate_luts(compiled.netlist, RAW_BITS)
    result = {
        "point": point.point_id,
        "settings": settings,
        "hard_test_acc": last["hard_test_acc"],
        "soft_test_acc": last["soft_test_acc"],
        "selection_gap": last["selection_gap"],
        "train_seconds": round(trained.seconds, 3),
        "gates_raw": compiled.raw.num_gates,
        "gates": compiled.netlist.num_gates,
        "estimate": estimate.to_json(),
        "yosys": None,
    }
    _write_result(point_dir, result)
    return result


def _write_result(point_dir: Path, result: dict) -> None:
    with atomic_file(point_dir / RESULT_FILE) as handle:
        json.dump(result, handle, indent=2, sort_keys=True)
        handle.write("\n")
