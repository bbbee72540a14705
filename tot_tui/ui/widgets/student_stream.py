"""The student's reply, streamed by appending Markdown, with its verdict underneath.

Deltas are collected and handed to `Markdown.get_stream()` at most every FLUSH_SECONDS (the
stream batches further when rendering lags): the document is appended to, never re-rendered
from scratch, and a fast model costs a few layouts a second instead of one per token. The scroll
view is anchored, so it follows the bottom only while the reader is at the bottom.

Math goes through a `MathStream` (Markdown style) on the way: a span is written once it is
complete, rendered, so the append-only document never shows half a formula; a display block
is a fenced code block as wide as the pane was when the reply started. The app's math key
(app.raw_math) shows the source instead: the pane is then drawn again from what arrived.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from tot_tui.textsafe import safe_text
from tot_tui.ui.dom import child_on_first_use, uncancellable
from tot_tui.ui.keymap import key_hint
from tot_tui.ui.mathview import fence_width, follow, is_raw, reply_markdown, unfollow
from tot_tui.ui.plain import plain
from tot_tui.ui.widgets.verdict import VerdictBanner

FLUSH_SECONDS = 0.1  # fast enough to read as live, slow enough to keep layouts rare

if TYPE_CHECKING:
    from textual.timer import Timer
    from textual.widgets import Markdown
    from textual.widgets.markdown import MarkdownStream

    from tot_tui.domain import AttemptView
    from tot_tui.mathtext.stream import MathStream
    from tot_tui.ui.widgets.reasoning import Reasoning


class StudentStream(Vertical):
    """One student pane: title, streamed reply, verdict."""

    HELP = """\
## Student reply
The student model's answer streams here. Scroll up to read while it writes: the pane stops
following the bottom until you scroll back down. **Esc** cancels and keeps what arrived.

Math is rendered as it arrives (a formula once it is complete); **F8** (or **Ctrl+\\\\**) shows
the LaTeX as written everywhere, and again renders it.
"""

    # The Markdown is at least as tall as the view: an anchored view then starts short replies
    # at the top instead of pinning them to the bottom. A display block (a fenced code block)
    # is set on the reply's background, without the blank rows a fence has. (No comments in
    # the CSS: Textual parses them slowly, and this is parsed before the first paint.)
    DEFAULT_CSS = """
    StudentStream {
        border: round $primary 50%;
        border-title-color: $text;
        border-subtitle-color: $text-muted;
        height: 1fr;
        width: 1fr;
        padding: 0 0;
    }
    StudentStream:focus-within { border: round $primary; }
    StudentStream > VerticalScroll { height: 1fr; scrollbar-size-vertical: 1; }
    StudentStream Markdown { margin: 0 1; padding: 0; background: transparent;
                             min-height: 100%; }
    StudentStream .placeholder { color: $text-muted; margin: 0 1; }
    StudentStream MarkdownFence { margin: 0 0 1 0; background: transparent; }
    StudentStream MarkdownFence > Label { padding: 0 2; }
    StudentStream > Reasoning { margin: 0; }
    StudentStream > Reasoning > Contents { max-height: 33vh; overflow-y: auto;
                                   scrollbar-size-vertical: 1; }
    """

    def __init__(self, title: str, *, placeholder: str = "", id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.border_title = self._title = title
        self._placeholder = placeholder
        self._stream: MarkdownStream | None = None
        self._parts: list[str] = []  # everything that arrived, as sent (before escaping)
        self._pending: list[str] = []  # arrived but not yet handed to the Markdown stream
        self._flush_timer: Timer | None = None
        self._math: MathStream | None = None  # what arrived, to Markdown with its math
        self._width: int | None = None  # columns for a display block, fixed at the start
        self._switching = asyncio.Lock()  # stopping the stream, or drawing it again
        self._who = ""
        self.running = False

    def compose(self) -> ComposeResult:
        # The Markdown widget (and markdown-it) and the verdict banner are created on first
        # use: the first screen paints sooner without them.
        with VerticalScroll(can_focus=True):
            yield Static(self._placeholder, classes="placeholder", markup=False)

    def on_mount(self) -> None:
        follow(self, self._math_switched)

    def on_unmount(self) -> None:
        unfollow(self)

    @property
    def placeholder(self) -> str:
        """What the pane says before a reply (and after a reset)."""
        return self._placeholder

    @placeholder.setter
    def placeholder(self, text: str) -> None:
        shown = self._placeholder
        self._placeholder = text
        for note in self.query(".placeholder").results(Static):
            if note.content == shown:  # not a note a reset put there instead
                note.update(text)

    @property
    def text(self) -> str:
        """The reply as it arrived so far."""
        return "".join(self._parts)

    @property
    def markdown(self) -> Markdown:
        from textual.widgets import Markdown

        return self.query_one(Markdown)

    async def _markdown(self) -> Markdown:
        """The Markdown view, mounted on first use; hides the placeholder."""
        from textual.widgets import Markdown

        self.query_one(".placeholder").display = False
        found = self.query(Markdown)
        if found:
            found.first().display = True
            return found.first()
        markdown = Markdown(open_links=False)  # a model's links: the screen asks first
        await uncancellable(self.scroller.mount(markdown))
        return markdown

    @property
    def scroller(self) -> VerticalScroll:
        return self.query_one(VerticalScroll)

    @property
    def reasoning(self) -> Reasoning:
        """A thinking model's reasoning, collapsed above the reply; mounted on first use.
        Outside the reply's scroll view: a view that follows the reply's end would scroll it
        out of sight."""
        from tot_tui.ui.widgets.reasoning import Reasoning

        return child_on_first_use(self, "Reasoning", Reasoning, Reasoning, before=0)

    @property
    def thinking(self) -> str:
        """The reasoning as it arrived so far (apart from `text`)."""
        return self.reasoning.text if self.query_children("Reasoning") else ""

    def _end_reasoning(self) -> None:
        if self.query_children("Reasoning"):
            self.reasoning.finish()

    @property
    def banner(self) -> VerdictBanner:
        """The verdict line under the reply, mounted on first use (like the Markdown)."""
        return child_on_first_use(self, "VerdictBanner", VerdictBanner, VerdictBanner)

    async def start(self, subtitle: str) -> None:
        """Clear the pane and open a new stream."""
        await self._stop_stream()
        self._parts = []
        if self.query_children("Reasoning"):
            self.reasoning.start()
        self.border_title = self._title
        self.running = True
        self.border_subtitle = plain(subtitle)
        self.banner.show_note("Waiting for the student model (the first request may load it)…")
        markdown = await self._markdown()
        await uncancellable(markdown.update(""))
        self.scroller.anchor()
        self._width = self._block_width()
        self._math = self._new_math()
        self._stream = type(markdown).get_stream(markdown)

    def _block_width(self) -> int | None:
        # The scroll view less its bar and the Markdown's margins.
        return fence_width(self.scroller.size.width - 3)

    def _new_math(self) -> MathStream:
        from tot_tui.mathtext.stream import MathStream

        return MathStream(width=self._width, markdown=True, raw=is_raw(self))

    def show_loading(self, model: str, host: str) -> None:
        """The request is out and no token has come (a cold model loads first)."""
        self._who = f"{safe_text(model, 40)} @ {host.removeprefix('http://')}"
        self.border_subtitle = plain(f"{self._who} · waiting (a cold model loads first)…")

    async def append(self, text: str) -> None:
        if self._math is None:  # no reply streaming (a redraw keeps it; see _math_switched)
            return
        if not self._parts:
            self.banner.show_note(key_hint(
                self, "Writing…  ({solve.cancel} cancels and keeps what arrived)"))
            if self._who:
                self.border_subtitle = plain(f"{self._who} · writing…")
        self._parts.append(text)
        self._pending.append(text)
        if self._flush_timer is None:
            self._flush_timer = self.set_timer(FLUSH_SECONDS, self._flush)

    def append_thinking(self, text: str) -> None:
        """A piece of the model's reasoning: into its collapsed section, never the reply."""
        if self._math is None:  # no reply streaming
            return
        reasoning = self.reasoning
        if not reasoning.chars and not self._parts:
            self.banner.show_note(key_hint(
                self, "Thinking…  (the reasoning is kept apart and never graded; "
                "{solve.cancel} cancels)"))
            if self._who:
                self.border_subtitle = plain(f"{self._who} · thinking…")
        reasoning.append(text)

    async def _flush(self) -> None:
        self._flush_timer = None
        if self._pending and self._stream is not None and self._math is not None:
            chunk = safe_text("".join(self._pending))
            self._pending.clear()
            await self._stream.write(self._math.feed(chunk))
            self._name_math_key()

    def _name_math_key(self) -> None:
        """A reply with math says in the title which key shows it the other way."""
        from tot_tui.mathtext import has_math

        title = self._title
        if self._parts and hasattr(self.app, "math_signal") and has_math(self.text):
            what = "renders math" if is_raw(self) else "shows LaTeX"
            title += " · " + key_hint(self, "{app.raw_math} " + what)
        if title != self.border_title:
            self.border_title = title

    async def finish(self, attempt: AttemptView, reference: str | None) -> None:
        await self._stop_stream()
        self._end_reasoning()
        self.running = False
        usage = attempt.usage
        seconds = f" · {usage.total_ns / 1e9:.1f} s" if usage.total_ns else ""
        tokens = f" · {usage.output_tokens} tokens" if usage.output_tokens else ""
        self.border_subtitle = plain(f"{attempt.student_model}{tokens}{seconds}")
        self.banner.show_attempt(attempt, reference)

    async def fail(self, note: str) -> None:
        """The stream ended early; what arrived stays on screen."""
        await self._stop_stream()
        self._end_reasoning()
        self.running = False
        self._end_subtitle("stopped")
        self.banner.show_note(note)

    def cancelled(self) -> None:
        """Called from a cancelled worker: stop the stream (soon) without awaiting."""
        self.running = False
        self.call_later(self._stop_stream)
        self._end_reasoning()
        self._end_subtitle("cancelled")
        self.banner.show_note("Cancelled — the partial reply is kept here and in the history.")

    def _end_subtitle(self, how: str) -> None:
        # "model @ host · writing…" must not outlive the stream.
        self.border_subtitle = plain(f"{self._who} · {how}" if self._who else how)

    async def reset(self, placeholder: str | None = None) -> None:
        await self._stop_stream()
        self.running = False
        self._parts = []
        self.border_title = self._title
        self.border_subtitle = ""
        for banner in self.query(VerdictBanner):
            banner.clear()
        if self.query_children("Reasoning"):
            self.reasoning.show_text(None)
        from textual.widgets import Markdown

        for markdown in self.query(Markdown):
            await uncancellable(markdown.update(""))
            markdown.display = False
        note = self.query_one(".placeholder", Static)
        note.update(placeholder if placeholder is not None else self._placeholder)
        note.display = True
        # The last reply's anchor would keep the placeholder at the bottom: back to the top.
        self.scroller.anchor(False)
        self.scroller.scroll_home(animate=False)

    async def show_text(self, text: str, subtitle: str = "", *,
                        thinking: str | None = None) -> None:
        """Show a stored reply at once (no streaming), with its reasoning collapsed."""
        await self._stop_stream()
        if thinking or self.query_children("Reasoning"):
            self.reasoning.show_text(thinking)
        self._parts = [text]
        self.border_subtitle = plain(subtitle)
        markdown = await self._markdown()
        self._width = self._block_width()
        await uncancellable(markdown.update(self._whole()))
        self._name_math_key()

    def _whole(self) -> str:
        """Everything that arrived, as Markdown (math as the app shows it now)."""
        return reply_markdown(safe_text(self.text), self._width, is_raw(self))

    async def _stop_stream(self) -> None:
        """Hand over what is pending and what the math stream held back, then close the
        stream (it renders what it holds)."""
        async with self._switching:
            if self._flush_timer is not None:
                self._flush_timer.stop()
            await self._flush()
            self._pending.clear()
            stream, self._stream = self._stream, None
            math, self._math = self._math, None
            if stream is None:
                return
            if math is not None:
                await uncancellable(stream.write(math.finish()))
            await uncancellable(stream.stop())
            if math is not None and math.gave_up:
                # A span held too long was written as it came; the whole reply is here now.
                await uncancellable(self.markdown.update(self._whole()))

    async def _math_switched(self, raw: bool) -> None:
        """Math rendered ↔ as written: draw what arrived again (a stream goes on from it)."""
        from textual.widgets import Markdown

        async with self._switching:
            self._name_math_key()
            if not self._parts or not self.query(Markdown):
                return
            markdown = self.markdown
            stream, self._stream = self._stream, None
            if stream is None:
                await uncancellable(markdown.update(self._whole()))
                return
            await uncancellable(stream.stop())
            # What arrived until now, through a new math stream; later deltas go on from it.
            self._pending.clear()
            self._math = self._new_math()
            await uncancellable(markdown.update(self._math.feed(safe_text(self.text))))
            self._stream = type(markdown).get_stream(markdown)
            if self._pending and self._flush_timer is None:  # arrived while it was drawn
                self._flush_timer = self.set_timer(FLUSH_SECONDS, self._flush)
