"""The Solve screen through the fake Ollama: decompose, edit, solve, compare, cancel, hints."""

from __future__ import annotations

import json

from textual import events

from tests.conftest import STUDENT, TEACHER
from tests.ui.conftest import (
    PROBLEM,
    SIZE,
    STEPS,
    click_button,
    notice_text,
    script,
    settle,
    started,
    type_problem,
    wait_until,
)
from tot_tui.domain import AttemptStatus, Mode, StepOrigin, Verdict
from tot_tui.fake_ollama import Reply
from tot_tui.ui.screens.history import detail_markdown
from tot_tui.ui.screens.solve import SolveScreen
from tot_tui.ui.widgets.steps_panel import StepsPanel
from tot_tui.ui.widgets.student_stream import StudentStream
from tot_tui.ui.widgets.verdict import VerdictBanner


async def test_decompose_streams_steps_into_the_panel(fake, make_app):
    script(fake, delay=0.02)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, SolveScreen)
        type_problem(screen)
        panel = screen.query_one(StepsPanel)
        drafts: list[tuple[bool, list[str]]] = []
        show_draft = panel.show_draft

        def spy(draft):
            drafts.append((panel.has_class("-drafting"), list(draft)))
            show_draft(draft)

        panel.show_draft = spy
        await pilot.press("ctrl+t")
        await settle(pilot, app)
        # While the teacher wrote, the growing draft was shown read-only.
        assert len(drafts) > 5 and all(drafting for drafting, _ in drafts)
        assert len(drafts[0][1]) <= 1 and drafts[-1][1] == STEPS
        assert not panel.has_class("-drafting")
        assert panel.steps == STEPS
        assert panel.step_set is not None and panel.step_set.version == 1
        assert [row.input.text for row in panel.rows] == STEPS
        assert "v1 teacher" in str(panel.border_title)


async def test_edit_steps_marks_them_and_solve_saves_a_new_version(fake, make_app):
    script(fake)
    async with started(make_app, "ctrl+t") as (app, pilot, screen):
        panel = screen.query_one(StepsPanel)
        panel.rows[1].input.focus()
        await pilot.press("end", *" then count")
        assert panel.dirty and panel.rows[1].has_class("-edited")
        assert "edited" in str(panel.rows[1].query_one(".mark").render())
        panel.rows[2].input.focus()
        await pilot.press("ctrl+n", *"Check the answer.")  # a new step below the focused one
        assert panel.steps[-1] == "Check the answer." and len(panel.steps) == 4
        await pilot.press("alt+up")  # move the new step above the last teacher step
        assert panel.steps[2] == "Check the answer."
        await pilot.press("ctrl+z")
        assert panel.steps[3] == "Check the answer."
        await pilot.press("ctrl+y")
        assert panel.steps[2] == "Check the answer."
        await pilot.press("ctrl+r")
        await settle(pilot, app)
        assert panel.step_set.version == 2 and panel.step_set.origin is StepOrigin.EDITED
        assert not panel.dirty
        pane = screen.query_one("#with-steps", StudentStream)
        assert pane.banner.verdict is Verdict.CORRECT
        detail = await app.tutor.problem_detail(screen.problem.id)
        assert [s.version for s in detail.step_sets] == [1, 2]
        assert detail.step_sets[1].steps[1] == STEPS[1] + " then count"
        assert detail.attempts[-1].step_set_id == detail.step_sets[1].id
        # The student was sent exactly the edited steps.
        sent = [r for r in fake.requests if r.path == "/api/chat"][-1].body
        assert "3. Check the answer." in sent["messages"][-1]["content"]


async def test_save_and_delete_steps_with_keys(fake, make_app):
    script(fake)
    async with started(make_app, "ctrl+t") as (app, pilot, screen):
        panel = screen.query_one(StepsPanel)
        panel.rows[0].input.focus()
        # As a terminal sends it: ESC then "d", which Textual reads as a printable "alt+d".
        app.post_message(events.Key("alt+d", "d"))
        await wait_until(pilot, lambda: panel.steps == STEPS[1:])
        assert all("d" + s not in "".join(panel.steps) for s in ("Start", "Subtract"))
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert panel.step_set.version == 2 and panel.step_set.steps == STEPS[1:]
        assert "Saved as version 2" in notice_text(app)


async def test_solve_streams_reply_and_shows_verdict(fake, make_app):
    script(fake)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        type_problem(screen)
        await pilot.press("ctrl+r")  # no steps yet: decomposes first, then solves
        await settle(pilot, app)
        pane = screen.query_one("#with-steps", StudentStream)
        assert "Final answer: 15" in pane.text
        banner = pane.banner
        assert banner.verdict is Verdict.CORRECT
        shown = str(banner.render())
        assert "CORRECT" in shown and "answer 15" in shown and "reference 15" in shown
        assert STUDENT in str(pane.border_subtitle)


async def test_incorrect_and_unknown_verdicts(fake, make_app):
    script(fake, answer="12 - 5 = 7. 7 + 8 = 16.\n\nFinal answer: 16")
    async with started(make_app, "ctrl+r") as (app, pilot, screen):
        banner = screen.query_one("#with-steps", StudentStream).banner
        assert banner.verdict is Verdict.INCORRECT and "answer 16" in str(banner.render())
        type_problem(screen, "What is 2 + 2?", "")
        fake.reply(TEACHER, Reply(text='{"steps": ["Add 2 and 2."]}'))
        fake.reply(STUDENT, Reply(text="Final answer: 4"))
        await pilot.press("ctrl+r")
        await settle(pilot, app)
        assert banner.verdict is Verdict.UNKNOWN
        assert "no reference answer" in str(banner.render())


async def test_escape_cancels_and_keeps_the_partial_reply(fake, make_app):
    long = " ".join(f"word{i}" for i in range(400)) + "\n\nFinal answer: 15"
    script(fake, answer=long)
    fake.reply(STUDENT, Reply(text=long, chunk_delay=0.02), when="steps as a plan")
    async with started(make_app, "ctrl+t") as (app, pilot, screen):
        await pilot.press("ctrl+r")
        pane = screen.query_one("#with-steps", StudentStream)
        await wait_until(pilot, lambda: len(pane.text) > 40)
        await pilot.press("escape")
        await settle(pilot, app)
        kept = pane.text
        assert kept and "Final answer" not in kept
        assert "Cancelled" in str(pane.banner.render())
        subtitle = str(pane.border_subtitle)
        assert subtitle.endswith("· cancelled") and "writing" not in subtitle
        detail = await app.tutor.problem_detail(screen.problem.id)
        attempt = detail.attempts[-1]
        assert attempt.status is AttemptStatus.INTERRUPTED
        assert attempt.output and kept.startswith(attempt.output[:20])
        # History shows the cancelled attempt against the problem's reference.
        assert "vs 15 (Cancelled.)" in detail_markdown(detail)


async def test_compare_runs_baseline_and_steps_side_by_side(fake, make_app):
    script(fake)
    async with started(make_app, "ctrl+t") as (app, pilot, screen):
        await pilot.press("ctrl+b")
        await settle(pilot, app)
        assert screen.has_class("-compare")
        with_steps = screen.query_one("#with-steps", StudentStream)
        baseline = screen.query_one("#baseline", StudentStream)
        assert baseline.display and with_steps.display
        assert with_steps.banner.verdict is Verdict.CORRECT
        assert baseline.banner.verdict is Verdict.INCORRECT
        detail = await app.tutor.problem_detail(screen.problem.id)
        assert sorted(a.mode for a in detail.attempts) == sorted([Mode.BASELINE, Mode.STEPS])
        # Hint mode hides every answer, the baseline's too.
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert screen.query_one("#hints").display
        assert not baseline.display and not with_steps.display
        assert baseline.region.width == 0 and with_steps.region.width == 0


async def test_human_answer_with_hints(fake, make_app):
    script(fake)
    async with started(make_app, "ctrl+t") as (app, pilot, screen):
        await pilot.press("ctrl+o")  # hint mode: steps hidden
        assert screen.has_class("-hints")
        assert not screen.query_one(StepsPanel).display or \
            screen.query_one(StepsPanel).region.height == 0
        hints = screen.query_one("#hints")
        assert hints.revealed == 0
        await pilot.press("ctrl+f")
        await pilot.press("ctrl+f")
        assert hints.revealed == 2
        shown = [str(h.render()) for h in hints.query(".hint")]
        assert shown == [f"Hint 1. {STEPS[0]}", f"Hint 2. {STEPS[1]}"]
        answer = screen.query_one("#human-answer")
        answer.focus()
        await pilot.press(*"14", "enter")
        await settle(pilot, app)
        banner = screen.query_one("#human-verdict", VerdictBanner)
        assert banner.verdict is Verdict.INCORRECT
        assert "your answer 14" in str(banner.render())
        answer.value = "15"
        await pilot.press("enter")
        await settle(pilot, app)
        assert banner.verdict is Verdict.CORRECT
        detail = await app.tutor.problem_detail(screen.problem.id)
        assert [(h.answer, h.hints_shown) for h in detail.human_answers] == [("14", 2), ("15", 2)]


async def test_regenerate_and_undo_brings_edits_back(fake, make_app):
    script(fake)
    async with started(make_app, "ctrl+t") as (app, pilot, screen):
        panel = screen.query_one(StepsPanel)
        panel.rows[0].input.focus()
        await pilot.press("end", *"!")
        fake.reply(TEACHER, Reply(text='{"steps": ["A new first step.", "A second."]}'))
        await click_button(pilot, "regenerate")
        await settle(pilot, app)
        assert panel.steps == ["A new first step.", "A second."]
        assert panel.step_set.version == 2
        assert app.focused is panel.rows[0].input  # back in the steps, where undo works
        await pilot.press("ctrl+z")
        assert panel.steps[0] == STEPS[0] + "!"


async def test_tab_reaches_every_pane_of_the_solve_screen(fake, make_app):
    # Both reply panes too: a pane whose method shadowed Widget.loading counted as loading,
    # left the focus chain and ignored the mouse.
    script(fake)
    async with started(make_app, "ctrl+t") as (app, pilot, screen):
        await pilot.press("ctrl+b")
        await settle(pilot, app)
        panes = ["#problem", "#reference", "#problem-actions", "#steps", "#with-steps",
                 "#baseline", "#human-answer", "#answer-actions"]
        reached: set[str] = set()
        for _ in range(40):
            if reached == set(panes):
                break
            await pilot.press("tab")
            focused = app.focused
            assert focused is not None
            for pane in panes:
                node = screen.query_one(pane)
                if focused is node or node in focused.ancestors:
                    reached.add(pane)
        assert reached == set(panes)
        for pane in ("#with-steps", "#baseline"):
            assert not screen.query_one(pane, StudentStream).loading


async def test_marks_follow_a_moved_step_and_history_keeps_them(fake, make_app):
    # Edit the last teacher step, add a step after it, move the new step up: the marks stay on
    # their steps, in the panel and in what History records after saving.
    script(fake)
    async with started(make_app, "ctrl+t") as (app, pilot, screen):
        panel = screen.query_one(StepsPanel)
        panel.focus_step(len(STEPS) - 1)
        await pilot.press("end", *" EDITED", "enter", *"NEW STEP", "alt+up")
        assert panel.steps[-2:] == ["NEW STEP", STEPS[-1] + " EDITED"]
        marks = [str(row.query_one(".mark").render()) for row in panel.rows]
        assert "new" in marks[-2] and "edited" in marks[-1], marks
        assert not any(marks[:-2]), marks
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        detail = await app.tutor.problem_detail(screen.problem.id)
        saved = detail.step_sets[-1]
        assert saved.origins == [0, 1, None, 2] and saved.base_id == detail.step_sets[0].id
        text = detail_markdown(detail)
        assert "NEW STEP — ＋ *added*" in text
        assert f"{STEPS[-1]} EDITED — ✎ *changed* (was ~~{STEPS[-1]}~~)" in text
        # Opened again from History, the panel marks them the same way.
        await screen.load_problem(detail)
        await settle(pilot, app)
        marks = [str(row.query_one(".mark").render()) for row in panel.rows]
        assert "new" in marks[-2] and "edited" in marks[-1], marks


async def test_solve_pressed_while_the_teacher_writes_is_queued_and_esc_cancels_both(
        fake, make_app):
    slow = json.dumps({"steps": ["Start with Tom's 12 marbles.", "Subtract the 5 he gives",
                                 "Add the 8 he buys."] + [f"Check step {n}." for n in range(20)]})
    fake.reply(TEACHER, Reply(text=slow, chunk_delay=0.05))  # writes for several seconds
    fake.reply(STUDENT, Reply(text="Final answer: 15"))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        type_problem(app.screen, PROBLEM, "15")
        screen = app.screen
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: fake.active_streams > 0)
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: "once the teacher's steps are in" in notice_text(app))
        await pilot.press("escape")
        await settle(pilot, app)
        assert not [r for r in fake.requests if r.path == "/api/chat"
                    and r.body and r.body.get("model") == STUDENT]
        detail = await app.tutor.problem_detail(screen.problem.id)
        assert detail.step_sets == [] and detail.attempts == []  # no cut version, no attempt
        # Queued again and left alone, it runs once the steps are in.
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: fake.active_streams > 0)
        await pilot.press("ctrl+r")
        await settle(pilot, app)
        detail = await app.tutor.problem_detail(screen.problem.id)
        assert len(detail.attempts) == 1 and detail.attempts[0].verdict is Verdict.CORRECT


async def test_regenerate_by_key_from_the_problem_box_and_undo_brings_edits_back(fake,
                                                                                 make_app):
    script(fake)
    async with started(make_app, "ctrl+t") as (app, pilot, screen):
        panel = screen.query_one(StepsPanel)
        panel.rows[0].input.focus()
        await pilot.press("end", *"!")
        screen.query_one("#problem").focus()
        fake.reply(TEACHER, Reply(text='{"steps": ["A new first step.", "A second."]}'))
        await pilot.press("ctrl+t")
        await settle(pilot, app)
        assert panel.steps == ["A new first step.", "A second."]
        await pilot.press("ctrl+z")
        assert panel.steps[0] == STEPS[0] + "!"


async def test_a_cancelled_teacher_draft_is_saved_as_the_teachers_draft(fake, make_app):
    slow = json.dumps({"steps": ["Start with Tom's 12 marbles.", "Subtract the 5 he gives.",
                                 "Add the 8 he buys."] + [f"Check step {n}." for n in range(20)]})
    fake.reply(TEACHER, Reply(text=slow, chunk_delay=0.05))  # still writing when Esc comes
    fake.reply(STUDENT, Reply(text="Final answer: 15"))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        type_problem(app.screen, PROBLEM, "15")
        screen = app.screen
        panel = screen.query_one(StepsPanel)
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: len(panel.query("#draft")) > 0
                         and "Subtract" in str(panel.query_one("#draft").render()))
        await pilot.press("escape")
        await settle(pilot, app)
        assert panel.steps and panel.steps[0] == "Start with Tom's 12 marbles."
        await pilot.press("ctrl+r")
        await settle(pilot, app)
        detail = await app.tutor.problem_detail(screen.problem.id)
        (saved,) = detail.step_sets
        assert saved.origin is StepOrigin.DRAFT and saved.model == TEACHER
        assert "teacher's draft, cut short" in detail_markdown(detail)


async def test_a_step_that_states_the_answer_is_marked_as_it_is_typed(fake, make_app):
    script(fake)
    async with started(make_app, "ctrl+t") as (_app, pilot, screen):
        panel = screen.query_one(StepsPanel)
        panel.focus_step(len(STEPS) - 1)
        await pilot.press("end", *" That makes 15.")  # the reference is 15
        assert panel.dirty
        assert "answer" in str(panel.rows[-1].query_one(".mark").render())


async def test_new_problem_puts_the_placeholder_back_at_the_top(fake, make_app):
    long = "\n\n".join(f"line {n}" for n in range(80)) + "\n\nFinal answer: 15"
    script(fake, answer=long)
    async with started(make_app, "ctrl+r") as (app, pilot, screen):
        pane = screen.query_one("#with-steps", StudentStream)
        await pilot.press("ctrl+g")
        await settle(pilot, app)
        assert pane.scroller.scroll_y == 0 and not pane.scroller.is_anchored
        note = pane.query_one(".placeholder")
        assert note.display and note.region.y - pane.region.y <= 2


async def test_the_teachers_equations_give_a_reference_with_its_provenance(fake, make_app):
    """No reference typed: after Decompose the teacher's equations are solved into one, shown
    beside the reference box; the student is graded against it."""
    script(fake)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, SolveScreen)
        type_problem(screen, reference="")
        await pilot.press("ctrl+t")
        await settle(pilot, app)
        assert screen.query_one("#reference").value == "15"
        note = str(screen.query_one("#reference-note").render())
        assert "solved from the teacher's equations" in note
        assert screen.problem is not None and screen.problem.reference_source == "equations"
        await pilot.press("ctrl+r")
        await settle(pilot, app)
        banner = screen.query_one("#with-steps", StudentStream).banner
        assert banner.verdict is Verdict.CORRECT


async def test_a_typed_reference_the_equations_contradict_is_flagged(fake, make_app):
    script(fake)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        type_problem(screen, reference="16")
        await pilot.press("f9")
        await settle(pilot, app)
        assert screen.query_one("#reference").value == "16"  # kept as typed
        assert "⚠ the teacher's equations give 15" in str(
            screen.query_one("#reference-note").render())
        assert "disagrees with the teacher's equations" in notice_text(app)


async def test_three_ways_show_each_answer_and_their_agreement(fake, make_app):
    script(fake)
    fake.reply(STUDENT, Reply(text="```python\nmarbles = 12 - 5\nans = marbles + 8\n```"),
               when="Python program")
    fake.reply(STUDENT, Reply(text="marbles = 12\nans = marbles - 5 + 9"),
               when="System of linear equations")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        type_problem(screen)
        await pilot.press("ctrl+t")
        await settle(pilot, app)
        await pilot.press("f10")
        await settle(pilot, app)
        pane = screen.query_one("#with-steps", StudentStream)
        assert "Equations" in pane.text and "Program" in pane.text
        banner = pane.banner
        assert banner.verdict is Verdict.CORRECT
        shown = str(banner.render())
        assert "steps 15" in shown and "equations 16" in shown and "program 15" in shown
        assert "(2 agree)" in shown
