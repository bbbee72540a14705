"""How edited steps line up with the teacher's original: for the steps panel's marks and the
History screen's list of changes."""

from __future__ import annotations

import difflib
from typing import Literal, NamedTuple


class Aligned(NamedTuple):
    kind: Literal["same", "changed", "added", "removed"]
    old: int | None  # index in the original
    new: int | None  # index in the edited steps


def align(original: list[str], steps: list[str]) -> list[Aligned]:
    """Each step against the original, like a diff (inserting a step does not mark every step
    after it). In a replaced run, as many steps as were replaced are changes; the rest of the
    run is added or removed."""
    out: list[Aligned] = []
    matcher = difflib.SequenceMatcher(a=original, b=steps, autojunk=False)
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op == "equal":
            out += [Aligned("same", a0 + k, b0 + k) for k in range(b1 - b0)]
            continue
        paired = min(a1 - a0, b1 - b0) if op == "replace" else 0
        out += [Aligned("changed", a0 + k, b0 + k) for k in range(paired)]
        out += [Aligned("added", None, j) for j in range(b0 + paired, b1)]
        out += [Aligned("removed", i, None) for i in range(a0 + paired, a1)]
    return out
