"""A row of buttons drawn by one widget: the Solve screen's actions."""

from __future__ import annotations

from typing import ClassVar, Literal

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.color import Color
from textual.geometry import Offset, Size
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from tot_tui.ui.theme_colours import rich_colour, theme_colour

Variant = Literal["default", "primary", "success", "error"]
GAP = 1  # columns between two buttons
CURSOR = Style(reverse=True)  # the focused bar's chosen button (a focused Button's look)
# (variant, background, its hover background, text colour): a compact Button's colours.
COLOURS = (("default", "surface", "surface-darken-1", "button-foreground"),
           ("primary", "primary", "primary-darken-2", "button-color-foreground"),
           ("success", "success", "success-darken-2", "button-color-foreground"),
           ("error", "error", "error-darken-1", "button-color-foreground"))


class BarButton:
    """One button of a bar. (Plain classes here: a dataclass costs ~0.5 ms to import.)"""

    __slots__ = ("disabled", "id", "label", "tooltip", "variant")

    def __init__(self, id: str, label: str, variant: Variant = "default",
                 tooltip: str | None = None, disabled: bool = False) -> None:
        self.id = id
        self.label = label
        self.variant = variant
        self.tooltip = tooltip
        self.disabled = disabled


class _Place:
    """Where a button is drawn: its index, first cell and width."""

    __slots__ = ("index", "width", "x", "y")

    def __init__(self, index: int, x: int, y: int, width: int) -> None:
        self.index, self.x, self.y, self.width = index, x, y, width


class ButtonBar(Widget):
    """Buttons that look like compact Textual Buttons, wrapped onto as many lines as the width
    needs. One widget instead of a container and a Button each: with the title bar, the Solve
    screen's first frame came ~35 ms sooner from `App.run` (bench/README.md, Start-up).

    A click presses a button; focused, the bar is one Tab stop: Left/Right choose a button,
    Enter or Space presses it (the toolbar pattern). Every press posts `ButtonBar.Pressed`."""

    HELP = """\
## Buttons
**←/→** choose a button, **Enter** or **Space** presses it. Each button has a key of its own
too: hover over one to see it, or look at the key bar.
"""

    DEFAULT_CSS = """
    ButtonBar {
        width: 1fr;
        height: auto;
        pointer: pointer;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "move(-1)", "Previous button", show=False),
        Binding("right", "move(1)", "Next button", show=False),
        Binding("enter,space", "press", "Press button", show=False),
    ]

    can_focus = True
    cursor: reactive[int] = reactive(0)
    hover: reactive[int | None] = reactive(None)

    class Pressed(Message):
        """A button was pressed; `button_id` says which."""

        def __init__(self, bar: ButtonBar, button_id: str) -> None:
            super().__init__()
            self.bar = bar
            self.button_id = button_id

        @property
        def control(self) -> ButtonBar:
            return self.bar

    def __init__(self, *buttons: BarButton, min_width: int = 7, id: str | None = None) -> None:
        super().__init__(id=id)
        self.buttons = list(buttons)
        self.min_width = min_width
        self._styles: tuple[str, dict[str, Style]] | None = None  # (theme, styles)

    # -- the buttons -------------------------------------------------------------------------

    def button(self, button_id: str) -> BarButton:
        for button in self.buttons:
            if button.id == button_id:
                return button
        raise KeyError(button_id)

    def set_disabled(self, button_id: str, disabled: bool) -> None:
        self.button(button_id).disabled = disabled
        if disabled and self.buttons[self.cursor].id == button_id:
            self.action_move(-1)  # the cursor never rests on a disabled button
        self.refresh()

    def set_label(self, button_id: str, label: str) -> None:
        self.button(button_id).label = label
        self.refresh(layout=True)  # a wider label can take another line

    def set_tooltip(self, button_id: str, tooltip: str) -> None:
        self.button(button_id).tooltip = tooltip
        if self.hover is not None and self.buttons[self.hover].id == button_id:
            self.tooltip = tooltip

    def press(self, button_id: str) -> None:
        """Press it as a click would (nothing happens while it is disabled)."""
        if not self.button(button_id).disabled:
            self.post_message(self.Pressed(self, button_id))

    def offset_of(self, button_id: str) -> Offset:
        """Where the button is drawn in the bar, padding included (its first cell): for a
        click."""
        gutter = self.styles.gutter
        for place in self._places(self.content_size.width):
            if self.buttons[place.index].id == button_id:
                return Offset(place.x + gutter.left, place.y + gutter.top)
        raise KeyError(button_id)

    # -- layout ------------------------------------------------------------------------------

    def _width(self, button: BarButton) -> int:
        return max(self.min_width, len(button.label) + 2)

    def _places(self, width: int) -> list[_Place]:
        places: list[_Place] = []
        x = y = 0
        for index, button in enumerate(self.buttons):
            w = self._width(button)
            if x and x + w > width:  # the next line
                x, y = 0, y + 1
            places.append(_Place(index, x, y, w))
            x += w + GAP
        return places

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return sum(self._width(b) for b in self.buttons) + GAP * (len(self.buttons) - 1)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        places = self._places(width)
        return places[-1].y + 1 if places else 1

    def _style(self, name: str) -> Style:
        # Read from the theme, as compact Buttons are coloured. Component classes would do it
        # in CSS, but Textual styles each of them as a node of its own, every time the bar is
        # styled: that cost most of what one widget instead of eleven saves at start-up.
        theme = self.app.theme
        if self._styles is None or self._styles[0] != theme:
            self._styles = (theme, _theme_styles(self.app.theme_variables))
        return self._styles[1].get(name, Style.null())

    def render(self) -> Text:
        places = self._places(self.content_size.width)
        lines = [Text() for _ in range(places[-1].y + 1 if places else 1)]
        for place in places:
            button = self.buttons[place.index]
            line = lines[place.y]
            line.append(" " * (place.x - line.cell_len))
            if button.disabled:
                style = self._style("disabled")
            elif place.index == self.hover:
                style = self._style(f"{button.variant}-hover")
            else:
                style = self._style(button.variant)
            if self.has_focus and place.index == self.cursor:
                style += CURSOR
            line.append(button.label.center(place.width), style)
        return Text("\n").join(lines)

    def _index_at(self, x: int, y: int) -> int | None:
        for place in self._places(self.content_size.width):
            if place.y == y and place.x <= x < place.x + place.width:
                return place.index
        return None

    # -- events ------------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.refresh())

    def watch_hover(self, hover: int | None) -> None:
        # (`hover` and `cursor` repaint the bar by themselves: reactives do.)
        self.tooltip = None if hover is None else self.buttons[hover].tooltip

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def _index_under(self, event: events.MouseEvent) -> int | None:
        offset = event.get_content_offset(self)  # None on the padding
        return None if offset is None else self._index_at(offset.x, offset.y)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self.hover = self._index_under(event)

    def on_leave(self) -> None:
        self.hover = None

    def on_click(self, event: events.Click) -> None:
        event.stop()
        index = self._index_under(event)
        if index is not None:
            self.cursor = index
            self.press(self.buttons[index].id)

    def action_move(self, step: int) -> None:
        """The next enabled button that way, round the end (the cursor stays if none)."""
        count = len(self.buttons)
        for distance in range(1, count):
            index = (self.cursor + step * distance) % count
            if not self.buttons[index].disabled:
                self.cursor = index
                return

    def action_press(self) -> None:
        if self.buttons:
            self.press(self.buttons[self.cursor].id)  # nothing if it is disabled


def _theme_styles(variables: dict[str, str]) -> dict[str, Style]:
    """Each variant's style (and its hover style) from the theme's variables."""

    def colour(name: str, on: Color | None = None) -> Color | None:
        return theme_colour(variables, name, on)

    def style(fg: Color | None, bg: Color | None) -> Style:
        return Style(bold=True, color=rich_colour(fg), bgcolor=rich_colour(bg))

    styles: dict[str, Style] = {}
    for variant, background, hover, text in COLOURS:
        bg, hover_bg = colour(background), colour(hover)
        styles[variant] = style(colour(text, bg), bg)
        styles[f"{variant}-hover"] = style(colour(text, hover_bg), hover_bg)
    surface = colour("surface")
    disabled = colour("text-disabled", surface)
    styles["disabled"] = style(disabled, surface)
    if disabled is None or disabled.ansi is not None:  # ANSI themes: no faded colour to use
        styles["disabled"] += Style(dim=True)
    return styles
