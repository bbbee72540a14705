"""POLICY R15-R19: type-directed comparison of two built answers.

Returns True (equivalent), False (not) or None (undecided within what we try). Numeric
evaluation may prove two values *different*; equality needs a symbolic proof (R15.2).
"""

from __future__ import annotations

import random
from typing import Any

import sympy as sp

from .answer import Answer, Coll, Eqn, Mat, Order, RSet, Val

Tri = bool | None

_POINTS = 3
_TOL = sp.Float("1e-25")


def any_of(results: list[Tri]) -> Tri:
    if any(r is True for r in results):
        return True
    return None if any(r is None for r in results) else False


def all_of(results: list[Tri]) -> Tri:
    if any(r is False for r in results):
        return False
    return None if any(r is None for r in results) else True


def _num(v: Any) -> complex | None:
    try:
        c = complex(v.evalf(20))
    except (TypeError, ValueError, OverflowError, ZeroDivisionError):
        return None
    if c != c or abs(c) == float("inf"):
        return None
    return c


def _differ_at_points(a: Any, b: Any, syms: list[Any]) -> bool:
    """Random real points prove a != b (never a == b)."""
    rng = random.Random(20240611)
    tried = 0
    for _ in range(_POINTS * 3):
        if tried >= _POINTS:
            break
        pt = {s: sp.Rational(rng.randint(-97, 97), rng.randint(7, 29)) for s in syms}
        va, vb = _num(a.subs(pt)), _num(b.subs(pt))
        if va is None or vb is None:
            continue
        tried += 1
        if abs(va - vb) > 1e-9 * max(1.0, abs(va), abs(vb)):
            return True
    return False


def same_value(a: Any, b: Any) -> Tri:
    """R15: exact equality of two sympy values."""
    if a == b:
        return True
    if a.has(sp.oo, -sp.oo, sp.zoo, sp.nan) or b.has(sp.oo, -sp.oo, sp.zoo, sp.nan):
        return False
    d = a - b
    if d == 0:
        return True
    if d.is_Rational:
        return False
    syms = sorted(d.free_symbols | a.free_symbols | b.free_symbols, key=str)
    if not syms:
        v = d.evalf(30)
        if v.is_number:
            scale = max(sp.Float(1), abs(a.evalf(30)), abs(b.evalf(30)))
            if abs(v) > _TOL * scale:
                return False
    elif _differ_at_points(a, b, syms):
        return False
    if sp.expand(d) == 0:
        return True
    for attempt in (lambda: sp.simplify(d), lambda: sp.expand_complex(d)):
        if attempt() == 0:
            return True
    eq = d.equals(0)
    return eq if isinstance(eq, bool) else None


def val_eq(g: Val, p: Val) -> Tri:
    """R11: a percent marker on exactly one side allows X and X/100."""
    if g.pct and p.pct:
        return same_value(g.expr, p.expr)
    if g.pct:
        return any_of([same_value(g.expr, p.expr), same_value(g.alt, p.expr)])
    if p.pct:
        return any_of([same_value(g.expr, p.expr), same_value(g.expr, p.alt)])
    return same_value(g.expr, p.expr)


def eqn_eq(g: Eqn, p: Eqn) -> Tri:
    ga, pa = g.assign, p.assign
    if ga and pa:
        if ga[0] != pa[0]:
            return False  # R16.2
        return same_value(ga[1], pa[1])
    e1, e2 = g.lhs - g.rhs, p.lhs - p.rhs
    if e1 == 0 or e2 == 0:
        return bool(e1 == e2)
    syms = sorted(e1.free_symbols | e2.free_symbols, key=str)
    if {str(s) for s in e1.free_symbols} != {str(s) for s in e2.free_symbols}:
        return False
    # R16.3: one is a non-zero constant multiple of the other
    rng = random.Random(7)
    ratios = []
    for _ in range(6):
        pt = {s: sp.Rational(rng.randint(-97, 97), rng.randint(7, 29)) for s in syms}
        v1, v2 = _num(e1.subs(pt)), _num(e2.subs(pt))
        if v1 is None or v2 is None or abs(v2) < 1e-12:
            continue
        ratios.append(v1 / v2)
    if len(ratios) >= 2 and any(
        abs(r - ratios[0]) > 1e-9 * max(1.0, abs(ratios[0])) for r in ratios
    ):
        return False
    c = sp.simplify(sp.cancel(e1 / e2))
    if not c.free_symbols and c != 0 and c.is_finite:
        return True
    return False if c.free_symbols else None


def _as_set(a: Answer) -> Any | None:
    """A reading of an answer as a subset of the reals, if it has one."""
    if isinstance(a, RSet):
        return a.s
    if isinstance(a, Coll) and a.kind == "tuple" and a.pair:
        x, y = a.items
        if isinstance(x, Val) and isinstance(y, Val) and not x.pct and not y.pct:
            ex, ey = x.expr, y.expr
            real = ex.is_extended_real and ey.is_extended_real
            if real and not ex.free_symbols and not ey.free_symbols:
                return sp.Interval.open(ex, ey)  # R18.5: (a, b) also reads as an interval
    if isinstance(a, Coll) and a.kind == "set":
        vals = []
        for it in a.items:
            if not isinstance(it, Val) or it.expr.free_symbols or not it.expr.is_real:
                return None
            vals.append(it.expr)
        return sp.FiniteSet(*vals)
    return None


def set_eq(s1: Any, s2: Any) -> Tri:
    if s1 == s2:
        return True
    try:
        diff = sp.SymmetricDifference(s1, s2)
        empty = diff.is_empty
    except (TypeError, ValueError):
        return None
    return None if empty is None else bool(empty)


def _unordered(gs: list[Answer], ps: list[Answer]) -> Tri:
    """R18.1: unordered, duplicates ignored; missing or extra elements are wrong."""

    def dedupe(xs: list[Answer]) -> list[Answer]:
        out: list[Answer] = []
        for x in xs:
            if not any(equal(x, y) is True for y in out):
                out.append(x)
        return out

    gd, pd = dedupe(gs), dedupe(ps)
    if len(gd) != len(pd):
        return False
    results = []
    for g in gd:
        results.append(any_of([equal(g, p) for p in pd]))
        if results[-1] is False:
            return False
    for p in pd:
        results.append(any_of([equal(g, p) for g in gd]))
        if results[-1] is False:
            return False
    return all_of(results)


def _ordered(gs: list[Any], ps: list[Any]) -> Tri:
    if len(gs) != len(ps):
        return False
    out: list[Tri] = []
    for g, p in zip(gs, ps, strict=True):
        r = equal(g, p) if not hasattr(g, "free_symbols") else same_value(g, p)
        if r is False:
            return False
        out.append(r)
    return all_of(out)


def _single(a: Answer) -> Answer:
    while isinstance(a, Coll) and a.kind == "list" and len(a.items) == 1:
        a = a.items[0]
    return a


def equal(g: Answer, p: Answer) -> Tri:
    g, p = _single(g), _single(p)
    if isinstance(g, Val) and isinstance(p, Val):
        return val_eq(g, p)
    if isinstance(g, Val) and isinstance(p, Eqn):
        pa = p.assign
        return val_eq(g, Val(pa[1])) if pa else False  # R16.4
    if isinstance(g, Eqn) and isinstance(p, Val):
        ga = g.assign
        return val_eq(Val(ga[1]), p) if ga else False
    if isinstance(g, Eqn) and isinstance(p, Eqn):
        return eqn_eq(g, p)
    if isinstance(g, Coll) and isinstance(p, Coll):
        if g.kind in ("set", "list") and p.kind in ("set", "list"):
            return _unordered(g.items, p.items)
        if g.kind == "tuple" and p.kind == "tuple":
            return _ordered(g.items, p.items)
        if {g.kind, p.kind} == {"tuple", "list"}:
            return _ordered(g.items, p.items)  # R18.4: `1, 3` against `(1, 3)` keeps its order
        if {g.kind, p.kind} == {"tuple", "set"}:
            return False  # R18.4
    if isinstance(g, Order) and isinstance(p, Order):
        return _ordered(g.items, p.items) if g.ops == p.ops else False
    if isinstance(g, Order) or isinstance(p, Order):
        return False
    if isinstance(g, Mat) or isinstance(p, Mat):
        return _matrix_eq(g, p)
    if isinstance(g, RSet) or isinstance(p, RSet):
        s1, s2 = _as_set(g), _as_set(p)
        if s1 is None or s2 is None:
            return False
        return set_eq(s1, s2)
    if isinstance(g, Coll) and g.kind == "set" and not g.items and isinstance(p, Coll):
        return not p.items
    return False


def _matrix_eq(g: Answer, p: Answer) -> Tri:
    def entries(a: Answer) -> tuple[tuple[int, int], list[Any]] | None:
        if isinstance(a, Mat):
            rows = a.rows
            return (len(rows), len(rows[0])), [e for r in rows for e in r]
        if isinstance(a, Coll) and a.kind == "tuple":
            if all(isinstance(x, Val) and not x.pct for x in a.items):
                return (len(a.items), 1), [x.expr for x in a.items]  # R18.3: column vector
        return None

    eg, ep = entries(g), entries(p)
    if eg is None or ep is None:
        return False
    if eg[0] != ep[0]:
        # a one-row matrix against a tuple is also accepted
        if not (sorted(eg[0]) == sorted(ep[0]) and 1 in eg[0]):
            return False
    return _ordered(eg[1], ep[1])
