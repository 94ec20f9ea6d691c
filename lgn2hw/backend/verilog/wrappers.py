"""Every Verilog module besides the top: synthesis-only views of a build and the vendor wrappers.

- ``core_verilog``: the gate core alone (the live gates, every non-constant output bit on a port);
- ``scores_verilog``: the full top module wrapped so that only ``scores`` leaves (no argmax);
- ``encoder_verilog``: the raw-input comparators the design keeps, alone (the same comparator_expr as the
  top module);
- ``front_verilog``: encoder and gate core together (a raw-input build's design up to the core's outputs);
- ``registered_io_verilog`` / ``serial_input_verilog``: the export's registered-IO wrapper and the
  serial-input top for small packages, for either input port (in_bits, or a raw-input build's in_features) (templates/registered_io.v.j2, templates/serial_input.v.j2; both
  include templates/output_registers.v.j2).
All are records printed by print.py; the proof miters are in miters.py.
"""

from __future__ import annotations

from ...ir.build_dir import BuildOptions
from ...ir.encoding import ThresholdEncoding
from ...ir.gates import GATES
from ...ir.netlist import Netlist
from .encoder import comparator_expr
from .heads import class_id_width, score_width
from .print import print_structural, render
from .records import Assign, Decl, Instance, Net, StructuralModule, bit_range


def _core_outputs(netlist: Netlist) -> list[int]:
    """The output signals core_verilog puts on ``out_bits``: every non-constant one."""
    n = netlist.num_inputs
    return [s for s in netlist.outputs.tolist() if s < n or not GATES[int(netlist.ops[s - n])].is_constant]


def _encoded_bits(netlist: Netlist) -> list[int]:
    """The input bits some output reads, in order: the ones encoder_verilog gives a comparator."""
    return netlist.live_signals()[: netlist.num_inputs].nonzero()[0].tolist()


def core_verilog(netlist: Netlist, module_name: str) -> str:
    """The gate core alone as a Verilog module: the live gates of the emitted RTL, with every
    non-constant output bit wired to a port ``out_bits`` (no popcount, no argmax)."""
    n = netlist.num_inputs
    outs = _core_outputs(netlist)
    live = netlist.live_signals(outs)

    def name(s: int) -> str:
        return f"in_bits[{s}]" if s < n else f"g{s - n}"

    module = StructuralModule(module_name, [Decl("input", "in_bits", n), Decl("output", "out_bits", max(1, len(outs)))])
    ops, a, b = netlist.ops.tolist(), netlist.a.tolist(), netlist.b.tolist()
    for i in live[n:].nonzero()[0].tolist():
        module.items.append(Net(f"g{i}", 1, GATES[ops[i]].verilog_expr(name(a[i]), name(b[i]))))
    module.items += [Assign(f"out_bits[{j}]", name(s)) for j, s in enumerate(outs)]
    if not outs:
        module.items.append(Assign("out_bits", "1'b0"))
    return print_structural(module)


def scores_verilog(netlist: Netlist, options: BuildOptions, wrapper_name: str) -> str:
    """A wrapper around the full top module that exposes only ``scores`` (class_id and out_valid left
    unconnected): synthesized flat, it is the full design without the argmax."""
    port, width = options.input_port, options.input_width(netlist)
    ports = [Decl("input", "clk"), Decl("input", "rst"), Decl("input", "in_valid"), Decl("input", port, width),
             Decl("output", "scores", netlist.num_classes * score_width(netlist))]
    conns = (("clk", "clk"), ("rst", "rst"), ("in_valid", "in_valid"), (port, port), ("out_valid", "unused_valid"),
             ("scores", "scores"), ("class_id", "unused_class_id"))
    items = [Net("unused_valid"), Net("unused_class_id", class_id_width(netlist)),
             Instance(options.module_name, "u_full", conns)]
    return print_structural(StructuralModule(wrapper_name, ports, items))


def encoder_verilog(netlist: Netlist, options: BuildOptions, module_name: str) -> str | None:
    """The input encoder of a raw-input build alone, or None when the build has no encoder (no raw-input
    front end). Like the top module's front end it has a comparator (feature f_i > threshold t_i, the
    netlist's input_encoding) only for the input bits that reach an output: ``in_bits[k]`` is the k-th
    of those. Counting every bit of the encoding would charge the encoder for comparators that Yosys
    removes from the full design, and the head (full - core - encoder) would come out too small."""
    raw = options.raw_inputs
    if raw is None:
        return None
    encoding = ThresholdEncoding.from_json(netlist.input_encoding, num_inputs=netlist.num_inputs)
    bits = _encoded_bits(netlist)
    features, thresholds = encoding.feature.tolist(), encoding.threshold.tolist()
    ports = [Decl("input", raw.port, raw.width), Decl("output", "in_bits", max(1, len(bits)))]
    items = [Assign(f"in_bits[{k}]", comparator_expr(features[i], thresholds[i], raw.bits, raw.port)[0])
             for k, i in enumerate(bits)]
    if not bits:
        items.append(Assign("in_bits", "1'b0"))
    return print_structural(StructuralModule(module_name, ports, items))


def front_verilog(netlist: Netlist, options: BuildOptions, module_name: str, encoder_name: str,
                  core_name: str) -> str:
    """A raw-input build's front: the encoder module ``encoder_name`` (encoder_verilog) feeding the core
    module ``core_name`` (core_verilog), raw features in, the core's ``out_bits`` out. Synthesized flat,
    it is what the popcount's cost is counted on top of (scores - front), and front - encoder - core is
    what ABC saves by merging comparators into first-layer LUTs (synth's "merged" entry)."""
    raw = options.raw_inputs
    n = netlist.num_inputs
    bits = _encoded_bits(netlist)
    width = max(1, len(_core_outputs(netlist)))
    ports = [Decl("input", raw.port, raw.width), Decl("output", "out_bits", width)]
    items = [Net("encoded", max(1, len(bits))), Net("in_bits", n)]
    position = {i: k for k, i in enumerate(bits)}
    items += [Assign(f"in_bits[{i}]", f"encoded[{position[i]}]" if i in position else "1'b0") for i in range(n)]
    items += [Instance(encoder_name, "u_encoder", ((raw.port, raw.port), ("in_bits", "encoded"))),
              Instance(core_name, "u_core", (("in_bits", "in_bits"), ("out_bits", "out_bits")))]
    return print_structural(StructuralModule(module_name, ports, items))


def registered_io_verilog(netlist: Netlist, options: BuildOptions, wrap: str, core_latency: int,
                          header_lines: list[str]) -> str:
    """``wrap``: the compiled module (``options.module_name``) with registered inputs and outputs
    (LATENCY = core_latency + 2), for timing analysis in vendor tools. The input port is the build's:
    ``in_bits``, or ``in_features`` (F x B raw feature bits) for a raw-input build."""
    return render("registered_io.v.j2", header_lines=header_lines, wrap=wrap, core=options.module_name,
                  **_port_ranges(netlist, options, core_latency + 2, core_latency))


def serial_input_verilog(netlist: Netlist, options: BuildOptions, serial: str, serial_bits: int, core_latency: int,
                         header_lines: list[str]) -> str:
    """``serial``: loads the build's input port (in_bits, or in_features of a raw-input build)
    ``serial_bits`` bits per cycle into a shift register that the compiled module reads directly, then
    registers its outputs (for packages with fewer pins than the input port has bits; with 8-bit raw
    features and 8 bits per cycle, one feature per cycle). The shift register is the input register, so
    LATENCY = core_latency + 1; a registered-IO wrapper in between would hold every input bit a second
    time (one logic cell each)."""
    n = options.input_width(netlist)
    chunks = -(-n // serial_bits)
    raw = options.raw_inputs
    per_feature = raw.bits if raw is not None and raw.bits == serial_bits else None
    return render("serial_input.v.j2", header_lines=header_lines, serial=serial, core=options.module_name,
                  data_range=bit_range(serial_bits), bits=serial_bits, chunks=chunks,
                  buffer_bits=chunks * serial_bits, pad=chunks * serial_bits - n, num_inputs=n,
                  per_feature=per_feature, **_port_ranges(netlist, options, core_latency + 1, core_latency))


def _port_ranges(netlist: Netlist, options: BuildOptions, latency: int, core_latency: int) -> dict:
    width = score_width(netlist)
    return {"port": options.input_port, "in_range": bit_range(options.input_width(netlist)),
            "scores_range": bit_range(netlist.num_classes * width),
            "id_range": bit_range(class_id_width(netlist)), "width": width, "latency": latency,
            "core_latency": core_latency}
