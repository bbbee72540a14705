"""UI test helpers: the app against the fake Ollama, with the shared warm checker."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from tests.conftest import STUDENT, TEACHER
from tot_tui.config import Config
from tot_tui.fake_ollama import FakeOllama, Reply
from tot_tui.tutor.session import Tutor
from tot_tui.ui.app import TotApp
from tot_tui.ui.widgets.button_bar import ButtonBar

PROBLEM = ("Tom has 12 marbles. He gives 5 marbles to his sister and then buys 8 more. "
           "How many marbles does Tom have now?")
STEPS = ["Start with Tom's 12 marbles.", "Subtract the 5 marbles he gives away.",
         "Add the 8 marbles he buys."]
EQUATIONS = ("% Tom has 12 marbles\nmarbles = 12\n% He gives 5 away and buys 8 more\n"
             "ans = marbles - 5 + 8")
SIZE = (120, 36)


def script(fake: FakeOllama, *, steps: list[str] | None = None,
           answer: str = "12 - 5 = 7. 7 + 8 = 15.\n\nFinal answer: 15",
           baseline: str = "12 + 5 + 8 = 25\n\nFinal answer: 25", delay: float = 0.0) -> None:
    """Teacher writes `steps`; the student answers `answer` with steps, `baseline` without."""
    fake.reply(TEACHER, Reply(text=json.dumps({"steps": steps or STEPS}), chunk_delay=delay))
    # Asked for equations (after each Decompose), the teacher writes them (15, as the answer).
    fake.reply(TEACHER, Reply(text=EQUATIONS, chunk_delay=delay),
               when="System of linear equations")
    # Newest rule first: the general baseline reply, then the with-steps one on top.
    fake.reply(STUDENT, Reply(text=baseline, chunk_delay=delay))
    fake.reply(STUDENT, Reply(text=answer, chunk_delay=delay), when="steps as a plan")


async def click_button(pilot: Any, button_id: str) -> None:
    """Click a ButtonBar's button on its cell, as a user would."""
    for bar in pilot.app.screen.query(ButtonBar):
        if any(button.id == button_id for button in bar.buttons):
            await pilot.click(bar, offset=bar.offset_of(button_id))
            return
    raise LookupError(f"no button {button_id!r} on this screen")


def notices(app: TotApp) -> list[str]:
    return [n.message for n in app._notifications]


def notice_text(app: TotApp) -> str:
    return "\n".join(notices(app))


@pytest.fixture
async def make_app(config: Config, checker: object) -> AsyncIterator[Callable[..., TotApp]]:
    tutors: list[Tutor] = []

    def make(cfg: Config | None = None, **kwargs: object) -> TotApp:
        tutor = Tutor(cfg or config, checker=checker)  # type: ignore[arg-type]
        tutors.append(tutor)
        return TotApp(cfg or config, tutor, **kwargs)  # type: ignore[arg-type]

    yield make
    for tutor in tutors:
        await tutor.aclose()


async def settle(pilot: object, app: TotApp) -> None:
    """Wait for every worker of every screen, then for the screen to repaint."""
    from textual.worker import WorkerCancelled

    for _ in range(3):
        # A worker replaced by a later one of its group (say, the detail of a row the cursor
        # left) was cancelled: it is settled too.
        with contextlib.suppress(WorkerCancelled):
            await app.workers.wait_for_complete()
        await pilot.pause()  # type: ignore[attr-defined]


def type_problem(screen: Any, text: str = PROBLEM, reference: str = "15") -> None:
    """Fill the Solve screen's problem and reference fields."""
    screen.query_one("#problem").text = text
    screen.query_one("#reference").value = reference


@contextlib.asynccontextmanager
async def started(make_app: Callable[..., TotApp], key: str, text: str = PROBLEM,
                  reference: str = "15") -> AsyncIterator[tuple[TotApp, Any, Any]]:
    """The app with a problem typed in, `key` pressed and every worker settled."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        type_problem(app.screen, text, reference)
        await pilot.press(key)
        await settle(pilot, app)
        yield app, pilot, app.screen


async def wait_until(pilot: Any, condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Let the app run until `condition()` holds; fail after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not condition():
        assert loop.time() < end, "condition not met in time"
        await pilot.pause(0.02)
