"""Math in the UI: LaTeX rendered as Unicode, or shown as written, app-wide, with one key.

The state is the app's `raw_math` (the key `app.raw_math` toggles it); the app publishes each
change on its `math_signal`, and every widget that shows model text follows it (`follow`).
Widgets mounted in another app (tests) see math rendered. tot_tui.mathtext is imported on
first use, so never before the first paint (and pylatexenc only when there is math to read).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.dom import DOMNode

# LaTeX without delimiters, as an answer is often written: `\frac{1}{2}`, `x^2`, `a_{n}`.
_BARE_MATH = re.compile(r"\\[A-Za-z]|[\^_]")


def is_raw(node: DOMNode) -> bool:
    """Is math shown as written (the source) in `node`'s app?"""
    return bool(getattr(node.app, "raw_math", False))


def follow(node: DOMNode, callback: Callable[[bool], Any]) -> None:
    """Call `callback(raw)` on `node` whenever math is switched between rendered and raw."""
    signal = getattr(node.app, "math_signal", None)
    if signal is not None:
        signal.subscribe(node, callback)


def unfollow(node: DOMNode) -> None:
    signal = getattr(node.app, "math_signal", None)
    if signal is not None:
        signal.unsubscribe(node)


def one_line(text: str, raw: bool = False) -> str:
    """`text` (a step, a hint) on one line, its math rendered unless `raw`."""
    if raw:
        return text
    from tot_tui.mathtext import render_inline

    return render_inline(text)


def answer_line(text: str, raw: bool = False) -> str:
    """An answer on one line, its math rendered unless `raw`. An answer is often LaTeX without
    delimiters (the inside of a `\\boxed{}`): read as math when it looks like LaTeX."""
    if raw or not text:
        return text
    from tot_tui.mathtext import has_math, render_inline

    if has_math(text) or not _BARE_MATH.search(text):
        return render_inline(text)
    rendered = render_inline(f"\\({text}\\)")
    return text if rendered.startswith("\\(") else rendered  # unreadable: as written


def reply_markdown(text: str, width: int | None, raw: bool = False) -> str:
    """A whole reply as Markdown, math rendered (blocks as fenced code) or, with `raw`, as
    written and escaped; the model's own Markdown kept."""
    from tot_tui.mathtext.stream import render_markdown

    return render_markdown(text, width, raw=raw)


def fence_width(columns: int, *, inset: int = 0) -> int | None:
    """The columns a display block may take in a Markdown view `columns` wide (a fenced code
    block pads its text by 2 each side), `inset` more taken (a quote's bar); None when the
    view has not been laid out yet."""
    width = columns - 4 - inset
    return width if columns > 0 and width >= 10 else None
