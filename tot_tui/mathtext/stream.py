"""Math rendered while a reply streams in, for consumers that only ever append.

    stream = MathStream(width=80)
    for delta in deltas:
        out.write(stream.feed(delta))   # only what can no longer change
    out.write(stream.finish())          # the rest

Everything written, concatenated, is `render(full_text, width)` (plain style), with one
exception below. Each `feed` writes what is *stable*: what no later text can change. Held back:

- an open span (`\\[ x = ` with no `\\]` yet), until it closes; or, given up as written, when
  its paragraph ends (a blank line: `render` shows it as written then too) or when more than
  `max_hold` characters have come after its opener;
- a `$` that a later `$` could still pair with into math (`$5` with no closing `$` yet), for
  the same while;
- a trailing partial opener (`\\`, `\\b`, `\\fra`, `\\begin{ali`), until the next character
  says what it is;
- a complete span at the very end (`$5-$` may still become money, `\\frac{1}\\p` may grow), and a
  complete display block until the character after it (punctuation right after a block joins
  its middle line, as `render` does);
- white space at the end of what was written (a block that follows drops it).

The exception: a span (or a `$`) given up after `max_hold` characters that then closes in the
same paragraph is shown as written, where `render` of the whole text would render it (the
stream's `gave_up` is then True: a consumer that can redraw may render the whole text again
once it is complete).

Styles:

- plain (`markdown=False`): `render`'s text, for a terminal.
- Markdown (`markdown=True`), for Textual's `Markdown`/`MarkdownStream`: prose passes through
  as the model's own Markdown (or escaped, with `escape_prose`); math on a line, rendered or
  as written when it cannot be read, is backslash-escaped so Markdown shows it literally; a
  display block of several lines is a fenced code block of plain `text` (its 2-D layout kept,
  no syntax colours), one of a single line is a line of its own (hard line breaks around it).
- `raw=True`: every span exactly as written (escaped in Markdown style); prose as in the
  style. Plain and raw is the text itself.
"""

from __future__ import annotations

import re
from typing import Literal

from tot_tui.mathtext import _TRAILING_PUNCTUATION, _span
from tot_tui.mathtext.spans import Segment, find_segments

__all__ = ["MAX_HOLD", "MathStream", "markdown_escape", "render_markdown"]

MAX_HOLD = 400  # characters an open span (or an unpaired `$`) may hold the stream back

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
_ESCAPE_OR_DOLLAR = re.compile(r"\\.|\$", re.S)
# The end of a text that may be the start of an opener: `\`, `\b`, `\begin{al`, `\boxed`,
# `\dfra` (`$` at the end is an open span already, see spans.py).
_PARTIAL_OPENER = re.compile(
    r"\\(?:b(?:e(?:g(?:i(?:n(?:\{[A-Za-z]{0,30}\*?)?)?)?)?)?"
    r"|b(?:o(?:x(?:e(?:d)?)?)?)?"
    r"|[dtc]?(?:f(?:r(?:a(?:c)?)?)?)?)\Z")
_TRAILING_BREAK = re.compile(r"\n[ \t]*\Z")
_MD_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")  # CommonMark: any ASCII punctuation

Kind = Literal["prose", "math"]


def markdown_escape(text: str) -> str:
    """`text` shown literally by Markdown: every ASCII punctuation character backslash-escaped,
    each line break a hard one (so lines stay lines)."""
    return _MD_PUNCTUATION.sub(r"\\\1", text).replace("\n", "  \n")


def render_markdown(text: str, width: int | None = None, *, raw: bool = False,
                    escape_prose: bool = False) -> str:
    """All of `text` at once in the Markdown style (see the module docstring)."""
    stream = MathStream(width=width, markdown=True, raw=raw, escape_prose=escape_prose)
    return stream.feed(text) + stream.finish()


def _fence(lines: list[str]) -> str:
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    return "`" * max(3, longest + 1)


class MathStream:
    """Feed a reply delta by delta; each call returns only the newly stable output to append.

    `width`: the columns a display block may take (see `render`). `max_hold`: see the module
    docstring. The stream keeps the whole text (`text`); `feed` after `finish` is an error.
    """

    def __init__(self, *, width: int | None = None, markdown: bool = False, raw: bool = False,
                 escape_prose: bool = False, max_hold: int = MAX_HOLD) -> None:
        self.width = width
        self.markdown = markdown
        self.raw = raw
        self.escape_prose = escape_prose
        self.max_hold = max_hold
        self._text = ""
        self._finished = False
        self._base = 0  # segments are found from here: a segment's start (a point in step)
        self._done = 0  # text[:_done] is written
        self._forced: int | None = None  # an open span given up: as written to its paragraph end
        # render()'s joins: a block was written, so what follows starts on a new line
        self._break_pending = False
        self._piece: int | None = None  # the segment being written (render's out[-1])
        self._piece_open = False  # has it written anything yet?
        self._pending = ""  # trailing white space of the piece, held: a block drops it
        self._pending_kind: Kind = "prose"
        self._has_out = False  # render's `out` is not empty
        self._md_after: Literal["line", "fence"] | None = None  # Markdown: just after a block
        self._out: list[str] = []
        self.gave_up = False  # a span or a `$` was given up (see the module docstring)

    @property
    def text(self) -> str:
        """Everything fed so far."""
        return self._text

    @property
    def holding(self) -> str:
        """The text fed but not written yet (held back)."""
        return self._text[self._done:]

    def feed(self, delta: str) -> str:
        """Take the next piece of the reply; return the output that became stable."""
        if self._finished:
            raise RuntimeError("feed() after finish()")
        if delta:
            self._text += delta
            self._advance(final=False)
        return self._take()

    def finish(self) -> str:
        """The reply is complete: return the rest of the output."""
        if not self._finished:
            self._finished = True
            self._advance(final=True)
            self._flush_pending()
        return self._take()

    # -- finding what is stable ------------------------------------------------------------

    def _advance(self, final: bool) -> None:
        text = self._text
        while True:
            if self._forced is not None:
                if not self._advance_forced(final):
                    return
                continue
            segments = [Segment(s.kind, s.start + self._base, s.end + self._base, s.body)
                        for s in find_segments(text[self._base:])]
            limit, give_up = (len(text), None) if final else self._limit(segments)
            if not self._write_segments(segments, limit, final):
                return  # a display block waits for what follows it
            if give_up is None:
                return
            start, what = give_up
            self.gave_up = True
            if what == "open":
                self._forced = start
            else:  # a `$` that never paired: prose, and the text after it is looked at anew
                self._append("prose", text[start:start + 1], self._piece)
                self._done = self._base = start + 1

    def _limit(self, segments: list[Segment]) -> tuple[int, tuple[int, str] | None]:
        """Where the first unstable part starts (the length when none), and whether it is
        given up: (where, "open" or "dollar")."""
        text = self._text
        n = len(text)
        limit, kind = n, ""
        if segments and segments[-1].kind != "prose" and segments[-1].end == n:
            limit, kind = segments[-1].start, segments[-1].kind  # open, or may still grow
        breaks = [m.start() + self._base for m in _PARAGRAPH_BREAK.finditer(text, self._base)]
        paragraph = breaks[-1] if breaks else self._base - 1
        dollar = None  # the last `$` in prose in the last paragraph
        for segment in segments:
            if segment.kind != "prose" or segment.end <= paragraph or segment.start >= limit:
                continue
            for match in _ESCAPE_OR_DOLLAR.finditer(text, segment.start, segment.end):
                if match.group() == "$" and match.start() > paragraph:
                    dollar = match.start()
        if dollar is not None and dollar < limit and not any(
                m.group() == "$" for m in _ESCAPE_OR_DOLLAR.finditer(text, dollar + 1)):
            limit, kind = dollar, "dollar"  # no `$` after it yet: a later one may pair with it
        if segments and segments[-1].kind == "prose" and limit == n:
            last = segments[-1]
            partial = _PARTIAL_OPENER.search(text, max(last.start, n - 48))
            if partial is not None:
                at = partial.start()
                before = text[last.start:at]
                run = len(before) - len(before.rstrip("\\"))  # backslashes right before it
                if run % 2 == 0:  # not the second half of an escaped backslash
                    limit, kind = at, "partial"
        if kind in ("open", "dollar") and n - limit > self.max_hold:
            return limit, (limit, "open" if kind == "open" else "dollar")
        return max(limit, self._done), None

    def _write_segments(self, segments: list[Segment], limit: int, final: bool) -> bool:
        """Write the stable part of `segments` (those before `limit`); False when a display
        block must wait for the next character."""
        text = self._text
        for i, segment in enumerate(segments):
            if segment.end <= self._done:
                continue
            if segment.start >= limit:
                break
            if segment.kind == "prose":
                end = min(segment.end, limit)
                self._append("prose", text[self._done:end], segment.start)
                self._done = end
                if end < segment.end:
                    break
                continue
            source = text[segment.start:segment.end]
            if self.raw:
                self._append("math", source, segment.start)
                self._done = segment.end
                continue
            rendered = _span(segment, self.width)
            if rendered is None or segment.kind != "display":
                self._append("math", source if rendered is None else rendered.lines[0],
                             segment.start)
                self._done = segment.end
                continue
            following = segments[i + 1] if i + 1 < len(segments) else None
            absorbed = ""
            if following is not None and following.kind == "prose":
                p = segment.end  # the punctuation that may join the block, then what follows
                while p < len(text) and text[p] in ".,;:!?":
                    p += 1
                if p > segment.end and not final and not (
                        p < len(text) and (text[p].isspace() or p < limit)):
                    self._base = segment.start  # wait for the character after it
                    return False
                match = _TRAILING_PUNCTUATION.match(text, following.start, following.end)
                absorbed = match.group() if match is not None else ""
            elif following is None and not final:
                self._base = segment.start
                return False
            lines = list(rendered.lines)
            lines[rendered.baseline] += absorbed
            self._block(lines, segment.start)
            self._done = segment.end + len(absorbed)
        self._base = self._segment_start(segments)
        return True

    def _segment_start(self, segments: list[Segment]) -> int:
        """A place to find segments from next time: the start of the one not yet written."""
        for segment in segments:
            if segment.start <= self._done < segment.end:
                return segment.start
        if segments and segments[-1].end == self._done and segments[-1].kind == "prose":
            return segments[-1].start  # prose at the end: it may go on
        return max(self._base, self._done)

    def _advance_forced(self, final: bool) -> bool:
        """Write the given-up span as written, up to its paragraph's end; True once it ended."""
        text, start = self._text, self._forced
        assert start is not None
        found = _PARAGRAPH_BREAK.search(text, self._done)
        if found is not None:
            end = found.start()
        elif final:
            end = len(text)
        else:
            tail = _TRAILING_BREAK.search(text, self._done)  # may become a blank line
            end = tail.start() if tail is not None else len(text)
        self._append("math", text[self._done:end], start)
        self._done = end
        if found is None and not final:
            return False
        self._forced = None
        self._base = end
        return True

    # -- writing, with render()'s joins ----------------------------------------------------

    def _append(self, kind: Kind, piece: str, segment: int | None) -> None:
        """The next characters of the piece of `segment` (render's `out[-1]`)."""
        if segment != self._piece:
            self._piece, self._piece_open = segment, False
        if self._break_pending:
            piece = piece.lstrip(" \t")
            if not piece:
                return
            self._break_pending = False
            if not piece.startswith("\n"):
                piece = "\n" + piece
        if not piece:
            return
        if not self._piece_open:  # the piece before is complete: its white space stays
            self._flush_pending()
            self._piece_open = True
        self._has_out = True
        body = piece.rstrip(" \t\n")
        if body:
            self._flush_pending()
            self._write(kind, body)
        self._pending += piece[len(body):]
        self._pending_kind = kind

    def _flush_pending(self) -> None:
        if self._pending:
            self._write(self._pending_kind, self._pending)
            self._pending = ""

    def _block(self, lines: list[str], segment: int) -> None:
        """A display block, on lines of its own (render: a line break before it, white space
        before that dropped)."""
        before = ""
        if self._has_out:
            before = self._pending if self._pending.endswith("\n") \
                else self._pending.rstrip(" \t") + "\n"
        self._pending = ""
        joined = "\n".join(lines)
        body = joined.rstrip(" \t")
        if not self.markdown:
            self._out.append(before + body)
        elif len(lines) > 1:
            fence = _fence(lines)
            blank = "\n" if self._has_out else ""
            self._put(f"{before}{blank}{fence}text\n{body}\n{fence}")  # text: no colours
            self._md_after = "fence"
        else:
            self._put((before[:-1] + "  \n" if before else "") + markdown_escape(body))
            self._md_after = "line"
        self._pending, self._pending_kind = joined[len(body):], "math"
        self._piece, self._piece_open = segment, True
        self._has_out = True
        self._break_pending = True

    def _put(self, text: str) -> None:
        """Markdown output, with the line after a block set apart from it."""
        if self._md_after is not None:
            if not text.strip(" \t"):
                return  # white space after a block: Markdown has no use for it
            if text.lstrip(" \t").startswith("\n"):
                text = ("  " if self._md_after == "line" else "\n") + text
            self._md_after = None
        self._out.append(text)

    def _write(self, kind: Kind, text: str) -> None:
        if not self.markdown:
            self._out.append(text)
        elif kind == "math" or self.escape_prose:
            self._put(markdown_escape(text))
        else:
            self._put(text)

    def _take(self) -> str:
        out = "".join(self._out)
        self._out.clear()
        return out
