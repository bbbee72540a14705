"""Turn the parser's tuple AST into typed answers holding exact sympy objects.

Objects are created by constructor only (Rational, Symbol(name), Add, Pow ...): no string ever
reaches sympify/parse_expr (S1). Limits are checked before each object that sympy would evaluate
eagerly (S3). Decimal literals at component positions are snapped to the gold's exact value when
R7.2 says they round to it, so the comparison afterwards can be exact everywhere.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import sympy as sp

from .answer import Answer, Coll, Eqn, Mat, Order, RSet, Val
from .errors import CheckError
from .lexer import NumLit
from .limits import MAX_ALTERNATIVES, MAX_FACTORIAL
from .numbers import bounded_int_arg, is_terminating, rounds_to, safe_pow
from .parser import free_symbols

Node = tuple[Any, ...]
Lit = tuple[Fraction, int, Fraction]  # value, significant digits, ulp

_FUNCS: dict[str, Any] = {
    "sin": sp.sin, "cos": sp.cos, "tan": sp.tan, "sec": sp.sec, "csc": sp.csc, "cot": sp.cot,
    "arcsin": sp.asin, "arccos": sp.acos, "arctan": sp.atan, "arcsec": sp.asec,
    "arccsc": sp.acsc, "arccot": sp.acot, "sinh": sp.sinh, "cosh": sp.cosh, "tanh": sp.tanh,
    "ln": sp.log, "log": sp.log, "exp": sp.exp, "sqrt": sp.sqrt, "abs": sp.Abs,
}  # fmt: skip
_CONSTS = {"pi": sp.pi, "E": sp.E, "I": sp.I, "oo": sp.oo}
_VAR_ORDER = {"x": 0, "y": 1, "z": 2}
# Right-hand sides that are a whole answer of their own, not a value: `I = (2, 5)`.
_SET_TAGS = ("tuple", "set", "mat", "setb", "reals", "cup", "cap", "setminus")


def _rat(f: Fraction) -> Any:
    return sp.Rational(f.numerator, f.denominator)


def lit_of(node: Node) -> Lit | None:
    """The decimal literal a node is, if it is one (sign, `aEb`, `a\\times10^{b}` included)."""
    tag = node[0]
    if tag == "num":
        lit: NumLit = node[1]
        if lit.rep_digits:
            return None  # repeating decimals are exact values, not rounded ones (R10)
        return lit.value, lit.sig_digits, lit.ulp
    if tag == "neg":
        inner = lit_of(node[1])
        return (-inner[0], inner[1], inner[2]) if inner else None
    if tag in ("group", "brace"):
        return lit_of(node[1])
    if tag == "*" and node[3]:
        a, b = node[1], node[2]
        if a[0] == "num" and not a[1].rep_digits and a[1].exp == 0 and b[0] == "^":
            base, ex = b[1], b[2]
            if ex[0] == "brace":
                ex = ex[1]
            sign = 1
            if ex[0] == "neg":
                sign, ex = -1, ex[1]
            if (
                base[0] == "num" and base[1].is_integer_text and base[1].int_digits == "10"
                and ex[0] == "num" and ex[1].is_integer_text and len(ex[1].int_digits) <= 4
            ):  # fmt: skip
                k = sign * int(ex[1].int_digits)
                m: NumLit = a[1]
                return m.value * Fraction(10) ** k, m.sig_digits, m.ulp * Fraction(10) ** k
    return None


def _signed(lit: Lit, sign: int) -> Lit:
    return (lit[0] * sign, lit[1], lit[2])


def literal_text(node: Node) -> str:
    """A decimal literal as the student wrote it (for display), else ""."""
    if node[0] == "neg":
        inner = literal_text(node[1])
        return "-" + inner if inner else ""
    if node[0] == "num":
        literal: NumLit = node[1]
        return literal.text()
    return ""


def _imag_lit(node: Node) -> Lit | None:
    """`b i`, `i b`, `b \\cdot i` with b a decimal literal."""
    if node[0] == "neg":
        inner = _imag_lit(node[1])
        return (-inner[0], inner[1], inner[2]) if inner else None
    if node[0] == "*":
        a, b = node[1], node[2]
        if b == ("const", "I"):
            return lit_of(a)
        if a == ("const", "I"):
            return lit_of(b)
    return None


def _function_name(node: Node) -> str | None:
    """`f(x)` written as a function application, e.g. on the left of `f(x) = 2x + 1`."""
    if node[0] == "*" and not node[3] and node[1][0] == "sym" and node[2][0] == "group":
        arg = node[2][1]
        if arg[0] == "sym":
            return f"{node[1][1]}({arg[1]})"
        if arg[0] == "num" and arg[1].is_integer_text:
            return f"{node[1][1]}({arg[1].text()})"
        if arg[0] == "neg" and arg[1][0] == "num" and arg[1][1].is_integer_text:
            return f"{node[1][1]}(-{arg[1][1].text()})"
    return None


def _letters(node: Node) -> str | None:
    """`CD`, `PQ`, `ABC`: an implicit product of two or three single letters."""
    if node[0] == "sym" and len(node[1]) == 1:
        return str(node[1])
    if node[0] == "*" and not node[3]:
        a, b = _letters(node[1]), _letters(node[2])
        if a and b and len(a) + len(b) <= 3:
            return a + b
    return None


def name_of(node: Node, *, products: bool = False) -> str | None:
    """The name an equation's side gives a quantity: `x`, `b_2`, `f(x)`, `f'(x)`; with
    `products`, also `CD`, `|PQ|` and `P:Q` (used only against a constant)."""
    if node[0] == "sym":
        return str(node[1])
    fn = _function_name(node)
    if fn is not None:
        return fn
    if products:
        if node[0] == "abs":
            inner = name_of(node[1], products=True)
            return f"|{inner}|" if inner else None
        if node[0] == "ratio":
            a, b = name_of(node[1], products=True), name_of(node[2], products=True)
            return f"{a}:{b}" if a and b else None
        return _letters(node)
    return None


def _functions_as_names(node: Node) -> Node:
    """Replace each `g(x)` / `g(3)` by a symbol named so (inequalities and orderings)."""
    fn = _function_name(node)
    if fn is not None:
        return ("sym", fn)
    if node[0] in ("+", "-", "*", "/", "frac", "^"):
        return (node[0], _functions_as_names(node[1]), _functions_as_names(node[2]), *node[3:])
    if node[0] in ("neg", "group", "brace", "abs"):
        return (node[0], _functions_as_names(node[1]))
    return node


def expand_pm(node: Node) -> list[Node]:
    """Expand every ± into its two readings (R18.1), bounded by MAX_ALTERNATIVES."""
    tag = node[0]
    out: list[Node]
    if tag in ("pm", "mp"):
        out = []
        for a in expand_pm(node[1]):
            for b in expand_pm(node[2]):
                out += [("+", a, b), ("-", a, b)] if tag == "pm" else [("-", a, b), ("+", a, b)]
    elif tag == "pmu":
        out = []
        for a in expand_pm(node[1]):
            out += [a, ("neg", a)]
    elif tag in ("+", "-", "*", "/", "^", "frac", "binom"):
        out = []
        for a in expand_pm(node[1]):
            for b in expand_pm(node[2]):
                out.append((tag, a, b, *node[3:]))
    elif tag in ("neg", "group", "brace", "abs", "!", "!!", "%"):
        out = [(tag, a) for a in expand_pm(node[1])]
    elif tag == "func":
        out = [("func", node[1], a) for a in expand_pm(node[2])]
    elif tag == "sqrt":
        out = [("sqrt", a, node[2]) for a in expand_pm(node[1])]
    else:
        return [node]
    if len(out) > MAX_ALTERNATIVES:
        raise CheckError("too_big", "too many alternatives")
    return out


def _has_pm(node: Any) -> bool:
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, tuple) and n:
            if n[0] in ("pm", "mp", "pmu"):
                return True
            stack.extend(x for x in n[1:] if isinstance(x, tuple))
    return False


class Builder:
    """Builds one side. For the gold side (`snap_to` None) it records `refs`: the gold's
    non-terminating component values that a pred decimal may round to (R7.2)."""

    def __init__(self, snap_to: list[Any] | None = None) -> None:
        self.snap_to = snap_to
        self.refs: list[Any] = []
        self.snapped = False
        self.symbols: dict[str, Any] = {}

    # -- scalars ------------------------------------------------------------------------------
    def _record(self, v: Any) -> None:
        if self.snap_to is not None or v.free_symbols or not v.is_number:
            return
        re_, im_ = v.as_real_imag()
        for part in (re_, im_):
            if part.is_finite and part != 0 and not is_terminating(part) and part.is_real:
                self.refs.append(part)

    def _snap(self, lit: Lit) -> Any:
        value, n, ulp = lit
        if self.snap_to:
            for g in self.snap_to:
                if rounds_to(value, n, ulp, g):
                    self.snapped = True
                    return g
        return _rat(value)

    def component(self, node: Node) -> Any:
        """A value at a component position: a whole answer, an element, an endpoint, an entry,
        or the real/imaginary part of a complex number. Only here may a literal be rounded."""
        lit = lit_of(node)
        if lit is not None:
            v = self._snap(lit)
        elif node[0] in ("+", "-") and self.snap_to:
            a, b = node[1], node[2]
            sign = 1 if node[0] == "+" else -1
            re_l, im_l = lit_of(a), _imag_lit(b)
            im2, re2 = _imag_lit(a), lit_of(b)
            if re_l is not None and im_l is not None:  # a + b i
                v = self._snap(re_l) + self._snap(_signed(im_l, sign)) * sp.I
            elif im2 is not None and re2 is not None:  # b i + a
                v = self._snap(im2) * sp.I + self._snap(_signed(re2, sign))
            else:
                v = self.expr(node)
        else:
            v = self.expr(node)
        self._record(v)
        return v

    def symbol(self, name: str) -> Any:
        s = self.symbols.get(name)
        if s is None:
            s = self.symbols[name] = sp.Symbol(name, real=True)
        return s

    def expr(self, node: Node) -> Any:
        tag = node[0]
        if tag == "num":
            return _rat(node[1].value)
        if tag == "sym":
            return self.symbol(node[1])
        if tag == "const":
            return _CONSTS[node[1]]
        if tag == "neg":
            return -self.expr(node[1])
        if tag in ("group", "brace"):
            return self.expr(node[1])
        if tag == "+":
            return self.expr(node[1]) + self.expr(node[2])
        if tag == "-":
            return self.expr(node[1]) - self.expr(node[2])
        if tag == "*":
            return self.expr(node[1]) * self.expr(node[2])
        if tag in ("/", "frac"):
            den = self.expr(node[2])
            if den == 0:
                raise CheckError("parse_error", "division by zero")
            return self.expr(node[1]) / den
        if tag == "^":
            return safe_pow(self.expr(node[1]), self.expr(node[2]))
        if tag == "mixed":
            return sp.Rational(node[1] * node[3] + node[2], node[3])
        if tag == "base":
            digits, base = node[1], node[2]
            if not 2 <= base <= 36 or any(int(d) >= base for d in digits):
                raise CheckError("parse_error", "digit out of range for its base")
            return sp.Integer(int(digits, base))
        if tag == "ratio":
            den = self.expr(node[2])
            if den == 0:
                raise CheckError("parse_error", "division by zero")
            return self.expr(node[1]) / den
        if tag in ("sum", "prod"):
            return self._bigop(node)
        if tag in ("!", "!!"):
            arg = self.expr(node[1])
            bounded_int_arg(arg, "factorial")
            return sp.factorial(arg) if tag == "!" else sp.factorial2(arg)
        if tag == "%":
            return self.expr(node[1]) / 100
        if tag == "abs":
            return sp.Abs(self.expr(node[1]))
        if tag == "sqrt":
            arg = self.expr(node[1])
            if node[2] is None:
                return sp.sqrt(arg)
            index = self.expr(node[2])
            if index == 0:
                raise CheckError("parse_error", "zeroth root")
            return safe_pow(arg, 1 / index)
        if tag == "binom":
            top, bottom = self.expr(node[1]), self.expr(node[2])
            bounded_int_arg(top, "binomial")
            bounded_int_arg(bottom, "binomial")
            return sp.binomial(top, bottom)
        if tag == "logb":
            arg, base = self.expr(node[1]), self.expr(node[2])
            if base.is_number and (base <= 0 or base == 1):
                raise CheckError("parse_error", "bad logarithm base")
            return sp.log(arg, base)
        if tag == "func":
            name = node[1]
            arg = self.expr(node[2])
            if name == "Gamma":
                bounded_int_arg(arg, "gamma")
                return sp.gamma(arg)
            if name == "exp":
                return safe_pow(sp.E, arg)
            return _FUNCS[name](arg)
        if tag in ("pm", "mp", "pmu"):
            raise CheckError("parse_error", "misplaced ±")
        raise CheckError("parse_error", f"{tag} inside an expression")

    def _bigop(self, node: Node) -> Any:
        """`\\sum_{k=a}^{b}` / `\\prod`: integer bounds, at most MAX_FACTORIAL terms (S3)."""
        tag, var, lo_n, hi_n, body_n = node
        lo, hi = self.expr(lo_n), self.expr(hi_n)
        if not (lo.is_Integer and hi.is_Integer) or abs(hi - lo) > MAX_FACTORIAL:
            raise CheckError("too_big", "bounds of a sum")
        k = self.symbol(var)
        body = self.expr(body_n)
        if any(k in p.exp.free_symbols for p in body.atoms(sp.Pow)):
            raise CheckError("too_big", "index in an exponent")
        terms = [body.subs(k, sp.Integer(i)) for i in range(int(lo), int(hi) + 1)]
        return sp.Add(*terms) if tag == "sum" else sp.Mul(*terms)

    # -- answers ------------------------------------------------------------------------------
    def answer(self, node: Node) -> Answer:
        if node[0] == "list":
            return self._list(node[1], node[2])
        items = self.items(node)
        return items[0] if len(items) == 1 else Coll("list", items)

    def _list(self, nodes: list[Node], seps: list[str]) -> Answer:
        if (
            seps
            and all(s in ("and", "or") for s in seps)
            and all(self._is_setlike(n) for n in nodes)
        ):
            acc = self.rset(nodes[0])
            for sep, n in zip(seps, nodes[1:], strict=True):
                s = self.rset(n)
                acc = sp.Intersection(acc, s) if sep == "and" else sp.Union(acc, s)
            return RSet(acc)
        items: list[Answer] = []
        for n in nodes:
            items.extend(self.items(n))
        eqs = [a.assign if isinstance(a, Eqn) else None for a in items]
        if len(items) > 1 and all(e is not None for e in eqs):
            names = [e[0] for e in eqs if e]
            vals = [Val(e[1]) for e in eqs if e]
            if len(set(names)) == 1:
                return Coll("list", list(vals))  # R16.5: x=-4, x=1 is the list -4, 1
            if len(set(names)) == len(names):
                order = sorted(
                    range(len(names)), key=lambda i: (_VAR_ORDER.get(names[i], 9), names[i])
                )
                return Coll("tuple", [vals[i] for i in order])
        return Coll("list", items)

    def _is_setlike(self, n: Node) -> bool:
        if n[0] == "rel":
            return all(op in ("<", ">", "<=", ">=", "!=", "in") for op in n[2])
        return n[0] in ("setb", "reals", "cup", "cap", "setminus")

    def items(self, node: Node) -> list[Answer]:
        """One list item; a ± gives two."""
        tag = node[0]
        if tag == "rel":
            return self._relation(node)
        if tag == "tuple":
            return [self._tuple(node)]
        if tag == "set":
            elems: list[Answer] = []
            for n in node[1]:
                elems.extend(self.items(n))
            return [Coll("set", elems)]
        if tag in ("setb", "reals", "cup", "cap", "setminus"):
            return [RSet(self.rset(node))]
        if tag == "mat":
            return [Mat([[self.component(e) for e in row] for row in node[1]])]
        if tag == "group" and node[1][0] in ("tuple", "set", "rel", "mat"):
            return self.items(node[1])
        if _has_pm(node):
            return [self._val(alt) for alt in expand_pm(node)]
        return [self._val(node)]

    def _val(self, node: Node) -> Val:
        neg = False
        inner = node
        if inner[0] == "neg" and inner[1][0] == "%":
            neg, inner = True, inner[1]
        if inner[0] == "%":
            x_node = ("neg", inner[1]) if neg else inner[1]
            x = self.component(x_node)
            lit = lit_of(x_node)
            if lit is not None:
                alt = self._snap((lit[0] / 100, lit[1], lit[2] / 100))
            else:
                alt = x / 100
            self._record(alt)
            return Val(x, pct=True, alt=alt)
        return Val(self.component(node), shown=literal_text(node))

    def _relation(self, node: Node) -> list[Answer]:
        operands, ops = list(node[1]), list(node[2])
        if "approx" in ops:
            # `x = 2/3 \approx 0.67` answers with its exact member; `x \approx 11` with 11
            k = ops.index("approx")
            head = operands[: k + 1]
            if len(head) >= 2 or name_of(head[0]) is None:
                operands, ops = head, ops[:k]
            else:
                ops = ["=" if op == "approx" else op for op in ops]
            if "approx" in ops:
                raise CheckError("parse_error", "mixed approximations")
            if not ops:
                return self.items(operands[0])
        if ops == ["="] and all(o[0] == "tuple" for o in operands):
            names, values = operands[0][1], operands[1][1]
            if len(names) == len(values) and all(n[0] == "sym" for n in names):
                if len({n[1] for n in names}) == len(names):  # (x, y) = (3, 4)
                    return [
                        self._list(
                            [("rel", [n, v], ["="]) for n, v in zip(names, values, strict=True)],
                            [","] * (len(names) - 1),
                        )
                    ]
        if all(op == "=" for op in ops):
            if len(operands) > 2:
                # R1.3: a chain answers with its last member; `y = 2+3+4 = 9` assigns it to y
                if name_of(operands[0]) is None:
                    return self.items(operands[-1])
                operands = [operands[0], operands[-1]]
            lhs_n, rhs_n = operands
            if lhs_n[0] != "tuple" and rhs_n[0] in _SET_TAGS and name_of(lhs_n, products=True):
                return self.items(rhs_n)  # `I = (2, 5)`, `S = [1, 4)`: the value is the answer
            alts_l = expand_pm(lhs_n)
            alts_r = expand_pm(rhs_n)
            if len(alts_l) > 1 and len(alts_r) > 1:
                raise CheckError("parse_error", "± on both sides")
            constant_rhs = not free_symbols(rhs_n)
            out: list[Answer] = []
            for lhs_a in alts_l:
                for rhs_a in alts_r:
                    fname = name_of(lhs_a, products=constant_rhs)
                    if fname is not None and lhs_a[0] != "sym":
                        lhs = self.symbol(fname)  # `f(x) = 2x + 1` assigns to f(x)
                    else:
                        lhs = self.component(lhs_a) if lhs_a[0] != "sym" else self.expr(lhs_a)
                    rhs = self.component(rhs_a) if rhs_a[0] != "sym" else self.expr(rhs_a)
                    if not (lhs.free_symbols or rhs.free_symbols):
                        out.append(Val(rhs))  # R1.3: `7 \times 2 = 14` answers 14
                    else:
                        out.append(Eqn(lhs, rhs))
            return out
        order = self._order(operands, ops)
        if order is not None:
            return [order]
        return [RSet(self.rset(("rel", operands, ops)))]

    def _order(self, operands: list[Node], ops: list[str]) -> Order | None:
        """`g(3) < g(0) < g(5)`: a chain of comparisons between values with no variable."""
        if len(ops) < 1 or not (
            all(op in ("<", "<=") for op in ops) or all(op in (">", ">=") for op in ops)
        ):
            return None
        named = [_functions_as_names(o) for o in operands]
        if any(o[0] != "sym" or "(" not in str(o[1]) for o in named):
            return None
        items = [self.symbol(str(o[1])) for o in named]
        if ops[0] in (">", ">="):
            items.reverse()
            ops = [{">": "<", ">=": "<="}[op] for op in reversed(ops)]
        return Order(items, ops)

    def _tuple(self, node: Node) -> Answer:
        items, open_, close = node[1], node[2], node[3]
        if open_ == "(" and close == ")":
            vals: list[Answer] = []
            for n in items:
                got = self.items(n)
                if len(got) != 1:
                    raise CheckError("parse_error", "± inside a tuple")
                vals.append(got[0])
            return Coll("tuple", vals, pair=len(vals) == 2)
        if len(items) != 2:
            raise CheckError("parse_error", "interval needs two endpoints")
        return RSet(self._interval(items[0], items[1], open_ == "(", close == ")"))

    def _interval(self, a_node: Node, b_node: Node, lopen: bool, ropen: bool) -> Any:
        a, b = self.component(a_node), self.component(b_node)
        for e in (a, b):
            if e.free_symbols or not e.is_extended_real:
                raise CheckError("parse_error", "interval endpoint is not a real number")
        return sp.Interval(a, b, lopen or a == -sp.oo, ropen or b == sp.oo)

    def rset(self, node: Node) -> Any:
        """A subset of the reals (R17)."""
        tag = node[0]
        if tag == "reals":
            return sp.S.Reals
        if tag == "group":
            return self.rset(node[1])
        if tag == "tuple":
            if len(node[1]) != 2:
                raise CheckError("parse_error", "not an interval")
            return self._interval(node[1][0], node[1][1], node[2] == "(", node[3] == ")")
        if tag == "set":
            vals = []
            for n in node[1]:
                for alt in expand_pm(n):
                    v = self.component(alt)
                    if v.free_symbols or not v.is_real:
                        raise CheckError("parse_error", "set of non-reals")
                    vals.append(v)
            return sp.FiniteSet(*vals)
        if tag in ("cup", "cap", "setminus"):
            a, b = self.rset(node[1]), self.rset(node[2])
            if tag == "cup":
                return sp.Union(a, b)
            if tag == "cap":
                return sp.Intersection(a, b)
            return sp.Complement(a, b)
        if tag == "setb":
            return self._conditions(node[2], node[3])
        if tag == "rel":
            return self._inequality(node[1], node[2])
        raise CheckError("parse_error", "not a set")

    def _conditions(self, nodes: list[Node], seps: list[str]) -> Any:
        acc = self.rset(nodes[0])
        for sep, n in zip(seps, nodes[1:], strict=True):
            s = self.rset(n)
            acc = sp.Union(acc, s) if sep == "or" else sp.Intersection(acc, s)
        return acc

    def _inequality(self, operands: list[Node], ops: list[str]) -> Any:
        if len(ops) == 1 and ops[0] == "in":
            if operands[0][0] != "sym":
                raise CheckError("parse_error", "`in` needs a variable")
            return self.rset(operands[1])
        if any(op in ("=", "in") for op in ops):
            raise CheckError("parse_error", "mixed relation")
        operands = [_functions_as_names(o) for o in operands]  # `0 < g(x) < 2`
        names = set().union(*(free_symbols(o) for o in operands))
        if len(names) != 1:
            raise CheckError("parse_error", "inequality needs one variable")
        var = self.symbol(next(iter(names)))
        acc: Any = sp.S.Reals
        for k, op in enumerate(ops):
            left, right = operands[k], operands[k + 1]
            if left[0] == "sym" and not free_symbols(right):
                c, rel = self.component(right), op
            elif right[0] == "sym" and not free_symbols(left):
                c, rel = (
                    self.component(left),
                    {"<": ">", ">": "<", "<=": ">=", ">=": "<="}.get(op, op),
                )
            else:
                acc = sp.Intersection(acc, self._solve(left, op, right, var))
                continue
            if c.free_symbols or not c.is_extended_real:
                raise CheckError("parse_error", "inequality bound is not a real number")
            acc = sp.Intersection(acc, _ray(rel, c))
        return acc

    def _solve(self, left: Node, op: str, right: Node, var: Any) -> Any:
        """`-y \\ge -2`, `2 \\le |t|`: solve one comparison for its only variable. The sympy
        objects come from the AST (S1); sympy's solver runs under the worker's deadline."""
        a, b = self.expr(left), self.expr(right)
        if op == "!=":
            raise CheckError("parse_error", "bad inequality")
        rel = {"<": sp.Lt, "<=": sp.Le, ">": sp.Gt, ">=": sp.Ge}[op](a, b)
        if rel in (sp.true, sp.false):
            raise CheckError("parse_error", "inequality without a variable")
        # The usual forms, a linear side (`-y \ge -2`) or the absolute value of one against a
        # number (`2 \le |t|`), solved directly: sympy's general solver takes tens of ms.
        quick = _linear_side(a - b, op, var)
        if quick is None:
            quick = _abs_against_number(a, op, b, var)
        if quick is not None:
            return quick
        try:
            return sp.solve_univariate_inequality(rel, var, relational=False)
        except (NotImplementedError, ValueError, TypeError) as exc:
            raise CheckError("parse_error", "inequality not solved") from exc


_FLIP = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "!=": "!="}


def _ray(rel: str, c: Any) -> Any:
    """The reals `x` with `x rel c`."""
    if rel == "<":
        return sp.Interval.open(-sp.oo, c)
    if rel == "<=":
        return sp.Interval(-sp.oo, c, True, False)
    if rel == ">":
        return sp.Interval.open(c, sp.oo)
    if rel == ">=":
        return sp.Interval(c, sp.oo, False, True)
    return sp.Complement(sp.S.Reals, sp.FiniteSet(c))  # !=


def _linear_side(d: Any, op: str, var: Any) -> Any | None:
    """The solutions of `d op 0` when `d` is `k·var + m` with real numbers k ≠ 0 and m;
    None for any other `d`."""
    try:
        poly = sp.Poly(d, var)
    except (sp.PolynomialError, ValueError, TypeError):
        return None
    if poly.degree() != 1:
        return None
    k, m = poly.all_coeffs()
    if not (k.is_extended_real and m.is_extended_real and k.is_number and m.is_number):
        return None
    return _ray(op if k > 0 else _FLIP[op], -m / k)


def _abs_against_number(a: Any, op: str, b: Any, var: Any) -> Any | None:
    """The solutions of `|u| op c` (or `c op |u|`) for a linear `u` and a real number `c`;
    None for any other comparison."""
    if isinstance(a, sp.Abs) and b.is_number and b.is_extended_real:
        u, c = a.args[0], b
    elif isinstance(b, sp.Abs) and a.is_number and a.is_extended_real:
        u, c, op = b.args[0], a, _FLIP[op]
    else:
        return None
    below = _linear_side(u + c, ">" if op in ("<", ">") else ">=", var)  # u > -c
    above = _linear_side(u - c, "<" if op in ("<", ">") else "<=", var)  # u < c
    if below is None or above is None:
        return None
    if op in ("<", "<="):  # -c < u < c
        return sp.Intersection(below, above)
    outside_low = _linear_side(u + c, "<" if op == ">" else "<=", var)  # u < -c
    outside_high = _linear_side(u - c, ">" if op == ">" else ">=", var)  # u > c
    if outside_low is None or outside_high is None:
        return None
    return sp.Union(outside_low, outside_high)
