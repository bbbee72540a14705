"""Majority vote over answers, grouped by an equivalence (the answer checker's): the ensemble's
answer and an eval's maj@K."""

from __future__ import annotations

from collections.abc import Callable, Sequence


def majority_vote(answers: Sequence[str | None],
                  same: Callable[[str, str], bool]) -> tuple[str | None, int]:
    """The answer most samples gave, and how many gave it: (winner, votes).

    Samples rarely agree character for character ("0.5" and "1/2"), so answers are grouped by
    `same` (the caller passes its answer checker), called as same(representative, answer) with
    a group's first answer as its representative — so the grouping is well defined even if the
    checker is not transitive. The winner is that representative; a tie goes to the group whose
    first sample came earliest. None (no answer extracted) never wins: all None, or no answers,
    gives (None, 0).
    """
    groups: list[list[str]] = []
    for answer in answers:
        if answer is None:
            continue
        for group in groups:
            if same(group[0], answer):
                group.append(answer)
                break
        else:
            groups.append([answer])
    if not groups:
        return None, 0
    best = max(groups, key=len)  # max keeps the first of equal lengths: the earliest group
    return best[0], len(best)
