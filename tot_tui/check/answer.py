"""Typed answers built from the AST (POLICY §1 step 4: classify each side)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Val:
    """A number or expression. With a percent marker, `expr` is X and `alt` is X/100 (R11)."""

    expr: Any
    pct: bool = False
    alt: Any = None
    shown: str = ""  # the literal as written, for display


@dataclass(slots=True)
class Eqn:
    lhs: Any
    rhs: Any

    @property
    def assign(self) -> tuple[str, Any] | None:
        """(variable, value) when one side is a single variable not used on the other (R16.1)."""
        for a, b in ((self.lhs, self.rhs), (self.rhs, self.lhs)):
            if getattr(a, "is_Symbol", False) and a not in b.free_symbols:
                return str(a), b
        return None


@dataclass(slots=True)
class RSet:
    """A subset of the reals: interval, union, inequality, set-builder (R17)."""

    s: Any


@dataclass(slots=True)
class Coll:
    """kind: "set" (braces), "list" (bare), "tuple" (ordered). `pair` = `(a, b)` (R18.5)."""

    kind: str
    items: list[Any] = field(default_factory=list)
    pair: bool = False


@dataclass(slots=True)
class Mat:
    rows: list[list[Any]]


@dataclass(slots=True)
class Order:
    """`g(3) < g(0) < g(5)`: an ordering of values, written smallest first."""

    items: list[Any]
    ops: list[str]


Answer = Val | Eqn | RSet | Coll | Mat | Order
