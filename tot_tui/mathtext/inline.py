"""One-line forms: scripts as Unicode superscripts/subscripts, fractions as a/b, roots as √x.

These work on already-rendered strings; layout.py decides when to use them.
"""

from __future__ import annotations

from tot_tui.mathtext import symbols as sym
from tot_tui.mathtext.block import text_width


def convert(text: str, table: dict[str, str]) -> str | None:
    """`text` with every character in `table`'s form, or None if one has no such form."""
    out: list[str] = []
    for ch in text:
        mapped = table.get(ch)
        if mapped is None:
            return None
        out.append(mapped)
    return "".join(out)


def is_wrapped(text: str) -> bool:
    """Whether `text` is one parenthesised whole, like "(a+b)" (not "(a)(b)")."""
    if not (text.startswith("(") and text.endswith(")")):
        return False
    depth = 0
    for k, ch in enumerate(text):
        depth += (ch == "(") - (ch == ")")
        if depth == 0 and k < len(text) - 1:
            return False
    return depth == 0


def parenthesise(text: str) -> str:
    return text if is_wrapped(text) else f"({text})"


def script(text: str, marker: str) -> str:
    """A superscript (marker "^") or subscript ("_") as Unicode where every character has a
    form, else as ^x, ^(a+b)."""
    table = sym.SUPERSCRIPTS if marker == "^" else sym.SUBSCRIPTS
    converted = convert(text, table)
    if converted is not None:
        return converted
    return marker + (text if text_width(text) == 1 else parenthesise(text))


def root_sign(index: str) -> str:
    """√, ∛, ∜, or the index as a superscript before √ (ⁿ√), or (index)√."""
    if index in sym.ROOTS:
        return sym.ROOTS[index]
    raised = convert(index, sym.SUPERSCRIPTS)
    return (raised if raised is not None else parenthesise(index)) + sym.ROOTS[""]


def vulgar_fraction(num: str, den: str) -> str | None:
    """½, ¾, … where Unicode has one character for num/den."""
    return sym.VULGAR_FRACTIONS.get((num, den))


def join_rows(rows: list[str]) -> str:
    """Rows of an environment on one line: separated by "; ", or by a space after a row that
    already ends in punctuation."""
    out = ""
    for row in rows:
        if not row.strip():
            continue
        if out:
            out += " " if out.rstrip()[-1:] in (",", ";", ".") else "; "
        out += row.strip()
    return out
