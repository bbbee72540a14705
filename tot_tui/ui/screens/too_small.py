"""Shown instead of the screens when the terminal is smaller than they can be used in."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import ModalScreen
from textual.widgets import Static

MIN_WIDTH, MIN_HEIGHT = 60, 20  # every screen stays reachable from here up


class TooSmallScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    TooSmallScreen { align: center middle; background: $background; }
    TooSmallScreen > Static { width: 1fr; height: auto; text-align: center; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="too-small", markup=False)

    def on_mount(self) -> None:
        self.show(self.app.size.width, self.app.size.height)

    def show(self, width: int, height: int) -> None:
        self.query_one(Static).update(
            f"Terminal too small: {width}×{height}. tot-tui needs at least "
            f"{MIN_WIDTH}×{MIN_HEIGHT}; make the window larger (nothing is lost meanwhile). "
            "Ctrl+Q quits.")
