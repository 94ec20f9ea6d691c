"""The markdown report of a failed verification (verify_mismatches.md)."""

from __future__ import annotations

from .result import VerifyResult


def mismatch_report(result: VerifyResult, *, rtl: str = "", stimulus: str = "", labels=None, waveform: str = "") -> str:
    """A markdown report of a failed verification: the per-class tallies, class_id confusions, the
    first failing vectors with expected and actual scores per class, and out_valid errors.

    ``labels``, when given, maps a vector index to where it came from ("test set #12", "corner: all
    ones"); ``waveform`` is a line about the waveform file."""
    lines = [
        "# RTL vs. Python reference: mismatch report",
        "",
        f"- RTL: {rtl or '?'}",
        f"- simulator: {result.simulator}" + (f" ({result.jobs} parallel jobs)" if result.jobs > 1 else ""),
        f"- vectors: {result.vectors}" + (f" ({stimulus})" if stimulus else ""),
        f"- mismatching vectors: {result.mismatches}",
    ]
    if waveform:
        lines.append(f"- waveform: {waveform}")
    if result.class_score_mismatches:
        lines += ["", "## Vectors with a wrong score, per class", "", "| class | vectors |", "|---:|---:|"]
        lines += [f"| {cls} | {count} |" for cls, count in enumerate(result.class_score_mismatches)]
    if result.class_id_mismatches:
        lines += ["", "## Wrong class_id: expected -> actual", "", "| expected | actual | vectors |", "|---:|---:|---:|"]
        lines += [f"| {want} | {got} | {count} |" for want, got, count in result.class_id_mismatches]
    valid_errors = result.extra.get("out_valid_errors") or []
    if valid_errors:
        lines += ["", "## out_valid errors (every vector counts as mismatching)", ""]
        lines += [f"- {e}" for e in valid_errors]
    if result.first_mismatches:
        lines += ["", f"## First {len(result.first_mismatches)} failing vectors (lowest index first)"]
        for m in result.first_mismatches:
            i = m.get("vector")
            where = labels(i) if callable(labels) and isinstance(i, int) else ""
            lines += [
                "",
                f"### vector {i}" + (f" ({where})" if where else ""),
                "",
                f"input (hex, MSB first): `{m.get('input_hex')}`",
                "",
                "| class | expected score | actual score | |",
                "|---:|---:|---:|---|",
            ]
            for cls, (want, got) in enumerate(zip(m.get("expected_scores", []), m.get("actual_scores", []))):
                lines.append(f"| {cls} | {want} | {got} | {'' if want == got else 'DIFFERS'} |")
            lines += ["", f"class_id: expected {m.get('expected_class')}, actual {m.get('actual_class')}"]
    return "\n".join(lines) + "\n"
