"""A thinking model's reasoning: a collapsed section above its reply, streamed by appending.

The reasoning is apart from the reply (it is never read for steps or an answer) and often long,
so the section starts collapsed and its title says how much there is. It is model text: shown
as written (a `Content`, never markup), control characters made visible. While collapsed only
the title follows the stream; the text is laid out when the section is opened, and then at
most every FLUSH_SECONDS.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import Collapsible, Static

from tot_tui.ui.plain import plain

if TYPE_CHECKING:
    from textual.timer import Timer

FLUSH_SECONDS = 0.1  # as the reply's stream: live enough, few layouts


class Reasoning(Collapsible):
    """One model's reasoning. Hidden until it has some (`append`, `show_text`)."""

    DEFAULT_CSS = """
    Reasoning {
        height: auto; width: 1fr; background: transparent; border-top: none;
        padding: 0; margin: 0 0 1 0; display: none;
    }
    Reasoning.-shown { display: block; }
    Reasoning > CollapsibleTitle { padding: 0 1; color: $text-muted; }
    Reasoning > Contents { padding: 0 1 0 3; }
    Reasoning > Contents > .reasoning-text { color: $text-muted; }
    """

    def __init__(self, label: str = "Reasoning", *, id: str | None = None,
                 classes: str | None = None) -> None:
        self._body = Static("", classes="reasoning-text", markup=False)
        super().__init__(self._body, title=label, collapsed=True, id=id, classes=classes)
        self._label = label  # ours, never model text: the title is read as markup
        self._parts: list[str] = []
        self._chars = 0
        self._flush_timer: Timer | None = None
        self._drawn = -1  # how much of the text the body shows (-1: none of it yet)
        self.streaming = False

    @property
    def text(self) -> str:
        """The reasoning as it arrived so far."""
        return "".join(self._parts)

    @property
    def chars(self) -> int:
        """How many characters of reasoning there are."""
        return self._chars

    def start(self, label: str | None = None) -> None:
        """Forget what it showed: a new reply is on its way (hidden until it reasons)."""
        self._stop_timer()
        self._label = label or self._label
        self._parts, self._chars, self._drawn, self.streaming = [], 0, -1, True
        self.collapsed = True
        self.remove_class("-shown")
        self._draw()

    def append(self, text: str) -> None:
        if not text:
            return
        self._parts.append(text)
        self._chars += len(text)
        self.streaming = True
        self.add_class("-shown")
        if self._flush_timer is None:
            self._flush_timer = self.set_timer(FLUSH_SECONDS, self._flush)

    def finish(self) -> None:
        """The reply ended: the title says how much reasoning there was."""
        self.streaming = False
        self._stop_timer()
        self._draw()

    def show_text(self, text: str | None, label: str | None = None) -> None:
        """Show stored reasoning at once, collapsed; hidden when there is none."""
        self._stop_timer()
        self._label = label or self._label
        self._parts, self._chars, self._drawn = ([text] if text else []), len(text or ""), -1
        self.streaming = False
        self.collapsed = True
        self.set_class(bool(self._chars), "-shown")
        self._draw()

    def _stop_timer(self) -> None:
        if self._flush_timer is not None:
            self._flush_timer.stop()
            self._flush_timer = None

    def _flush(self) -> None:
        self._flush_timer = None
        self._draw()

    def _draw(self) -> None:
        state = " · thinking…" if self.streaming else ""
        self.title = f"{self._label}{state} ({self._chars:,} chars)"
        if not self.collapsed and self._drawn != self._chars:
            self._body.update(plain(self.text))
            self._drawn = self._chars

    def on_collapsible_expanded(self, event: Collapsible.Expanded) -> None:
        if event.collapsible is self:
            self._draw()
