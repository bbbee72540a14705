"""The top line of every screen: an icon, the title and the screen's sub-title."""

from __future__ import annotations

from textual.content import Content
from textual.events import Click
from textual.widget import Widget

ICON = "⭘"


class TitleBar(Widget):
    """What Textual's Header shows, drawn by one widget instead of four (the first screen
    paints sooner). A click on it opens the command palette, as Header's icon does."""

    DEFAULT_CSS = """
    TitleBar {
        dock: top;
        width: 100%;
        height: 1;
        background: $panel;
        color: $foreground;
    }
    """

    def on_mount(self) -> None:
        self.tooltip = "Click for the command palette"
        for node in (self.app, self.screen):
            self.watch(node, "title", self._repaint, init=False)
            self.watch(node, "sub_title", self._repaint, init=False)

    def _repaint(self) -> None:
        self.refresh()

    def render(self) -> Content:
        screen, app = self.screen, self.app
        title = screen.title if screen.title is not None else app.title
        sub_title = screen.sub_title if screen.sub_title is not None else app.sub_title
        text = app.format_title(title, sub_title)
        icon = f" {ICON} "
        # Centred on the whole line, as Header centres it, but never over the icon.
        left = max(len(icon) + 1, (self.size.width - text.cell_length) // 2)
        return Content.assemble(icon, " " * (left - len(icon)), text)

    def on_click(self, event: Click) -> None:
        event.stop()
        self.app.action_command_palette()
