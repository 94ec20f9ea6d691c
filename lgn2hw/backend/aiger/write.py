"""The AIGER printer: an AigModel as binary AIGER (``aig``), bytes in, bytes out, nothing decided here.

The format (AIGER 1.9, Biere: "The AIGER And-Inverter Graph (AIG) Format Version 20071012" and the
1.9 additions): the header ``aig M I L O A`` (M = I + L + A, no latches here); inputs are implicit
(variables 1..I); one ASCII line per output literal; then each AND ``lhs = 2 * (I + L + i + 1)`` as two
unsigned LEB128-style numbers ``lhs - rhs0`` and ``rhs0 - rhs1`` (7 bits per byte, high bit = more);
then the symbol table (``i<n> name``, ``o<n> name``) and a comment section after a line ``c``.
The same model gives the same bytes.
"""

from __future__ import annotations

from .lower import AigModel


def encode_delta(value: int, out: bytearray) -> None:
    """Append ``value`` (>= 0) in AIGER's 7-bit variable-length encoding."""
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)


def aiger_bytes(model: AigModel) -> bytes:
    """The binary AIGER file of ``model``."""
    i, a = model.num_inputs, len(model.ands)
    out = bytearray(f"aig {i + a} {i} 0 {len(model.outputs)} {a}\n".encode())
    out += "".join(f"{lit}\n" for lit in model.outputs).encode()
    for index, (rhs0, rhs1) in enumerate(model.ands):
        lhs = 2 * (i + 1 + index)
        if not lhs > rhs0 >= rhs1:
            raise ValueError(f"AND {lhs} = {rhs0} & {rhs1} breaks the binary AIGER order")
        encode_delta(lhs - rhs0, out)
        encode_delta(rhs0 - rhs1, out)
    symbols = [f"i{n} {name}\n" for n, name in enumerate(model.input_names)]
    symbols += [f"o{n} {name}\n" for n, name in enumerate(model.output_names)]
    out += "".join(symbols).encode()
    out += ("c\n" + "".join(f"{line}\n" for line in model.comments)).encode()
    return bytes(out)
