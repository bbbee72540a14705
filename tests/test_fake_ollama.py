"""The fake Ollama server, driven by the real `ollama` client over real HTTP."""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import ollama
import pytest

from tot_tui.fake_ollama import FakeOllama, Reply, tokenize

TEACHER = "qwen2.5:7b"
STUDENT = "llama3.2:1b"
USER = [{"role": "user", "content": "Janet has 3 apples. How many?"}]


@pytest.fixture
def fake() -> Iterator[FakeOllama]:
    with FakeOllama() as server:
        server.add_model(
            TEACHER, family="qwen2", parameter_size="7.6B", quantization="Q4_K_M",
            size=4_683_087_332,
        )
        server.add_model(STUDENT, family="llama", parameter_size="1.2B", size=1_321_098_329)
        yield server


@pytest.fixture
def client(fake: FakeOllama) -> Iterator[ollama.Client]:
    with ollama.Client(host=fake.url) as sync_client:
        yield sync_client


@pytest.fixture
async def aclient(fake: FakeOllama) -> AsyncIterator[ollama.AsyncClient]:
    client = ollama.AsyncClient(host=fake.url)
    yield client
    await client.close()


async def test_streamed_chat_joins_to_text_and_ends_with_metrics(
    fake: FakeOllama, aclient: ollama.AsyncClient
) -> None:
    text = "First, add 3 and 4.\nThen multiply by 2.\n\nFinal answer: 14"
    fake.reply(STUDENT, Reply(text=text))
    parts = [p async for p in await aclient.chat(model=STUDENT, messages=USER, stream=True)]
    assert "".join(p.message.content or "" for p in parts) == text
    assert all(not p.done for p in parts[:-1]) and len(parts) > 5
    final = parts[-1]
    assert final.done and final.done_reason == "stop" and final.message.content == ""
    assert final.eval_count == len(parts) - 1 == len(tokenize(text))
    assert final.prompt_eval_count and final.prompt_eval_count > 0
    for metric in ("total_duration", "load_duration", "prompt_eval_duration", "eval_duration"):
        assert getattr(final, metric) > 0
    assert final.total_duration >= final.load_duration + final.eval_duration
    assert final.model == STUDENT and final.created_at and final.message.role == "assistant"


async def test_stream_is_chunked_ndjson(fake: FakeOllama) -> None:
    fake.reply(STUDENT, "one two")
    async with (
        httpx.AsyncClient() as http,
        http.stream("POST", f"{fake.url}/api/chat", json={"model": STUDENT, "messages": USER}) as r,
    ):
        assert r.headers["content-type"] == "application/x-ndjson"
        assert r.headers["transfer-encoding"] == "chunked"
        lines = [json.loads(line) async for line in r.aiter_lines() if line]
    assert [line["message"]["content"] for line in lines] == ["one", " two", ""]
    assert lines[-1]["done"] is True  # `stream` defaults to true when absent


async def test_non_streamed_chat(fake: FakeOllama, aclient: ollama.AsyncClient) -> None:
    fake.reply(TEACHER, Reply(text='{"steps": ["Add 3 and 4."]}'))
    response = await aclient.chat(model=TEACHER, messages=USER, format={"type": "object"})
    assert response.done and response.done_reason == "stop"
    assert json.loads(response.message.content or "") == {"steps": ["Add 3 and 4."]}
    assert response.eval_count == len(tokenize('{"steps": ["Add 3 and 4."]}'))
    assert fake.requests[-1].body is not None
    assert fake.requests[-1].body["format"] == {"type": "object"}  # recorded, not enforced


def test_sync_client_generate_and_num_predict(fake: FakeOllama, client: ollama.Client) -> None:
    fake.reply(STUDENT, Reply(text="alpha beta gamma delta"))
    chunks = list(client.generate(model=STUDENT, prompt="go", stream=True))
    assert "".join(c.response or "" for c in chunks) == "alpha beta gamma delta"
    assert chunks[-1].context  # generate's final chunk carries the token context
    cut = client.generate(model=STUDENT, prompt="go", options={"num_predict": 2})
    assert cut.response == "alpha beta" and cut.done_reason == "length" and cut.eval_count == 2
    stopped = client.generate(model=STUDENT, prompt="go", options={"stop": [" gamma"]})
    assert stopped.response == "alpha beta" and stopped.done_reason == "stop"


async def test_tags_show_version(fake: FakeOllama, aclient: ollama.AsyncClient) -> None:
    listing = await aclient.list()
    by_name = {m.model: m for m in listing.models}
    assert set(by_name) == {TEACHER, STUDENT}
    teacher = by_name[TEACHER]
    assert teacher.size == 4_683_087_332 and teacher.digest and len(teacher.digest) == 64
    assert teacher.details and teacher.details.family == "qwen2"
    assert teacher.details.parameter_size == "7.6B"
    assert teacher.details.quantization_level == "Q4_K_M"
    raw = httpx.get(f"{fake.url}/api/tags").json()["models"][0]
    assert {"name", "model", "modified_at", "size", "digest", "details"} <= set(raw)

    shown = await aclient.show(TEACHER)
    assert shown.details and shown.details.family == "qwen2"
    assert shown.modelfile and shown.template is not None and shown.parameters
    assert shown.modelinfo and shown.modelinfo["general.architecture"] == "qwen2"
    assert shown.capabilities and "completion" in shown.capabilities
    with pytest.raises(ollama.ResponseError) as err:
        await aclient.show("missing:1b")
    assert err.value.status_code == 404

    async with httpx.AsyncClient() as http:
        assert (await http.get(f"{fake.url}/api/version")).json() == {"version": "0.12.6"}
        root = await http.get(fake.url)
        assert root.status_code == 200 and root.text == "Ollama is running"
        assert (await http.head(fake.url)).status_code == 200
        missing = await http.get(f"{fake.url}/api/nothing")
        assert missing.status_code == 404


async def test_ps_lists_models_after_use_and_unload(
    fake: FakeOllama, aclient: ollama.AsyncClient
) -> None:
    assert (await aclient.ps()).models == []
    await aclient.chat(model=STUDENT, messages=USER)
    running = (await aclient.ps()).models
    assert [m.model for m in running] == [STUDENT]
    assert running[0].size_vram and running[0].expires_at and running[0].details
    fake.unload(STUDENT)
    assert (await aclient.ps()).models == []


async def test_cold_load_delay_only_on_first_use(
    fake: FakeOllama, aclient: ollama.AsyncClient
) -> None:
    fake.reply(STUDENT, Reply(text="ok", load_delay=0.2))
    first = await aclient.chat(model=STUDENT, messages=USER)
    second = await aclient.chat(model=STUDENT, messages=USER)
    assert first.load_duration and second.load_duration
    assert first.load_duration >= 200_000_000 > second.load_duration


async def test_pull_progress_then_model_listed(
    fake: FakeOllama, aclient: ollama.AsyncClient
) -> None:
    fake.add_pullable("llama3.2:3b", size=2_019_393_189, steps=5)
    assert "llama3.2:3b" not in {m.model for m in (await aclient.list()).models}
    with pytest.raises(ollama.ResponseError):
        await aclient.chat(model="llama3.2:3b", messages=USER)
    progress = [p async for p in await aclient.pull("llama3.2:3b", stream=True)]
    statuses = [p.status for p in progress]
    assert statuses[0] == "pulling manifest"
    assert statuses[-3:] == ["verifying sha256 digest", "writing manifest", "success"]
    weights = [p for p in progress if p.total and p.total > 1_000_000 and p.completed]
    assert len(weights) == 5 and weights[-1].completed == weights[-1].total
    assert [p.completed for p in weights] == sorted(p.completed or 0 for p in weights)
    assert weights[0].digest and weights[0].digest.startswith("sha256:")
    assert "llama3.2:3b" in {m.model for m in (await aclient.list()).models}
    assert (await aclient.chat(model="llama3.2:3b", messages=USER)).done


async def test_pull_unknown_model_errors_like_ollama(
    fake: FakeOllama, aclient: ollama.AsyncClient
) -> None:
    with pytest.raises(ollama.ResponseError, match="file does not exist"):
        async for _ in await aclient.pull("nosuch:7b", stream=True):
            pass
    with pytest.raises(ollama.ResponseError) as err:
        await aclient.pull("nosuch:7b")
    assert err.value.status_code == 500


async def test_unknown_model_is_404(aclient: ollama.AsyncClient) -> None:
    with pytest.raises(ollama.ResponseError) as err:
        async for _ in await aclient.chat(model="ghost:1b", messages=USER, stream=True):
            pass
    assert err.value.status_code == 404 and "not found" in err.value.error
    with pytest.raises(ollama.ResponseError) as err:
        await aclient.generate(model="ghost:1b", prompt="hi")
    assert err.value.status_code == 404


async def test_bad_requests_are_400(fake: FakeOllama) -> None:
    async with httpx.AsyncClient() as http:
        bad_json = await http.post(f"{fake.url}/api/chat", content=b"{nope")
        assert bad_json.status_code == 400 and "error" in bad_json.json()
        no_model = await http.post(f"{fake.url}/api/chat", json={"messages": USER})
        assert no_model.status_code == 400 and no_model.json() == {"error": "model is required"}
        empty = await http.post(f"{fake.url}/api/generate", json={"model": "", "prompt": "x"})
        assert empty.status_code == 400


async def test_http_error_503(fake: FakeOllama, aclient: ollama.AsyncClient) -> None:
    busy = "server busy, please try again.  maximum pending requests exceeded"
    fake.reply(STUDENT, Reply(http_error=(503, busy)))
    with pytest.raises(ollama.ResponseError) as err:
        async for _ in await aclient.chat(model=STUDENT, messages=USER, stream=True):
            pass
    assert err.value.status_code == 503 and err.value.error == busy


async def test_error_line_mid_stream(fake: FakeOllama, aclient: ollama.AsyncClient) -> None:
    fake.reply(STUDENT, Reply(text="one two three four", error_after=2, error_message="boom"))
    seen: list[str] = []
    with pytest.raises(ollama.ResponseError, match="boom"):
        async for part in await aclient.chat(model=STUDENT, messages=USER, stream=True):
            seen.append(part.message.content or "")
    assert seen == ["one", " two"]


async def test_disconnect_mid_stream(fake: FakeOllama, aclient: ollama.AsyncClient) -> None:
    fake.reply(STUDENT, Reply(text="one two three four", disconnect_after=2))
    seen: list[str] = []
    with pytest.raises(httpx.TransportError):  # RemoteProtocolError: incomplete chunked read
        async for part in await aclient.chat(model=STUDENT, messages=USER, stream=True):
            seen.append(part.message.content or "")
    assert seen == ["one", " two"]
    assert fake.wait_idle(timeout=5)


async def test_stall_trips_client_read_timeout_and_frees_server(fake: FakeOllama) -> None:
    fake.reply(STUDENT, Reply(text="one two three", stall_after=1, stall_seconds=30))
    client = ollama.AsyncClient(host=fake.url, timeout=httpx.Timeout(5, read=0.3))
    seen: list[str] = []
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        async for part in await client.chat(model=STUDENT, messages=USER, stream=True):
            seen.append(part.message.content or "")
    assert seen == ["one"]
    await client.close()
    assert fake.wait_idle(timeout=5)  # the stalled handler noticed the closed socket
    assert time.monotonic() - started < 10  # loose: far below stall_seconds


def test_stop_ends_a_stall_promptly() -> None:
    fake = FakeOllama().start()
    fake.reply(STUDENT, Reply(text="one two", stall_after=1, stall_seconds=60))
    with ollama.Client(host=fake.url) as client:
        stream = client.chat(model=STUDENT, messages=USER, stream=True)
        assert next(stream).message.content == "one"
        started = time.monotonic()
        fake.stop()
        assert time.monotonic() - started < 10  # loose: far below stall_seconds
        assert fake.active_streams == 0
        with pytest.raises(httpx.TransportError):
            next(stream)


async def test_cancelled_client_stream_frees_server(
    fake: FakeOllama, aclient: ollama.AsyncClient
) -> None:
    fake.reply(STUDENT, Reply(text="word " * 200, chunk_delay=0.02))
    stream = await aclient.chat(model=STUDENT, messages=USER, stream=True)
    async for _ in stream:
        break
    assert fake.active_streams == 1
    await stream.aclose()
    await aclient.close()  # drop the pooled connection too
    assert await asyncio.to_thread(fake.wait_idle, 5)
    assert fake.active_streams == 0


async def test_rules_substring_predicate_dynamic_and_order(
    fake: FakeOllama, aclient: ollama.AsyncClient
) -> None:
    fake.reply(STUDENT, Reply(text="default"))
    fake.reply(STUDENT, Reply(text="Final answer: 18"), when="Janet")
    fake.reply(STUDENT, Reply(text="json mode"), when=lambda req: req.get("format") == "json")
    fake.reply(
        STUDENT,
        lambda req: Reply(text=f"echo: {req['messages'][-1]['content']}"),
        when="echo",
    )

    async def ask(content: str, **kw: object) -> str:
        msgs = [{"role": "user", "content": content}]
        response = await aclient.chat(model=STUDENT, messages=msgs, **kw)  # type: ignore[arg-type]
        return response.message.content or ""

    assert await ask("Janet's ducks") == "Final answer: 18"
    assert await ask("anything") == "default"
    assert await ask("Janet again", format="json") == "json mode"  # newest rule first
    assert await ask("echo me") == "echo: echo me"
    # only the LAST user message counts
    msgs = [*USER, {"role": "assistant", "content": "?"}, {"role": "user", "content": "more"}]
    assert (await aclient.chat(model=STUDENT, messages=msgs)).message.content == "default"
    # one-shot rules, e.g. a failure followed by a success
    fake.reply(STUDENT, Reply(http_error=(500, "flaky")), times=1)
    with pytest.raises(ollama.ResponseError):
        await ask("x")
    assert await ask("x") == "default"
    # generate matches on the prompt
    assert (await aclient.generate(model=STUDENT, prompt="Janet?")).response == "Final answer: 18"


async def test_unscripted_model_gets_generic_reply(aclient: ollama.AsyncClient) -> None:
    response = await aclient.chat(model=TEACHER, messages=USER)
    assert response.message.content


async def test_requests_are_recorded(fake: FakeOllama, aclient: ollama.AsyncClient) -> None:
    fake.clear_requests()
    await aclient.chat(model=STUDENT, messages=USER, options={"temperature": 0})
    await aclient.list()
    recorded = fake.requests
    assert [(r.method, r.path) for r in recorded] == [("POST", "/api/chat"), ("GET", "/api/tags")]
    assert recorded[0].body and recorded[0].body["options"] == {"temperature": 0}
    assert recorded[0].body["messages"] == USER and recorded[1].body is None


async def test_four_concurrent_streams(fake: FakeOllama, aclient: ollama.AsyncClient) -> None:
    barrier = threading.Barrier(4, timeout=10)  # all four requests are in flight together

    def build(req: dict[str, Any]) -> Reply:
        barrier.wait()
        content = req["messages"][-1]["content"]
        return Reply(text=f"reply to {content}", chunk_delay=0.02, first_token_delay=0.2)

    fake.reply(STUDENT, build)

    async def one(i: int) -> str:
        msgs = [{"role": "user", "content": f"q{i}"}]
        parts = [p async for p in await aclient.chat(model=STUDENT, messages=msgs, stream=True)]
        return "".join(p.message.content or "" for p in parts)

    results = await asyncio.gather(*(one(i) for i in range(4)))
    assert results == [f"reply to q{i}" for i in range(4)]
    assert fake.max_concurrent == 4
    assert fake.active_streams == 0


async def test_explicit_chunks_and_count_overrides(
    fake: FakeOllama, aclient: ollama.AsyncClient
) -> None:
    fake.reply(STUDENT, Reply(chunks=["ab", "cd", ""], prompt_eval_count=7, eval_count=99))
    parts = [p async for p in await aclient.chat(model=STUDENT, messages=USER, stream=True)]
    assert [p.message.content for p in parts[:-1]] == ["ab", "cd", ""]
    assert parts[-1].prompt_eval_count == 7 and parts[-1].eval_count == 99


def test_tokenize_round_trips() -> None:
    for text in ["", "a", "  lead and trail  \n", "$1,234.50 × 3 = ?\n\nFinal answer: 18", "é_ü"]:
        assert "".join(tokenize(text)) == text


# ---- demo brain and standalone entry point ----------------------------------------------------

STEPS_SCHEMA = {
    "type": "object",
    "properties": {"steps": {"type": "array", "items": {"type": "string"}}},
    "required": ["steps"],
}
JANET = (
    "Janet’s ducks lay 16 eggs per day. She eats three for breakfast every morning and bakes "
    "muffins for her friends every day with four. She sells the remainder at the farmers' "
    "market daily for $2 per fresh duck egg. How much in dollars does she make every day at "
    "the farmers' market?"
)


@pytest.fixture
def demo() -> Iterator[FakeOllama]:
    from tot_tui.fake_ollama.demo import install_demo

    with FakeOllama() as server:
        install_demo(server)
        yield server


def _final_answer(text: str) -> str:
    last = text.strip().splitlines()[-1]
    assert last.startswith("Final answer: ")
    return last.removeprefix("Final answer: ").strip()


async def _teacher_steps(client: ollama.AsyncClient, problem: str) -> list[str]:
    messages = [
        {"role": "system", "content": "You are an expert math teacher. You do not solve."},
        {"role": "user", "content": f"Break this problem into steps.\n\nProblem:\n{problem}"},
    ]
    parts = [
        p async for p in await client.chat(
            model="qwen2.5:7b", messages=messages, format=STEPS_SCHEMA, stream=True
        )
    ]
    steps = json.loads("".join(p.message.content or "" for p in parts))["steps"]
    assert isinstance(steps, list) and all(isinstance(s, str) and s for s in steps)
    return steps


async def _student(client: ollama.AsyncClient, problem: str, steps: list[str] | None) -> str:
    user = problem
    if steps:
        plan = "\n".join(f"{i}. {s}" for i, s in enumerate(steps, 1))
        user += f"\n\nUse these steps as a plan to solve the problem:\n{plan}"
    messages = [
        {"role": "system", "content": "You are a math student. End with Final answer: <n>."},
        {"role": "user", "content": user},
    ]
    response = await client.chat(model="llama3.2:1b", messages=messages)
    return response.message.content or ""


async def test_demo_known_problem_steps_fix_the_baseline(demo: FakeOllama) -> None:
    client = ollama.AsyncClient(host=demo.url)
    steps = await _teacher_steps(client, JANET)
    assert 3 <= len(steps) <= 8 and not any("18" in s for s in steps)
    assert _final_answer(await _student(client, JANET, steps)) == "18"
    assert _final_answer(await _student(client, JANET, None)) != "18"
    await client.close()


async def test_demo_unknown_problem_is_deterministic(demo: FakeOllama) -> None:
    client = ollama.AsyncClient(host=demo.url)
    problem = "Sam has 7 red pens and 5 blue pens. How many pens does Sam have altogether?"
    steps = await _teacher_steps(client, problem)
    assert 4 <= len(steps) <= 6 and not any("12" in s for s in steps)
    first = await _student(client, problem, steps)
    assert _final_answer(first) == "12"
    assert await _student(client, problem, steps) == first
    await client.close()


def test_demo_models_and_pullable(demo: FakeOllama) -> None:
    with ollama.Client(host=demo.url) as client:
        names = {m.model for m in client.list().models}
        assert {"qwen2.5:7b", "llama3.2:1b", "qwen2.5:1.5b"} <= names
        assert "llama3.2:3b" not in names
        assert client.pull("llama3.2:3b").status == "success"
        assert "llama3.2:3b" in {m.model for m in client.list().models}


def test_demo_scenario_roles_and_problems(tmp_path: pytest.TempPathFactory) -> None:
    from tot_tui.fake_ollama.demo import Scenario, install_demo

    scenario_file = tmp_path / "scenario.json"  # type: ignore[operator]
    scenario_file.write_text(json.dumps({
        "roles": {"qwen2.5:1.5b": "teacher"},
        "problems": [{"question": "What is 6 times 7?", "answer": "42",
                      "steps": ["Multiply 6 by 7."], "baseline": "6 + 7 = 13\n\nFinal answer: 13"}],
    }))
    with FakeOllama() as server:
        install_demo(server, Scenario.load(scenario_file))
        ask = [{"role": "user", "content": "What is 6 times 7?"}]
        with ollama.Client(host=server.url) as client:
            as_teacher = client.chat(model="qwen2.5:1.5b", messages=ask).message.content or ""
            as_student = client.chat(model="llama3.2:1b", messages=ask).message.content or ""
        assert json.loads(as_teacher) == {"steps": ["Multiply 6 by 7."]}
        assert _final_answer(as_student) == "13"


def test_main_reports_bad_scenario_and_busy_port(tmp_path: pytest.TempPathFactory) -> None:
    from tot_tui.fake_ollama.__main__ import main

    assert main(["--scenario", str(tmp_path / "missing.json"), "--port", "0"]) == 2  # type: ignore[operator]
    with FakeOllama() as busy:
        assert main(["--port", str(busy.port), "--quiet"]) == 1


# ---- smaller fidelity points ------------------------------------------------------------------


async def test_thinking_streams_before_content(fake: FakeOllama) -> None:
    fake.add_model("qwen3:4b", family="qwen3", capabilities=["completion", "thinking"])
    fake.reply("qwen3:4b", Reply(text="Final answer: 4", thinking="2 plus 2 is 4."))
    client = ollama.AsyncClient(host=fake.url)
    parts = [p async for p in await client.chat(model="qwen3:4b", messages=USER, stream=True)]
    thought = "".join(p.message.thinking or "" for p in parts)
    said = "".join(p.message.content or "" for p in parts)
    assert thought == "2 plus 2 is 4." and said == "Final answer: 4"
    assert parts[0].message.thinking and not parts[0].message.content
    quiet = await client.chat(model="qwen3:4b", messages=USER, think=False)
    assert quiet.message.content == "Final answer: 4" and not quiet.message.thinking
    with pytest.raises(ollama.ResponseError) as err:  # STUDENT has no thinking capability
        await client.chat(model=STUDENT, messages=USER, think=True)
    assert err.value.status_code == 400
    await client.close()


def test_load_and_unload_requests(fake: FakeOllama, client: ollama.Client) -> None:
    loaded = client.chat(model=STUDENT, messages=[])
    assert loaded.done and loaded.done_reason == "load" and fake.is_loaded(STUDENT)
    unloaded = client.generate(model=STUDENT, prompt="", keep_alive=0)
    assert unloaded.done_reason == "unload" and not fake.is_loaded(STUDENT)
    client.chat(model=STUDENT, messages=USER, keep_alive=0)
    assert [m.model for m in client.ps().models] == []  # keep_alive 0 unloads after use
    client.chat(model=STUDENT, messages=USER, keep_alive="10m")
    assert fake.is_loaded(STUDENT)


def test_delete_and_methods(fake: FakeOllama, client: ollama.Client) -> None:
    assert client.delete(STUDENT).status == "success"
    assert STUDENT not in {m.model for m in client.list().models}
    with pytest.raises(ollama.ResponseError) as err:
        client.delete(STUDENT)
    assert err.value.status_code == 404
    assert httpx.get(f"{fake.url}/api/chat").status_code == 405
    assert httpx.head(f"{fake.url}/api/tags").status_code == 200
    bad = httpx.post(f"{fake.url}/api/chat", json={"model": TEACHER, "messages": "hi"})
    assert bad.status_code == 400


def test_names_resolve_like_ollama(fake: FakeOllama, client: ollama.Client) -> None:
    fake.add_model("mistral")  # no tag: listed as mistral:latest
    fake.reply("mistral:latest", "bonjour")
    assert "mistral:latest" in {m.model for m in client.list().models}
    response = client.chat(model="Mistral", messages=USER)
    assert response.message.content == "bonjour" and response.model == "Mistral"


def test_restart_on_same_port() -> None:
    fake = FakeOllama().start()
    port = fake.port
    fake.reply(STUDENT, "hello")
    with ollama.Client(host=fake.url) as client:
        assert client.chat(model=STUDENT, messages=USER).message.content == "hello"
        fake.stop()
        with pytest.raises(ConnectionError):  # the client's wording for "Ollama is not running"
            client.chat(model=STUDENT, messages=USER)
        fake.start()
        try:
            assert fake.port == port
            assert client.chat(model=STUDENT, messages=USER).message.content == "hello"
        finally:
            fake.stop()


async def test_async_context_manager() -> None:
    async with FakeOllama() as fake:
        fake.reply(STUDENT, "hi")
        client = ollama.AsyncClient(host=fake.url)
        assert (await client.chat(model=STUDENT, messages=USER)).message.content == "hi"
        await client.close()
    assert not fake.running


def test_builtin_problems_match_gsm8k_and_steps_do_not_leak() -> None:
    from pathlib import Path

    from tot_tui.fake_ollama.demo import BUILTIN_PROBLEMS, DemoBrain

    for problem in BUILTIN_PROBLEMS:
        in_problem = set(re.findall(r"\d+", problem.question))
        for step in problem.steps:
            numbers = set(re.findall(r"\d+", step.replace(",", "")))
            assert problem.answer not in numbers - in_problem, step
        assert _final_answer(problem.solution or "") == problem.answer
    data = Path(__file__).parents[1] / "tot_tui" / "data" / "gsm8k_test.jsonl"
    if not data.exists():
        pytest.skip("GSM8K data not bundled")
    gold = {}
    for line in data.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        gold[row["question"]] = row["answer"].split("####")[-1].strip().replace(",", "")
    brain = DemoBrain()
    for problem in BUILTIN_PROBLEMS[:8]:
        assert gold.get(problem.question) == problem.answer
        assert brain.find_problem(problem.question) is problem


async def test_failure_before_first_chunk_is_an_http_error(
    fake: FakeOllama, aclient: ollama.AsyncClient
) -> None:
    # Ollama sends its status line with the first chunk: an error before it is a real 500.
    fake.reply(STUDENT, Reply(text="never", error_after=0, error_message="llama runner died"))
    with pytest.raises(ollama.ResponseError) as err:
        async for _ in await aclient.chat(model=STUDENT, messages=USER, stream=True):
            pass
    assert err.value.status_code == 500 and err.value.error == "llama runner died"
    fake.reply(STUDENT, Reply(text="never", disconnect_after=0))
    with pytest.raises(httpx.RemoteProtocolError):
        await aclient.chat(model=STUDENT, messages=USER)


def test_server_wide_load_delay_and_warm_up(fake: FakeOllama, client: ollama.Client) -> None:
    fake.load_delay = 0.2  # used by replies without their own load_delay and by "load" requests
    cold = client.chat(model=STUDENT, messages=USER)
    assert cold.load_duration and cold.load_duration >= 200_000_000
    fake.unload()
    assert client.generate(model=STUDENT).done_reason == "load"  # the warm-up pays the load
    warm = client.chat(model=STUDENT, messages=USER)
    assert warm.load_duration and warm.load_duration < 200_000_000


def test_standalone_server_serves_and_stops_on_sigterm() -> None:
    import signal
    import subprocess
    import sys
    from pathlib import Path

    proc = subprocess.Popen(
        [sys.executable, "-m", "tot_tui.fake_ollama", "--port", "0", "--quiet", "--delay", "0",
         "--cold-load", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        cwd=Path(__file__).parents[1],
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        url = first.rsplit(" ", 1)[-1].strip()
        assert url.startswith("http://127.0.0.1:")
        with ollama.Client(host=url) as client:
            assert "qwen2.5:7b" in {m.model for m in client.list().models}
            answer = client.chat(model="llama3.2:1b", messages=[{"role": "user", "content": JANET}])
            assert _final_answer(answer.message.content or "")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        proc.kill()
        proc.communicate()  # reaps the process and closes its pipes


def test_simulated_timing_reports_the_same_durations_under_any_load() -> None:
    with FakeOllama() as fake, ollama.Client(host=fake.url) as client:
        fake.simulated_timing = True
        fake.add_model(STUDENT)
        fake.reply(STUDENT, Reply(text="a b c", chunk_delay=0.0))
        fast = client.chat(model=STUDENT, messages=USER)
        fake.reply(STUDENT, Reply(text="a b c", chunk_delay=0.2))  # slower, same script
        slow = client.chat(model=STUDENT, messages=USER)
    assert fast.eval_duration == slow.eval_duration == 12_500_000 * fast.eval_count
    assert fast.load_duration > slow.load_duration  # only the first request loaded the model
