"""Majority vote over answers, grouped by an equivalence (the answer checker's): the ensemble's
answer and an eval's maj@K."""

from __future__ import annotations

from collections.abc import Callable, Sequence


def majority_vote(answers: Sequence[str | None],
                  same: Callable[[str, str], bool]) -> tuple[str | None, int]:
    """The answer given most often and its votes; ties go to the group seen first, and a
    missing answer (None) never wins unless all are missing: (None, 0)."""
    groups: list[tuple[str, int]] = []  # (first answer of the group, votes)
    for answer in answers:
        if answer is None:
            continue
        for i, (first, votes) in enumerate(groups):
            if first == answer or same(first, answer):
                groups[i] = (first, votes + 1)
                break
        else:
            groups.append((answer, 1))
    if not groups:
        return None, 0
    best = max(range(len(groups)), key=lambda i: (groups[i][1], -i))
    return groups[best]
