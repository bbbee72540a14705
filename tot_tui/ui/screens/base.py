"""What every screen shares: failures of its workers go to the app's one error handler."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from textual.screen import Screen
from textual.worker import Worker

from tot_tui.ui.widgets.connection import ConnectionIndicator

if TYPE_CHECKING:
    from textual.widgets import Markdown

    from tot_tui.domain import HostStatus, Role
    from tot_tui.tutor.session import Tutor
    from tot_tui.ui.app import TotApp


class TotScreen(Screen):
    # (title, help, action on this screen) shown in the command palette.
    PALETTE: ClassVar[list[tuple[str, str, str]]] = []
    # Widget classes whose keys the palette's help texts name (`{binding.id}`).
    PALETTE_BINDINGS: ClassVar[tuple[type, ...]] = ()

    @property
    def tot_app(self) -> TotApp:
        return cast("TotApp", self.app)

    @property
    def tutor(self) -> Tutor:
        return self.tot_app.tutor

    def _compositor_refresh(self) -> None:
        # Works around Textual 8.x (pinned in pyproject.toml): `Screen._compositor_refresh`
        # renders a frame even while the app holds a batch update, then `App._display` drops
        # it (`if self._batch_count: return`) and the screen clears its dirty regions anyway.
        # A mode's first screen is laid out inside the app's start-up batch: its first frame
        # was lost that way, the next painted only what changed since (no borders, no inputs),
        # the rest came a frame later. Skipped, with the whole screen left dirty, the first
        # frame written is the whole screen (tests/ui/test_first_frame.py). Drop this once
        # Textual keeps a screen dirty through a batch. Should these private names go, the
        # getattr defaults fall back to Textual's own behaviour instead of breaking frames.
        batch_count = getattr(self.app, "_batch_count", 0)
        dirty = getattr(self, "_dirty_widgets", None)
        if batch_count and isinstance(dirty, set):
            dirty.add(self)
            return
        super()._compositor_refresh()

    def would_lose(self) -> list[str]:
        """What quitting now would lose on this screen ("unsaved step edits", …)."""
        return []

    def on_mount(self) -> None:
        self.tot_app.screens_seen.add(self)
        # Connection indicators show what the app last learned, and follow its signal.
        if self.query(ConnectionIndicator):
            self._show_connection(self.tot_app.statuses)
            self.tot_app.connection_signal.subscribe(self, self._show_connection)

    def _show_connection(self, statuses: dict[Role, HostStatus]) -> None:
        if not statuses:
            return  # not checked yet: the indicators say "checking"
        config = self.tot_app.config
        models = {role: config.model(role) for role in statuses}
        for indicator in self.query(ConnectionIndicator):
            indicator.show(statuses, models)

    def on_markdown_link_clicked(self, event: Markdown.LinkClicked) -> None:
        # Only the Markdown of model text has open_links off; its target is the model's
        # choice (a phishing page, a local file): show it in full and ask first.
        from tot_tui.textsafe import safe_text
        from tot_tui.ui.screens.confirm import ConfirmScreen

        href = event.href

        def answered(yes: bool | None) -> None:
            if yes:
                self.app.open_url(href)

        question = ("This link is in the model's text. Open it?\n\n"
                    f"{safe_text(href, 300)}")
        self.app.push_screen(ConfirmScreen(question, yes="Open"), answered)

    def on_connection_indicator_clicked(self) -> None:
        self.app.switch_mode("models")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Worker.StateChanged does not bubble: hand every failure to the one handler.
        self.tot_app.worker_changed(event.worker)
