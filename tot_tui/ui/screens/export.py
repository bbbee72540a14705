"""Choose an export format and scope (the selected problems or everything)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, RadioButton, RadioSet

from tot_tui.tutor.export import FORMATS
from tot_tui.ui.bindings import bindings

FORMAT_LABELS = {"markdown": "Markdown (.md)", "json": "JSON (.json)", "csv": "CSV (.csv)"}


class ExportScreen(ModalScreen[tuple[str, bool] | None]):
    """Dismisses with (format, selection_only), or None when cancelled."""

    DEFAULT_CSS = """
    ExportScreen { align: center middle; }
    ExportScreen > Vertical {
        width: 56; height: auto; border: thick $primary; background: $surface; padding: 1 2;
    }
    ExportScreen RadioSet { width: 1fr; margin-bottom: 1; }
    ExportScreen Horizontal { height: auto; align-horizontal: right; }
    ExportScreen Button { margin-left: 2; }
    """

    BINDINGS: ClassVar[list[BindingType]] = bindings("export")

    def __init__(self, selected: int) -> None:
        super().__init__()
        self._selected = selected

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Format")
            with RadioSet(id="format"):
                for i, fmt in enumerate(FORMATS):
                    yield RadioButton(FORMAT_LABELS.get(fmt, fmt), value=i == 0, name=fmt)
            yield Label("Problems")
            with RadioSet(id="scope"):
                yield RadioButton(f"Selected ({self._selected})", value=self._selected > 0,
                                  name="selection", disabled=self._selected == 0)
                yield RadioButton("Everything", value=self._selected == 0, name="all")
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Export", id="export", variant="primary")

    def on_mount(self) -> None:
        self.query_one(Vertical).border_title = "Export the history"
        # The format first: arrows pick one, Tab reaches the scope and the buttons.
        self.query_one("#format", RadioSet).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id != "export":
            self.dismiss(None)
            return
        fmt_button = self.query_one("#format", RadioSet).pressed_button
        scope_button = self.query_one("#scope", RadioSet).pressed_button
        fmt = fmt_button.name if fmt_button and fmt_button.name else FORMATS[0]
        self.dismiss((fmt, bool(scope_button and scope_button.name == "selection")))
