"""What an exploration reports: the Pareto front of accuracy against LUT6, tables, a plot, presets."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from ...fsutil import atomic_file
from ...frontend.presets import preset_document

CSV_COLUMNS = ("point", "widths", "thresholds", "connections", "pool", "hard_test_acc", "selection_gap",
               "train_seconds", "gates_raw", "gates", "lut6_estimate", "encoder_est", "core_est", "popcount_est",
               "argmax_est", "lut6_yosys", "encoder_yosys", "core_yosys", "merged_yosys", "popcount_yosys", "argmax_yosys",
               "estimate_error", "on_front")


def lut6(result: dict) -> int:
    """The LUT6 count a point is ranked by: Yosys's when it ran, else the estimate."""
    return result["yosys"]["luts"] if result.get("yosys") else result["estimate"]["total"]


def pareto_front(results: list[dict], key=lut6) -> list[dict]:
    """The points no other point beats: none has at most as many LUT6 and at least the accuracy with
    one of the two strictly better. Sorted by LUT6."""
    ordered = sorted(results, key=lambda r: (key(r), -r["hard_test_acc"], r["point"]))
    front, best = [], -1.0
    for r in ordered:
        if r["hard_test_acc"] > best:
            front.append(r)
            best = r["hard_test_acc"]
    return front


def estimate_error(result: dict) -> float | None:
    """(estimate - Yosys) / Yosys of the whole design, or None without a Yosys count."""
    if not result.get("yosys"):
        return None
    return (result["estimate"]["total"] - result["yosys"]["luts"]) / result["yosys"]["luts"]


def _row(r: dict, on_front: bool) -> list:
    s, e, y = r["settings"], r["estimate"], r.get("yosys") or {}
    err = estimate_error(r)
    return [r["point"], ",".join(str(w) for w in s["widths"]), s["thresholds"], s["connections"], s.get("pool", ""),
            f"{r['hard_test_acc']:.6f}", f"{r['selection_gap']:.6f}", f"{r['train_seconds']:.1f}", r["gates_raw"],
            r["gates"], e["total"], e["encoder"], e["core"], e["popcount"], e["argmax"], y.get("luts", ""),
            y.get("encoder", ""), y.get("core", ""), y.get("merged", ""), y.get("popcount", ""), y.get("argmax", ""),
            "" if err is None else f"{err:+.4f}", "yes" if on_front else "no"]


def to_csv(results: list[dict], front: list[dict]) -> str:
    ids = {r["point"] for r in front}
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in sorted(results, key=lambda r: (lut6(r), r["point"])):
        writer.writerow(_row(r, r["point"] in ids))
    return buf.getvalue()


def to_markdown(results: list[dict], front: list[dict], yosys_version: str | None) -> str:
    ids = {r["point"] for r in front}
    lines = ["| front | point | hard acc % | LUT6 (Yosys) | encoder | core | merged | popcount | argmax | LUT6 "
             "estimate (error) | gates (-O2) | train s |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in sorted(results, key=lambda r: (lut6(r), r["point"])):
        y, e, err = r.get("yosys"), r["estimate"], estimate_error(r)
        # merged is Yosys's only (the estimate merges nothing), and absent from counts made before it
        blocks = [(y or e).get(b, "-") for b in ("encoder", "core", "merged", "popcount", "argmax")]
        mark = "**yes**" if r["point"] in ids else ""
        lines.append(f"| {mark} | {r['point']} | {100 * r['hard_test_acc']:.2f} | {format(y['luts'], ',') if y else '-'} | "
                     + " | ".join(f"{b:,}" if isinstance(b, int) else b for b in blocks)
                     + f" | {e['total']:,}" + (f" ({100 * err:+.1f} %)" if err is not None else "")
                     + f" | {r['gates_raw']:,} -> {r['gates']:,} | {r['train_seconds']:.0f} |")
    measured = [estimate_error(r) for r in results if estimate_error(r) is not None]
    notes = ["", "LUT6: the whole design from uint8 pixels (encoder + gate core + popcount + argmax), "
             f"{yosys_version or 'Yosys (not run)'} `synth -lut 6` (post-synthesis) where run; block columns are Yosys's "
             "counts (encoder and core alone, merged = what encoder and core save together, popcount and argmax "
             "the cost of adding them; they add up to the LUT6), or the estimate's (lgn2hw.backend.synth.estimate) for points not synthesized. The "
             "front is computed on the Yosys counts where every screened point has one."]
    earlier = [r["point"] for r in results if r.get("yosys") and "merged" not in r["yosys"]]
    if earlier:  # synthesized by an lgn2hw before the front run (2026-12-06), not recounted since
        notes.append(f"Merged '-' on a synthesized point ({', '.join(earlier)}): counted before lgn2hw "
                     "synthesized encoder and core together, so its popcount includes the merge (popcount = "
                     "scores - core - encoder); explore recounts such a point when --synth selects it.")
    if measured:
        mean_abs = sum(abs(m) for m in measured) / len(measured)
        notes.append(f"Estimate vs Yosys over {len(measured)} synthesized points: mean absolute error "
                     f"{100 * mean_abs:.1f} %, from {100 * min(measured):+.1f} % to {100 * max(measured):+.1f} %.")
    return "\n".join(lines) + "\n" + "\n".join(notes) + "\n"


def write_tables(outdir: Path, results: list[dict], front: list[dict], yosys_version: str | None) -> list[Path]:
    paths = [outdir / "results.csv", outdir / "results.md"]
    for path, text in zip(paths, (to_csv(results, front), to_markdown(results, front, yosys_version))):
        with atomic_file(path) as handle:
            handle.write(text)
    return paths


def write_presets(outdir: Path, front: list[dict]) -> list[Path]:
    """One preset file per front point: ``lgn2hw train --preset OUTDIR/presets/POINT.json`` retrains it."""
    paths = []
    for r in front:
        count = f"{r['yosys']['luts']:,} LUT6 (Yosys)" if r.get("yosys") else f"about {r['estimate']['total']:,} LUT6 (estimate)"
        doc = preset_document(f"explore-{r['point']}",
                              f"Pareto point of lgn2hw explore: {100 * r['hard_test_acc']:.2f} % hard test accuracy in "
                              f"{count} from uint8 pixels", r["settings"])
        path = outdir / "presets" / f"{r['point']}.json"
        with atomic_file(path) as handle:
            json.dump(doc, handle, indent=2, sort_keys=True)
            handle.write("\n")
        paths.append(path)
    return paths


def write_plot(outdir: Path, results: list[dict], front: list[dict]) -> Path:
    """pareto.png: hard test accuracy against LUT6, every point, the front joined (deterministic bytes)."""
    from ...frontend.sweep.plots import PNG_METADATA, pyplot

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    for connections, color in (("random", "tab:blue"), ("learned", "tab:green")):
        pts = [r for r in results if r["settings"]["connections"] == connections]
        if pts:
            ax.scatter([lut6(r) for r in pts], [100 * r["hard_test_acc"] for r in pts], color=color, label=connections, zorder=3)
    ax.plot([lut6(r) for r in front], [100 * r["hard_test_acc"] for r in front], color="black", lw=1, ls="--",
            drawstyle="steps-post", label="Pareto front", zorder=2)
    for r in front:
        ax.annotate(r["point"], (lut6(r), 100 * r["hard_test_acc"]), fontsize=7, xytext=(4, -10), textcoords="offset points")
    ax.set_xscale("log")
    ax.margins(x=0.25)  # room for the labels of the rightmost points
    ax.set_xlabel("LUT6, whole design from uint8 pixels (Yosys where run, else estimate)")
    ax.set_ylabel("hard test accuracy (%)")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    path = outdir / "pareto.png"
    with atomic_file(path, "wb") as handle:
        fig.savefig(handle, format="png", dpi=110, metadata=PNG_METADATA)
    plt.close(fig)
    return path
