"""Plain data shared by every layer: problems, steps, attempts, verdicts and tutor events.

Nothing heavy is imported here, so the UI can use these types before sympy, sqlmodel or the
ollama client are loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

# Roles and error kinds live apart (tot_tui.kinds) so the path to the first paint can use them
# without building every dataclass here; they are part of the domain all the same.
from tot_tui.kinds import ROLES as ROLES
from tot_tui.kinds import SETUP_KINDS as SETUP_KINDS
from tot_tui.kinds import ErrorKind as ErrorKind
from tot_tui.kinds import Mode as Mode
from tot_tui.kinds import Role as Role


class CheckStatus(StrEnum):
    """What the answer checker concluded (tot_tui/check/POLICY.md §0)."""

    EQUIVALENT = "equivalent"
    NOT_EQUIVALENT = "not_equivalent"
    UNPARSEABLE = "unparseable"


class Verdict(StrEnum):
    """What a person is told about an answer."""

    CORRECT = "correct"
    INCORRECT = "incorrect"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The checker's answer for one (gold, pred) pair.

    `gold_norm` and `pred_norm` are short normalised forms for display ("3/4", "0.75"); they are
    empty when a side could not be read.
    """

    status: CheckStatus
    reason: str
    gold_norm: str = ""
    pred_norm: str = ""

    @property
    def verdict(self) -> Verdict:
        if self.status is CheckStatus.EQUIVALENT:
            return Verdict.CORRECT
        if self.status is CheckStatus.NOT_EQUIVALENT:
            return Verdict.INCORRECT
        return Verdict.UNKNOWN


class StepOrigin(StrEnum):
    TEACHER = "teacher"
    EDITED = "edited"
    FILE = "file"
    DRAFT = "draft"  # a teacher's reply cut short (cancelled or failed), saved as it came

    @property
    def label(self) -> str:
        return "teacher's draft, cut short" if self is StepOrigin.DRAFT else self.value


class AttemptStatus(StrEnum):
    RUNNING = "running"  # being streamed; checkpointed so a killed process loses little
    FINISHED = "finished"
    INTERRUPTED = "interrupted"  # error, cancel or a cut stream; partial text kept


class DerivedStatus(StrEnum):
    """What reading a model's equations or program gave (tot_tui/check/derive.py)."""

    SOLVED = "solved"  # one value for the answer
    AMBIGUOUS = "ambiguous"  # several values and no stated condition picks one
    NO_SOLUTION = "no_solution"  # inconsistent equations, or no value meets the conditions
    UNDERDETERMINED = "underdetermined"  # the answer is not fixed by the equations
    REFUSED = "refused"  # not in the allowed form (junk, a construct we do not evaluate)
    FAILED = "failed"  # the worker's deadline or memory cap stopped it


@dataclass(frozen=True, slots=True)
class Derived:
    """An answer computed by the checker's worker from a model's equations or program: the
    arithmetic is the solver's, never the model's. `value` is text the checker reads."""

    kind: str  # "equations" or "program"
    status: DerivedStatus
    value: str | None
    reason: str  # one sentence a person can read

    @property
    def ok(self) -> bool:
        return self.status is DerivedStatus.SOLVED and self.value is not None


@dataclass(slots=True)
class Usage:
    """What one reply cost, whichever server sent it: tokens, and durations in nanoseconds
    where the server (or, failing that, the client's clock) says. None: not reported.

    `total_ns` runs from the request to the end; within it `queue_ns` is the wait before the
    server started on it (busy with other requests), then `load_ns`, `prompt_ns` (reading
    the prompt) and `generate_ns` (writing the reply). Schema v15 renamed Ollama's
    `prompt_eval_ns`/`eval_ns` to these."""

    prompt_tokens: int | None = None
    output_tokens: int | None = None
    total_ns: int | None = None
    load_ns: int | None = None
    prompt_ns: int | None = None
    generate_ns: int | None = None
    done_reason: str | None = None
    queue_ns: int | None = None

    @property
    def work_ns(self) -> int | None:
        """The request's time without the queue: what the model itself took."""
        if self.total_ns is None:
            return None
        return max(0, self.total_ns - (self.queue_ns or 0))

    @property
    def tokens_per_second(self) -> float | None:
        """Generation speed: output tokens over the generation time alone."""
        if not self.output_tokens or not self.generate_ns:
            return None
        return self.output_tokens / (self.generate_ns / 1e9)


@dataclass(slots=True)
class ProblemView:
    id: int
    text: str
    reference: str | None
    reference_source: str | None
    created: datetime
    # Set by the call that replaced the problem's reference: the one it had (not stored).
    replaced_reference: str | None = None


@dataclass(slots=True)
class StepSetView:
    id: int
    problem_id: int
    version: int
    steps: list[str]
    origin: StepOrigin
    parent_id: int | None
    model: str | None
    prompt_name: str | None
    created: datetime
    leaks: list[int] = field(default_factory=list)  # indices of steps that state the answer
    raw_output: str | None = None  # the teacher's reply as written (None: not a teacher's)
    # An edited version: each step's index in the base version `base_id`, None for a new step.
    origins: list[int | None] | None = None
    base_id: int | None = None
    # A teacher's version (schema v15): what asking for it cost, its reasoning (a thinking
    # model's, kept apart from the reply), the backend kind that served it, how the steps were
    # asked for ("json_schema", "json_object" or "plain": each fallback is recorded) and a
    # notice for the reader (a fallback taken, a reply that was not steps).
    usage: Usage | None = None
    thinking: str | None = None
    backend: str | None = None
    structured: str | None = None
    notice: str | None = None


@dataclass(slots=True)
class AttemptView:
    id: int
    problem_id: int
    step_set_id: int | None
    student_model: str
    mode: Mode
    status: AttemptStatus
    output: str
    answer: str | None
    verdict: Verdict
    verdict_reason: str
    reference_norm: str
    answer_norm: str
    usage: Usage
    error: str | None
    prompt_name: str
    prompt_hash: str
    created: datetime
    eval_run_id: int | None = None
    reference: str | None = None  # what it was graded against (None: before schema v10)
    # Equations, programs and the ensemble: how each way reached its answer (schema v13).
    ways: list[WayAnswer] = field(default_factory=list)
    votes: int | None = None  # the ensemble: how many ways gave the chosen answer
    seed: int | None = None  # the sampling seed it was asked with (None: none, or before v14)
    thinking: str | None = None  # a thinking model's reasoning, apart from `output` (v15)
    backend: str | None = None  # the backend kind that served it: "ollama", "openai" (v15)


@dataclass(frozen=True, slots=True)
class WayAnswer:
    """One way an attempt reached an answer: "prose" (read from the reply), "equations" (the
    solver on the reply's equations) or "program" (the interpreter on its program)."""

    way: str
    answer: str | None
    status: str  # a DerivedStatus value, or "read" / "no_answer" for prose
    note: str  # one sentence: what the solver or the reader said


@dataclass(slots=True)
class EquationSetView:
    """A teacher's equations for a problem and what the solver made of them: a reference no
    model's arithmetic produced. `agrees` compares it with the reference the problem had then
    (None: there was none, or it could not be compared)."""

    id: int
    problem_id: int
    model: str | None
    derived: Derived
    raw_output: str
    created: datetime
    compared_with: str | None = None
    agrees: bool | None = None


@dataclass(slots=True)
class HumanAnswerView:
    id: int
    problem_id: int
    answer: str
    verdict: Verdict
    verdict_reason: str
    hints_shown: int
    created: datetime


@dataclass(slots=True)
class ProblemSummary:
    """One row of the history list."""

    id: int
    text: str
    reference: str | None
    created: datetime
    teacher_models: list[str]
    student_models: list[str]
    attempts: int
    correct: int
    last_verdict: Verdict | None


@dataclass(slots=True)
class ProblemDetail:
    problem: ProblemView
    step_sets: list[StepSetView]
    attempts: list[AttemptView]
    human_answers: list[HumanAnswerView]
    equation_sets: list[EquationSetView] = field(default_factory=list)


@dataclass(slots=True)
class EvalRunSummary:
    """One row of a list of eval runs (for the history screen and `--resume` hints)."""

    id: int
    dataset: str
    status: str
    created: datetime | None
    finished: datetime | None
    config: dict[str, Any]
    items: int  # items of the run (from its stored item list)
    attempts: int  # finished attempts
    correct: int


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """One model on an Ollama host, as the pickers show it."""

    name: str
    size: int = 0
    family: str = ""
    parameter_size: str = ""
    quantization: str = ""
    modified: str = ""


@dataclass(frozen=True, slots=True)
class PullProgress:
    status: str
    completed: int | None = None
    total: int | None = None

    @property
    def fraction(self) -> float | None:
        if self.total and self.completed is not None:
            return min(1.0, self.completed / self.total)
        return None


@dataclass(frozen=True, slots=True)
class HostStatus:
    """Whether a host answers, its Ollama version and its models; `error` says what to do."""

    host: str
    ok: bool
    version: str = ""
    models: tuple[ModelInfo, ...] = ()
    error: str = ""


# ---------------------------------------------------------------------------------------------
# Events emitted by the tutoring core as an async stream. The UI renders them, the CLI prints
# them, the evaluator counts them.


@dataclass(frozen=True, slots=True)
class ModelLoading:
    """A request was sent and no token has arrived yet (the model may be loading)."""

    role: Role
    model: str
    host: str


@dataclass(frozen=True, slots=True)
class TeacherDelta:
    text: str  # the new text
    draft: tuple[str, ...] = ()  # the steps readable so far; the last may be partial


@dataclass(frozen=True, slots=True)
class StepsReady:
    step_set: StepSetView
    problem: ProblemView
    usage: Usage | None = None  # the teacher's figures; None when the steps were reused or given


@dataclass(slots=True)  # one per token: a frozen dataclass's init costs 3x
class StudentDelta:
    text: str


# A thinking model's reasoning, streamed apart from its reply (one event per piece, as the
# deltas are): shown apart, stored apart (`thinking`), never read for steps or an answer.
@dataclass(slots=True)
class TeacherThinking:
    text: str


@dataclass(slots=True)
class StudentThinking:
    text: str


@dataclass(frozen=True, slots=True)
class AttemptDone:
    attempt: AttemptView


@dataclass(frozen=True, slots=True)
class Failed:
    """The step failed; `message` says what happened and what to do. Partial work was saved."""

    kind: ErrorKind
    message: str
    role: Role | None = None
    partial: str = ""


@dataclass(frozen=True, slots=True)
class EquationsReady:
    """The teacher's equations were solved (or could not be): `problem` has the reference it
    now holds, which is the solved one when there was none."""

    equation_set: EquationSetView
    problem: ProblemView


DecomposeEvent = ModelLoading | TeacherThinking | TeacherDelta | StepsReady | Failed
EquationsEvent = ModelLoading | TeacherThinking | TeacherDelta | EquationsReady | Failed
SolveEvent = ModelLoading | StudentThinking | StudentDelta | AttemptDone | Failed
TutorEvent = (ModelLoading | TeacherThinking | TeacherDelta | StepsReady | StudentThinking
              | StudentDelta | AttemptDone | Failed | EquationsReady)
