"""New cases for every POLICY rule (strings not taken from the public set)."""

from __future__ import annotations

import pytest

from tot_tui.check import check_in_process

EQ, NE = True, False

# (rule, gold, pred, equivalent)
CASES = [
    # R1 extraction
    ("R1.1", "7", "seven", EQ),
    ("R1.1", "5", "5 or 6", NE),
    ("R1.2.1", "11", "First I tried \\boxed{10}, then corrected it to \\boxed{11}.", EQ),
    ("R1.2.1", "\\frac{2}{3}", "So the result is \\boxed{\\frac{2}{3}}", EQ),
    ("R1.2.2", "42", "Therefore, the final answer is 42. Done.", EQ),
    ("R1.2.2", "13", "Some work here.\n#### 13", EQ),
    ("R1.2.3", "\\sqrt{7}", "The length of the side is $\\sqrt{7}$", EQ),
    ("R1.2.4", "25", "Tom bought 3 packs and now has 25 cards in total.", EQ),
    ("R1.2.4", "40", "Tom bought 3 packs and now has 25 cards in total.", NE),
    ("R1.3", "30", "So 5 × 6 = 30", EQ),
    ("R1.4", "3", "I do not know.", NE),
    # R2 wrappers
    ("R2", "\\frac{5}{12}", "\\boxed{\\tfrac{5}{12}}", EQ),
    ("R2", "4", "\\left( 4 \\right)", EQ),
    ("R2", "\\frac{1}{7}", "\\frac17", EQ),
    ("R2", "2\\sqrt{5}", "2\\sqrt5", EQ),
    ("R2", "17", "`17`", EQ),
    # R3 text and choices
    ("R3", "\\text{(A)}", "(a)", EQ),
    ("R3", "\\text{(A)}", "\\text{(E)}", NE),
    ("R3", "\\text{odd}", "Odd.", EQ),
    ("R3", "\\text{odd}", "\\text{not odd}", NE),
    # R4 punctuation
    ("R4.1", "81", "81.", EQ),
    ("R4.1", ".75", "0.75", EQ),
    ("R4.2", "6", "6!", NE),
    ("R4.2", "720", "6!", EQ),
    ("R4.3", "2.5", "2..5", NE),
    ("R4.3", "7.25", "725", NE),
    # R5 currency and units
    ("R5.1", "1500", "$1,500.00", EQ),
    ("R5.1", "-12", "-$12", EQ),
    ("R5.1", "90", "£90", EQ),
    ("R5.2", "45", "45 miles per hour", EQ),
    ("R5.2", "150", "150 square feet", EQ),
    ("R5.2", "9", "\\$9 per ticket", EQ),
    ("R5.3", "5\\pi", "5 pi", EQ),
    ("R5.4", "4x", "4x \\text{ cm}", EQ),
    ("R5.5", "1500", "$1,500.25", NE),
    # R6 separators versus lists
    ("R6.1", "4500000", "4,500,000", EQ),
    ("R6.1", "72150", "72\\,150", EQ),
    ("R6.1", "31415", "31 415", EQ),
    ("R6.2", "4020", "40,20", NE),
    ("R6.2", "2048", "2, 048", NE),
    ("R6.5", "512,000", "512", NE),
    # R7 exact versus rounded
    ("R7.1", "3", "2.9999999", NE),
    ("R7.1", "\\frac{5}{8}", "0.625", EQ),
    ("R7.1", "\\frac{5}{8}", "0.63", NE),
    ("R7.2", "\\frac{4}{7}", "0.571429", EQ),
    ("R7.2", "\\frac{4}{7}", "0.571428", NE),
    ("R7.2", "\\frac{4}{7}", "0.57143", NE),
    ("R7.2", "\\sqrt{10}", "3.162278", EQ),
    ("R7.2", "3\\pi", "9.424778", EQ),
    ("R7.2", "3\\pi", "9.42", NE),
    ("R7.3", "\\frac{\\pi}{3}", "0.3333333\\pi", NE),
    ("R7.3", "1.2", "4 \\times 0.3", EQ),
    # R8 fractions
    ("R8", "\\frac{3}{4}", "\\frac{12}{16}", EQ),
    ("R8", "\\frac{3}{4}", "9/12", EQ),
    ("R8", "0.4", "\\frac{4}{100}", NE),
    # R9 mixed numbers
    ("R9.1", "5.5", "5 \\frac{1}{2}", EQ),
    ("R9.1", "-\\frac{9}{4}", "-2\\frac14", EQ),
    ("R9.1", "\\frac{11}{4}", "2 3/4", EQ),
    ("R9.2", "\\frac{1}{2}", "5\\frac{1}{2}", NE),
    ("R9.3", "\\frac{3}{2}", "3 \\times \\frac{1}{2}", EQ),
    ("R9.3", "\\frac{10}{3}", "2\\frac{5}{3}", EQ),
    # R10 repeating decimals
    ("R10.1", "\\frac{1}{3}", "0.\\overline{3}", EQ),
    ("R10.1", "\\frac{7}{30}", "0.2\\overline{3}", EQ),
    ("R10.2", "\\frac{1}{3}", "0.\\overline{33}", EQ),
    ("R10.2", "\\frac{2}{9}", "0.\\overline{12}", NE),
    ("R10.3", "\\frac{1}{3}", "0.333333...", EQ),
    ("R10.3", "\\frac{1}{3}", "0.333...", NE),
    # R11 percent
    ("R11.1", "0.45", "45%", EQ),
    ("R11.1", "45", "45 percent", EQ),
    ("R11.1", "\\frac{3}{5}", "60\\%", EQ),
    ("R11.2", "12\\%", "12 pct", EQ),
    ("R11.2", "12\\%", "0.12%", NE),
    ("R11.3", "0.45", "45", NE),
    # R12 scientific notation
    ("R12.1", "0.00031", "3.1e-4", EQ),
    ("R12.1", "3.1 \\times 10^{-4}", "0.00031", EQ),
    ("R12.1", "6000000", "6 \\cdot 10^6", EQ),
    ("R12.2", "e^3", "20.085537", EQ),
    ("R12.3", "4.2 \\times 10^{3}", "42 \\times 10^{3}", NE),
    # R13 signs
    ("R13", "-16", "-4^2", EQ),
    ("R13", "16", "-4^2", NE),
    ("R13", "16", "(-4)^2", EQ),
    ("R13", "-\\frac{1}{4}", "−0.25", EQ),
    ("R13", "-\\sqrt{5}", "\\sqrt{-5}", NE),
    # R14 number words
    ("R14", "99", "ninety-nine", EQ),
    ("R14", "305", "three hundred and five", EQ),
    ("R14", "3000000", "3 million", EQ),
    ("R14", "-13", "minus thirteen", EQ),
    ("R14", "13", "thirty", NE),
    ("R14", "300", "three thousand", NE),
    # R15 values, not forms
    ("R15.1", "x^2-9", "(x-3)(x+3)", EQ),
    ("R15.1", "\\sqrt{72}", "6\\sqrt{2}", EQ),
    ("R15.1", "\\binom{10}{3}", "120", EQ),
    ("R15.3", "2a", "2A", NE),
    ("R15.3", "a - b", "b - a", NE),
    ("R15.4", "3^{2^2}", "81", EQ),
    ("R15.4", "3^{2^2}", "6561", NE),
    # R16 equations
    ("R16.1", "\\frac{9}{2}", "k = 4.5", EQ),
    ("R16.1", "y = 3x - 1", "3x - 1", EQ),
    ("R16.2", "a = 2", "b = 2", NE),
    ("R16.3", "y = 4 - x", "x + y = 4", EQ),
    ("R16.3", "x + 2y = 6", "x + 2y = -6", NE),
    ("R16.4", "6", "3x = 6", NE),
    ("R16.4", "x = 3", "x^2 = 9", NE),
    ("R16.5", "2, 5", "x = 5, x = 2", EQ),
    ("R16.5", "(1, 3)", "y = 3, x = 1", EQ),
    # R17 inequalities and intervals
    ("R17", "(-4, 1]", "-4 < x \\leq 1", EQ),
    ("R17", "[2, \\infty)", "x \\geq 2", EQ),
    ("R17", "(-\\infty, 3)", "\\{x \\mid x < 3\\}", EQ),
    ("R17", "x \\ne -1", "(-\\infty, -1) \\cup (-1, \\infty)", EQ),
    ("R17", "(0, 4) \\cup (4, 8)", "(0, 8) \\setminus \\{4\\}", EQ),
    ("R17", "x < 0 \\text{ or } x > 2", "(2, \\infty) \\cup (-\\infty, 0)", EQ),
    ("R17", "x \\in \\mathbb{R}", "all real numbers", EQ),
    ("R17", "x < 7", "x \\le 7", NE),
    ("R17", "[0, \\pi)", "[0, 3.14)", NE),
    ("R17", "[0, \\pi)", "[0, 3.141593)", EQ),
    # R18 sets, lists, tuples
    ("R18.1", "\\{2, 7\\}", "7, 2", EQ),
    ("R18.1", "2 \\pm \\sqrt{3}", "2-\\sqrt3, 2+\\sqrt3", EQ),
    ("R18.2", "2 \\pm \\sqrt{3}", "2+\\sqrt3", NE),
    ("R18.2", "1, 2, 3", "1, 2", NE),
    ("R18.3", "(2, 9)", "(9, 2)", NE),
    ("R18.3", "\\begin{bmatrix} 3 \\\\ 4 \\end{bmatrix}", "(3, 4)", EQ),
    ("R18.3", "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}",
     "\\begin{bmatrix} 1 & 2 \\\\ 3 & 4 \\end{bmatrix}", EQ),
    ("R18.4", "(4, 6)", "\\{4, 6\\}", NE),
    ("R18.5", "(1, 5)", "1 < x < 5", EQ),
    ("R18.5", "(1, 5)", "[1, 5]", NE),
    ("R18.6", "\\varnothing", "\\emptyset", EQ),
    ("R18.7", "\\frac{2}{3}, 1", "1, 0.\\overline{6}", EQ),
    # R19 complex
    ("R19.1", "-4", "(2i)^2", EQ),
    ("R19.2", "3i", "\\sqrt{-9}", EQ),
    ("R19.3", "4+3i", "3i+4", EQ),
    ("R19.3", "4+3i", "3+4i", NE),
    ("R19.3", "\\frac{\\sqrt{2}}{2}+\\frac{\\sqrt{2}}{2}i", "0.707107 + 0.707107i", EQ),
    ("R19.3", "\\frac{1}{3}-\\frac{\\sqrt{2}}{2}i", "0.3333333 - 0.7071068i", EQ),
    ("R19.3", "\\frac{1}{3}-\\frac{\\sqrt{2}}{2}i", "0.3333333 + 0.7071068i", NE),
    ("R19.3", "\\frac{1}{3}-\\frac{\\sqrt{2}}{2}i", "0.33 - 0.7071068i", NE),
    # R20 degrees
    ("R20", "72^\\circ", "72 degrees", EQ),
    ("R20", "45", "45°", EQ),
    ("R20", "\\frac{\\pi}{4}", "45^\\circ", NE),
    ("R20", "120^{\\circ}", "60", NE),
    # forms seen in plain-text replies
    ("R12", "2300", "2.3 x 10^3", EQ),
    ("R13", "-9", "negative 9", EQ),
    ("R15", "7", "12 minus 5", EQ),
    ("R18.1", "\\{3, 8\\}", "{8, 3}", EQ),
    ("R18.3", "(2, -3)", "\\langle 2, -3 \\rangle", EQ),
    ("R16.1", "5x - 2", "g(x) = 5x - 2", EQ),
    ("R16.1", "11", "f(2) = 11", EQ),
    ("R15", "3", "\\log_{2} 8", EQ),
    ("R16.5", "(2, 7)", "(x, y) = (2, 7)", EQ),
    ("R5.4", "3y", "3y m", NE),
]


@pytest.mark.parametrize(
    ("rule", "gold", "pred", "expected"),
    CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)],
)
def test_rule(rule: str, gold: str, pred: str, expected: bool) -> None:
    res = check_in_process(gold, pred)
    assert (res.status == "equivalent") == expected, res


@pytest.mark.parametrize(
    ("gold", "pred", "reason"),
    [
        ("2", "1.2.3", "parse_error"),
        ("1", "(10^{10})!", "too_big"),
        ("1", "10^{10^{10}}", "too_big"),
        ("1", "x^{201}", "too_big"),
        ("1", "\\binom{5000}{2}", "too_big"),
        ("1", "(" * 31 + "1" + ")" * 31, "too_deep"),
        ("1", "1" * 201, "too_big"),
        ("1", "1" * 2000, "too_long"),
        ("1", "x" * 50_001, "too_long"),
        ("1", ", ".join(["1"] * 101), "too_big"),
        ("12", "1\x002", "control_char"),
        ("12", "1\u202e2", "bad_unicode"),
        ("3", "no digits here at all", "no_answer"),
    ],
)
def test_limit_reasons(gold: str, pred: str, reason: str) -> None:
    res = check_in_process(gold, pred)
    assert (res.status, res.reason) == ("unparseable", reason)


def test_limits_at_the_boundary() -> None:
    assert check_in_process("1", "(" * 30 + "1" + ")" * 30).status == "equivalent"
    root = "\\sqrt{" * 30 + "1" + "}" * 30
    assert check_in_process("1", root).status == "equivalent"
    assert check_in_process("1", "\\sqrt{" + root + "}").reason == "too_deep"
    frac = "\\frac{1}{" * 30 + "1" + "}" * 30
    assert check_in_process("1", frac).status == "equivalent"
    assert check_in_process("1" * 200, "1" * 200).status == "equivalent"
    hundred = [str(i) for i in range(100)]
    gold = "\\{" + ", ".join(hundred) + "\\}"
    assert check_in_process(gold, ", ".join(reversed(hundred))).status == "equivalent"
    assert check_in_process("x^{200}", "x^{200}").status == "equivalent"
    assert check_in_process("1", "2^{10000}").status == "not_equivalent"
    assert check_in_process("1", "2^{40000}").reason == "too_big"
    assert check_in_process("720", "6!").status == "equivalent"
    assert check_in_process("1", "1000!").status == "not_equivalent"
    assert check_in_process("1", "1001!").reason == "too_big"


def test_zero_width_removed_and_digits_mapped() -> None:
    assert check_in_process("12", "1\u200b2").status == "equivalent"  # S2.2: removed
    assert check_in_process("25", "2\u2075").status == "not_equivalent"  # S2.3: 2^5
    assert check_in_process("32", "2\u2075").status == "equivalent"
    assert check_in_process("42", "\u096a\u0968").status == "equivalent"  # S2.5: mapped


def test_display_forms() -> None:
    res = check_in_process("3/4", "0.75")
    assert (res.gold_norm, res.pred_norm) == ("3/4", "0.75")
    res = check_in_process("35\\%", "\\frac{7}{20}")
    assert res.gold_norm == "35%"


def test_reason_codes() -> None:
    assert check_in_process("\\frac{5}{7}", "0.714286").reason == "rounded_ok"
    assert check_in_process("2", "2").reason == "equal"
    assert check_in_process("2", "3").reason == "different"
