"""Distillation data: the history's verified teacher outputs as chat-format JSONL for
fine-tuning (`tot-tui export --sft FILE`).

Equation-of-Thought distillation (Zhu et al., 2024) and Trace-of-Thought train a small model on
a large teacher's outputs; only outputs something independent confirmed are worth training on:

- steps: a teacher step set (not a draft; an edited one only when asked) that a student
  followed (steps or ensemble mode) to an answer graded correct against a reference that did
  not itself come from the teacher's equations;
- equations: an equation set the solver solved to one value equal to the problem's reference,
  never when that reference was solved from the teacher's equations.

Each line is `{"messages": [system, user, assistant]}`, the format OpenAI fine-tuning and
Hugging Face TRL (`SFTTrainer`, conversational "messages") read: the prompt is the current
teacher prompt for the problem, the reply what that prompt asks for. A `metadata` object
(fixed keys, one type each) is added only on request: OpenAI documents `messages` (and tool
keys) alone and says nothing of other keys, so the default is the format every tool accepts.

Selection is pure (a ProblemDetail in, lines and counts out); the caller streams details in
batches and writes the lines (`Tutor.export_sft`).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from tot_tui.domain import (
    AttemptStatus,
    AttemptView,
    CheckResult,
    CheckStatus,
    EquationSetView,
    ProblemDetail,
    StepOrigin,
    StepSetView,
    Verdict,
)
from tot_tui.modes import BY_MODE
from tot_tui.tutor.prompts import Prompt
from tot_tui.tutor.steps import format_steps, leaking_steps_for

KINDS = ("all", "steps", "equations")
EQUATIONS_SOURCE = "equations"  # a reference solved from the teacher's equations

# Why an item was not written, as the summary says it (`dropped 12: <reason> 8, ...`).
DRAFT = "teacher's draft (cut short)"
EDITED = "edited by hand (add --sft-include-edited)"
NOT_FOLLOWED = "no student followed the steps"
NO_CORRECT = "no correct student answer"
CORRECT_VS_EQUATIONS = "correct only against a reference solved from the teacher's equations"
STALE = "graded against a reference the problem no longer has (tot-tui regrade)"
LEAKS = "a step states the answer"
NOT_SOLVED = "equations not solved to one value"
NO_REFERENCE = "no reference to check the equations against"
SAME_EQUATIONS = "reference solved from the same equations"
TEACHER_EQUATIONS = "reference solved from the teacher's other equations"
DISAGREE = "equations disagree with the reference"
UNCOMPARABLE = "equations' value not comparable with the reference"
EMPTY = "empty teacher reply"
DUPLICATE = "duplicate of a line already written"

# Characters `str.splitlines` (and some JSONL readers) take for line ends that JSON leaves
# raw: escaped, so one record is one line for every reader.
_LINE_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


class NothingToExport(Exception):
    """No line matched; the message says why (the counts say what was dropped)."""

    def __init__(self, message: str, counts: SftCounts) -> None:
        super().__init__(message)
        self.counts = counts


@dataclass(frozen=True, slots=True)
class SftFilters:
    """Which items are looked at. Problem-level filters (ids, run, dataset) are applied by the
    store's query; `model` and `kind` here, per item. All combine (AND)."""

    problem_ids: tuple[int, ...] | None = None
    eval_run_id: int | None = None
    dataset: str | None = None  # problems whose reference_source is "dataset:NAME"
    model: str | None = None  # the teacher model
    kind: str = "all"  # "steps", "equations" or "all"
    include_edited: bool = False
    metadata: bool = False

    def describe(self) -> str:
        parts = []
        if self.problem_ids is not None:
            parts.append("problems " + ", ".join(f"#{i}" for i in self.problem_ids[:10])
                         + (" …" if len(self.problem_ids) > 10 else ""))
        if self.eval_run_id is not None:
            parts.append(f"--run {self.eval_run_id}")
        if self.dataset:
            parts.append(f"--dataset {self.dataset}")
        if self.model:
            parts.append(f"--model {self.model}")
        if self.kind != "all":
            parts.append(f"--kind {self.kind}")
        return " ".join(parts)


@dataclass(slots=True)
class SftCounts:
    steps: int = 0
    equations: int = 0
    problems: int = 0  # problems read
    dropped: Counter[str] = field(default_factory=Counter)

    @property
    def kept(self) -> int:
        return self.steps + self.equations

    def summary(self) -> str:
        """`kept 37 (steps 30, equations 7); dropped 12: no correct student answer 8, ...`"""
        text = f"kept {self.kept} (steps {self.steps}, equations {self.equations})"
        total = sum(self.dropped.values())
        if total:
            reasons = ", ".join(f"{reason} {n}" for reason, n in self.dropped.most_common())
            text += f"; dropped {total}: {reasons}"
        else:
            text += "; dropped 0"
        return text

    def as_dict(self) -> dict[str, Any]:
        return {"kept": self.kept, "steps": self.steps, "equations": self.equations,
                "dropped": sum(self.dropped.values()),
                "dropped_by_reason": dict(self.dropped.most_common()),
                "problems": self.problems}


class SftBuilder:
    """Turns problem details into JSONL lines, counting what it keeps and drops and why.

    `check(reference, value)` compares an equation set's value with a reference when the
    stored comparison cannot be used; it is synchronous (call `lines` in a worker thread)."""

    def __init__(self, teacher: Prompt, equations: Prompt, *, structured_steps: bool,
                 preset: str, filters: SftFilters,
                 check: Callable[[str, str], CheckResult]) -> None:
        self.teacher, self.equations = teacher, equations
        self.structured_steps, self.preset = structured_steps, preset
        self.filters, self.check = filters, check
        self.counts = SftCounts()
        self._seen: set[bytes] = set()  # digests of the messages written (not their text)

    def lines(self, detail: ProblemDetail) -> Iterator[str]:
        self.counts.problems += 1
        if self.filters.kind in ("all", "steps"):
            for step_set in detail.step_sets:
                line = self._steps_line(detail, step_set)
                if line is not None:
                    self.counts.steps += 1
                    yield line
        if self.filters.kind in ("all", "equations"):
            for equation_set in detail.equation_sets:
                line = self._equations_line(detail, equation_set)
                if line is not None:
                    self.counts.equations += 1
                    yield line

    # -- steps -------------------------------------------------------------------------------

    def _steps_line(self, detail: ProblemDetail, step_set: StepSetView) -> str | None:
        if step_set.origin is StepOrigin.FILE:
            return None  # steps given by a person, not a teacher's output: not a candidate
        if self.filters.model and _teacher_of(step_set, detail) != self.filters.model:
            return None
        if step_set.origin is StepOrigin.DRAFT:
            return self._drop(DRAFT)
        if step_set.origin is StepOrigin.EDITED and not self.filters.include_edited:
            return self._drop(EDITED)
        followed = [a for a in detail.attempts
                    if a.step_set_id == step_set.id and a.status is AttemptStatus.FINISHED
                    and BY_MODE[a.mode].needs_steps]
        if not followed:
            return self._drop(NOT_FOLLOWED)
        correct = [a for a in followed if a.verdict is Verdict.CORRECT]
        if not correct:
            return self._drop(NO_CORRECT)
        trusted = [(a, source) for a in correct
                   if (source := _trusted_source(a, detail)) not in (None, EQUATIONS_SOURCE)]
        if not trusted:
            vs_equations = any(_trusted_source(a, detail) == EQUATIONS_SOURCE for a in correct)
            return self._drop(CORRECT_VS_EQUATIONS if vs_equations else STALE)
        attempt, source = trusted[0]
        reference = attempt.reference or detail.problem.reference or ""
        if leaking_steps_for(detail.problem.text, step_set.steps, reference):
            return self._drop(LEAKS)
        reply = (json.dumps({"steps": step_set.steps}, ensure_ascii=False)
                 if self.structured_steps else format_steps(step_set.steps))
        return self._line(self.teacher, detail, reply, {
            "kind": "steps", "item_id": step_set.id, "origin": str(step_set.origin),
            "model": _teacher_of(step_set, detail) or "", "reference": reference,
            "source": source, "verified_by": f"attempt {attempt.id}"})

    # -- equations ---------------------------------------------------------------------------

    def _equations_line(self, detail: ProblemDetail, eq: EquationSetView) -> str | None:
        if self.filters.model and eq.model != self.filters.model:
            return None
        problem = detail.problem
        if problem.reference_source == EQUATIONS_SOURCE:
            return self._drop(SAME_EQUATIONS if eq.id == _adopted_set(detail)
                              else TEACHER_EQUATIONS)
        if not eq.derived.ok:
            return self._drop(NOT_SOLVED)
        if not problem.reference:
            return self._drop(NO_REFERENCE)
        raw = eq.raw_output.strip()
        if not raw:
            return self._drop(EMPTY)
        value = eq.derived.value or ""
        if eq.agrees is not None and eq.compared_with == problem.reference:
            agrees: bool | None = eq.agrees
        else:  # never compared, or with a reference the problem no longer has
            status = self.check(problem.reference, value).status
            agrees = None if status is CheckStatus.UNPARSEABLE \
                else status is CheckStatus.EQUIVALENT
        if agrees is None:
            return self._drop(UNCOMPARABLE)
        if not agrees:
            return self._drop(DISAGREE)
        return self._line(self.equations, detail, raw, {
            "kind": "equations", "item_id": eq.id, "origin": "teacher", "model": eq.model or "",
            "reference": problem.reference, "source": problem.reference_source or "",
            "verified_by": f"solved value {value}"})

    # -- lines -------------------------------------------------------------------------------

    def _drop(self, reason: str) -> str | None:
        """Count the item as dropped for `reason`; None, the line it does not get."""
        self.counts.dropped[reason] += 1
        return None

    def _line(self, prompt: Prompt, detail: ProblemDetail, reply: str,
              meta: dict[str, Any]) -> str | None:
        messages = [*prompt.messages(problem=detail.problem.text),
                    {"role": "assistant", "content": reply}]
        key = json.dumps(messages, ensure_ascii=False, sort_keys=True).encode()
        digest = hashlib.sha256(key).digest()
        if digest in self._seen:
            return self._drop(DUPLICATE)
        self._seen.add(digest)
        record: dict[str, Any] = {"messages": messages}
        if self.filters.metadata:
            # The same keys with the same types on every line (a dataset loader infers one
            # schema from them); ids are numbers, the rest text.
            record["metadata"] = {"problem_id": detail.problem.id, **meta,
                                  "prompt_name": prompt.name, "prompt_hash": prompt.hash,
                                  "preset": self.preset}
        return json.dumps(record, ensure_ascii=False).translate(_LINE_BREAKS) + "\n"


def _trusted_source(attempt: AttemptView, detail: ProblemDetail) -> str | None:
    """Where the reference this attempt was graded against came from: the problem's source
    when it is the problem's reference, the run's dataset for an eval run's attempt (graded
    against the dataset's answer), else None (a reference since replaced: unknown)."""
    problem = detail.problem
    if attempt.reference is None or attempt.reference == problem.reference:
        return (problem.reference_source or "typed") if problem.reference else None
    if attempt.eval_run_id is not None:
        return f"eval run {attempt.eval_run_id}"
    return None


def _teacher_of(step_set: StepSetView, detail: ProblemDetail) -> str | None:
    """The teacher model of a step set: its own, or (an edited version) its base's."""
    by_id = {s.id: s for s in detail.step_sets}
    seen: set[int] = set()
    current: StepSetView | None = step_set
    while current is not None and current.id not in seen:
        if current.model:
            return current.model
        seen.add(current.id)
        up = current.base_id if current.base_id is not None else current.parent_id
        current = by_id.get(up) if up is not None else None
    return None


def _adopted_set(detail: ProblemDetail) -> int | None:
    """The equation set a reference of source "equations" was solved from: the first one
    solved to that value (the reference is adopted only while the problem has none)."""
    for eq in detail.equation_sets:
        if eq.derived.ok and eq.derived.value == detail.problem.reference:
            return eq.id
    return None
