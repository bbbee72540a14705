"""POLICY R1: find the final answer inside a whole model reply. Pure Python, linear scans only."""

from __future__ import annotations

import re

from .errors import CheckError
from .limits import MAX_ANSWER, MAX_RAW_PRED
from .normalize import match_brace, normalize
from .parser import parse
from .words import NOT_UNITS, UNIT_WORDS

_MARKERS = ("final answer is", "answer is", "answer:", "####")
_WORD = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{2,}")
# The last number-like token: sign, currency, digits with separators, decimals, a/b, %, scale.
_NUMBER = re.compile(
    r"-?\\[dt]?frac\s*\{\s*\d+\s*\}\s*\{\s*\d+\s*\}(?:\s?\\?%)?|"
    r"(?<![\w.])-?(?:\\?\$|€|£|¥)?"
    r"(?:(?:\d{1,3}(?:[, \u2009\u202f]\d{3})+(?!\d)|\d+)(?:\.\d+)?|\.\d+)(?![\w.]\d)"
    r"(?:\s?/\s?\d+)?(?:\s?(?:\\?%|percent|per cent))?(?:\s(?:thousand|million|billion))?"
)
_SENTENCE_END = re.compile(r"\.(?:\s|$)|\n")
_MATH_WORDS = NOT_UNITS | UNIT_WORDS | {"sqrt", "frac", "infty"}


def strip_think(text: str) -> str:
    """Drop `<think>...</think>` blocks (and anything before a dangling `</think>`). One pass."""
    pieces: list[str] = []
    pos = 0
    while True:
        i = text.find("<think>", pos)
        if i < 0:
            pieces.append(text[pos:])
            break
        pieces.append(text[pos:i])
        j = text.find("</think>", i)
        if j < 0:
            break  # an unclosed block runs to the end
        pos = j + len("</think>")
    text = "".join(pieces)
    j = text.rfind("</think>")
    if j >= 0:
        text = text[j + len("</think>") :]
    return text


def is_prose(text: str) -> bool:
    """Does the text contain an ordinary word (not a LaTeX command, unit, number or math word)?"""
    return any(m.group().lower() not in _MATH_WORDS for m in _WORD.finditer(text))


def last_boxed(text: str) -> str | None:
    """Content of the last `\\boxed{...}` / `\\fbox{...}`, matching braces by counting.

    Only the last one is tried (an unbalanced last box means no box): one linear scan."""
    best = max(text.rfind("\\boxed"), text.rfind("\\fbox"))
    if best < 0:
        return None
    k = best + (len("\\boxed") if text.startswith("\\boxed", best) else len("\\fbox"))
    while k < len(text) and text[k] == " ":
        k += 1
    if k < len(text) and text[k] == "{":
        end = match_brace(text, k)
        return text[k + 1 : end] if end > 0 else None
    m = re.match(r"[^\s$]+", text[k : k + 200])  # "\boxed 5"
    return m.group() if m else None


def _math_spans(text: str) -> list[tuple[int, str]]:
    """(end position, content) of every `$..$`, `$$..$$`, `\\(..\\)`, `\\[..\\]` span."""
    spans: list[tuple[int, str]] = []
    opened: tuple[int, str] | None = None
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n:
            nxt = text[i + 1]
            if nxt in "([":
                close = "\\)" if nxt == "(" else "\\]"
                j = text.find(close, i + 2)
                if j >= 0:
                    spans.append((j + 2, text[i + 2 : j]))
                    i = j + 2
                    continue
            i += 2  # \$ and other escapes
            continue
        if c == "$":
            delim = "$$" if text.startswith("$$", i) else "$"
            if opened is None:
                opened = (i + len(delim), delim)
            elif opened[1] == delim:
                content = text[opened[0] : i]
                if not is_prose(content):
                    spans.append((i + len(delim), content))
                    opened = None
                else:  # "$2 each, so she earns $18": currency, not math; restart here
                    opened = (i + len(delim), delim)
            i += len(delim)
            continue
        i += 1
    return spans


def last_math_span(text: str) -> str | None:
    spans = _math_spans(text)
    return max(spans)[1] if spans else None


def after_marker(text: str) -> str | None:
    """Text after the last `final answer is`/`answer is`/`Answer:`/`####`, to the sentence end."""
    low = text.lower()
    best, best_len = -1, 0
    for mk in _MARKERS:
        j = low.rfind(mk)
        if j > best:
            best, best_len = j, len(mk)
    if best < 0:
        return None
    rest = text[best + best_len :]
    m = _SENTENCE_END.search(rest.lstrip(" :"))
    rest = rest.lstrip(" :")
    # a sentence end inside a math span does not count: take the span when one starts the rest
    span = last_math_span(rest[: m.start()] if m else rest)
    if span is None and rest.startswith(("$", "\\(", "\\[")):
        spans = _math_spans(rest)
        span = spans[0][1] if spans else None
    if span is not None:
        return span
    out = (rest[: m.start()] if m else rest).strip()
    return out or None


def last_number(text: str) -> str | None:
    last = None
    for m in _NUMBER.finditer(text):
        last = m
    return last.group().strip() if last else None


def _parses(s: str, strip_units: bool) -> bool:
    """R1.1: does the whole string parse as an answer? Limit violations are raised, not hidden."""
    try:
        parse(normalize(s, strip_units=strip_units))
        return True
    except CheckError as e:
        if e.reason in ("too_big", "too_deep", "too_long"):
            raise
        return False


def extract_for_check(pred: str, *, strip_units: bool = True) -> str:
    """R1 for the checker: the answer text, or CheckError(no_answer/too_long/...)."""
    if len(pred) > MAX_RAW_PRED:
        raise CheckError("too_long")
    text = strip_think(pred).strip()
    if not text:
        raise CheckError("no_answer")
    if len(text) <= MAX_ANSWER and _parses(text, strip_units):
        return text
    for find in (last_boxed, after_marker, last_math_span):  # lazily: the last one scans it all
        found = find(text)
        if found is not None and found.strip():
            if len(found) > MAX_ANSWER:
                raise CheckError("too_long")
            return found
    if not is_prose(text):
        # A formula, not a sentence: never fish a number out of it (`-(-(-(...2)))` is not 2).
        if len(text) > MAX_ANSWER:
            raise CheckError("too_long")
        parse(normalize(text, strip_units=strip_units))  # raises the real parse error
        return text
    num = last_number(text)
    if num is None:
        raise CheckError("no_answer")
    return num


def extract_answer(text: str) -> str | None:
    """The final answer of a whole model reply (R1), for display; None when there is none."""
    return extract_with_reason(text)[0]


def extract_with_reason(text: str) -> tuple[str | None, str]:
    """The final answer of a whole reply, or None and why not (S5: no_answer, too_long, …)."""
    try:
        return extract_for_check(text).strip() or None, ""
    except CheckError as exc:
        return None, exc.reason
    except RecursionError:
        return None, "too_deep"
