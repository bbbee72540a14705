"""Every failure is a notice that says what to do, and the user's text is kept."""

from __future__ import annotations

from tests.conftest import STUDENT, TEACHER, closed_port
from tests.ui.conftest import (
    PROBLEM,
    SIZE,
    notice_text,
    script,
    settle,
    started,
    type_problem,
)
from tot_tui.config import load_config
from tot_tui.domain import AttemptStatus
from tot_tui.fake_ollama import Reply
from tot_tui.ui.screens.solve import SolveScreen
from tot_tui.ui.widgets.connection import ConnectionIndicator
from tot_tui.ui.widgets.steps_panel import StepsPanel
from tot_tui.ui.widgets.student_stream import StudentStream


async def test_no_server_start_says_where_it_looked_and_history_works(make_app, monkeypatch):
    url = f"http://127.0.0.1:{closed_port()}"
    monkeypatch.setenv("OLLAMA_HOST", url)
    app = make_app(load_config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        text = notice_text(app)
        assert f"Cannot reach the Ollama server at {url}" in text
        assert "ollama serve" in text and "OLLAMA_HOST" in text
        assert "History (F3) still works" in text
        indicator = app.screen.query_one(ConnectionIndicator)
        assert "no server at" in str(indicator.render()) and indicator.has_class("-bad")
        # Decompose fails with the same advice; the problem text stays.
        type_problem(app.screen)
        await pilot.press("ctrl+t")
        await settle(pilot, app)
        assert app.screen.query_one("#problem").text == PROBLEM
        assert "The teacher stopped" in [n.title for n in app._notifications]
        # History still works without a server.
        await pilot.press("f3")
        await settle(pilot, app)
        table = app.screen.query_one("#problems")
        assert table.row_count == 1


async def test_missing_model_notice_points_to_the_models_screen(fake, make_app):
    fake.remove_model(TEACHER)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        assert f"The teacher model {TEACHER!r} is not on" in notice_text(app)
        assert "Models screen (F4)" in notice_text(app)
        type_problem(app.screen)
        await pilot.press("ctrl+t")
        await settle(pilot, app)
        assert f"ollama pull {TEACHER}" in notice_text(app)


async def test_empty_problem_is_refused_with_advice(fake, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        type_problem(app.screen, "   ", "15")
        await pilot.press("ctrl+t")
        await settle(pilot, app)
        assert "The problem is empty" in notice_text(app)
        assert app.screen.query_one("#reference").value == "15"


async def test_binary_problem_is_refused_and_kept(fake, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        text = "What is 2+2?\x00\x01\x02"
        type_problem(app.screen, text)
        await pilot.press("ctrl+t")
        await settle(pilot, app)
        assert "control or unprintable" in notice_text(app)
        assert app.screen.query_one("#problem").text == text


async def test_teacher_without_steps(fake, make_app):
    fake.reply(TEACHER, Reply(text="   "))
    async with started(make_app, "ctrl+t") as (app, _pilot, _screen):
        assert "write the steps yourself" in notice_text(app)
        assert app.screen.query_one(StepsPanel).steps == []


async def test_teacher_error_mid_stream_keeps_the_draft(fake, make_app):
    fake.reply(TEACHER, Reply(text='{"steps": ["Start with the 12 marbles.", "Subtract 5 '
                                   'marbles.", "Add 8."]}', error_after=25))
    async with started(make_app, "ctrl+t") as (app, _pilot, _screen):
        assert "stopped with an error" in notice_text(app)
        panel = app.screen.query_one(StepsPanel)
        assert panel.steps and panel.steps[0] == "Start with the 12 marbles."
        assert panel.dirty and panel.step_set is None  # kept as unsaved, editable rows


async def test_student_error_mid_stream_keeps_what_arrived(fake, make_app):
    script(fake)
    fake.reply(STUDENT, Reply(text="12 - 5 = 7. 7 + 8 = 15.\n\nFinal answer: 15",
                              error_after=6), when="steps as a plan")
    async with started(make_app, "ctrl+r") as (app, _pilot, _screen):
        pane = app.screen.query_one("#with-steps", StudentStream)
        assert pane.text.startswith("12 - 5")
        assert "What arrived so far was kept" in notice_text(app)
        assert "Stopped early" in str(pane.banner.render())
        detail = await app.tutor.problem_detail(app.screen.problem.id)
        assert detail.attempts[-1].status is AttemptStatus.INTERRUPTED


async def test_student_stall_and_cut_are_explained(fake, make_app, config):
    config.settings.stall_timeout = 0.3
    script(fake)
    fake.reply(STUDENT, Reply(text="Let me think about this problem carefully.",
                              disconnect_after=3), when="steps as a plan")
    async with started(make_app, "ctrl+r") as (app, pilot, _screen):
        assert "closed while" in notice_text(app)
        fake.reply(STUDENT, Reply(text="Let me think.", stall_after=2, stall_seconds=30),
                   when="steps as a plan")
        await pilot.press("ctrl+r")
        await settle(pilot, app)
        assert "did not send anything more" in notice_text(app)


async def test_server_busy(fake, make_app):
    script(fake)
    fake.reply(STUDENT, Reply(http_error=(503, "server busy, please try again")),
               when="steps as a plan")
    async with started(make_app, "ctrl+r") as (app, _pilot, _screen):
        assert "is busy" in notice_text(app)
        assert app.screen.query_one("#problem").text == PROBLEM


async def test_unwritable_config_is_a_notice_not_a_crash(fake, make_app, config):
    config.paths.config_dir.mkdir(parents=True, exist_ok=True)
    config.paths.config_file.mkdir()  # a directory where the file should be
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        assert not app.save_settings(student_model=STUDENT)
        await pilot.pause()
        assert "Settings not saved" in notice_text(app)


async def test_indicator_turns_green_when_the_server_comes_back(make_app, monkeypatch):
    import socket

    from tot_tui.fake_ollama import FakeOllama

    with socket.socket() as probe:  # a free port, released: the server starts there later
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("OLLAMA_HOST", f"http://127.0.0.1:{port}")
    app = make_app(load_config())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        indicator = app.screen.query_one(ConnectionIndicator)
        assert indicator.has_class("-bad")
        with FakeOllama("127.0.0.1", port) as server:
            server.add_model(TEACHER)
            server.add_model(STUDENT)
            app._recheck_if_down()  # what the timer does every RECHECK_SECONDS
            await settle(pilot, app)
            assert indicator.has_class("-ok")
            assert "answers now" in notice_text(app)
            await pilot.click(ConnectionIndicator)
            await settle(pilot, app)
            assert app.current_mode == "models"


async def test_invalid_config_file_is_a_notice_after_the_first_paint(fake, make_app, config):
    # `tot-tui` reads its settings without pydantic; the app validates them after the first
    # paint, says what is wrong and carries on with the defaults for the bad keys.
    config.paths.config_dir.mkdir(parents=True, exist_ok=True)
    config.paths.config_file.write_text('teacher_temperature = 9\nthem = "nord"\n'
                                        f'student_model = "{STUDENT}"\n')
    unchecked = load_config(validate=False)
    assert not unchecked.validated
    app = make_app(unchecked)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        text = notice_text(app)
        assert "config.toml" in text and "teacher_temperature" in text and "them" in text
        assert unchecked.validated and unchecked.settings.teacher_temperature == 0.2
        assert unchecked.model("student") == STUDENT
        assert isinstance(app.screen, SolveScreen)
