"""What every screen shares: failures of its workers go to the app's one error handler."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from textual.screen import Screen
from textual.worker import Worker

from tot_tui.ui.widgets.connection import ConnectionIndicator

if TYPE_CHECKING:
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
        # Textual (8.x) renders a frame here even while the app holds a batch update, and
        # drops it along with what was dirty. A mode's first screen is laid out inside the
        # app's start-up batch: its first frame was lost that way (~9 ms of rendering), the
        # next frame painted only the widgets that changed since (no borders, no inputs), the
        # rest came a frame later. Skipped, with the whole screen left dirty, the first frame
        # written is the whole screen. (tests/ui/test_first_frame.py)
        if self.app._batch_count:
            self._dirty_widgets.add(self)
            return
        super()._compositor_refresh()

    def on_mount(self) -> None:
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

    def on_connection_indicator_clicked(self) -> None:
        self.app.switch_mode("models")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Worker.StateChanged does not bubble: hand every failure to the one handler.
        self.tot_app.worker_changed(event.worker)
