"""The ``lgn2hw`` command line: thin click commands over the library, one module per command.

Each command parses its options, calls one library function (lgn2hw.flows or a stage's entry point)
and prints a one-line summary. Typed library errors (lgn2hw.errors) become one ``Error:`` line and a
non-zero exit here, at the edge, and nowhere else.
"""

from __future__ import annotations

import signal
import sys
import threading

import click

from .. import __version__
from ..errors import Lgn2hwError
from ..toolchain import process


class Terminated(BaseException):
    """SIGTERM (or SIGHUP) arrived: unwinds like KeyboardInterrupt, so every cleanup handler runs."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _terminate(signum, frame):
    raise Terminated(signum)


class _Group(click.Group):
    """The edge of the library: every lgn2hw error, I/O error and interrupt becomes one clear line and a
    non-zero exit (no traceback). SIGINT and SIGTERM stop the command's child processes (simulators,
    synthesis) and unwind through the cleanup code, so outputs stay as they were before the command."""

    def invoke(self, ctx):
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGTERM, signal.SIGHUP):
                signal.signal(signum, _terminate)
        try:
            return super().invoke(ctx)
        except Lgn2hwError as exc:
            raise click.ClickException(str(exc)) from None
        except ModuleNotFoundError as exc:
            if exc.name == "torch":
                raise click.ClickException("this needs PyTorch, which is not installed: pip install 'lgn2hw[train]' "
                                           "(compiling and verifying a netlist.json does not need it)") from None
            raise
        except OSError as exc:  # an I/O error no stage anticipated: still one line
            where = f"{exc.filename}: " if exc.filename else ""
            raise click.ClickException(f"{where}{exc.strerror or exc}") from None
        except MemoryError:
            raise click.ClickException("out of memory (try a smaller network, batch or vector count)") from None
        except (KeyboardInterrupt, Terminated) as exc:
            signum = exc.signum if isinstance(exc, Terminated) else signal.SIGINT
            stopped = process.kill_all()
            children = f", stopped {stopped} child process{'es' if stopped != 1 else ''}" if stopped else ""
            click.echo(f"interrupted ({signal.Signals(signum).name}){children}; outputs are as they were before "
                       "this command", err=True)
            sys.exit(128 + signum)


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
    from . import analyze, explore, export, predict, run, sweep, synth, train, verify

    for command in (train.train, compile_module.compile_cmd, verify.verify, run.run, synth.synth, export.export_cmd,
                    predict.predict, sweep.sweep, explore.explore, analyze.analyze):
        main.add_command(command)


_register()
