"""Cancelling a worker in the middle of a DOM change must not stop the app."""

from __future__ import annotations

import asyncio

import pytest
from textual.app import App, ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Static

from tot_tui.ui.dom import uncancellable


class NestedRows(App[None]):
    def compose(self) -> ComposeResult:
        with VerticalScroll(id="box"):
            for i in range(60):
                with Horizontal():  # rows with children, like Markdown blocks and step rows
                    yield Static(f"row {i}")
                    yield Static("·")


# Without the shield, cancelling after 2-4 loop turns lands while the rows are exiting and the
# app quits (Textual 8.2); the test walks over every moment of the removal.
@pytest.mark.parametrize("turns", range(1, 9))
async def test_a_worker_cancelled_mid_removal_leaves_the_app_running(turns: int) -> None:
    app = NestedRows()
    async with app.run_test() as pilot:
        box = app.query_one("#box")

        async def clear() -> None:
            await uncancellable(box.remove_children())

        worker = app.run_worker(clear())
        for _ in range(turns):
            await asyncio.sleep(0)
        worker.cancel()
        for _ in range(300):  # let the removal run its course
            await asyncio.sleep(0)
        assert app.is_running, "the app quit when the worker was cancelled"
        await pilot.pause()
        assert not box.children
        app.exit()
