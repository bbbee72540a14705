"""What a run has produced so far, read back from the history: the one source of the numbers.

The runner uses it to skip finished work on resume; the report uses it to count. Attempts are
matched to dataset items through `eval_item` (item → problem) and (problem, student, mode);
when two items share a problem text, their attempts are handed out in attempt order.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tot_tui.domain import AttemptStatus, AttemptView, Verdict
from tot_tui.evaluate.spec import RunSpec
from tot_tui.modes import BY_NAME
from tot_tui.store.eval_runs import EvalItemRow, run_items

if TYPE_CHECKING:
    from tot_tui.store.history import HistoryStore

Triple = tuple[int, str, str]  # (item index, student, mode name)


@dataclass(slots=True)
class RunData:
    outcomes: dict[Triple, AttemptView] = field(default_factory=dict)  # the first sample
    items: dict[int, EvalItemRow] = field(default_factory=dict)
    # Every finished sample of a triple, in order (one unless the run asks for --samples K).
    samples: dict[Triple, list[AttemptView]] = field(default_factory=dict)

    def pending(self, spec: RunSpec) -> list[Triple]:
        """The triples still to answer, one entry per missing sample."""
        return [t for t in spec.triples()
                for _ in range(spec.samples - len(self.samples.get(t, ())))]

    def add(self, triple: Triple, attempt: AttemptView) -> int:
        """Record a finished sample; returns its number (0 for the first)."""
        found = self.samples.setdefault(triple, [])
        found.append(attempt)
        self.outcomes.setdefault(triple, attempt)
        return len(found) - 1


def collect(store: HistoryStore, run_id: int, spec: RunSpec) -> RunData:
    """Finished attempts of the run, by (item, student, mode). Synchronous (a worker thread)."""
    items = run_items(store, run_id)
    pool: dict[tuple[int, str, str], list[AttemptView]] = defaultdict(list)
    for attempt in store.attempts_for_run(run_id):  # in id order
        if attempt.status is AttemptStatus.FINISHED:
            pool[(attempt.problem_id, attempt.student_model, attempt.mode.value)].append(attempt)
    data = RunData(items=items)
    for index in spec.indices:
        row = items.get(index)
        if row is None:
            continue
        for student in spec.students:
            for mode in spec.modes:
                found = pool.get((row.problem_id, student, BY_NAME[mode].mode.value))
                for _ in range(spec.samples):
                    if not found:
                        break
                    data.add((index, student, mode), found.pop(0))
    return data


def is_correct(attempt: AttemptView) -> bool:
    return attempt.verdict is Verdict.CORRECT
