"""What every screen shares: failures of its workers go to the app's one error handler."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from textual.screen import Screen
from textual.worker import Worker

if TYPE_CHECKING:
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

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Worker.StateChanged does not bubble: hand every failure to the one handler.
        self.tot_app.worker_changed(event.worker)
