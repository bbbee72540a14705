"""The tot-tui Textual app: `run_app(config)` is what `tot-tui` with no command runs.

Start-up stays light: the first screen paints before sympy, sqlmodel or the ollama client are
imported (tests/ui/test_imports.py keeps it so). The connection check, and warming up the
database and the checker, happen in workers after the first paint.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import weakref
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events
from textual.app import App, ScreenStackError, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.signal import Signal
from textual.worker import Worker, WorkerState

from tot_tui.config import Config
from tot_tui.kinds import ROLES, SETUP_KINDS, Role
from tot_tui.ui.bindings import bindings
from tot_tui.ui.keymap import KeymapOwner, check_keymap, key_hint
from tot_tui.ui.notices import describe_error
from tot_tui.ui.screens.base import TotScreen
from tot_tui.ui.screens.solve import SolveScreen

if TYPE_CHECKING:
    from textual.theme import Theme

    from tot_tui.domain import Failed, HostStatus
    from tot_tui.tutor.session import Tutor

RECHECK_SECONDS = 10.0
MIN_SIZE = (60, 20)  # columns, rows: every screen stays usable from here up


def _history_screen() -> Screen:
    from tot_tui.ui.screens.history import HistoryScreen

    return HistoryScreen()


def _models_screen() -> Screen:
    from tot_tui.ui.screens.models import ModelsScreen

    return ModelsScreen()


class TotApp(KeymapOwner, App[int]):
    """The app. Pass a prebuilt `tutor` in tests (it is then closed by whoever made it)."""

    # The Solve screen's layout; widgets carry their own look in DEFAULT_CSS, the other screens
    # their layout in CSS (read when they first open). This file is parsed three times before
    # the first paint, so it stays short, without comments (Textual reads a comment slowly:
    # ~0.8 ms a parse for three lines). Absolute: subclasses live elsewhere.
    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "tot-tui"
    ENABLE_COMMAND_PALETTE = True

    MODES: ClassVar[dict[str, str | Callable[[], Screen]]] = {
        "solve": SolveScreen, "history": _history_screen, "models": _models_screen}
    DEFAULT_MODE = "solve"

    BINDINGS: ClassVar[list[BindingType]] = bindings("app")

    def __init__(self, config: Config, tutor: Tutor | None = None, *,
                 check_connection: bool = True, warm_up: bool = True) -> None:
        super().__init__()
        self.config = config
        # The Tutor (and the domain it imports) is made on first use, after the first paint.
        self._tutor = tutor
        self._owns_tutor = tutor is None
        self._check_on_start = check_connection
        self._warm_up = warm_up
        self.statuses: dict[Role, HostStatus] = {}
        self.screens_seen: weakref.WeakSet[TotScreen] = weakref.WeakSet()  # asked before quitting
        self._too_small_shown = False
        self._store_worker: Worker[None] | None = None
        # Connection indicators on every screen subscribe to this.
        self.connection_signal: Signal[dict[Role, HostStatus]] = Signal(self, "connection")
        # The user's keymap as applied; hints that name a key (tooltips, placeholders) follow it.
        # The theme and the keymap paint the first frame before pydantic has read the file
        # (`Config.first_paint`); `_validate_config` applies its verdict right after.
        self.user_keymap: dict[str, str] = dict(config.first_paint("keymap"))
        self.keymap_signal: Signal[dict[str, str]] = Signal(self, "keymap")
        # Math shown as written (the LaTeX source) instead of rendered: one key, app-wide
        # (tot_tui.ui.mathview). Reply panes, banners, steps and the History follow the signal.
        self.raw_math = False
        self.math_signal: Signal[bool] = Signal(self, "math")
        if config.first_paint("theme") in self.available_themes:
            self.theme = config.first_paint("theme")

    @property
    def tutor(self) -> Tutor:
        if self._tutor is None:
            from tot_tui.tutor.session import Tutor

            self._tutor = Tutor(self.config)
        return self._tutor

    # -- start and stop ----------------------------------------------------------------------

    def on_mount(self) -> None:
        if self.user_keymap:
            self.apply_keymap(self.user_keymap, announce=True)
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        self.call_after_refresh(self._after_first_paint)

    def _after_first_paint(self) -> None:
        _ = self.tutor  # made here, on the event loop, before any worker thread asks for it
        warming: list[Worker[None]] = []
        if not self.config.validated:
            warming.append(self.run_worker(self._validate_config(), group="validate-config",
                                           exit_on_error=False))
        if self._warm_up:
            warming += self.warm_up()
        if not gc.isenabled():  # `tot-tui` starts with the collector off (see tot_tui.cli)
            self.run_worker(self._collector_after(warming), group="collector",
                            exit_on_error=False)
        if self._check_on_start:
            self.check_connection()
            # While a host is down, look again now and then: starting `ollama serve` later
            # turns the indicator green without a restart.
            self.set_interval(RECHECK_SECONDS, self._recheck_if_down)

    async def _validate_config(self) -> None:
        # `tot-tui` reads its settings without pydantic so the first screen paints sooner;
        # pydantic follows in a thread. What the first frame took from the file is set again
        # from its verdict (a bad theme or keymap is back at its default).
        problem = await asyncio.to_thread(self.config.validate)
        settings = self.config.settings
        if settings.keymap != self.user_keymap:
            self.apply_keymap(dict(settings.keymap), announce=True)
        if settings.theme != self.theme and settings.theme in self.available_themes:
            self.theme = settings.theme
        if problem:
            self.notify(f"{problem}. Those settings are at their defaults until the file is "
                        "fixed.", title="Config file", severity="error", timeout=20)

    def _recheck_if_down(self) -> None:
        if any(not status.ok for status in self.statuses.values()):
            self.check_connection(announce=False)

    async def on_unmount(self) -> None:
        if self._owns_tutor and self._tutor is not None:
            await self._tutor.aclose()

    async def _collector_after(self, warming: list[Worker[None]]) -> None:
        """The collector back on once the warm-up is done. The warm-up's imports (sqlmodel,
        the model client, pydantic) allocate hundreds of thousands of objects in threads; with
        the collector on, they set off full passes over the whole heap that hold the GIL, and
        a key typed meanwhile waited for them. All of it lives as long as the app: frozen, the
        collector never walks it. The price: the few thousand unreachable objects in cycles
        that start-up made are kept, once."""
        for worker in warming:
            with contextlib.suppress(Exception):
                await worker.wait()
        gc.freeze()
        gc.enable()

    def warm_up(self) -> list[Worker[None]]:
        # Opening the database imports sqlmodel: do it in a thread now, so no screen stalls the
        # event loop on its first query. Then start the checker's worker process (sympy loads
        # there), so the first verdict is quick.
        async def open_store() -> None:
            await asyncio.to_thread(lambda: self.tutor.store)

        async def warm_checker() -> None:
            await self.ready()
            await self.tutor.warm_up()
            # The History's code (its table, Markdown and markdown-it) imported now, in a
            # thread, so that F3 does not import it on the event loop.
            await asyncio.to_thread(importlib.import_module, "tot_tui.ui.screens.history")

        self._store_worker = self.run_worker(open_store(), group="warm-store",
                                             exit_on_error=False)
        return [self._store_worker,
                self.run_worker(warm_checker(), group="warm-checker", exit_on_error=False)]

    async def ready(self) -> None:
        """Wait until the database is open (screens call this before their first query)."""
        worker = self._store_worker
        if worker is not None and worker.state in (WorkerState.PENDING, WorkerState.RUNNING):
            with contextlib.suppress(Exception):
                await worker.wait()

    def on_resize(self, event: events.Resize) -> None:
        # Below the size every screen can be used at, say so instead of a cut-off screen;
        # what was on it stays, and comes back when the terminal grows.
        small = event.size.width < MIN_SIZE[0] or event.size.height < MIN_SIZE[1]
        if not small and not self._too_small_shown:
            return  # the usual case (the start among them): nothing to import
        from tot_tui.ui.screens.too_small import TooSmallScreen

        shown = isinstance(self.screen, TooSmallScreen)
        if small and not shown:
            self.push_screen(TooSmallScreen(MIN_SIZE))
        elif small and isinstance(self.screen, TooSmallScreen):
            self.screen.show(event.size.width, event.size.height)
        elif shown and not small:
            self.pop_screen()
        self._too_small_shown = small

    # -- connection --------------------------------------------------------------------------

    def check_connection(self, *, announce: bool = True) -> Worker[None]:
        return self.run_worker(self._check_connection(announce), group="connection",
                               exclusive=True, exit_on_error=False)

    async def _check_connection(self, announce: bool) -> None:
        # The ollama client is imported in a thread so the event loop never waits for it.
        await asyncio.to_thread(self.tutor.gateway, "teacher")
        by_host: dict[str, HostStatus] = {}
        statuses: dict[Role, HostStatus] = {}
        for role in ROLES:
            host = self.config.host(role)
            if host not in by_host:
                by_host[host] = await self.tutor.host_status(role)
            statuses[role] = by_host[host]
        was_down = {role for role, s in self.statuses.items() if not s.ok}
        self.statuses = statuses
        self.connection_signal.publish(statuses)
        # Named by the host that answers now (a role may have moved to another host meanwhile).
        back = sorted({statuses[r].host for r in was_down if r in statuses and statuses[r].ok})
        for host in back:
            self.notify(f"The Ollama server at {host} answers now.", title="Connected",
                        timeout=5)
        if announce:
            self._announce(statuses)

    def _announce(self, statuses: dict[Role, HostStatus]) -> None:
        down: dict[str, list[Role]] = {}
        for role, status in statuses.items():
            if not status.ok:
                down.setdefault(status.host, []).append(role)
        for roles in down.values():
            error = statuses[roles[0]].error
            source = self.config.host_source(roles[0])
            if " in " in source:  # a host saved in the config file outranks OLLAMA_HOST
                error += (f"\n\nThis host is {source.split(' in ')[0]} in the config file: "
                          "change it on the Models screen (F4) or in Settings (F5).")
            else:
                error += f"\n\nThis host comes from {source}."
            self.notify(f"{error}\n\nHistory (F3) still works without a server.",
                        title=f"No Ollama server for the {' and '.join(roles)}",
                        severity="error", timeout=15)
        for role, status in statuses.items():
            model = self.config.model(role)
            if not status.ok:
                continue
            names = {m.name for m in status.models}
            if model not in names and f"{model}:latest" not in names:
                self.notify(f"The {role} model {model!r} is not on {status.host}. Pull it on "
                            "the Models screen (F4), or choose another model there.",
                            title=f"{role.capitalize()} model missing", severity="warning",
                            timeout=12)

    def notify(self, message: str, *, title: str = "", severity: Any = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        # Messages carry model names, paths and server errors: never read them as markup
        # (widgets' notify passes markup=True explicitly, so it is ignored here on purpose),
        # and control characters in them are shown escaped.
        from tot_tui.textsafe import safe_text

        super().notify(safe_text(message), title=safe_text(title), severity=severity,
                       timeout=timeout, markup=False)

    # -- failures, in one place --------------------------------------------------------------

    def worker_changed(self, worker: Worker[Any]) -> None:
        """Every screen's workers report here; a failure becomes one actionable notice."""
        if worker.state is WorkerState.ERROR and worker.error is not None:
            message, severity = describe_error(worker.error)
            self.notify(message, severity=severity, timeout=12 if severity == "error" else 6)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.worker_changed(event.worker)

    def show_failure(self, failed: Failed) -> None:
        """A `Failed` event from the tutor: its message already says what to do."""
        who = f"The {failed.role}" if failed.role else "The request"
        self.notify(failed.message, title=f"{who} stopped", severity="error", timeout=15)
        if failed.kind in SETUP_KINDS:
            self.check_connection(announce=False)

    # -- moving between screens -------------------------------------------------------------

    def open_problem(self, problem_id: int, *, run: bool) -> None:
        """Show a stored problem on the Solve screen; with `run`, solve it again now."""
        self.run_worker(self._open_problem(problem_id, run), group="open", exclusive=True,
                        exit_on_error=False)

    async def _open_problem(self, problem_id: int, run: bool) -> None:
        await self.ready()
        detail = await self.tutor.problem_detail(problem_id)
        if detail is None:
            self.notify(f"Problem #{problem_id} no longer exists.", severity="warning")
            return
        await self.switch_mode("solve")
        screen = self.screen
        if isinstance(screen, SolveScreen):
            await screen.load_problem(detail)
            if run:
                screen.action_solve()

    # -- settings, theme, keymap -------------------------------------------------------------

    def _remember_theme(self, theme: Theme) -> None:
        if theme.name != self.config.settings.theme:
            self.save_settings(theme=theme.name)

    def save_settings(self, **changes: Any) -> bool:
        """Write to the config file; False (with a notice) when it could not be written."""
        try:
            self.config.save(**changes)
        except Exception as exc:  # an unwritable file must not crash the app
            message, _ = describe_error(exc)
            self.notify(f"Settings not saved: {message}", severity="error", timeout=10)
            return False
        return True

    def apply_keymap(self, keymap: dict[str, str], *, announce: bool = False) -> list[str]:
        """Apply the entries that name a binding and real keys; the others keep their
        defaults and are returned (with `announce`, named in a notice too)."""
        from tot_tui.ui.bindings import known_binding_ids

        keymap, problems = check_keymap(keymap, known_binding_ids())
        if problems and announce:
            self.notify("; ".join(problems) + ". Those keep their default keys; fix the keymap "
                        "in Settings (F5) or in the config file.", title="Keymap",
                        severity="error", timeout=20)
        self.set_keymap(dict(keymap))
        self.user_keymap = dict(keymap)
        self.keymap_signal.publish(self.user_keymap)
        # Textual does not announce a new keymap: the key bar redraws on this.
        with contextlib.suppress(ScreenStackError):  # no screen yet
            self.screen.refresh_bindings()
        return problems

    # -- actions -----------------------------------------------------------------------------

    async def action_quit(self) -> None:
        """Quit, but ask first when something would be lost (edits, a reply, a pull)."""
        from tot_tui.ui.screens.confirm import ConfirmScreen

        if isinstance(self.screen, ConfirmScreen):
            return
        lost = [what for screen in list(self.screens_seen) for what in screen.would_lose()]
        if not lost:
            self.exit()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.exit()

        listed = "; ".join(dict.fromkeys(lost))
        self.push_screen(ConfirmScreen(f"Quit now? This would lose: {listed}.", yes="Quit"),
                         answered)

    def action_toggle_raw_math(self) -> None:
        """Math rendered ↔ as written, everywhere it is shown."""
        self.raw_math = not self.raw_math
        self.math_signal.publish(self.raw_math)
        key = key_hint(self.screen, "{app.raw_math}")
        if self.raw_math:
            self.notify(f"Math is shown as written: the LaTeX source. {key} renders it again.",
                        title="Math: raw", timeout=4)
        else:
            self.notify(f"Math is rendered. {key} shows the LaTeX source.",
                        title="Math: rendered", timeout=4)
        with contextlib.suppress(ScreenStackError):
            self.screen.refresh_bindings()  # the key bar's label says which

    def describe_binding(self, binding: Binding) -> str:
        """A binding's label on the key bar: the math key's says what is shown."""
        if binding.id == "app.raw_math":
            return "Math: raw" if self.raw_math else "Math: rendered"
        return binding.description

    def action_help(self) -> None:
        from tot_tui.ui.screens.help import HelpScreen, active_keys

        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(self.focused or self.screen, active_keys(self.screen)))

    def action_settings(self) -> None:
        from tot_tui.ui.screens.settings import SettingsScreen

        if not isinstance(self.screen, SettingsScreen):
            self.push_screen(SettingsScreen())

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)

        def keys(text: str) -> str:
            return key_hint(screen, text)

        yield SystemCommand("Solve screen", keys("Decompose, edit, solve ({app.solve})"),
                            lambda: self.run_action("switch_mode('solve')"))
        yield SystemCommand("History screen", keys("Every problem, search, export ({app.history})"),
                            lambda: self.run_action("switch_mode('history')"))
        yield SystemCommand("Models screen", keys("Pick and pull models, hosts ({app.models})"),
                            lambda: self.run_action("switch_mode('models')"))
        yield SystemCommand("Settings",
                            keys("Models, hosts, temperature, theme, keymap ({app.settings})"),
                            self.action_settings)
        yield SystemCommand("Help", keys("Help for the focused widget ({app.help})"),
                            self.action_help)
        yield SystemCommand("Check connection", "Ask each Ollama host again",
                            lambda: self.check_connection())
        yield SystemCommand("Math: rendered or raw",
                            keys("Show LaTeX rendered, or as written ({app.raw_math})"),
                            self.action_toggle_raw_math)
        for title, help_text, action in getattr(screen, "PALETTE", []):
            help_text = key_hint(screen, help_text, *getattr(screen, "PALETTE_BINDINGS", ()))
            yield SystemCommand(title, help_text,
                                lambda action=action: screen.run_action(action))


def run_app(config: Config) -> int:
    """Run the app in the terminal; the exit status for the shell."""
    app = TotApp(config)
    result = app.run()
    return result if isinstance(result, int) else 0
