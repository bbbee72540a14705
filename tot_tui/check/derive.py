"""Equation-of-Thought and Program-of-Thought: an answer computed from a model's reply.

The model's text is untrusted and is never run: it is read with `ast.parse` (which executes
nothing) and the tree is walked against a whitelist.

* `equations`: lines such as `eggs = 16` and `ans = (eggs - 7) * 2` become sympy equations built
  node by node (never `sympify`), solved by sympy; conditions (`x > 0`, "% x is positive") pick
  among several solutions (tot_tui/check/equations.py).
* `program`: a short straight-line Python program is evaluated by a small interpreter with
  exact numbers (int and Fraction); nothing the model wrote is executed
  (tot_tui/check/program.py).

This module is cheap to import (no sympy): the worker's parent uses its limits.

    derive_in_process(kind, text, context="") -> Derived   # the logic itself, no isolation
    Checker().derive(kind, text, context="") -> Derived    # in the killable worker process
"""

from __future__ import annotations

from ..domain import Derived, DerivedStatus

KINDS = ("equations", "program")
MAX_DERIVE_TEXT = 20_000  # chars of a whole reply
MAX_CONTEXT = 20_000  # chars of the problem text used for condition words
MAX_LINE = 500  # chars of one equation line
MAX_EQUATIONS = 200  # equation lines in one reply
MAX_NESTING = 50  # brackets, checked on the text before ast.parse sees it
MAX_LITERAL_DIGITS = 100  # digits of one number literal
MAX_EQ_EXPONENT = 1_000  # |exponent| of a numeric power in an equation
MAX_POLY_DEGREE = 200  # |exponent| of a power of an unknown
MAX_POW_DIGITS = 10_000  # estimated digits of a numeric power in an equation
MAX_STATEMENTS = 300  # statements of one program
MAX_STEPS = 10_000  # expression nodes a program may evaluate
MAX_RESULT_DIGITS = 1_000  # digits of any number a program computes
MAX_PROGRAM_EXPONENT = 10_000  # |exponent| of ** in a program
QUOTE = 60  # chars of model text quoted in a reason


def quote(text: str, limit: int = QUOTE) -> str:
    """A short, single-line quotation of model text for a reason."""
    s = " ".join(text.split())
    return s if len(s) <= limit else s[: limit - 1] + "…"


def bracket_depth(text: str) -> int:
    """The deepest nesting of (), [] and {} in `text` (unbalanced closers are ignored)."""
    depth = best = 0
    for ch in text:
        if ch in "([{":
            depth += 1
            if depth > best:
                best = depth
        elif ch in ")]}" and depth:
            depth -= 1
    return best


def refused(kind: str, reason: str) -> Derived:
    return Derived(kind, DerivedStatus.REFUSED, None, reason)


def precheck(kind: object, text: object, context: object = "") -> Derived | None:
    """What can be refused without reading the text (also used by the worker's parent)."""
    k = kind if isinstance(kind, str) else "equations"
    if kind not in KINDS:
        return refused(k, f"There is no way to derive an answer from {quote(str(kind), 20)!r}.")
    if not isinstance(text, str):
        return refused(k, "The reply is not text.")
    if not isinstance(context, str):
        return refused(k, "The problem text is not text.")
    if len(text) > MAX_DERIVE_TEXT:
        what = "equations" if kind == "equations" else "a program"
        return refused(
            k, f"The reply is too long to read as {what} ({len(text):,} characters; "
            f"the limit is {MAX_DERIVE_TEXT:,})."
        )
    if "\x00" in text:
        return refused(k, "The reply contains a NUL character.")
    return None


def derive_in_process(kind: str, text: str, context: str = "") -> Derived:
    """Read `text` as equations or a program and compute its answer, in this process (no
    deadline, no memory cap: `Checker.derive` adds those). Never raises, except MemoryError
    (the worker replaces itself after one)."""
    early = precheck(kind, text, context)
    if early is not None:
        return early
    context = context[:MAX_CONTEXT]
    try:
        if kind == "equations":
            from .equations import derive_equations

            return derive_equations(text, context)
        from .program import derive_program

        return derive_program(text)
    except MemoryError:
        raise
    except RecursionError:
        return refused(kind, "The reply is nested too deeply to read.")
    except Exception as exc:  # a bug or a sympy failure: say so, never crash the caller
        return Derived(
            kind,
            DerivedStatus.FAILED,
            None,
            f"Working out the answer failed ({type(exc).__name__}).",
        )
