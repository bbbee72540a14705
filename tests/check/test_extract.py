"""R1: extract_answer on whole replies (pure Python)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tot_tui.check import extract_answer


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("#### 1,234", "1,234"),
        ("The answer is 17.", "17"),
        ("so the final answer is $\\frac{3}{4}$. Hope this helps", "\\frac{3}{4}"),
        ("Answer: (B)", "(B)"),
        ("\\boxed{\\frac{1}{2}}, later \\boxed{\\frac{\\sqrt{3}}{2}}", "\\frac{\\sqrt{3}}{2}"),
        ("Nested \\fbox{\\{1, {2}\\}} here", "\\{1, {2}\\}"),
        ("<think>maybe \\boxed{5}</think>The total is 6 apples.", "6"),
        ("It costs $4.50 per pound, so she pays $13.50.", "$13.50"),
        ("The population grew by 12% this year.", "12%"),
        ("About 2.5 million people live there.", "2.5 million"),
        ("A temperature of -3 degrees was recorded.", "-3"),
        ("Thus we obtain \\(x = 4\\) as the solution.", "x = 4"),
        ("We need \\[ \\sqrt{2} \\] meters.", "\\sqrt{2}"),
        ("x = 7", "x = 7"),
        ("3, 4", "3, 4"),
        ("She has 2/3 of the pie left.", "2/3"),
        ("Therefore the ratio is \\frac{7}{9}", "\\frac{7}{9}"),
        ("In all, 12 500 tickets were sold.", "12 500"),
        ("No numbers at all here.", None),
        ("", None),
    ],
)
def test_extract_answer(text: str, expected: str | None) -> None:
    assert extract_answer(text) == expected


def test_extract_answer_never_fishes_in_formulas() -> None:
    # A long formula is not a sentence: no "last number" from inside it (hp-021 style).
    assert extract_answer("-(" * 600 + "2" + ")" * 600) is None


def test_package_import_is_cheap() -> None:
    code = (
        "import sys, tot_tui.check as c; c.extract_answer('#### 5'); "
        "print('sympy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
