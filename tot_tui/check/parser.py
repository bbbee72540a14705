"""Recursive-descent grammar for answers; builds a small tuple AST (no sympy, no eval).

Node shapes (first element is the tag):
  ("num", NumLit)  ("sym", name)  ("const", "pi"|"E"|"I"|"oo")  ("neg", x)
  ("+"|"-"|"pm"|"mp", a, b)  ("pmu", x)  ("*", a, b, explicit)  ("/", a, b)  ("^", a, b)
  ("!"|"!!"|"%", x)  ("func", name, arg)  ("frac", a, b)  ("sqrt", arg, index|None)
  ("binom", a, b)  ("abs", x)  ("group", x)  ("brace", x)  ("mixed", int, p, q)
  ("tuple", items, open, close)  ("set", items)  ("setb", var, items, seps)  ("reals",)
  ("mat", rows)  ("rel", operands, ops)  ("cup"|"cap"|"setminus", a, b)  ("list", items, seps)
  ("ratio", a, b)  ("base", digits, base)  ("sum"|"prod", var, lo, hi, body)
A name with a subscript or primes (`b_{10}`, `f'`) is one ("sym", name).
"""

from __future__ import annotations

from typing import Any

from .errors import CheckError
from .lexer import NumLit, Tok, tokenize
from .limits import MAX_DEPTH, MAX_ELEMENTS, MAX_RECURSION

Node = tuple[Any, ...]

_REL_OPS = ("=", "<", ">", "<=", ">=", "!=", "in", "approx")
_LIST_SEPS = (",", ";", "and", "or")


class Parser:
    def __init__(self, toks: list[Tok]) -> None:
        self.toks = toks
        self.i = 0
        self.depth = 0
        self.rec = 0
        self.abs_depth = 0

    # -- token helpers ------------------------------------------------------------------------
    def peek(self, k: int = 0) -> Tok:
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def at(self, *vals: str) -> bool:
        t = self.peek()
        return t.kind == "op" and t.val in vals

    def advance(self) -> Tok:
        t = self.toks[self.i]
        if t.kind != "end":
            self.i += 1
        return t

    def expect(self, val: str) -> None:
        if not self.at(val):
            raise CheckError("parse_error", f"expected {val}")
        self.advance()

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise CheckError("too_deep")

    def leave(self) -> None:
        self.depth -= 1

    # -- grammar ------------------------------------------------------------------------------
    def parse_top(self) -> Node:
        items, seps = self.parse_list()
        if self.peek().kind != "end":
            raise CheckError("parse_error", "trailing input")
        return items[0] if len(items) == 1 else ("list", items, seps)

    def parse_list(self) -> tuple[list[Node], list[str]]:
        items = [self.parse_relation()]
        seps: list[str] = []
        while self.at(*_LIST_SEPS):
            seps.append(str(self.advance().val))
            items.append(self.parse_relation())
            if len(items) > MAX_ELEMENTS:
                raise CheckError("too_big", "too many elements")
        return items, seps

    def parse_relation(self) -> Node:
        operands = [self.parse_ratio()]
        ops: list[str] = []
        while self.at(*_REL_OPS):
            ops.append(str(self.advance().val))
            operands.append(self.parse_ratio())
        return ("rel", operands, ops) if ops else operands[0]

    def parse_ratio(self) -> Node:
        """`5:12`, `S_1:S_2`: a ratio (`:` binds looser than arithmetic, tighter than `=`)."""
        a = self.parse_setexpr()
        if self.at(":") and self.peek(1).kind != "end":
            self.advance()
            a = ("ratio", a, self.parse_setexpr())
            if self.at(":"):
                raise CheckError("parse_error", "chained ratio")
        return a

    def parse_setexpr(self) -> Node:
        a = self.parse_expr()
        while self.at("cup", "cap", "setminus"):
            op = str(self.advance().val)
            a = (op, a, self.parse_expr())
        return a

    def parse_expr(self) -> Node:
        if self.at("pm", "mp"):
            self.advance()
            a: Node = ("pmu", self.parse_term())
        else:
            a = self.parse_term()
        while self.at("+", "-", "pm", "mp"):
            op = str(self.advance().val)
            a = (op, a, self.parse_term())
        return a

    def _starts_factor(self, t: Tok) -> bool:
        if t.kind in ("num", "id", "const", "func"):
            return True
        if t.kind == "cmd":
            return t.val in ("frac", "sqrt", "binom")
        if t.kind == "op":
            if t.val == "|":
                return self.abs_depth == 0
            return t.val in ("(", "{", "begin:pmatrix", "begin:bmatrix")
        return False

    def parse_term(self) -> Node:
        a = self.parse_unary()
        while True:
            if self.at("*", "/"):
                op = str(self.advance().val)
                b = self.parse_unary()
                a = ("*", a, b, True) if op == "*" else ("/", a, b)
            elif self._starts_factor(self.peek()):
                mixed = self._try_mixed(a)
                if mixed is not None:
                    a = mixed
                    continue
                if self.peek().kind == "num":
                    raise CheckError("parse_error", "two numbers in a row")
                a = ("*", a, self.parse_power(), False)
            else:
                return a

    def _int_lit(self, k: int) -> int | None:
        t = self.peek(k)
        if t.kind == "num" and isinstance(t.val, NumLit) and t.val.is_integer_text:
            return int(t.val.int_digits)
        return None

    def _try_mixed(self, a: Node) -> Node | None:
        """R9: an integer literal directly followed by a proper fraction p/q is int + p/q."""
        neg = False
        base = a
        if base[0] == "neg":
            neg, base = True, base[1]
        if base[0] != "num" or not base[1].is_integer_text:
            return None
        whole = int(base[1].int_digits)
        t = self.peek()
        p = q = None
        width = 0
        if t.kind == "cmd" and t.val == "frac":
            if (
                self.peek(1).kind == "op" and self.peek(1).val == "{"
                and self.peek(3).kind == "op" and self.peek(3).val == "}"
                and self.peek(4).kind == "op" and self.peek(4).val == "{"
                and self.peek(6).kind == "op" and self.peek(6).val == "}"
            ):  # fmt: skip
                p, q = self._int_lit(2), self._int_lit(5)
                width = 7
        elif t.kind == "num" and self.peek(1).kind == "op" and self.peek(1).val == "/":
            p, q = self._int_lit(0), self._int_lit(2)
            width = 3
        if p is None or q is None or not (0 < p < q):
            return None
        after = self.peek(width)
        if after.kind == "op" and after.val in ("^", "!", "!!"):
            return None
        self.i += width
        node: Node = ("mixed", whole, p, q)
        while self.at("%"):
            self.advance()
            node = ("%", node)
        return ("neg", node) if neg else node

    def parse_unary(self) -> Node:
        self.rec += 1
        if self.rec > MAX_RECURSION:
            raise CheckError("too_deep")
        try:
            if self.at("-"):
                self.advance()
                return ("neg", self.parse_unary())
            if self.at("+"):
                self.advance()
                return self.parse_unary()
            return self.parse_power()
        finally:
            self.rec -= 1

    def parse_power(self) -> Node:
        base = self.parse_postfix()
        if self.at("^"):
            self.advance()
            return ("^", base, self.parse_exponent())
        return base

    def parse_exponent(self) -> Node:
        if self.at("{"):
            return self.parse_primary()
        return self.parse_unary()

    def parse_postfix(self) -> Node:
        a = self.parse_primary()
        if a[0] == "sym" and self.at("_"):
            a = ("sym", a[1] + "_" + self._subscript())
        elif a[0] == "num" and a[1].is_integer_text and self.at("_"):
            base = self._subscript()  # `204_5`, `1011_{2}`: digits in a base
            if not base.isdigit():
                raise CheckError("parse_error", "bad base")
            a = ("base", a[1].int_digits, int(base))
        if a[0] == "sym":
            primes = 0
            while self.at("'"):
                self.advance()
                primes += 1
            if primes:
                a = ("sym", a[1] + "'" * primes)
        while self.at("!", "!!", "%"):
            a = (str(self.advance().val), a)
        return a

    def _subscript(self) -> str:
        """The text of `_2`, `_{10}`, `_{n}`, `_{ab}`: digits and letters only."""
        self.advance()
        parts: list[str] = []
        if self.at("{"):
            self.advance()
            while not self.at("}"):
                t = self.advance()
                if t.kind == "num" and isinstance(t.val, NumLit) and t.val.is_integer_text:
                    parts.append(t.val.int_digits)
                elif t.kind == "id" or (t.kind == "const" and t.val in ("E", "I")):
                    parts.append({"E": "e", "I": "i"}.get(str(t.val), str(t.val)))
                else:
                    raise CheckError("parse_error", "bad subscript")
                if len(parts) > 8:
                    raise CheckError("parse_error", "bad subscript")
            self.advance()
        else:
            t = self.advance()
            if t.kind == "num" and isinstance(t.val, NumLit) and t.val.is_integer_text:
                parts.append(t.val.int_digits)
            elif t.kind == "id":
                parts.append(str(t.val))
            else:
                raise CheckError("parse_error", "bad subscript")
        if not parts:
            raise CheckError("parse_error", "empty subscript")
        return "".join(parts)

    def parse_arg(self) -> Node:
        """The `{...}` argument of \\frac, \\sqrt, \\binom: its braces are part of the command,
        so they do not add a nesting level of their own."""
        if self.at("{"):
            self.advance()
            inner = self.parse_expr()
            self.expect("}")
            return inner
        return self.parse_primary()

    def parse_primary(self) -> Node:
        t = self.advance()
        k, v = t.kind, t.val
        if k == "num":
            return ("num", v)
        if k == "id":
            return ("sym", v)
        if k == "const":
            return ("const", v)
        if k == "func":
            return self.parse_func(str(v))
        if k == "cmd":
            self.enter()
            try:
                if v == "frac":
                    return ("frac", self.parse_arg(), self.parse_arg())
                if v == "binom":
                    return ("binom", self.parse_arg(), self.parse_arg())
                if v in ("sum", "prod"):
                    return self.parse_bigop(str(v))
                if v == "sqrt":
                    index = None
                    if self.at("["):
                        self.advance()
                        index = self.parse_expr()
                        self.expect("]")
                    return ("sqrt", self.parse_arg(), index)
            finally:
                self.leave()
            raise CheckError("parse_error", f"misplaced \\{v}")
        if k == "op":
            if v in ("(", "["):
                return self.parse_bracket(str(v))
            if v == "{":
                self.enter()
                if self.at("}"):
                    self.advance()
                    self.leave()
                    return ("set", [])
                items, seps = self.parse_list()
                self.expect("}")
                self.leave()
                # `{2,7}` without backslashes is LaTeX grouping around a bare list, not a set
                return ("brace", items[0]) if len(items) == 1 else ("list", items, seps)
            if v == "lset":
                return self.parse_set()
            if v == "|":
                self.enter()
                self.abs_depth += 1
                inner = self.parse_expr()
                self.expect("|")
                self.abs_depth -= 1
                self.leave()
                return ("abs", inner)
            if v == "reals":
                return ("reals",)
            if v == "empty":
                return ("set", [])
            if isinstance(v, str) and v.startswith("begin:"):
                return self.parse_matrix(v[6:])
        raise CheckError("parse_error", "unexpected token")

    def parse_bigop(self, op: str) -> Node:
        """`\\sum_{k=1}^{10} body`: integer bounds, a product-level body."""
        self.expect("_")
        self.expect("{")
        var = self.advance()
        if var.kind != "id":
            raise CheckError("parse_error", "bad bound variable")
        self.expect("=")
        lo = self.parse_expr()
        self.expect("}")
        self.expect("^")
        hi = self.parse_exponent()
        body = self.parse_term()
        return (op, str(var.val), lo, hi, body)

    def parse_func(self, name: str) -> Node:
        self.enter()
        power = None
        base = None
        if name == "log" and self.at("_"):  # \log_{b} x
            self.advance()
            base = self.parse_arg()
        if self.at("^"):
            self.advance()
            power = self.parse_exponent()
        if self.at("("):
            self.advance()
            arg = self.parse_expr()
            self.expect(")")
        elif self.at("{"):
            arg = self.parse_arg()
        else:
            arg = self.parse_power()
        self.leave()
        node: Node = ("func", name, arg) if base is None else ("logb", arg, base)
        return ("^", node, power) if power is not None else node

    def parse_bracket(self, open_: str) -> Node:
        self.enter()
        items = [self.parse_relation()]
        while self.at(",", ";"):
            self.advance()
            items.append(self.parse_relation())
            if len(items) > MAX_ELEMENTS:
                raise CheckError("too_big", "too many elements")
        close = self.advance()
        if close.kind != "op" or close.val not in (")", "]"):
            raise CheckError("parse_error", "unclosed bracket")
        self.leave()
        if len(items) == 1:
            if (open_, close.val) in (("(", ")"), ("[", "]")):
                return ("group", items[0])
            raise CheckError("parse_error", "half-open bracket around one item")
        return ("tuple", items, open_, close.val)

    def parse_set(self) -> Node:
        self.enter()
        if self.at("rset"):
            self.advance()
            self.leave()
            return ("set", [])
        t0, t1 = self.peek(), self.peek(1)
        if t0.kind == "id" and t1.kind == "op" and t1.val in (":", "|", "mid"):
            self.i += 2
            items, seps = self.parse_list()
            self.expect("rset")
            self.leave()
            return ("setb", t0.val, items, seps)
        if t0.kind == "id" and t1.kind == "op" and t1.val == "in" and self.peek(2).val == "reals":
            if self.peek(3).kind == "op" and self.peek(3).val in (":", "|", "mid"):
                self.i += 4
                items, seps = self.parse_list()
                self.expect("rset")
                self.leave()
                return ("setb", t0.val, items, seps)
        items, _ = self.parse_list()
        self.expect("rset")
        self.leave()
        return ("set", items)

    def parse_matrix(self, env: str) -> Node:
        self.enter()
        rows: list[list[Node]] = [[]]
        count = 0
        while True:
            if self.peek().kind == "end":
                raise CheckError("parse_error", "unclosed matrix")
            if self.at("end:" + env):
                self.advance()
                break
            rows[-1].append(self.parse_expr())
            count += 1
            if count > MAX_ELEMENTS:
                raise CheckError("too_big", "matrix too large")
            if self.at("&"):
                self.advance()
            elif self.at("rowsep"):
                self.advance()
                rows.append([])
            elif not self.at("end:" + env):
                raise CheckError("parse_error", "bad matrix")
        if rows and not rows[-1]:
            rows.pop()
        self.leave()
        if not rows or any(len(r) != len(rows[0]) for r in rows):
            raise CheckError("parse_error", "ragged matrix")
        return ("mat", rows)


def parse(s: str) -> Node:
    """Parse a normalised answer into the tuple AST. Raises CheckError."""
    if not s.strip():
        raise CheckError("no_answer")
    return Parser(tokenize(s)).parse_top()


def free_symbols(node: Any) -> set[str]:
    """Names of the variables used in an AST (iterative, so deep trees are safe)."""
    out: set[str] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, tuple) and n:
            if n[0] == "sym":
                out.add(n[1])
            elif n[0] == "setb":
                stack.extend(n[2])  # the bound variable still counts as a variable
                out.add(n[1])
            else:
                stack.extend(x for x in n[1:] if isinstance(x, (tuple, list)))
        elif isinstance(n, list):
            stack.extend(n)
    return out
