"""Find the math in a text: `$…$`, `$$…$$`, `\\(…\\)`, `\\[…\\]`, bare math environments
(`\\begin{align*}…`) and bare `\\boxed{…}` / `\\frac{…}{…}`.

Rules:

- A span must close before the next blank line (TeX's inline and display math cannot cross a
  paragraph). An opener with no closer yet is an *open* span: shown raw up to the end of its
  paragraph, so a reply streamed token by token never shows half a span rendered.
- `\\$` and `\\\\` are escapes, never delimiters.
- Money: the closing `$` of a `$…$` pair must not be followed by a digit ("$5-$7"), and a pair
  whose text starts with a digit is math only if that text neither starts nor ends with white
  space (Pandoc's rule, so "It costs $5 and $7 more" has no math: the second `$` follows a
  space) and does not read like prose: a word of two or more letters with none of \\ ^ _ { } =
  ("$5 and 7$" is money, "$5$" and "$5x+1$" are math). Text that starts with anything else
  may be padded ("$ x = 1$", as written in MATH500). A `$` followed by a digit with no closing
  `$` at all is prose, not an open span, so "$1,234.50" never hides the rest of its paragraph.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from tot_tui.mathtext.parse import macro_length
from tot_tui.mathtext.symbols import MATH_ENVIRONMENTS

SegmentKind = Literal["prose", "inline", "display", "open"]

_OPENER = re.compile(
    r"\\[\\$]"  # escapes
    r"|\\\(|\\\["
    r"|\\begin\{(?P<env>[A-Za-z]+\*?)\}"
    r"|\\(?:boxed|[dtc]?frac)(?=\{)"
    r"|\$\$|\$")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
_ESCAPE_OR_DOLLAR = re.compile(r"\\.|\$", re.S)
_ESCAPE_OR_DOLLARS = re.compile(r"\\.|\$\$", re.S)
_ESCAPE = re.compile(r"\\.", re.S)
_MONEY_WORD = re.compile(r"\s[A-Za-z]{2,}")
_MATH_SIGN = re.compile(r"[\\^_{}=]")


@dataclass(frozen=True, slots=True)
class Segment:
    """text[start:end] is prose, a math span, or an open (unfinished) span; `body` is the math
    source to read (without its delimiters; a bare environment or macro is its own body)."""

    kind: SegmentKind
    start: int
    end: int
    body: str = ""


@lru_cache(maxsize=64)
def _environment_pattern(name: str) -> re.Pattern[str]:
    return re.compile(r"\\(begin|end)\{" + re.escape(name) + r"\}")


def _find_escaped(text: str, closer: str, start: int, limit: int) -> int | None:
    """Where `\\<closer>` first stands in text[start:limit], escapes skipped."""
    for match in _ESCAPE.finditer(text, start, limit):
        if match.group() == "\\" + closer:
            return match.start()
    return None


def _find_dollar(text: str, start: int, limit: int, double: bool) -> int | None:
    pattern = _ESCAPE_OR_DOLLARS if double else _ESCAPE_OR_DOLLAR
    for match in pattern.finditer(text, start, limit):
        if match.group()[0] == "$":
            return match.start()
    return None


def _environment_end(text: str, name: str, start: int, limit: int) -> int | None:
    depth = 0
    for match in _environment_pattern(name).finditer(text, start, limit):
        depth += 1 if match.group(1) == "begin" else -1
        if depth == 0:
            return match.end()
    return None


def _is_inline_math(body: str, text: str, close: int) -> bool:
    """Whether `$body$` (closing at text[close]) is math rather than money or a stray `$`."""
    if not body.strip() or text[close + 1:close + 2].isdigit():
        return False
    if not body.lstrip()[0].isdigit():
        return True
    if body[0].isspace() or body[-1].isspace():
        return False
    return not (_MONEY_WORD.search(body) and not _MATH_SIGN.search(body))


def find_segments(text: str) -> list[Segment]:
    """`text` cut into prose, math spans and open spans, in order, covering all of it."""
    breaks = [match.start() for match in _PARAGRAPH_BREAK.finditer(text)]
    segments: list[Segment] = []
    prose_start = pos = 0

    def paragraph_end(at: int) -> int:
        k = bisect.bisect_left(breaks, at)
        return breaks[k] if k < len(breaks) else len(text)

    def emit(kind: SegmentKind, start: int, end: int, body: str = "") -> None:
        if start > prose_start:
            segments.append(Segment("prose", prose_start, start))
        segments.append(Segment(kind, start, end, body))

    while (match := _OPENER.search(text, pos)) is not None:
        token, start, after = match.group(), match.start(), match.end()
        if token in ("\\\\", "\\$"):
            pos = after
            continue
        limit = paragraph_end(after)
        kind: SegmentKind = "inline"
        end: int | None = None
        body = ""
        if token in ("\\(", "\\["):
            close = _find_escaped(text, ")" if token == "\\(" else "]", after, limit)
            kind = "inline" if token == "\\(" else "display"
            if close is not None:
                end, body = close + 2, text[after:close]
        elif token == "$$":
            close = _find_dollar(text, after, limit, double=True)
            kind = "display"
            if close is not None:
                end, body = close + 2, text[after:close]
        elif token == "$":
            close = _find_dollar(text, after, limit, double=False)
            if close is None and text[after:after + 1].isdigit():
                pos = after  # a price with no closing `$`: prose
                continue
            if close is not None:
                if not _is_inline_math(text[after:close], text, close):
                    pos = after  # not math: look again from the next `$`
                    continue
                end, body = close + 1, text[after:close]
        elif match.group("env") is not None:
            if match.group("env") not in MATH_ENVIRONMENTS:
                pos = after
                continue
            kind = "display"
            end = _environment_end(text, match.group("env"), start, limit)
            if end is not None:
                body = text[start:end]
        else:  # a bare \boxed{…} or \frac{…}{…}
            length = macro_length(text[start:limit])
            if length is not None:
                end = start + length
                body = text[start:end]
        if end is None:
            emit("open", start, limit)
            prose_start = pos = limit
        else:
            emit(kind, start, end, body)
            prose_start = pos = end
    if prose_start < len(text):
        segments.append(Segment("prose", prose_start, len(text)))
    return segments
