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
    # Every finished sample of a triple by its number (one, 0, unless the run asks for
    # --samples K): the number, not the order answers finished in, says which seed it had.
    samples: dict[Triple, dict[int, AttemptView]] = field(default_factory=dict)

    def pending(self, spec: RunSpec) -> list[tuple[Triple, int]]:
        """The samples still to answer: (triple, sample number)."""
        return [(t, n) for t in spec.triples() for n in range(spec.samples)
                if n not in self.samples.get(t, {})]

    def add(self, triple: Triple, sample: int, attempt: AttemptView) -> None:
        """Record a finished sample; the lowest-numbered one is the triple's outcome."""
        found = self.samples.setdefault(triple, {})
        found[sample] = attempt
        if sample == min(found):
            self.outcomes[triple] = attempt

    def answers(self, triple: Triple) -> list[tuple[int, AttemptView]]:
        """A triple's finished samples in sample order."""
        return sorted(self.samples.get(triple, {}).items())


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
                if not found:
                    continue
                for sample, attempt in _numbered(spec, found):
                    data.add((index, student, mode), sample, attempt)
    return data


def _numbered(spec: RunSpec, found: list[AttemptView]) -> list[tuple[int, AttemptView]]:
    """Take up to K of `found` (consumed, in id order), numbered by the seed each was asked
    with; one without such a seed (asked before schema v14) takes the lowest free number."""
    if spec.samples == 1:
        return [(0, found.pop(0))]
    taken: dict[int, AttemptView] = {}
    for attempt in list(found):
        sample = spec.sample_of_seed(attempt.seed)
        if sample is not None and sample not in taken:
            taken[sample] = attempt
            found.remove(attempt)
    for attempt in [a for a in found if spec.sample_of_seed(a.seed) is None]:
        free = next((n for n in range(spec.samples) if n not in taken), None)
        if free is None:
            break
        taken[free] = attempt
        found.remove(attempt)
    return sorted(taken.items())


def is_correct(attempt: AttemptView) -> bool:
    return attempt.verdict is Verdict.CORRECT
