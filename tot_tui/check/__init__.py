"""Answer checker (issue 3): is the student's final answer equivalent to the reference?

Cheap to import: sympy is loaded only inside the worker process (or by `check_in_process`).
Rule ids cited in this package (R1, S3, §1 …) are those of POLICY.md beside this file.

    check(gold, pred) -> CheckResult      # through a process-wide warm worker
    Checker(deadline, memory_mb)          # your own worker; .check / .acheck / .close
    extract_answer(text) -> str | None    # R1, pure Python
    check_in_process(gold, pred)          # the logic itself, no isolation
    Checker().derive(kind, text, context) # EoT/PoT: the answer of a model's equations or program
    derive_in_process(kind, text, context)  # the same logic, no isolation (derive.py)
"""

from __future__ import annotations

import atexit
import threading

from ..domain import CheckResult, Derived, DerivedStatus
from .derive import derive_in_process
from .extract import extract_answer
from .worker import Checker

__all__ = [
    "CheckResult",
    "Checker",
    "Derived",
    "DerivedStatus",
    "check",
    "check_in_process",
    "derive_in_process",
    "extract_answer",
]

_default: Checker | None = None
_default_lock = threading.Lock()


def _default_checker(deadline: float) -> Checker:
    global _default
    with _default_lock:
        if _default is None:
            _default = Checker(deadline=deadline)
            atexit.register(_default.close)
        return _default


def check(gold: str, pred: str, *, deadline: float = 2.0) -> CheckResult:
    """Compare a reference answer with a student's answer or whole reply, in the shared worker."""
    checker = _default_checker(deadline)
    if checker.deadline != deadline:
        checker.deadline = float(deadline)
    return checker.check(gold, pred)


def check_in_process(gold: str, pred: str) -> CheckResult:
    """Run the checker's logic in this process (no deadline, no memory cap)."""
    from .core import check_in_process as run

    return run(gold, pred)
