"""Equation-of-Thought in the loop: the teacher's equations solved into a reference (or a check
of the typed one), and a student's equations or program turned into an answer without ever
running model text. Real ollama client, real HTTP, the project's fake server."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import STUDENT, TEACHER
from tests.core.test_cli import run_cli
from tot_tui.domain import (
    AttemptDone,
    DerivedStatus,
    EquationsReady,
    Failed,
    Mode,
    StepsReady,
    Verdict,
)
from tot_tui.fake_ollama import Reply

PROBLEM = ("Janet's ducks lay 16 eggs per day. She eats three for breakfast every morning and "
           "bakes muffins for her friends every day with four. She sells the remainder at the "
           "farmers' market daily for $2 per fresh duck egg. How much in dollars does she make "
           "every day at the farmers' market?")
EQUATIONS = """System of linear equations: (Do not simplify)
% Janet's ducks lay 16 eggs per day
eggs = 16
% She eats 3 and bakes with 4
left = eggs - 3 - 4
% She sells each for 2 dollars
ans = left * 2
"""
STEPS = ["Subtract the 3 eggs she eats and the 4 she bakes with from the 16 laid.",
         "Multiply the eggs left by the $2 price."]


def script_teacher(fake, equations: str = EQUATIONS) -> None:
    def teacher(body):
        if "system of linear equations" in body["messages"][-1]["content"].lower():
            return equations
        return json.dumps({"steps": STEPS})

    fake.reply(TEACHER, teacher)


async def collect(agen) -> list:
    return [event async for event in agen]


async def test_no_reference_gets_one_solved_from_the_teachers_equations(fake, tutor, config):
    script_teacher(fake)
    fake.reply(STUDENT, Reply(text="9 eggs, 9 * 2.\nFinal answer: 18"))
    events = await collect(tutor.run(PROBLEM, None, equations=True))
    ready = next(e for e in events if isinstance(e, EquationsReady))
    assert ready.equation_set.derived.status is DerivedStatus.SOLVED
    assert ready.equation_set.derived.value == "18"
    assert ready.problem.reference == "18" and ready.problem.reference_source == "equations"
    done = events[-1]
    assert isinstance(done, AttemptDone)
    # The student is graded against the solved reference, which no model computed.
    assert done.attempt.verdict is Verdict.CORRECT and done.attempt.reference == "18"
    detail = await tutor.problem_detail(ready.problem.id)
    assert detail is not None and detail.problem.reference_source == "equations"
    (stored,) = detail.equation_sets
    assert stored.raw_output == EQUATIONS and stored.model == TEACHER
    assert stored.agrees is None  # nothing to compare with: it became the reference


async def test_a_wrong_typed_reference_is_flagged(fake, tutor, config):
    script_teacher(fake)
    fake.reply(STUDENT, Reply(text="Final answer: 18"))
    events = await collect(tutor.run(PROBLEM, "20", equations=True))
    ready = next(e for e in events if isinstance(e, EquationsReady))
    assert ready.equation_set.agrees is False and ready.equation_set.compared_with == "20"
    assert ready.problem.reference == "20"  # a typed reference is never replaced
    done = events[-1]
    assert isinstance(done, AttemptDone) and done.attempt.verdict is Verdict.INCORRECT


async def test_a_right_typed_reference_agrees(fake, tutor, config):
    script_teacher(fake)
    fake.reply(STUDENT, Reply(text="Final answer: 18"))
    events = await collect(tutor.run(PROBLEM, "$18", equations=True))
    ready = next(e for e in events if isinstance(e, EquationsReady))
    assert ready.equation_set.agrees is True


@pytest.mark.parametrize("equations, status", [
    ("x + y = 2\nx + y = 3\nans = x", DerivedStatus.NO_SOLUTION),
    ("ans = x + y\nx - y = 1", DerivedStatus.UNDERDETERMINED),
    ("I think the answer is about eighteen dollars.", DerivedStatus.REFUSED),
    ("ans = __import__('os').system('touch {marker}')", DerivedStatus.REFUSED),
])
async def test_equations_that_give_no_reference_say_why(fake, tutor, config, tmp_path,
                                                        equations, status):
    marker = tmp_path / "pwned"
    script_teacher(fake, equations.format(marker=marker))
    problem = await tutor.add_problem(PROBLEM)
    events = await collect(tutor.solve_reference(problem))
    ready = events[-1]
    assert isinstance(ready, EquationsReady)
    assert ready.equation_set.derived.status is status and ready.equation_set.derived.reason
    assert ready.problem.reference is None
    assert not marker.exists()


async def test_the_teachers_equations_failing_keeps_the_loop_going(fake, tutor, config):
    def teacher(body):
        if "system of linear equations" in body["messages"][-1]["content"].lower():
            return Reply(http_error=(500, "model crashed"))
        return json.dumps({"steps": STEPS})

    fake.reply(TEACHER, teacher)
    fake.reply(STUDENT, Reply(text="Final answer: 18"))
    events = await collect(tutor.run(PROBLEM, "18", equations=True))
    assert any(isinstance(e, Failed) and e.role == "teacher" for e in events)
    assert isinstance(events[-1], AttemptDone) and events[-1].attempt.verdict is Verdict.CORRECT


HOSTILE_PROGRAMS = [
    "```python\nimport os\nos.system('touch {marker}')\nans = 1\n```",
    "```python\nans = __import__('os').system('touch {marker}')\n```",
    "```python\nans = open('{marker}', 'w').write('x')\n```",
    "```python\nans = ().__class__.__bases__[0].__subclasses__()\n```",
    "```python\nwhile True:\n    pass\n```",
    "```python\nans = 9 ** 9 ** 9 ** 9\n```",
    "```python\nexec(\"open('{marker}', 'w')\")\nans = 1\n```",
]


@pytest.mark.parametrize("program", HOSTILE_PROGRAMS)
async def test_a_hostile_program_is_refused_and_never_run(fake, tutor, config, tmp_path,
                                                          program):
    marker = tmp_path / "pwned"
    fake.reply(STUDENT, Reply(text=program.format(marker=marker)))
    problem = await tutor.add_problem(PROBLEM, "18")
    events = await collect(tutor.solve(problem, mode=Mode.PROGRAM))
    done = events[-1]
    assert isinstance(done, AttemptDone)
    assert done.attempt.answer is None and done.attempt.verdict is Verdict.UNKNOWN
    assert done.attempt.verdict_reason in ("program_refused", "program_failed")
    (way,) = done.attempt.ways
    assert way.way == "program" and way.note
    assert not marker.exists()


async def test_a_students_program_and_equations_are_graded_by_what_they_compute(fake, tutor,
                                                                               config):
    problem = await tutor.add_problem(PROBLEM, "18")
    fake.reply(STUDENT, Reply(text="```python\neggs = 16\nleft = eggs - 3 - 4\n"
                                   "ans = left * 2\n```\nSo she makes $17."))
    done = (await collect(tutor.solve(problem, mode=Mode.PROGRAM)))[-1]
    # The prose claims 17; the program computes 18, and that is the answer graded.
    assert done.attempt.answer == "18" and done.attempt.verdict is Verdict.CORRECT
    fake.reply(STUDENT, Reply(text=EQUATIONS.replace("* 2", "* 3")))
    done = (await collect(tutor.solve(problem, mode=Mode.EQUATIONS)))[-1]
    assert done.attempt.answer == "27" and done.attempt.verdict is Verdict.INCORRECT
    assert done.attempt.ways[0].status == "solved"


async def test_the_ensemble_stores_three_ways_and_their_agreement(fake, tutor, config):
    problem = await tutor.add_problem(PROBLEM, "18")
    step_set = await tutor.save_steps(problem, STEPS)

    def student(body):
        text = body["messages"][-1]["content"].lower()
        if "system of linear equations" in text:
            return EQUATIONS
        if "python program" in text:
            return "```python\nans = (16 - 3 - 4) * 2 + 1\n```"
        return "Final answer: 18"

    fake.reply(STUDENT, student)
    events = await collect(tutor.solve(problem, mode=Mode.ENSEMBLE, step_set=step_set))
    attempt = events[-1].attempt
    assert [w.way for w in attempt.ways] == ["prose", "equations", "program"]
    assert [w.answer for w in attempt.ways] == ["18", "18", "19"]
    assert attempt.votes == 2 and attempt.verdict is Verdict.CORRECT
    assert "### Equations" in attempt.output and "### Program" in attempt.output
    db = sqlite3.connect(config.paths.database)
    (mode, prompt_name), = db.execute("SELECT mode, prompt_name FROM attempt").fetchall()
    assert mode == "ensemble"
    assert prompt_name == "student_steps+student_equations+student_program"


def test_cli_solve_prints_the_solved_reference_and_its_provenance(fake, monkeypatch,
                                                                 tmp_path: Path):
    monkeypatch.setenv("OLLAMA_HOST", fake.url)
    script_teacher(fake)
    fake.reply(STUDENT, Reply(text="Final answer: 18"))
    proc = run_cli("solve", PROBLEM, "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["reference"] == "18" and result["reference_source"] == "equations"
    assert result["equations"]["status"] == "solved" and result["verdict"] == "correct"
    proc = run_cli("solve", PROBLEM, "--answer", "20")
    assert proc.returncode == 0, proc.stderr
    assert "disagrees with the teacher's equations" in proc.stdout
    proc = run_cli("solve", PROBLEM, "--answer", "18", "--no-equations", "--mode", "pot")
    assert proc.returncode == 0, proc.stderr
    bodies = [r.body for r in fake.requests if r.path == "/api/chat"]
    assert "python program" in bodies[-1]["messages"][-1]["content"].lower()


def test_steps_ready_is_still_sent(fake, tutor):
    # The steps event is unchanged by the equations (the UI and the CLI rely on it).
    assert StepsReady.__dataclass_fields__.keys() >= {"step_set", "problem"}
