"""The whole Trace-of-Thought loop through the real ollama client and the fake server."""

from __future__ import annotations

import json
import sqlite3

from tests.conftest import STUDENT, TEACHER
from tot_tui.domain import (
    AttemptDone,
    AttemptStatus,
    Failed,
    Mode,
    ModelLoading,
    StepOrigin,
    StepsReady,
    StudentDelta,
    TeacherDelta,
    Verdict,
)
from tot_tui.fake_ollama import Reply

PROBLEM = ("Janet's ducks lay 16 eggs per day. She eats three for breakfast every morning and "
           "bakes muffins for her friends every day with four. She sells the remainder at the "
           "farmers' market daily for $2 per fresh duck egg. How much in dollars does she make "
           "every day at the farmers' market?")
STEPS = ["Subtract the 3 eggs she eats and the 4 she bakes with from the 16 eggs laid.",
         "Multiply the eggs left by the $2 price per egg."]


def script(fake, student_text: str) -> None:
    fake.reply(TEACHER, Reply(text=json.dumps({"steps": STEPS})))
    fake.reply(STUDENT, Reply(text=student_text))


async def collect(agen) -> list:
    return [event async for event in agen]


async def test_correct_student_end_to_end(fake, tutor, config):
    script(fake, "16 - 3 - 4 = 9 eggs. 9 * $2 = $18.\nFinal answer: $18")
    events = await collect(tutor.run(PROBLEM, "18"))

    kinds = [type(e) for e in events]
    assert kinds[0] is ModelLoading and ModelLoading in kinds[1:]
    assert TeacherDelta in kinds and StudentDelta in kinds
    ready = next(e for e in events if isinstance(e, StepsReady))
    assert ready.step_set.steps == STEPS
    assert ready.step_set.origin is StepOrigin.TEACHER and ready.step_set.model == TEACHER
    assert ready.usage is not None and ready.usage.output_tokens and ready.usage.total_ns
    # The streamed draft converges on the final steps.
    last_draft = [e for e in events if isinstance(e, TeacherDelta)][-1].draft
    assert list(last_draft) == STEPS
    done = events[-1]
    assert isinstance(done, AttemptDone)
    attempt = done.attempt
    assert attempt.verdict is Verdict.CORRECT
    assert attempt.answer is not None and "18" in attempt.answer
    assert attempt.status is AttemptStatus.FINISHED
    assert attempt.usage.output_tokens and attempt.usage.total_ns
    assert "".join(e.text for e in events if isinstance(e, StudentDelta)) == attempt.output

    # What was sent: the schema to the teacher, the steps as a plan to the student.
    chats = [r for r in fake.requests if r.path == "/api/chat"]
    teacher_req, student_req = chats[0].body, chats[1].body
    assert teacher_req["model"] == TEACHER and teacher_req["format"]["required"] == ["steps"]
    assert teacher_req["options"]["num_ctx"] == config.settings.num_ctx
    assert teacher_req["keep_alive"] == config.settings.keep_alive
    student_user = student_req["messages"][-1]["content"]
    assert PROBLEM in student_user and "use these steps as a plan" in student_user.lower()
    assert "1. " + STEPS[0] in student_user

    # Rows are in the database, readable by plain sqlite3.
    db = sqlite3.connect(config.paths.database)
    assert db.execute("SELECT text, reference FROM problem").fetchall() == [(PROBLEM, "18")]
    assert db.execute("SELECT origin, model FROM step_set").fetchall() == [("teacher", TEACHER)]
    row = db.execute("SELECT student_model, mode, status, verdict, prompt_name, prompt_hash "
                     "FROM attempt").fetchone()
    assert row[:5] == (STUDENT, "steps", "finished", "correct", "student_steps")
    assert len(row[5]) == 12


async def test_incorrect_student(fake, tutor):
    script(fake, "16 - 3 = 13. 13 * 2 = 26.\nFinal answer: 26")
    events = await collect(tutor.run(PROBLEM, "18"))
    attempt = events[-1].attempt
    assert attempt.verdict is Verdict.INCORRECT
    assert attempt.answer is not None and "26" in attempt.answer


async def test_baseline_sends_the_bare_problem(fake, tutor):
    fake.reply(STUDENT, Reply(text="Final answer: 18"))
    events = await collect(tutor.run(PROBLEM, "18", mode=Mode.BASELINE))
    assert not any(isinstance(e, (TeacherDelta, StepsReady)) for e in events)
    assert events[-1].attempt.mode is Mode.BASELINE and events[-1].attempt.step_set_id is None
    chats = [r for r in fake.requests if r.path == "/api/chat"]
    assert [c.body["model"] for c in chats] == [STUDENT]
    assert "steps" not in chats[0].body["messages"][-1]["content"].lower()


async def test_cot_baseline_asks_to_think_step_by_step(fake, tutor):
    fake.reply(STUDENT, Reply(text="Final answer: 18"))
    await collect(tutor.run(PROBLEM, "18", mode=Mode.COT))
    chat = next(r for r in fake.requests if r.path == "/api/chat")
    assert "think step by step" in chat.body["messages"][-1]["content"].lower()


async def test_hand_edited_steps_make_a_new_version(fake, tutor):
    script(fake, "Final answer: 18")
    problem = await tutor.add_problem(PROBLEM, "18")
    events = await collect(tutor.decompose(problem))
    original = events[-1].step_set
    edited = await tutor.save_steps(problem, [*original.steps, "Write the answer in dollars."],
                                    parent_id=original.id)
    assert edited.version == original.version + 1 and edited.parent_id == original.id
    assert edited.origin is StepOrigin.EDITED
    events = await collect(tutor.solve(problem, step_set=edited))
    assert events[-1].attempt.step_set_id == edited.id
    student_req = [r for r in fake.requests if r.path == "/api/chat"][-1].body
    assert "3. Write the answer in dollars." in student_req["messages"][-1]["content"]
    detail = await tutor.problem_detail(problem.id)
    assert [s.version for s in detail.step_sets] == [1, 2]


async def test_teacher_steps_are_reused_for_the_same_prompt(fake, tutor):
    script(fake, "Final answer: 18")
    problem = await tutor.add_problem(PROBLEM, "18")
    first = (await collect(tutor.decompose(problem, reuse=True)))[-1].step_set
    again = (await collect(tutor.decompose(problem, reuse=True)))[-1].step_set
    assert again.id == first.id
    assert len([r for r in fake.requests if r.path == "/api/chat"]) == 1


async def test_plain_list_fallback_and_think_blocks(fake, tutor):
    fake.reply(TEACHER, Reply(text="<think>I must not solve it.</think>\nHere are the steps:\n"
                                   "1. Find the eggs left.\n2. Multiply by the price.\n"))
    problem = await tutor.add_problem(PROBLEM)
    events = await collect(tutor.decompose(problem))
    assert events[-1].step_set.steps == ["Find the eggs left.", "Multiply by the price."]


async def test_answer_leak_is_flagged(fake, tutor):
    fake.reply(TEACHER, Reply(text=json.dumps(
        {"steps": ["Eggs left: 16 - 3 - 4.", "So she makes $18 a day."]})))
    problem = await tutor.add_problem(PROBLEM, "18")
    events = await collect(tutor.decompose(problem))
    assert events[-1].step_set.leaks == [1]


async def test_no_reference_gives_unknown(fake, tutor):
    script(fake, "Final answer: 18")
    events = await collect(tutor.run(PROBLEM))
    attempt = events[-1].attempt
    assert attempt.verdict is Verdict.UNKNOWN and attempt.verdict_reason == "no_reference"
    assert attempt.answer == "18"


async def test_teacher_without_steps_fails_clearly(fake, tutor):
    fake.reply(TEACHER, Reply(text="   "))
    events = await collect(tutor.run(PROBLEM, "18"))
    assert isinstance(events[-1], Failed) and events[-1].kind == "no_steps"
    assert "write the steps yourself" in events[-1].message


async def test_human_answer_is_checked_and_stored(fake, tutor):
    problem = await tutor.add_problem(PROBLEM, "18")
    view, result = await tutor.answer_as_human(problem, "$18.00", hints_shown=2)
    assert result.verdict is Verdict.CORRECT
    assert view.verdict is Verdict.CORRECT and view.hints_shown == 2
    view, _ = await tutor.answer_as_human(problem, "17")
    assert view.verdict is Verdict.INCORRECT
    detail = await tutor.problem_detail(problem.id)
    assert [h.answer for h in detail.human_answers] == ["$18.00", "17"]


async def test_export_keeps_problems_without_attempts_and_writes_iso_dates(tutor):
    import csv
    import io

    problem = await tutor.add_problem("Sixty minus seventy?", "-10")
    await tutor.save_steps(problem, ["Take seventy from sixty."])
    rows = list(csv.DictReader(io.StringIO(await tutor.export(None, "csv"))))
    assert [(r["problem_id"], r["reference"], r["attempt_id"]) for r in rows] == [
        (str(problem.id), "-10", "")]
    assert "T" in rows[0]["created"]
    data = json.loads(await tutor.export(None, "json"))
    assert data[0]["problem"]["created"] == rows[0]["created"]  # the same ISO 8601 form
