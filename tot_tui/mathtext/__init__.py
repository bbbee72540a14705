"""LaTeX math in text, rendered as readable Unicode for a terminal.

    render(r"The answer is $\\boxed{12}$.")   -> "The answer is ⟦12⟧."
    render(r"so $x = \\frac{-b}{2a}$")         -> "so x = −b/(2a)"
    render(r"\\[ x = \\frac{1}{2} \\]")        -> "    1\\nx = ─\\n    2"

Prose is left as it is; each math span (`$…$`, `$$…$$`, `\\(…\\)`, `\\[…\\]`, a bare math
environment such as `\\begin{align*}…\\end{align*}`, a bare `\\boxed{…}` or `\\frac{…}{…}`) is
replaced by its rendering. See spans.py for how spans are found, including the rule that keeps
dollar amounts ("It costs $5 and $7 more") as prose.

Decisions:

- Inline math is one line: `\\frac{a}{b}` is a/b (parts of more than one symbol in
  parentheses: (x+1)/(x−2)), or ½-style where Unicode has the digit fraction; scripts are
  Unicode superscripts/subscripts when every character has one (x², aₙ), else x^(a+b), x_(ij).
- Display math (`$$…$$`, `\\[…\\]`, bare environments) is set on lines of its own, and may
  take several: stacked fractions, matrices in tall brackets, cases with a brace, equations
  aligned at `&`, a drawn box for `\\boxed`. The prose after it starts on the next line (white
  space at the joins is dropped, and punctuation right after the span stays on the block's
  middle line). If the block is wider than `width`, its environments keep their rows and
  columns with everything in them on one line; if that is still too wide, it is one line.
- `\\boxed{…}` inline is marked ⟦…⟧.
- A span that cannot be read (unbalanced braces, an unknown macro with arguments, an unknown
  environment, an unfinished span while streaming) is left exactly as written. An unknown macro
  without arguments is kept as written (`\\foo`) inside an otherwise rendered span: printing its
  bare name would read as a product of letters.

Safety: `render` does not escape its input. It adds no character but printable ones and
newlines (which tot_tui.textsafe.safe_text keeps), so untrusted text is made safe with
safe_text either before or after rendering.

Speed: `render` is meant to be called on every prefix of a streamed reply. Each span's
rendering is cached by its source, so a call costs a scan of the text plus the new spans;
pylatexenc is imported on first use, not when this package is imported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from tot_tui.mathtext.spans import Segment, find_segments

__all__ = ["has_math", "render", "render_inline"]

_MATH_MARK = re.compile(r"\$|\\[(\[]|\\begin\{|\\(?:boxed|[dtc]?frac)\{")
_TRAILING_PUNCTUATION = re.compile(r"[.,;:!?]+(?=\s|$)")
_LINE_BREAKS = re.compile(r"[ \t]*\n\s*")
_MAX_SPAN = 20_000  # longer spans are left raw rather than laid out


def has_math(text: str) -> bool:
    """Whether `text` may contain math for `render` to change (a cheap check, no parsing: a
    lone `$` counts). False means `render(text)` is `text`."""
    return _MATH_MARK.search(text) is not None


@dataclass(frozen=True, slots=True)
class _Rendered:
    lines: tuple[str, ...]
    baseline: int


@lru_cache(maxsize=4096)
def _render_span(body: str, display: bool, width: int | None) -> _Rendered | None:
    """One span's rendering, or None to leave it as written."""
    if len(body) > _MAX_SPAN:
        return None
    from tot_tui.mathtext.layout import COMPACT, DISPLAY, INLINE, layout
    from tot_tui.mathtext.parse import parse_math

    tree = parse_math(body)
    if tree is None:
        return None
    try:
        for style in (DISPLAY, COMPACT) if display else ():
            box = layout(tree, style)
            if width is None or box.width <= width:
                if box.height == 1:
                    return _Rendered(box.lines, 0)
                return _Rendered(tuple(line.rstrip() for line in box.lines), box.baseline)
        return _Rendered(layout(tree, INLINE).lines, 0)
    except Exception:  # a layout bug must not break the reply: show the span as written
        return None


def render(text: str, width: int | None = None) -> str:
    """`text` with every math span replaced by its rendering (see the module docstring).

    `width` is the number of columns available: a display block wider than that is rendered
    on one line instead (which the caller may wrap). Never raises.
    """
    if not has_math(text):
        return text
    segments = find_segments(text)
    out: list[str] = []
    break_pending = False  # a block was written: what follows starts on a new line
    skip = 0  # characters of the next prose segment already written (punctuation)
    for i, segment in enumerate(segments):
        start, skip = segment.start + skip, 0
        rendered = _span(segment, width)
        if rendered is None or segment.kind != "display":
            piece = text[start:segment.end] if rendered is None else rendered.lines[0]
            if break_pending:
                piece = piece.lstrip(" \t")
                if piece:
                    break_pending = False
                    if not piece.startswith("\n"):
                        piece = "\n" + piece
            if piece:
                out.append(piece)
            continue
        lines = list(rendered.lines)
        following = segments[i + 1] if i + 1 < len(segments) else None
        if following is not None and following.kind == "prose":
            punctuation = _TRAILING_PUNCTUATION.match(text, following.start, following.end)
            if punctuation is not None:
                lines[rendered.baseline] += punctuation.group()
                skip = len(punctuation.group())
        if out and not out[-1].endswith("\n"):
            out[-1] = out[-1].rstrip(" \t")
            out.append("\n")
        out.append("\n".join(lines))
        break_pending = True
    return "".join(out)


def render_inline(text: str) -> str:
    """`text` on one line: every span rendered as inline math (display math too: no 2-D
    layout), each line break a space. For a field shown on one line: an answer, a step."""
    if has_math(text):
        pieces = []
        for segment in find_segments(text):
            rendered = None if segment.kind in ("prose", "open") else \
                _render_span(segment.body, False, None)
            pieces.append(text[segment.start:segment.end] if rendered is None
                          else rendered.lines[0])
        text = "".join(pieces)
    return _LINE_BREAKS.sub(" ", text)


def _span(segment: Segment, width: int | None = None) -> _Rendered | None:
    if segment.kind in ("prose", "open"):
        return None
    return _render_span(segment.body, segment.kind == "display", width)
