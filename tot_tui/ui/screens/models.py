"""The Models screen: teacher and student pickers per host, status, pull with progress."""

from __future__ import annotations

import asyncio
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, ProgressBar, Select, Static

from tot_tui.config import normalize_host
from tot_tui.domain import ROLES, HostStatus, Role
from tot_tui.textsafe import safe_text
from tot_tui.ui.bindings import bindings
from tot_tui.ui.notices import show_path
from tot_tui.ui.plain import plain
from tot_tui.ui.screens.base import TotScreen
from tot_tui.ui.widgets.connection import ConnectionIndicator
from tot_tui.ui.widgets.key_bar import KeyBar
from tot_tui.ui.widgets.model_picker import ModelPicker, has_model
from tot_tui.ui.widgets.title_bar import TitleBar


class ModelsScreen(TotScreen):
    # Layout, read when the screen first opens (not before the first paint).
    CSS = """
    #pickers { height: 1fr; }
    #pull-box { height: 4; padding: 0 1; border-top: tall $primary 30%; }
    #pull-row { height: 1; }
    #pull-row > Label { padding-right: 1; text-style: bold; }
    #pull-row > Input { width: 1fr; }
    #pull-row > Select { width: 28; margin-left: 1; }
    #pull-row > Button { margin-left: 1; min-width: 8; width: auto; }
    #pull-progress-row { height: 1; margin-top: 1; }
    #pull-progress { width: 60; }
    #pull-status { width: 1fr; padding-left: 1; }
    """

    HELP = """\
## Models screen
Pick the teacher and the student from each host's models (**Enter** on a row), edit a host URL
(**Enter** saves it), and pull a missing model: type its name, choose whose host, **Pull**.
The progress bar shows the download; **Esc** cancels it. **Ctrl+R** checks the hosts again.
"""

    BINDINGS: ClassVar[list[BindingType]] = bindings("models")

    PALETTE: ClassVar[list[tuple[str, str, str]]] = [
        ("Refresh models", "Ask each host for its models again", "refresh"),
        ("Pull a model", "Download a model onto a host", "focus_pull"),
        ("Cancel pull", "Stop the download in progress", "cancel_pull"),
    ]

    def __init__(self) -> None:
        super().__init__(id="models-screen")

    def compose(self) -> ComposeResult:
        config = self.tutor.config
        yield TitleBar()
        yield ConnectionIndicator()
        with Horizontal(id="pickers"):
            for role in ROLES:
                yield ModelPicker(role, config.host(role), config.model(role),
                                  id=f"{role}-picker")
        with Vertical(id="pull-box"):
            with Horizontal(id="pull-row"):
                yield Label("Pull a model", id="pull-label")
                yield Input(placeholder="model name, e.g. llama3.2:3b", id="pull-name",
                            compact=True)
                yield Select([("on the teacher's host", "teacher"),
                              ("on the student's host", "student")], value="student",
                             allow_blank=False, id="pull-role", compact=True)
                yield Button("Pull", id="pull", variant="primary", compact=True)
                yield Button("Cancel", id="cancel-pull", variant="error", compact=True,
                             disabled=True)
            with Horizontal(id="pull-progress-row"):
                yield ProgressBar(id="pull-progress", show_eta=False)
                yield Static("", id="pull-status")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#pull-progress", ProgressBar).display = False
        self.refresh_hosts()

    def on_screen_resume(self) -> None:
        self.refresh_hosts()

    def _show_connection(self, statuses: dict[Role, HostStatus]) -> None:
        super()._show_connection(statuses)
        # The app's periodic check found a host back (or gone): the pickers follow at once.
        for role, status in statuses.items():
            shown = self.picker(role).status
            if shown is not None and (shown.ok, shown.host) != (status.ok, status.host):
                self.refresh_hosts()
                return

    def picker(self, role: str) -> ModelPicker:
        return self.query_one(f"#{role}-picker", ModelPicker)

    # -- hosts and models ------------------------------------------------------------------

    @work(exclusive=True, group="models-refresh", exit_on_error=False)
    async def refresh_hosts(self) -> None:
        config = self.tutor.config
        for role in ROLES:
            self.picker(role).show_checking()
        await asyncio.to_thread(self.tutor.gateway, "teacher")  # import ollama off the loop
        by_host: dict[str, HostStatus] = {}
        missing: list[str] = []
        for role in ROLES:
            host = config.host(role)
            if host not in by_host:
                by_host[host] = await self.tutor.host_status(role)
            status = by_host[host]
            picker = self.picker(role)
            picker.set_model(config.model(role))
            picker.show_status(status)
            if status.ok and not has_model(status.models, picker.model):
                missing.append(role)
        pull_name = self.query_one("#pull-name", Input)
        # A name already on every host (say, the model just pulled) gives way to a missing one.
        stale = bool(pull_name.value) and all(
            has_model(status.models, pull_name.value.strip())
            for status in by_host.values() if status.ok)
        if missing and (not pull_name.value or stale):
            # Offer the missing model, on the host of the role that needs it.
            pull_name.value = self.picker(missing[0]).model
            self.query_one("#pull-role", Select).value = missing[0]

    def action_refresh(self) -> None:
        self.refresh_hosts()
        self.tot_app.check_connection(announce=False)

    @on(ModelPicker.ModelChosen)
    def _model_chosen(self, event: ModelPicker.ModelChosen) -> None:
        key = f"{event.role}_model"
        if self.tot_app.save_settings(**{key: event.model}):
            event.picker.set_model(event.model)
            self.notify(f"The {event.role} is now {event.model} (saved to "
                        f"{show_path(self.tutor.config.paths.config_file)}).", timeout=5)
            self.tot_app.check_connection(announce=False)

    @on(ModelPicker.HostSubmitted)
    def _host_submitted(self, event: ModelPicker.HostSubmitted) -> None:
        value = event.host.strip()
        try:
            host = normalize_host(value) if value else None
        except ValueError as exc:
            self.notify(f"{value!r} is not a host URL ({exc}). Write it like "
                        "http://127.0.0.1:11434.", severity="error")
            return
        if not self.tot_app.save_settings(**{f"{event.role}_host": host}):
            return
        config = self.tutor.config
        effective = config.host(event.role)
        if host and effective != host:
            self.notify(f"Saved, but {effective} is still used for the {event.role}: an "
                        f"environment variable (TOT_TUI_{event.role.upper()}_HOST) or a "
                        "command-line flag overrides the config file.", severity="warning",
                        timeout=12)
        else:
            self.notify(f"The {event.role} now uses {effective}.", timeout=4)
        # The field shows the host in use (an empty one means the default or OLLAMA_HOST).
        event.picker.show_host(effective)
        self.refresh_hosts()
        self.tot_app.check_connection(announce=False)

    # -- pull --------------------------------------------------------------------------------

    def would_lose(self) -> list[str]:
        pulling = any(w.group == "pull" and w.is_running for w in self.workers)
        return ["a model download in progress"] if pulling else []

    def action_focus_pull(self) -> None:
        self.query_one("#pull-name", Input).focus()

    def action_cancel_pull(self) -> None:
        running = [w for w in self.workers if w.group == "pull" and w.is_running]
        for worker in running:
            worker.cancel()

    @on(Button.Pressed, "#pull")
    @on(Input.Submitted, "#pull-name")
    def _pull_pressed(self) -> None:
        name = self.query_one("#pull-name", Input).value.strip()
        if not name:
            self.notify("Type the name of the model to pull, e.g. llama3.2:3b.",
                        severity="warning")
            self.action_focus_pull()
            return
        chosen = self.query_one("#pull-role", Select).value
        self.pull(name, next((r for r in ROLES if r == chosen), "student"))

    @on(Button.Pressed, "#cancel-pull")
    def _cancel_pressed(self) -> None:
        self.action_cancel_pull()

    def _pulling(self, active: bool) -> None:
        self.query_one("#pull", Button).disabled = active
        self.query_one("#cancel-pull", Button).disabled = not active

    @work(exclusive=True, group="pull", exit_on_error=False)
    async def pull(self, name: str, role: Role) -> None:
        bar = self.query_one("#pull-progress", ProgressBar)
        status = self.query_one("#pull-status", Static)
        host = self.tutor.config.host(role)
        bar.update(total=None, progress=0)
        bar.display = True
        status.update(plain(f"Asking {host} for {safe_text(name, 40)}…"))
        self._pulling(True)
        try:
            async for progress in self.tutor.pull(name, role):
                if progress.total:
                    bar.update(total=progress.total, progress=progress.completed or 0)
                status.update(plain(progress.status, 60))
        except BaseException as exc:
            if isinstance(exc, asyncio.CancelledError) or not str(exc):
                how = "cancelled" if isinstance(exc, asyncio.CancelledError) else "failed"
                status.update(plain(f"Pull of {safe_text(name, 40)} {how}."))
            else:  # the reason stays here once the notice is gone
                status.update(plain(str(exc), 160))
            self._pulling(False)
            bar.display = bar.total is not None  # an unknown total animates: hide it
            raise
        self._pulling(False)
        if bar.total is None:
            bar.update(total=1, progress=1)
        else:
            bar.update(progress=bar.total)
        status.update(plain(f"{safe_text(name, 40)} is ready on {host}."))
        self.notify(f"Pulled {name} on {host}. Choose it with Enter in the list.",
                    title="Pull finished", timeout=6)
        self.refresh_hosts()
        self.tot_app.check_connection(announce=False)
