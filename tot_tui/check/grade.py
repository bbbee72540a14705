"""`tot-tui grade [FILE|-]`: check JSON lines of {"gold", "pred", ...} and stream the verdicts."""

from __future__ import annotations

import json
import sys
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
    if not isinstance(row["gold"], str) or not isinstance(row["pred"], str):
        return _error(lineno, "not_a_string")
    res = checker.check(row["gold"], row["pred"])
    out = dict(row)
    out.update(
        status=res.status.value, reason=res.reason, gold_norm=res.gold_norm, pred_norm=res.pred_norm
    )
    return out


def _stdin_lines() -> Iterator[str]:
    # Bytes, decoded per line: one undecodable line must not end the run.
    for raw in sys.stdin.buffer:
        yield raw.decode("utf-8", errors="surrogateescape")


def run(path: str | None = "-", out: TextIO | None = None) -> int:
    """Grade a JSONL file ("-" or None = stdin). Writes one JSON line per input line to `out`
    (default: the current sys.stdout), flushing each. Returns 0 when the file was processed,
    2 when it cannot be opened."""
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
    try:
        with Checker() as checker:
            for lineno, line in enumerate(src, start=1):
                if not line.strip():
                    continue
                rec = _grade_line(checker, lineno, line)
                # ensure_ascii: model text may hold lone surrogates or control characters (S4.6)
                out.write(json.dumps(rec, ensure_ascii=True) + "\n")
                out.flush()
    finally:
        if handle is not None:
            handle.close()
    return 0
