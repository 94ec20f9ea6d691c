"""Typed errors of the library; the CLI turns each into one clear line and a non-zero exit."""


class Lgn2hwError(Exception):
    """Base of every error lgn2hw raises on bad input or a failed check."""


class NetlistError(Lgn2hwError):
    """A netlist is malformed: unknown gate id, forward reference, bad outputs, unreadable file."""


class DataError(Lgn2hwError):
    """A data file is missing, corrupt, of the wrong format, or its contents are out of range."""


class CheckpointError(Lgn2hwError):
    """A checkpoint is missing, truncated, not ours, or unsafe to load."""


class ConfigError(Lgn2hwError):
    """An option value is invalid (for example a last layer that does not divide by the class count)."""


class TrainingError(Lgn2hwError):
    """Training cannot go on: the loss or the weights became NaN or infinite (diverged)."""


class EmitError(Lgn2hwError):
    """RTL cannot be emitted as asked (for example an illegal Verilog module name)."""


class OutputError(Lgn2hwError):
    """An output cannot be written: it exists and is not lgn2hw's, the disk is full, permission denied."""


class ToolError(Lgn2hwError):
    """An external tool (iverilog, vvp, yosys, ...) is missing, crashed or timed out.

    ``log``: the tool's log file, when there is one; ``summary``: what went wrong in one line, without
    the log's path and tail (for callers that keep the log elsewhere and name it themselves)."""

    def __init__(self, message: str, *, log=None, summary: str | None = None):
        super().__init__(message)
        self.log = log
        self.summary = summary if summary is not None else message.splitlines()[0]


class VerificationError(Lgn2hwError):
    """A simulation disagreed with the Python reference."""
