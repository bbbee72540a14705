"""The Solve screen: problem → teacher steps (editable) → student reply → verdict.

All model, check and history work goes through the `Tutor` (`self.app.tutor`), in workers; the
screen only turns events into widget updates.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, ClassVar, assert_never, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, TextArea
from textual.worker import WorkerState

from tot_tui.ui.bindings import bindings
from tot_tui.ui.dom import child_on_first_use
from tot_tui.ui.keymap import key_hint
from tot_tui.ui.plain import plain
from tot_tui.ui.screens.base import TotScreen
from tot_tui.ui.widgets.button_bar import BarButton, ButtonBar
from tot_tui.ui.widgets.connection import ConnectionIndicator
from tot_tui.ui.widgets.hints import HintView
from tot_tui.ui.widgets.key_bar import KeyBar
from tot_tui.ui.widgets.steps_panel import StepsPanel
from tot_tui.ui.widgets.student_stream import StudentStream
from tot_tui.ui.widgets.title_bar import TitleBar
from tot_tui.ui.widgets.verdict import VerdictBanner

if TYPE_CHECKING:  # the domain is imported on first use: the first paint does not need it
    from tot_tui.domain import (
        EquationSetView,
        EquationsReady,
        Mode,
        ProblemDetail,
        ProblemView,
        StepSetView,
    )

# `{binding.id}` is the key bound to it, as the user's keymap has it (keymap.with_keys).
STUDENT_PLACEHOLDER = ("The student's reply appears here.\n\n"
                       "{solve.solve} solves with the steps · {solve.compare} compares with the "
                       "baseline (no steps) · {solve.ensemble} solves three ways (steps, "
                       "equations, a program) · {solve.cancel} cancels.")
TOOLTIPS = {
    "decompose": "Ask the teacher for steps ({solve.decompose})",
    "solve": "Student follows the steps ({solve.solve})",
    "compare": "With steps vs baseline ({solve.compare})",
    "cancel": "Stop, keep what arrived ({solve.cancel})",
    "new-problem": "Start a new problem ({solve.new})",
    "hint-mode": "Hide the steps; reveal them one at a time ({solve.hints})",
    "next-hint": "Reveal the next step ({solve.next_hint})",
}
BASELINE_PLACEHOLDER = "The baseline student (the bare problem, no steps) appears here."


def _clean(steps: list[str]) -> list[str]:
    return [" ".join(s.split()) for s in steps if s.strip()]


def reference_note(problem: ProblemView, last: EquationSetView | None) -> str:
    """The line beside the reference box: where the reference came from, and what the
    teacher's latest equations said of it."""
    if problem.reference_source == "equations":
        return f"✓ {(problem.reference or '')[:40]}: solved from the teacher's equations"
    if last is None:
        return ""
    if not last.derived.ok:
        return "the teacher's equations gave no value" if problem.reference \
            else "no reference from the teacher's equations"
    value = (last.derived.value or "")[:40]
    if last.agrees is False:
        return f"⚠ the teacher's equations give {value}"
    return f"✓ the teacher's equations give {value}" + (" too" if last.agrees else "")


class SolveScreen(TotScreen):
    """Decompose, edit, solve, compare, answer as a human."""

    HELP = """\
## Solve
1. Type or paste a problem, and optionally its reference answer.
2. **Decompose** (Ctrl+T, or Ctrl+Enter) asks the teacher for steps; edit them in place
   (**F6** moves the cursor into the steps, **F7** back to the problem).
3. **Solve** (Ctrl+R, or Ctrl+Shift+Enter) sends the steps to the student and checks its answer.
4. **Compare** (Ctrl+B) runs the student with and without the steps side by side.
5. **Equations** (F9, and after each Decompose) has the teacher write the problem as equations
   for the solver: with no reference typed, their value becomes it (marked beside the box); a
   typed reference they contradict is flagged. **Three ways** (F10) has the student follow the
   steps, write equations and write a program; the answer is the one two of them agree on.
6. **Your answer**: answer yourself; **Hint mode** (Ctrl+O) hides the steps, **Ctrl+F** reveals
   one at a time.

**Esc** cancels what is running and keeps what arrived.
"""

    BINDINGS: ClassVar[list[BindingType]] = bindings("solve")

    # Shown in the command palette (with the bindings above); `{binding.id}` is its key.
    PALETTE: ClassVar[list[tuple[str, str, str]]] = [
        ("Decompose", "Ask the teacher for steps", "decompose"),
        ("Regenerate steps", "Ask the teacher for new steps ({steps.undo} brings these back)",
         "decompose"),
        ("Solve", "Send the steps to the student and check the answer", "solve"),
        ("Compare with baseline", "Student with steps and without, side by side", "compare"),
        ("Cancel", "Stop what is running; keep what arrived", "cancel"),
        ("Hint mode", "Hide the steps and reveal them one at a time", "toggle_hints"),
        ("Next hint", "Reveal the next step in hint mode", "next_hint"),
        ("Your answer", "Answer the problem yourself", "focus_answer"),
        ("Edit steps", "Move the cursor into the steps ({solve.steps})", "focus_steps"),
        ("New step", "Add a step below the current one ({steps.insert})", "step('insert_step')"),
        ("Delete step", "Delete the current step ({steps.delete})", "step('delete_step')"),
        ("Move step up", "{steps.move_up}", "step('move_step(-1)')"),
        ("Move step down", "{steps.move_down}", "step('move_step(1)')"),
        ("Undo step edit", "{steps.undo} in the steps", "step('undo')"),
        ("Redo step edit", "{steps.redo} in the steps", "step('redo')"),
        ("Save steps", "Save the steps as a new version ({steps.save})", "step('save')"),
        ("Edit problem", "Move the cursor into the problem ({solve.problem})", "focus_problem"),
        ("New problem", "Clear the problem, steps and replies ({solve.new})", "new_problem"),
    ]

    PALETTE_BINDINGS = (StepsPanel,)

    def __init__(self) -> None:
        super().__init__(id="solve-screen")
        self.problem: ProblemView | None = None
        self.hint_mode = False

    def compose(self) -> ComposeResult:
        yield TitleBar()
        yield ConnectionIndicator()
        with Horizontal(id="problem-row"):
            yield TextArea(id="problem", soft_wrap=True, compact=True,
                           placeholder="Type or paste a math problem here…")
            with Vertical(id="problem-side"):
                yield Input(placeholder="Reference answer (optional)", id="reference",
                            compact=True)
                yield ButtonBar(
                    BarButton("decompose", "Decompose", "primary"),
                    BarButton("solve", "Solve", "success"), BarButton("compare", "Compare"),
                    BarButton("cancel", "Cancel", "error"), BarButton("new-problem", "New"),
                    id="problem-actions")
        with Horizontal(id="work"):
            yield StepsPanel(id="steps")
            # The hints view and the baseline pane are mounted on first use (a lighter
            # first screen).
            yield StudentStream("Student · with steps", id="with-steps",
                                placeholder=self.hint(STUDENT_PLACEHOLDER))
        with Horizontal(id="answer-row"):
            yield Label("Your answer", id="answer-label")
            yield Input(placeholder="answer it yourself; Enter checks it", id="human-answer",
                        compact=True)
            yield ButtonBar(
                BarButton("check", "Check"), BarButton("hint-mode", "Hint mode"),
                BarButton("next-hint", "Next hint", disabled=True), id="answer-actions")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#problem", TextArea).focus()
        self.steps_panel.leak_check = self._leaking_steps
        self._show_tooltips()
        self.tot_app.keymap_signal.subscribe(self, self._keys_changed)

    def on_unmount(self) -> None:
        self.tot_app.keymap_signal.unsubscribe(self)

    def hint(self, template: str) -> str:
        return key_hint(self, template, StepsPanel)

    def _leaking_steps(self, steps: list[str]) -> list[int]:
        """The steps that state the reference answer, as they are typed (the ⚠ mark)."""
        from tot_tui.tutor.steps import leaking_steps_for

        reference = self.query_one("#reference", Input).value
        return leaking_steps_for(self.query_one("#problem", TextArea).text, steps, reference)

    def _show_tooltips(self) -> None:
        for bar in self.query("#problem-actions, #answer-actions").results(ButtonBar):
            for button in bar.buttons:
                if button.id in TOOLTIPS:
                    bar.set_tooltip(button.id, self.hint(TOOLTIPS[button.id]))

    def _keys_changed(self, _keymap: dict[str, str]) -> None:
        self._show_tooltips()
        self.steps_panel.keys_changed()
        self.query_one("#with-steps", StudentStream).placeholder = self.hint(STUDENT_PLACEHOLDER)

    # -- widgets -----------------------------------------------------------------------------

    @property
    def human_verdict(self) -> VerdictBanner:
        """The verdict on the human's answer, under it; mounted on first use (a lighter
        first screen)."""
        return child_on_first_use(self, "#human-verdict", VerdictBanner,
                                  lambda: VerdictBanner(id="human-verdict"), after="#answer-row")

    @property
    def steps_panel(self) -> StepsPanel:
        return self.query_one(StepsPanel)

    @property
    def hints(self) -> HintView:
        """The hints view (mounted by `ensure_hints`); a detached one before that."""
        found = self.query(HintView)
        return found.first() if found else HintView()

    async def ensure_hints(self) -> HintView:
        found = self.query(HintView)
        if found:
            return found.first()
        hints = HintView(id="hints")
        await self.query_one("#work").mount(hints, before="#with-steps")
        return hints

    def pane(self, mode: Mode) -> StudentStream:
        from tot_tui.domain import Mode

        return self.query_one("#baseline" if mode is Mode.BASELINE else "#with-steps",
                              StudentStream)

    def panes(self) -> list[StudentStream]:
        return list(self.query(StudentStream))

    async def ensure_baseline(self) -> StudentStream:
        found = self.query("#baseline")
        if found:
            return cast(StudentStream, found.first())
        pane = StudentStream("Student · baseline (no steps)", id="baseline",
                             placeholder=BASELINE_PLACEHOLDER)
        await self.query_one("#work").mount(pane)
        return pane

    def _problem_input(self) -> tuple[str, str]:
        return (self.query_one("#problem", TextArea).text,
                self.query_one("#reference", Input).value)

    # -- the problem -------------------------------------------------------------------------

    async def _ensure_problem(self) -> ProblemView:
        """The problem as typed now, stored (InputError if it cannot be used)."""
        text, reference = self._problem_input()
        current = self.problem
        if current is not None and text.strip() == current.text \
                and (reference.strip() or None) == current.reference:
            return current
        await self.tot_app.ready()
        problem = await self.tutor.add_problem(text, reference, replace_reference=True)
        if problem.replaced_reference is not None:
            self.notify(f"Problem #{problem.id}'s reference is now {reference!r} (it was "
                        f"{problem.replaced_reference!r}). Earlier attempts keep the reference "
                        f"they were graded against; `tot-tui regrade {problem.id}` grades them "
                        "against this one.", title="Reference changed", timeout=12)
        if current is not None and problem.id != current.id:
            await self._switch_problem(current, problem)
        # The first problem keeps any steps written before it was stored.
        self.sub_title = f"problem #{problem.id}"
        self.problem = problem
        return problem

    async def _switch_problem(self, old: ProblemView | None, new: ProblemView) -> None:
        panel = self.steps_panel
        if old is not None and panel.dirty and _clean(panel.steps):
            # Edits belong to the old problem: keep them as a version there, not lost.
            await self._store_steps(old)
            self.notify(f"Your unsaved step edits were saved as a version of problem "
                        f"#{old.id}.", timeout=5)
        await panel.reset()
        self.hints.set_steps([])
        for pane in self.panes():
            await pane.reset()
        for banner in self.query("#human-verdict").results(VerdictBanner):
            banner.clear()
        self.sub_title = f"problem #{new.id}"

    async def load_problem(self, detail: ProblemDetail) -> None:
        """Show a stored problem with its latest steps (from History)."""
        for group in ("teacher", "solve", "human", "equations"):
            self.workers.cancel_group(self, group)
        self.query_one("#problem", TextArea).text = detail.problem.text
        self.query_one("#reference", Input).value = detail.problem.reference or ""
        old, self.problem = self.problem, detail.problem
        await self._switch_problem(old, detail.problem)  # keeps unsaved edits as a version
        if detail.step_sets:
            teacher = [s for s in detail.step_sets if s.origin.value == "teacher"]
            shown = detail.step_sets[-1]
            await self.steps_panel.load(shown, original=teacher[0] if teacher else None)
            # An edited version shows the reasoning of the teacher's latest steps.
            self.steps_panel.show_reasoning(shown.thinking or next(
                (s.thinking for s in reversed(teacher) if s.id <= shown.id), None))
        self.hints.set_steps(_clean(self.steps_panel.steps))
        if detail.equation_sets or detail.problem.reference_source == "equations":
            self._show_provenance(detail)
        # Its last reply with steps, and that reply's verdict, as they were.
        from tot_tui.domain import Mode

        last = [a for a in detail.attempts if a.mode is Mode.STEPS]
        if last:
            attempt, pane = last[-1], self.pane(Mode.STEPS)
            await pane.show_text(attempt.output, f"{attempt.student_model} · attempt "
                                 f"#{attempt.id} · {attempt.status.value}",
                                 thinking=attempt.thinking)
            pane.banner.show_attempt(attempt, attempt.reference or detail.problem.reference)

    async def _store_steps(self, problem: ProblemView) -> StepSetView:
        """Store the panel's steps as a new version, with where each step came from."""
        panel = self.steps_panel
        steps, origins = panel.to_save()
        parent = panel.step_set.id if panel.step_set else None
        base = panel.original_id
        if panel.draft_from is not None and panel.draft_from[0] == steps:
            from tot_tui.domain import StepOrigin

            return await self.tutor.save_steps(problem, steps, parent_id=parent,
                                               origin=StepOrigin.DRAFT,
                                               model=panel.draft_from[1])
        return await self.tutor.save_steps(problem, steps, parent_id=parent,
                                           origins=origins if base is not None else None,
                                           base_id=base)

    async def _saved_steps(self, problem: ProblemView) -> StepSetView | None:
        """The version the editor shows, saving it first when it was edited."""
        panel = self.steps_panel
        steps = _clean(panel.steps)
        if not steps:
            return None
        if panel.dirty or panel.step_set is None:
            step_set = await self._store_steps(problem)
            panel.mark_saved(step_set)
            self.notify(f"Saved your steps as version {step_set.version}.", timeout=3)
        return panel.step_set

    # -- teacher -----------------------------------------------------------------------------

    async def _decompose(self, problem: ProblemView,
                         focus_steps: bool = False) -> StepSetView | None:
        from tot_tui.domain import Failed, ModelLoading, StepsReady, TeacherDelta, TeacherThinking

        panel = self.steps_panel
        model = self.tutor.config.model("teacher")
        panel.begin_draft(f"Asking the teacher ({model}) for steps…")
        draft: tuple[str, ...] = ()
        try:
            async for event in self.tutor.decompose(problem):
                match event:
                    case ModelLoading():
                        panel.begin_draft(f"Waiting for {event.model} at {event.host} "
                                          "(the first request may load the model)…")
                    case TeacherThinking():
                        panel.append_reasoning(event.text)
                    case TeacherDelta():
                        draft = event.draft
                        panel.show_draft(draft)
                    case StepsReady():
                        panel.end_reasoning(event.step_set.thinking)
                        usage = event.usage
                        note = ""
                        if usage is not None and usage.output_tokens:
                            note = f"{usage.output_tokens} tokens"
                            if usage.total_ns:
                                note += f" · {usage.total_ns / 1e9:.1f} s"
                        # After Regenerate the cursor goes back into the steps, where Ctrl+Z
                        # brings the previous ones back.
                        await panel.load(event.step_set, note=note, focus=focus_steps)
                        self.hints.set_steps(list(event.step_set.steps))
                        if event.step_set.leaks:
                            numbers = ", ".join(str(i + 1) for i in event.step_set.leaks)
                            self.notify(f"Step {numbers} states the answer: edit it before "
                                        "solving, or the student is just told the result.",
                                        severity="warning", timeout=8)
                        return event.step_set
                    case Failed():
                        await panel.end_draft([s for s in draft if s.strip()], model)
                        self.tot_app.show_failure(event)
                        return None
                    case _:
                        assert_never(event)
        except asyncio.CancelledError:
            self.call_later(panel.end_draft, [s for s in draft if s.strip()], model)
            raise
        await panel.end_draft([s for s in draft if s.strip()], model)
        return None

    @work(exclusive=True, group="teacher", exit_on_error=False)
    async def run_decompose(self, focus_steps: bool = False) -> StepSetView | None:
        problem = await self._ensure_problem()
        step_set = await self._decompose(problem, focus_steps)
        if step_set is not None and self.tutor.config.settings.teacher_equations:
            self.run_equations()
        return step_set

    # -- the teacher's equations: a reference no model's arithmetic produced ----------------

    @property
    def reference_note(self) -> Label:
        return child_on_first_use(self.query_one("#problem-side"), "#reference-note", Label,
                                  lambda: Label("", id="reference-note"), after="#reference")

    @work(exclusive=True, group="equations", exit_on_error=False)
    async def run_equations(self) -> None:
        from tot_tui.domain import EquationsReady, Failed

        problem = await self._ensure_problem()
        note = self.reference_note
        note.update(plain("asking the teacher for equations…"))
        async for event in self.tutor.solve_reference(problem):
            if isinstance(event, Failed):
                note.update(plain("the teacher's equations failed"))
                self.tot_app.show_failure(event)
            elif isinstance(event, EquationsReady):
                self._show_equations(event)

    def _show_provenance(self, detail: ProblemDetail) -> None:
        last = detail.equation_sets[-1] if detail.equation_sets else None
        self.reference_note.update(plain(reference_note(detail.problem, last)))

    def _show_equations(self, event: EquationsReady) -> None:
        derived, now, eq = event.equation_set.derived, event.problem, event.equation_set
        if self.problem is not None and self.problem.id == now.id:
            self.problem = now
        box = self.query_one("#reference", Input)
        if not box.value.strip() and now.reference:  # the box shows what it is graded against
            box.value = now.reference
        value = (derived.value or "")[:40]  # notify escapes it
        if derived.ok and now.reference_source == "equations":
            self.notify(f"Reference {value}, solved from the teacher's equations "
                        f"({eq.model}): the solver did the arithmetic.", timeout=6)
        elif derived.ok and eq.agrees is False:
            self.notify(f"The reference {(eq.compared_with or '')[:40]} disagrees with the "
                        f"teacher's equations, which give {value}. Check the reference.",
                        severity="warning", timeout=12)
        elif not derived.ok:
            self.notify(f"The teacher's equations gave no reference: {derived.reason}",
                        timeout=8)
        self.reference_note.update(plain(reference_note(now, eq)))

    # -- student -----------------------------------------------------------------------------

    async def _stream(self, problem: ProblemView, mode: Mode,
                      step_set: StepSetView | None) -> None:
        from tot_tui.domain import (
            AttemptDone,
            Failed,
            Mode,
            ModelLoading,
            StudentDelta,
            StudentThinking,
        )

        pane = self.pane(mode)
        model = self.tutor.config.model("student")
        what = f"v{step_set.version} steps" if mode is Mode.STEPS and step_set else str(mode)
        if mode is Mode.ENSEMBLE and step_set:
            what = f"v{step_set.version} steps, equations and a program"
        await pane.start(f"{model} · {what}")
        try:
            async for event in self.tutor.solve(problem, mode=mode, step_set=step_set):
                match event:
                    case ModelLoading():
                        pane.show_loading(event.model, event.host)
                    case StudentThinking():
                        pane.append_thinking(event.text)
                    case StudentDelta():
                        await pane.append(event.text)
                    case AttemptDone():
                        await pane.finish(event.attempt, problem.reference)
                    case Failed():
                        await pane.fail("Stopped early — what arrived is kept. "
                                        + event.message)
                        self.tot_app.show_failure(event)
                    case _:
                        assert_never(event)
        except asyncio.CancelledError:
            pane.cancelled()
            raise

    @work(exclusive=True, group="solve", exit_on_error=False)
    async def run_solve(self, compare: bool = False, ensemble: bool = False) -> None:
        from tot_tui.domain import Mode

        # Solve pressed while the teacher is still writing: queued, visibly, until its steps
        # are in; Esc cancels both. Never solve on steps the teacher did not finish.
        teacher = [w for w in self.workers if w.group == "teacher" and w.is_running]
        if teacher:
            self.notify(self.hint("The student starts once the teacher's steps are in "
                                  "({solve.cancel} cancels both)."), timeout=5)
        for worker in teacher:
            with contextlib.suppress(Exception):
                await worker.wait()
        if any(w.state is not WorkerState.SUCCESS or w.result is None for w in teacher):
            self.notify("The student was not asked: the teacher's steps did not finish. "
                        "Decompose again, or edit the steps and Solve.", severity="warning",
                        timeout=8)
            return
        problem = await self._ensure_problem()
        if not _clean(self.steps_panel.steps):
            await self._decompose(problem)  # no steps yet: ask the teacher first
        step_set = await self._saved_steps(problem)
        if compare:
            await self.ensure_baseline()
            self.add_class("-compare")
            async with asyncio.TaskGroup() as group:
                if step_set is not None:
                    group.create_task(self._stream(problem, Mode.STEPS, step_set))
                group.create_task(self._stream(problem, Mode.BASELINE, None))
        elif step_set is not None:
            await self._stream(problem, Mode.ENSEMBLE if ensemble else Mode.STEPS, step_set)

    @work(exclusive=True, group="human", exit_on_error=False)
    async def run_check_human(self, answer: str) -> None:
        banner = self.human_verdict
        problem = await self._ensure_problem()
        banner.show_note("Checking your answer…")
        if self.hint_mode:
            shown = self.hints.revealed
        else:
            shown = len(_clean(self.steps_panel.steps))
        try:
            _view, result = await self.tutor.answer_as_human(problem, answer, shown)
        except BaseException:
            banner.clear()
            raise
        banner.show_result(result, answer.strip(), problem.reference, whose="your answer")
        if not problem.reference:
            self.notify("There is no reference answer, so your answer could not be checked: "
                        "type one next to the problem.", severity="warning", timeout=6)

    # -- actions -----------------------------------------------------------------------------

    def would_lose(self) -> list[str]:
        lost = []
        if self.steps_panel.dirty:
            lost.append("unsaved step edits")
        running = {w.group for w in self.workers if w.is_running}
        if "teacher" in running:
            lost.append("the teacher's steps being written")
        if "solve" in running:
            lost.append("the student's reply being written (what arrived is kept)")
        return lost

    def action_decompose(self) -> None:
        # With steps there already this is Regenerate: the cursor goes into the new steps,
        # where Ctrl+Z brings the previous ones back (as F1 and the README promise).
        self.run_decompose(focus_steps=bool(_clean(self.steps_panel.steps)))

    def action_solve(self) -> None:
        self.remove_class("-compare")
        self.run_solve(False)

    def action_compare(self) -> None:
        self.run_solve(True)

    def action_equations(self) -> None:
        self.run_equations()

    def action_ensemble(self) -> None:
        self.remove_class("-compare")
        self.run_solve(False, ensemble=True)

    def action_cancel(self) -> None:
        running = [w for w in self.workers if w.group in ("teacher", "solve", "human")
                   and w.is_running]
        if not running:
            return
        for worker in running:
            worker.cancel()
        self.notify("Cancelled. What arrived so far is kept.", timeout=3)

    async def action_toggle_hints(self) -> None:
        await self.ensure_hints()
        self.hint_mode = not self.hint_mode
        self.set_class(self.hint_mode, "-hints")
        bar = self.query_one("#answer-actions", ButtonBar)
        bar.set_disabled("next-hint", not self.hint_mode)
        bar.set_label("hint-mode", "Show steps" if self.hint_mode else "Hint mode")
        if self.hint_mode:
            self.hints.set_steps(_clean(self.steps_panel.steps))
            self.query_one("#human-answer", Input).focus()

    async def action_next_hint(self) -> None:
        if not self.hint_mode:
            await self.action_toggle_hints()
            return
        if not self.hints.steps:
            self.notify(self.hint("No steps yet: decompose the problem first "
                                  "({solve.decompose})."), severity="warning")
        elif not self.hints.reveal_next():
            self.notify("All hints are shown.", timeout=2)

    def action_focus_answer(self) -> None:
        self.query_one("#human-answer", Input).focus()

    async def action_step(self, action: str) -> None:
        """Run a steps-panel action (from the command palette)."""
        await self.steps_panel.run_action(action)

    def action_focus_steps(self) -> None:
        if self.steps_panel.rows:
            self.steps_panel.focus_step(0)
        else:
            bar = self.steps_panel.query_one("#steps-buttons", ButtonBar)
            bar.cursor = 0  # "+ Step"
            bar.focus()

    def action_focus_problem(self) -> None:
        self.query_one("#problem", TextArea).focus()

    async def action_new_problem(self) -> None:
        for group in ("teacher", "solve", "human", "equations"):
            self.workers.cancel_group(self, group)
        old, self.problem = self.problem, None
        self.query_one("#problem", TextArea).text = ""
        self.query_one("#reference", Input).value = ""
        for note in self.query("#reference-note").results(Label):
            note.update("")
        self.query_one("#human-answer", Input).value = ""
        if old is not None or _clean(self.steps_panel.steps):
            panel = self.steps_panel
            if old is not None and panel.dirty and _clean(panel.steps):
                await self._store_steps(old)
            await panel.reset()
        for pane in self.panes():
            await pane.reset()
        self.remove_class("-compare")
        self.hints.set_steps([])
        for banner in self.query("#human-verdict").results(VerdictBanner):
            banner.clear()
        self.sub_title = ""
        self.query_one("#problem", TextArea).focus()

    # -- events ------------------------------------------------------------------------------

    @on(ButtonBar.Pressed, "#problem-actions, #answer-actions")
    async def _button(self, event: ButtonBar.Pressed) -> None:
        actions = {"decompose": "decompose", "solve": "solve", "compare": "compare",
                   "cancel": "cancel", "new-problem": "new_problem", "check": "check",
                   "hint-mode": "toggle_hints", "next-hint": "next_hint"}
        action = actions.get(event.button_id)
        if action == "check":
            self.run_check_human(self.query_one("#human-answer", Input).value)
        elif action:
            await self.run_action(action)

    @on(Input.Submitted, "#human-answer")
    def _answer_submitted(self, event: Input.Submitted) -> None:
        self.run_check_human(event.value)

    @on(Input.Submitted, "#reference")
    def _reference_submitted(self) -> None:
        self.run_decompose()

    @on(StepsPanel.SaveRequested)
    def _save_steps(self, event: StepsPanel.SaveRequested) -> None:
        self.run_save_steps(event.steps)

    @on(StepsPanel.RegenerateRequested)
    def _regenerate(self) -> None:
        self.run_decompose(focus_steps=True)

    @on(StepsPanel.Changed)
    def _steps_changed(self, event: StepsPanel.Changed) -> None:
        if self.hint_mode:
            self.hints.set_steps(_clean(event.steps))

    @work(exclusive=True, group="save", exit_on_error=False)
    async def run_save_steps(self, steps: list[str]) -> None:
        problem = await self._ensure_problem()
        panel = self.steps_panel
        step_set = await self._store_steps(problem)
        panel.mark_saved(step_set)
        self.notify(f"Saved as version {step_set.version}.", timeout=3)
