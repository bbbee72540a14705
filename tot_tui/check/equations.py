"""Equation-of-Thought: read a model's equations, solve them with sympy, pick the answer.

Every line is read on its own. A line is an *equation* when it has one `=` (or a chain
`a = b = c`) and each side parses, with `ast.parse` (which runs nothing), into the whitelist
below; a *condition* when it relates sides with `<`, `>`, `<=`, `>=` or `!=`. Lines starting
with `%` or `#` are comments: condition words in them ("positive", "non-negative", "integer")
apply to the variables they name, or to the answer. Other lines are prose and skipped. A line
that parses as Python but uses anything outside the whitelist (a call, an attribute, a string…)
refuses the whole reply.

Whitelist: number literals (exact: `0.1` is 1/10), names (real symbols; `pi` is π), `+ - * /`,
`**` (also `^`), unary `+ -`, brackets, `sqrt(·)` and `abs(·)`. Text clean-up before parsing:
`×·÷−`, `²³`, `√`, `≤≥≠`, `25%`, `1,000`, `2x` and `)(` (implicit products), list numbers and
bullets, a label before `:`, and code fences.
"""

from __future__ import annotations

import ast
import itertools
import math
import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import sympy as sp

from ..domain import Derived, DerivedStatus
from .derive import (
    MAX_EQ_EXPONENT,
    MAX_EQUATIONS,
    MAX_LINE,
    MAX_LITERAL_DIGITS,
    MAX_NESTING,
    MAX_POLY_DEGREE,
    MAX_POW_DIGITS,
    bracket_depth,
    quote,
)

KIND = "equations"
ANSWER_NAMES = ("ans", "answer", "final_answer", "result")
MAX_AST_DEPTH = 100  # nodes from a side's root (unary chains have no brackets)
MAX_SHOWN = 3  # values listed in an ambiguous reason

Expr = Any  # a sympy expression (sympy has no type information)


class Unreadable(Exception):
    """A line parsed as Python but is outside the whitelist: the reply is refused."""


# -- text clean-up ------------------------------------------------------------------------------
_REPLACE = (
    ("\\cdot", "*"),
    ("\\times", "*"),
    ("\\div", "/"),
    ("\\leq", "<="),
    ("\\geq", ">="),
    ("\\le", "<="),
    ("\\ge", ">="),
    ("\\neq", "!="),
    ("\\ne", "!="),
    ("\\%", "%"),
    ("\\(", " "),
    ("\\)", " "),
    ("\\[", " "),
    ("\\]", " "),
    ("$", " "),
    ("`", " "),
    ("×", "*"),
    ("·", "*"),
    ("⋅", "*"),
    ("∙", "*"),
    ("÷", "/"),
    ("−", "-"),
    ("–", "-"),
    ("—", "-"),
    ("²", "**2"),
    ("³", "**3"),
    ("≤", "<="),
    ("≥", ">="),
    ("≠", "!="),
    ("^", "**"),
)
_BULLET = re.compile(r"^(?:\(?\d{1,3}[.)]\s+|\(\d{1,3}\)\s*|[-*•]\s+)")
_SQRT_SIGN = re.compile(r"√\s*(\d+(?:\.\d+)?|[A-Za-z_]\w*)")
_PERCENT = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*%")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_IMPLICIT_NUM = re.compile(r"(?<![\w.])(\d+(?:\.\d*)?)(?![eE][+-]?\d)\s*(?=[A-Za-z_(])")
_IMPLICIT_CLOSE = re.compile(r"\)\s*(?=[\w(])")
_DIGIT_RUN = re.compile(r"\d+")
_RELATION = re.compile(r"<=|>=|!=|==|=|<|>")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_FENCE = re.compile(r"^\s*(```|~~~)")
_TRIGGER = re.compile(r"^\s*system of (?:linear )?equations\b", re.IGNORECASE)


def _clean(line: str) -> tuple[str, str]:
    """(the line as Python-ish text, the text of an inline comment on it)."""
    s = line.strip()
    s = _BULLET.sub("", s, count=1)
    if ":" in s:
        head, tail = s.rsplit(":", 1)
        if "=" not in head and "<" not in head and ">" not in head:
            s = tail
    for a, b in _REPLACE:
        s = s.replace(a, b)
    comment = ""
    if "#" in s:
        s, comment = s.split("#", 1)
    s = _PERCENT.sub(r"(\1/100)", s)
    if "%" in s:
        s, more = s.split("%", 1)
        comment = f"{more} {comment}".strip()
    s = _SQRT_SIGN.sub(r"sqrt(\1)", s).replace("√", "sqrt")
    s = _THOUSANDS.sub("", s)
    s = _IMPLICIT_NUM.sub(r"\1*", s)
    s = _IMPLICIT_CLOSE.sub(")*", s)
    s = s.strip().rstrip(".,;").strip()
    return s, comment


# -- sides: ast to sympy --------------------------------------------------------------------------
_SQRT_NAMES = {"sqrt"}
_ABS_NAMES = {"abs", "Abs"}
_PI_NAMES = {"pi", "π"}
_BINOPS = {
    ast.FloorDiv: "floor division (//)",
    ast.Mod: "the remainder operator (%)",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitAnd: "&",
    ast.BitXor: "^",
}
_NODE_NAMES = {
    ast.Call: "a function call",
    ast.Attribute: "attribute access (a dot)",
    ast.Subscript: "indexing ([...])",
    ast.Lambda: "a lambda",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a comprehension",
    ast.List: "a list",
    ast.Dict: "a dictionary",
    ast.Set: "a set",
    ast.JoinedStr: "text",
    ast.IfExp: "if/else",
    ast.BoolOp: "and/or",
    ast.Compare: "a comparison",
    ast.Starred: "*",
    ast.NamedExpr: ":=",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Slice: "a slice",
}


@dataclass
class _Builder:
    src: str
    symbols: dict[str, Expr] = field(default_factory=dict)

    def symbol(self, name: str) -> Expr:
        if name.startswith("__"):
            raise Unreadable(f"the name {quote(name, 30)}")
        if name in _PI_NAMES:
            return sp.pi
        sym = self.symbols.get(name)
        if sym is None:
            sym = self.symbols[name] = sp.Symbol(name, real=True)
        return sym

    def build(self, node: ast.AST, depth: int = 0) -> Expr:
        if depth > MAX_AST_DEPTH:
            raise Unreadable("nesting too deep")
        if isinstance(node, ast.Constant):
            return self.number(node)
        if isinstance(node, ast.Name):
            return self.symbol(node.id)
        if isinstance(node, ast.UnaryOp):
            inner = self.build(node.operand, depth + 1)
            if isinstance(node.op, ast.USub):
                return sp.Mul(sp.Integer(-1), inner)
            if isinstance(node.op, ast.UAdd):
                return inner
            raise Unreadable("`not`" if isinstance(node.op, ast.Not) else "`~`")
        if isinstance(node, ast.BinOp):
            return self.binop(node, depth)
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        raise Unreadable(_NODE_NAMES.get(type(node), type(node).__name__))

    def number(self, node: ast.Constant) -> Expr:
        v = node.value
        if isinstance(v, bool) or v is None or v is Ellipsis:
            raise Unreadable(f"the constant {v!r}")
        if isinstance(v, int):
            return sp.Integer(v)
        if isinstance(v, float):
            text = (ast.get_source_segment(self.src, node) or repr(v)).replace("_", "")
            try:
                frac = Fraction(text)
            except (ValueError, ZeroDivisionError):
                frac = Fraction(repr(v))
            return sp.Rational(frac.numerator, frac.denominator)
        if isinstance(v, complex):
            raise Unreadable("an imaginary number")
        raise Unreadable("text (a string)")

    def binop(self, node: ast.BinOp, depth: int) -> Expr:
        op = node.op
        if type(op) in _BINOPS:
            raise Unreadable(_BINOPS[type(op)])
        a = self.build(node.left, depth + 1)
        b = self.build(node.right, depth + 1)
        if isinstance(op, ast.Add):
            return sp.Add(a, b)
        if isinstance(op, ast.Sub):
            return sp.Add(a, sp.Mul(sp.Integer(-1), b))
        if isinstance(op, ast.Mult):
            return sp.Mul(a, b)
        if isinstance(op, ast.Div):
            if b.is_zero:
                raise Unreadable("a division by zero")
            return sp.Mul(a, sp.Pow(b, sp.Integer(-1)))
        if isinstance(op, ast.Pow):
            return power(a, b)
        raise Unreadable(type(op).__name__)

    def call(self, node: ast.Call, depth: int) -> Expr:
        func = node.func
        name = func.id if isinstance(func, ast.Name) else None
        if name not in _SQRT_NAMES | _ABS_NAMES:
            shown = name if name is not None else ast.unparse(func)
            raise Unreadable(f"a call of {quote(shown, 30)}")
        if node.keywords or len(node.args) != 1:
            raise Unreadable(f"{name} with other than one argument")
        arg = self.build(node.args[0], depth + 1)
        if name in _SQRT_NAMES:
            return power(arg, sp.Rational(1, 2))
        return sp.Abs(arg)


def _log10_size(r: Expr) -> float:
    """About how many digits an exact rational's numerator or denominator has."""
    p, q = abs(int(r.p)), int(r.q)
    return max(math.log10(p) if p else 0.0, math.log10(q))


def power(base: Expr, exp: Expr) -> Expr:
    """base ** exp within the size limits (checked before sympy computes anything)."""
    if exp.free_symbols:
        if base.free_symbols or not base.is_number:
            raise Unreadable("a power with an unknown exponent on an unknown base")
        return sp.Pow(base, exp)
    if not exp.is_Rational:
        raise Unreadable("a power whose exponent is not a plain number")
    if exp.q > MAX_POLY_DEGREE:
        raise Unreadable("a root of too high a degree")
    if base.free_symbols:
        if abs(exp) > MAX_POLY_DEGREE:
            raise Unreadable(f"a power of an unknown above {MAX_POLY_DEGREE}")
        return sp.Pow(base, exp)
    if abs(exp) > MAX_EQ_EXPONENT:
        raise Unreadable(f"an exponent above {MAX_EQ_EXPONENT}")
    if base.is_Rational:
        digits = abs(float(exp)) * _log10_size(base)
        if digits > MAX_POW_DIGITS:
            raise Unreadable("a power too large to compute")
    elif base.is_number:
        approx = abs(complex(base.evalf(15)))
        if approx and abs(float(exp)) * abs(math.log10(approx)) > MAX_POW_DIGITS:
            raise Unreadable("a power too large to compute")
    if base.is_zero and exp.is_negative:
        raise Unreadable("a division by zero")
    return sp.Pow(base, exp)


def _parse_side(side: str) -> ast.expr | None:
    """The side's tree, or None when it is not a Python expression (prose)."""
    side = side.strip()
    if not side:
        return None
    try:
        tree = ast.parse(side, mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    body = tree.body
    if isinstance(body, ast.Tuple):  # "So, x" or "Thus x, y": prose with commas
        return None
    return body


# -- reading a reply -----------------------------------------------------------------------------
@dataclass
class _Condition:
    line: int
    op: str
    left: Expr
    right: Expr
    text: str


@dataclass
class _Words:
    """Condition words in a comment (or the problem text) and the names they apply to."""

    positive: bool = False
    nonnegative: bool = False
    integer: bool = False
    names: tuple[str, ...] = ()

    @property
    def any(self) -> bool:
        return self.positive or self.nonnegative or self.integer

    def describe(self) -> str:
        parts = []
        if self.positive:
            parts.append("positive")
        elif self.nonnegative:
            parts.append("non-negative")
        if self.integer:
            parts.append("a whole number")
        return " and ".join(parts)


_POSITIVE = re.compile(r"(?<!non-)(?<!non )(?<!not )\bpositive\b", re.IGNORECASE)
_NONNEG = re.compile(
    r"\bnon-?\s?negative\b|\bnot negative\b|\bcannot be negative\b|\bcan't be negative\b"
    r"|\bnever negative\b|\bnatural numbers?\b|\bwhole numbers?\b",
    re.IGNORECASE,
)
_INTEGER = re.compile(r"\bintegers?\b|\bwhole numbers?\b|\bnatural numbers?\b", re.IGNORECASE)
_STOP = {"a", "an", "i", "is", "it", "of", "or", "and", "the", "to", "in", "be", "as", "at"}


def _words(text: str, symbols: dict[str, Expr]) -> _Words:
    w = _Words(
        positive=bool(_POSITIVE.search(text)),
        nonnegative=bool(_NONNEG.search(text)),
        integer=bool(_INTEGER.search(text)) and not re.search(r"\bnon-?integer", text, re.I),
    )
    if w.any:
        named = [m for m in _WORD.findall(text) if m in symbols and m.lower() not in _STOP]
        w.names = tuple(dict.fromkeys(named))
    return w


@dataclass
class _Reading:
    equations: list[tuple[int, Expr]] = field(default_factory=list)
    conditions: list[_Condition] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    symbols: dict[str, Expr] = field(default_factory=dict)


class _Refuse(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _read(text: str) -> _Reading:
    reading = _Reading()
    for lineno, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or _FENCE.match(stripped):
            continue
        if stripped[0] in "%#":
            reading.comments.append(stripped.lstrip("%#").strip())
            continue
        if _TRIGGER.match(stripped) and "=" not in stripped:
            continue
        if len(raw) > MAX_LINE:
            raise _Refuse(f"Line {lineno} is too long to read as an equation "
                          f"({len(raw)} characters; the limit is {MAX_LINE}).")
        line, comment = _clean(raw)
        if comment:
            reading.comments.append(comment)
        ops = _RELATION.findall(line)
        if not ops:
            continue
        sides = _RELATION.split(line)
        is_eq = all(op in ("=", "==") for op in ops)
        if not is_eq and any(op in ("=", "==") for op in ops):
            continue  # "x = 3 > 2": not a form we read
        if bracket_depth(line) > MAX_NESTING:
            raise _Refuse(f"Line {lineno} is nested too deeply to read: {quote(raw)}")
        long_literal = max((len(m) for m in _DIGIT_RUN.findall(line)), default=0)
        if long_literal > MAX_LITERAL_DIGITS:
            raise _Refuse(f"Line {lineno} has a number with more than {MAX_LITERAL_DIGITS} "
                          f"digits: {quote(raw)}")
        trees = [_parse_side(s) for s in sides]
        if any(t is None for t in trees):
            continue  # prose
        builder = _Builder(line, reading.symbols)
        try:
            exprs = [builder.build(t) for t in trees if t is not None]
        except Unreadable as exc:
            raise _Refuse(f"Line {lineno} is not an equation I can read ({exc}): "
                          f"{quote(raw)}") from None
        if any(e.has(sp.zoo, sp.oo, sp.nan, sp.I) for e in exprs):
            raise _Refuse(f"Line {lineno} is not an equation I can read (it is not a real "
                          f"number): {quote(raw)}")
        if is_eq:
            for a, b in itertools.pairwise(exprs):
                reading.equations.append((lineno, sp.Add(a, sp.Mul(sp.Integer(-1), b))))
            if len(reading.equations) > MAX_EQUATIONS:
                raise _Refuse(f"There are more than {MAX_EQUATIONS} equations to solve.")
        else:
            for op, a, b in zip(ops, exprs, exprs[1:], strict=False):
                reading.conditions.append(_Condition(lineno, op, a, b, quote(line, 40)))
    return reading


# -- solving ---------------------------------------------------------------------------------------
def _is_zero(e: Expr) -> bool | None:
    """Whether a numeric expression is zero; None when it cannot be decided."""
    z = e.is_zero
    if z is not None:
        return bool(z)
    try:
        c = complex(e.evalf(60))
    except (TypeError, ValueError):
        return None
    return bool(abs(c) < 1e-40)


def _sign(e: Expr) -> int | None:
    """-1, 0 or 1 for a real numeric expression; None when it is not real or undecided."""
    if _is_zero(e):
        return 0
    if e.is_positive:
        return 1
    if e.is_negative:
        return -1
    try:
        c = complex(e.evalf(50))
    except (TypeError, ValueError):
        return None
    if abs(c.imag) > 1e-30:
        return None
    return 1 if c.real > 0 else -1


def _substitute_knowns(
    eqs: list[Expr],
) -> tuple[dict[Expr, Expr], list[Expr]] | None:
    """Solve the one-unknown linear equations first (a GSM8K chain is only these), so sympy's
    general solver sees only what is left. None when two of them contradict each other."""
    known: dict[Expr, Expr] = {}
    rest = list(eqs)
    changed = True
    while changed:
        changed = False
        left: list[Expr] = []
        for e in rest:
            if known:
                e = e.xreplace(known)
            free = e.free_symbols
            if not free:
                z = _is_zero(e)
                if z is False:
                    return None
                continue  # 0 = 0, or undecidable numerics: nothing to learn
            if len(free) == 1:
                (s,) = free
                d = e.diff(s)
                if not d.free_symbols and not _is_zero(d):
                    value = -e.xreplace({s: sp.Integer(0)}) / d
                    known[s] = sp.simplify(value) if not value.is_Rational else value
                    changed = True
                    continue
            left.append(e)
        rest = left
    return known, rest


def _maybe_real(v: Expr) -> bool:
    """False only for a value that is certainly not a real number."""
    r = v.is_real
    if r is not None or v.free_symbols:
        return r is not False
    try:
        c = complex(v.evalf(50))
    except (TypeError, ValueError):
        return True
    return abs(c.imag) <= 1e-30 * max(1.0, abs(c.real))


def _solve(eqs: list[Expr], unknowns: list[Expr]) -> list[dict[Expr, Expr]] | None:
    """sympy's solutions (real ones and others), [] when the equations contradict each
    other, None when the solver cannot tell.

    sympy's `solve` returns [] both for a contradiction and when it finds no closed form
    (`x**5 - x - 1 = 0`, even with real symbols), so [] is trusted only for a linear system or
    a Groebner basis of [1]; otherwise the system is solved again with complex symbols (which
    gives CRootOf values) and the caller keeps the real solutions."""
    try:
        raw = sp.solve(eqs, unknowns, dict=True)
    except NotImplementedError:
        raw = None
    if raw:
        return list(raw)
    plain = {u: sp.Dummy(u.name) for u in unknowns}
    back = {v: k for k, v in plain.items()}
    try:
        again = sp.solve([e.xreplace(plain) for e in eqs], [plain[u] for u in unknowns],
                         dict=True)
    except NotImplementedError:
        again = None
    if again:
        return [{k.xreplace(back): v.xreplace(back) for k, v in s.items()} for s in again]
    if _contradiction(eqs, unknowns):
        return []
    found = _eliminate(eqs)
    if found is not None:
        return found
    if raw == [] and not _polynomial(eqs, unknowns):
        return []  # sympy's cases of abs() and roots over the reals: no real solution
    return None


def _eliminate(eqs: list[Expr]) -> list[dict[Expr, Expr]] | None:
    """Substitute away each unknown that some equation gives linearly (`ans = 2*x`), then
    find the roots of the one equation in one unknown that is left (sympy's `solve` on a
    list misses CRootOf roots that it finds for a lone expression). None when that fails."""
    rest = list(eqs)
    chain: list[tuple[Expr, Expr]] = []
    progress = True
    while progress and len(rest) > 1:
        progress = False
        for i, e in enumerate(rest):
            for s in sorted(e.free_symbols, key=lambda t: t.name):
                d = e.diff(s)
                if d.free_symbols or _is_zero(d):
                    continue
                value = sp.expand(s - e / d)
                chain.append((s, value))
                rest = [o.xreplace({s: value}) for j, o in enumerate(rest) if j != i]
                progress = True
                break
            if progress:
                break
    rest = [e for e in rest if e.free_symbols or _is_zero(e) is False]
    if len(rest) != 1 or len(rest[0].free_symbols) != 1:
        return None
    (u,) = rest[0].free_symbols
    try:
        roots = sp.solve(rest[0], u, dict=True)
    except NotImplementedError:
        return None
    if not roots:
        return None
    out = []
    for root in roots:
        sol = dict(root)
        for s, value in reversed(chain):
            sol[s] = value.xreplace(sol)
        out.append(sol)
    return out


def _polynomial(eqs: list[Expr], unknowns: list[Expr]) -> bool:
    try:
        for e in eqs:
            sp.Poly(sp.together(e).as_numer_denom()[0], *unknowns)
    except (sp.PolynomialError, sp.GeneratorsNeeded):
        return False
    return True


def _contradiction(eqs: list[Expr], unknowns: list[Expr]) -> bool:
    try:
        polys = [sp.Poly(sp.together(e).as_numer_denom()[0], *unknowns) for e in eqs]
    except (sp.PolynomialError, sp.GeneratorsNeeded):
        return False
    if all(p.total_degree() <= 1 for p in polys):
        return True  # a linear system: sympy's [] is a proof
    try:
        basis = sp.groebner([p.as_expr() for p in polys], *unknowns, order="grevlex")
    except (sp.PolynomialError, NotImplementedError):
        return False
    return list(basis.exprs) == [1]


def _split_outputs(eqs: list[Expr]) -> tuple[list[Expr], list[tuple[Expr, Expr]]]:
    """Take out each equation that defines an unknown used nowhere else (`ans = x + y`): it
    constrains nothing else, so the rest is solved without it (smaller, and much faster for
    sympy) and the unknown computed afterwards. Returns (the rest, [(unknown, its value)])."""
    rest = list(eqs)
    outputs: list[tuple[Expr, Expr]] = []
    found = True
    while found:
        found = False
        for i, e in enumerate(rest):
            for sym in sorted(e.free_symbols, key=lambda t: t.name):
                if any(sym in o.free_symbols for j, o in enumerate(rest) if j != i):
                    continue
                d = e.diff(sym)
                if d.free_symbols or _is_zero(d) is not False:
                    continue
                outputs.append((sym, sp.expand(sym - e / d)))
                del rest[i]
                found = True
                break
            if found:
                break
    return rest, outputs


def _fmt(v: Expr) -> str:
    """A value as text the checker reads: `42`, `7/2`, `sqrt(2)`, else 10 significant digits."""
    if v.is_Integer:
        return str(int(v))
    if v.is_Rational:
        return f"{int(v.p)}/{int(v.q)}"
    s = str(v)
    if len(s) <= 120 and re.fullmatch(r"[0-9a-z+\-*/() .]*", s) and not re.search(
        r"[a-z]+", s.replace("sqrt", "").replace("pi", "")
    ):
        return s
    return _decimal(v)


def _decimal(v: Expr) -> str:
    f = sp.N(v, 10, chop=True)
    if not f.is_real:
        f = sp.re(f)
    text = str(f)
    if "e" in text or "E" in text:
        return text.replace("E", "e")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _distinct(values: list[Expr]) -> list[Expr]:
    out: list[Expr] = []
    for v in values:
        if not any(v == u or _is_zero(sp.Add(v, sp.Mul(-1, u))) for u in out):
            out.append(v)
    return out


def _meets(cond: _Condition, sol: dict[Expr, Expr]) -> bool:
    a, b = cond.left.xreplace(sol), cond.right.xreplace(sol)
    d = sp.Add(a, sp.Mul(-1, b))
    if d.free_symbols:
        return True  # cannot be judged here: keep the solution
    sign = _sign(d)
    if sign is None:
        return False
    return {
        "<": sign < 0,
        ">": sign > 0,
        "<=": sign <= 0,
        ">=": sign >= 0,
        "!=": sign != 0,
    }[cond.op]


def _meets_words(words: _Words, value: Expr) -> bool:
    if value.free_symbols:
        return True
    sign = _sign(value)
    if sign is None:
        return False
    if words.positive and sign <= 0:
        return False
    if words.nonnegative and sign < 0:
        return False
    if words.integer:
        r = value.is_integer
        if r is None:
            try:
                c = float(value.evalf(30))
            except (TypeError, ValueError):
                return False
            r = abs(c - round(c)) < 1e-12
        if not r:
            return False
    return True


def _derived(status: DerivedStatus, reason: str, value: str | None = None) -> Derived:
    return Derived(KIND, status, value, reason)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def derive_equations(text: str, context: str = "") -> Derived:
    try:
        reading = _read(text)
    except _Refuse as exc:
        return _derived(DerivedStatus.REFUSED, exc.reason)
    if not reading.equations:
        return _derived(DerivedStatus.REFUSED, "No equations were found in the reply.")
    symbols = reading.symbols
    by_lower = {name.lower(): name for name in symbols}
    target_name = next((by_lower[n] for n in ANSWER_NAMES if n in by_lower), None)
    if target_name is None:
        return _derived(
            DerivedStatus.REFUSED,
            "The equations do not say which quantity is the answer (no `ans = ...`).",
        )
    target = symbols[target_name]
    n_eq = len(reading.equations)

    pre = _substitute_knowns([e for _, e in reading.equations])
    if pre is None:
        return _derived(DerivedStatus.NO_SOLUTION, "The equations contradict each other.")
    known, rest = pre
    rest, outputs = _split_outputs(rest)
    if rest:
        unknowns = sorted(set().union(*(e.free_symbols for e in rest)), key=lambda s: s.name)
        if target in unknowns:
            unknowns.remove(target)
            unknowns.insert(0, target)
        raw = _solve(rest, unknowns)
        if raw is None:
            return _derived(
                DerivedStatus.FAILED, "The solver could not find the solutions of these equations."
            )
        if not raw:
            return _derived(DerivedStatus.NO_SOLUTION, "The equations contradict each other.")
        solutions = [{**known, **s} for s in raw]
    else:
        solutions = [dict(known)]
    for sol in solutions:
        for sym, expr in reversed(outputs):
            sol[sym] = expr.xreplace(sol)

    def value_of(sym: Expr, sol: dict[Expr, Expr]) -> Expr:
        v = sym.xreplace(sol)
        for _ in range(3):  # a solution may name another solved symbol
            if not (v.free_symbols & set(sol)):
                break
            v = v.xreplace(sol)
        return v

    # Non-real solutions are not solutions of a word problem.
    real = [s for s in solutions if all(_maybe_real(v) for v in s.values())]
    if not real:
        return _derived(
            DerivedStatus.NO_SOLUTION, "The equations have no real solution."
        )
    values = [value_of(target, s) for s in real]
    free = [v for v in values if v.free_symbols]
    if free:
        expr = quote(str(free[0]), 40)
        params = ", ".join(sorted(str(s) for s in free[0].free_symbols)[:3])
        return _derived(
            DerivedStatus.UNDERDETERMINED,
            f"The equations do not fix {target_name}: it is {expr} for any {params}.",
        )
    candidates = list(zip(real, values, strict=True))
    before = _distinct(values)

    # Stated conditions: explicit lines, then words in the model's comments.
    stated: list[str] = []
    for cond in reading.conditions:
        stated.append(cond.text)
        candidates = [(s, v) for s, v in candidates if _meets(cond, s)]
    for comment in reading.comments:
        words = _words(comment, symbols)
        if not words.any:
            continue
        names = words.names or (target_name,)
        stated.append(f"{', '.join(names)} {words.describe()}")
        candidates = [
            (s, v) for s, v in candidates
            if all(_meets_words(words, value_of(symbols[n], s)) for n in names)
        ]
    if not candidates:
        shown = ", ".join(_fmt(v) for v in before[:MAX_SHOWN])
        return _derived(
            DerivedStatus.NO_SOLUTION,
            f"No solution meets the stated condition ({'; '.join(stated[:3])}): the "
            f"equations give {target_name} = {shown}.",
        )
    distinct = _distinct([v for _, v in candidates])
    # The problem's own words only break a tie: they may be about another quantity.
    if len(distinct) > 1 and context:
        words = _words(context, {})
        if words.any:
            narrowed = _distinct([v for v in distinct if _meets_words(words, v)])
            if narrowed:
                if len(narrowed) < len(distinct):
                    stated.append(f"the problem says {words.describe()}")
                distinct = narrowed
    if len(distinct) > 1:
        shown = ", ".join(_fmt(v) for v in distinct[:MAX_SHOWN])
        more = "" if len(distinct) <= MAX_SHOWN else f" and {len(distinct) - MAX_SHOWN} more"
        return _derived(
            DerivedStatus.AMBIGUOUS,
            f"The equations give {len(distinct)} values for {target_name} ({shown}{more}) "
            "and no stated condition picks one.",
        )
    value = distinct[0]
    text_value = _fmt(value)
    why = ""
    if len(before) > 1:
        why = f", the only one of {len(before)} solutions with {'; '.join(stated[:3])}"
    return _derived(
        DerivedStatus.SOLVED,
        f"Solved {_plural(n_eq, 'equation')}: {target_name} = {text_value}{why}.",
        text_value,
    )
