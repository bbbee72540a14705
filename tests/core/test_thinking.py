"""Thinking models through the real client and the fake server: the reasoning streams apart
from the reply, is stored apart, and is never graded; `think` goes only to models that say
they think; a teacher asked for JSON steps still sends JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import STUDENT, TEACHER, closed_port
from tot_tui.config import load_config
from tot_tui.domain import (
    AttemptDone,
    AttemptStatus,
    Failed,
    StepsReady,
    StudentDelta,
    StudentThinking,
    TeacherThinking,
    Verdict,
)
from tot_tui.fake_ollama import Reply

THINKER = "qwen3:4b"  # a thinking model on the fake: "thinking" among its capabilities
PROBLEM = ("Tom has 12 marbles. He gives 5 marbles to his sister and then buys 8 more. "
           "How many marbles does Tom have now?")
STEPS = ["Start with Tom's 12 marbles.", "Subtract the 5 he gives away.", "Add the 8 he buys."]
# The reasoning states a wrong answer in the very form the extractor reads: were it graded,
# the verdict would be wrong.
WRONG_THOUGHT = "Hmm, 12 + 5 + 8 is 25... no wait.\nFinal answer: 999\nLet me redo it."
REPLY = "12 - 5 = 7. 7 + 8 = 15.\n\nFinal answer: 15"

# Until the backends stream reasoning as `Thought`s and take `think` (the llm engineer's
# change): these tests describe the behaviour against the fake's thinking model.
needs_thoughts = pytest.mark.xfail(
    strict=False, reason="the backends do not yet stream Thought parts or send `think`")


@pytest.fixture
def thinker(fake):
    fake.add_model(THINKER, family="qwen3", parameter_size="4.0B",
                   capabilities=["completion", "thinking"])
    return fake


def chats(fake) -> list[dict]:
    return [r.body for r in fake.requests if r.path == "/api/chat" and r.body.get("messages")]


async def collect(agen) -> list:
    return [event async for event in agen]


@needs_thoughts
async def test_reasoning_streams_apart_and_is_never_graded(thinker, tutor):
    thinker.reply(THINKER, Reply(text=REPLY, thinking=WRONG_THOUGHT))
    problem = await tutor.add_problem(PROBLEM, "15")
    events = await collect(tutor.solve(problem, mode="baseline", model=THINKER))
    done = events[-1]
    assert isinstance(done, AttemptDone)
    attempt = done.attempt
    assert attempt.verdict is Verdict.CORRECT and attempt.answer == "15"
    assert "999" not in attempt.output and attempt.output == REPLY
    assert attempt.thinking == WRONG_THOUGHT
    # Streamed as it came, apart: the reasoning first, then the reply.
    assert "".join(e.text for e in events if isinstance(e, StudentThinking)) == WRONG_THOUGHT
    assert "".join(e.text for e in events if isinstance(e, StudentDelta)) == REPLY
    kinds = [type(e) for e in events]
    assert kinds.index(StudentThinking) < kinds.index(StudentDelta)
    # Stored apart, read back apart.
    detail = await tutor.problem_detail(problem.id)
    assert detail.attempts[-1].thinking == WRONG_THOUGHT
    assert detail.attempts[-1].output == REPLY
    assert chats(thinker)[-1]["think"] is True


@needs_thoughts
async def test_think_tags_in_the_content_are_reasoning_too(fake, tutor):
    # A model that reasons inline, in <think>…</think> (no "thinking" capability): the same.
    fake.reply(STUDENT, Reply(text=f"<think>{WRONG_THOUGHT}</think>\n{REPLY}"))
    problem = await tutor.add_problem(PROBLEM, "15")
    attempt = (await collect(tutor.solve(problem, mode="baseline")))[-1].attempt
    assert attempt.verdict is Verdict.CORRECT and attempt.answer == "15"
    assert "<think>" not in attempt.output and "999" not in attempt.output
    assert attempt.thinking is not None and "Final answer: 999" in attempt.thinking
    assert "think" not in chats(fake)[-1]  # never sent to a model that does not say it thinks


@needs_thoughts
async def test_a_thinking_teacher_still_sends_json_steps(thinker, tutor, config):
    # Ollama's `format` with `think` is unreliable: a JSON-schema request asks not to think.
    thinker.reply(THINKER, Reply(text=json.dumps({"steps": STEPS}),
                                 thinking="They want steps, not the answer (15)."))
    problem = await tutor.add_problem(PROBLEM, "15")
    events = await collect(tutor.decompose(problem, model=THINKER))
    ready = events[-1]
    assert isinstance(ready, StepsReady) and ready.step_set.steps == STEPS
    body = chats(thinker)[-1]
    assert body["format"]["required"] == ["steps"] and body["think"] is False
    assert not any(isinstance(e, TeacherThinking) for e in events)
    assert ready.step_set.thinking is None


@needs_thoughts
async def test_a_thinking_teacher_asked_in_plain_text_keeps_its_reasoning_apart(thinker,
                                                                                config, checker):
    # A paper's preset asks for a plain list (no schema): the teacher thinks, and its
    # reasoning, numbered list and all, is never read for steps.
    from tot_tui.tutor.session import Tutor

    thought = "1. Compute 12 - 5 + 8 = 15.\n2. Say 15."
    thinker.reply(THINKER, Reply(text="1. Start with 12.\n2. Take away 5.\n3. Add 8.\n",
                                 thinking=thought))
    tutor = Tutor(config, checker=checker, preset_name="tot-paper")
    try:
        problem = await tutor.add_problem(PROBLEM, "15")
        events = await collect(tutor.decompose(problem, model=THINKER))
    finally:
        await tutor.aclose()
    ready = events[-1]
    assert isinstance(ready, StepsReady)
    assert ready.step_set.steps == ["Start with 12.", "Take away 5.", "Add 8."]
    assert ready.step_set.thinking == thought and "15" not in ready.step_set.raw_output
    assert "".join(e.text for e in events if isinstance(e, TeacherThinking)) == thought
    body = chats(thinker)[-1]
    assert body["think"] is True and not body.get("format")


@needs_thoughts
async def test_think_only_to_models_that_say_they_think(thinker, tutor, config):
    thinker.reply(None, Reply(text=REPLY, thinking="Counting."))
    problem = await tutor.add_problem(PROBLEM, "15")
    await collect(tutor.solve(problem, mode="baseline"))  # the student: no thinking
    await collect(tutor.solve(problem, mode="baseline", model=THINKER))
    await collect(tutor.solve(problem, mode="baseline", model=THINKER))
    plain, first, second = chats(thinker)
    assert "think" not in plain
    assert first["think"] is True and second["think"] is True
    # Asked once per host and model, however many requests follow.
    shows = [r.body for r in thinker.requests if r.path == "/api/show"]
    assert [b.get("model") or b.get("name") for b in shows].count(THINKER) == 1

    config.settings.think = "off"  # answer without thinking, where the model can
    await collect(tutor.solve(problem, mode="baseline", model=THINKER))
    await collect(tutor.solve(problem, mode="baseline"))
    off, still_plain = chats(thinker)[-2:]
    assert off["think"] is False and "think" not in still_plain


async def test_capabilities_of_an_unreachable_server_are_unknown(monkeypatch, checker):
    from tot_tui.tutor.session import Tutor

    monkeypatch.setenv("OLLAMA_HOST", f"http://127.0.0.1:{closed_port()}")
    tutor = Tutor(load_config(), checker=checker)  # type: ignore[arg-type]
    try:
        assert await tutor.capabilities("student", STUDENT) is None
        # Unknown: `think` is not sent (a model that cannot think would refuse it).
        assert await tutor._think("student", STUDENT) is None
    finally:
        await tutor.aclose()


async def test_no_think_for_a_model_without_it(fake, tutor):
    fake.reply(STUDENT, Reply(text=REPLY))
    problem = await tutor.add_problem(PROBLEM, "15")
    attempt = (await collect(tutor.solve(problem, mode="baseline")))[-1].attempt
    assert attempt.verdict is Verdict.CORRECT and attempt.thinking is None
    assert "think" not in chats(fake)[-1]


@needs_thoughts
@pytest.mark.parametrize(("done_reason", "reason"), [(None, "reasoning_only"),
                                                      ("length", "reasoning_cut")])
async def test_a_reply_that_is_only_reasoning_says_so(thinker, tutor, done_reason, reason):
    thinker.reply(THINKER, Reply(text="", thinking=WRONG_THOUGHT, done_reason=done_reason))
    problem = await tutor.add_problem(PROBLEM, "15")
    attempt = (await collect(tutor.solve(problem, mode="baseline", model=THINKER)))[-1].attempt
    assert attempt.status is AttemptStatus.FINISHED
    assert attempt.verdict is Verdict.UNKNOWN and attempt.answer is None
    assert attempt.verdict_reason == reason
    assert attempt.thinking == WRONG_THOUGHT and attempt.output == ""


@needs_thoughts
async def test_an_interrupted_attempt_keeps_its_reasoning(thinker, tutor):
    from tot_tui.fake_ollama import tokenize

    cut = len(tokenize(WRONG_THOUGHT)) + 3  # the stream breaks three tokens into the reply
    thinker.reply(THINKER, Reply(text=REPLY, thinking=WRONG_THOUGHT, error_after=cut))
    problem = await tutor.add_problem(PROBLEM, "15")
    events = await collect(tutor.solve(problem, mode="baseline", model=THINKER))
    assert isinstance(events[-1], Failed)
    attempt = (await tutor.problem_detail(problem.id)).attempts[-1]
    assert attempt.status is AttemptStatus.INTERRUPTED
    assert attempt.thinking == WRONG_THOUGHT and "999" not in attempt.output


@needs_thoughts
async def test_the_ensemble_keeps_each_ways_reasoning_under_its_heading(thinker, tutor):
    thinker.reply(THINKER, Reply(text=REPLY, thinking="Thinking it over."))
    problem = await tutor.add_problem(PROBLEM, "15")
    step_set = await tutor.save_steps(problem, STEPS)
    attempt = (await collect(tutor.solve(problem, mode="ensemble", step_set=step_set,
                                         model=THINKER)))[-1].attempt
    assert attempt.thinking is not None
    assert attempt.thinking.count("Thinking it over.") == 3
    assert "### Following the steps" in attempt.thinking and "### Program" in attempt.thinking


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tot_tui", *args], capture_output=True,
                          text=True, timeout=60, env=dict(os.environ))


@needs_thoughts
def test_cli_solve_prints_the_reasoning_apart_and_json_carries_it(thinker, monkeypatch):
    monkeypatch.setenv("OLLAMA_HOST", thinker.url)
    hostile = WRONG_THOUGHT + "\x1b[2J[bold]not markup[/bold]"
    thinker.reply(TEACHER, Reply(text=json.dumps({"steps": STEPS})))
    thinker.reply(THINKER, Reply(text=REPLY, thinking=hostile))
    args = ("solve", PROBLEM, "--answer", "15", "--student", THINKER, "--no-equations")
    quiet = run_cli(*args)
    assert quiet.returncode == 0, quiet.stderr
    # By default only its length, apart from the reply; the reply and verdict as ever.
    assert f"reasoned for {len(hostile):,} characters" in quiet.stdout
    assert "999" not in quiet.stdout and "Verdict: correct" in quiet.stdout
    shown = run_cli(*args, "--show-thinking")
    assert shown.returncode == 0, shown.stderr
    assert "Reasoning (student" in shown.stdout and "Final answer: 999" in shown.stdout
    assert "\x1b[2J" not in shown.stdout and "\\x1b[2J" in shown.stdout  # escaped
    assert shown.stdout.index("Final answer: 999") < shown.stdout.index("Final answer: 15")
    out = json.loads(run_cli(*args, "--json").stdout)
    assert out["student_thinking"] == hostile and "999" not in out["student_output"]
    assert out["verdict"] == "correct" and out["teacher_thinking"] is None


def test_the_eval_report_counts_reasoning_and_items_carry_it_apart():
    from datetime import datetime

    from tot_tui.domain import AttemptView, Mode, Usage
    from tot_tui.evaluate import report
    from tot_tui.evaluate.results import RunData
    from tot_tui.evaluate.spec import RunSpec

    def answer(i: int, thinking: str | None, reason: str = "equal",
               verdict: Verdict = Verdict.CORRECT) -> AttemptView:
        return AttemptView(id=i + 1, problem_id=i + 1, step_set_id=None, student_model="s:4b",
                           mode=Mode.BASELINE, status=AttemptStatus.FINISHED,
                           output="" if reason.startswith("reasoning") else "Final answer: 1",
                           answer=None if reason.startswith("reasoning") else "1",
                           verdict=verdict, verdict_reason=reason, reference_norm="1",
                           answer_norm="1", usage=Usage(output_tokens=10), error=None,
                           prompt_name="student_baseline", prompt_hash="abc",
                           created=datetime(2026, 1, 5), thinking=thinking)

    spec = RunSpec(dataset="gsm8k", dataset_sha256="x", question_field="question",
                   answer_field="answer", indices=[0, 1, 2], modes=["baseline"],
                   students=["s:4b"], teacher=None)
    data = RunData()
    data.add((0, "s:4b", "baseline"), 0, answer(0, "a" * 1200))
    data.add((1, "s:4b", "baseline"), 0, answer(1, None))
    data.add((2, "s:4b", "baseline"), 0, answer(2, "b" * 300, "reasoning_cut", Verdict.UNKNOWN))
    rep = report.summarize(1, spec, data, status="finished")
    (row,) = rep["results"]
    assert row["thinking_attempts"] == 2 and row["thinking_chars"] == 1500
    assert row["thinking_unanswered"] == 1
    md = report.markdown(rep)
    assert "## Reasoning (thinking models)" in md
    assert "| `s:4b` | baseline | 2/3 | 1,500 | 750 | 1 |" in md
    items = list(report.item_log(spec, data))
    assert [it["thinking"] for it in items] == ["a" * 1200, None, "b" * 300]
    assert items[0]["reply"] == "Final answer: 1"  # the reply, apart from the reasoning
    # No reasoning anywhere: no section.
    plain = RunData()
    plain.add((0, "s:4b", "baseline"), 0, answer(0, None))
    assert "Reasoning (thinking models)" not in report.markdown(
        report.summarize(2, spec, plain, status="finished"))
