"""POLICY §4: every hostile row through the same worker machinery the app uses."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tot_tui.check import Checker

DATA = Path(__file__).resolve().parents[1] / "data" / "checks"


def load_jsonl(name: str) -> list[dict]:
    # Python's json tolerates the lone surrogate of hp-032; never re-encode rows as UTF-8.
    with open(DATA / name, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


ROWS = load_jsonl("hostile_answers.jsonl")
MARKER = Path("/tmp/tot_tui_marker_public")


def test_row_count() -> None:
    assert len(ROWS) == 38


@pytest.mark.parametrize("row", ROWS, ids=[r["id"] for r in ROWS])
def test_hostile_row(row: dict, checker: Checker) -> None:
    MARKER.unlink(missing_ok=True)
    start = time.monotonic()
    res = checker.check(row["gold"], row["pred"])  # must not raise
    elapsed = time.monotonic() - start
    assert not MARKER.exists(), "model text was executed"
    assert elapsed <= checker.deadline + 1.0
    if row["must_not_be_equivalent"]:
        assert res.status != "equivalent", res
    # The machinery survived: the next ordinary check is answered normally.
    assert checker.check("2", "2").status == "equivalent"


@pytest.mark.parametrize(
    ("row_id", "reason"),
    [
        ("hp-012", "too_big"),
        ("hp-013", "too_big"),
        ("hp-014", "too_big"),
        ("hp-015", "too_big"),
        ("hp-016", "too_big"),
        ("hp-024", "too_long"),
        ("hp-029", "control_char"),
        ("hp-030", "control_char"),
        ("hp-031", "control_char"),
        ("hp-032", "bad_unicode"),
        ("hp-033", "bad_unicode"),
    ],
)
def test_hostile_reason(row_id: str, reason: str, checker: Checker) -> None:
    row = next(r for r in ROWS if r["id"] == row_id)
    res = checker.check(row["gold"], row["pred"])
    assert (res.status, res.reason) == ("unparseable", reason)


# Our own hostile answers (not in the public file), same contract.
EXTRA = [
    ("1", "\\binom{10^{6}}{5}", "too_big"),
    ("1", "x^{10^{6}}", "too_big"),
    ("1", "2^{-10^{5}}", "too_big"),
    ("1", "1e1001", "too_big"),
    ("1", "0.\\overline{" + "3" * 300 + "}", "too_big"),
    ("1", "\\Gamma(1000.5)", "too_big"),
    ("1", "e^{e^{e^{e^{10}}}}", "too_big"),
    ("1", "\\sqrt{" * 40 + "2" + "}" * 40, "too_deep"),
    ("1", "x" + "^x" * 300, "too_deep"),
    ("1", "\\boxed{" * 7000, "too_long"),
    ("1", "$" * 49_000, "too_long"),
    ("1", "\\input{/etc/passwd}", None),
    ("1", "\\def\\x{1}\\x", None),
    ("0", "__import__('os').system('touch /tmp/tot_tui_marker_public') or 1", None),
    ("12", "\u216b", None),  # ROMAN NUMERAL TWELVE: NFKC gives "XII", never 12
    ("15", "1\u066b5", None),  # ARABIC DECIMAL SEPARATOR
    ("12", "1\u00002", "control_char"),
    ("12", "\u202e21", "bad_unicode"),
]


@pytest.mark.parametrize(("gold", "pred", "reason"), EXTRA)
def test_extra_hostile(gold: str, pred: str, reason: str | None, checker: Checker) -> None:
    MARKER.unlink(missing_ok=True)
    start = time.monotonic()
    res = checker.check(gold, pred)
    assert time.monotonic() - start <= checker.deadline + 1.0
    assert not MARKER.exists()
    assert res.status != "equivalent", res
    if reason is not None:
        assert res.reason == reason, res
