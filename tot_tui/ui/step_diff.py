"""How edited steps line up with the teacher's original: for the steps panel's marks and the
History screen's list of changes."""

from __future__ import annotations

import difflib
from typing import Literal, NamedTuple


class Aligned(NamedTuple):
    kind: Literal["same", "moved", "changed", "added", "removed"]
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


def align_by_origin(original: list[str], steps: list[str],
                    origins: list[int | None]) -> list[Aligned]:
    """Each step against the original by where it came from (`origins[j]`: its index in the
    original, None for a step added by hand), as the steps panel tracked it: a step edited and
    moved is that step, changed, not a new one. A step whose text is unchanged is "same" when
    it kept its place in the original order, "moved" otherwise. Removed steps come last."""
    kept = _in_order({j: o for j, o in enumerate(origins) if o is not None})
    out: list[Aligned] = []
    for j, old in enumerate(origins):
        if old is None or not 0 <= old < len(original):
            out.append(Aligned("added", None, j))
        elif steps[j] != original[old]:
            out.append(Aligned("changed", old, j))
        else:
            out.append(Aligned("same" if j in kept else "moved", old, j))
    used = {o for o in origins if o is not None}
    out += [Aligned("removed", i, None) for i in range(len(original)) if i not in used]
    return out


def _in_order(origin_of: dict[int, int]) -> set[int]:
    """The steps (by position) of a longest run whose origins increase: those kept their
    order; the others were moved."""
    positions = sorted(origin_of)
    best: list[list[int]] = []  # best[k]: an increasing run ending at positions[k]
    for k, j in enumerate(positions):
        run = max((best[i] for i in range(k) if origin_of[positions[i]] < origin_of[j]),
                  key=len, default=[])
        best.append([*run, j])
    longest: list[int] = max(best, key=len) if best else []
    return set(longest)
