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
    r"(?<![\w.^_])(?<!\^\{)(?<!_\{)-?(?:\\?\$|€|£|¥)?"
    r"(?:(?:\d{1,3}(?:[, \u2009\u202f]\d{3})+(?!\d)|\d+,\d{1,2}(?![\d,])|\d+)(?:\.\d+)?"
    r"|\.\d+)(?![\w.]\d)"
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


# Environment names and array column specs are markup, not words: `\begin{pmatrix}`.
_ENV = re.compile(r"\\(?:begin|end)\s*\{[A-Za-z*]{1,20}\}(?:\{[lcr|]{1,40}\})?")
# The argument of \text-like commands inside a span is math's own prose: `$5\text{ apples}$`.
_TEXT_ARG = re.compile(r"\\(?:text[a-z]{0,6}|mbox|mathrm|operatorname)\s*\{[^{}$]{0,80}\}")


def is_prose(text: str) -> bool:
    """Does the text contain an ordinary word (not a LaTeX command, unit, number or math word)?"""
    if "\\" in text:
        text = _TEXT_ARG.sub(" ", _ENV.sub(" ", text))
    if not text.isascii() and any(ch.isalpha() and ord(ch) > 0x3FF for ch in text):
        return True  # words in another script (Greek letters are math)
    return any(m.group().lower() not in _MATH_WORDS for m in _WORD.finditer(text))


def _box_at(text: str, start: int) -> tuple[int, str] | None:
    """(end, content) of the `\\boxed`/`\\fbox` starting at `start`, or None if unbalanced."""
    k = start + (len("\\boxed") if text.startswith("\\boxed", start) else len("\\fbox"))
    while k < len(text) and text[k] == " ":
        k += 1
    if k < len(text) and text[k] == "{":
        end = match_brace(text, k)
        return (end + 1, text[k + 1 : end]) if end > 0 else None
    m = re.match(r"[^\s$]+", text[k : k + 200])  # "\boxed 5"
    return (k + m.end(), m.group()) if m else None


def _last_box_start(text: str, before: int) -> int:
    return max(text.rfind("\\boxed", 0, before), text.rfind("\\fbox", 0, before))


# What may stand between boxes that together are one answer: `\boxed{1}, \boxed{2}`,
# `\boxed{-2} and \boxed{1}`, `\boxed{4} for part (a) and \boxed{2}`. Bounded, no nesting.
_JOINER = re.compile(
    r"[\s$,;]{0,8}(?:(?:for|in)\s(?:part\s)?\s?\(?[a-z0-9]\)?[\s,]{0,3})?"
    r"(?:and|or|&)?[\s$,;]{0,8}",
    re.IGNORECASE,
)


def box_span(text: str) -> tuple[int, int, str] | None:
    """(start, end, content) of the final answer in boxes: the last `\\boxed{}`, joined as a
    list with the boxes just before it when only a separator stands between them (R1.2.1)."""
    start = _last_box_start(text, len(text))
    if start < 0:
        return None
    got = _box_at(text, start)
    if got is None:
        return None
    end, content = got
    parts = [content]
    first = start
    while len(parts) < 20:
        prev = _last_box_start(text, first)
        if prev < 0:
            break
        got = _box_at(text, prev)
        if got is None or got[0] > first or not _JOINER.fullmatch(text[got[0] : first]):
            break
        parts.insert(0, got[1])
        first = prev
    return first, end, ", ".join(p.strip() for p in parts)


def several_boxes(text: str) -> bool:
    """More than one box: `\\boxed{3}\\boxed{5}` must not be read whole as 35."""
    return text.count("\\boxed") + text.count("\\fbox") > 1


def last_boxed(text: str) -> str | None:
    """The boxed final answer (see box_span), or None."""
    got = box_span(text)
    return got[2] if got else None


def math_spans(text: str) -> list[tuple[int, str]]:
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
    spans = math_spans(text)
    return max(spans)[1] if spans else None


def _marker(text: str) -> tuple[int, int]:
    """(start, end) of the last `final answer is`/`answer is`/`Answer:`/`####`, or (-1, -1)."""
    low = text.lower()
    best, best_len = -1, 0
    for mk in _MARKERS:
        j = low.rfind(mk)
        if j > best:
            best, best_len = j, len(mk)
    return best, best + best_len


def _names_only(span: str) -> bool:
    """A span that only names a quantity (`$k$`, `$f(x)$`, `$AB$`): no digit, no operator."""
    t = span.strip()
    return bool(re.fullmatch(r"[A-Za-z](?:_\{?\w{1,3}\}?)?'?(?:\([A-Za-z]\))?|[A-Z]{2,3}", t))


def after_marker(text: str) -> str | None:
    """Text after the last marker, to the sentence end (R1.2.2). A math span there is the
    answer unless it only names the quantity; a sentence gives its last number."""
    best, end = _marker(text)
    if best < 0:
        return None
    rest = text[end:].lstrip(" :*\n")
    m = _SENTENCE_END.search(rest)
    sentence = rest[: m.start()] if m else rest
    # a sentence end inside a math span does not count: take the span when one starts the rest
    spans = [sp for sp in math_spans(sentence) if not _names_only(sp[1])]
    if not spans and rest.startswith(("$", "\\(", "\\[")):
        spans = [sp for sp in math_spans(rest)[:1] if not _names_only(sp[1])]
    if spans:
        return max(spans)[1]
    out = sentence.strip().strip("*").strip()
    if out and is_prose(out):
        num = last_number(out)
        if num is not None:
            return num
    return out or None


def last_number(text: str) -> str | None:
    last = None
    for m in _NUMBER.finditer(text):
        last = m
    return last.group().strip() if last else None


def parses(s: str, strip_units: bool) -> bool:
    """R1.1: does the whole string parse as an answer? Limit violations are raised, not hidden."""
    try:
        parse(normalize(s, strip_units=strip_units))
        return True
    except CheckError as e:
        if e.reason in ("too_big", "too_deep", "too_long"):
            raise
        return False


def find_answer(text: str) -> str | None:
    """R1.2 in order: boxes, marker, math span. A marker after the last box wins over it:
    `\\boxed{40} pencils at first ... The final answer is 45`."""
    box = box_span(text)
    mstart, _ = _marker(text)
    if box is not None and mstart > box[1]:
        found = after_marker(text)
        if found is not None and found.strip():
            return found
    if box is not None and box[2].strip():
        return box[2]
    for find in (after_marker, last_math_span):  # lazily: the last one scans it all
        found = find(text)
        if found is not None and found.strip():
            return found
    return None


def extract_for_check(pred: str, *, strip_units: bool = True) -> str:
    """R1 for the checker: the answer text, or CheckError(no_answer/too_long/...)."""
    if len(pred) > MAX_RAW_PRED:
        raise CheckError("too_long")
    text = strip_think(pred).strip()
    if not text:
        raise CheckError("no_answer")
    if len(text) <= MAX_ANSWER and not several_boxes(text) and parses(text, strip_units):
        return text
    found = find_answer(text)
    if found is not None:
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


_DELIMS = ("$$", "$", "\\(", "\\)", "\\[", "\\]")


def as_written(answer: str) -> str:
    """The answer as a person would write it: no math delimiters (paired or stray, as in
    `180\\)`), no enclosing `\\boxed{}`, no trailing punctuation. The checker reads the same
    answer; this only changes what is shown and stored."""
    s = answer.strip()
    for _ in range(6):
        before = s
        for d in _DELIMS:
            if s.startswith(d) and not (d == "$" and s.count("$") == 1):  # `$13.50` is money
                s = s[len(d) :].lstrip()
            if s.endswith(d) and not s.endswith("\\" + d):
                s = s[: -len(d)].rstrip()
        for tag in ("\\boxed", "\\fbox"):
            if s.startswith(tag):
                k = len(tag)
                while k < len(s) and s[k] == " ":
                    k += 1
                if k < len(s) and s[k] == "{" and match_brace(s, k) == len(s) - 1:
                    s = s[k + 1 : -1].strip()
        s = s.rstrip(" .,;")
        if s == before:
            break
    return s or answer.strip()


def extract_with_reason(text: str) -> tuple[str | None, str]:
    """The final answer of a whole reply, or None and why not (S5: no_answer, too_long, …)."""
    try:
        return as_written(extract_for_check(text)) or None, ""
    except CheckError as exc:
        return None, exc.reason
    except RecursionError:
        return None, "too_deep"
