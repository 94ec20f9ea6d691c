"""What synthesis found, per flow and variant, and how it is shown: synth.json, synth.md, one line."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from .flows import BLOCKS, FLOWS, LUT_UNITS


@dataclass
class FlowResult:
    """One Yosys run: a flow on one variant (full design or gate core)."""

    flow: str
    variant: str  # "full", "scores" (no argmax), "core" (gates alone), "encoder" (comparators alone), "front" (both)
    luts: int
    carries: int
    depth: int | None  # ltp -noff; None when it failed
    cells: dict
    seconds: float
    script: str
    depth_note: str = ""
    ffs: int = 0
    yosys: str = ""  # the Yosys that ran it (ecp5 runs YoWASP's, the others the Debian one)


@dataclass
class PnrResult:
    """nextpnr outcome: placed and routed, does not fit, tool missing, or skipped.

    iCE40: the compiled design, combinational, pin to pin; logic cells = ICESTORM_LC (a raw-input build:
    its registered serial top, ``top``, with the Fmax of clk, FFs and latency as ECP5). ECP5: a registered
    top (``top``); logic cells = TRELLIS_COMB (LUT4s and carry halves), FFs = TRELLIS_FF, slices = the
    SLICEs the placement uses; fmax_mhz = nextpnr's achieved Fmax of clk, latency = cycles / Fmax."""

    status: str  # "routed", "does not fit", "missing", "failed", "skipped"
    device: str = ""
    detail: str = ""
    logic_cells_used: int | None = None
    logic_cells_available: int | None = None
    io_used: int | None = None
    io_available: int | None = None
    critical_path_ns: float | None = None
    fmax_mhz: float | None = None  # iCE40: 1 / critical path (combinational: pin to pin); ECP5: clk's Fmax
    seconds: float = 0.0
    command: str = ""
    flow: str = "ice40"
    ffs_used: int | None = None
    ffs_available: int | None = None
    slices_used: int | None = None
    slices_available: int | None = None
    top: str = ""  # the placed top module and what it is (ECP5)
    latency_cycles: int | None = None  # in_valid to out_valid through the placed top (ECP5)
    latency_ns: float | None = None  # latency_cycles / fmax
    load_cycles: int = 0  # serial-input top: in_shift cycles per vector before in_valid
    clock_mhz: float | None = None  # the --freq target nextpnr placed for
    tool: str = ""  # nextpnr name and version
    yosys_script: str = ""  # the Yosys script of the placed top (ECP5)
    synth_seconds: float = 0.0  # that script's run time

    def line(self) -> str:
        """The summary line's part for this place and route."""
        if self.flow == "ecp5":
            if self.status != "routed":
                return f"{self.device or 'ecp5'}: {self.status}" + (f" ({self.detail})" if self.detail else "")
            fmax = (f"Fmax {self.fmax_mhz:.1f} MHz, latency {_cycles(self.latency_cycles)} = {self.latency_ns:.1f} ns"
                    if self.fmax_mhz else self.detail)
            return (f"{self.device} post-route: {self.logic_cells_used:,} LUT4, {self.ffs_used:,} FF, "
                    f"{_count(self.slices_used)} slices, {fmax}")
        if self.status == "routed" and self.top:
            fmax = (f"Fmax {self.fmax_mhz:.1f} MHz, latency {_cycles(self.latency_cycles)} = {self.latency_ns:.1f} ns"
                    if self.fmax_mhz else "no Fmax")
            return (f"{self.device} post-route ({self.top.split()[0]}): {self.logic_cells_used:,}/"
                    f"{self.logic_cells_available:,} LCs, {self.ffs_used:,} FF, {fmax}")
        if self.status == "routed":
            return f"{self.device}: {self.logic_cells_used}/{self.logic_cells_available} LCs, {self.critical_path_ns:.1f} ns ({self.fmax_mhz:.0f} MHz)"
        if self.status == "does not fit" and self.top:
            return f"{self.device}: does not fit ({self.detail})"
        if self.status == "does not fit":
            why = f"{self.io_used:,} IO pins" if self.io_used else f"{self.logic_cells_used:,} LUTs > {self.logic_cells_available:,} LCs"
            return f"{self.device}: does not fit ({why})"
        return f"nextpnr-ice40: {self.status}"

    def markdown(self) -> str:
        if self.flow != "ecp5" and self.top:
            return self._registered_markdown("nextpnr-ice40", "logic cells (ICESTORM_LC)")
        if self.flow != "ecp5":
            return (f"nextpnr-ice40: **{self.status}**" + (f" on {self.device}" if self.device else "")
                    + (f": {self.logic_cells_used}/{self.logic_cells_available} logic cells, {self.io_used}/{self.io_available} IO, "
                       f"critical path {self.critical_path_ns:.2f} ns ({self.fmax_mhz:.1f} MHz)" if self.status == "routed" else "")
                    + (f". {self.detail}" if self.detail else ""))
        return self._registered_markdown("nextpnr-ecp5", "LUT4 (TRELLIS_COMB, carries included)")

    def _registered_markdown(self, default_tool: str, cells: str) -> str:
        text = f"{self.tool or default_tool}: **{self.status}**" + (f" on {self.device}" if self.device else "")
        if self.top:
            text += f", top {self.top}"
        if self.status == "routed":
            ffs = f"{self.ffs_used:,}" + (f"/{self.ffs_available:,}" if self.ffs_available else "")
            slices = (f", {_count(self.slices_used)}/{self.slices_available:,} slices" if self.slices_available else "")
            text += (f". Post-route: {self.logic_cells_used:,}/{self.logic_cells_available:,} {cells}, {ffs} FF"
                     f"{slices}, {self.io_used}/{self.io_available} IO")
            if self.fmax_mhz:
                text += (f"; Fmax {self.fmax_mhz:.2f} MHz (target {self.clock_mhz:g} MHz); latency "
                         f"{_cycles(self.latency_cycles)} = {self.latency_ns:.2f} ns")
            if self.load_cycles:
                text += f"; inputs load in {self.load_cycles} cycles per vector before in_valid"
        if self.detail:
            text += f". {self.detail}"
        if self.command:
            text += (f"\n\n- place-and-route top ({self.synth_seconds:g} s): `{self.yosys_script}`"
                     f"\n- nextpnr ({self.seconds:g} s): `{self.command}`")
        return text


@dataclass
class SynthReport:
    outdir: str
    module_name: str
    yosys_version: str
    gates: int
    runs: list[FlowResult] = field(default_factory=list)
    pnr: PnrResult | None = None
    seconds: float = 0.0
    pnr_ecp5: PnrResult | None = None

    def get(self, flow: str, variant: str = "full") -> FlowResult | None:
        for r in self.runs:
            if r.flow == flow and r.variant == variant:
                return r
        return None

    def blocks(self, flow: str) -> dict:
        """Per block of ``flow``: {"luts": LUTs, "depth": depth of the design up to and including the
        block}. Empty when the split was not run. Encoder and core are each synthesized alone; popcount
        and argmax are the cost of adding them (scores - core, full - scores). A raw-input build also
        synthesizes encoder and core together (front): popcount = scores - front, and "merged" = front -
        encoder - core, the LUTs ABC saves by merging comparators into first-layer LUTs (usually
        negative), so that the entries add up to the full design and neither the core nor the popcount
        is charged for it; the core's and the merge's depth is then the front's."""
        full, scores, core = self.get(flow, "full"), self.get(flow, "scores"), self.get(flow, "core")
        encoder, front = self.get(flow, "encoder"), self.get(flow, "front")
        if full is None or scores is None or core is None:
            return {}
        out = {}
        if encoder is not None:
            out["encoder"] = {"luts": encoder.luts, "depth": encoder.depth}
        if encoder is not None and front is not None:
            out["core"] = {"luts": core.luts, "depth": front.depth}
            out["merged"] = {"luts": front.luts - encoder.luts - core.luts, "depth": front.depth}
            before_popcount = front.luts
        else:  # no front run (a report of an earlier lgn2hw): the merge stays in the popcount
            out["core"] = {"luts": core.luts, "depth": core.depth}
            before_popcount = core.luts + (encoder.luts if encoder is not None else 0)
        out["popcount"] = {"luts": scores.luts - before_popcount, "depth": scores.depth}
        out["argmax"] = {"luts": full.luts - scores.luts, "depth": full.depth}
        return out

    def table(self) -> list[dict]:
        """One row per flow: full LUTs, FFs, carries, depth, and per-block LUTs (core/popcount/argmax,
        encoder and merged when the RTL has an encoder; head = popcount + argmax, i.e. full - core, or
        full - front in raw-input builds)."""
        rows = []
        for flow in FLOWS:
            full = self.get(flow, "full")
            if full is None:
                continue
            blocks = self.blocks(flow)
            row = {
                "flow": flow, "yosys": full.yosys or self.yosys_version, "luts": full.luts, "ffs": full.ffs, "carries": full.carries, "depth": full.depth,
                "core_luts": blocks["core"]["luts"] if blocks else None,
                "core_depth": blocks["core"]["depth"] if blocks else None,
                "head_luts": blocks["popcount"]["luts"] + blocks["argmax"]["luts"] if blocks else None,
                "merged_luts": blocks["merged"]["luts"] if "merged" in blocks else None,
                "blocks": blocks,
                "seconds": round(sum(r.seconds for r in self.runs if r.flow == flow), 2),
            }
            for name in BLOCKS:
                row[f"{name}_luts"] = blocks[name]["luts"] if name in blocks else None
            rows.append(row)
        return rows

    def summary(self) -> str:
        parts = []
        for row in self.table():
            unit = LUT_UNITS[row["flow"]]
            extra = [f"{name} {row['blocks'][name]['luts']:,}" for name in self._block_names() if name in row["blocks"]]
            extra += [f"depth {row['depth']}"] if row["depth"] is not None else []
            extra += [row["yosys"]] if row["yosys"] != self.yosys_version else []
            # an ECP5 CCU2C is two LUT4 sites (the ccu2c head is made of them): shown beside the LUT4 count
            carries = f" + {row['carries']:,} CCU2C" if row["flow"] == "ecp5" and row["carries"] else ""
            parts.append(f"{row['flow']} {row['luts']:,} {unit}{carries}, {row['ffs']:,} FF"
                         + (f" ({', '.join(extra)})" if extra else ""))
        text = f"synth {self.module_name} ({self.gates:,} gates, {self.yosys_version}): " + "; ".join(parts)
        for p in (self.pnr, self.pnr_ecp5):
            if p is not None:
                text += "; " + p.line()
        return text

    def _block_names(self) -> list[str]:
        """BLOCKS as this report has them: with an encoder, "merged" (encoder and core together, less
        both alone) after the core when the front was synthesized."""
        if not any(r.variant == "encoder" for r in self.runs):
            return [b for b in BLOCKS if b != "encoder"]
        if not any(r.variant == "front" for r in self.runs):
            return list(BLOCKS)
        return [*BLOCKS[:2], "merged", *BLOCKS[2:]]

    def to_dict(self) -> dict:
        return {
            "outdir": self.outdir, "module_name": self.module_name, "yosys_version": self.yosys_version,
            "gates": self.gates, "seconds": round(self.seconds, 3), "table": self.table(),
            "runs": [asdict(r) for r in self.runs], "pnr": asdict(self.pnr) if self.pnr else None,
            "pnr_ecp5": asdict(self.pnr_ecp5) if self.pnr_ecp5 else None,
            "split": ("core = the netlist's live gates alone (outputs wired to ports); encoder (raw-input builds) = "
                      "the comparators alone; merged = front - encoder - core (front: encoder and core together; "
                      "what ABC saves across their boundary); popcount = scores - core, or scores - front "
                      "(scores: full RTL without class_id); argmax = full - scores; head = popcount + argmax; "
                      "block depth = depth of the variant ending with the block"),
        }

    def markdown(self) -> str:
        lines = [
            f"# Synthesis of `{self.module_name}` ({self.gates:,} gates)", "",
            f"{self.yosys_version}. Blocks: core = the gates "
            "alone (outputs straight to ports); popcount = (full RTL without class_id) - core; argmax = full - "
            "(full without class_id)"
            + ("; encoder = the threshold comparators alone" if "encoder" in self._block_names() else "")
            + ("; merged = (encoder and gates together) - encoder - core, the LUTs saved across their boundary, "
               "and popcount counted on top of encoder and gates together" if "merged" in self._block_names() else "")
            + ". Depth in cells; per block, the depth of the design up to and including that block."
            + "".join(f" The {r['flow']} flow ran {r['yosys']}." for r in self.table() if r["yosys"] != self.yosys_version)
            + " LUTs: " + ", ".join(f"{r['flow']} {LUT_UNITS[r['flow']]}" for r in self.table()) + ".", "",
            "| flow | LUTs | FFs | " + " | ".join(f"{b} LUTs" for b in self._block_names()) + " | carries | depth "
            + " / ".join(self._block_names()) + " | seconds |",
            "| --- | ---: | ---: | " + " | ".join("---:" for _ in self._block_names()) + " | ---: | --- | ---: |",
        ]
        for r in self.table():
            names = self._block_names()
            luts = [str(r["blocks"][b]["luts"]) if b in r["blocks"] else "n/a" for b in names]
            depth = " / ".join(_na(r["blocks"][b]["depth"]) if b in r["blocks"] else "n/a" for b in names)
            if not r["blocks"]:
                depth = f"full {_na(r['depth'])}"
            lines.append(f"| {r['flow']} | {r['luts']} | {r['ffs']} | {' | '.join(luts)} | {r['carries']} | {depth} | {r['seconds']} |")
        for p in (self.pnr, self.pnr_ecp5):
            if p is not None:
                lines += ["", p.markdown()]
        lines += ["", "Scripts:", ""]
        for r in self.runs:
            lines.append(f"- {r.flow}/{r.variant}: `{r.script}`" + (f" ({r.yosys})" if r.yosys and r.yosys != self.yosys_version else ""))
        return "\n".join(lines) + "\n"


def _count(value) -> str:
    return "n/a" if value is None else f"{value:,}"


def _cycles(n: int | None) -> str:
    return f"{_na(n)} cycle" + ("" if n == 1 else "s")


def _na(value) -> str:
    return "n/a" if value is None else str(value)
