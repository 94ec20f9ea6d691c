"""Step B's sum check: each class score of the cut designs read off Yosys's word-level netlist as an exact
integer sum of the cut variables. Two such sums over independent Boolean variables are equal as functions
exactly when their constants and counts are equal, so comparing them decides step B in about a second
where BDDs take minutes (docs/formal.md). A netlist that is not such a sum raises NotLinear (BDDs decide).
"""

from __future__ import annotations

import json
from pathlib import Path

from .carry_sums import NotCarrySum, carry4_terms
from .ccu2c_sums import SUM_CELL, chain_cells


class NotLinear(Exception):
    """The score logic is not a plain sum of the cut bits (the BDD engine decides instead)."""


def linear_scores(json_path: Path, modules: list[str], cut_vars: dict, num_classes: int) -> dict:
    """Each module's ``score<c>`` as an exact integer sum: {module: [(constant, {variable: count})]}.

    Reads Yosys's word-level netlist (``write_json`` of the modules cut at the summed wires). A cut
    wire takes the value ``cut_vars[module][wire]``, a plan Leaf: ("var", i) is the variable ``v[i]``,
    ("in", s) the variable ``in_bits[s]`` (as is an ``in_bits`` bit read directly), ("const", 0/1) a
    constant. Only unsigned ``$add``, ``$or`` with an all-zero operand and ``$pos`` are read, by the
    folding rules of _ModuleSums (above its ``linear``): exact where provably exact, congruent where a
    dropped carry cannot matter, and the final sum must fit the score. Anything else raises NotLinear.
    """
    doc = json.loads(Path(json_path).read_text())
    result = {}
    for module in modules:
        mod = doc["modules"].get(module)
        if mod is None:
            raise NotLinear(f"module {module} missing from the Yosys netlist")
        result[module] = _ModuleSums(module, mod, cut_vars.get(module, {})).scores(num_classes)
    return result


# A cut value that is a variable of the sums, named as in the step B wrapper (lgn2hw.backend.verilog.miters).
_VARIABLE = {"var": "v[{}]", "in": "in_bits[{}]"}


class _ModuleSums:
    """One module of the Yosys netlist: its score words expanded into weighted atoms and folded into sums."""

    def __init__(self, name: str, mod: dict, cut: dict):
        self.name = name
        self.cells = dict(mod.get("cells", {}))
        if any(cell["type"] == "CCU2C" for cell in self.cells.values()):  # compile --popcount ccu2c
            try:  # each logical carry chain becomes one cell whose word is its S bits (ccu2c_sums.py)
                chains = chain_cells(self.cells)
            except NotCarrySum as exc:
                raise NotLinear(f"{name}: {exc}") from None
            self.cells = {n: c for n, c in self.cells.items() if c["type"] != "CCU2C"} | chains
        self.driver: dict = {}  # bit id -> (cell name, index in its value word: Y, or a CARRY4's O)
        self.lut_driver: dict = {}  # bit id -> (LUT6_2 cell name, "O5"/"O6"): read by carry_sums only
        for cname, cell in self.cells.items():
            for i, bit in enumerate(_word(cell)):
                if isinstance(bit, int):
                    self.driver[bit] = (cname, i)
            if cell["type"] == "LUT6_2":
                for port in ("O5", "O6"):
                    for bit in cell["connections"].get(port, []):
                        self.lut_driver[bit] = (cname, port)
        self.source: dict = {}  # bit id -> (constant, {var: 1}) for cut wires and in_bits
        ports = mod.get("ports", {})
        for pname, port in ports.items():
            if port["direction"] != "input":
                continue
            if pname == "in_bits":
                for s, bit in enumerate(port["bits"]):
                    self.source[bit] = (0, {f"in_bits[{s}]": 1})
            elif pname in cut:
                kind, value = cut[pname]
                if kind == "const":
                    self.source[port["bits"][0]] = (int(value), {})
                elif kind in _VARIABLE:
                    self.source[port["bits"][0]] = (0, {_VARIABLE[kind].format(value): 1})
                else:
                    raise NotLinear(f"{name}: unexpected cut value {(kind, value)!r}")
        self.netnames = mod.get("netnames", {})
        self.bounds: dict = {}  # cell -> upper bound of its value
        self.operands: dict = {}  # cell -> (constant, atoms) of its operands' sum

    def scores(self, num_classes: int) -> list:
        out = []
        for c in range(num_classes):
            net = self.netnames.get(f"score{c}")
            if net is None:
                raise NotLinear(f"{self.name}: no wire score{c}")
            out.append(self.linear(net["bits"]))
        return out

    # The score logic is a tree of unsigned $add cells (plus "| 0" and $pos) over single bits; the
    # 6:3 counter tree passes single bits of a counter's output to different consumers (bit 0 into
    # the next counter of its column, bits 1 and 2 into the next columns). The score is therefore
    # expanded top-down into weighted atoms (variables and single cell-output bits), and a cell is
    # folded back into its operands once every consumer of its bits has been expanded: its bits must
    # appear with weights w * 2**k for every k below the bit length of its upper bound, which is
    # exactly w times its value when the cell cannot overflow (upper bound < 2**its width). A cell that
    # may wrap (its carry out is dropped, as the emitter does in the top columns) is folded only when
    # all its bits appear and the dropped carry's weight w * 2**width(cell) is a multiple of
    # 2**(score width): the sum then stays congruent to the score modulo 2**(score width), and the
    # final sum must provably fit the score's width, so it is the score. Anything else raises
    # NotLinear (and the BDD fallback decides).
    def linear(self, bits: list) -> tuple[int, dict]:
        """The exact integer value of a score word as (constant, {var: count})."""
        width = len(bits)
        const, atoms = self.expand(bits)
        for cname in self.fold_order(atoms):
            y_len = len(_word(self.cells[cname]))
            weights = {k: atoms.pop(("bit", cname, k)) for k in range(y_len) if ("bit", cname, k) in atoms}
            bound = self.upper_bound(cname)
            wraps = bound >= 1 << y_len
            # exact: value == sum of operands and bits above the bound's length are always 0. Wrapping,
            # or high bits left unread (the emitter drops a counter's bits at or above the score width):
            # the bits read are the low ``used`` bits of the value, so the sum stays congruent when the
            # dropped part (scale * 2**used) vanishes modulo 2**width
            needed = min(y_len, bound.bit_length())
            if not needed:
                continue  # always 0
            used = needed if _whole_scale(weights, needed) is not None else len(weights)
            scale = _whole_scale(weights, used) if used else None
            if scale is None:
                raise NotLinear(f"{self.name}: signal is not a weighted sum of whole cell values ({cname})")
            if used < needed and (scale << used) % (1 << width):
                raise NotLinear(f"{self.name}: signal is not a weighted sum of whole cell values ({cname}: {used} of "
                                f"its {needed} bits read, and the rest is not a multiple of 2**{width})")
            if wraps and (scale << used) % (1 << width):
                raise NotLinear(f"{self.name}: {cname} can overflow its {y_len} bits (bound {bound})")
            c_const, c_atoms = self.cell_operands(cname)
            const += scale * c_const
            for atom, weight in c_atoms.items():
                atoms[atom] = atoms.get(atom, 0) + scale * weight
        if any(atom[0] != "var" for atom in atoms):
            raise NotLinear(f"{self.name}: cell bits left over after folding")
        terms = {atom[1]: weight for atom, weight in atoms.items()}
        # Every fold kept the score congruent modulo 2**width; a sum whose maximum fits is the score.
        if const + sum(terms.values()) >= 1 << width:
            raise NotLinear(f"{self.name}: the score can overflow its {width} bits")
        return const, terms

    def fold_order(self, atoms: dict) -> list:
        """Cells reachable from the atoms, consumers before producers (Kahn's order from the top)."""
        deps: dict = {}  # reachable cell -> the cells driving its operands
        stack = [a[1] for a in atoms if a[0] == "bit"]
        while stack:
            cname = stack.pop()
            if cname not in deps:
                deps[cname] = set(self.operand_cells(cname))
                stack.extend(deps[cname])
        consumers = {c: 0 for c in deps}
        for producers in deps.values():
            for d in producers:
                consumers[d] += 1
        ready = sorted(c for c, n in consumers.items() if n == 0)
        order = []
        while ready:
            cname = ready.pop()
            order.append(cname)
            for d in sorted(deps[cname]):
                consumers[d] -= 1
                if consumers[d] == 0:
                    ready.append(d)
        return order

    def operand_cells(self, cname: str) -> list:
        return sorted({atom[1] for atom in self.cell_operands(cname)[1] if atom[0] == "bit"})

    def expand(self, bits: list) -> tuple[int, dict]:
        """(constant, {atom: weight}) of an unsigned word, LSB first; atoms ("var", name) or ("bit", cell, k)."""
        const, atoms = 0, {}
        for i, bit in enumerate(bits):
            if bit == "1":
                const += 1 << i
            elif bit == "0":
                continue
            elif not isinstance(bit, int):
                raise NotLinear(f"{self.name}: undefined bit {bit!r} in the score logic")
            elif bit in self.source:
                c, terms = self.source[bit]
                const += c << i
                for var, count in terms.items():
                    atoms[("var", var)] = atoms.get(("var", var), 0) + (count << i)
            elif bit in self.driver:
                key = ("bit",) + self.driver[bit]
                atoms[key] = atoms.get(key, 0) + (1 << i)
            else:
                raise NotLinear(f"{self.name}: bit {bit} has no supported driver")
        return const, atoms

    def cell_operands(self, cname: str) -> tuple[int, dict]:
        """A supported cell's value as the exact sum of its operands' atoms (overflow checked by the caller).
        Cached: read-only for the callers."""
        if cname not in self.operands:
            self.operands[cname] = self._cell_operands(cname)
        return self.operands[cname]

    def _cell_operands(self, cname: str) -> tuple[int, dict]:
        cell = self.cells[cname]
        kind, params, conn = cell["type"], cell.get("parameters", {}), cell["connections"]
        if any(_param(params, key) for key in ("A_SIGNED", "B_SIGNED")):
            raise NotLinear(f"{self.name}: signed arithmetic in {cname}")
        if kind == "$pos":
            return self.expand(conn["A"])
        if kind in ("CARRY4", SUM_CELL):  # compile --popcount carry4/ccu2c: a carry chain's value
            try:
                terms = cell["terms"] if kind == SUM_CELL else carry4_terms(cname, cell, self.cells, self.lut_driver)
            except NotCarrySum as exc:
                raise NotLinear(f"{self.name}: {exc}") from None
            const, atoms = 0, {}
            for bit, weight in terms:
                c, found = self.expand([bit])
                const += weight * c
                for atom, count in found.items():
                    atoms[atom] = atoms.get(atom, 0) + weight * count
            return const, atoms
        if kind not in ("$add", "$or"):
            raise NotLinear(f"{self.name}: cell type {kind} ({cname}) in the score logic")
        (a_const, a_atoms), (b_const, b_atoms) = self.expand(conn["A"]), self.expand(conn["B"])
        if kind == "$or" and (a_const or a_atoms) and (b_const or b_atoms):
            raise NotLinear(f"{self.name}: {cname} is an OR of two non-zero values")
        for atom, weight in b_atoms.items():
            a_atoms[atom] = a_atoms.get(atom, 0) + weight
        return a_const + b_const, a_atoms

    def upper_bound(self, cname: str) -> int:
        """An upper bound of a cell's value from its operands' bits (a bit of a cell bounded below 2**k is 0)."""
        if cname in self.bounds:
            if self.bounds[cname] is None:  # reached again while bounding it: a loop through the cell
                raise NotLinear(f"{self.name}: {cname} reads its own value")
            return self.bounds[cname]
        self.bounds[cname] = None
        const, atoms = self.cell_operands(cname)
        bound = const
        per_cell: dict = {}
        for atom, weight in atoms.items():
            if atom[0] == "var":
                bound += weight
            else:
                per_cell.setdefault(atom[1], {})[atom[2]] = weight
        for d, weights in per_cell.items():
            d_bound = self.upper_bound(d)
            live = {k: w for k, w in weights.items() if d_bound >> k}  # higher bits are always 0
            # Bits read as one whole value w * (bit0 + 2 bit1 + ...) are at most w * d_bound.
            scale = _whole_scale(live, d_bound.bit_length())
            bound += scale * d_bound if scale is not None else sum(live.values())
        self.bounds[cname] = bound
        return bound


def _word(cell: dict) -> list:
    """The bits of a cell's value, LSB first: Y, or the O of a CARRY4."""
    return cell["connections"].get("O" if cell["type"] == "CARRY4" else "Y", [])


def _whole_scale(weights: dict, bits: int) -> int | None:
    """w when ``weights`` holds bits 0..bits-1 of one value at weights w * 2**k (a whole value, scaled)."""
    scale = weights.get(0)
    if scale is None or any(weights.get(k) != scale << k for k in range(bits)):
        return None
    return scale


def _param(params: dict, key: str) -> int:
    value = params.get(key, 0)
    if isinstance(value, str):
        return int(value, 2) if value and set(value) <= {"0", "1"} else 0
    return int(value)


def format_sum(item: tuple[int, dict]) -> str:
    """A sum as a step's detail shows it: the constant and the first four terms."""
    const, terms = item
    parts = [f"{count}*{var}" if count != 1 else var for var, count in sorted(terms.items())[:4]]
    more = f" + ... ({len(terms)} variables)" if len(terms) > 4 else ""
    return " + ".join([str(const)] + parts) + more

