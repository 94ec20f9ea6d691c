"""Merging the shards of a verification: one result, as if one process had simulated every vector."""

from __future__ import annotations

from ...ir.vectors import mean_toggles
from .result import VerifyResult


def merge_shards(docs: list[dict], max_report: int, num_classes: int) -> dict:
    """One result from the shards' results: counts add up, the lowest-index mismatches are kept."""
    merged: dict = {"vectors": 0, "mismatches": 0, "out_valid_errors": [], "sim_seconds": 0.0}
    firsts: list[dict] = []
    per_class = [0] * num_classes
    pairs: dict[tuple, int] = {}
    for k, doc in enumerate(docs):
        vectors, mismatches = int(doc["vectors"]), int(doc["mismatches"])
        errors = doc.get("out_valid_errors") or []
        merged["vectors"] += vectors
        # An out_valid protocol error makes the run fail even when every score matched.
        merged["mismatches"] += mismatches if mismatches or not errors else vectors
        prefix = f"shard {k + 1}: " if len(docs) > 1 else ""
        merged["out_valid_errors"] += [prefix + e for e in errors]
        merged["sim_seconds"] = max(merged["sim_seconds"], float(doc.get("sim_seconds", 0.0)))
        firsts += doc.get("first_mismatches", [])
        for cls, count in enumerate(doc.get("class_score_mismatches") or []):
            if cls < num_classes:
                per_class[cls] += int(count)
        for want, got, count in doc.get("class_id_mismatches") or []:
            pairs[(want, got)] = pairs.get((want, got), 0) + int(count)
        for key in ("cycles", "resets", "killed_in_flight"):
            if key in doc:
                merged[key] = merged.get(key, 0) + int(doc[key])
    merged["first_mismatches"] = sorted(firsts, key=lambda m: m["vector"])[: max(0, max_report)]
    merged["class_score_mismatches"] = per_class
    merged["class_id_mismatches"] = [
        [want, got, count] for (want, got), count in sorted(pairs.items(), key=lambda item: (item[0][0], str(item[0][1])))
    ]
    return merged


def verify_result(job, options, netlist, ref, merged: dict, shard_docs: list[dict], *, verilator=None,
                  build_seconds: float = 0.0, seconds: float = 0.0) -> VerifyResult:
    """The VerifyResult of a run (CosimJob ``job``) from its merged shards, with the run's facts in extra."""
    extra = {
        "num_inputs": netlist.num_inputs,
        "num_classes": netlist.num_classes,
        "num_gates": netlist.num_gates,
        "order": "low-switching" if options.reorder else "as given",
        "latency": job.latency,
        "input_toggles_per_vector": {
            "as_given": round(mean_toggles(ref.bits), 2),
            "driven": round(mean_toggles(ref.bits[job.order]), 2),
        },
    }
    if verilator is not None:
        extra["verilator"] = {"version": verilator.version_text, "origin": verilator.origin}
    for key in ("cycles", "resets", "killed_in_flight"):
        if key in merged:
            extra[key] = merged[key]
    if job.sharded:
        extra["shards"] = [
            {"vectors": doc["vectors"], "mismatches": doc["mismatches"], "sim_seconds": round(float(doc.get("sim_seconds", 0.0)), 3)}
            for doc in shard_docs
        ]
    if merged["out_valid_errors"]:
        extra["out_valid_errors"] = merged["out_valid_errors"]
    return VerifyResult(
        vectors=merged["vectors"],
        mismatches=merged["mismatches"],
        first_mismatches=merged["first_mismatches"],
        simulator=job.simulator,
        seconds=seconds,
        sim_seconds=merged["sim_seconds"],
        build_seconds=build_seconds,
        work_dir=str(job.work_dir),
        log=str(job.log),
        extra=extra,
        jobs=len(job.shards),
        class_score_mismatches=merged["class_score_mismatches"],
        class_id_mismatches=merged["class_id_mismatches"],
        waves=str(options.waves_file) if options.waves_file is not None else "",
    )
