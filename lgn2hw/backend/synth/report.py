"""What synthesis found, per flow and variant, and how it is shown: synth.json, synth.md, one line."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from .flows import BLOCKS, FLOWS


@dataclass
class FlowResult:
    """One Yosys run: a flow on one variant (full design or gate core)."""

    flow: str
    variant: str  # "full", "scores" (no argmax), "core" (gates alone) or "encoder" (comparators alone)
    luts: int
    carries: int
    depth: int | None  # ltp -noff; None when it failed
    cells: dict
    seconds: float
    script: str
    depth_note: str = ""
    ffs: int = 0


@dataclass
class PnrResult:
    """nextpnr-ice40 outcome: placed and routed, does not fit, or tool missing."""

    status: str  # "routed", "does not fit", "missing", "failed"
    device: str = ""
    detail: str = ""
    logic_cells_used: int | None = None
    logic_cells_available: int | None = None
    io_used: int | None = None
    io_available: int | None = None
    critical_path_ns: float | None = None
    fmax_mhz: float | None = None  # 1 / critical path (the design is combinational: input pin to output pin)
    seconds: float = 0.0
    command: str = ""


@dataclass
class SynthReport:
    outdir: str
    module_name: str
    yosys_version: str
    gates: int
    runs: list[FlowResult] = field(default_factory=list)
    pnr: PnrResult | None = None
    seconds: float = 0.0

    def get(self, flow: str, variant: str = "full") -> FlowResult | None:
        for r in self.runs:
            if r.flow == flow and r.variant == variant:
                return r
        return None

    def blocks(self, flow: str) -> dict:
        """Per block of ``flow``: {"luts": marginal LUTs, "depth": depth of the variant ending with it}.
        Empty when the split was not run; encoder only for raw-input builds."""
        full, scores, core = self.get(flow, "full"), self.get(flow, "scores"), self.get(flow, "core")
        encoder = self.get(flow, "encoder")
        if full is None or scores is None or core is None:
            return {}
        enc = encoder.luts if encoder else 0
        out = {}
        if encoder is not None:
            out["encoder"] = {"luts": encoder.luts, "depth": encoder.depth}
        out["core"] = {"luts": core.luts, "depth": core.depth}
        out["popcount"] = {"luts": scores.luts - core.luts - enc, "depth": scores.depth}
        out["argmax"] = {"luts": full.luts - scores.luts, "depth": full.depth}
        return out

    def table(self) -> list[dict]:
        """One row per flow: full LUTs, FFs, carries, depth, and per-block LUTs (core/popcount/argmax,
        encoder when the RTL has one; head = everything after the core)."""
        rows = []
        for flow in FLOWS:
            full, core = self.get(flow, "full"), self.get(flow, "core")
            if full is None:
                continue
            blocks = self.blocks(flow)
            row = {
                "flow": flow, "luts": full.luts, "ffs": full.ffs, "carries": full.carries, "depth": full.depth,
                "core_luts": core.luts if core else None, "core_depth": core.depth if core else None,
                "head_luts": full.luts - core.luts - blocks.get("encoder", {}).get("luts", 0) if core else None,
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
            unit = "SB_LUT4" if row["flow"] == "ice40" else "LUT6" if row["flow"] == "generic" else "LUT"
            extra = [f"{name} {row['blocks'][name]['luts']:,}" for name in BLOCKS if name in row["blocks"]]
            extra += [f"depth {row['depth']}"] if row["depth"] is not None else []
            parts.append(f"{row['flow']} {row['luts']:,} {unit}, {row['ffs']:,} FF" + (f" ({', '.join(extra)})" if extra else ""))
        text = f"synth {self.module_name} ({self.gates:,} gates, {self.yosys_version}): " + "; ".join(parts)
        if self.pnr is not None:
            p = self.pnr
            if p.status == "routed":
                text += f"; {p.device}: {p.logic_cells_used}/{p.logic_cells_available} LCs, {p.critical_path_ns:.1f} ns ({p.fmax_mhz:.0f} MHz)"
            elif p.status == "does not fit":
                why = f"{p.io_used:,} IO pins" if p.io_used else f"{p.logic_cells_used:,} LUTs > {p.logic_cells_available:,} LCs"
                text += f"; {p.device}: does not fit ({why})"
            else:
                text += f"; nextpnr-ice40: {p.status}"
        return text

    def _block_names(self) -> list[str]:
        has_encoder = any(r.variant == "encoder" for r in self.runs)
        return [b for b in BLOCKS if b != "encoder" or has_encoder]

    def to_dict(self) -> dict:
        return {
            "outdir": self.outdir, "module_name": self.module_name, "yosys_version": self.yosys_version,
            "gates": self.gates, "seconds": round(self.seconds, 3), "table": self.table(),
            "runs": [asdict(r) for r in self.runs], "pnr": asdict(self.pnr) if self.pnr else None,
            "split": ("core = the netlist's live gates alone (outputs wired to ports); popcount = scores - core "
                      "(scores: full RTL without class_id); argmax = full - scores; encoder (raw-input builds) = "
                      "the comparators alone; head = full - core - encoder; block depth = depth of the variant "
                      "ending with the block"),
        }

    def markdown(self) -> str:
        lines = [
            f"# Synthesis of `{self.module_name}` ({self.gates:,} gates)", "",
            f"{self.yosys_version}. Blocks: core = the gates alone (outputs straight to ports); popcount = "
            "(full RTL without class_id) - core; argmax = full - (full without class_id)"
            + ("; encoder = the threshold comparators alone" if any(r.variant == "encoder" for r in self.runs) else "")
            + ". Depth in cells; per block, the depth of the design up to and including that block.", "",
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
        if self.pnr is not None:
            p = self.pnr
            lines += ["", f"nextpnr-ice40: **{p.status}**" + (f" on {p.device}" if p.device else "")
                      + (f": {p.logic_cells_used}/{p.logic_cells_available} logic cells, {p.io_used}/{p.io_available} IO, "
                         f"critical path {p.critical_path_ns:.2f} ns ({p.fmax_mhz:.1f} MHz)" if p.status == "routed" else "")
                      + (f". {p.detail}" if p.detail else "")]
        lines += ["", "Scripts:", ""]
        for r in self.runs:
            lines.append(f"- {r.flow}/{r.variant}: `{r.script}`")
        return "\n".join(lines) + "\n"


def _na(value) -> str:
    return "n/a" if value is None else str(value)
