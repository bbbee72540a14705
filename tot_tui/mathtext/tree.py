"""The math tree: what `parse` makes of a span and `layout` draws. No pylatexenc type gets past
the parser, so the layout code depends on nothing but these classes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    """The spacing class of a piece of math, as TeX has them (plus explicit space and text)."""

    ORD = "ord"  # letters, digits, symbols
    BIN = "bin"  # binary operators: spaced, unless used as a sign (−5)
    REL = "rel"  # relations and arrows: spaced
    OPEN = "open"
    CLOSE = "close"
    PUNCT = "punct"  # a space after
    FUNC = "func"  # named operators (sin, log, lim): a space before an operand
    BIG = "big"  # large operators (Σ, ∫): a space after
    SPACE = "space"  # explicit spacing (\quad, \,): no other space next to it
    TEXT = "text"  # \text{…}: spaced as ORD, but never an operand


@dataclass(frozen=True, slots=True)
class Atom:
    """One symbol, number, name or explicit space."""

    text: str
    kind: Kind = Kind.ORD
    limits: bool = False  # in display math, its scripts go above and below (Σ, lim)


@dataclass(frozen=True, slots=True)
class Group:
    """A braced group: one ordinary piece made of its contents."""

    body: Seq


@dataclass(frozen=True, slots=True)
class Text:
    """Text-mode material (\\text{…}): strings kept exactly, and math inside it ($…$)."""

    parts: tuple[str | Group, ...]


@dataclass(frozen=True, slots=True)
class Frac:
    num: Seq
    den: Seq
    style: str = "auto"  # "auto" (\frac), "display" (\dfrac), "text" (\tfrac: one line)


@dataclass(frozen=True, slots=True)
class Sqrt:
    body: Seq
    index: Seq = ()


@dataclass(frozen=True, slots=True)
class Scripts:
    base: Node
    sup: Seq | None = None
    sub: Seq | None = None


@dataclass(frozen=True, slots=True)
class Fenced:
    """\\left … \\right: delimiters as tall as their contents ("" is the invisible one)."""

    left: str
    body: Seq
    right: str


@dataclass(frozen=True, slots=True)
class Boxed:
    body: Seq


@dataclass(frozen=True, slots=True)
class Binom:
    top: Seq
    bottom: Seq


@dataclass(frozen=True, slots=True)
class Accent:
    """An accent drawn as a combining character after every character of its argument."""

    body: Seq
    mark: str


@dataclass(frozen=True, slots=True)
class Phantom:
    """Blank space as wide as its argument."""

    body: Seq


@dataclass(frozen=True, slots=True)
class Table:
    """An environment of rows and `&`-separated cells (a row of None is a horizontal rule).

    `aligns` and `seps` come from an array's column spec: one of "l", "c", "r" per column, and
    the text between columns (index 0 is before the first column); None means the default gap.
    """

    env: str
    rows: tuple[tuple[Seq, ...] | None, ...]
    aligns: tuple[str, ...] = ()
    seps: tuple[str | None, ...] = ()


Node = (Atom | Group | Text | Frac | Sqrt | Scripts | Fenced | Boxed | Binom | Accent | Phantom
        | Table)
Seq = tuple[Node, ...]
