"""Tokenizer for normalised answers. Pure Python; one linear pass; no regex backtracking.

Numbers are read here with R6 group separators, R10 repeating blocks (`\\overline{..}`,
`\\dot{d}`) and R12 `e` notation, and carry their written digits for R7.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from .errors import CheckError
from .limits import MAX_DIGITS, MAX_SCI_EXPONENT
from .words import CONSTANT_WORDS, FUNCTIONS, STOP_WORDS


@dataclass(frozen=True, slots=True)
class NumLit:
    """A decimal literal as written: digits before/after the point, repeating block, exponent."""

    int_digits: str
    frac_digits: str
    rep_digits: str = ""
    exp: int = 0

    @property
    def value(self) -> Fraction:
        v = Fraction(int(self.int_digits or "0"))
        if self.frac_digits:
            v += Fraction(int(self.frac_digits), 10 ** len(self.frac_digits))
        if self.rep_digits:
            v += Fraction(
                int(self.rep_digits), 10 ** len(self.frac_digits) * (10 ** len(self.rep_digits) - 1)
            )
        return v * Fraction(10) ** self.exp

    @property
    def is_integer_text(self) -> bool:
        return not self.frac_digits and not self.rep_digits and self.exp == 0

    @property
    def sig_digits(self) -> int:
        """R7: digits from the first non-zero one through the last written one."""
        return len((self.int_digits + self.frac_digits).lstrip("0"))

    @property
    def ulp(self) -> Fraction:
        """R7: place value of the last written digit."""
        return Fraction(10) ** (self.exp - len(self.frac_digits))

    def text(self) -> str:
        s = (self.int_digits or "0").lstrip("0") or "0"
        if self.frac_digits or self.rep_digits:
            s += "." + self.frac_digits
            if self.rep_digits:
                s += "(" + self.rep_digits + ")"
        if self.exp:
            s += f"e{self.exp}"
        return s


@dataclass(frozen=True, slots=True)
class Tok:
    kind: str  # num id const func cmd op word end
    val: object
    pos: int
    space: bool = False  # whitespace before this token


# Commands that map onto operator tokens.
_CMD_OPS = {
    "cdot": "*", "times": "*", "ast": "*", "div": "/", "le": "<=", "leq": "<=", "leqslant": "<=",
    "ge": ">=", "geq": ">=", "geqslant": ">=", "lt": "<", "gt": ">", "ne": "!=", "neq": "!=",
    "pm": "pm", "mp": "mp", "cup": "cup", "cap": "cap", "setminus": "setminus",
    "backslash": "setminus", "in": "in", "mid": "mid", "vert": "|", "lvert": "|", "rvert": "|",
    "emptyset": "empty", "varnothing": "empty", "land": "and", "wedge": "and", "lor": "or",
    "vee": "or", "colon": ":", "to": "to", "langle": "(", "rangle": ")", "approx": "approx",
    "simeq": "approx", "doteq": "approx", "ratio": ":",
}  # fmt: skip
_GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta",
    "vartheta", "kappa", "lambda", "mu", "nu", "xi", "rho", "sigma", "tau", "upsilon", "phi",
    "varphi", "chi", "psi", "omega", "Delta", "Theta", "Lambda", "Xi", "Sigma", "Phi", "Psi",
    "Omega",
}  # fmt: skip
_CMD_FUNCS = FUNCTIONS | {"Gamma", "arcsec", "arccsc", "arccot", "exp"}
_STRUCT = {"frac", "sqrt", "binom", "begin", "end", "mathbb", "overline", "dot", "sum", "prod"}
_SINGLE_OPS = set("+-*/^!=<>()[]{},;|:&%_")


def _read_braced_digits(s: str, i: int) -> tuple[str, int]:
    """`{123}` at s[i] (spaces allowed) -> ("123", index after `}`); a single digit also works."""
    n = len(s)
    while i < n and s[i] == " ":
        i += 1
    if i < n and s[i].isdigit():
        return s[i], i + 1
    if i >= n or s[i] != "{":
        raise CheckError("parse_error", "bad repeating block")
    j = i + 1
    while j < n and s[j] == " ":
        j += 1
    k = j
    while k < n and s[k].isdigit():
        k += 1
    digits = s[j:k]
    while k < n and s[k] == " ":
        k += 1
    if not digits or k >= n or s[k] != "}":
        raise CheckError("parse_error", "bad repeating block")
    return digits, k + 1


def _is_group(s: str, i: int, sep: str) -> bool:
    """Is s[i] a thousands separator: sep followed by exactly three digits then a non-digit?"""
    n = len(s)
    group = s[i + 1 : i + 4]
    if s[i] != sep or len(group) != 3 or not group.isdigit():
        return False
    return not (i + 4 < n and s[i + 4].isdigit())


def _lex_number(s: str, i: int) -> tuple[NumLit, int]:
    n = len(s)
    j = i
    while j < n and s[j].isdigit():
        j += 1
    int_digits = s[i:j]
    # R6: `,`/space groups, only if every later group has exactly three digits. The first group
    # must look like a grouped number (1-3 digits, no leading zero).
    if 1 <= len(int_digits) <= 3 and int_digits[0] != "0":
        for sep in (",", " "):
            if j < n and s[j] == sep and _is_group(s, j, sep):
                parts = [int_digits]
                while j < n and s[j] == sep and _is_group(s, j, sep):
                    parts.append(s[j + 1 : j + 4])
                    j += 4
                int_digits = "".join(parts)
                break
    frac = ""
    rep = ""
    if j < n and s[j] == "." and not (j + 1 < n and s[j + 1] == "."):
        k = j + 1
        while k < n and s[k].isdigit():
            k += 1
        frac = s[j + 1 : k]
        j = k
        if s.startswith("\\overline", j):
            rep, j = _read_braced_digits(s, j + len("\\overline"))
        else:
            while s.startswith("\\dot", j) and not s.startswith("\\dots", j):
                d, j = _read_braced_digits(s, j + len("\\dot"))
                rep += d
        if not int_digits and not frac and not rep:
            raise CheckError("parse_error", "lone point")
        if j < n and s[j] == "." and j + 1 < n and s[j + 1].isdigit():
            raise CheckError("parse_error", "malformed number")
    elif j < n and s[j] == "." and j + 1 < n and s[j + 1] == ".":
        k = j
        while k < n and s[k] == ".":
            k += 1
        if k < n and s[k].isdigit():
            raise CheckError("parse_error", "malformed number")
    if len(int_digits) + len(frac) + len(rep) > MAX_DIGITS:
        raise CheckError("too_big", "number literal too long")
    exp = 0
    # R12: e/E immediately followed by a signed integer, no spaces.
    if j < n and s[j] in "eE" and not rep:
        k = j + 1
        if k < n and s[k] in "+-":
            k += 1
        m = k
        while m < n and s[m].isdigit():
            m += 1
        if m > k and not (m < n and s[m].isalpha()):
            if m - k > 6:
                raise CheckError("too_big", "exponent too long")
            exp = int(s[j + 1 : m])
            if abs(exp) > MAX_SCI_EXPONENT:
                raise CheckError("too_big", "exponent too large")
            j = m
    return NumLit(int_digits, frac, rep, exp), j


def tokenize(s: str) -> list[Tok]:
    if not s.isascii():
        # Letters outside ASCII are text, never digits or `e` (S2.4): `1.2е3` is not 1200.
        raise CheckError("parse_error", "non-ASCII character")
    toks: list[Tok] = []
    i = 0
    n = len(s)
    space = False
    while i < n:
        c = s[i]
        if c in " \t\n\r":
            space = True
            i += 1
            continue
        start = i
        if c.isdigit() or (c == "." and i + 1 < n and s[i + 1].isdigit()):
            lit, i = _lex_number(s, i)
            toks.append(Tok("num", lit, start, space))
        elif c == "\\":
            j = i + 1
            while j < n and s[j].isalpha():
                j += 1
            name = s[i + 1 : j]
            if not name:
                if j < n and s[j] in "{}":
                    toks.append(Tok("op", "lset" if s[j] == "{" else "rset", start, space))
                    i = j + 1
                elif j < n and s[j] == "\\":
                    toks.append(Tok("op", "rowsep", start, space))
                    i = j + 1
                elif j < n and s[j] in "|":
                    toks.append(Tok("op", "|", start, space))
                    i = j + 1
                else:
                    raise CheckError("parse_error", "stray backslash")
                space = False
                continue
            i = j
            if name in _CMD_OPS:
                toks.append(Tok("op", _CMD_OPS[name], start, space))
            elif name == "pi":
                toks.append(Tok("const", "pi", start, space))
            elif name == "infty":
                toks.append(Tok("const", "oo", start, space))
            elif name in _GREEK:
                toks.append(Tok("id", name, start, space))
            elif name in ("begin", "end"):
                env, i = _read_env(s, i)
                toks.append(Tok("op", name + ":" + env, start, space))
            elif name == "mathbb":
                while i < n and s[i] == " ":
                    i += 1
                if s.startswith("{R}", i):
                    i += 3
                elif i < n and s[i] == "R":
                    i += 1
                else:
                    raise CheckError("parse_error", "unknown \\mathbb")
                toks.append(Tok("op", "reals", start, space))
            elif name in _STRUCT:
                toks.append(Tok("cmd", name, start, space))
            elif name in _CMD_FUNCS:
                toks.append(Tok("func", name, start, space))
            else:
                raise CheckError("parse_error", f"unknown command \\{name[:20]}")
        elif c.isalpha() and c.isascii():
            j = i
            while j < n and s[j].isalpha() and s[j].isascii():
                j += 1
            word = s[i:j]
            lw = word.lower()
            i = j
            if len(word) == 1:
                if word == "e":
                    toks.append(Tok("const", "E", start, space))
                elif word == "i":
                    toks.append(Tok("const", "I", start, space))
                else:
                    toks.append(Tok("id", word, start, space))
            elif lw in ("and", "or"):
                toks.append(Tok("op", lw, start, space))
            elif lw in FUNCTIONS:
                toks.append(Tok("func", lw, start, space))
            elif lw in CONSTANT_WORDS:
                toks.append(Tok("const", "pi" if lw == "pi" else "oo", start, space))
            elif len(word) <= 3 and lw not in STOP_WORDS:
                # implicit product of single-letter symbols: "ab", "xy", "abc"
                for k, ch in enumerate(word):
                    kind, val = (
                        ("const", "E") if ch == "e" else ("const", "I") if ch == "i" else ("id", ch)
                    )
                    toks.append(Tok(kind, val, start + k, space if k == 0 else False))
            else:
                raise CheckError("parse_error", "text")
        elif c == "*" and i + 1 < n and s[i + 1] == "*":
            toks.append(Tok("op", "^", start, space))
            i += 2
        elif c in _SINGLE_OPS:
            if c == "!" and i + 1 < n and s[i + 1] == "!":
                toks.append(Tok("op", "!!", start, space))
                i += 2
            else:
                toks.append(Tok("op", c, start, space))
                i += 1
        elif c == "'" and toks and toks[-1].kind in ("id", "op") and not space and (
            toks[-1].kind == "id" or toks[-1].val == "'"
        ):
            toks.append(Tok("op", "'", start, space))  # a prime: f', f''
            i += 1
        elif c == "'" or c == '"':
            raise CheckError("parse_error", "quote")
        else:
            raise CheckError("parse_error", "unexpected character")
        space = False
    toks.append(Tok("end", None, n, space))
    return toks


def _read_env(s: str, i: int) -> tuple[str, int]:
    n = len(s)
    while i < n and s[i] == " ":
        i += 1
    if i >= n or s[i] != "{":
        raise CheckError("parse_error", "bad environment")
    j = s.find("}", i)
    if j < 0:
        raise CheckError("parse_error", "bad environment")
    env = s[i + 1 : j].strip()
    if env not in ("pmatrix", "bmatrix", "matrix", "vmatrix", "Bmatrix", "array", "cases"):
        raise CheckError("parse_error", "unknown environment")
    if env == "array":  # \begin{array}{cc}: skip the column spec
        k = j + 1
        while k < n and s[k] == " ":
            k += 1
        if k < n and s[k] == "{":
            e = s.find("}", k)
            j = e if e > 0 else j
    return env, j + 1
