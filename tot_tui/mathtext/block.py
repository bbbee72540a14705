"""2-D boxes of text: the geometry of display math (fractions, matrices, braces, frames).

A Box is a rectangle of lines, all padded to the same width in terminal columns, with a
baseline: the line that lines up with the text beside it (a fraction's bar, a matrix's middle
row). Nothing here knows LaTeX.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from tot_tui.mathtext import symbols as sym


def text_width(text: str) -> int:
    """Terminal columns of `text`: combining marks take none, East Asian wide characters two."""
    width = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


@dataclass(frozen=True, slots=True)
class Box:
    lines: tuple[str, ...]
    baseline: int
    width: int

    @classmethod
    def of(cls, text: str) -> Box:
        """One line of text."""
        return cls((text,), 0, text_width(text))

    @classmethod
    def blank(cls, width: int, height: int = 1, baseline: int = 0) -> Box:
        return cls((" " * width,) * height, baseline, width)

    @property
    def height(self) -> int:
        return len(self.lines)

    @property
    def depth(self) -> int:
        """Lines below the baseline."""
        return self.height - self.baseline - 1


def _align(line: str, line_width: int, width: int, align: str) -> str:
    spare = width - line_width
    if align == "l":
        return line + " " * spare
    if align == "r":
        return " " * spare + line
    left = spare // 2
    return " " * left + line + " " * (spare - left)


def widen(box: Box, width: int, align: str = "c") -> Box:
    """`box` padded to `width` columns, placed left ("l"), right ("r") or centred ("c")."""
    if width <= box.width:
        return box
    return Box(tuple(_align(line, box.width, width, align) for line in box.lines),
               box.baseline, width)


def deepen(box: Box, above: int, below: int) -> Box:
    """`box` with blank lines added so that `above` lines are over its baseline and `below`
    under it."""
    top = above - box.baseline
    bottom = below - box.depth
    if top <= 0 and bottom <= 0:
        return box
    blank = " " * box.width
    lines = (blank,) * max(0, top) + box.lines + (blank,) * max(0, bottom)
    return Box(lines, box.baseline + max(0, top), box.width)


def hcat(boxes: Sequence[Box]) -> Box:
    """Boxes side by side, their baselines on one line."""
    if not boxes:
        return Box.of("")
    if len(boxes) == 1:
        return boxes[0]
    above = max(box.baseline for box in boxes)
    below = max(box.depth for box in boxes)
    tall = [deepen(box, above, below) for box in boxes]
    lines = tuple("".join(box.lines[row] for box in tall) for row in range(above + below + 1))
    return Box(lines, above, sum(box.width for box in boxes))


def vstack(boxes: Sequence[Box], baseline: int, align: str = "c") -> Box:
    """Boxes one under another, aligned within the widest; `baseline` is a line index."""
    width = max(box.width for box in boxes)
    lines: list[str] = []
    for box in boxes:
        lines.extend(widen(box, width, align).lines)
    return Box(tuple(lines), baseline, width)


def fraction(num: Box, den: Box) -> Box:
    """Numerator over a bar over denominator, centred; the bar is the baseline."""
    width = max(num.width, den.width)
    return vstack([num, Box.of(sym.FRACTION_BAR * width), den], baseline=num.height)


def stacked(top: Box, bottom: Box) -> Box:
    """Two boxes with a blank line between them as the baseline (a binomial)."""
    width = max(top.width, bottom.width)
    return vstack([top, Box.blank(width), bottom], baseline=top.height)


def limits(base: Box, above: Box | None, below: Box | None) -> Box:
    """Scripts centred over and under a large operator (Σ, lim)."""
    parts = [box for box in (above, base, below) if box is not None]
    return vstack(parts, baseline=(above.height if above else 0) + base.baseline)


def side_scripts(base: Box, sup: str, sub: str) -> Box:
    """Scripts beside a tall base: the superscript at its top, the subscript at its bottom."""
    width = max(text_width(sup), text_width(sub))
    column = [" " * width] * base.height
    column[0] = _align(sup, text_width(sup), width, "l")
    if sub:
        column[-1] = _align(sub, text_width(sub), width, "l")
    return hcat([base, Box(tuple(column), base.baseline, width)])


def frame(box: Box) -> Box:
    """A box drawn around `box`, one space inside."""
    f = sym.FRAME
    edge = f["horizontal"] * (box.width + 2)
    lines = (f["top_left"] + edge + f["top_right"],
             *(f"{f['vertical']} {line} {f['vertical']}" for line in box.lines),
             f["bottom_left"] + edge + f["bottom_right"])
    return Box(lines, box.baseline + 1, box.width + 4)


def delimiter(glyph: str, height: int, middle: int) -> Box:
    """A delimiter `height` lines tall (`middle` is where a brace points)."""
    if not glyph:
        return Box(("",) * height, middle, 0)
    if height == 1:
        return Box.of(glyph)
    pieces = sym.TALL_DELIMITERS.get(glyph)
    if pieces is None:  # no tall form: the glyph once, on the middle line
        column = [" "] * height
        column[middle] = glyph
    else:
        top, extension, centre, bottom = pieces
        column = [extension] * height
        column[0], column[-1] = top, bottom
        if centre and height >= 3:
            column[min(max(middle, 1), height - 2)] = centre
    return Box(tuple(column), middle, text_width(column[0]))


def fence(body: Box, left: str, right: str) -> Box:
    """`body` between delimiters as tall as it is."""
    middle = body.baseline
    return hcat([delimiter(left, body.height, middle), body,
                 delimiter(right, body.height, middle)])


def grid(rows: Sequence[Sequence[Box] | None], aligns: Sequence[str],
         seps: Sequence[str]) -> Box:
    """Cells in columns: each column as wide as its widest cell and aligned as `aligns` says
    ("l", "c", "r"); `seps[k]` stands before column k (and `seps[-1]` after the last). In each
    row the cells share a baseline. A row of None is a horizontal rule. The baseline is the
    middle line."""
    columns = max((len(row) for row in rows if row is not None), default=0)
    widths = [0] * columns
    for row in rows:
        for k, cell in enumerate(row or ()):
            widths[k] = max(widths[k], cell.width)
    total = sum(widths) + sum(text_width(sep) for sep in seps[: columns + 1])
    lines: list[str] = []
    for row in rows:
        if row is None:
            lines.append(sym.ROW_RULE * total)
            continue
        cells = list(row) + [Box.of("")] * (columns - len(row))
        above = max(cell.baseline for cell in cells)
        below = max(cell.depth for cell in cells)
        parts: list[Box] = []
        for k, cell in enumerate(cells):
            sep = seps[k]
            parts.append(Box((sep,) * (above + below + 1), above, text_width(sep)))
            parts.append(deepen(widen(cell, widths[k], aligns[k]), above, below))
        tail = seps[columns]
        parts.append(Box((tail,) * (above + below + 1), above, text_width(tail)))
        lines.extend(hcat(parts).lines)
    return Box(tuple(lines), (len(lines) - 1) // 2, total)


def insert_blank_line(box: Box, index: int) -> Box:
    """`box` with a blank line inserted before line `index`, which becomes the baseline."""
    lines = (*box.lines[:index], " " * box.width, *box.lines[index:])
    return Box(lines, index, box.width)
