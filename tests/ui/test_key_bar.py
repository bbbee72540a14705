"""The key bar: the keys of the screen, one click away."""

from __future__ import annotations

from rich.text import Text

from tests.ui.conftest import SIZE, script, settle, wait_until
from tot_tui.ui.app import TotApp
from tot_tui.ui.screens.history import HistoryScreen
from tot_tui.ui.screens.solve import SolveScreen
from tot_tui.ui.widgets.key_bar import KeyBar


def chats(fake) -> list:
    return [r for r in fake.requests if r.path == "/api/chat"]


def bar_text(app: TotApp) -> Text:
    content = app.screen.query_one(KeyBar).content
    assert isinstance(content, Text)
    return content


def span_of(app: TotApp, description: str) -> tuple[int, int]:
    bar = app.screen.query_one(KeyBar)
    for start, end, key in bar._spans:
        if key.description == description:
            return start, end
    raise AssertionError(f"{description!r} not on the key bar: {bar_text(app).plain!r}")


async def test_the_bar_shows_each_screens_keys(fake, make_app):
    script(fake)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        plain = bar_text(app).plain
        for shown in ("^t Decompose", "^r Solve", "esc Cancel", "f3 History", "^p palette"):
            assert shown in plain
        await pilot.press("f3")
        await settle(pilot, app)
        assert isinstance(app.screen, HistoryScreen)
        plain = bar_text(app).plain
        assert "^r Re-run" in plain and "^d Delete" in plain and "Decompose" not in plain


async def test_a_click_on_a_key_presses_it(fake, make_app):
    script(fake)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        start, _end = span_of(app, "History")
        await pilot.click(KeyBar, offset=(start + 1, 0))
        await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen))
        start, _end = span_of(app, "Solve")
        await pilot.click(KeyBar, offset=(start, 0))
        await wait_until(pilot, lambda: isinstance(app.screen, SolveScreen))


async def test_in_a_step_the_bar_shows_the_steps_undo_and_redo(fake, make_app):
    script(fake)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.screen.query_one("#problem").text = "Tom has 12 marbles and buys 3 more. How many?"
        await pilot.press("ctrl+t")
        await settle(pilot, app)
        await pilot.press("f6")  # into the first step
        await pilot.pause()
        plain = bar_text(app).plain
        assert plain.startswith("^z Undo") and "^y Redo" in plain
        # More keys than the line holds: whole keys give way (help and the palette stay), no
        # key is cut at the edge.
        assert "f1 Help" in plain and plain.rstrip().endswith("^p palette")
        assert "…" not in plain and len(plain) <= app.screen.query_one(KeyBar).size.width
        bar = app.screen.query_one(KeyBar)
        shown = [key.description for _start, _end, key in bar._spans]
        assert "Decompose" not in shown and "Settings" not in shown  # these gave way
