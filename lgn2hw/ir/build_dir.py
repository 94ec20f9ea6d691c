"""A compiled directory (what ``lgn2hw compile`` writes), opened once, checked once, with typed options.

Every command that reads a compiled directory (verify, synth, export, formal, and those to come) opens
it with ``BuildDir.open``: that checks the directory, reads ``netlist.json`` once and turns the build
options that compile recorded in its metadata (module name, pipeline depth, raw-input port) into a
``BuildOptions`` record. Nothing else reads those metadata keys by string. The file names of a
compiled directory live here too, so no stage imports another stage for a file name.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import Lgn2hwError, NetlistError
from .encoding import ThresholdEncoding
from .netlist import Netlist
from .popcount import DEFAULT_POPCOUNT, POPCOUNT_CHOICES, PRIMITIVE_POPCOUNTS

NETLIST_FILE = "netlist.json"
RAW_NETLIST_FILE = "raw_netlist.json"  # the unoptimized (-O0) netlist, for `lgn2hw verify --formal`
REPORT_FILE = "compile_report.json"
VERIFY_FILE = "verify.json"
VERIFY_LOG = "verify.log"
VERIFY_REPORT = "verify_mismatches.md"
VERIFY_WAVES = "verify_waves"  # + .fst (icarus) or .vcd (verilator)
SYNTH_JSON = "synth.json"
SYNTH_MD = "synth.md"
FORMAL_FILE = "formal.json"

# netlist.json metadata that describes a compiled build, written by compile for its own build: never
# carried over from a netlist given to compile (a pipelined source would make a combinational build
# claim a latency it does not have)
BUILD_METADATA_KEYS = frozenset({"module_name", "pipeline", "latency", "raw_inputs", "opt_level", "raw_gates",
                                 "source", "source_sha256", "lgn2hw_version", "head", "popcount"})

DEFAULT_MODULE = "lgn_top"
RAW_PORT = "in_features"  # the raw-input front end's port (compile --raw-inputs)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass(frozen=True)
class RawInputs:
    """The raw-feature port of a ``--raw-inputs`` build: ``features`` unsigned values of ``bits`` bits."""

    bits: int
    features: int

    @property
    def port(self) -> str:
        return RAW_PORT

    @property
    def width(self) -> int:
        return self.bits * self.features

    @property
    def max_value(self) -> int:
        return (1 << self.bits) - 1

    def to_metadata(self) -> dict:
        return {"bits": self.bits, "features": self.features, "port": RAW_PORT}

    @classmethod
    def for_netlist(cls, netlist: Netlist, bits: int) -> RawInputs:
        """The raw port a new raw-input build of ``netlist`` gets: one ``bits``-bit value per feature of
        its input_encoding (NetlistError without one)."""
        if netlist.input_encoding is None:
            raise NetlistError("raw inputs need the netlist's input_encoding; this netlist has none")
        features = ThresholdEncoding.from_json(netlist.input_encoding, num_inputs=netlist.num_inputs).num_features
        return cls(int(bits), features)


@dataclass(frozen=True)
class BuildOptions:
    """How a compiled directory's RTL was built (recorded by compile in netlist.json's metadata)."""

    module_name: str = DEFAULT_MODULE
    pipeline: int = 0  # register every N logic levels; 0: combinational
    raw_inputs: RawInputs | None = None  # the raw-input front end, or None (the in_bits port)
    popcount: str = DEFAULT_POPCOUNT  # the head's popcount structure (POPCOUNT_CHOICES)

    @property
    def primitive_family(self) -> str | None:
        """The vendor whose primitives the RTL instantiates (popcount="carry4": "xilinx", "ccu2c": "ecp5"), else None."""
        return PRIMITIVE_POPCOUNTS.get(self.popcount)

    @property
    def input_port(self) -> str:
        return RAW_PORT if self.raw_inputs else "in_bits"

    def input_width(self, netlist: Netlist) -> int:
        return self.raw_inputs.width if self.raw_inputs else netlist.num_inputs

    def to_metadata(self) -> dict:
        """The metadata keys compile writes (pipeline and raw_inputs only when the build has them)."""
        meta: dict = {"module_name": self.module_name}
        if self.pipeline:
            meta["pipeline"] = self.pipeline
        if self.raw_inputs is not None:
            meta["raw_inputs"] = self.raw_inputs.to_metadata()
        if self.popcount != DEFAULT_POPCOUNT:
            meta["popcount"] = self.popcount
        return meta

    @classmethod
    def from_netlist(cls, netlist: Netlist, source: str = "netlist.json") -> BuildOptions:
        """The options recorded in ``netlist``'s metadata; NetlistError naming the key when one is malformed."""
        meta = netlist.metadata
        module = meta.get("module_name", DEFAULT_MODULE)
        if not isinstance(module, str) or not _IDENTIFIER.match(module):
            raise NetlistError(f"{source}: metadata.module_name must be a Verilog identifier, got {module!r}")
        pipeline = meta.get("pipeline", 0)
        if isinstance(pipeline, bool) or not isinstance(pipeline, int) or pipeline < 0:
            raise NetlistError(f"{source}: metadata.pipeline must be an integer >= 0, got {pipeline!r}")
        raw = meta.get("raw_inputs")
        raw_inputs = None
        if raw is not None:
            if not isinstance(raw, dict) or not all(
                isinstance(raw.get(k), int) and not isinstance(raw.get(k), bool) and raw[k] >= 1 for k in ("bits", "features")
            ):
                raise NetlistError(f"{source}: metadata.raw_inputs must be {{\"bits\": B, \"features\": F, ...}} "
                                   f"with positive integers, got {raw!r}")
            if netlist.input_encoding is None:
                raise NetlistError(f"{source}: metadata.raw_inputs names a raw-input build, but the netlist has no "
                                   "input_encoding (the comparators' thresholds)")
            raw_inputs = RawInputs.for_netlist(netlist, raw["bits"])
            if raw_inputs.features != raw["features"]:
                raise NetlistError(f"{source}: metadata.raw_inputs.features is {raw['features']}, but the "
                                   f"input_encoding reads {raw_inputs.features} features")
        popcount = meta.get("popcount", DEFAULT_POPCOUNT)
        if popcount not in POPCOUNT_CHOICES:
            raise NetlistError(f"{source}: metadata.popcount must be one of {', '.join(POPCOUNT_CHOICES)}, "
                               f"got {popcount!r}")
        return cls(module, pipeline, raw_inputs, popcount)


class BuildDir:
    """A compiled directory: its path, its optimized netlist and its build options, read once."""

    def __init__(self, path: Path, netlist: Netlist, options: BuildOptions):
        self.path = path
        self.netlist = netlist
        self.options = options

    @classmethod
    def open(cls, path: str | os.PathLike, *, need_rtl: bool = True) -> BuildDir:
        """Open a directory written by ``lgn2hw compile``; one clear error when it is not one."""
        path = Path(path)
        if not path.is_dir():
            raise Lgn2hwError(f"{path}: no such directory (run lgn2hw compile first)")
        netlist_path = path / NETLIST_FILE
        if not netlist_path.is_file():
            raise Lgn2hwError(f"{netlist_path}: missing (not a compiled directory; run lgn2hw compile first)")
        netlist = Netlist.load(netlist_path)
        build = cls(path, netlist, BuildOptions.from_netlist(netlist, str(netlist_path)))
        if need_rtl and not build.rtl_path.is_file():
            raise Lgn2hwError(f"{build.rtl_path}: RTL file missing from the compiled directory")
        return build

    @property
    def module_name(self) -> str:
        return self.options.module_name

    @property
    def rtl_path(self) -> Path:
        return self.path / f"{self.options.module_name}.v"

    @property
    def dataset(self) -> str | None:
        """The data set the model was trained on (for test-set stimulus), when it is known."""
        dataset = self.netlist.metadata.get("dataset")
        return dataset if isinstance(dataset, str) and dataset else None

    def file(self, name: str) -> Path:
        return self.path / name

    def raw_netlist(self) -> Netlist:
        """The unoptimized (-O0) netlist compile wrote beside the optimized one."""
        path = self.path / RAW_NETLIST_FILE
        if not path.is_file():
            raise Lgn2hwError(
                f"{path}: missing; it holds the unoptimized netlist the proof compares against "
                "(written by lgn2hw compile since formal verification exists): compile again"
            )
        return Netlist.load(path)
