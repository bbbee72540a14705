"""A thinking model's reasoning in the TUI: its own collapsed section, above the reply (and
above the steps for the teacher), escaped, never part of the reply; History shows it too."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Collapsible, Static

from tests.conftest import STUDENT
from tests.ui.conftest import PROBLEM, SIZE, STEPS, settle, type_problem
from tot_tui.domain import AttemptStatus, AttemptView, Mode, Usage, Verdict
from tot_tui.fake_ollama import Reply
from tot_tui.ui.screens.history import HistoryScreen
from tot_tui.ui.widgets.reasoning import Reasoning
from tot_tui.ui.widgets.steps_panel import StepsPanel
from tot_tui.ui.widgets.student_stream import StudentStream

THINKER = "qwen3:4b"
HOSTILE = "Let me see. [@click=app.quit]quit[/] [bold]12 - 5[/bold]\x1b[2J\nFinal answer: 999"
REPLY = "12 - 5 = 7. 7 + 8 = 15.\n\nFinal answer: 15"

needs_thoughts = pytest.mark.xfail(
    strict=False, reason="the backends do not yet stream Thought parts or send `think`")


class Host(App[None]):
    def __init__(self, widget) -> None:
        super().__init__()
        self.widget = widget

    def compose(self) -> ComposeResult:
        yield self.widget


def shown_text(reasoning: Reasoning) -> str:
    """What the opened section shows, as the terminal gets it."""
    return str(reasoning.query_one(".reasoning-text", Static).render())


async def test_reasoning_is_collapsed_counted_and_escaped():
    reasoning = Reasoning("Reasoning")
    async with Host(reasoning).run_test(size=(80, 24)) as pilot:
        assert not reasoning.display  # nothing to show yet
        reasoning.start()
        for piece in (HOSTILE[:20], HOSTILE[20:]):
            reasoning.append(piece)
        await pilot.pause(0.2)
        assert reasoning.display and reasoning.collapsed
        assert reasoning.title == f"Reasoning · thinking… ({len(HOSTILE):,} chars)"
        assert not reasoning.query_one(Collapsible.Contents).display
        reasoning.finish()
        assert reasoning.title == f"Reasoning ({len(HOSTILE):,} chars)"
        await pilot.click(reasoning.query_one("CollapsibleTitle"))
        await pilot.pause()
        assert not reasoning.collapsed
        text = shown_text(reasoning)
        # As written: markup stays literal (no link that quits), the escape is made visible.
        assert "[@click=app.quit]quit[/]" in text and "[bold]12 - 5[/bold]" in text
        assert "\x1b" not in text and "\\x1b[2J" in text
        assert pilot.app.is_running
        reasoning.show_text(None)
        await pilot.pause()
        assert not reasoning.display


def attempt(thinking: str | None) -> AttemptView:
    return AttemptView(id=1, problem_id=1, step_set_id=None, student_model=THINKER,
                       mode=Mode.BASELINE, status=AttemptStatus.FINISHED, output=REPLY,
                       answer="15", verdict=Verdict.CORRECT, verdict_reason="equal",
                       reference_norm="15", answer_norm="15", usage=Usage(output_tokens=40),
                       error=None, prompt_name="student_baseline", prompt_hash="abc",
                       created=datetime(2026, 1, 5, 9, 30), thinking=thinking)


async def test_student_stream_puts_the_reasoning_above_the_reply():
    pane = StudentStream("Student")
    async with Host(pane).run_test(size=(80, 24)) as pilot:
        await pane.start("qwen3:4b · baseline")
        pane.append_thinking(HOSTILE)
        await pilot.pause(0.2)
        assert "Thinking" in str(pane.banner.render())
        for token in ("12 - 5 = 7. ", "7 + 8 = 15.\n\n", "Final answer: 15"):
            await pane.append(token)
        await pane.finish(attempt(HOSTILE), "15")
        await pilot.pause()
        reasoning = pane.reasoning
        assert reasoning.display and reasoning.collapsed and not reasoning.streaming
        assert pane.thinking == HOSTILE and pane.text == REPLY
        assert "999" not in pane.markdown.source  # the reply pane holds the reply only
        # Above the reply's scroll view, in sight however far the reply has scrolled.
        assert list(pane.children).index(reasoning) < list(pane.children).index(pane.scroller)
        assert pane.region.y < reasoning.region.y < pane.scroller.region.y
        # The next reply starts without the last one's reasoning.
        await pane.start("again")
        assert not pane.reasoning.display and pane.thinking == ""
        # A stored reply (History → Solve) with its reasoning, collapsed.
        await pane.show_text(REPLY, "attempt #1", thinking="Stored reasoning.")
        await pilot.pause()
        assert pane.reasoning.display and pane.reasoning.collapsed
        assert pane.thinking == "Stored reasoning."
        await pane.reset()
        assert not pane.reasoning.display


@needs_thoughts
async def test_a_thinking_student_in_the_app(fake, make_app):
    fake.add_model(THINKER, family="qwen3", capabilities=["completion", "thinking"])
    fake.reply(None, Reply(text=json.dumps({"steps": STEPS})))
    fake.reply(THINKER, Reply(text=REPLY, thinking=HOSTILE, chunk_delay=0.005))
    app = make_app()
    app.tutor.config.settings.student_model = THINKER
    async with app.run_test(size=SIZE) as pilot:
        type_problem(app.screen)
        await pilot.press("ctrl+t")
        await settle(pilot, app)
        await pilot.press("ctrl+r")
        await settle(pilot, app)
        pane = app.screen.query_one("#with-steps", StudentStream)
        assert pane.banner.verdict is Verdict.CORRECT  # the reasoning's 999 is not graded
        reasoning = pane.reasoning
        assert reasoning.display and reasoning.collapsed
        assert reasoning.text == HOSTILE and f"({len(HOSTILE):,} chars)" in reasoning.title
        assert "999" not in pane.text
        app.clear_notifications()  # a toast over the pane would take the click
        await pilot.pause()
        await pilot.click(reasoning.query_one("CollapsibleTitle"))
        await pilot.pause()
        assert "[@click=app.quit]quit[/]" in shown_text(reasoning) and app.is_running


@needs_thoughts
async def test_a_thinking_teachers_reasoning_sits_above_the_steps(fake, make_app, config):
    # The paper's preset asks for a plain list: the teacher may think (a JSON request may not).
    fake.add_model(THINKER, family="qwen3", capabilities=["completion", "thinking"])
    fake.reply(THINKER, Reply(text="1. Start with 12.\n2. Take away 5.\n3. Add 8.\n",
                              thinking="1. Work it out: 15.", chunk_delay=0.005))
    config.settings.teacher_model = THINKER
    config.settings.preset = "tot-paper"
    config.settings.teacher_equations = False
    app = make_app(config)
    async with app.run_test(size=SIZE) as pilot:
        type_problem(app.screen)
        await pilot.press("ctrl+t")
        await settle(pilot, app)
        panel = app.screen.query_one(StepsPanel)
        assert panel.steps == ["Start with 12.", "Take away 5.", "Add 8."]
        reasoning = panel.reasoning
        assert reasoning.display and reasoning.collapsed
        assert reasoning.text == "1. Work it out: 15." and not reasoning.streaming
        assert reasoning.region.y < panel.rows[0].region.y


async def test_history_shows_the_reasoning_collapsed(fake, make_app):
    app = make_app()
    tutor = app.tutor
    problem = await tutor.add_problem(PROBLEM, "15")
    steps = await tutor.save_steps(problem, STEPS)
    stored = tutor.store.add_attempt(
        problem_id=problem.id, step_set_id=steps.id, student_model=STUDENT, host=fake.url,
        mode=Mode.STEPS, prompt_name="student_steps", prompt_hash="abc",
        status=AttemptStatus.FINISHED, output=REPLY, answer="15", verdict=Verdict.CORRECT,
        verdict_reason="equal", thinking=HOSTILE)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3")
        await settle(pilot, app)
        screen = app.screen
        assert isinstance(screen, HistoryScreen)
        reasoning = screen.query_one("#detail-student-reasoning", Reasoning)
        assert reasoning.display and reasoning.collapsed and reasoning.text == HOSTILE
        assert f"Reasoning of attempt {stored.id}" in reasoning.title
        assert not screen.query_one("#detail-teacher-reasoning", Reasoning).display
        source = screen.query_one("#detail-md").source
        assert f"reasoning {len(HOSTILE):,} chars" in source and "999" not in source
        reasoning.query_one("CollapsibleTitle").focus()  # from the keyboard: Enter opens it
        await pilot.press("enter")
        await pilot.pause()
        assert "[@click=app.quit]quit[/]" in shown_text(reasoning) and app.is_running
        # Opened on the Solve screen, the reply comes with its reasoning, collapsed.
        screen.query_one("#problems").focus()
        await pilot.press("enter")
        await settle(pilot, app)
        pane = app.screen.query_one("#with-steps", StudentStream)
        assert pane.reasoning.display and pane.reasoning.collapsed and pane.thinking == HOSTILE
