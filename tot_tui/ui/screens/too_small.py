"""Shown instead of the screens when the terminal is smaller than they can be used in."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import ModalScreen
from textual.widgets import Static


class TooSmallScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    TooSmallScreen { align: center middle; background: $background; }
    TooSmallScreen > Static { width: 1fr; height: auto; text-align: center; }
    """

    def __init__(self, min_size: tuple[int, int]) -> None:
        super().__init__()
        self._min = min_size

    def compose(self) -> ComposeResult:
        yield Static(id="too-small", markup=False)

    def on_mount(self) -> None:
        self.show(self.app.size.width, self.app.size.height)

    def show(self, width: int, height: int) -> None:
        self.query_one(Static).update(
            f"Terminal too small: {width}×{height}. tot-tui needs at least "
            f"{self._min[0]}×{self._min[1]}; make the window larger (nothing is lost meanwhile). "
            "Ctrl+Q quits.")
