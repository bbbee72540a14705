"""A one-line connection indicator: which hosts answer and whether the chosen models are there."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from rich.text import Text
from textual.message import Message
from textual.widgets import Static

from tot_tui.textsafe import safe_text

if TYPE_CHECKING:
    from tot_tui.domain import HostStatus, Role


class ConnectionIndicator(Static):
    """Shows "checking…" until `show` is given each role's status (checked in a worker)."""

    HELP = """\
## Connection
Whether each Ollama server answers and has the chosen models. **F4** opens the Models screen
to change hosts, pick models or pull a missing one.
"""

    DEFAULT_CSS = """
    ConnectionIndicator {
        height: 1;
        width: 1fr;
        padding: 0 1;
        background: $panel;
        color: $text-muted;
    }
    ConnectionIndicator.-ok { color: $text; }
    ConnectionIndicator.-bad { background: $error-muted; color: $text; }
    """

    class Clicked(Message):
        """The indicator was clicked (the app's screens open the Models screen)."""

    def on_mount(self) -> None:
        self.show_checking()  # until its screen hands it the statuses (`show`)

    def on_click(self) -> None:
        self.post_message(self.Clicked())

    def show_checking(self) -> None:
        self.remove_class("-ok", "-bad")
        self.update(Text("○ checking the Ollama server…"))

    def show(self, statuses: Mapping[Role, HostStatus], models: Mapping[Role, str]) -> None:
        """`statuses` and `models` are keyed by role ("teacher", "student")."""
        text = Text()
        bad = False
        for i, (role, status) in enumerate(statuses.items()):
            if i:
                text.append("   ")
            model = models.get(role, "")
            if not status.ok:
                bad = True
                text.append("● ", style="bold red")
                text.append(f"{role}: no server at {status.host}")
                continue
            names = {m.name for m in status.models}
            present = model in names or f"{model}:latest" in names
            text.append("● ", style="bold green" if present else "bold yellow")
            text.append(f"{role} ")
            text.append(safe_text(model, 40), style="bold")
            text.append(" @ " + status.host.removeprefix("http://"))
            if not present:
                bad = True
                text.append(" (model missing: F4 to pull)", style="bold")
        if bad:
            text.append("   F4 Models to fix")
        self.set_class(bad, "-bad")
        self.set_class(not bad, "-ok")
        self.update(text)
