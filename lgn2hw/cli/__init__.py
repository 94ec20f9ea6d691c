"""The ``lgn2hw`` command line: thin click commands over the library, one module per command.

Each command parses its options, calls one library function (lgn2hw.flows or a stage's entry point)
and prints a one-line summary. Typed library errors (lgn2hw.errors) become one ``Error:`` line and a
non-zero exit here, at the edge, and nowhere else.
"""

from __future__ import annotations

import sys

import click

from .. import __version__
from ..errors import Lgn2hwError


class _Group(click.Group):
    """Turns every library error into one clear line and exit status 1 (no traceback)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except Lgn2hwError as exc:
            raise click.ClickException(str(exc)) from None
        except KeyboardInterrupt:
            click.echo("interrupted; nothing was written", err=True)
            sys.exit(130)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="lgn2hw")
def main() -> None:
    """lgn2hw: train Logic Gate Networks and compile them into verified, synthesis-ready Verilog.

    \b
    Typical use:
      lgn2hw run --preset demo -o runs/demo          # train + compile + verify in one go
      lgn2hw train --epochs 5 -o runs/model.pt
      lgn2hw compile runs/model.pt -o runs/rtl
      lgn2hw verify runs/rtl
    """




def _register() -> None:
    from . import compile as compile_module
    from . import export, run, sweep, synth, train, verify

    for command in (train.train, compile_module.compile_cmd, verify.verify, run.run, synth.synth, export.export_cmd,
                    sweep.sweep):
        main.add_command(command)


_register()
