"""`tot-tui solve` and `history` print math rendered on a terminal, as written when piped or
with --raw; --json is always as written. Run as real processes against the fake server (on a
pseudo-terminal where a terminal is meant)."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys

from tests.conftest import STUDENT, TEACHER
from tot_tui.fake_ollama import FakeOllama, Reply

PROBLEM = ("If $f(x)=\\dfrac{2}{x+1}$, then what is the value of "
           "$f^{-1}\\left(\\frac{1}{5}\\right)$?")  # MATH500 test/algebra/1960
STEPS = ["Set $f(x) = \\frac{1}{5}$.", "Solve $\\frac{2}{x+1} = \\frac{1}{5}$ for $x$."]
REPLY = ("We solve\n\\[\\frac{2}{x+1} = \\frac{1}{5}\\]\nso $x + 1 = 10$ and "
         "$x = \\boxed{9}$.\n\nFinal answer: 9")
# The reply in small pieces: every span is cut somewhere inside.
CHUNKS = [REPLY[i:i + 3] for i in range(0, len(REPLY), 3)]


def script(fake: FakeOllama) -> None:
    fake.reply(TEACHER, Reply(text=json.dumps({"steps": STEPS})))
    fake.reply(STUDENT, Reply(text=REPLY, chunks=CHUNKS))


def run_piped(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tot_tui", *args], capture_output=True,
                          text=True, timeout=60, env=dict(os.environ, NO_COLOR="1"))


def run_on_a_terminal(*args: str) -> str:
    """What the command writes to a terminal (80 columns), carriage returns dropped."""
    main, child = pty.openpty()
    env = dict(os.environ, NO_COLOR="1", COLUMNS="80", LINES="24")
    proc = subprocess.Popen([sys.executable, "-m", "tot_tui", *args], stdin=subprocess.DEVNULL,
                            stdout=child, stderr=subprocess.PIPE, env=env)
    os.close(child)
    out = b""
    while True:
        ready, _, _ = select.select([main], [], [], 60)
        if not ready:
            proc.kill()
            raise AssertionError("no output for 60 s")
        try:
            data = os.read(main, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        out += data
    os.close(main)
    assert proc.wait(timeout=60) == 0, proc.stderr.read() if proc.stderr else ""
    return out.decode("utf-8").replace("\r\n", "\n")


def test_piped_output_is_as_written(fake, monkeypatch):
    monkeypatch.setenv("OLLAMA_HOST", fake.url)
    script(fake)
    proc = run_piped("solve", PROBLEM, "--answer", "9")
    assert proc.returncode == 0, proc.stderr
    assert REPLY in proc.stdout  # the reply exactly as it came
    assert "1. Set $f(x) = \\frac{1}{5}$." in proc.stdout
    history = run_piped("history")
    assert "$f(x)=\\dfrac{2}{x+1}$" in history.stdout


def test_on_a_terminal_math_is_rendered(fake, monkeypatch):
    monkeypatch.setenv("OLLAMA_HOST", fake.url)
    script(fake)
    out = run_on_a_terminal("solve", PROBLEM, "--answer", "9")
    assert "1. Set f(x) = ⅕." in out and "2. Solve 2/(x+1) = ⅕ for x." in out
    assert "We solve\n  2     1\n───── = ─\nx + 1   5\nso x + 1 = 10 and x = ⟦9⟧." in out
    assert "\\frac" not in out and "\\[" not in out
    assert "Verdict: correct" in out
    history = run_on_a_terminal("history")
    assert "If f(x) = 2/(x+1), then what is the value of f⁻¹(⅕)?" in history


def test_raw_on_a_terminal_is_as_written(fake, monkeypatch):
    monkeypatch.setenv("OLLAMA_HOST", fake.url)
    script(fake)
    out = run_on_a_terminal("solve", PROBLEM, "--answer", "9", "--raw")
    assert REPLY in out and "1. Set $f(x) = \\frac{1}{5}$." in out
    history = run_on_a_terminal("history", "--raw")
    assert "$f(x)=\\dfrac{2}{x+1}$" in history


def test_json_is_as_written_on_a_terminal_too(fake, monkeypatch):
    monkeypatch.setenv("OLLAMA_HOST", fake.url)
    script(fake)
    out = run_on_a_terminal("solve", PROBLEM, "--answer", "9", "--json")
    result = json.loads(out.strip().splitlines()[-1])
    assert result["student_output"] == REPLY and result["steps"] == STEPS
