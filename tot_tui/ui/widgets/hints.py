"""Hint mode: the steps stay hidden and are revealed one at a time."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from tot_tui.textsafe import safe_text
from tot_tui.ui.keymap import key_hint
from tot_tui.ui.mathview import follow, is_raw, one_line, unfollow


class HintView(VerticalScroll):
    """Reveals `steps` one by one; `revealed` is how many the human has seen."""

    HELP = """\
## Hints
Try the problem yourself. Each hint reveals the next step of the plan (**Ctrl+F** or the
*Next hint* button). Type your answer in *Your answer* and press **Enter**.
"""

    DEFAULT_CSS = """
    HintView {
        border: round $accent 50%;
        border-title-color: $text;
        height: 1fr;
        width: 1fr;
        padding: 0 1;
    }
    HintView > .hint { margin-bottom: 1; }
    HintView > .hidden-note { color: $text-muted; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.border_title = "Hints"
        self.steps: list[str] = []
        self.revealed = 0

    def compose(self) -> ComposeResult:
        yield Static(classes="hidden-note")

    def set_steps(self, steps: list[str]) -> None:
        if steps != self.steps:
            self.steps = list(steps)
            self.revealed = 0
            self._render_hints()

    def reveal_next(self) -> bool:
        """Reveal one more step; False when all are shown already."""
        if self.revealed >= len(self.steps):
            return False
        self.revealed += 1
        self._render_hints()
        return True

    def on_mount(self) -> None:
        self._render_hints()
        follow(self, lambda _raw: self._render_hints())

    def on_unmount(self) -> None:
        unfollow(self)

    def _render_hints(self) -> None:
        if not self.is_mounted:
            return  # drawn on mount
        for hint in self.query(".hint"):
            hint.remove()
        note = self.query_one(".hidden-note", Static)
        raw = is_raw(self)  # math in a hint rendered on its line, unless shown as written
        hints = [Static(Text.assemble((f"Hint {i + 1}. ", "bold"),
                                      safe_text(one_line(step, raw))), classes="hint")
                 for i, step in enumerate(self.steps[: self.revealed])]
        if hints:
            self.mount_all(hints, before=note)
        hidden = len(self.steps) - self.revealed
        if not self.steps:
            note.update(key_hint(self, "No steps yet: decompose the problem first "
                                       "({solve.decompose}); the hints are the teacher's steps."))
        elif hidden:
            note.update(key_hint(self, f"{hidden} more hint{'s' if hidden > 1 else ''} hidden. "
                                       "{solve.next_hint} (or Next hint) reveals the next one."))
        else:
            note.update("All hints shown.")
        self.border_title = f"Hints · {self.revealed}/{len(self.steps)} shown"
