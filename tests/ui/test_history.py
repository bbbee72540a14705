"""The History screen: list, search, filters, open, re-run, delete, export."""

from __future__ import annotations

import asyncio
import json

from tests.conftest import STUDENT, TEACHER
from tests.ui.conftest import PROBLEM, SIZE, STEPS, notice_text, script, settle, wait_until
from tot_tui.domain import Mode, Verdict
from tot_tui.fake_ollama import Reply
from tot_tui.ui.screens.confirm import ConfirmScreen
from tot_tui.ui.screens.export import ExportScreen
from tot_tui.ui.screens.history import HistoryScreen, detail_markdown, step_changes
from tot_tui.ui.screens.solve import SolveScreen
from tot_tui.ui.widgets.student_stream import StudentStream

OTHER = "A baker makes 4 trays of cookies with 9 cookies on each tray. How many cookies?"


async def seed(tutor) -> tuple[int, int]:
    """Two problems: one solved correctly with edited steps, one failed baseline."""
    first = await tutor.add_problem(PROBLEM, "15")
    events = [e async for e in tutor.decompose(first)]
    teacher = events[-1].step_set
    edited = await tutor.save_steps(first, [STEPS[0], "Take away the 5 marbles.", STEPS[2],
                                            "Say how many."], parent_id=teacher.id)
    [e async for e in tutor.solve(first, step_set=edited)]
    second = await tutor.add_problem(OTHER, "36")
    [e async for e in tutor.solve(second, mode=Mode.BASELINE)]
    return first.id, second.id


async def open_history(pilot, app) -> HistoryScreen:
    await pilot.press("f3")
    await settle(pilot, app)
    screen = app.screen
    assert isinstance(screen, HistoryScreen)
    return screen


async def test_list_search_filter_and_detail(fake, make_app):
    script(fake)
    app = make_app()
    first, second = await seed(app.tutor)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_history(pilot, app)
        table = screen.query_one("#problems")
        assert [r.id for r in screen.rows] == [second, first]
        row = [str(c) for c in table.get_row(str(first))]
        assert row[1] == str(first) and row[3].startswith("Tom has 12")
        assert TEACHER in row[4] and STUDENT in row[4] and "1/1" in row[5]
        # Full-text search.
        screen.query_one("#search").value = "cookies"
        await wait_until(pilot, lambda: [r.id for r in screen.rows] == [second])
        screen.query_one("#search").value = ""
        await wait_until(pilot, lambda: len(screen.rows) == 2)
        await settle(pilot, app)
        # Filter by verdict, then by model.
        screen.query_one("#verdict").value = "correct"
        await settle(pilot, app)
        assert [r.id for r in screen.rows] == [first]
        screen.query_one("#verdict").clear()
        screen.query_one("#model").value = TEACHER
        await settle(pilot, app)
        assert [r.id for r in screen.rows] == [first]
        # The highlighted problem's detail: every version, what changed, every attempt.
        await settle(pilot, app)
        assert screen.detail is not None and screen.detail.problem.id == first
        text = detail_markdown(screen.detail)
        assert "v1 · teacher" in text and "v2 · edited" in text and "from v1" in text
        assert "changed" in text and "added" in text
        assert "correct" in text and STUDENT in text


def test_step_changes_marks_edits_against_the_original():
    lines = step_changes(["a", "b", "c"], ["a", "B", "c", "d"])
    assert lines == ["1. a", "2. B — ✎ *changed* (was ~~b~~)", "3. c", "4. d — ＋ *added*"]
    lines = step_changes(["a", "b", "c"], ["a", "X", "Y"])  # 2 for 2: both changed
    assert lines[1:] == ["2. X — ✎ *changed* (was ~~b~~)", "3. Y — ✎ *changed* (was ~~c~~)"]
    assert step_changes(["a", "b"], ["a"]) == ["1. a", "- ~~b~~ — ✗ *removed*"]


async def test_open_and_rerun_with_current_models(fake, make_app):
    script(fake)
    app = make_app()
    first, _ = await seed(app.tutor)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_history(pilot, app)
        table = screen.query_one("#problems")
        table.move_cursor(row=1)
        await settle(pilot, app)
        table.focus()
        await pilot.press("ctrl+r")
        await settle(pilot, app)
        solve = app.screen
        assert isinstance(solve, SolveScreen)
        assert solve.query_one("#problem").text == PROBLEM
        assert solve.query_one("#reference").value == "15"
        assert solve.steps_panel.step_set.version == 2
        pane = solve.query_one("#with-steps", StudentStream)
        assert pane.banner.verdict is Verdict.CORRECT
        detail = await app.tutor.problem_detail(first)
        assert len(detail.attempts) == 2
        # Open only (Enter) shows the problem without running it.
        await pilot.press("f3")
        await settle(pilot, app)
        app.screen.query_one("#problems").focus()
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, SolveScreen)
        detail = await app.tutor.problem_detail(first)
        assert len(detail.attempts) == 2
        # Opened, it shows its last reply with steps and that reply's verdict.
        pane = app.screen.query_one("#with-steps", StudentStream)
        assert pane.text == detail.attempts[-1].output and pane.banner.verdict is Verdict.CORRECT
        assert f"attempt #{detail.attempts[-1].id}" in str(pane.border_subtitle)


async def test_delete_asks_first(fake, make_app):
    script(fake)
    app = make_app()
    first, second = await seed(app.tutor)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_history(pilot, app)
        screen.query_one("#problems").focus()
        await pilot.press("ctrl+d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("escape")  # no
        # Settle only once the dialog is gone: waiting on a screen being torn down can hang.
        await wait_until(pilot, lambda: app.screen is screen)
        await settle(pilot, app)
        assert len(screen.rows) == 2
        await pilot.press("ctrl+d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.click("#yes")
        # The list may reload (the dialog closing) before the delete's own notice arrives.
        await wait_until(pilot, lambda: [r.id for r in screen.rows] == [first]
                         and "Deleted 1 problem" in notice_text(app), timeout=20)
        assert await app.tutor.problem_detail(second) is None


async def test_the_delete_dialog_names_its_targets(fake, make_app):
    script(fake)
    app = make_app()
    first, second = await seed(app.tutor)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_history(pilot, app)
        table = screen.query_one("#problems")
        table.focus()
        await pilot.press("space")  # selects the highlighted (newest) row, moves down
        await pilot.press("ctrl+d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        question = str(app.screen.query_one("#question").render())
        assert f"#{second} " in question and "selected problem" in question
        assert f"The highlighted #{first} is not selected: it stays." in question
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen)


async def test_export_selection_and_everything(fake, make_app, config):
    script(fake)
    app = make_app()
    _first, second = await seed(app.tutor)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_history(pilot, app)
        screen.query_one("#problems").focus()
        await pilot.press("space")  # select the first row (the newest problem)
        assert screen.marked == {second}
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        assert app.focused is app.screen.query_one("#format")  # arrows pick the format first
        app.screen.query_one("#format").query("RadioButton")[1].value = True  # JSON
        await pilot.click("#export")
        await settle(pilot, app)
        files = sorted(config.paths.exports_dir.glob("*.json"))
        assert len(files) == 1
        data = json.loads(files[0].read_text("utf-8"))
        assert [d["problem"]["id"] for d in data] == [second]
        assert files[0].name in notice_text(app)
        # Everything, as CSV.
        screen.marked.clear()
        await pilot.press("ctrl+s")
        await pilot.pause()
        app.screen.query_one("#format").query("RadioButton")[2].value = True
        await pilot.click("#export")
        await settle(pilot, app)
        csv_files = list(config.paths.exports_dir.glob("*.csv"))
        assert len(csv_files) == 1
        body = csv_files[0].read_text("utf-8")
        assert "Tom has 12" in body and "cookies" in body


async def test_empty_history_says_how_to_start(fake, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_history(pilot, app)
        assert screen.rows == []
        assert "No problems yet" in screen.query_one("#detail-md").source


async def test_filter_by_eval_run(fake, make_app, tmp_path, capsys):
    from tests.evaluate.scripted import script as script_eval
    from tests.evaluate.scripted import write_dataset
    from tests.evaluate.test_eval_cli import run_eval, truth

    script(fake)
    app = make_app()
    await seed(app.tutor)  # two problems solved by hand
    data = write_dataset(tmp_path / "tiny.jsonl", 3)
    script_eval(fake, TEACHER, [STUDENT], truth)
    # The CLI runs its own event loop: in a thread, beside this test's.
    code, _out, _err = await asyncio.to_thread(run_eval, capsys, "--dataset", str(data),
                                               "--modes", "baseline")
    assert code == 0
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_history(pilot, app)
        assert len(screen.rows) == 5
        runs = screen.query_one("#eval-run")
        assert runs.display
        (label, run_id), = runs._options[1:]  # after the "Any eval run" prompt
        assert label.startswith(f"#{run_id} tiny.jsonl · ") and "/3 ✔" in label
        runs.value = run_id
        await wait_until(pilot, lambda: len(screen.rows) == 3)
        assert all(r.attempts == 1 for r in screen.rows)
        runs.clear()
        await wait_until(pilot, lambda: len(screen.rows) == 5)


async def test_no_eval_run_filter_without_eval_runs(fake, make_app):
    script(fake)
    app = make_app()
    await seed(app.tutor)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_history(pilot, app)
        assert len(screen.rows) == 2 and not screen.query_one("#eval-run").display


async def test_a_narrow_terminal_keeps_the_verdict_column_on_screen(fake, make_app):
    script(fake)
    app = make_app()
    await seed(app.tutor)
    async with app.run_test(size=(90, 30)) as pilot:
        screen = await open_history(pilot, app)
        table = screen.query_one("#problems")
        assert table.virtual_size.width <= table.size.width  # no column off the right edge
        assert str(table.get_row_at(0)[5]).endswith("/1")  # the Result column


async def test_mixed_results_show_as_mixed(fake, make_app):
    script(fake)
    app = make_app()
    first, _ = await seed(app.tutor)
    problem = (await app.tutor.problem_detail(first)).problem
    fake.reply(STUDENT, Reply(text="Final answer: 16"))
    [e async for e in app.tutor.solve(problem, mode=Mode.BASELINE)]  # a wrong one too
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_history(pilot, app)
        row = [str(c) for c in screen.query_one("#problems").get_row(str(first))]
        assert row[5].startswith("◐") and row[5].endswith("1/2")


async def test_a_long_history_is_read_a_page_at_a_time(fake, make_app):
    app = make_app()
    store = app.tutor.store
    ids = [store.add_problem(f"Problem {i}: how many pears?", str(i)).id for i in range(130)]
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_history(pilot, app)
        table = screen.query_one("#problems")
        assert table.row_count == 100 and screen.more
        assert table.border_title == "100 of 130 problems"
        assert [r.id for r in screen.rows[:2]] == [ids[-1], ids[-2]]
        await pilot.press("ctrl+end")  # to the last row read: the next page comes
        await wait_until(pilot, lambda: table.row_count == 130)
        assert [r.id for r in screen.rows] == ids[::-1] and not screen.more
        assert table.border_title == "130 problems"
        # Select all means every match, not the rows read so far.
        await pilot.press("ctrl+home")
        screen.query_one("#search").value = "pears"
        await wait_until(pilot, lambda: table.row_count == 100 and screen.total == 130)
        screen.action_select_all()
        await wait_until(pilot, lambda: len(screen.marked) == 130)
        from textual.widgets.data_table import ColumnKey

        assert table.columns[ColumnKey("id")].width == 3  # sized to the longest id
