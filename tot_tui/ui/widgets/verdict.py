"""The verdict banner: correct / incorrect / unknown, both answers normalised, and the reason.

Answers with math are shown rendered on one line (`\\frac{1}{2}` as ½), or as written while the
app shows math raw (app.raw_math)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from tot_tui.textsafe import safe_text
from tot_tui.ui.mathview import answer_line, follow, is_raw, unfollow

if TYPE_CHECKING:
    from tot_tui.domain import AttemptView, CheckResult, Verdict

# Keyed by Verdict's values (a StrEnum, so its members find them): no domain import needed.
_ICONS = {"correct": "✔ CORRECT", "incorrect": "✘ INCORRECT", "unknown": "? UNKNOWN"}

# The checker's reason codes, said in words a tutor understands.
REASONS = {
    "no_reference": "no reference answer was given, so nothing to compare with",
    "no_answer": "no final answer could be found in the reply",
    "equations_refused": "the reply has no equations the solver can read",
    "equations_no_solution": "the equations have no solution",
    "equations_ambiguous": "the equations have several solutions and nothing says which",
    "equations_underdetermined": "the equations do not fix the answer",
    "equations_failed": "solving the equations took too long or too much memory",
    "program_refused": "the program is not one tot-tui reads (it is never run)",
    "program_failed": "reading the program took too long or too much memory",
    "reasoning_only": "the model only reasoned and never replied (its reasoning is not graded)",
    "reasoning_cut": "the model ran out of tokens while reasoning and never replied (raise "
                     "student_max_tokens; its reasoning is not graded)",
}
WAY_NAMES = {"prose": "steps", "equations": "equations", "program": "program"}


def describe_reason(reason: str) -> str:
    return REASONS.get(reason, reason.replace("_", " "))


class VerdictBanner(Static):
    """Shows one verdict. Empty (and hidden) until `show_*` is called."""

    DEFAULT_CSS = """
    VerdictBanner {
        height: auto;
        min-height: 1;
        padding: 0 1;
        display: none;
        background: $boost;
    }
    VerdictBanner.-shown { display: block; }
    VerdictBanner.-correct { background: $success-muted; color: $text; }
    VerdictBanner.-incorrect { background: $error-muted; color: $text; }
    VerdictBanner.-unknown { background: $warning-muted; color: $text; }
    VerdictBanner.-note { background: $boost; color: $text-muted; }
    """

    verdict: Verdict | None = None
    _shown: tuple[Verdict, str, str, str, str] | None = None  # what show_verdict was given

    def on_mount(self) -> None:
        follow(self, lambda _raw: self._draw())

    def on_unmount(self) -> None:
        unfollow(self)

    def _set_class(self, name: str) -> None:
        self.remove_class("-correct", "-incorrect", "-unknown", "-note")
        self.add_class("-shown", name)

    def show_verdict(self, verdict: Verdict, answer: str, reference: str, reason: str, *,
                     whose: str = "answer") -> None:
        self.verdict = verdict
        self._shown = (verdict, answer, reference, reason, whose)
        self._set_class(f"-{verdict.value}")
        self._draw()

    def _draw(self) -> None:
        if self._shown is None or self.verdict is None:
            return
        verdict, answer, reference, reason, whose = self._shown
        raw = is_raw(self)
        text = Text()
        text.append(_ICONS[verdict], style="bold")
        text.append(f"   {whose} ")
        text.append(safe_text(answer_line(answer, raw) or "(none)", 60), style="bold")
        text.append("   reference ")
        text.append(safe_text(answer_line(reference, raw) or "(none)", 60), style="bold")
        text.append(f"   — {describe_reason(reason)}")
        if self._ways:
            text.append("   · " + self._ways)
        self.update(text)

    _ways = ""  # the ensemble's (or a derived answer's) ways, said after the reason

    def show_attempt(self, attempt: AttemptView, reference: str | None = None) -> None:
        ways = [f"{WAY_NAMES.get(w.way, w.way)} {w.answer if w.answer is not None else '—'}"
                for w in attempt.ways]
        if len(ways) > 1:
            self._ways = safe_text(", ".join(ways) + f" ({attempt.votes or 0} agree)", 120)
        elif attempt.ways and attempt.ways[0].answer is None:
            self._ways = safe_text(attempt.ways[0].note, 120)
        else:
            self._ways = ""
        self.show_verdict(attempt.verdict, attempt.answer_norm or attempt.answer or "",
                          attempt.reference_norm or reference or "", attempt.verdict_reason)

    def show_result(self, result: CheckResult, answer: str, reference: str | None, *,
                    whose: str = "answer") -> None:
        self._ways = ""
        self.show_verdict(result.verdict, result.pred_norm or answer,
                          result.gold_norm or reference or "", result.reason, whose=whose)

    def show_note(self, note: str) -> None:
        """A plain line (checking…, cancelled…) instead of a verdict."""
        self.verdict = None
        self._shown = None
        self._set_class("-note")
        self.update(Text(note))

    def clear(self) -> None:
        self.verdict = None
        self._shown = None
        self.remove_class("-shown", "-correct", "-incorrect", "-unknown", "-note")
        self.update("")
