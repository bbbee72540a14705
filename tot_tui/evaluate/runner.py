"""Run an evaluation: teacher steps per item (for `tot`), then every student in every mode.

Every request goes through the `Tutor`, so every attempt is checked and stored like any other,
tagged with the run id. Scheduling: at most K requests in flight; each (host, model) has its own
ready queue, and a free slot goes to the model with the fewest requests in flight (then the
earliest item), because an Ollama host queues requests per model — piling K requests on one
model while another idles only makes them wait (and can trip the first-token timeout).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ParamSpec, TypeVar, assert_never

from tot_tui.domain import (
    SETUP_KINDS,
    AttemptDone,
    ErrorKind,
    Failed,
    ModelLoading,
    Role,
    StepSetView,
    StepsReady,
    StudentDelta,
    StudentThinking,
    TeacherDelta,
    TeacherThinking,
)
from tot_tui.evaluate.datasets import Item
from tot_tui.evaluate.results import RunData, Triple, is_correct
from tot_tui.evaluate.spec import RunSpec
from tot_tui.modes import BY_NAME
from tot_tui.store import eval_runs

if TYPE_CHECKING:
    from tot_tui.domain import AttemptView, ProblemView
    from tot_tui.evaluate.progress import Progress
    from tot_tui.tutor.session import Tutor

# Failures that no retry can fix and that would fail every other request too: stop the run.
NO_RETRY_KINDS = frozenset({ErrorKind.INPUT})

P = ParamSpec("P")
R = TypeVar("R")


class JobFailed(Exception):
    def __init__(self, kind: ErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


class FatalError(JobFailed):
    """The server is gone or a model is missing: the run stops, resumable."""


@dataclass(order=True, slots=True)
class _Job:
    # (item position, kind, student, mode, sample): earliest first
    priority: tuple[int, int, int, int, int]
    group: tuple[str, str] = field(compare=False)  # (host, model): one Ollama queue
    index: int = field(compare=False)  # dataset item index
    student: str | None = field(compare=False, default=None)  # None: the teacher job
    mode: str | None = field(compare=False, default=None)
    sample: int = field(compare=False, default=0)  # which of the --samples K answers


@dataclass(slots=True)
class RunOutcome:
    status: str  # "finished", "incomplete" (some items failed) or "interrupted"
    fatal: FatalError | None = None
    errors: dict[Triple, str] = field(default_factory=dict)  # failed after retries
    unfixable: set[Triple] = field(default_factory=set)  # of those, input no resume can fix


class EvalRunner:
    def __init__(self, tutor: Tutor, run_id: int, spec: RunSpec, items: dict[int, Item],
                 data: RunData, *, concurrency: int = 2, per_model: int | None = None,
                 retries: int = 2, retry_delay: float = 1.0,
                 progress: Progress | None = None) -> None:
        self.tutor = tutor
        self.store = tutor.store
        self.run_id = run_id
        self.spec = spec
        self.items = items
        self.data = data
        self.k = max(1, concurrency)
        self.per_model = max(1, per_model) if per_model else self.k
        self.retries = max(0, retries)
        self.retry_delay = retry_delay
        self.progress = progress
        self.outcome = RunOutcome("running")
        self._position = {index: pos for pos, index in enumerate(spec.indices)}
        self._ready: dict[tuple[str, str], list[_Job]] = defaultdict(list)
        self._in_flight: dict[tuple[str, str], int] = defaultdict(int)
        self._waiting_steps: dict[int, list[_Job]] = defaultdict(list)  # tot jobs per item
        self._steps: dict[int, StepSetView] = {}
        self._problems: dict[int, ProblemView] = {}
        self._text_locks: dict[str, asyncio.Lock] = {}
        self._teacher_locks: dict[int, asyncio.Lock] = {}
        self._label = "dataset:" + (spec.dataset if spec.dataset in ("gsm8k", "math500")
                                    else spec.dataset.rsplit("/", 1)[-1])

    # -- planning ----------------------------------------------------------------------------

    def _group(self, role: Role, model: str) -> tuple[str, str]:
        return (self.tutor.config.host(role), model)

    def _plan(self, pending: list[tuple[Triple, int]]) -> None:
        students = {s: i for i, s in enumerate(self.spec.students)}
        modes = {m: i for i, m in enumerate(BY_NAME)}
        needs_teacher: set[int] = set()
        for (index, student, mode), sample in pending:
            pos = self._position[index]
            job = _Job((pos, 1, students[student], modes[mode], sample),
                       self._group("student", student), index, student, mode, sample)
            if BY_NAME[mode].needs_steps:
                self._waiting_steps[index].append(job)
                needs_teacher.add(index)
            else:
                heapq.heappush(self._ready[job.group], job)
        assert self.spec.teacher or not needs_teacher
        for index in needs_teacher:
            job = _Job((self._position[index], 0, 0, 0, 0),
                       self._group("teacher", self.spec.teacher or ""), index)
            heapq.heappush(self._ready[job.group], job)

    def _next_job(self) -> _Job | None:
        best: tuple[tuple[int, tuple[int, int, int, int, int]], tuple[str, str]] | None = None
        for group, heap in self._ready.items():
            if not heap or self._in_flight[group] >= self.per_model:
                continue
            key = (self._in_flight[group], heap[0].priority)
            if best is None or key < best[0]:
                best = (key, group)
        return heapq.heappop(self._ready[best[1]]) if best else None

    # -- the loop ----------------------------------------------------------------------------

    async def run(self) -> RunOutcome:
        """Do every pending triple. Returns the outcome; a fatal error is in `outcome.fatal`.

        Cancelling this coroutine cancels the requests in flight (their attempts are stored as
        interrupted, to be redone on resume) and re-raises.
        """
        pending = self.data.pending(self.spec)
        self._plan(pending)
        if self.progress is not None:
            self.progress.start(len(pending), self.data, self.spec)
        tasks: dict[asyncio.Task[None], _Job] = {}
        try:
            while True:
                while len(tasks) < self.k and (job := self._next_job()) is not None:
                    self._in_flight[job.group] += 1
                    tasks[asyncio.create_task(self._run_job(job))] = job
                if not tasks:
                    break
                done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    job = tasks.pop(task)
                    self._in_flight[job.group] -= 1
                    exc = task.exception()
                    if exc is not None:
                        raise exc
        except FatalError as exc:
            self.outcome.fatal = exc
            self.outcome.status = "interrupted"
        finally:
            for task in tasks:
                task.cancel()
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
            if self.progress is not None:
                self.progress.finish()
        if self.outcome.fatal is None:
            self.outcome.status = "incomplete" if self.outcome.errors else "finished"
        return self.outcome

    async def _run_job(self, job: _Job) -> None:
        if job.student is None:
            await self._teacher_job(job)
        else:
            await self._student_job(job)

    async def _with_retries(self, fn: Callable[[], Awaitable[R]]) -> R:
        for attempt_no in range(self.retries + 1):
            try:
                return await fn()
            except FatalError:
                raise
            except JobFailed as exc:
                if exc.kind in SETUP_KINDS:
                    raise FatalError(exc.kind, exc.message) from exc
                if exc.kind in NO_RETRY_KINDS or attempt_no == self.retries:
                    raise
                if self.progress is not None:
                    self.progress.note(f"retrying after: {exc.message}")
                await asyncio.sleep(self.retry_delay * 2 ** attempt_no)
        raise AssertionError("unreachable")

    async def _db(self, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        return await asyncio.to_thread(fn, *args, **kwargs)

    async def _problem(self, index: int) -> ProblemView:
        """The problem for an item, created once and linked to the run."""
        if index in self._problems:
            return self._problems[index]
        item = self.items[index]
        # One lock per text: two concurrent add_problem calls for a new text would insert it
        # twice (duplicate items, or an item's teacher and baseline jobs starting together).
        lock = self._text_locks.setdefault(item.question, asyncio.Lock())
        async with lock:
            if index not in self._problems:
                from tot_tui.tutor.session import InputError

                try:
                    problem = await self.tutor.add_problem(item.question, item.answer, self._label)
                except InputError as exc:
                    raise JobFailed(ErrorKind.INPUT, f"item {index}: {exc}") from exc
                await self._db(eval_runs.link_item, self.store, self.run_id, index, problem.id)
                self._problems[index] = problem
        return self._problems[index]

    # -- teacher -----------------------------------------------------------------------------

    async def _teacher_job(self, job: _Job) -> None:
        index = job.index
        try:
            step_set = await self._with_retries(lambda: self._decompose(index))
        except FatalError:
            raise
        except JobFailed as exc:
            for waiting in self._waiting_steps.pop(index, []):
                self._fail(waiting, f"the teacher gave no steps: {exc.message}", exc.kind)
            return
        self._steps[index] = step_set
        for waiting in self._waiting_steps.pop(index, []):
            heapq.heappush(self._ready[waiting.group], waiting)

    async def _decompose(self, index: int) -> StepSetView:
        problem = await self._problem(index)
        # Two items with one text share one step set: ask the teacher once.
        lock = self._teacher_locks.setdefault(problem.id, asyncio.Lock())
        async with lock:
            started = time.monotonic()
            asked, chunks = False, 0
            step_set: StepSetView | None = None
            # aclosing: the stream is cleaned up in this task, even when we leave it early.
            async with contextlib.aclosing(self.tutor.decompose(
                    problem, model=self.spec.teacher, reuse=True)) as events:
                async for event in events:
                    match event:
                        case ModelLoading():
                            asked = True
                        case TeacherDelta():
                            chunks += 1
                        case TeacherThinking():
                            pass  # kept with the step set; the report counts it from there
                        case StepsReady():
                            step_set = event.step_set
                        case Failed():
                            await self._db(eval_runs.set_item_teacher, self.store, self.run_id,
                                           index, step_set_id=None, reused=None, ms=None,
                                           chunks=chunks, error=event.message)
                            raise JobFailed(event.kind, event.message)
                        case _:
                            assert_never(event)
            assert step_set is not None
            ms = int((time.monotonic() - started) * 1000)
            await self._db(eval_runs.set_item_teacher, self.store, self.run_id, index,
                           step_set_id=step_set.id, reused=not asked,
                           ms=ms if asked else 0, chunks=chunks)
        return step_set

    # -- students ----------------------------------------------------------------------------

    async def _student_job(self, job: _Job) -> None:
        assert job.student is not None and job.mode is not None
        try:
            attempt = await self._with_retries(lambda: self._solve(job))
        except FatalError:
            raise
        except JobFailed as exc:
            self._fail(job, exc.message, exc.kind)
            return
        triple = (job.index, job.student, job.mode)
        self.data.add(triple, job.sample, attempt)
        if self.progress is not None:
            self.progress.advance(job.student, job.mode, is_correct(attempt))

    async def _solve(self, job: _Job) -> AttemptView:
        assert job.student is not None and job.mode is not None
        problem = await self._problem(job.index)
        spec = BY_NAME[job.mode]
        step_set = self._steps.get(job.index) if spec.needs_steps else None
        # Each of K samples gets its own seed, so that they can differ (at a temperature
        # above 0) and a rerun draws the same ones.
        seed = None if self.spec.samples == 1 else self.spec.sample_seed(job.sample)
        async with contextlib.aclosing(self.tutor.solve(
                problem, mode=spec.mode, step_set=step_set, model=job.student,
                eval_run_id=self.run_id, reference=self.items[job.index].answer,
                seed=seed)) as events:
            async for event in events:
                match event:
                    case AttemptDone():
                        return event.attempt
                    case Failed():
                        raise JobFailed(event.kind, event.message)
                    case ModelLoading() | StudentDelta() | StudentThinking():
                        pass
                    case _:
                        assert_never(event)
        raise JobFailed(ErrorKind.INTERNAL, "the student's stream ended without a result")

    def _fail(self, job: _Job, message: str, kind: ErrorKind) -> None:
        assert job.student is not None and job.mode is not None
        triple = (job.index, job.student, job.mode)
        self.outcome.errors[triple] = message
        if kind in NO_RETRY_KINDS:
            self.outcome.unfixable.add(triple)
        if self.progress is not None:
            self.progress.failed(job.student, job.mode, message)
