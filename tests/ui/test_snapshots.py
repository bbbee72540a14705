"""SVG snapshots of every screen and main state at 120x36.

Deterministic on purpose: the fake server listens on a free port, and the pictures show it as
SHOWN_PORT (`SnapApp.export_screenshot`); the config lives under a fake home (paths show as
~/…), dates in the history are set to fixed values, notices are cleared and the cursor does not
blink. Update the baselines with
`pytest tests/ui/test_snapshots.py --snapshot-update` and look at them before committing.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from tests.conftest import STUDENT, TEACHER
from tests.ui.conftest import PROBLEM, SIZE, STEPS, script, type_problem
from tot_tui.config import Config, load_config
from tot_tui.fake_ollama import FakeOllama, Reply
from tot_tui.tutor.session import Tutor
from tot_tui.ui.app import TotApp
from tot_tui.ui.widgets.steps_panel import StepsPanel

SHOWN_PORT = 47311  # how the pictures show the fake server's port, whichever it got
FIXED_TIMES = ["2026-01-05 09:30:00.000000", "2026-01-05 09:31:00.000000",
               "2026-01-05 09:32:00.000000", "2026-01-05 09:33:00.000000"]


class SnapApp(TotApp):
    """The app with a test tutor that it closes itself (snapshots run their own loop)."""

    port = SHOWN_PORT  # the fake server's real port, set by `snap_app`

    async def on_unmount(self) -> None:
        await self.tutor.aclose()

    def export_screenshot(self, *, title: str | None = None, simplify: bool = False) -> str:
        # Parallel test runs give every fake server a port of its own; the picture shows one.
        # Same width (`snap_fake` keeps five digits), so nothing else on the line moves.
        svg = super().export_screenshot(title=title, simplify=simplify)
        return svg.replace(f"127.0.0.1:{self.port}", f"127.0.0.1:{SHOWN_PORT}")


@pytest.fixture
def snap_fake() -> Iterator[FakeOllama]:
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(FakeOllama())
        while len(str(server.port)) != len(str(SHOWN_PORT)):  # a port the picture can hide
            server = stack.enter_context(FakeOllama())
        server.simulated_timing = True  # durations on screen must not depend on machine load
        server.add_model(TEACHER, family="qwen2", parameter_size="7.6B", quantization="Q4_K_M",
                         size=4_683_087_332)
        server.add_model(STUDENT, family="llama", parameter_size="1.2B", quantization="Q8_0",
                         size=1_321_098_329)
        server.add_model("qwen2.5:1.5b", family="qwen2", parameter_size="1.5B",
                         quantization="Q4_K_M", size=986_061_892)
        yield server


@pytest.fixture
def snap_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, snap_fake: FakeOllama,
                ) -> Config:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("OLLAMA_HOST", snap_fake.url)
    return load_config()


@pytest.fixture
def snap_app(snap_config: Config, snap_fake: FakeOllama, checker: object):
    def make(config: Config | None = None) -> SnapApp:
        cfg = config or snap_config
        app = SnapApp(cfg, Tutor(cfg, checker=checker))  # type: ignore[arg-type]
        app.port = snap_fake.port
        return app

    return make


async def settle(pilot: Pilot) -> None:
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def freeze(pilot: Pilot) -> None:
    """Last step before the picture: no cursor (it blinks), no notices."""
    await settle(pilot)
    app = pilot.app
    for widget in app.screen.query("Input, TextArea"):
        widget.cursor_blink = False  # type: ignore[attr-defined]
    app.screen.set_focus(None)
    app.clear_notifications()
    await pilot.pause()


def fix_dates(config: Config) -> None:
    db = sqlite3.connect(config.paths.database)
    with db:
        for table in ("problem", "step_set", "attempt", "human_answer"):
            ids = [row[0] for row in db.execute(f"SELECT id FROM {table} ORDER BY id")]
            for i, row_id in enumerate(ids):
                db.execute(f"UPDATE {table} SET created = ? WHERE id = ?",
                           (FIXED_TIMES[min(i, len(FIXED_TIMES) - 1)], row_id))
    db.close()


def test_solve_empty(snap_compare, snap_fake, snap_app):
    assert snap_compare(snap_app(), terminal_size=SIZE, run_before=freeze)


def test_solve_no_server(snap_compare, snap_app, monkeypatch):
    monkeypatch.setenv("OLLAMA_HOST", "http://127.0.0.1:9")  # the discard port: nothing there

    async def run_before(pilot: Pilot) -> None:
        await settle(pilot)  # keep the notice: it is what this state is about
        pilot.app.screen.set_focus(None)
        await pilot.pause()

    assert snap_compare(snap_app(load_config()), terminal_size=SIZE, run_before=run_before)


def test_solve_steps_edited(snap_compare, snap_fake, snap_app):
    script(snap_fake)

    async def run_before(pilot: Pilot) -> None:
        type_problem(pilot.app.screen)
        await pilot.press("ctrl+t")
        await settle(pilot)
        panel = pilot.app.screen.query_one(StepsPanel)
        panel.rows[1].input.focus()
        await pilot.press("end", *" (his sister)")
        await freeze(pilot)

    assert snap_compare(snap_app(), terminal_size=SIZE, run_before=run_before)


def test_solve_verdict(snap_compare, snap_fake, snap_app):
    script(snap_fake)

    async def run_before(pilot: Pilot) -> None:
        type_problem(pilot.app.screen)
        await pilot.press("ctrl+r")
        await freeze(pilot)

    assert snap_compare(snap_app(), terminal_size=SIZE, run_before=run_before)


def test_solve_compare(snap_compare, snap_fake, snap_app):
    script(snap_fake)

    async def run_before(pilot: Pilot) -> None:
        # Load the student first: otherwise whichever side asks first pays the (fake) model
        # load time, and the durations shown under the panes would change from run to run.
        tutor = pilot.app.tutor
        warm = await tutor.add_problem("What is 1 + 1?", "2")
        [e async for e in tutor.solve(warm, mode="baseline")]  # type: ignore[arg-type]
        type_problem(pilot.app.screen)
        await pilot.press("ctrl+t")
        await settle(pilot)
        await pilot.press("ctrl+b")
        await freeze(pilot)

    assert snap_compare(snap_app(), terminal_size=SIZE, run_before=run_before)


def test_solve_hints_and_human_answer(snap_compare, snap_fake, snap_app):
    script(snap_fake)

    async def run_before(pilot: Pilot) -> None:
        type_problem(pilot.app.screen)
        await pilot.press("ctrl+t")
        await settle(pilot)
        await pilot.press("ctrl+o", "ctrl+f", "ctrl+f", *"15", "enter")
        await freeze(pilot)

    assert snap_compare(snap_app(), terminal_size=SIZE, run_before=run_before)


def test_history(snap_compare, snap_fake, snap_app, snap_config):
    script(snap_fake)

    async def run_before(pilot: Pilot) -> None:
        tutor = pilot.app.tutor
        problem = await tutor.add_problem(PROBLEM, "15")
        teacher = [e async for e in tutor.decompose(problem)][-1].step_set
        edited = await tutor.save_steps(problem, [STEPS[0], "Take away the 5 marbles.",
                                                  STEPS[2]], parent_id=teacher.id)
        [e async for e in tutor.solve(problem, step_set=edited)]
        snap_fake.reply(STUDENT, Reply(text="4 × 9 = 36. 36 - 30 = 6.\n\nFinal answer: 6"))
        other = await tutor.add_problem("A baker makes 4 trays of 9 cookies and sells 30. "
                                        "How many are left?", "6")
        [e async for e in tutor.solve(other, mode="baseline")]  # type: ignore[arg-type]
        fix_dates(snap_config)
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("down")
        await freeze(pilot)

    assert snap_compare(snap_app(), terminal_size=SIZE, run_before=run_before)


def test_models_after_pull(snap_compare, snap_fake, snap_app):
    snap_fake.add_pullable("llama3.2:3b", size=2_019_393_189, parameter_size="3.2B",
                           quantization="Q4_K_M")

    async def run_before(pilot: Pilot) -> None:
        await pilot.press("f4")
        await settle(pilot)
        pilot.app.screen.query_one("#pull-name", Input).value = "llama3.2:3b"
        await pilot.click("#pull")
        await freeze(pilot)

    assert snap_compare(snap_app(), terminal_size=SIZE, run_before=run_before)


def test_settings(snap_compare, snap_fake, snap_app):
    async def run_before(pilot: Pilot) -> None:
        await pilot.press("f5")
        await freeze(pilot)

    assert snap_compare(snap_app(), terminal_size=SIZE, run_before=run_before)


def test_help(snap_compare, snap_fake, snap_app):
    async def run_before(pilot: Pilot) -> None:
        await settle(pilot)
        await pilot.press("f1")
        await freeze(pilot)

    assert snap_compare(snap_app(), terminal_size=SIZE, run_before=run_before)

