"""Build the Python API reference (HTML) from the docstrings with pdoc.

Usage: .venv/bin/python scripts/api_docs.py [OUTDIR]     (default: site/api; open OUTDIR/index.html)

The modules below are the library's public face (docs/api.md says how to use them); everything else
is reachable from their pages. pdoc is the ``docs`` extra: pip install 'lgn2hw[docs]'.
"""

from __future__ import annotations

import sys
from pathlib import Path

API_MODULES = (
    "lgn2hw.flows.compile",
    "lgn2hw.flows.verify",
    "lgn2hw.flows.formal",
    "lgn2hw.flows.run",
    "lgn2hw.flows.predict",
    "lgn2hw.frontend.settings",
    "lgn2hw.frontend.train",
    "lgn2hw.frontend.data",
    "lgn2hw.ir.netlist",
    "lgn2hw.ir.gates",
    "lgn2hw.ir.encoding",
    "lgn2hw.ir.simulate",
    "lgn2hw.ir.build_dir",
    "lgn2hw.passes",
    "lgn2hw.backend.verilog",
    "lgn2hw.backend.synth",
    "lgn2hw.backend.export",
    "lgn2hw.backend.c",
    "lgn2hw.check.cosim",
    "lgn2hw.check.formal",
    "lgn2hw.errors",
)


def build(outdir: Path) -> Path:
    import pdoc

    outdir.mkdir(parents=True, exist_ok=True)
    pdoc.render.configure(docformat="markdown", footer_text="lgn2hw API reference")
    pdoc.pdoc(*API_MODULES, output_directory=outdir)
    return outdir / "index.html"


if __name__ == "__main__":
    index = build(Path(sys.argv[1] if len(sys.argv) > 1 else "site/api"))
    print(f"API reference: {index}")
