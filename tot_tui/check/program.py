"""Program-of-Thought: read a model's short Python program and compute its answer without
running it.

The program is parsed with `ast.parse` (which executes nothing) and the tree is checked against
a whitelist, then evaluated by the small interpreter below with exact numbers (int and
Fraction; a float literal is the Fraction of its decimal text). Nothing the model wrote is
executed, imported or compiled.

Accepted: assignments to names (also `a, b = 1, 2`), augmented assignments, `+ - * / // % **`,
unary `- +`, comparisons with `and/or/not`, `x if c else y`, `if/elif/else`, `pass`, calls of
`round abs min max sum int float pow sqrt`, `math.sqrt math.floor math.ceil math.pi` (with
`import math` or `from math import …`, the only imports), `print(...)` (text and f-strings
allowed there), docstrings, and functions without parameters (PAL's `def solution():`) ending
in `return`. Everything else (other imports, attributes, indexing, loops, lambdas,
comprehensions, classes, with/try, global, other calls, dunder names) is refused with its
line number.

The answer: the last `print` that shows one number; else `ans`, `answer` or `result`; else the
value `solution()` returns.
"""

from __future__ import annotations

import ast
import math
import re
import textwrap
from dataclasses import dataclass, field
from fractions import Fraction

from ..domain import Derived, DerivedStatus
from .derive import (
    MAX_LITERAL_DIGITS,
    MAX_NESTING,
    MAX_PROGRAM_EXPONENT,
    MAX_RESULT_DIGITS,
    MAX_STATEMENTS,
    MAX_STEPS,
    bracket_depth,
    quote,
)

KIND = "program"
ANSWER_NAMES = ("ans", "answer", "result")
MAX_AST_DEPTH = 100  # nodes from a statement's root (unary chains have no brackets)
MAX_CALL_DEPTH = 8  # functions calling functions
_MAX_BITS = int(MAX_RESULT_DIGITS * math.log2(10)) + 1
_SIG = 10  # significant digits of a value that has no short exact decimal

Num = int | Fraction  # bool is an int
_FENCE = re.compile(r"^[ \t]*(```|~~~)[^\n]*$", re.MULTILINE)
_DIGIT_RUN = re.compile(r"\d+")
_CODE_LINE = re.compile(
    r"^\s*(?:def\s|return\b|print\s*\(|import\s|from\s|if\s|elif\s|else\s*:|for\s|while\s|"
    r"with\s|try\s*:|class\s|pass\b|#|[A-Za-z_][A-Za-z0-9_]*\s*(?:[-+*/%]|//|\*\*)?=(?!=)|"
    r"[A-Za-z_][A-Za-z0-9_, ]*=|[A-Za-z_][A-Za-z0-9_.]*\s*\(|\"\"\"|''')"
)


class Refuse(Exception):
    """The program is outside what we evaluate; the message is the whole reason."""


def _line(node: ast.AST) -> str:
    return f"line {getattr(node, 'lineno', '?')}"


# -- finding the code ----------------------------------------------------------------------------
def _code_of(text: str) -> str:
    """The first fenced block, else the longest run of lines (trimmed at both ends) that
    parses; the text itself when nothing parses (so the error names its line)."""
    fences = list(_FENCE.finditer(text))
    if len(fences) >= 2:
        return text[fences[0].end() + 1 : fences[1].start()]
    lines = text.splitlines()
    if _parses(text):
        return text
    code = [i for i, ln in enumerate(lines) if _CODE_LINE.match(ln)]
    if not code:
        return text
    start = code[0]
    for end in sorted({i + 1 for i in code} | {len(lines)}, reverse=True)[:40]:
        if end <= start:
            break
        chunk = "\n".join(lines[start:end])
        # Indented lines after the last code-looking line belong to its block.
        while end < len(lines) and lines[end][:1] in (" ", "\t") and lines[end].strip():
            end += 1
            chunk = "\n".join(lines[start:end])
        chunk = textwrap.dedent(chunk)  # a Markdown block indented by four spaces
        if _parses(chunk):
            return "\n" * start + chunk  # keep the line numbers
    return text


def _parses(code: str) -> bool:
    try:
        ast.parse(code)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False
    return True


# -- the whitelist --------------------------------------------------------------------------------
_MATH_NAMES = {"sqrt", "floor", "ceil", "pi"}
_BUILTINS = {"round", "abs", "min", "max", "sum", "int", "float", "pow", "sqrt", "print"}
_REFUSED_STMT = {
    ast.For: "a for loop",
    ast.AsyncFor: "a for loop",
    ast.While: "a while loop",
    ast.With: "a with block",
    ast.AsyncWith: "a with block",
    ast.Try: "try/except",
    ast.ClassDef: "a class",
    ast.Global: "global",
    ast.Nonlocal: "nonlocal",
    ast.Delete: "del",
    ast.Raise: "raise",
    ast.Assert: "assert",
    ast.AsyncFunctionDef: "an async function",
    ast.Break: "break",
    ast.Continue: "continue",
}
_REFUSED_EXPR = {
    ast.Lambda: "a lambda",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a comprehension",
    ast.Subscript: "indexing ([...])",
    ast.Dict: "a dictionary",
    ast.Set: "a set",
    ast.Starred: "*-unpacking",
    ast.NamedExpr: ":=",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Slice: "a slice",
}
_BINOP_OK = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)


def _screen(tree: ast.Module) -> None:
    """Refuse every construct we do not evaluate, wherever it is (even in dead code)."""
    statements = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt):
            statements += 1
            if statements > MAX_STATEMENTS:
                raise Refuse(f"The program has more than {MAX_STATEMENTS} statements.")
        kind = type(node)
        if kind in _REFUSED_STMT:
            raise Refuse(f"The program uses {_REFUSED_STMT[kind]} ({_line(node)}), which is "
                         "not evaluated.")
        if kind in _REFUSED_EXPR:
            raise Refuse(f"The program uses {_REFUSED_EXPR[kind]} ({_line(node)}), which is "
                         "not evaluated.")
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
            if names != ["math"] or node.names[0].asname:
                raise Refuse(f"The program imports {quote(', '.join(names), 30)} "
                             f"({_line(node)}); only `import math` is allowed.")
        elif isinstance(node, ast.ImportFrom):
            bad = [a.name for a in node.names if a.name not in _MATH_NAMES or a.asname]
            if node.module != "math" or node.level or bad:
                raise Refuse(f"The program imports from {quote(node.module or '.', 30)} "
                             f"({_line(node)}); only sqrt, floor, ceil and pi from math "
                             "are allowed.")
        elif isinstance(node, ast.Attribute):
            if not (isinstance(node.value, ast.Name) and node.value.id == "math"
                    and node.attr in _MATH_NAMES):
                raise Refuse(f"The program uses attribute access "
                             f"({quote(ast.unparse(node), 30)}, {_line(node)}), which is "
                             "not evaluated.")
        elif isinstance(node, ast.Name):
            if node.id.startswith("__") or node.id in ("exec", "eval", "open", "compile"):
                raise Refuse(f"The program uses the name {quote(node.id, 30)} "
                             f"({_line(node)}), which is not allowed.")
        elif isinstance(node, ast.FunctionDef):
            a = node.args
            if (a.args or a.posonlyargs or a.kwonlyargs or a.vararg or a.kwarg
                    or node.decorator_list):
                raise Refuse(f"The function {quote(node.name, 30)} ({_line(node)}) takes "
                             "parameters or has decorators; only `def solution():` is "
                             "evaluated.")
        elif isinstance(node, ast.BinOp) and not isinstance(node.op, _BINOP_OK):
            raise Refuse(f"The program uses a bitwise operator ({_line(node)}), which is not "
                         "evaluated.")
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Invert):
            raise Refuse(f"The program uses `~` ({_line(node)}), which is not evaluated.")
        elif isinstance(node, ast.Compare) and any(
            isinstance(op, ast.Is | ast.IsNot | ast.In | ast.NotIn) for op in node.ops
        ):
            raise Refuse(f"The program uses is/in ({_line(node)}), which is not evaluated.")


# -- the interpreter ------------------------------------------------------------------------------
class _Return(Exception):  # control flow, not an error
    def __init__(self, value: Num | None) -> None:
        super().__init__()
        self.value = value


@dataclass
class _Function:
    name: str
    body: list[ast.stmt]


@dataclass
class _Printed:
    value: Num | None  # the one number shown, else None
    count: int  # how many numbers it showed
    line: int


@dataclass
class _Machine:
    src: str
    globals: dict[str, Num] = field(default_factory=dict)
    functions: dict[str, _Function] = field(default_factory=dict)
    prints: list[_Printed] = field(default_factory=list)
    math_names: set[str] = field(default_factory=set)
    steps: int = 0
    calls: list[str] = field(default_factory=list)

    # statements
    def run(self, body: list[ast.stmt], scope: dict[str, Num]) -> None:
        for stmt in body:
            self.statement(stmt, scope)

    def statement(self, node: ast.stmt, scope: dict[str, Num]) -> None:
        if isinstance(node, ast.Assign):
            value: Num | tuple[Num, ...] = self.value_or_tuple(node.value, scope)
            for target in node.targets:
                self.assign(target, value, scope)
        elif isinstance(node, ast.AnnAssign):
            if node.value is not None:
                self.assign(node.target, self.number(node.value, scope), scope)
        elif isinstance(node, ast.AugAssign):
            if not isinstance(node.target, ast.Name):
                raise Refuse(f"The program assigns to something other than a name "
                             f"({_line(node)}).")
            old = self.lookup(node.target.id, node.target, scope)
            scope[node.target.id] = self.binop(node.op, old, self.number(node.value, scope),
                                               node)
        elif isinstance(node, ast.Expr):
            self.expression_statement(node, scope)
        elif isinstance(node, ast.If):
            self.run(node.body if self.truth(node.test, scope) else node.orelse, scope)
        elif isinstance(node, ast.FunctionDef):
            self.functions[node.name] = _Function(node.name, node.body)
        elif isinstance(node, ast.Return):
            if not self.calls:
                raise Refuse(f"The program returns outside a function ({_line(node)}).")
            raise _Return(None if node.value is None else self.number(node.value, scope))
        elif isinstance(node, ast.Import):
            self.math_names.add("math")
        elif isinstance(node, ast.ImportFrom):
            self.math_names.update(a.name for a in node.names)
        elif isinstance(node, ast.Pass):
            pass
        else:
            raise Refuse(f"The program uses {type(node).__name__} ({_line(node)}), which is "
                         "not evaluated.")

    def expression_statement(self, node: ast.Expr, scope: dict[str, Num]) -> None:
        v = node.value
        if isinstance(v, ast.Constant) and isinstance(v.value, str):
            return  # a docstring or a stray string
        if isinstance(v, ast.Call) and isinstance(v.func, ast.Name) and v.func.id == "print":
            self.print(v, scope)
            return
        self.value_or_tuple(v, scope)

    def assign(self, target: ast.expr, value: Num | tuple[Num, ...],
               scope: dict[str, Num]) -> None:
        if isinstance(target, ast.Name):
            if isinstance(value, tuple):
                raise Refuse(f"The program stores several values in one name "
                             f"({_line(target)}).")
            scope[target.id] = value
            return
        if isinstance(target, ast.Tuple | ast.List):
            if not isinstance(value, tuple) or len(value) != len(target.elts):
                raise Refuse(f"The program unpacks the wrong number of values "
                             f"({_line(target)}).")
            for t, v in zip(target.elts, value, strict=True):
                self.assign(t, v, scope)
            return
        raise Refuse(f"The program assigns to something other than a name ({_line(target)}).")

    def print(self, node: ast.Call, scope: dict[str, Num]) -> None:
        if any(k.arg not in ("sep", "end") for k in node.keywords):
            raise Refuse(f"The program calls print with unknown options ({_line(node)}).")
        shown: list[Num] = []
        for arg in node.args:
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                continue
            if isinstance(arg, ast.JoinedStr):
                for part in arg.values:
                    if isinstance(part, ast.FormattedValue):
                        shown.append(self.formatted(part, scope))
                continue
            shown.append(self.number(arg, scope))
        line = getattr(node, "lineno", 0)
        self.prints.append(_Printed(shown[0] if len(shown) == 1 else None, len(shown), line))

    def formatted(self, part: ast.FormattedValue, scope: dict[str, Num]) -> Num:
        value = self.number(part.value, scope)
        spec = part.format_spec
        if isinstance(spec, ast.JoinedStr) and all(
            isinstance(p, ast.Constant) for p in spec.values
        ):
            text = "".join(str(p.value) for p in spec.values if isinstance(p, ast.Constant))
            m = re.fullmatch(r"[<>^=]?[+\- ]?,?_?(?:\d+)?[,_]?(?:\.(\d+))?([fF%]?)", text)
            if m and m.group(1) is not None and m.group(2) in ("f", "F"):
                return self.round(value, int(m.group(1)))
        elif spec is not None:
            raise Refuse(f"The program formats a value in a way I do not read "
                         f"({_line(part)}).")
        return value

    # expressions
    def tick(self, node: ast.AST) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise Refuse(f"The program takes more than {MAX_STEPS:,} steps to evaluate.")

    def value_or_tuple(self, node: ast.expr, scope: dict[str, Num]) -> Num | tuple[Num, ...]:
        if isinstance(node, ast.Tuple | ast.List):
            return tuple(self.number(e, scope) for e in node.elts)
        return self.number(node, scope)

    def truth(self, node: ast.expr, scope: dict[str, Num]) -> bool:
        return bool(self.number(node, scope))

    def number(self, node: ast.expr, scope: dict[str, Num], depth: int = 0) -> Num:
        self.tick(node)
        if depth > MAX_AST_DEPTH:
            raise Refuse(f"The program is nested too deeply ({_line(node)}).")
        d = depth + 1
        if isinstance(node, ast.Constant):
            return self.literal(node)
        if isinstance(node, ast.Name):
            return self.lookup(node.id, node, scope)
        if isinstance(node, ast.BinOp):
            a = self.number(node.left, scope, d)
            b = self.number(node.right, scope, d)
            return self.binop(node.op, a, b, node)
        if isinstance(node, ast.UnaryOp):
            v = self.number(node.operand, scope, d)
            if isinstance(node.op, ast.USub):
                return -v
            if isinstance(node.op, ast.UAdd):
                return +v
            if isinstance(node.op, ast.Not):
                return not v
        if isinstance(node, ast.BoolOp):
            is_and = isinstance(node.op, ast.And)
            result: Num = is_and
            for e in node.values:
                result = self.number(e, scope, d)
                if bool(result) != is_and:
                    return result
            return result
        if isinstance(node, ast.Compare):
            left = self.number(node.left, scope, d)
            for op, comp in zip(node.ops, node.comparators, strict=True):
                right = self.number(comp, scope, d)
                if not _compare(op, left, right):
                    return False
                left = right
            return True
        if isinstance(node, ast.IfExp):
            branch = node.body if self.truth(node.test, scope) else node.orelse
            return self.number(branch, scope, d)
        if isinstance(node, ast.Call):
            return self.call(node, scope, d)
        if isinstance(node, ast.Attribute):
            return self.math_constant(node)
        if isinstance(node, ast.Tuple | ast.List):
            raise Refuse(f"The program uses several values where one number is needed "
                         f"({_line(node)}).")
        if isinstance(node, ast.JoinedStr):
            raise Refuse(f"The program uses text outside print ({_line(node)}).")
        raise Refuse(f"The program uses {type(node).__name__} ({_line(node)}), which is not "
                     "evaluated.")

    def literal(self, node: ast.Constant) -> Num:
        v = node.value
        if isinstance(v, bool):
            return v
        if isinstance(v, int):
            return _checked(v, node)
        if isinstance(v, float):
            text = (ast.get_source_segment(self.src, node) or repr(v)).replace("_", "")
            try:
                return _checked(_normal(Fraction(text)), node)
            except (ValueError, ZeroDivisionError):
                return _checked(_normal(Fraction(repr(v))), node)
        if isinstance(v, str):
            raise Refuse(f"The program uses text ({quote(repr(v), 20)}, {_line(node)}) where "
                         "a number is needed.")
        if isinstance(v, complex):
            raise Refuse(f"The program uses an imaginary number ({_line(node)}).")
        raise Refuse(f"The program uses {v!r} ({_line(node)}) where a number is needed.")

    def lookup(self, name: str, node: ast.AST, scope: dict[str, Num]) -> Num:
        if name in scope:
            return scope[name]
        if name in self.globals:
            return self.globals[name]
        if name == "pi" and "pi" in self.math_names:
            return _approx(math.pi)
        if name in ("True", "False"):
            return name == "True"
        raise Refuse(f"The program uses {quote(name, 30)} before giving it a value "
                     f"({_line(node)}).")

    def math_constant(self, node: ast.Attribute) -> Num:
        if node.attr == "pi" and "math" in self.math_names:
            return _approx(math.pi)
        raise Refuse(f"The program uses {quote(ast.unparse(node), 30)} without calling it "
                     f"({_line(node)}).")

    def binop(self, op: ast.operator, a: Num, b: Num, node: ast.AST) -> Num:
        try:
            if isinstance(op, ast.Add):
                r: Num = a + b
            elif isinstance(op, ast.Sub):
                r = a - b
            elif isinstance(op, ast.Mult):
                r = a * b
            elif isinstance(op, ast.Div):
                r = Fraction(a) / Fraction(b)
            elif isinstance(op, ast.FloorDiv):
                r = a // b
            elif isinstance(op, ast.Mod):
                r = a % b
            elif isinstance(op, ast.Pow):
                r = self.power(a, b, node)
            else:
                raise Refuse(f"The program uses an operator I do not evaluate "
                             f"({_line(node)}).")
        except ZeroDivisionError:
            raise Refuse(f"The program divides by zero ({_line(node)}).") from None
        return _checked(_normal(r), node)

    def power(self, a: Num, b: Num, node: ast.AST) -> Num:
        b = _normal(b)
        if isinstance(b, int):
            if abs(b) > MAX_PROGRAM_EXPONENT:
                raise Refuse(f"The program raises a number to a power above "
                             f"{MAX_PROGRAM_EXPONENT:,} ({_line(node)}).")
            fa = Fraction(a)
            size = max(abs(fa.numerator).bit_length(), fa.denominator.bit_length())
            if size > 1 and abs(b) * (size - 1) > _MAX_BITS:
                raise Refuse(f"The program computes a number with more than "
                             f"{MAX_RESULT_DIGITS:,} digits ({_line(node)}).")
            if fa == 0 and b < 0:
                raise ZeroDivisionError
            return _normal(fa**b)
        # A fractional exponent: exact when the root is, else what Python's floats give.
        if a < 0:
            raise Refuse(f"The program takes a fractional power of a negative number "
                         f"({_line(node)}).")
        root = _exact_root(Fraction(a), b.denominator)
        if root is not None:
            return self.power(root, b.numerator, node)
        try:
            return _approx(float(a) ** float(b))
        except (OverflowError, ValueError):
            raise Refuse(f"The program computes a number too large to represent "
                         f"({_line(node)}).") from None

    def round(self, v: Num, ndigits: int | None) -> Num:
        if ndigits is None:
            return round(Fraction(v))
        if abs(ndigits) > 100:
            raise Refuse("The program rounds to more than 100 digits.")
        return _normal(round(Fraction(v), ndigits))

    def call(self, node: ast.Call, scope: dict[str, Num], depth: int) -> Num:
        func = node.func
        if isinstance(func, ast.Attribute):
            if not (isinstance(func.value, ast.Name) and func.value.id == "math"
                    and "math" in self.math_names):
                raise Refuse(f"The program calls {quote(ast.unparse(func), 30)} without "
                             f"`import math` ({_line(node)}).")
            name = func.attr
        elif isinstance(func, ast.Name):
            name = func.id
            if name in self.functions and name not in scope:
                return self.call_function(name, node)
            if name in ("floor", "ceil") and name not in self.math_names:
                name = ""
        else:
            raise Refuse(f"The program calls something I do not evaluate ({_line(node)}).")
        if name == "print":
            self.print(node, scope)
            return 0
        if name not in _BUILTINS | _MATH_NAMES or name == "pi":
            shown = name or (func.id if isinstance(func, ast.Name) else "?")
            raise Refuse(f"The program calls {quote(shown, 30)} ({_line(node)}), which is not "
                         "evaluated.")
        if node.keywords and not (name == "round" and [k.arg for k in node.keywords]
                                  == ["ndigits"]):
            raise Refuse(f"The program calls {name} with keyword arguments ({_line(node)}).")
        args = [self.number(a, scope, depth) if not isinstance(a, ast.Tuple | ast.List)
                else None for a in node.args]
        if name in ("min", "max", "sum") and len(node.args) == 1 and isinstance(
            node.args[0], ast.Tuple | ast.List
        ):
            items = [self.number(e, scope, depth) for e in node.args[0].elts]
        else:
            if any(a is None for a in args):
                raise Refuse(f"The program passes a list to {name} ({_line(node)}).")
            items = [a for a in args if a is not None]
        return self.builtin(name, items, node, scope)

    def builtin(self, name: str, items: list[Num], node: ast.Call,
                scope: dict[str, Num]) -> Num:
        def arity(*ok: int) -> None:
            if len(items) not in ok:
                raise Refuse(f"The program calls {name} with {len(items)} arguments "
                             f"({_line(node)}).")

        if name == "round":
            if node.keywords:
                arity(1)
                items.append(self.number(node.keywords[0].value, scope))
            arity(1, 2)
            nd = None if len(items) == 1 else _normal(items[1])
            if nd is not None and not isinstance(nd, int):
                raise Refuse(f"The program rounds to a fractional number of digits "
                             f"({_line(node)}).")
            return self.round(items[0], nd)
        if name == "abs":
            arity(1)
            v = items[0]
            return -v if v < 0 else v
        if name in ("min", "max"):
            if not items:
                arity(1)
            best = items[0]
            for item in items[1:]:
                if (item < best) if name == "min" else (item > best):
                    best = item
            return best
        if name == "sum":
            if len(items) == 0:
                return 0
            return _checked(_normal(sum(items, Fraction(0))), node)
        if name == "int":
            arity(1)
            return math.trunc(items[0])
        if name == "float":
            arity(1)
            return items[0]
        if name == "pow":
            arity(2)
            return self.binop(ast.Pow(), items[0], items[1], node)
        if name == "sqrt":
            arity(1)
            return self.power(items[0], Fraction(1, 2), node)
        if name == "floor":
            arity(1)
            return math.floor(items[0])
        if name == "ceil":
            arity(1)
            return math.ceil(items[0])
        raise Refuse(f"The program calls {name} ({_line(node)}), which is not evaluated.")

    def call_function(self, name: str, node: ast.Call) -> Num:
        if node.args or node.keywords:
            raise Refuse(f"The program calls {quote(name, 30)} with arguments "
                         f"({_line(node)}); its functions take none.")
        if name in self.calls or len(self.calls) >= MAX_CALL_DEPTH:
            raise Refuse(f"The function {quote(name, 30)} calls itself ({_line(node)}).")
        self.calls.append(name)
        local: dict[str, Num] = {}
        try:
            self.run(self.functions[name].body, local)
        except _Return as ret:
            if ret.value is None:
                raise Refuse(f"The function {quote(name, 30)} returns no value.") from None
            return ret.value
        finally:
            self.calls.pop()
        raise Refuse(f"The function {quote(name, 30)} ends without `return`.")


def _compare(op: ast.cmpop, a: Num, b: Num) -> bool:
    if isinstance(op, ast.Eq):
        return a == b
    if isinstance(op, ast.NotEq):
        return a != b
    if isinstance(op, ast.Lt):
        return a < b
    if isinstance(op, ast.LtE):
        return a <= b
    if isinstance(op, ast.Gt):
        return a > b
    if isinstance(op, ast.GtE):
        return a >= b
    raise Refuse("The program uses a comparison I do not evaluate.")


def _normal(v: Num) -> Num:
    """A Fraction that is a whole number becomes an int (bools stay as they are)."""
    if isinstance(v, Fraction) and v.denominator == 1:
        return int(v.numerator)
    return v


def _checked(v: Num, node: ast.AST) -> Num:
    if isinstance(v, Fraction):
        big = max(abs(v.numerator).bit_length(), v.denominator.bit_length())
    else:
        big = abs(int(v)).bit_length()
    if big > _MAX_BITS:
        raise Refuse(f"The program computes a number with more than {MAX_RESULT_DIGITS:,} "
                     f"digits ({_line(node)}).")
    return v


def _approx(x: float) -> Num:
    if not math.isfinite(x):
        raise Refuse("The program computes a number too large to represent.")
    return _normal(Fraction(x))


def _exact_root(a: Fraction, n: int) -> Fraction | None:
    def iroot(k: int) -> int | None:
        if k.bit_length() > _MAX_BITS:
            return None
        lo, hi = 0, 1 << (k.bit_length() // n + 1)
        while lo < hi:  # the largest r with r**n <= k
            mid = (lo + hi + 1) // 2
            if mid**n <= k:
                lo = mid
            else:
                hi = mid - 1
        return lo if lo**n == k else None

    if n > 64:
        return None
    p, q = iroot(a.numerator), iroot(a.denominator)
    return None if p is None or q is None else Fraction(p, q)


def format_number(v: Num) -> str:
    """`42`, an exact short decimal `3.5`, else 10 significant digits (`0.3333333333`)."""
    v = _normal(v)
    if isinstance(v, int):
        return str(int(v))
    q = v.denominator
    twos = fives = 0
    while q % 2 == 0:
        q //= 2
        twos += 1
    while q % 5 == 0:
        q //= 5
        fives += 1
    if q == 1:  # a terminating decimal
        places = max(twos, fives)
        digits = abs(v.numerator) * 10**places // v.denominator
        text = str(digits).rjust(places + 1, "0")
        if len(text.lstrip("0")) <= 15:
            whole, frac = text[:-places], text[-places:]
            return ("-" if v < 0 else "") + f"{whole}.{frac}".rstrip("0").rstrip(".")
    return _significant(v, _SIG)


def _significant(v: Fraction, sig: int) -> str:
    sign = "-" if v < 0 else ""
    a = abs(v)
    exp = len(str(a.numerator // a.denominator)) - 1 if a >= 1 else -_leading_zeros(a) - 1
    scaled = round(a * Fraction(10) ** (sig - 1 - exp))
    if scaled >= 10**sig:  # 9.999… rounded up a digit
        exp += 1
        scaled = round(a * Fraction(10) ** (sig - 1 - exp))
    digits = str(scaled)
    if -6 <= exp < 21:
        if exp >= 0:
            whole, frac = digits[: exp + 1], digits[exp + 1 :]
        else:
            whole, frac = "0", "0" * (-exp - 1) + digits
        frac = frac.rstrip("0")
        return sign + (f"{whole}.{frac}" if frac else whole)
    mant = digits[0] + ("." + digits[1:].rstrip("0") if digits[1:].rstrip("0") else "")
    return f"{sign}{mant}e{exp}"


def _leading_zeros(a: Fraction) -> int:
    """How many zeros follow the point before the first digit of 0 < a < 1."""
    n = 0
    while a * 10 ** (n + 1) < 1:
        n += 1
    return n


def _derived(status: DerivedStatus, reason: str, value: str | None = None) -> Derived:
    return Derived(KIND, status, value, reason)


def derive_program(text: str) -> Derived:
    code = _code_of(text)
    if bracket_depth(code) > MAX_NESTING:
        return _derived(DerivedStatus.REFUSED, "The program is nested too deeply to read.")
    longest = max((len(m) for m in _DIGIT_RUN.findall(code)), default=0)
    if longest > MAX_LITERAL_DIGITS:
        return _derived(DerivedStatus.REFUSED, f"The program has a number with more than "
                        f"{MAX_LITERAL_DIGITS} digits.")
    try:
        tree = ast.parse(code)
    except SyntaxError as exc:
        where = f" at line {exc.lineno}" if exc.lineno else ""
        return _derived(DerivedStatus.REFUSED, f"The reply is not a Python program I can "
                        f"read (a syntax error{where}).")
    except (MemoryError, RecursionError):
        return _derived(DerivedStatus.REFUSED, "The program is nested too deeply to read.")
    except ValueError:
        return _derived(DerivedStatus.REFUSED, "The reply is not a Python program I can read.")
    machine = _Machine(code)
    try:
        _screen(tree)
        machine.run(tree.body, machine.globals)
        value, source = _answer(machine)
    except Refuse as exc:
        return _derived(DerivedStatus.REFUSED, str(exc))
    if value is None:
        return _derived(DerivedStatus.REFUSED, source)
    if isinstance(value, bool):
        return _derived(DerivedStatus.REFUSED, f"The program's answer ({source}) is "
                        f"{value}, not a number.")
    shown = format_number(value)
    return _derived(DerivedStatus.SOLVED, f"Evaluated the program: {source} is {shown}.", shown)


def _answer(m: _Machine) -> tuple[Num | None, str]:
    """(the answer, where it came from), or (None, why there is none)."""
    if m.prints:
        last = m.prints[-1]
        numeric = [p for p in m.prints if p.count]
        if last.count == 0 and numeric:
            last = numeric[-1]
        if last.count == 1 and last.value is not None:
            return last.value, f"the value printed on line {last.line}"
        if last.count > 1:
            return None, (f"The program's last print (line {last.line}) shows {last.count} "
                          "numbers, so it does not say which is the answer.")
    for name in ANSWER_NAMES:
        if name in m.globals:
            return m.globals[name], f"`{name}`"
    for name in ("solution", *m.functions):
        if name in m.functions:
            call = ast.Call(func=ast.Name(id=name), args=[], keywords=[])
            return m.call_function(name, call), f"the value {name}() returns"
    return None, "The program does not say which value is the answer."
