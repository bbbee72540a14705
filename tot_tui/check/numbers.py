"""R7 (exact vs rounded decimals) and the magnitude estimates of S3. Imports sympy."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import sympy as sp

from .errors import CheckError
from .limits import MAX_FACTORIAL, MAX_POW_DIGITS, MAX_SYMBOLIC_EXP

MIN_SIG_DIGITS = 6  # R7.2


def is_terminating(x: Any) -> bool:
    """R7.1: a rational whose reduced denominator is 2^a * 5^b."""
    if not x.is_Rational:
        return False
    q = int(x.q)
    for p in (2, 5):
        while q % p == 0:
            q //= p
    return q == 1


def rounds_to(value: Fraction, n: int, ulp: Fraction, gold: Any) -> bool:
    """R7.2: the literal has >= 6 significant digits and |value - gold| <= ulp/2."""
    if n < MIN_SIG_DIGITS:
        return False
    v = sp.Rational(value.numerator, value.denominator)
    half = sp.Rational(ulp.numerator, ulp.denominator) / 2
    if gold.is_Rational:
        return bool(abs(v - gold) <= half)
    mag = 0
    try:
        av = abs(value)
        if av:
            mag = max(0, int(math.log10(av)) + 1)
    except (ValueError, OverflowError):
        mag = 0
    diff = (v - gold).evalf(n + mag + 15)
    if not diff.is_real:
        return False
    return bool(abs(diff) <= half)


def _weight(b: Any) -> float:
    """Rough log10 size of a base, for estimating digits of b**e (S3)."""
    if b.is_Rational:
        return math.log10(abs(int(b.p)) + 1) + math.log10(int(b.q) + 1)
    w = 1.0
    for a in b.atoms(sp.Rational):
        w += math.log10(abs(int(a.p)) + 1) + math.log10(int(a.q) + 1)
    return w


def _magnitude(e: Any) -> float:
    try:
        v = complex(e.evalf(15))
    except (TypeError, ValueError, OverflowError):
        raise CheckError("too_big", "exponent not evaluable") from None
    m = abs(v)
    if math.isnan(m) or math.isinf(m):
        raise CheckError("too_big", "infinite exponent")
    return m


def safe_pow(b: Any, e: Any) -> Any:
    """b**e, refusing what would need more than MAX_POW_DIGITS digits or a huge degree."""
    if e.free_symbols:
        return sp.Pow(b, e)
    if b.free_symbols:
        if _magnitude(e) > MAX_SYMBOLIC_EXP:
            raise CheckError("too_big", "symbolic exponent too large")
        return sp.Pow(b, e)
    if b in (sp.S.Zero, sp.S.One) or b == -1:
        return sp.Pow(b, e)
    m = _magnitude(e)
    if m > 1 and m * _weight(b) > MAX_POW_DIGITS:
        raise CheckError("too_big", "power too large")
    return sp.Pow(b, e)


def bounded_int_arg(x: Any, what: str) -> None:
    """Argument of !, Gamma, top of binom: at most MAX_FACTORIAL when numeric."""
    if x.free_symbols:
        return
    try:
        m = _magnitude(x)
    except CheckError:
        raise CheckError("too_big", what) from None
    if m > MAX_FACTORIAL:
        raise CheckError("too_big", what)
