"""Every way Ollama can fail becomes one clear message, and nothing streamed is lost."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading

import pytest

from tests.conftest import STUDENT, TEACHER, closed_port
from tot_tui.config import load_config
from tot_tui.domain import (
    AttemptStatus,
    ErrorKind,
    Failed,
    Mode,
    ModelLoading,
    StudentDelta,
    Verdict,
)
from tot_tui.fake_ollama import Reply
from tot_tui.tutor.session import InputError, Tutor

PROBLEM = "A shop sells pens at $3 each. How much do 7 pens cost?"
ANSWER_TEXT = "Each pen costs 3 dollars and there are 7 pens, so 7 times 3 is 21.\nFinal answer: 21"


async def collect(agen) -> list:
    return [event async for event in agen]


def attempt_rows(config) -> list[tuple]:
    db = sqlite3.connect(config.paths.database)
    return db.execute("SELECT status, output, error FROM attempt ORDER BY id").fetchall()


async def test_server_down_names_the_url_and_the_fix(checker, monkeypatch):
    url = f"http://127.0.0.1:{closed_port()}"
    monkeypatch.setenv("OLLAMA_HOST", url)
    tutor = Tutor(load_config(), checker=checker)
    try:
        events = await collect(tutor.run(PROBLEM, "21"))
    finally:
        await tutor.aclose()
    failed = events[-1]
    assert isinstance(failed, Failed) and failed.kind == "unreachable"
    assert url in failed.message and "ollama serve" in failed.message
    assert "OLLAMA_HOST" in failed.message


async def test_missing_model_says_how_to_pull_it(fake, tutor, config):
    fake.remove_model(STUDENT)
    events = await collect(tutor.run(PROBLEM, "21", mode=Mode.BASELINE))
    failed = events[-1]
    assert isinstance(failed, Failed) and failed.kind == "model_missing"
    assert f"ollama pull {STUDENT}" in failed.message and fake.url in failed.message
    assert attempt_rows(config)[0][0] == "interrupted"


async def test_busy_server(fake, tutor):
    fake.reply(STUDENT, Reply(http_error=(503, "server busy, please try again.  maximum "
                                                "pending requests exceeded")))
    failed = (await collect(tutor.run(PROBLEM, "21", mode=Mode.BASELINE)))[-1]
    assert failed.kind == "busy" and "try again" in failed.message


async def test_error_mid_stream_keeps_the_partial_text(fake, tutor, config):
    fake.reply(STUDENT, Reply(text=ANSWER_TEXT, error_after=5))
    events = await collect(tutor.run(PROBLEM, "21", mode=Mode.BASELINE))
    failed = events[-1]
    streamed = "".join(e.text for e in events if isinstance(e, StudentDelta))
    assert failed.kind == "stream_error" and failed.partial == streamed and streamed
    assert ANSWER_TEXT.startswith(streamed)
    status, output, error = attempt_rows(config)[0]
    assert (status, output) == ("interrupted", streamed) and "unexpected EOF" in error


async def test_cut_stream_keeps_the_partial_text(fake, tutor, config):
    fake.reply(STUDENT, Reply(text=ANSWER_TEXT, disconnect_after=4))
    events = await collect(tutor.run(PROBLEM, "21", mode=Mode.BASELINE))
    failed = events[-1]
    assert failed.kind == "stream_cut" and failed.partial
    assert attempt_rows(config)[0][:2] == ("interrupted", failed.partial)


async def test_stall_is_detected(fake, tutor, config):
    config.settings.stall_timeout = 0.3
    fake.reply(STUDENT, Reply(text=ANSWER_TEXT, stall_after=3, stall_seconds=30))
    failed = (await collect(tutor.run(PROBLEM, "21", mode=Mode.BASELINE)))[-1]
    assert failed.kind == "stall" and "did not send anything more" in failed.message
    assert attempt_rows(config)[0][0] == "interrupted"


async def test_cold_load_is_announced_then_streams(fake, tutor):
    fake.reply(STUDENT, Reply(text=ANSWER_TEXT, load_delay=0.3))
    events = await collect(tutor.run(PROBLEM, "21", mode=Mode.BASELINE))
    loading = next(e for e in events if isinstance(e, ModelLoading))
    assert loading.role == "student" and loading.model == STUDENT
    assert events.index(loading) < next(i for i, e in enumerate(events)
                                        if isinstance(e, StudentDelta))
    assert events[-1].attempt.verdict is Verdict.CORRECT
    assert events[-1].attempt.usage.load_ns


async def test_cancel_keeps_partial_and_frees_the_server(fake, tutor, config):
    fake.reply(STUDENT, Reply(text=ANSWER_TEXT, chunk_delay=0.05))
    problem = await tutor.add_problem(PROBLEM, "21")
    seen: list[str] = []

    async def consume() -> None:
        async for event in tutor.solve(problem, mode=Mode.BASELINE):
            if isinstance(event, StudentDelta):
                seen.append(event.text)

    task = asyncio.create_task(consume())
    async with asyncio.timeout(20):
        while len(seen) < 3:
            assert not task.done(), "the stream ended before it could be cancelled"
            await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    status, output, _ = attempt_rows(config)[0]
    assert status == "interrupted" and output.startswith("".join(seen)) and output
    for _ in range(200):  # the server notices the closed stream
        if fake.active_streams == 0:
            break
        await asyncio.sleep(0.02)
    assert fake.active_streams == 0


@pytest.mark.parametrize("text, fragment", [
    ("", "empty"),
    ("   \n\t ", "empty"),
    ("x" * 1_000_000, "limit"),
    ("\x00\x01\x02binary\xff\x1b[2J", "control"),
])
async def test_bad_problems_get_a_clear_error(tutor, text, fragment):
    with pytest.raises(InputError, match=fragment):
        await collect(tutor.run(text))


async def test_unusual_unicode_is_accepted(fake, tutor):
    fake.reply(TEACHER, Reply(text=json.dumps({"steps": ["Subtract 2 from both sides."]})))
    fake.reply(STUDENT, Reply(text="Final answer: 2"))
    text = "Résolvez 𝑥² + 2 = 6 pour x > 0 (日本語, emoji 🧮, RTL עברית)."
    events = await collect(tutor.run(text, "2"))
    assert events[-1].attempt.verdict is Verdict.CORRECT
    assert events[-1].attempt.status is AttemptStatus.FINISHED


async def test_server_rejecting_json_schema_format_gets_plain_text_request(fake, tutor):
    def rejects_schema(body: dict) -> bool:
        return isinstance(body.get("format"), dict)

    fake.reply(TEACHER, Reply(text="1. Multiply 7 by the $3 price."))
    fake.reply(TEACHER, Reply(http_error=(400, "invalid format: expected \"json\"")),
               when=rejects_schema)
    fake.reply(STUDENT, Reply(text="Final answer: 21"))
    events = await collect(tutor.run(PROBLEM, "21"))
    assert events[-1].attempt.verdict is Verdict.CORRECT
    teacher_calls = [r.body for r in fake.requests
                     if r.path == "/api/chat" and r.body["model"] == TEACHER]
    assert isinstance(teacher_calls[0]["format"], dict) and "format" not in teacher_calls[1]


async def test_server_without_version_endpoint_still_reports_models(fake, tutor, monkeypatch):
    import http.server
    import threading

    class TagsOnly(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path == "/api/tags":
                body = json.dumps({"models": [{"name": "m:1b", "model": "m:1b", "size": 1,
                                               "digest": "x", "details": {}}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:
                self.send_error(404)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), TagsOnly)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("OLLAMA_HOST", f"http://127.0.0.1:{server.server_port}")
    other = Tutor(load_config(), checker=tutor.checker)
    try:
        status = await other.host_status("student")
    finally:
        await other.aclose()
        server.shutdown()
    assert status.ok and [m.name for m in status.models] == ["m:1b"] and status.version == ""


async def test_closing_the_stream_before_any_token_settles_the_attempt(fake, tutor, config):
    fake.reply(STUDENT, Reply(text=ANSWER_TEXT))
    problem = await tutor.add_problem(PROBLEM, "21")
    agen = tutor.solve(problem, mode=Mode.BASELINE)
    first = await agen.__anext__()
    assert isinstance(first, ModelLoading)
    await agen.aclose()  # the consumer walks away at the first event
    assert attempt_rows(config) == [("interrupted", "", "Cancelled.")]


async def test_lone_surrogates_from_the_model_are_stored_and_printable(fake, tutor, config):
    fake.reply(STUDENT, Reply(text="Bad \ud800 text.\nFinal answer: 21"))
    events = await collect(tutor.run(PROBLEM, "21", mode=Mode.BASELINE))
    attempt = events[-1].attempt
    assert attempt.status is AttemptStatus.FINISHED and attempt.verdict is Verdict.CORRECT
    assert "\ufffd" in attempt.output
    attempt.output.encode("utf-8")  # printable and storable
    assert attempt_rows(config)[0][0] == "finished"


async def test_missing_model_reported_inside_the_stream_is_still_a_setup_error(fake, tutor):
    fake.reply(STUDENT, Reply(text="", error_after=0,
                              error_message=f"model '{STUDENT}' not found"))
    failed = (await collect(tutor.run(PROBLEM, "21", mode=Mode.BASELINE)))[-1]
    assert failed.kind == "model_missing" and f"ollama pull {STUDENT}" in failed.message


async def test_a_row_appears_at_the_first_checkpoint_and_is_finished_in_place(
        fake, tutor, config, monkeypatch):
    from tot_tui.tutor import session

    monkeypatch.setattr(session, "CHECKPOINT_SECONDS", 0.1)
    words = [f"w{i} " for i in range(40)]
    fake.reply(STUDENT, Reply(text="".join(words) + "\nFinal answer: 21",
                              chunks=[*words, "\nFinal answer: 21"], chunk_delay=0.02))
    problem = await tutor.add_problem(PROBLEM, "21")
    running: list[tuple] = []
    async for event in tutor.solve(problem, mode=Mode.BASELINE):
        if isinstance(event, StudentDelta) and not running:
            rows = attempt_rows(config)
            if rows:  # written by the first checkpoint, while the answer streams
                running = rows
    assert running and running[0][0] == "running" and running[0][1].startswith("w0 w1")
    assert attempt_rows(config) == [("finished", "".join(words) + "\nFinal answer: 21", None)]


def test_a_cancel_racing_the_final_write_leaves_one_row(tmp_path):
    import threading

    from tot_tui.store.history import HistoryStore
    from tot_tui.tutor.session import _AttemptRow

    store = HistoryStore(tmp_path / "h.db")
    problem = store.add_problem(PROBLEM, "21")
    for _ in range(20):
        row = _AttemptRow(store, dict(problem_id=problem.id, step_set_id=None,
                                      student_model=STUDENT, host="h", mode=Mode.BASELINE,
                                      prompt_name="baseline", prompt_hash="x"))
        results: list[object] = []
        def finish(row: _AttemptRow = row, results: list[object] = results) -> None:
            results.append(row.settle(status=AttemptStatus.FINISHED, output="21", answer="21",
                                      verdict=Verdict.CORRECT))

        grading = threading.Thread(target=finish)
        grading.start()  # the worker thread's write, still running when the cancel lands
        results.append(row.settle(status=AttemptStatus.INTERRUPTED, output="2",
                                  error="Cancelled."))
        grading.join()
        assert sum(r is None for r in results) == 1  # the second writer found it settled
    rows = sqlite3.connect(tmp_path / "h.db").execute("SELECT status FROM attempt").fetchall()
    assert len(rows) == 20 and set(rows) <= {("finished",), ("interrupted",)}
    store.close()


async def test_an_attempt_has_its_row_while_the_model_loads(fake, tutor, config, monkeypatch):
    from tot_tui.tutor import session

    monkeypatch.setattr(session, "CHECKPOINT_SECONDS", 0.1)
    fake.reply(STUDENT, Reply(text=ANSWER_TEXT, load_delay=1.5))
    problem = await tutor.add_problem(PROBLEM, "21")
    seen: list[object] = []

    async def consume() -> None:
        async for event in tutor.solve(problem, mode=Mode.BASELINE):
            seen.append(event)

    task = asyncio.create_task(consume())
    async with asyncio.timeout(20):
        while not attempt_rows(config):
            assert not task.done()
            await asyncio.sleep(0.02)
    # Written before any text came: a process killed now leaves an attempt to recover.
    assert not any(isinstance(e, StudentDelta) for e in seen)
    assert attempt_rows(config) == [("running", "", None)]
    await task
    assert attempt_rows(config) == [("finished", ANSWER_TEXT, None)]


async def test_a_cancel_during_a_checkpoint_stops_the_server_at_once(
        fake, tutor, config, monkeypatch):
    import gc

    from tot_tui.tutor import session

    monkeypatch.setattr(session, "CHECKPOINT_SECONDS", 0.05)
    fake.reply(STUDENT, Reply(text=" ".join(f"w{i}" for i in range(400)), chunk_delay=0.01))
    problem = await tutor.add_problem(PROBLEM, "21")
    checkpoints = 0
    real = session._AttemptRow.checkpoint
    cancelled = threading.Event()

    def slow_checkpoint(self, output: str) -> None:
        nonlocal checkpoints
        checkpoints += 1
        real(self, output)
        if checkpoints == 2:  # the cancel lands while this write is in its thread
            cancelled.wait(10)

    monkeypatch.setattr(session._AttemptRow, "checkpoint", slow_checkpoint)

    async def consume() -> None:
        async for _ in tutor.solve(problem, mode=Mode.BASELINE):
            pass

    gc.disable()  # closing the stream must not wait for a garbage collection
    try:
        task = asyncio.create_task(consume())
        async with asyncio.timeout(20):
            while checkpoints < 2:
                await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        cancelled.set()
        async with asyncio.timeout(10):
            while fake.active_streams:
                await asyncio.sleep(0.02)
    finally:
        gc.enable()
    status, output, _ = attempt_rows(config)[0]
    assert len(attempt_rows(config)) == 1 and status == "interrupted" and output.startswith("w0")


@pytest.mark.parametrize("junk", [None, [1, 2, 3], 7, "text"])
async def test_a_json_line_that_is_no_object_is_a_protocol_error(fake, tutor, config, junk):
    fake.reply(STUDENT, Reply(text=ANSWER_TEXT, junk_after=(3, junk)))
    events = await collect(tutor.run(PROBLEM, "21", mode=Mode.BASELINE))
    failed = events[-1]
    assert isinstance(failed, Failed) and failed.kind is ErrorKind.BAD_RESPONSE
    assert "not Ollama's protocol" in failed.message
    status, output, error = attempt_rows(config)[0]
    assert status == "interrupted" and output and "protocol" in error and error != "Cancelled."


async def test_deleting_a_problem_while_it_is_solved_is_one_sentence(fake, tutor, config):
    from tot_tui.store.migrations import StoreError

    fake.reply(STUDENT, Reply(text=ANSWER_TEXT, chunk_delay=0.02))
    problem = await tutor.add_problem(PROBLEM, "21")
    with pytest.raises(StoreError, match="deleted while it was being solved"):
        async for event in tutor.solve(problem, mode=Mode.BASELINE):
            if isinstance(event, StudentDelta):
                await tutor.delete_problem(problem.id)


def test_markdown_export_shows_html_and_control_bytes_as_text(tmp_path, checker):
    import asyncio


    async def main() -> str:
        config = load_config()
        t = Tutor(config, checker=checker)
        try:
            p = await t.add_problem("What is <b>2</b> + 2? <script>alert(1)</script>", "4")
            await t.save_steps(p, ["Add \x1b]0;x\x07 <img src=x onerror=y> them."])
            return await t.export(None, "markdown")
        finally:
            await t.aclose()

    text = asyncio.run(main())
    assert "<script>" not in text and "<img" not in text and "\x1b" not in text
    assert "&lt;script&gt;" in text and "\\x1b" in text


async def test_a_reply_too_long_to_read_is_too_long_not_no_answer(fake, tutor, config):
    from tot_tui.check.limits import MAX_RAW_PRED

    fake.reply(STUDENT, Reply(chunks=["word " * (MAX_RAW_PRED // 5 + 100), "Final answer: 21"]))
    events = await collect(tutor.run(PROBLEM, "21", mode=Mode.BASELINE))
    attempt = events[-1].attempt
    assert attempt.verdict is Verdict.UNKNOWN and attempt.verdict_reason == "too_long"


def test_a_model_list_that_times_out_says_nothing_of_loading():
    import httpx

    from tot_tui.llm.gateway import OllamaGateway

    gateway = OllamaGateway("http://127.0.0.1:9")
    message = gateway._map(httpx.ReadTimeout("timed out"), "").message
    assert "did not answer" in message and "loading" not in message
    assert "'the server'" not in message
