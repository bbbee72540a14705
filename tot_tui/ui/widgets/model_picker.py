"""One role's Ollama host: its URL (editable), whether it answers, and its models to pick from."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Input, Static

from tot_tui.domain import HostStatus, ModelInfo, Role
from tot_tui.textsafe import safe_text
from tot_tui.ui.plain import plain
from tot_tui.ui.tables import fit_column


def human_size(size: int) -> str:
    if size <= 0:
        return ""
    return f"{size / 1e9:.1f} GB" if size >= 1e9 else f"{size / 1e6:.0f} MB"


def has_model(models: tuple[ModelInfo, ...] | list[ModelInfo], name: str) -> bool:
    names = {m.name for m in models}
    return name in names or f"{name}:latest" in names


class ModelPicker(Vertical):
    """Posts `HostSubmitted` when the URL is edited and `ModelChosen` when a row is chosen."""

    HELP = """\
## Models
Each role (teacher, student) talks to an Ollama host. Edit the host URL and press **Enter** to
save it. Choose a model with **Enter** on its row; the current one is marked ●.
"""

    DEFAULT_CSS = """
    ModelPicker {
        border: round $primary 50%;
        border-title-color: $text;
        height: 1fr;
        width: 1fr;
        padding: 0 1;
    }
    ModelPicker:focus-within { border: heavy $accent; border-title-color: $accent; }
    ModelPicker > Input { margin-bottom: 0; }
    ModelPicker > Input:focus { background: $boost; text-style: bold; }
    ModelPicker > DataTable:focus > .datatable--cursor { background: $accent; }
    ModelPicker > .status { height: auto; margin: 1 0; }
    ModelPicker > .status.-bad { color: $error; }
    ModelPicker > DataTable { height: 1fr; }
    """

    class HostSubmitted(Message):
        def __init__(self, picker: ModelPicker, role: Role, host: str) -> None:
            super().__init__()
            self.picker = picker
            self.role = role
            self.host = host

    class ModelChosen(Message):
        def __init__(self, picker: ModelPicker, role: Role, model: str) -> None:
            super().__init__()
            self.picker = picker
            self.role = role
            self.model = model

    def __init__(self, role: Role, host: str, model: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.role = role
        self.host = host
        self.model = model
        self.status: HostStatus | None = None
        self.border_title = plain(f"{role.capitalize()} · {safe_text(model, 40)}")

    def compose(self) -> ComposeResult:
        yield Input(self.host, placeholder="host URL, like http://127.0.0.1:11434", compact=True,
                    classes="host")
        yield Static("checking…", classes="status")
        yield DataTable(cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column(" ", key="current", width=1)
        table.add_column("Model", key="name", width=16)
        table.add_column("Size", key="size", width=7)
        table.add_column("Family", key="family", width=6)
        table.add_column("Params", key="params", width=6)
        table.add_column("Quant", key="quant", width=6)

    def on_resize(self) -> None:
        # The model names take what the other columns leave: none is cut off at the edge.
        fit_column(self.query_one(DataTable), "name", self.content_size.width, minimum=12)

    def show_checking(self) -> None:
        self.query_one(".status", Static).update("checking…")

    def show_status(self, status: HostStatus) -> None:
        self.status = status
        self.host = status.host
        label = self.query_one(".status", Static)
        label.set_class(not status.ok or not has_model(status.models, self.model), "-bad")
        if not status.ok:
            label.update(Text(safe_text(status.error)))
        else:
            # The version is the server's own string: escaped, like everything it sends.
            version = safe_text(status.version, 40)
            text = Text(f"● Ollama {version} · {len(status.models)} models")
            if not has_model(status.models, self.model):
                text.append(f"\n{safe_text(self.model)} is not here: pull it below, or "
                            "choose one of these.")
            label.update(text)
        self._fill(list(status.models))

    def show_host(self, host: str) -> None:
        """Put the host in use into the URL field."""
        self.host = host
        self.query_one("Input.host", Input).value = host

    def set_model(self, model: str) -> None:
        self.model = model
        self.border_title = plain(f"{self.role.capitalize()} · {safe_text(model, 40)}")
        if self.status is not None:
            self.show_status(self.status)

    def _fill(self, models: list[ModelInfo]) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for m in models:
            current = m.name in (self.model, f"{self.model}:latest")
            table.add_row(Text("●" if current else " ", style="bold green"),
                          Text(safe_text(m.name, 60)), Text(human_size(m.size)),
                          Text(safe_text(m.family, 20)), Text(safe_text(m.parameter_size, 12)),
                          Text(safe_text(m.quantization, 12)), key=m.name)

    @on(Input.Submitted)
    def _host_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.HostSubmitted(self, self.role, event.value))

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value:
            self.post_message(self.ModelChosen(self, self.role, event.row_key.value))
