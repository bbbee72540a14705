"""F1: help for the focused widget, the keys that work here, and how tot-tui works."""

from __future__ import annotations

from typing import ClassVar

from rich.markdown import Markdown as RichMarkdown
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Static

from tot_tui.ui.bindings import bindings
from tot_tui.ui.keymap import key_display

OVERVIEW = """\
## How tot-tui works
A large **teacher** model breaks the problem into short steps without solving it; you can edit
them; a small **student** model solves the problem by following them; the answer is checked
against the reference. Everything is kept in the **History** (F3).

**F2** Solve · **F3** History · **F4** Models · **F5** Settings · **Ctrl+P** all commands ·
**Ctrl+Q** quit. Keys can be changed in Settings (keymap).
"""


def help_for(widget: Widget | None) -> list[str]:
    """The HELP texts of the focused widget and its ancestors, nearest first."""
    texts: list[str] = []
    node = widget
    while node is not None:
        text = getattr(type(node), "HELP", None)
        if isinstance(text, str) and text.strip() and text not in texts:
            texts.append(text.strip())
        node = node.parent if isinstance(node.parent, Widget) else None
    return texts


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical {
        width: 90; max-width: 95%; height: 90%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    HelpScreen VerticalScroll { height: 1fr; }
    HelpScreen #help-text { background: transparent; padding: 1 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = bindings("help")

    def __init__(self, focused: Widget | None, keys: list[tuple[str, str]]) -> None:
        super().__init__()
        self._focused = focused
        self._keys = keys

    def compose(self) -> ComposeResult:
        sections = help_for(self._focused)
        if self._keys:
            rows = "\n".join(f"- **{key}** — {desc}" for key, desc in self._keys)
            sections.append(f"## Keys here\n{rows}")
        sections.append(OVERVIEW)
        # One widget drawing rich's Markdown: Textual's Markdown widget makes a widget per
        # block (some fifty here), and laying them out made F1 take most of a second.
        with Vertical():
            with VerticalScroll():
                yield Static(RichMarkdown("\n\n".join(sections)), id="help-text")

    def on_mount(self) -> None:
        self.query_one(Vertical).border_title = "Help · Esc to close"
        self.query_one(VerticalScroll).focus()

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)


def active_keys(screen: object) -> list[tuple[str, str]]:
    """(keys, description) for the bindings active on a screen, in a stable order."""
    keys: dict[str, list[str]] = {}
    descriptions: dict[str, str] = {}
    for key, active in getattr(screen, "active_bindings", {}).items():
        binding = active.binding
        # Keys of our own widgets, screens and app; Textual's editing keys are noise here.
        if not binding.description or not type(active.node).__module__.startswith("tot_tui"):
            continue
        keys.setdefault(binding.action, []).append(key)
        descriptions.setdefault(binding.action, binding.description)
    return [(key_display(",".join(k)), descriptions[a]) for a, k in keys.items()]
