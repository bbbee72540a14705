"""The tutoring core: decompose, edit, solve, check, record. Every front door goes through here.

Slow work is async and yields events (see `tot_tui.domain`); the database is called from a
worker thread. The ollama client, sympy and sqlmodel are imported on first use, so creating a
`Tutor` costs nothing on the path to the first screen.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import unicodedata
from collections.abc import AsyncGenerator, Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from tot_tui.config import Config
from tot_tui.domain import (
    AttemptDone,
    AttemptStatus,
    AttemptView,
    CheckResult,
    CheckStatus,
    DecomposeEvent,
    EquationsEvent,
    EquationsReady,
    ErrorKind,
    EvalRunSummary,
    Failed,
    HostStatus,
    HumanAnswerView,
    Mode,
    ModelInfo,
    ModelLoading,
    ProblemDetail,
    ProblemSummary,
    ProblemView,
    PullProgress,
    Role,
    SolveEvent,
    StepOrigin,
    StepSetView,
    StepsReady,
    StudentDelta,
    StudentThinking,
    TeacherDelta,
    TeacherThinking,
    TutorEvent,
    Usage,
    Verdict,
    WayAnswer,
)
from tot_tui.llm.backend import Sampling, Thought
from tot_tui.llm.errors import LLMError, model_missing
from tot_tui.modes import BY_MODE, WAY_OF_PROMPT, ModeSpec
from tot_tui.store.migrations import StoreError
from tot_tui.tutor.errors import InputError
from tot_tui.tutor.presets import DEFAULT_PRESET, Preset, preset
from tot_tui.tutor.prompts import Prompt, load_prompt
from tot_tui.tutor.steps import (
    STEPS_SCHEMA,
    draft_steps,
    format_steps,
    leaking_steps_for,
    parse_steps,
)

if TYPE_CHECKING:
    from tot_tui.check import Checker
    from tot_tui.llm.backend import Backend
    from tot_tui.store.history import HistoryStore
    from tot_tui.tutor.sft import SftCounts, SftFilters

R = TypeVar("R")

MAX_PROBLEM_CHARS = 20_000
CHECKPOINT_SECONDS = 0.5  # how often a streaming attempt's partial text is committed

# The headings an ensemble's reply gets, one per way it is asked.
WAY_TITLES = {"prose": "Following the steps", "equations": "Equations", "program": "Program"}


__all__ = ["InputError", "LLMError", "StoreError", "Tutor", "clean_problem", "clean_steps"]


def clean_problem(text: str) -> str:
    """A problem fit to send, or InputError saying why not. Keeps the text otherwise as typed."""
    if not isinstance(text, str):
        raise InputError("The problem must be text.")
    text = unicodedata.normalize("NFC", text).strip()
    if not text:
        raise InputError("The problem is empty: type or paste a math problem first.")
    if len(text) > MAX_PROBLEM_CHARS:
        raise InputError(f"The problem is {len(text):,} characters long; the limit is "
                         f"{MAX_PROBLEM_CHARS:,}. Paste only the problem itself.")
    bad = sum(1 for ch in text if unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn")
              and ch not in "\n\t")
    if bad:
        raise InputError(f"The problem contains {bad} control or unprintable character"
                         f"{'s' if bad > 1 else ''} (binary data?). Paste plain text.")
    return text


def _check_answer_length(answer: str | None, what: str) -> None:
    # The checker's own limit: a longer answer could never be checked. Imported here, not at
    # the top, to keep the checker package off the path to the first screen.
    from tot_tui.check.limits import MAX_ANSWER

    if answer and len(answer) > MAX_ANSWER:
        raise InputError(f"The {what} is {len(answer):,} characters long; answers are checked "
                         f"up to {MAX_ANSWER:,}.")


def clean_steps(steps: Sequence[str]) -> list[str]:
    cleaned = [" ".join(s.split()) for s in steps if isinstance(s, str) and s.strip()]
    if not cleaned:
        raise InputError("There are no steps: add at least one step, or solve without steps.")
    return cleaned


class Tutor:
    def __init__(self, config: Config, *, store: HistoryStore | None = None,
                 checker: Checker | None = None, preset_name: str | None = None) -> None:
        self.config = config
        self._preset_name = preset_name  # None: the configured one (read on first use)
        self._preset: Preset | None = None
        self._store = store
        self._checker = checker
        self._owns_checker = checker is None  # a shared checker is closed by whoever made it
        self._gateways: dict[str, Backend] = {}
        self._build_lock = threading.Lock()
        # (host, model) → what the model says it can do; None: the server would not say.
        self._capabilities: dict[tuple[str, str], frozenset[str] | None] = {}
        self._capabilities_lock = asyncio.Lock()  # concurrent solves ask the server once

    @property
    def preset(self) -> Preset:
        """The prompt set in use: the one given, else the config's `preset`."""
        if self._preset is None:
            name = self._preset_name or self.config.settings.preset or DEFAULT_PRESET
            try:
                self._preset = preset(name)
            except ValueError as exc:
                raise InputError(f"{exc}.") from None
        return self._preset

    def use_preset(self, name: str) -> None:
        """Ask with this prompt set from now on (a resumed eval run: the one it started with)."""
        self._preset_name, self._preset = name, None
        _ = self.preset  # an unknown name fails here, with InputError

    # -- lazily built collaborators ----------------------------------------------------------

    @property
    def store(self) -> HistoryStore:
        """Built on first use, from any thread (worker threads race for it)."""
        if self._store is None:
            with self._build_lock:
                if self._store is None:
                    from tot_tui.store.history import HistoryStore

                    self._store = HistoryStore(self.config.paths.database)
        return self._store

    @property
    def checker(self) -> Checker:
        if self._checker is None:
            with self._build_lock:
                if self._checker is None:
                    from tot_tui.check import Checker

                    self._checker = Checker(deadline=self.config.settings.check_deadline)
        return self._checker

    def gateway(self, role: Role) -> Backend:
        host = self.config.host(role)
        if host not in self._gateways:
            from tot_tui.llm.backends import open_backend

            s = self.config.settings
            self._gateways[host] = open_backend(
                "ollama", host, connect_timeout=s.connect_timeout,
                first_token_timeout=s.first_token_timeout, stall_timeout=s.stall_timeout)
        return self._gateways[host]

    async def warm_up(self) -> None:
        """Do the slow first-use work in threads, after the first screen is up: open the
        history (sqlmodel), import the Ollama client, and start the checker's worker (sympy),
        so that no later call stalls the event loop or the first verdict."""
        import importlib

        def prepare() -> None:
            _ = self.store
            importlib.import_module("tot_tui.llm.gateway")
            self.checker.start()

        await asyncio.to_thread(prepare)

    async def aclose(self) -> None:
        for gateway in self._gateways.values():
            await gateway.aclose()
        self._gateways.clear()
        if self._checker is not None and self._owns_checker:
            await asyncio.to_thread(self._checker.close)
            self._checker = None
        if self._store is not None:
            self._store.close()
            self._store = None

    def prompt(self, name: str) -> Prompt:
        return load_prompt(name, self.config.paths.prompts_dir, self.preset.directory)

    def _sampling(self, role: Role, seed: int | None = None) -> Sampling:
        """The role's sampling settings; `seed` (one of an eval's K samples) over the
        configured one."""
        s = self.config.settings
        return Sampling(
            # A paper's protocol: the model's own sampling.
            temperature=None if self.preset.default_sampling
            else s.teacher_temperature if role == "teacher" else s.student_temperature,
            max_tokens=s.teacher_max_tokens if role == "teacher" else s.student_max_tokens,
            context=s.num_ctx, seed=seed if seed is not None else s.seed,
            keep_alive=s.keep_alive)

    async def capabilities(self, role: Role, model: str) -> frozenset[str] | None:
        """What `model` on the role's host says it can do ("completion", "thinking", …),
        asked once per host and model. None: unknown (the server would not say, or is down;
        a down server is asked again next time)."""
        gateway = self.gateway(role)
        key = (gateway.host, _model_key(model))
        async with self._capabilities_lock:
            if key in self._capabilities:
                return self._capabilities[key]
            ask = getattr(gateway, "capabilities", None)  # optional on a backend
            found: frozenset[str] | None = None
            if ask is not None:
                try:
                    found = frozenset(await ask(model)) or None  # none listed: not known
                except LLMError as exc:
                    if exc.is_setup_problem:
                        return None
            self._capabilities[key] = found
            return found

    async def _think(self, role: Role, model: str, *, structured: bool = False) -> bool | None:
        """The `think` flag for a request (None: not sent). A model known not to think is
        never sent one (Ollama refuses the request). "auto" lets a model that says it thinks
        think; "on" / "off" ask any model not known to lack it. A request for JSON steps asks
        not to: Ollama's `format` with `think` is unreliable (the JSON lands in the reasoning,
        or arrives malformed), while without thinking the schema holds."""
        capabilities = await self.capabilities(role, model)
        if capabilities is not None and "thinking" not in capabilities:
            return None
        mode = self.config.settings.think
        if capabilities is None and mode == "auto":
            return None
        return False if structured else mode != "off"

    async def _db(self, call: Callable[[HistoryStore], R]) -> R:
        """`call(store)` in a worker thread, typed end to end (`lambda s: s.add_problem(...)`).
        The store itself (which imports sqlmodel and may migrate the file) is also built there,
        never on the event loop: that is why this takes a function of the store rather than
        one of its bound methods."""
        def run() -> R:
            store = self.store
            try:
                return call(store)
            except Exception as exc:  # a database error becomes one sentence (StoreError)
                explained = store.explain(exc)
                if explained is None:
                    raise
                raise explained from exc

        return await asyncio.to_thread(run)

    # -- problems and steps ------------------------------------------------------------------

    async def add_problem(self, text: str, reference: str | None = None,
                          reference_source: str | None = "typed", *,
                          replace_reference: bool = False) -> ProblemView:
        """The problem with this text (created if new). A stored problem keeps its reference
        unless `replace_reference` (a person typed another one); the view's
        `replaced_reference` then says what it was. Attempts keep the reference they were
        graded against, and `regrade` grades them against the current one."""
        text = clean_problem(text)
        reference = (reference or "").strip() or None
        _check_answer_length(reference, "reference answer")
        source = reference_source if reference else None
        return await self._db(lambda s: s.add_problem(
            text, reference, source, replace_reference=replace_reference))

    async def regrade(self, problem_id: int) -> tuple[int, int]:
        """Grade the problem's finished attempts again against its current reference;
        returns (attempts graded, verdicts that changed)."""
        detail = await self.problem_detail(problem_id)
        if detail is None:
            raise InputError(f"No problem #{problem_id} in the history.")
        reference = detail.problem.reference
        if not reference:
            raise InputError(f"Problem #{problem_id} has no reference answer to grade against.")
        graded = changed = 0
        for attempt in detail.attempts:
            if attempt.status is not AttemptStatus.FINISHED:
                continue
            result = await self.check_answer(reference, attempt.answer)
            graded += 1
            changed += result.verdict is not attempt.verdict

            def store(s: HistoryStore, a: AttemptView = attempt, r: CheckResult = result,
                      ref: str = reference) -> None:
                s.regrade_attempt(a.id, reference=ref, verdict=r.verdict,
                                  verdict_reason=r.reason, reference_norm=r.gold_norm,
                                  answer_norm=r.pred_norm)

            await self._db(store)
        return graded, changed

    def _with_leaks(self, step_set: StepSetView, problem: ProblemView) -> StepSetView:
        step_set.leaks = leaking_steps_for(problem.text, step_set.steps, problem.reference)
        return step_set

    async def decompose(self, problem: ProblemView, *, model: str | None = None,
                        reuse: bool = False) -> AsyncGenerator[DecomposeEvent, None]:
        """Ask the teacher for steps. Ends with StepsReady (a new teacher version) or Failed.

        With `reuse`, a stored step set from the same teacher and prompt text is returned
        without asking again (one teacher run serves many students).
        """
        model = model or self.config.model("teacher")
        prompt = self.prompt("teacher")
        if reuse:
            found = await self._db(
                lambda s: s.find_teacher_steps(problem.id, model, prompt.hash))
            if found is not None:
                yield StepsReady(self._with_leaks(found, problem), problem)
                return
        gateway = self.gateway("teacher")
        yield ModelLoading("teacher", model, gateway.host)
        parts: list[str] = []
        thoughts: list[str] = []  # its reasoning: kept with the steps, never parsed for them
        usage: Usage | None = None
        schema: dict[str, Any] | None = STEPS_SCHEMA if self.preset.structured_steps else None
        while True:
            try:
                think = await self._think("teacher", model, structured=schema is not None)
                reply = gateway.chat(model, prompt.messages(problem=problem.text), schema=schema,
                                     sampling=self._sampling("teacher"), **_think_option(think))
                async with contextlib.aclosing(reply):  # a cancel or a close stops the server
                    async for text in reply:
                        if isinstance(text, Thought):
                            thoughts.append(text.text)
                            yield TeacherThinking(text.text)
                            continue
                        parts.append(text)
                        yield TeacherDelta(text, tuple(draft_steps("".join(parts))))
                usage = reply.usage
                break
            except LLMError as exc:
                if schema is not None and exc.status == 400 and not parts:
                    # An older or other Ollama-compatible server that rejects a JSON Schema
                    # `format`: ask again in plain text; the fallback parser reads lists.
                    schema = None
                    continue
                yield Failed(exc.kind, exc.message, "teacher", "".join(parts))
                return
        raw = "".join(parts)
        thinking = "".join(thoughts)
        steps = parse_steps(raw)
        if not steps:
            said = "only reasoned and wrote no steps" if thinking.strip() and not raw.strip() \
                else "replied without any steps I could read"
            yield Failed(ErrorKind.NO_STEPS, f"The teacher ({model}) {said}. Regenerate, or "
                         "write the steps yourself.", "teacher", raw)
            return
        step_set = await self._db(lambda s: s.add_step_set(
            problem.id, steps, StepOrigin.TEACHER, model=model, prompt_name=prompt.name,
            prompt_hash=prompt.hash, raw_output=raw, thinking=thinking))
        yield StepsReady(self._with_leaks(step_set, problem), problem, usage)

    async def save_steps(self, problem: ProblemView, steps: Sequence[str], *,
                         parent_id: int | None = None,
                         origin: StepOrigin = StepOrigin.EDITED,
                         origins: Sequence[int | None] | None = None,
                         base_id: int | None = None, model: str | None = None) -> StepSetView:
        """Store an edited (or hand-written) version of the steps; returns the new version.
        `origins` says, per step, which step of the version `base_id` it came from (None: a
        new step); History shows the changes by it."""
        cleaned = clean_steps(steps)
        # The origins go with the steps one for one: given for other steps than are saved
        # (blank ones the caller did not drop), they are not kept.
        kept = list(origins) if origins is not None and base_id is not None \
            and len(origins) == len(steps) == len(cleaned) else None
        step_set = await self._db(lambda s: s.add_step_set(
            problem.id, cleaned, origin, parent_id=parent_id, origins=kept,
            base_id=base_id if kept is not None else None, model=model))
        return self._with_leaks(step_set, problem)

    def _steps_text(self, step_set: StepSetView) -> str:
        """The steps as the student reads them: numbered, or, under a paper's preset, the
        teacher's reply as written when nobody edited it (as the paper passed it on)."""
        if self.preset.raw_steps and step_set.origin is StepOrigin.TEACHER \
                and step_set.raw_output:
            return step_set.raw_output
        return format_steps(step_set.steps)

    async def solve_reference(self, problem: ProblemView, *, model: str | None = None,
                              ) -> AsyncGenerator[EquationsEvent, None]:
        """Ask the teacher to write the problem as equations and solve them in the checker's
        worker: a reference no model's arithmetic produced. A problem without a reference gets
        the solved value (source "equations"); one with a reference is compared with it, and a
        disagreement is flagged (`agrees` False). Ends with EquationsReady or Failed."""
        model = model or self.config.model("teacher")
        prompt = self.prompt("teacher_equations")
        gateway = self.gateway("teacher")
        yield ModelLoading("teacher", model, gateway.host)
        parts: list[str] = []
        try:
            think = await self._think("teacher", model)
            reply = gateway.chat(model, prompt.messages(problem=problem.text),
                                 sampling=self._sampling("teacher"), **_think_option(think))
            async with contextlib.aclosing(reply):
                async for text in reply:
                    if isinstance(text, Thought):  # shown; the solver reads only the reply
                        yield TeacherThinking(text.text)
                        continue
                    parts.append(text)
                    yield TeacherDelta(text)
        except LLMError as exc:
            yield Failed(exc.kind, exc.message, "teacher", "".join(parts))
            return
        raw = "".join(parts)
        derived = await asyncio.to_thread(self.checker.derive, "equations", raw, problem.text)
        compared_with = problem.reference if problem.reference_source != "equations" else None
        agrees: bool | None = None
        if compared_with and derived.ok:
            result = await self.check_answer(compared_with, derived.value)
            agrees = None if result.status is CheckStatus.UNPARSEABLE \
                else result.status is CheckStatus.EQUIVALENT
        equation_set, now = await self._db(lambda s: s.add_equation_set(
            problem.id, derived, model=model, prompt_name=prompt.name,
            prompt_hash=prompt.hash, raw_output=raw, compared_with=compared_with,
            agrees=agrees, adopt=True))
        yield EquationsReady(equation_set, now)

    # -- the student -------------------------------------------------------------------------

    async def solve(self, problem: ProblemView, *, mode: Mode = Mode.STEPS,
                    step_set: StepSetView | None = None, model: str | None = None,
                    eval_run_id: int | None = None, reference: str | None = None,
                    seed: int | None = None) -> AsyncGenerator[SolveEvent, None]:
        """Stream the student's reply, check it, record it. Ends with AttemptDone or Failed.

        The attempt is committed half a second after it starts (then checkpointed every half
        second while it streams) or as it ends, whichever comes first, and finished with status
        `interrupted` (keeping the partial text) on an error or a cancel.
        """
        spec = BY_MODE[mode]
        if spec.needs_steps and (step_set is None or not step_set.steps):
            yield Failed(ErrorKind.INPUT, "There are no steps to follow: decompose the problem "
                         "or add steps first, or solve without steps.", "student")
            return
        model = model or self.config.model("student")
        prompts = [self.prompt(name) for name in spec.prompts]
        steps_text = self._steps_text(step_set) if step_set and spec.needs_steps else ""
        gateway = self.gateway("student")
        # What this attempt is graded against, kept with it: the problem's reference now, or
        # the one given (an eval's dataset answer).
        graded = reference if reference is not None else problem.reference
        sampling = self._sampling("student", seed)
        row = _AttemptRow(self.store, dict(
            reference=graded,
            problem_id=problem.id,
            step_set_id=step_set.id if step_set and spec.needs_steps else None,
            student_model=model, host=gateway.host, mode=mode,
            prompt_name="+".join(p.name for p in prompts),
            prompt_hash=prompts[0].hash if len(prompts) == 1 else _joint_hash(prompts),
            eval_run_id=eval_run_id, seed=sampling.seed, created=datetime.now(UTC)))
        parts: list[str] = []
        sections: list[tuple[int, int]] = []  # each prompt's reply in `parts` (the ensemble)
        thoughts: list[str] = []  # a thinking model's reasoning: stored apart, never graded
        usages: list[Usage | None] = []
        settled = False  # the row has its final status
        # A timer raises a flag for the partial text's checkpoints: per token, a flag costs
        # less than reading the clock.
        checkpoint_due = False

        def due() -> None:
            nonlocal checkpoint_due
            checkpoint_due = True
            if not row.written:
                # Half a second in, the attempt gets its row even while nothing has come yet
                # (a model loading, a long think): a killed process leaves it `interrupted`,
                # not absent. A direct write, quick; a failure surfaces at the next write.
                with contextlib.suppress(Exception):
                    row.checkpoint("".join(parts))

        loop = asyncio.get_running_loop()
        timer = loop.call_later(CHECKPOINT_SECONDS, due)
        try:
            yield ModelLoading("student", model, gateway.host)
            think = await self._think("student", model)
            for prompt in prompts:
                way = WAY_OF_PROMPT.get(prompt.name, "prose")
                # The ensemble: each way's reply under its heading; equations in a fence of
                # four backticks (a model's own ``` fits inside), as Markdown would run their
                # lines together.
                fenced = len(prompts) > 1 and way == "equations"
                if len(prompts) > 1:
                    heading = f"{chr(10) * 2 if parts else ''}### {WAY_TITLES[way]}\n\n" \
                              + ("````text\n" if fenced else "")
                    parts.append(heading)
                    yield StudentDelta(heading)
                start = len(parts)
                thought_heading = f"{chr(10) * 2 if thoughts else ''}### {WAY_TITLES[way]}\n\n" \
                    if len(prompts) > 1 else ""
                reply = gateway.chat(model, prompt.messages(problem=problem.text,
                                                            steps=steps_text),
                                     sampling=sampling, **_think_option(think))
                async with contextlib.aclosing(reply):  # a cancel or a close stops the server
                    async for text in reply:
                        if isinstance(text, Thought):
                            if thought_heading:  # the ensemble: each way's under its heading
                                thoughts.append(thought_heading)
                                yield StudentThinking(thought_heading)
                                thought_heading = ""
                            thoughts.append(text.text)
                            yield StudentThinking(text.text)
                            continue
                        parts.append(text)
                        yield StudentDelta(text)
                        if checkpoint_due:
                            checkpoint_due = False
                            await asyncio.to_thread(row.checkpoint, "".join(parts))
                            timer = loop.call_later(CHECKPOINT_SECONDS, due)
                usages.append(reply.usage)
                sections.append((start, len(parts)))
                if fenced:
                    parts.append("\n````")
                    yield StudentDelta("\n````")
            replies = ["".join(parts[a:b]) for a, b in sections]
            attempt = await self._grade_and_finish(row, graded, "".join(parts),
                                                   _total_usage(usages), spec, replies,
                                                   problem.text, "".join(thoughts))
            settled = True
        except LLMError as exc:
            await asyncio.to_thread(row.settle, status=AttemptStatus.INTERRUPTED,
                                    output="".join(parts), error=exc.message,
                                    thinking="".join(thoughts))
            settled = True
            yield Failed(exc.kind, exc.message, "student", "".join(parts))
            return
        finally:
            timer.cancel()
            if not settled:
                # Cancelled (Esc, Ctrl+C) or closed by the consumer: keep what arrived. This
                # write is synchronous on purpose: a cancelled task cannot await reliably; and
                # it must not replace the cancel with an error of its own.
                with contextlib.suppress(Exception):
                    row.settle(status=AttemptStatus.INTERRUPTED, output="".join(parts),
                               error="Cancelled.", thinking="".join(thoughts))
        yield AttemptDone(attempt)

    async def _grade_and_finish(self, row: _AttemptRow, reference: str | None, output: str,
                                usage: Usage | None, spec: ModeSpec, replies: list[str],
                                problem_text: str, thinking: str = "") -> AttemptView:
        def grade_and_store() -> AttemptView | None:  # one trip to a worker thread for all
            ways = [self._way_answer(WAY_OF_PROMPT.get(name, "prose"), text, problem_text)
                    for name, text in zip(spec.prompts, replies, strict=True)]
            detail: dict[str, Any] | None = None
            if spec.answer == "majority":
                answer, votes = self._majority(ways)
                detail = {"ways": [_way_dict(w) for w in ways], "votes": votes}
                result = self._check(reference, answer)
            else:
                (way,) = ways
                answer = way.answer
                if spec.answer != "prose":
                    detail = {"ways": [_way_dict(way)]}
                if answer is None and spec.answer != "prose":
                    # The solver or the interpreter gave no value: say which and why.
                    result = CheckResult(CheckStatus.UNPARSEABLE,
                                         f"{spec.answer}_{way.status}", reference or "", "")
                elif answer is None and way.status != "no_answer" and reference:
                    # Not "no answer" when the reply was too long (or deep) to read one from.
                    result = CheckResult(CheckStatus.UNPARSEABLE, way.status, reference, "")
                else:
                    result = self._check(reference, answer)
            if answer is None and thinking.strip() and not any(r.strip() for r in replies):
                # It reasoned and never replied (often: out of tokens mid-thought). Reasoning
                # is never read for an answer, so there is none to grade: say why.
                cut = usage is not None and usage.done_reason == "length"
                result = CheckResult(CheckStatus.UNPARSEABLE,
                                     "reasoning_cut" if cut else "reasoning_only",
                                     reference or "", "")
            return row.settle(status=AttemptStatus.FINISHED, output=output, answer=answer,
                              verdict=result.verdict, verdict_reason=result.reason,
                              reference_norm=result.gold_norm, answer_norm=result.pred_norm,
                              usage=usage, detail=detail, thinking=thinking)

        attempt = await asyncio.to_thread(grade_and_store)
        assert attempt is not None  # only a cancel settles the row first, and this awaited it
        return attempt

    def _way_answer(self, way: str, text: str, problem_text: str) -> WayAnswer:
        """One way's answer (synchronous: a worker thread): the reply's final answer for
        prose, else what the checker's worker computes from its equations or program."""
        if way == "prose":
            from tot_tui.check.extract import extract_with_reason

            answer, why_none = extract_with_reason(text)
            return WayAnswer("prose", answer, "read" if answer is not None else
                             (why_none or "no_answer"),
                             "" if answer is not None else "no final answer in the reply")
        derived = self.checker.derive(way, text, problem_text)
        return WayAnswer(way, derived.value if derived.ok else None, str(derived.status),
                         derived.reason)

    def _majority(self, ways: list[WayAnswer]) -> tuple[str | None, int]:
        """The answer most ways agree on (by the checker's equivalence); with no two in
        agreement, the first way's (the steps-guided prose), with one vote."""
        from tot_tui.tutor.vote import majority_vote

        def same(a: str, b: str) -> bool:
            return self.checker.check(a, b).status is CheckStatus.EQUIVALENT

        return majority_vote([w.answer for w in ways], same)

    async def check_answer(self, reference: str | None, answer: str | None) -> CheckResult:
        """Compare an answer with the reference in the killable checker; never raises."""
        return await asyncio.to_thread(self._check, reference, answer)

    def _check(self, reference: str | None, answer: str | None) -> CheckResult:
        if not reference:
            return CheckResult(CheckStatus.UNPARSEABLE, "no_reference", "", answer or "")
        if not answer or not answer.strip():
            return CheckResult(CheckStatus.UNPARSEABLE, "no_answer", reference, "")
        return self.checker.check(reference, answer)

    async def answer_as_human(self, problem: ProblemView, answer: str,
                              hints_shown: int = 0) -> tuple[HumanAnswerView, CheckResult]:
        answer = answer.strip()
        if not answer:
            raise InputError("Type your answer first.")
        _check_answer_length(answer, "answer")
        result = await self.check_answer(problem.reference, answer)
        view = await self._db(lambda s: s.add_human_answer(
            problem.id, answer, result.verdict, result.reason, hints_shown))
        return view, result

    # -- the whole loop (CLI) ----------------------------------------------------------------

    async def run(self, text: str, reference: str | None = None, *,
                  steps: Sequence[str] | None = None, mode: Mode = Mode.STEPS,
                  equations: bool = False) -> AsyncGenerator[TutorEvent, None]:
        """Problem → (the teacher's equations: a reference) → steps (teacher, or given) →
        student → verdict, all recorded. With `equations`, a problem with no reference gets
        the one solved from the teacher's equations, and a given one is checked against it."""
        problem = await self.add_problem(text, reference, replace_reference=True)
        if equations:
            async for eq_event in self.solve_reference(problem):
                yield eq_event
                if isinstance(eq_event, EquationsReady):
                    problem = eq_event.problem
        step_set: StepSetView | None = None
        if BY_MODE[mode].needs_steps:
            if steps is not None:
                step_set = await self.save_steps(problem, steps, origin=StepOrigin.FILE)
                yield StepsReady(step_set, problem)
            else:
                async for event in self.decompose(problem):
                    yield event
                    if isinstance(event, Failed):
                        return
                    if isinstance(event, StepsReady):
                        step_set = event.step_set
        async for solve_event in self.solve(problem, mode=mode, step_set=step_set):
            yield solve_event

    # -- history -----------------------------------------------------------------------------

    async def history(self, *, query: str = "", verdict: Verdict | None = None,
                      model: str | None = None, eval_run_id: int | None = None,
                      limit: int = 200, after: ProblemSummary | None = None,
                      ) -> list[ProblemSummary]:
        """A page of the history, newest first; the next page is the one `after` its last
        row."""
        key = None if after is None else (after.created, after.id)
        if self._store is None:  # nothing has opened the store (the CLI): no ORM needed
            from tot_tui.store import listing

            def light() -> list[ProblemSummary] | None:
                conn = listing.open_file(self.config.paths.database)
                if conn is None:  # missing or unwritable: the store says what is wrong
                    return None
                try:
                    return listing.page(conn, query=query, verdict=verdict, model=model,
                                        eval_run_id=eval_run_id, limit=limit, after=key)
                finally:
                    conn.close()

            rows = await asyncio.to_thread(light)
            if rows is not None:
                return rows
        return await self._db(lambda s: s.list_problems(
            query=query, verdict=verdict, model=model, eval_run_id=eval_run_id, limit=limit,
            after=key))

    async def count_history(self, *, query: str = "", verdict: Verdict | None = None,
                            model: str | None = None, eval_run_id: int | None = None) -> int:
        return await self._db(lambda s: s.count_problems(
            query=query, verdict=verdict, model=model, eval_run_id=eval_run_id))

    async def history_ids(self, *, query: str = "", verdict: Verdict | None = None,
                          model: str | None = None, eval_run_id: int | None = None,
                          ) -> list[int]:
        """The ids of every problem on every page of `history` with these filters."""
        return await self._db(lambda s: s.problem_ids(
            query=query, verdict=verdict, model=model, eval_run_id=eval_run_id))

    async def history_models(self) -> list[str]:
        return await self._db(lambda s: s.model_names())

    async def index_replies(self) -> int:
        """Bring the search index up to date with the replies settled since it last was (a
        search finds those anyway, more slowly): run it when idle, never before a search."""
        return await self._db(lambda s: s.index_pending())

    async def eval_runs(self, limit: int = 100) -> list[EvalRunSummary]:
        """Batch evaluation runs, newest first; open one with `history(eval_run_id=...)`."""
        from tot_tui.store.eval_runs import list_runs

        return await asyncio.to_thread(lambda: list_runs(self.store, limit))

    async def problem_detail(self, problem_id: int) -> ProblemDetail | None:
        detail = await self._db(lambda s: s.problem_detail(problem_id))
        if detail is not None:
            for step_set in detail.step_sets:
                self._with_leaks(step_set, detail.problem)
        return detail

    async def delete_problem(self, problem_id: int) -> bool:
        return await self._db(lambda s: s.delete_problem(problem_id))

    async def export(self, problem_ids: Sequence[int] | None, fmt: str) -> str:
        """The export as one string (for small ones; `export_to` streams)."""
        parts: list[str] = []
        await self.export_to(problem_ids, fmt, parts.append)
        return "".join(parts)

    async def export_to(self, problem_ids: Sequence[int] | None, fmt: str,
                        write: Callable[[str], object]) -> int:
        """Markdown, JSON or CSV of the given problems (all when None), handed to `write`
        piece by piece from a worker thread; returns how many problems were written."""
        from tot_tui.tutor.export import normal_format, pieces

        fmt = normal_format(fmt)
        if problem_ids is not None:
            ids = list(problem_ids)
            found = set(await self._db(lambda s: s.existing_problem_ids(ids)))
            missing = sorted(set(ids) - found)
            if missing:
                listed = ", ".join(f"#{i}" for i in missing[:10]) + \
                    (" …" if len(missing) > 10 else "")
                raise InputError(f"No problem {listed} in the history (`tot-tui history` "
                                 "lists them); nothing was exported.")

        def run(store: HistoryStore) -> int:
            ids = store.all_problem_ids() if problem_ids is None else list(problem_ids)
            count = 0

            def counted() -> Iterator[ProblemDetail]:
                nonlocal count
                for detail in store.iter_details(ids):
                    count += 1
                    yield detail

            for piece in pieces(counted(), fmt):
                write(piece)
            return count

        return await self._db(run)

    async def export_file(self, problem_ids: Sequence[int] | None, fmt: str,
                          path: Path) -> int:
        """`export_to` a file. It is written beside `path` and replaces it when complete, so a
        failed export leaves no half-written file (and an old one untouched). The file is
        opened, written and closed in worker threads; returns how many problems."""
        from tot_tui.tutor.export import write_atomically

        return await write_atomically(
            path, lambda write: self.export_to(problem_ids, fmt, write))

    async def export_sft(self, path: Path, filters: SftFilters) -> SftCounts:
        """Distillation data (tot_tui/tutor/sft.py): the verified teacher outputs among the
        problems the filters select, as chat-format JSONL in `path`, read in batches and
        written beside it, replacing it when complete. Returns what was kept and dropped;
        raises NothingToExport (and writes nothing) when no line was kept."""
        from tot_tui.tutor.export import write_atomically
        from tot_tui.tutor.sft import KINDS, NothingToExport, SftBuilder

        if filters.kind not in KINDS:
            raise InputError(f"Unknown kind {filters.kind!r}; choose one of {', '.join(KINDS)}.")
        if filters.problem_ids is not None:
            ids = list(filters.problem_ids)
            missing = sorted(set(ids) - set(await self._db(lambda s: s.existing_problem_ids(ids))))
            if missing:
                raise InputError(f"No problem {', '.join(f'#{i}' for i in missing[:10])} in the "
                                 "history (`tot-tui history` lists them); nothing was exported.")
        run_id = filters.eval_run_id
        if run_id is not None and await self._db(lambda s: s.get_eval_run(run_id)) is None:
            raise InputError(f"No eval run #{run_id} in the history (the app's History "
                             "lists the runs); nothing was exported.")
        builder = SftBuilder(self.prompt("teacher"), self.prompt("teacher_equations"),
                             structured_steps=self.preset.structured_steps,
                             preset=self.preset.name, filters=filters, check=self._check)

        def run(store: HistoryStore, write: Callable[[str], object]) -> SftCounts:
            ids = store.teacher_output_problem_ids(
                problem_ids=filters.problem_ids, eval_run_id=run_id, dataset=filters.dataset,
                model=filters.model)
            for detail in store.iter_details(ids):
                for line in builder.lines(detail):
                    write(line)
            return builder.counts

        counts = await write_atomically(
            path, lambda write: self._db(lambda s: run(s, write)), keep=lambda c: c.kept > 0)
        if not counts.kept:
            scope = filters.describe()
            what = "no teacher output" if not counts.problems else "no verified teacher output"
            where = f" matches {scope}" if scope else " is in the history"
            raise NothingToExport(f"nothing to export: {what}{where}"
                                  + (f" ({counts.summary()})" if counts.problems else "")
                                  + f"; {path} was not written.", counts)
        return counts

    # -- models ------------------------------------------------------------------------------

    async def host_status(self, role: Role) -> HostStatus:
        return await self.gateway(role).status()

    async def setup_problem(self, role: Role, model: str) -> str | None:
        """What stops `model` from running on the role's host (server down, model missing), or
        None. A host that answers but cannot list its models is not blocked: the first request
        will say."""
        gateway = self.gateway(role)
        try:
            names = {info.name for info in await gateway.list_models()}
        except LLMError as exc:
            return exc.message if exc.is_setup_problem else None
        if names and _model_key(model) not in {_model_key(n) for n in names}:
            return model_missing(gateway.host, model).message
        return None

    async def list_models(self, role: Role) -> list[ModelInfo]:
        return await self.gateway(role).list_models()

    async def pull(self, model: str, role: Role = "student") -> AsyncGenerator[PullProgress, None]:
        async for progress in self.gateway(role).pull(model):
            yield progress


def _joint_hash(prompts: Sequence[Prompt]) -> str:
    import hashlib

    return hashlib.sha256("+".join(p.hash for p in prompts).encode()).hexdigest()[:12]


def _total_usage(usages: Sequence[Usage | None]) -> Usage | None:
    """One attempt's figures over its requests (the ensemble makes three)."""
    known = [u for u in usages if u is not None]
    if len(known) <= 1:
        return known[0] if known else None

    def total(name: str) -> int | None:
        values = [getattr(u, name) for u in known if getattr(u, name) is not None]
        return sum(values) if values else None

    return Usage(total("prompt_tokens"), total("output_tokens"), total("total_ns"),
                 total("load_ns"), total("prompt_ns"), total("generate_ns"),
                 known[-1].done_reason, total("queue_ns"))


def _way_dict(way: WayAnswer) -> dict[str, Any]:
    return {"way": way.way, "answer": way.answer, "status": way.status, "note": way.note}


class _AttemptRow:
    """One attempt's row, written half a second after the attempt starts (a `running` row,
    even before any text) or, if it ends sooner, as it ends (settled, in one statement: most
    answers end first). Every write holds one lock, so a write still running
    in a thread after a cancel and the cancel's own write cannot both insert a row."""

    def __init__(self, store: HistoryStore, fields: dict[str, Any]) -> None:
        self._store, self._fields = store, fields
        self._id: int | None = None
        self._settled = False
        self._lock = threading.Lock()

    @property
    def written(self) -> bool:
        return self._id is not None or self._settled

    def checkpoint(self, output: str) -> None:
        with self._lock:
            if self._settled:
                return
            if self._id is None:
                self._id = self._store.start_attempt(**self._fields, output=output)
            else:
                self._store.checkpoint_attempt(self._id, output)

    def settle(self, **values: Any) -> AttemptView | None:
        """The row with its final status; None if an earlier write has settled it already."""
        with self._lock:
            if self._settled:
                return None
            if self._id is None:
                view = self._store.add_attempt(**self._fields, **values)
            else:
                view = self._store.finish_attempt(self._id, **values)
            self._settled = True
            return view


def _think_option(think: bool | None) -> dict[str, Any]:
    """`think` as a keyword for `Backend.chat`, left out when there is nothing to send."""
    return {} if think is None else {"think": think}


def _model_key(name: str) -> str:
    """Ollama's name resolution: case-insensitive, and a name without a tag means `:latest`."""
    name = name.strip().lower()
    return name if ":" in name.rsplit("/", 1)[-1] else name + ":latest"
