"""The student's reply, streamed by appending Markdown, with its verdict underneath.

Deltas are collected and handed to `Markdown.get_stream()` at most every FLUSH_SECONDS (the
stream batches further when rendering lags): the document is appended to, never re-rendered
from scratch, and a fast model costs a few layouts a second instead of one per token. The scroll
view is anchored, so it follows the bottom only while the reader is at the bottom.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from tot_tui.textsafe import safe_text
from tot_tui.ui.dom import child_on_first_use, uncancellable
from tot_tui.ui.keymap import key_hint
from tot_tui.ui.plain import plain
from tot_tui.ui.widgets.verdict import VerdictBanner

FLUSH_SECONDS = 0.1  # fast enough to read as live, slow enough to keep layouts rare

if TYPE_CHECKING:
    from textual.timer import Timer
    from textual.widgets import Markdown
    from textual.widgets.markdown import MarkdownStream

    from tot_tui.domain import AttemptView


class StudentStream(Vertical):
    """One student pane: title, streamed reply, verdict."""

    HELP = """\
## Student reply
The student model's answer streams here. Scroll up to read while it writes: the pane stops
following the bottom until you scroll back down. **Esc** cancels and keeps what arrived.
"""

    # The Markdown is at least as tall as the view: an anchored view then starts short replies
    # at the top instead of pinning them to the bottom. (No comments in the CSS: Textual parses
    # them slowly, and this is parsed before the first paint.)
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
    """

    def __init__(self, title: str, *, placeholder: str = "", id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.border_title = title
        self._placeholder = placeholder
        self._stream: MarkdownStream | None = None
        self._parts: list[str] = []  # everything that arrived, as sent (before escaping)
        self._pending: list[str] = []  # arrived but not yet handed to the Markdown stream
        self._flush_timer: Timer | None = None
        self._who = ""
        self.running = False

    def compose(self) -> ComposeResult:
        # The Markdown widget (and markdown-it) and the verdict banner are created on first
        # use: the first screen paints sooner without them.
        with VerticalScroll(can_focus=True):
            yield Static(self._placeholder, classes="placeholder", markup=False)

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
    def banner(self) -> VerdictBanner:
        """The verdict line under the reply, mounted on first use (like the Markdown)."""
        return child_on_first_use(self, "VerdictBanner", VerdictBanner, VerdictBanner)

    async def start(self, subtitle: str) -> None:
        """Clear the pane and open a new stream."""
        await self._stop_stream()
        self._parts = []
        self.running = True
        self.border_subtitle = plain(subtitle)
        self.banner.show_note("Waiting for the student model (the first request may load it)…")
        markdown = await self._markdown()
        await uncancellable(markdown.update(""))
        self.scroller.anchor()
        self._stream = type(markdown).get_stream(markdown)

    def show_loading(self, model: str, host: str) -> None:
        """The request is out and no token has come (a cold model loads first)."""
        self._who = f"{safe_text(model, 40)} @ {host.removeprefix('http://')}"
        self.border_subtitle = plain(f"{self._who} · waiting (a cold model loads first)…")

    async def append(self, text: str) -> None:
        if self._stream is None:
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

    async def _flush(self) -> None:
        self._flush_timer = None
        if self._pending and self._stream is not None:
            chunk = safe_text("".join(self._pending))
            self._pending.clear()
            await self._stream.write(chunk)

    async def finish(self, attempt: AttemptView, reference: str | None) -> None:
        await self._stop_stream()
        self.running = False
        usage = attempt.usage
        seconds = f" · {usage.total_ns / 1e9:.1f} s" if usage.total_ns else ""
        tokens = f" · {usage.output_tokens} tokens" if usage.output_tokens else ""
        self.border_subtitle = plain(f"{attempt.student_model}{tokens}{seconds}")
        self.banner.show_attempt(attempt, reference)

    async def fail(self, note: str) -> None:
        """The stream ended early; what arrived stays on screen."""
        await self._stop_stream()
        self.running = False
        self._end_subtitle("stopped")
        self.banner.show_note(note)

    def cancelled(self) -> None:
        """Called from a cancelled worker: stop the stream (soon) without awaiting."""
        self.running = False
        self.call_later(self._stop_stream)
        self._end_subtitle("cancelled")
        self.banner.show_note("Cancelled — the partial reply is kept here and in the history.")

    def _end_subtitle(self, how: str) -> None:
        # "model @ host · writing…" must not outlive the stream.
        self.border_subtitle = plain(f"{self._who} · {how}" if self._who else how)

    async def reset(self, placeholder: str | None = None) -> None:
        await self._stop_stream()
        self.running = False
        self._parts = []
        self.border_subtitle = ""
        for banner in self.query(VerdictBanner):
            banner.clear()
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

    async def show_text(self, text: str, subtitle: str = "") -> None:
        """Show a stored reply at once (no streaming)."""
        await self._stop_stream()
        self._parts = [text]
        self.border_subtitle = plain(subtitle)
        markdown = await self._markdown()
        await uncancellable(markdown.update(safe_text(text)))

    async def _stop_stream(self) -> None:
        """Hand over what is pending, then close the stream (it renders what it holds)."""
        if self._flush_timer is not None:
            self._flush_timer.stop()
        await self._flush()
        self._pending.clear()
        stream, self._stream = self._stream, None
        if stream is not None:
            await uncancellable(stream.stop())
