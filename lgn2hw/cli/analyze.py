"""``lgn2hw analyze``: graph analyses of a netlist (critical paths, cones, fanout, pipeline cuts)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .types import count


@click.command()
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, default=False, help="Print the analysis as JSON instead of markdown.")
@click.option("--graphml", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the live logic as GraphML (yEd, Gephi) to this new file.")
@click.option("--dot", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the live logic as Graphviz DOT to this new file (dot -Tsvg for small nets).")
@click.option("--pipeline", "levels", type=count(1, 1000), multiple=True, default=(1, 2, 4), show_default=True,
              help="Show the gates per stage for pipeline cuts every N levels (repeatable).")
def analyze(source: Path, as_json: bool, graphml, dot, levels) -> None:
    """Analyse a netlist as a graph: the critical path and input cone of every class, fanout, gates per
    logic level and per pipeline stage, logic shared between classes, connected parts.

    SOURCE is a compiled directory or a netlist.json. Files given with --graphml/--dot must not exist
    yet (lgn2hw never overwrites a file it did not write).

    \b
    Example:
      lgn2hw analyze runs/fm_rtl
      lgn2hw analyze runs/tiny_rtl/netlist.json --dot tiny.dot --pipeline 3
    """
    from ..fsutil import check_output_file
    from ..ir.analysis import analyze as run_analysis
    from ..ir.analysis import write_graph
    from ..ir.build_dir import NETLIST_FILE
    from ..ir.netlist import Netlist

    netlist = Netlist.load(source / NETLIST_FILE if source.is_dir() else source)
    for path in (graphml, dot):
        if path is not None:
            check_output_file(path, lambda p: False, "a file")
    result = run_analysis(netlist, tuple(sorted(set(levels))))
    for path, kind in ((graphml, "graphml"), (dot, "dot")):
        if path is not None:
            write_graph(netlist, path, kind)
    click.echo(json.dumps(result.to_dict(), indent=1, sort_keys=True) if as_json else result.markdown().rstrip())
