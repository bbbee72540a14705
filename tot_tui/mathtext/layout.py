"""Draw the math tree: as one line (inline math) or as a 2-D box (display math).

Spacing follows TeX's classes, not the source's white space: a space either side of a relation
(=, ≤, →) and of a binary operator (+, ×) unless it is a sign (−5), one after a comma, none
elsewhere. Scripts, and the parts of a one-line fraction or root, are set tight: (x+1)/(x−2).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from itertools import chain

from tot_tui.mathtext import block, inline
from tot_tui.mathtext import symbols as sym
from tot_tui.mathtext.block import Box
from tot_tui.mathtext.tree import (
    Accent,
    Atom,
    Binom,
    Boxed,
    Fenced,
    Frac,
    Group,
    Kind,
    Node,
    Phantom,
    Scripts,
    Seq,
    Sqrt,
    Table,
    Text,
)


@dataclass(frozen=True, slots=True)
class Style:
    display: bool = False  # 2-D layout allowed
    tight: bool = False  # no spaces around operators and relations
    grid: bool = False  # environments in rows and columns, even when not `display`


INLINE = Style()
DISPLAY = Style(display=True)
TIGHT = Style(tight=True)
# Display math narrowed: rows and columns kept, everything in them on one line.
COMPACT = Style(grid=True)

_SIGN_BEFORE = (None, Kind.BIN, Kind.REL, Kind.OPEN, Kind.PUNCT, Kind.BIG, Kind.FUNC)
_SIGN_AFTER = (None, Kind.REL, Kind.CLOSE, Kind.PUNCT)
_POSTFIX = ("!", "′", "″", "‴")
_STOPS = (".", ",", ";", ":", "!", "?")


def layout(seq: Seq, style: Style) -> Box:
    """`seq` drawn in `style`: one line unless `style.display` (or `style.grid`, for
    environments)."""
    boxes = [_node(node, style, seq, i) for i, node in enumerate(seq)]
    kinds = _resolve_signs([kind_of(node) for node in seq])
    parts: list[Box] = []
    for i, box in enumerate(boxes):
        if i:
            # a name takes its parenthesised argument with no space: sin(x), but lim (a)/b
            text = box.lines[box.baseline]
            call = inline.is_wrapped(text) if isinstance(seq[i], Frac) else text.startswith("(")
            gap = _gap(kinds[i - 1], kinds[i], style.tight, boxes[i - 1], box, call)
            if gap:
                parts.append(Box.of(" " * gap))
        parts.append(box)
    return block.hcat(parts)


def line(seq: Seq, tight: bool = False) -> str:
    """`seq` on one line."""
    return layout(seq, TIGHT if tight else INLINE).lines[0]


def kind_of(node: Node) -> Kind:
    """The spacing class of a node."""
    if isinstance(node, Atom):
        return node.kind
    if isinstance(node, Scripts):
        return kind_of(node.base)
    if isinstance(node, Text):
        return Kind.TEXT
    return Kind.ORD


def _resolve_signs(kinds: list[Kind]) -> list[Kind]:
    """A binary operator with no operand on one side is a sign (−5, x = −1): spaced as ORD."""
    out = list(kinds)
    real = [i for i, kind in enumerate(kinds) if kind is not Kind.SPACE]
    for n, i in enumerate(real):
        if out[i] is not Kind.BIN:
            continue
        before = out[real[n - 1]] if n else None
        after = kinds[real[n + 1]] if n + 1 < len(real) else None
        if before in _SIGN_BEFORE or after in _SIGN_AFTER:
            out[i] = Kind.ORD
    return out


def _gap(a: Kind, b: Kind, tight: bool, left: Box, right: Box, call: bool) -> int:
    """Spaces between two neighbouring pieces of classes a and b (`call`: the right one is a
    parenthesised argument)."""
    if a is Kind.SPACE or b is Kind.SPACE:
        return 0
    gap = 0
    if a is Kind.BIN or b is Kind.BIN:
        gap = 0 if tight else 1
    elif a is Kind.REL or b is Kind.REL:
        if not (a is b or a is Kind.OPEN or b in (Kind.CLOSE, Kind.PUNCT)):
            gap = 0 if tight else 1
    elif a is Kind.PUNCT:
        gap = 0 if tight or b is Kind.CLOSE else 1
    elif a is Kind.FUNC and b in (Kind.ORD, Kind.FUNC, Kind.BIG, Kind.TEXT):
        gap = 0 if call else 1
    elif a is Kind.BIG and b in (Kind.ORD, Kind.FUNC, Kind.BIG, Kind.TEXT):
        gap = 0 if tight else 1
    if (gap == 0 and (left.height > 1 or right.height > 1) and a is not Kind.OPEN
            and b not in (Kind.CLOSE, Kind.PUNCT) and right.lines[0] not in _STOPS):
        gap = 1  # keep a 2-D piece from touching its neighbour
    return gap


# --- one node ------------------------------------------------------------------------------


def _node(node: Node, style: Style, seq: Seq, i: int) -> Box:
    if isinstance(node, Atom):
        return Box.of(node.text)
    if isinstance(node, Group):
        return layout(node.body, style)
    if isinstance(node, Text):
        return Box.of(_text(node, style))
    if isinstance(node, Frac):
        return _fraction(node, style, seq, i)
    if isinstance(node, Sqrt):
        return _root(node, style, seq, i)
    if isinstance(node, Scripts):
        return _scripts(node, style, seq, i)
    if isinstance(node, Fenced):
        body = layout(node.body, style)
        if body.height == 1:
            return Box.of(node.left + body.lines[0] + node.right)
        if body.height % 2 == 0 and (node.left == "{" or node.right == "}"):
            body = block.insert_blank_line(body, body.height // 2)  # a middle for the brace
        return block.fence(body, node.left, node.right)
    if isinstance(node, Boxed):
        if style.display:
            return block.frame(layout(node.body, DISPLAY))
        left, right = sym.BOXED_INLINE
        return Box.of(left + line(node.body, style.tight) + right)
    if isinstance(node, Binom):
        if style.display:
            stack = block.stacked(layout(node.top, DISPLAY), layout(node.bottom, DISPLAY))
            return block.fence(stack, "(", ")")
        return Box.of(f"C({line(node.top)}, {line(node.bottom)})")
    if isinstance(node, Accent):
        text = line(node.body, style.tight)
        return Box.of("".join(ch if unicodedata.combining(ch) else ch + node.mark
                              for ch in text))
    if isinstance(node, Phantom):
        return Box.of(" " * block.text_width(line(node.body)))
    return _table(node, style)


def _text(node: Text, style: Style) -> str:
    return "".join(part if isinstance(part, str) else line(part.body, style.tight)
                   for part in node.parts)


def _unwrap(seq: Seq) -> Seq:
    while len(seq) == 1 and isinstance(seq[0], Group):
        seq = seq[0].body
    return seq


def _is_number(node: Node) -> bool:
    return (isinstance(node, Atom) and node.kind is Kind.ORD
            and any(ch.isdigit() for ch in node.text)
            and all(ch.isdigit() or ch in ".," for ch in node.text))


def _is_simple(seq: Seq, allow_sign: bool = True) -> bool:
    """Whether a one-line fraction part needs no parentheses: one symbol or number (with
    scripts, primes or a factorial), or something already enclosed."""
    seq = _unwrap(seq)
    if allow_sign and len(seq) >= 2 and seq[0] == Atom("−", Kind.BIN):
        seq = seq[1:]
    while len(seq) > 1 and isinstance(seq[-1], Atom) and seq[-1].text in _POSTFIX:
        seq = seq[:-1]
    if len(seq) != 1:
        return False
    node = seq[0]
    if isinstance(node, Atom):
        return node.kind is Kind.ORD
    if isinstance(node, Scripts):
        return isinstance(node.base, Atom) and node.base.kind is Kind.ORD
    if isinstance(node, Text):
        return " " not in _text(node, TIGHT).strip()
    return isinstance(node, Sqrt | Fenced | Boxed | Binom | Accent | Table | Group)


def _neighbour(seq: Seq, i: int) -> Node | None:
    return seq[i] if 0 <= i < len(seq) else None


def _operand_before(node: Node | None) -> bool:
    """Whether `node` ends an operand that a following fraction would multiply."""
    if node is None or isinstance(node, Text):
        return False
    return kind_of(node) in (Kind.ORD, Kind.CLOSE, Kind.FUNC)


def _operand_after(node: Node | None) -> bool:
    """Whether `node` starts an operand that a preceding fraction or root would multiply."""
    if node is None or isinstance(node, Text):
        return False
    if isinstance(node, Atom) and node.text in (*_STOPS, "…"):
        return False
    return kind_of(node) in (Kind.ORD, Kind.OPEN, Kind.FUNC, Kind.BIG)


def _fraction(node: Frac, style: Style, seq: Seq, i: int) -> Box:
    if style.display and node.style != "text":
        return block.fraction(layout(node.num, DISPLAY), layout(node.den, DISPLAY))
    num, den = line(node.num, tight=True), line(node.den, tight=True)
    before = _neighbour(seq, i - 1)
    digits = num.isdigit() and den.isdigit()
    vulgar = inline.vulgar_fraction(num, den) if digits else None
    if vulgar is not None:
        return Box.of(vulgar)
    text = (f"{num if _is_simple(node.num) else inline.parenthesise(num)}/"
            f"{den if _is_simple(node.den, allow_sign=False) else inline.parenthesise(den)}")
    if digits and before is not None and _is_number(before):
        return Box.of(" " + text)  # a mixed number: 3 4/7
    if before is not None and kind_of(before) in (Kind.FUNC, Kind.BIG):
        if _is_simple(node.num) and _is_simple(node.den, allow_sign=False):
            text = f"({text})"  # sin(π/2), not sin π/2
    elif _operand_before(before) or _operand_after(_neighbour(seq, i + 1)):
        text = f"({text})"
    return Box.of(text)


def _root(node: Sqrt, style: Style, seq: Seq, i: int) -> Box:
    sign = inline.root_sign(line(node.index, tight=True))
    if style.display:
        body = layout(node.body, DISPLAY)
        if body.height > 1:
            return block.hcat([Box.of(sign), block.fence(body, "(", ")")])
    radicand = line(node.body, tight=True)
    if inline.is_wrapped(radicand):
        return Box.of(sign + radicand)
    inner = _unwrap(node.body)
    simple = (len(inner) == 1 and isinstance(inner[0], Atom | Accent)
              and kind_of(inner[0]) is Kind.ORD)
    if simple and not _operand_after(_neighbour(seq, i + 1)):
        return Box.of(sign + radicand)
    return Box.of(f"{sign}({radicand})")


def _script_text(seq: Seq | None, marker: str) -> str:
    if seq is None:
        return ""
    return inline.script(line(seq, tight=True), marker)


def _scripts(node: Scripts, style: Style, seq: Seq, i: int) -> Box:
    base = _node(node.base, style, seq, i)
    if style.display and isinstance(node.base, Atom) and node.base.limits:
        above = Box.of(line(node.sup, tight=True)) if node.sup is not None else None
        below = Box.of(line(node.sub, tight=True)) if node.sub is not None else None
        return block.limits(base, above, below)
    sup, sub = _script_text(node.sup, "^"), _script_text(node.sub, "_")
    if base.height == 1:
        return Box.of(base.lines[0] + sub + sup)
    return block.side_scripts(base, sup, sub)


# --- environments --------------------------------------------------------------------------


def _table(node: Table, style: Style) -> Box:
    if style.display or style.grid:
        return _table_block(node, DISPLAY if style.display else COMPACT)
    return Box.of(_table_line(node))


def _table_line(node: Table) -> str:
    rows = [row for row in node.rows if row is not None]
    if node.env in sym.MATRIX_DELIMITERS or node.env == "array":
        left, right = sym.MATRIX_DELIMITERS.get(node.env, ("", ""))
        body = "; ".join(", ".join(line(cell) for cell in row) for row in rows)
        return f"{left}{body}{right}"
    if node.env in sym.CASES_ENVIRONMENTS:
        texts = []
        for row in rows:
            cells = [line(cell) for cell in row]
            joiner = " " if len(row) > 1 and row[1][:1] and isinstance(row[1][0], Text) else ", "
            texts.append(joiner.join(cell for cell in cells if cell))
        return "{" + inline.join_rows(texts) + "}"
    return inline.join_rows([line(tuple(chain.from_iterable(row))) for row in rows])


def _edge_kind(seq: Seq, first: bool) -> Kind | None:
    real = [node for node in seq if kind_of(node) is not Kind.SPACE]
    if not real:
        return None
    return kind_of(real[0] if first else real[-1])


def _aligned_cell(cell: Seq, column: int, style: Style) -> Box:
    """A cell of aligned equations: the relation that starts (or ends) it keeps its space."""
    box = layout(cell, style)
    if column % 2 == 1 and _edge_kind(cell, first=True) in (Kind.REL, Kind.BIN):
        box = block.hcat([Box.of(" "), box])
    if column % 2 == 0 and _edge_kind(cell, first=False) in (Kind.REL, Kind.BIN):
        box = block.hcat([box, Box.of(" ")])
    return box


def _table_block(node: Table, style: Style) -> Box:
    """An environment in rows and columns, its cells laid out in `style`."""
    env = node.env
    columns = max((len(row) for row in node.rows if row is not None), default=0)
    gap = "  "
    if env in sym.ALIGNED_ENVIRONMENTS:
        rows = [None if row is None else [_aligned_cell(cell, k, style)
                                    for k, cell in enumerate(row)]
                for row in node.rows]
        aligns = ["r" if k % 2 == 0 else "l" for k in range(columns)]
        seps = [""] + ["" if k % 2 == 1 else gap for k in range(1, columns)] + [""]
        return block.grid(rows, aligns, seps)
    if env in sym.GATHERED_ENVIRONMENTS:
        rows = [None if row is None else [layout(tuple(chain.from_iterable(row)), style)]
                for row in node.rows]
        return block.grid(rows, ["c"], ["", ""])
    cells = [None if row is None else [layout(cell, style) for cell in row]
             for row in node.rows]
    if env in sym.CASES_ENVIRONMENTS:
        grid = block.grid(cells, ["l"] * columns, [""] + [gap] * (columns - 1) + [""])
        if grid.height % 2 == 0:  # give the brace a middle line to point from
            grid = block.insert_blank_line(grid, grid.height // 2)
        else:
            grid = block.Box(grid.lines, grid.height // 2, grid.width)
        if env == "rcases":
            return block.fence(block.hcat([grid, Box.of(" ")]), "", "}")
        return block.fence(block.hcat([Box.of(" "), grid]), "{", "")
    aligns = list(node.aligns) + ["c"] * (columns - len(node.aligns))
    given = list(node.seps) + [None] * (columns + 1 - len(node.seps))
    seps = [_separator(sep, k, columns) for k, sep in enumerate(given[: columns + 1])]
    grid = block.grid(cells, aligns[:columns], seps)
    left, right = sym.MATRIX_DELIMITERS.get(env, ("", ""))
    return block.fence(grid, left, right)


def _separator(sep: str | None, k: int, columns: int) -> str:
    """What stands before column k of an array or matrix (k == columns: after the last)."""
    outer = k in (0, columns)
    if sep is None:
        return "" if outer else "  "
    if sep.strip(sym.COLUMN_RULE) == "" and sep:  # rules: spaced from the cells
        return sep + " " if k == 0 else (" " + sep if k == columns else f" {sep} ")
    return sep
