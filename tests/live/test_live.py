"""The same flows against a real Ollama server. Skipped unless TOT_TUI_LIVE=1 and OLLAMA_HOST
are set; the models are the configured defaults or TOT_TUI_TEACHER / TOT_TUI_STUDENT."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tot_tui.config import load_config
from tot_tui.domain import (
    AttemptDone,
    DerivedStatus,
    EquationsReady,
    Mode,
    StepsReady,
    Verdict,
)
from tot_tui.tutor.session import Tutor

pytestmark = pytest.mark.live

PROBLEM = "A book costs $12 and a pen costs $3. How much do 2 books and 4 pens cost?"


@pytest.fixture
def live_env(live_host, monkeypatch):
    monkeypatch.setenv("OLLAMA_HOST", live_host)
    for var in ("TOT_TUI_TEACHER", "TOT_TUI_STUDENT"):
        if os.environ.get(f"LIVE_{var}"):
            monkeypatch.setenv(var, os.environ[f"LIVE_{var}"])
    return live_host


async def test_live_host_status(live_env):
    tutor = Tutor(load_config())
    try:
        status = await tutor.host_status("teacher")
    finally:
        await tutor.aclose()
    assert status.ok, status.error
    assert status.version


async def test_live_full_loop(live_env):
    tutor = Tutor(load_config())
    try:
        events = [e async for e in tutor.run(PROBLEM, "36")]
    finally:
        await tutor.aclose()
    ready = next(e for e in events if isinstance(e, StepsReady))
    assert 1 <= len(ready.step_set.steps) <= 30
    done = events[-1]
    assert isinstance(done, AttemptDone), done
    assert done.attempt.verdict in (Verdict.CORRECT, Verdict.INCORRECT, Verdict.UNKNOWN)
    assert done.attempt.output and done.attempt.usage.output_tokens


def test_live_cli_json(live_env):
    proc = subprocess.run([sys.executable, "-m", "tot_tui", "solve", PROBLEM, "--answer", "36",
                           "--json"], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    for key in ("problem", "reference", "steps", "student_output", "student_answer", "verdict",
                "verdict_reason", "teacher_model", "student_model", "attempt_id"):
        assert key in out
    assert out["verdict"] in ("correct", "incorrect", "unknown")


def test_live_missing_model_exits_3(live_env):
    proc = subprocess.run([sys.executable, "-m", "tot_tui", "solve", PROBLEM, "--no-steps",
                           "--student", "no-such-model-tot-tui:1b"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 3 and "ollama pull no-such-model-tot-tui:1b" in proc.stderr


async def test_live_equations_and_programs(live_env):
    """Whatever a real model writes as equations or a program, each ends in a clear outcome:
    a value the solver or the interpreter computed, or a status with a reason; never a crash,
    and nothing a model wrote is run."""
    tutor = Tutor(load_config())
    try:
        events = [e async for e in tutor.run(PROBLEM, None, mode=Mode.EQUATIONS,
                                             equations=True)]
        problem = next(e for e in events if isinstance(e, EquationsReady)).problem
        program = [e async for e in tutor.solve(problem, mode=Mode.PROGRAM)]
    finally:
        await tutor.aclose()
    ready = next(e for e in events if isinstance(e, EquationsReady))
    derived = ready.equation_set.derived
    assert derived.status in DerivedStatus and derived.reason
    if derived.ok:  # a reference no model's arithmetic produced
        assert problem.reference == derived.value and problem.reference_source == "equations"
    for done in (events[-1], program[-1]):
        assert isinstance(done, AttemptDone), done
        (way,) = done.attempt.ways
        assert way.status in {s.value for s in DerivedStatus} and way.note
        assert (way.answer is not None) == (way.status == "solved")
        assert done.attempt.verdict in (Verdict.CORRECT, Verdict.INCORRECT, Verdict.UNKNOWN)
