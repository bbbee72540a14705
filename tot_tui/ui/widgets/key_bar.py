"""The key bar at the bottom of each screen: the keys that work here, one click away.

One widget drawing one line. Textual's Footer mounts a widget per key and mounts them again on
every focus change; styling those was about half the style work of starting the app
(bench/README.md, Start-up).
"""

from __future__ import annotations

from typing import NamedTuple

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.widgets import Static

from tot_tui.ui.theme_colours import rich_colour, theme_colour


class _Key(NamedTuple):
    key: str  # what `App.simulate_key` presses
    display: str  # how the terminal's key is written ("^t", "f1")
    description: str
    enabled: bool
    action: str = ""

    @property
    def width(self) -> int:
        return cell_len(f"{self.display} {self.description}")


# Always on the bar when something must go: help lists every key, the palette every action.
_KEPT = ("help", "app.help")


class KeyBar(Static):
    """Shows the screen's active bindings; a click on one presses its key."""

    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        width: 1fr;
        color: $footer-foreground;
        background: $footer-background;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def __init__(self) -> None:
        super().__init__("", markup=False)
        self._keys: tuple[_Key, ...] = ()
        self._palette: _Key | None = None
        self._spans: list[tuple[int, int, _Key]] = []  # cell ranges of each key on the line

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._draw())
        self._read_bindings()

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)
        self.app.theme_changed_signal.unsubscribe(self)

    def on_resize(self) -> None:
        self._draw()  # the palette key sits at the right edge

    def _bindings_changed(self, screen: object) -> None:
        if screen is self.screen:
            self._read_bindings()

    def _read_bindings(self) -> None:
        app = self.app
        shown: dict[str, _Key] = {}  # one key per action, the first bound
        palette: _Key | None = None
        # The app may say a binding's label (the math key's says rendered or raw).
        describe = getattr(app, "describe_binding", None)
        for _node, binding, enabled, _tooltip in self.screen.active_bindings.values():
            if binding.action in ("command_palette", "app.command_palette") \
                    and app.ENABLE_COMMAND_PALETTE:
                palette = _Key(binding.key, app.get_key_display(binding),
                               binding.description, enabled)
            elif binding.show and binding.action not in shown:
                label = describe(binding) if describe is not None else binding.description
                shown[binding.action] = _Key(binding.key, app.get_key_display(binding),
                                             label, enabled, binding.action)
        keys = tuple(shown.values())
        if (keys, palette) != (self._keys, self._palette):
            self._keys, self._palette = keys, palette
            self._draw()

    def _draw(self) -> None:
        if not self.is_attached:
            return
        colours = self.app.theme_variables
        key_style = Style(bold=True,
                          color=rich_colour(theme_colour(colours, "footer-key-foreground")))
        text_style = Style(color=rich_colour(theme_colour(colours,
                                                          "footer-description-foreground")))
        line = Text(no_wrap=True, overflow="ellipsis")
        self._spans = []

        def add(key: _Key) -> None:
            start = line.cell_len
            line.append(key.display, style=key_style if key.enabled else "dim")
            line.append(f" {key.description}", style=text_style if key.enabled else "dim")
            self._spans.append((start, line.cell_len, key))

        palette = self._palette
        width = self.size.width
        room = width - (palette.width + 2 if palette else 0)
        keys = list(self._keys)
        gap = 2 if sum(k.width for k in keys) + 2 * len(keys) <= room else 1
        if sum(k.width + gap for k in keys) - gap > room:
            # Too many for one line (a step's editor adds its own): the keys that do not fit
            # give way, whole, in order; help never does. Better than a key cut at the edge.
            kept = [k for k in keys if k.action in _KEPT]
            used = sum(k.width + gap for k in kept)
            for key in keys:
                if key not in kept and used + key.width + gap <= room + gap:
                    kept.append(key)
                    used += key.width + gap
            keys = [k for k in keys if k in kept]
        for i, key in enumerate(keys):
            if i:
                line.append(" " * gap)
            add(key)
        if palette is not None:
            if line.cell_len + palette.width + 2 <= width:  # at the right edge, when there is room
                line.append(" " * (width - line.cell_len - palette.width - 1))
                add(palette)
        self.update(line)

    def on_click(self, event: events.Click) -> None:
        for start, end, key in self._spans:
            if start <= event.x < end:
                if key.enabled:
                    self.app.simulate_key(key.key)
                else:
                    self.app.bell()
                return
