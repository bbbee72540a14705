"""The Ollama gateway over real HTTP: listing, show, pull progress, status, streaming."""

from __future__ import annotations

import pytest

from tests.conftest import STUDENT, TEACHER, closed_port
from tot_tui.fake_ollama import Reply
from tot_tui.llm.backend import Sampling
from tot_tui.llm.errors import ErrorKind, LLMError
from tot_tui.llm.gateway import OllamaGateway

ASK = [{"role": "user", "content": "x"}]


async def drain(gw: OllamaGateway) -> None:
    async for _ in gw.chat(STUDENT, ASK):
        pass


@pytest.fixture
async def gateway(fake):
    gw = OllamaGateway(fake.url, stall_timeout=1.0, first_token_timeout=3.0)
    yield gw
    await gw.aclose()


async def test_status_lists_models_with_details(gateway, fake):
    status = await gateway.status()
    assert status.ok and status.version and status.host == fake.url
    by_name = {m.name: m for m in status.models}
    assert set(by_name) == {TEACHER, STUDENT}
    teacher = by_name[TEACHER]
    assert (teacher.family, teacher.parameter_size, teacher.quantization) == (
        "qwen2", "7.6B", "Q4_K_M")
    assert teacher.size == 4_683_087_332


async def test_status_of_a_down_server_is_not_an_exception():
    url = f"http://127.0.0.1:{closed_port()}"
    gw = OllamaGateway(url)
    try:
        status = await gw.status()
    finally:
        await gw.aclose()
    assert not status.ok and url in status.error


async def test_running(gateway, fake):
    fake.reply(STUDENT, Reply(text="hi"))
    await drain(gateway)
    assert STUDENT in await gateway.running()


async def test_pull_reports_progress_then_success(gateway, fake):
    fake.add_pullable("llama3.2:3b", size=2_000_000_000, steps=5)
    progress = [p async for p in gateway.pull("llama3.2:3b")]
    fractions = [p.fraction for p in progress if p.fraction is not None]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(fractions) >= 3
    assert progress[-1].status == "success"
    assert "llama3.2:3b" in [m.name for m in await gateway.list_models()]


async def test_pull_of_an_unknown_model_fails_clearly(gateway):
    with pytest.raises(LLMError) as err:
        async for _ in gateway.pull("nosuch:9b"):
            pass
    message = err.value.message
    assert message.startswith("Pulling 'nosuch:9b' onto ") and "file does not exist" in message
    assert "ollama.com/library" in message and "`ollama pull" not in message


async def test_chat_stream_final_chunk_carries_usage(gateway, fake):
    fake.reply(STUDENT, Reply(text="one two three"))
    reply = gateway.chat(STUDENT, [{"role": "user", "content": "count"}],
                         sampling=Sampling(temperature=0, seed=7))
    assert reply.usage is None
    texts = [text async for text in reply]
    assert "".join(texts) == "one two three"
    sent = [r for r in fake.requests if r.path == "/api/chat"][-1]
    assert reply.usage is not None and reply.usage.output_tokens == len(texts)
    assert reply.usage.done_reason == "stop"
    body = sent.body
    assert body["options"] == {"temperature": 0, "seed": 7} and body["stream"] is True


async def test_first_token_deadline(fake):
    fake.reply(STUDENT, Reply(text="late", first_token_delay=5))
    gw = OllamaGateway(fake.url, first_token_timeout=0.3)
    try:
        with pytest.raises(LLMError) as err:
            await drain(gw)
    finally:
        await gw.aclose()
    assert err.value.kind is ErrorKind.STALL and "loading" in err.value.message


async def test_a_slow_consumer_is_not_a_stall(fake):
    import asyncio

    fake.reply(STUDENT, Reply(text="a b c d"))
    gw = OllamaGateway(fake.url, stall_timeout=0.3, first_token_timeout=3.0)
    seen = []
    try:
        async for text in gw.chat(STUDENT, ASK):
            seen.append(text)
            await asyncio.sleep(0.6)  # twice the stall timeout: only server silence counts
    finally:
        await gw.aclose()
    assert "".join(seen) == "a b c d"


async def test_not_ollama_is_reported(tmp_path):
    import http.server
    import threading

    class Teapot(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html>hello</html>")

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Teapot)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    gw = OllamaGateway(f"http://127.0.0.1:{server.server_port}")
    try:
        status = await gw.status()
    finally:
        await gw.aclose()
        server.shutdown()
    assert not status.ok and "pointing at Ollama" in status.error
    assert "The model" not in status.error


async def test_a_stream_left_early_is_closed_without_waiting_for_the_collector(fake):
    import asyncio
    import gc

    fake.reply(STUDENT, Reply(text=" ".join(f"w{i}" for i in range(200)), chunk_delay=0.02))
    gw = OllamaGateway(fake.url)
    gc.disable()  # the stream must not need a garbage collection to let go of the server
    try:
        async for _ in gw.chat(STUDENT, ASK):
            break
        async with asyncio.timeout(10):
            while fake.active_streams:
                await asyncio.sleep(0.02)
    finally:
        gc.enable()
        await gw.aclose()


async def test_a_stall_after_the_first_part_is_caught_by_the_stall_deadline(fake):
    import asyncio

    fake.reply(STUDENT, Reply(text="a b c d", stall_after=1))
    gw = OllamaGateway(fake.url, stall_timeout=0.3, first_token_timeout=60)
    try:
        # Not after the minute the first token may take: the stall deadline applies.
        async with asyncio.timeout(10):
            with pytest.raises(LLMError) as err:
                await drain(gw)
    finally:
        await gw.aclose()
    assert err.value.kind is ErrorKind.STALL and "0.3 s" in err.value.message
