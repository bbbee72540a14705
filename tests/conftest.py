"""Test isolation and the fake Ollama server.

Every test gets its own config and data dirs under tmp_path, and OLLAMA_HOST points at a closed
loopback port unless a test asks for the fake server, so no test can reach a real Ollama by
accident. Tests marked `live` run only with TOT_TUI_LIVE=1 against the server in OLLAMA_HOST.
"""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tot_tui.config import Config, load_config
from tot_tui.fake_ollama import FakeOllama

TEACHER = "qwen2.5:7b"
STUDENT = "llama3.2:1b"
LIVE = os.environ.get("TOT_TUI_LIVE") == "1"
_REAL_OLLAMA_HOST = os.environ.get("OLLAMA_HOST", "")


# Bound for the whole session and never listening: a connection to it is refused, and no other
# process can take the port meanwhile (a released port could be reused by a parallel test).
_CLOSED = socket.socket()
_CLOSED.bind(("127.0.0.1", 0))


def closed_port() -> int:
    """A loopback port where nothing listens."""
    return _CLOSED.getsockname()[1]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if LIVE:
        return
    skip = pytest.mark.skip(reason="live test: set TOT_TUI_LIVE=1 and OLLAMA_HOST to run it")
    for item in items:
        if "live" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("TOT_TUI_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("TOT_TUI_DATA_DIR", str(tmp_path / "data"))
    for var in ("TOT_TUI_TEACHER_HOST", "TOT_TUI_STUDENT_HOST", "TOT_TUI_TEACHER",
                "TOT_TUI_STUDENT", "OLLAMA_API_KEY", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("OLLAMA_HOST", f"http://127.0.0.1:{closed_port()}")
    yield tmp_path


@pytest.fixture
def fake() -> Iterator[FakeOllama]:
    """A fake Ollama with the default teacher and student installed."""
    with FakeOllama() as server:
        server.add_model(TEACHER, family="qwen2", parameter_size="7.6B", quantization="Q4_K_M",
                         size=4_683_087_332)
        server.add_model(STUDENT, family="llama", parameter_size="1.2B", quantization="Q8_0",
                         size=1_321_098_329)
        yield server


@pytest.fixture
def config(fake: FakeOllama, monkeypatch: pytest.MonkeyPatch) -> Config:
    monkeypatch.setenv("OLLAMA_HOST", fake.url)
    cfg = load_config()
    # Fast failure in tests that exercise stalls; real defaults are far longer.
    cfg.settings.stall_timeout = 2.0
    cfg.settings.first_token_timeout = 5.0
    return cfg


@pytest.fixture(scope="session")
def checker() -> Iterator[object]:
    """One warm checker worker shared by the whole session (it takes a second to start)."""
    from tot_tui.check import Checker

    with Checker() as shared:
        yield shared


@pytest.fixture
async def tutor(config: Config, checker: object) -> AsyncIterator[object]:
    from tot_tui.tutor.session import Tutor

    t = Tutor(config, checker=checker)  # type: ignore[arg-type]
    yield t
    await t.aclose()


@pytest.fixture
def live_host() -> str:
    if not LIVE or not _REAL_OLLAMA_HOST:
        pytest.skip("set TOT_TUI_LIVE=1 and OLLAMA_HOST to run live tests")
    return _REAL_OLLAMA_HOST
