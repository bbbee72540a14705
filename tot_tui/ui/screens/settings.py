"""Settings: models, hosts, temperatures, keep_alive, theme and keymap, saved to the config file.

Values are validated with the same pydantic validation that reads the file; on an error the form
stays open with everything as typed, and the notice says which field and why.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any, ClassVar, cast

from pydantic import ValidationError
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static, TextArea

from tot_tui.config import describe_problems, normalize_host, validate_settings
from tot_tui.domain import ROLES
from tot_tui.ui.bindings import bindings, known_binding_ids
from tot_tui.ui.keymap import check_keymap, format_keymap, parse_keymap
from tot_tui.ui.notices import show_path

if TYPE_CHECKING:
    from tot_tui.ui.app import TotApp

TEXT_FIELDS = ("teacher_model", "student_model", "teacher_host", "student_host",
               "teacher_temperature", "student_temperature", "keep_alive")
LABELS = {"teacher_model": "Teacher model", "student_model": "Student model",
          "teacher_host": "Teacher host", "student_host": "Student host",
          "teacher_temperature": "Teacher temperature",
          "student_temperature": "Student temperature", "keep_alive": "Keep alive",
          "theme": "Theme", "keymap": "Keymap"}


class SettingsScreen(ModalScreen[bool]):
    HELP = """\
## Settings
Saved to the config file (comments there are kept). Empty host = `OLLAMA_HOST` or the default.
**Keymap**: one `binding.id = keys` per line, e.g. `solve.solve = ctrl+r,f8`; the ids and
their default keys are listed under the box. **Ctrl+S** saves, **Esc** closes without saving.
"""

    DEFAULT_CSS = """
    SettingsScreen { align: center middle; }
    SettingsScreen > Vertical {
        width: 96; max-width: 98%; height: 34; max-height: 98%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    SettingsScreen Grid {
        grid-size: 4; grid-columns: 20 1fr 20 1fr; grid-rows: 1; grid-gutter: 1 1;
        height: auto; margin-top: 1;
    }
    SettingsScreen Grid > Label { text-align: right; width: 1fr; color: $text-muted; }
    SettingsScreen #keymap { height: 8; margin-top: 1; }
    SettingsScreen #settings-form { height: 1fr; }
    SettingsScreen #keymap-ids { height: auto; color: $text-muted; }
    SettingsScreen #settings-buttons { height: 1; align-horizontal: right; }
    SettingsScreen #settings-buttons > Button { margin-left: 2; min-width: 10; width: auto; }
    """

    BINDINGS: ClassVar[list[BindingType]] = bindings("settings")

    @property
    def tot_app(self) -> TotApp:
        return cast("TotApp", self.app)

    def _host_placeholder(self, name: str) -> str:
        """An empty host field shows, dimmed, the host used without a value here."""
        for role in ROLES:
            if name == f"{role}_host":
                return self.tot_app.config.host(role)
        return ""

    def compose(self) -> ComposeResult:
        s = self.tot_app.config.settings
        themes = sorted(self.app.available_themes)
        with Vertical():
            # The form scrolls in a short terminal; Cancel and Save stay in sight.
            with VerticalScroll(id="settings-form"):
                with Grid():
                    for name in TEXT_FIELDS:
                        value = getattr(s, name)
                        yield Label(LABELS[name])
                        yield Input("" if value is None else str(value), id=name, compact=True,
                                    placeholder=self._host_placeholder(name))
                    yield Label(LABELS["theme"])
                    yield Select([(t, t) for t in themes], value=self.app.theme if
                                 self.app.theme in themes else Select.NULL, id="theme",
                                 allow_blank=False, compact=True)
                yield TextArea(format_keymap(dict(s.keymap)), id="keymap", compact=True,
                               placeholder="binding.id = keys   (one per line)")
                ids = known_binding_ids()
                listed = " · ".join(f"{k} ({v})" for k, v in sorted(ids.items()))
                yield Static("Binding ids: " + listed, id="keymap-ids", markup=False)
            with Horizontal(id="settings-buttons"):
                yield Button("Cancel", id="cancel", compact=True)
                yield Button("Save", id="save", variant="primary", compact=True)

    def on_mount(self) -> None:
        box = self.query_one(Vertical)
        box.border_title = "Settings"
        box.border_subtitle = show_path(self.tot_app.config.paths.config_file)
        self.query_one("#teacher_model", Input).focus()

    def action_close(self) -> None:
        self.dismiss(False)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.dismiss(False)

    def _changes(self) -> dict[str, Any]:
        """What differs from the current settings; ValueError says which field is wrong."""
        config = self.tot_app.config
        current = config.settings
        raw: dict[str, Any] = {}
        for name in TEXT_FIELDS:
            value = self.query_one(f"#{name}", Input).value.strip()
            if "host" in name:
                raw[name] = normalize_host(value) if value else None
            elif "temperature" in name:
                try:
                    raw[name] = float(value)
                except ValueError:
                    raise ValueError(f"{LABELS[name]}: write a number such as 0.2") from None
            else:
                raw[name] = value
        theme = self.query_one("#theme", Select).value
        if isinstance(theme, str):
            raw["theme"] = theme
        raw["keymap"] = parse_keymap(self.query_one("#keymap", TextArea).text)
        _, bad_entries = check_keymap(raw["keymap"], known_binding_ids())
        if bad_entries:
            raise ValueError(f"Keymap: {'; '.join(bad_entries)} (the ids and their keys are "
                             "listed under the box)")
        try:
            validate_settings({**asdict(current), **raw})
        except ValidationError as exc:
            problems = "; ".join(f"{LABELS.get(key, key)}: {msg}"
                                 for key, msg in describe_problems(exc))
            raise ValueError(problems) from None
        return {k: v for k, v in raw.items() if getattr(current, k) != v}

    def action_save(self) -> None:
        try:
            changes = self._changes()
        except ValueError as exc:
            self.notify(f"Not saved — {exc}. Your other entries are kept.", severity="error",
                        timeout=10)
            return
        app = self.tot_app
        if changes and not app.save_settings(**changes):
            return
        if "theme" in changes:
            app.theme = changes["theme"]
        if "keymap" in changes:
            app.apply_keymap(changes["keymap"])
        if any(k.endswith(("_model", "_host")) for k in changes):
            app.check_connection()
        self.notify(f"Settings saved to {show_path(app.config.paths.config_file)}." if changes
                    else "Nothing changed.", timeout=4)
        self.dismiss(bool(changes))
