"""`tot-tui grade [FILE|-]`: check JSON lines of {"gold", "pred", ...} and stream the verdicts.

Each output line is the input object plus `status` (the checker's word: equivalent,
not_equivalent, unparseable), `verdict` (what `solve` and the app say: correct, incorrect,
unknown), `reason`, `gold_norm` and `pred_norm`. A line that cannot be graded comes back as
`{"line", "status": "error", "reason"}`; the run then ends with a count on stderr and status 2.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from .worker import Checker


def _error(lineno: int, reason: str) -> dict[str, Any]:
    return {"line": lineno, "status": "error", "reason": reason}


def _grade_line(checker: Checker, lineno: int, line: str) -> dict[str, Any]:
    try:
        row = json.loads(line)
    except ValueError:
        return _error(lineno, "bad_json")
    if not isinstance(row, dict):
        return _error(lineno, "not_an_object")
    if "gold" not in row or "pred" not in row:
        return _error(lineno, "missing_field")
    gold, pred = _as_text(row["gold"]), _as_text(row["pred"])
    if gold is None or pred is None:
        return _error(lineno, "not_a_string")
    res = checker.check(gold, pred)
    gold_norm = res.gold_norm
    if not gold_norm and gold.strip() and not pred.strip():
        # An empty prediction stops the check before the gold is read: read it on its own.
        gold_norm = checker.check(gold, gold).gold_norm
    out = dict(row)
    out.update(status=res.status.value, verdict=res.verdict.value, reason=res.reason,
               gold_norm=gold_norm, pred_norm=res.pred_norm)
    return out


def _as_text(value: Any) -> str | None:
    """A JSON string as is, a JSON number as written (`12`, `0.5`); anything else is None."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return json.dumps(value)
    return None


def _stdin_lines() -> Iterator[str]:
    # Bytes, decoded per line: one undecodable line must not end the run.
    for raw in sys.stdin.buffer:
        yield raw.decode("utf-8", errors="surrogateescape")


def run(path: str | None = "-", out: TextIO | None = None) -> int:
    """Grade a JSONL file ("-" or None = stdin). Writes one JSON line per input line to `out`
    (default: the current sys.stdout), flushing each. Returns 0 when every line was graded,
    2 when the file cannot be opened or some lines could not be graded (counted on stderr)."""
    out = out if out is not None else sys.stdout
    src: Iterable[str]
    handle: TextIO | None = None
    if path in ("-", "", None):
        src = _stdin_lines()
    else:
        try:
            handle = open(str(path), encoding="utf-8", errors="surrogateescape")
        except OSError as e:
            print(f"tot-tui grade: cannot open {path}: {e.strerror or e}", file=sys.stderr)
            return 2
        src = handle
    graded, bad = 0, Counter[str]()
    try:
        with Checker() as checker:
            for lineno, line in enumerate(src, start=1):
                if not line.strip():
                    continue
                rec = _grade_line(checker, lineno, line)
                if rec["status"] == "error":
                    bad[rec["reason"]] += 1
                else:
                    graded += 1
                # ensure_ascii: model text may hold lone surrogates or control characters (S4.6)
                out.write(json.dumps(rec, ensure_ascii=True) + "\n")
                out.flush()
    finally:
        if handle is not None:
            handle.close()
    if bad:
        kinds = ", ".join(f"{reason}: {n}" for reason, n in bad.most_common())
        total = graded + sum(bad.values())
        print(f"tot-tui grade: {sum(bad.values())} of {total} lines could not be graded "
              f"({kinds}); they are marked \"status\": \"error\" in the output.",
              file=sys.stderr)
        return 2
    return 0
