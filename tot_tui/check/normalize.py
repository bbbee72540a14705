"""POLICY §1 step 3: string-level normalisation of one answer before the lexer sees it.

Wrappers (R2), punctuation (R4), currency and units (R5), spacing separators (R6), percent
markers (R11), number words (R14) and degrees (R20). Pure Python; every scan is linear (brace
matching by counting, regexes without nested quantifiers).
"""

from __future__ import annotations

import re

from .errors import CheckError
from .words import (
    NOT_UNITS,
    NUMBER_WORDS,
    SCALES,
    SIGN_WORDS,
    TENS,
    UNIT_LETTERS,
    UNIT_WORDS,
    UNITS_0_19,
)


def match_brace(s: str, i: int) -> int:
    """Index of the `}` closing the `{` at s[i], or -1. Counting, not a regex."""
    depth = 0
    n = len(s)
    while i < n:
        c = s[i]
        if c == "\\" and i + 1 < n and s[i + 1] in "{}":
            i += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def unwrap_command(s: str, names: tuple[str, ...], pad: bool = False) -> str:
    """Replace every `\\name{X}` (any of names) by X."""
    for name in names:
        tag = "\\" + name
        start = 0
        while True:
            i = s.find(tag, start)
            if i < 0:
                break
            j = i + len(tag)
            if j < len(s) and s[j].isalpha():  # \textbf vs \text
                start = j
                continue
            k = j
            while k < len(s) and s[k] == " ":
                k += 1
            if k >= len(s) or s[k] != "{":
                start = j
                continue
            end = match_brace(s, k)
            if end < 0:
                raise CheckError("parse_error", "unbalanced braces")
            inner = s[k + 1 : end]
            if pad:
                inner = " " + inner + " "
            s = s[:i] + inner + s[end + 1 :]
            start = i
    return s


_TEXT_WRAPPERS = (
    "textbf", "textit", "textrm", "textup", "textnormal", "textsf", "text", "mathrm", "mathbf",
    "mathit", "mathsf", "mbox", "operatorname", "hbox",
)  # fmt: skip
_DROP_CMDS = re.compile(
    r"\\(?:displaystyle|textstyle|scriptstyle|bigl|bigr|Bigl|Bigr|biggl|biggr|Biggl|Biggr|big|Big"
    r"|bigg|Bigg|limits|nolimits)(?![A-Za-z])"
)
_SPACING = re.compile(
    r"\\(?:quad|qquad|enspace|thinspace|medspace|thickspace)(?![A-Za-z])|(?<!\\)\\[;: ]|~"
)
_UNIT_TEXT_SUFFIX = re.compile(
    r"\\(?:text|mbox|textrm|mathrm)\s*\{([^{}]*)\}\s*(?:\^\s*\{?\s*[23]\s*\}?)?\s*$"
)
_DEGREES = re.compile(r"\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|\\circ|\\degree|°\s*[CF]?(?![A-Za-z])|°")
_PERCENT_WORD = re.compile(r"(?<![A-Za-z])(?:per\s+cent|percent|pct)(?![A-Za-z])", re.IGNORECASE)
_CURRENCY = re.compile(r"\\\$|\$|€|£|¥|(?<![A-Za-z])USD(?![A-Za-z])")
_UNICODE_MATH = {
    "π": r"\pi ", "√": r"\sqrt", "×": r"\times ", "÷": r"\div ", "≤": r"\le ", "≥": r"\ge ",
    "≠": r"\ne ", "∞": r"\infty ", "∪": r"\cup ", "∩": r"\cap ", "∅": r"\emptyset ",
    "∈": r"\in ", "±": r"\pm ", "·": r"\cdot ", "⋅": r"\cdot ", "∓": r"\mp ", "≈": r"\approx ",
}  # fmt: skip
_SCALE_AFTER_NUMERAL = re.compile(
    r"(\d[\d,]*(?:\.\d+)?)\s*(thousand|million|billion|trillion)(?![A-Za-z])", re.IGNORECASE
)
_WORD = re.compile(r"[A-Za-z]+")
# Commands whose backslash may have been doubled by a trip through JSON or Python (`\\frac`).
_KNOWN_CMDS = (
    "frac|dfrac|tfrac|cfrac|left|right|sqrt|le|ge|leq|geq|lt|gt|ne|neq|pi|infty|cdot|times|div"
    "|boxed|text|textbf|mathrm|mbox|in|cup|cap|pm|mp|mathbb|circ|approx|begin|end|sum|binom"
    "|overline|emptyset|varnothing|setminus|alpha|beta|theta|sin|cos|tan|log|ln"
)
_DOUBLED = re.compile(r"\\\\(?=(?:" + _KNOWN_CMDS + r")(?![A-Za-z]))")
_N_COMMANDS = {"ne", "neq", "nu", "neg", "not", "ni", "nabla", "notin", "nleq", "ngeq", "nmid"}
_LITERAL_N = re.compile(r"(?<!\\)\\n([A-Za-z]*)")
_OPEN_LIST = re.compile(r",\s*(?:\.\.\.|\\[lc]?dots)\s*\.?$")


def undo_escaping(s: str) -> str:
    """Doubled backslashes (`\\\\frac`) and literal `\\n` that JSON or Python left in LaTeX."""
    if "\\\\" in s:
        if re.search(r"\\\\[A-Za-z]", s) and not re.search(r"(?<!\\)\\[A-Za-z]", s):
            s = s.replace("\\\\", "\\")  # every command doubled: undo it everywhere
        else:
            s = _DOUBLED.sub(r"\\", s)
    if "\\n" in s:
        s = _LITERAL_N.sub(lambda m: m.group() if "n" + m.group(1) in _N_COMMANDS
                           else " " + m.group(1), s)
    return s
_SIGN_WORD = re.compile(r"(?<![A-Za-z])(?:negative|minus)\s+(?=[\d.])", re.IGNORECASE)
# "1.5 x 10^3" in plain text: the letter x as a multiplication sign before a power of ten (R12)
_TIMES_X = re.compile(r"(\d)\s*[xX]\s*10\s*\^")
_BOLD = re.compile(r"^\*\*|\*\*$|(?<=\s)\*\*|\*\*(?=\s)")
_REAL_WORDS = re.compile(
    r"(?:the\s+)?(?:set\s+of\s+)?all\s+real\s+numbers|(?<![A-Za-z])reals(?![A-Za-z])", re.I
)


def _braceless(s: str, cmd: str, nargs: int) -> str:
    """`\\frac12` -> `\\frac{1}{2}`, `\\frac 59`, `\\frac9{19}`, `\\sqrt2` -> `\\sqrt{2}`."""
    tag = "\\" + cmd
    out: list[str] = []
    i = 0
    n = len(s)
    while True:
        j = s.find(tag, i)
        if j < 0:
            out.append(s[i:])
            break
        k = j + len(tag)
        if k < n and s[k].isalpha():
            out.append(s[i:k])
            i = k
            continue
        out.append(s[i:k])
        for _ in range(nargs):
            while k < n and s[k] == " ":
                k += 1
            if k >= n:
                break
            c = s[k]
            if c == "{":
                end = match_brace(s, k)
                if end < 0:
                    raise CheckError("parse_error", "unbalanced braces")
                out.append(s[k : end + 1])
                k = end + 1
            elif c == "[" and cmd == "sqrt":
                end = s.find("]", k)
                if end < 0:
                    raise CheckError("parse_error", "unbalanced bracket")
                out.append(s[k : end + 1])
                k = end + 1
                nargs_left = 1
                while k < n and s[k] == " ":
                    k += 1
                if k < n and s[k] != "{" and nargs_left:
                    out.append("{" + s[k] + "}")
                    k += 1
                break
            elif c == "\\":
                m = re.match(r"\\[A-Za-z]+", s[k:])
                tok = m.group() if m else s[k : k + 2]
                out.append("{" + tok + "}")
                k += len(tok)
            elif c.isalnum():
                out.append("{" + c + "}")
                k += 1
            else:
                break
        i = k
    return "".join(out)


def _number_words(s: str) -> str:
    """R14: replace runs of English cardinal words by digits ("forty-two" -> 42)."""
    words = list(_WORD.finditer(s))
    if not any(w.group().lower() in NUMBER_WORDS for w in words):
        return s
    out: list[str] = []
    pos = 0
    i = 0
    while i < len(words):
        w = words[i]
        lw = w.group().lower()
        sign = ""
        j = i
        if lw in SIGN_WORDS and i + 1 < len(words) and words[i + 1].group().lower() in NUMBER_WORDS:
            if s[w.end() : words[i + 1].start()].strip() == "":
                sign = "-"
                j = i + 1
        if words[j].group().lower() not in NUMBER_WORDS or words[j].group().lower() in SCALES:
            i += 1
            continue
        run = [words[j]]
        k = j + 1
        last_end = words[j].end()
        while k < len(words):
            gap = s[last_end : words[k].start()]
            if gap.strip(" -") != "" or gap.count("-") > 1:
                break
            lk = words[k].group().lower()
            if lk in NUMBER_WORDS:
                run.append(words[k])
                last_end = words[k].end()
                k += 1
            elif (
                lk == "and"
                and (run[-1].group().lower() == "hundred" or run[-1].group().lower() in SCALES)
                and k + 1 < len(words)
                and words[k + 1].group().lower() in NUMBER_WORDS
                and s[words[k].end() : words[k + 1].start()].strip() == ""
            ):
                last_end = words[k].end()
                k += 1  # "one hundred and five"
            else:
                break
        value = _words_value([r.group().lower() for r in run])
        if value is None:
            raise CheckError("parse_error", "bad number words")
        start = w.start() if sign else run[0].start()
        # a numeral right before a scale word: "2 million" is handled by the caller's regex
        out.append(s[pos:start])
        out.append(sign + str(value))
        pos = run[-1].end()
        i = k
    out.append(s[pos:])
    return "".join(out)


def _words_value(ws: list[str]) -> int | None:
    total = 0
    current = 0
    last = ""  # kind of the previous word: unit, teen, tens, hundred, scale
    for w in ws:
        if w in UNITS_0_19:
            if last in ("unit", "teen") or (last == "tens" and UNITS_0_19[w] >= 10):
                return None
            if last == "tens" and w == "zero":
                return None
            current += UNITS_0_19[w]
            last = "teen" if UNITS_0_19[w] >= 10 else "unit"
        elif w in TENS:
            if last in ("unit", "teen", "tens"):
                return None
            current += TENS[w]
            last = "tens"
        elif w == "hundred":
            if current == 0 or current >= 100 or last == "hundred":
                return None
            current *= 100
            last = "hundred"
        elif w in SCALES:
            if current == 0 or last == "scale":
                return None
            total += current * 10 ** SCALES[w]
            current = 0
            last = "scale"
        else:
            return None
    return total + current


def _strip_trailing_units(s: str) -> str:
    """R5.2: drop the unit phrase after the last number ("60 km/h", "$12/hour", "864 sq ft").

    Used only when the gold has no free variables: then any trailing word that is not a
    constant, number, scale or percent word is a unit; single letters only from a short list.
    """
    while True:
        t = s.rstrip()
        if t.endswith("."):
            t = t[:-1].rstrip()
        m = re.search(r"(?:\^\s*\{?\s*[23]\s*\}?)$", t)
        core = t[: m.start()].rstrip() if m else t
        j = len(core)
        while j > 0 and core[j - 1].isalpha():
            j -= 1
        word = core[j:]
        if not word:
            return s
        before = core[:j]
        lw = word.lower()
        prev = before[-1:] if before else ""
        if j > 0 and before[-1] == "\\":
            return s  # a LaTeX command such as \pi
        if lw in NOT_UNITS and lw not in ("per",):
            return s
        spaced = prev in (" ", "/", "")
        if len(word) == 1:
            ok = word in UNIT_LETTERS and prev in (" ", "/")
        elif lw in UNIT_WORDS:
            ok = True
        else:
            ok = spaced and prev != ""
        if not ok or not before.strip():
            return s
        rest = before.rstrip()
        if rest.endswith("/"):
            rest = rest[:-1].rstrip()
        if not rest or not (rest[-1].isalnum() or rest[-1] in ")}]%"):
            return s
        s = rest


def _strip_text_unit_suffix(s: str) -> str:
    """R5.4: `\\text{ cm}^2`-style suffixes whose content is a known unit phrase."""
    while True:
        m = _UNIT_TEXT_SUFFIX.search(s)
        if not m:
            return s
        words = m.group(1).replace("/", " ").split()
        if not words or not all(w.lower().strip(".") in UNIT_WORDS for w in words):
            return s
        s = s[: m.start()].rstrip()


def normalize(s: str, *, strip_units: bool) -> str:
    """Normalise one answer string for the lexer.

    strip_units: the gold has no free variables, so any trailing word after the last number is
    a unit (R5.2); otherwise only `\\text{unit}` suffixes and known unit words go (R5.4).
    """
    s = undo_escaping(s.strip()).strip()
    s = s.rstrip("\\ ")  # a trailing `\` or `\\` (a LaTeX line break) ends nothing
    if _OPEN_LIST.search(s):
        raise CheckError("parse_error", "open-ended list")  # `1, 2, 3, ...` is not `1, 2, 3`
    # Markdown bold (`**31**`), but not Python's power operator (`9**9`).
    s = _BOLD.sub(" ", s).replace("`", "")
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "\"'":
        s = s[1:-1].strip()
    for k, v in _UNICODE_MATH.items():
        if k in s:
            s = s.replace(k, v)
    s = re.sub(r"\\[dtc]frac(?![A-Za-z])", r"\\frac", s)
    s = re.sub(r"\\[dt]binom(?![A-Za-z])", r"\\binom", s)
    s = re.sub(r"\\left\s*\.|\\right\s*\.", " ", s)
    s = re.sub(r"\\(?:left|right)(?![A-Za-z])", "", s)
    s = _DROP_CMDS.sub(" ", s)
    s = unwrap_command(s, ("boxed", "fbox", "framebox"))
    s = _DEGREES.sub(" ", s)
    s = _strip_text_unit_suffix(s)
    s = unwrap_command(s, _TEXT_WRAPPERS, pad=True)
    # R6 spacing inside numbers: `{,}` and `,\!` are commas, `\,` is a (thin) space.
    s = s.replace("{,}", ",").replace(",\\!", ",").replace("\\!", "").replace("\\,", " ")
    s = _SPACING.sub(" ", s)
    s = _CURRENCY.sub("", s)
    s = s.replace("\\(", " ").replace("\\)", " ").replace("\\[", " ").replace("\\]", " ")
    s = re.sub(r"\\(?:ldots|dots|cdots)(?![A-Za-z])", "", s)
    s = s.replace("\\%", "%")
    s = _PERCENT_WORD.sub("%", s)
    s = _REAL_WORDS.sub(r"\\mathbb{R}", s)
    s = _SCALE_AFTER_NUMERAL.sub(lambda m: m.group(1) + "e" + str(SCALES[m.group(2).lower()]), s)
    s = _number_words(s)
    s = _SIGN_WORD.sub("-", s)  # "negative 5", "10 minus 4"
    s = (
        s.replace("<=", "\\le ")
        .replace(">=", "\\ge ")
        .replace("=<", "\\le ")
        .replace("=>", "\\ge ")
    )
    s = re.sub(r"(?<![\d)!])!=", r"\\ne ", s)
    s = _TIMES_X.sub(r"\1 \\times 10^", s)
    s = _braceless(s, "frac", 2)
    s = _braceless(s, "binom", 2)
    s = _braceless(s, "sqrt", 1)
    s = " ".join(s.split()).lstrip("=: ")
    if strip_units:  # R5.4: with free variables in the gold only \text{unit} suffixes go
        s = _strip_trailing_units(s)
    # R4.1: trailing punctuation (after units: "150 km." and "63.00.").
    s = s.rstrip(" .,;:")
    if strip_units:
        s = _strip_trailing_units(s).rstrip(" .,;:")
    return s
