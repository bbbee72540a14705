"""The Models screen: pickers fed by each host, host URLs, pull with progress and cancel."""

from __future__ import annotations

import tomllib

from tests.conftest import STUDENT, TEACHER, closed_port
from tests.ui.conftest import SIZE, notice_text, settle, wait_until
from tot_tui.ui.screens.models import ModelsScreen


async def open_models(pilot, app) -> ModelsScreen:
    await pilot.press("f4")
    await settle(pilot, app)
    assert isinstance(app.screen, ModelsScreen)
    return app.screen


async def test_pickers_show_models_with_details(fake, make_app):
    fake.add_model("qwen2.5:1.5b", family="qwen2", parameter_size="1.5B",
                   quantization="Q4_K_M", size=986_061_892)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_models(pilot, app)
        teacher = screen.picker("teacher")
        table = teacher.query_one("DataTable")
        rows = {str(table.get_row(k)[1]): [str(c) for c in table.get_row(k)]
                for k in table.rows}
        assert set(rows) == {TEACHER, STUDENT, "qwen2.5:1.5b"}
        assert rows[TEACHER][0] == "●"  # the current teacher
        assert rows["qwen2.5:1.5b"][2:] == ["986 MB", "qwen2", "1.5B", "Q4_K_M"]
        assert "Ollama" in str(teacher.query_one(".status").render())


async def test_choosing_a_model_saves_it(fake, make_app, config):
    fake.add_model("qwen2.5:1.5b")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_models(pilot, app)
        student = screen.picker("student")
        table = student.query_one("DataTable")
        table.focus()
        table.move_cursor(row=table.get_row_index("qwen2.5:1.5b"))
        await pilot.press("enter")
        await settle(pilot, app)
        assert config.settings.student_model == "qwen2.5:1.5b"
        saved = tomllib.loads(config.paths.config_file.read_text("utf-8"))
        assert saved["student_model"] == "qwen2.5:1.5b"
        assert student.model == "qwen2.5:1.5b"


async def test_editing_a_host_url(fake, make_app, config):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_models(pilot, app)
        picker = screen.picker("student")
        host_input = picker.query_one("Input")
        bad = f"127.0.0.1:{closed_port()}"
        host_input.value = bad
        host_input.focus()
        await pilot.press("enter")
        await settle(pilot, app)
        assert config.host("student") == f"http://{bad}"
        assert "Cannot reach" in str(picker.query_one(".status").render())
        assert config.host("teacher") == fake.url  # the other role is untouched
        host_input.value = fake.url
        await pilot.press("enter")
        await settle(pilot, app)
        assert "Ollama" in str(picker.query_one(".status").render())
        # An emptied field goes back to the default host, and then shows the host in use.
        host_input.value = ""
        await pilot.press("enter")
        await settle(pilot, app)
        assert host_input.value == config.host("student") != ""


async def test_missing_model_is_offered_and_pulled_with_progress(fake, make_app, config):
    fake.remove_model(STUDENT)
    fake.add_pullable(STUDENT, steps=6, step_delay=0.05)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_models(pilot, app)
        name = screen.query_one("#pull-name")
        assert name.value == STUDENT  # offered because the student model is missing
        bar = screen.query_one("#pull-progress")
        seen: list[float | None] = []
        update = bar.update

        def spy(**kwargs):
            update(**kwargs)
            seen.append(bar.percentage)

        bar.update = spy
        await pilot.click("#pull")
        await settle(pilot, app)
        assert fake.has_model(STUDENT)
        fractions = [p for p in seen if p is not None]
        # Ollama reports progress per layer, so the bar may restart for each layer.
        assert any(0 < f < 1 for f in fractions) and fractions[-1] == 1
        assert "Pulled" in notice_text(app)
        # Then the teacher's model goes missing: the pulled name gives way to it.
        fake.remove_model(TEACHER)
        await pilot.press("ctrl+r")
        await settle(pilot, app)
        assert name.value == TEACHER
        assert screen.query_one("#pull-role").value == "teacher"
        table = screen.picker("student").query_one("DataTable")
        assert STUDENT in [str(table.get_row(k)[1]) for k in table.rows]


async def test_pull_can_be_cancelled(fake, make_app):
    fake.add_pullable("llama3.2:3b", steps=200, step_delay=0.05)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_models(pilot, app)
        screen.query_one("#pull-name").value = "llama3.2:3b"
        await pilot.click("#pull")
        await wait_until(pilot, lambda: fake.active_streams > 0)
        assert not screen.query_one("#cancel-pull").disabled
        await pilot.press("escape")
        await settle(pilot, app)
        assert "cancelled" in str(screen.query_one("#pull-status").render())
        assert not fake.has_model("llama3.2:3b")
        assert screen.query_one("#cancel-pull").disabled


async def test_pull_of_unknown_model_explains(fake, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_models(pilot, app)
        screen.query_one("#pull-name").value = "no-such-model:7b"
        await pilot.click("#pull")
        await settle(pilot, app)
        assert "Pulling 'no-such-model:7b'" in notice_text(app)
        assert "failed: pull model manifest" in str(screen.query_one("#pull-status").render())
        assert not screen.query_one("#pull-progress").display  # no bar left animating


async def test_models_follow_a_server_that_comes_back(make_app, monkeypatch):
    import socket

    from tot_tui.config import load_config
    from tot_tui.fake_ollama import FakeOllama

    with socket.socket() as probe:  # a port where nothing listens yet
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("OLLAMA_HOST", url)
    app = make_app(load_config())
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_models(pilot, app)
        picker = screen.query_one("#student-picker")
        assert picker.status is not None and not picker.status.ok
        with FakeOllama("127.0.0.1", port) as server:
            server.add_model(STUDENT)
            server.add_model(TEACHER)
            await app.check_connection(announce=False).wait()  # the app's periodic look
            await wait_until(pilot, lambda: picker.status is not None and picker.status.ok)
            await settle(pilot, app)
            table = picker.query_one("DataTable")
            assert STUDENT in [str(table.get_row(k)[1]) for k in table.rows]
            assert f"The Ollama server at {url} answers now." in notice_text(app)
