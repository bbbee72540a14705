"""`tot-tui grade [FILE|-]`: check JSON lines of {"gold", "pred", ...} and stream the verdicts."""

from __future__ import annotations

import json
import sys
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


def run(path: str = "-", out: TextIO = sys.stdout) -> int:
    """Grade a JSONL file ("-" = stdin). Returns 0 when processed, 2 when it cannot be opened."""
    if path in ("-", ""):
        src: TextIO = sys.stdin
        close = False
    else:
        try:
            src = open(path, encoding="utf-8", errors="surrogateescape")
        except OSError as e:
            print(f"tot-tui grade: cannot open {path}: {e.strerror or e}", file=sys.stderr)
            return 2
        close = True
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
        if close:
            src.close()
    return 0
