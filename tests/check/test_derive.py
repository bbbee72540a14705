"""EoT and PoT: answers derived from a model's equations or program, never by running its text."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tot_tui.check import Checker, check_in_process, derive_in_process
from tot_tui.domain import Derived, DerivedStatus

S = DerivedStatus


def eq(text: str, context: str = "") -> Derived:
    return derive_in_process("equations", text, context)


def prog(text: str) -> Derived:
    return derive_in_process("program", text)


def assert_solved(d: Derived, gold: str) -> None:
    assert d.status is S.SOLVED, d
    assert d.ok and d.value is not None
    res = check_in_process(gold, d.value)
    assert res.status == "equivalent", (gold, d.value, res)


@pytest.fixture(scope="module")
def checker() -> Iterator[Checker]:
    with Checker(deadline=2.0, derive_deadline=5.0) as c:
        assert c.start(wait=True)
        yield c


# -- equations: solved ----------------------------------------------------------------------------
JANET = """System of linear equations: (Do not simplify)
% Janet's ducks lay 16 eggs per day
eggs_per_day = 16
% She eats three and bakes with four
eaten = 3
baked = 4
price = 2
ans = (eggs_per_day - eaten - baked) * price
"""


def test_gsm8k_chain() -> None:
    d = eq(JANET)
    assert_solved(d, "18")
    assert d.kind == "equations"
    assert d.reason == "Solved 5 equations: ans = 18."


def test_linear_system_unordered_fenced_with_prose() -> None:
    text = """Let me set up the equations.

```
1. ans = 3*a + b
2. a + b = 10
3. a - b = 2
```
So the answer follows from these."""
    assert_solved(eq(text), "22")


def test_several_unknowns_any_order_and_unicode_operators() -> None:
    text = "total = 2x + 3y\n- y = x − 1\n- x + y = 7\nans = (total + 1) ÷ 2"
    d = eq(text)  # bullets, not minus signs: x = 4, y = 3, total = 17
    assert_solved(d, "9")


def test_implicit_multiplication_caret_percent_and_decimals() -> None:
    text = "x = 25% × 80\ny^2 = 9\ny > 0\nans = 2x + 0.5y"
    assert_solved(eq(text), "41.5")
    assert eq(text).value == "83/2"


def test_rational_and_surd_values_are_read_by_the_checker() -> None:
    assert_solved(eq("3x = 7\nans = x / 2"), "\\frac{7}{6}")
    d = eq("x^2 = 8\n% x is positive\nans = x")
    assert_solved(d, "2\\sqrt{2}")
    assert d.value == "2*sqrt(2)"
    d = eq("x**2 - x - 1 = 0\nx > 0\nans = x")
    assert_solved(d, "\\frac{1+\\sqrt{5}}{2}")


def test_answer_spelled_answer_or_result() -> None:
    assert_solved(eq("speed = 60\ntime = 2.5\nAnswer = speed * time"), "150")
    assert_solved(eq("result = 7 * 6"), "42")


def test_quintic_without_radicals_gets_a_decimal_root() -> None:
    d = eq("x^5 - x - 1 = 0\nans = x")
    assert d.status is S.SOLVED, d
    assert d.value is not None and d.value.startswith("1.16730397")


# -- equations: a root chosen by a condition ------------------------------------------------------
def test_square_root_chosen_by_a_comment() -> None:
    d = eq("% x is positive\nx**2 = 16\nans = x")
    assert_solved(d, "4")
    assert "2 solutions" in d.reason


def test_quadratic_root_chosen_by_a_condition_line() -> None:
    d = eq("x^2 - 5x + 6 = 0\nx > 2\nans = x")
    assert_solved(d, "3")


def test_quadratic_without_a_condition_is_ambiguous() -> None:
    d = eq("x^2 - 5x + 6 = 0\nans = x")
    assert d.status is S.AMBIGUOUS and d.value is None
    assert "2, 3" in d.reason


def test_condition_word_on_the_answer_and_integer_words() -> None:
    d = eq("% the number of boxes is a positive integer\n2n^2 - 7n + 3 = 0\nans = n")
    assert_solved(d, "3")  # roots 3 and 1/2


def test_context_words_break_a_tie_only() -> None:
    text = "x^2 = 25\nans = x"
    assert eq(text).status is S.AMBIGUOUS
    assert_solved(eq(text, "A positive number squared is 25. What is it?"), "5")
    # the problem's words never empty the set: they may be about another quantity
    assert eq("x = -3\nans = x", "How many positive divisors?").value == "-3"


def test_no_value_meets_the_condition() -> None:
    d = eq("x^2 = 4\nx > 5\nans = x")
    assert d.status is S.NO_SOLUTION
    assert "condition" in d.reason


# -- equations: not solvable ----------------------------------------------------------------------
def test_inconsistent_system() -> None:
    d = eq("x + y = 2\nx + y = 3\nans = x")
    assert d.status is S.NO_SOLUTION and d.value is None
    assert "contradict" in d.reason


def test_two_values_for_one_number_contradict() -> None:
    assert eq("x = 5\nx = 6\nans = x").status is S.NO_SOLUTION


def test_no_real_solution() -> None:
    d = eq("x^2 = -1\nans = x")
    assert d.status is S.NO_SOLUTION and "real" in d.reason


def test_underdetermined() -> None:
    d = eq("ans = x + y\nx - y = 1")
    assert d.status is S.UNDERDETERMINED and d.value is None
    assert "ans" in d.reason


def test_junk_prose_is_refused() -> None:
    d = eq("I think the answer is probably around twelve, give or take.\nThanks!")
    assert d.status is S.REFUSED and "No equations" in d.reason


def test_no_answer_variable_is_refused() -> None:
    d = eq("x + y = 10\nx - y = 2")
    assert d.status is S.REFUSED and "ans =" in d.reason


def test_unreadable_line_is_named() -> None:
    d = eq("x = 3\nans = round(x / 7, 2)")
    assert d.status is S.REFUSED
    assert d.reason.startswith("Line 2 is not an equation I can read") and "round" in d.reason


def test_floor_division_is_refused() -> None:
    assert eq("ans = 7 // 2").status is S.REFUSED


# -- equations: hostile ---------------------------------------------------------------------------
def test_hostile_equations_are_refused_and_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    texts = [
        f"ans = __import__('os').system('touch {marker}')",
        f"x = 1\nans = x.__class__.__bases__[0].__subclasses__()\n% touch {marker}",
        f"ans = open('{marker}', 'w').write('x')",
        f"ans = (lambda: __import__('os').system('touch {marker}'))()",
        "ans = eval('1+1')",
        "ans = x[0]",
    ]
    for text in texts:
        d = eq(text)
        assert d.status is S.REFUSED, (text, d)
        assert "Line" in d.reason
    assert not marker.exists()


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("x = 9**9**9**9\nans = x", "exponent"),
        ("ans = x^100000", "power"),
        ("ans = " + "9" * 200, "digits"),
        ("ans = " + "(" * 60 + "1" + ")" * 60, "nested"),
        ("ans = " + "1 + " * 200 + "1", "too long"),
        ("x = 1\n" * 201 + "ans = x", "more than 200"),
        ("ans = " + "-" * 400 + "1", "nesting"),
    ],
    ids=["tower", "degree", "literal", "brackets", "line", "count", "unary"],
)
def test_equation_size_limits(text: str, word: str) -> None:
    d = eq(text)
    assert d.status is S.REFUSED, d
    assert word in d.reason


def test_whole_reply_limit() -> None:
    d = eq("x = 1\n" * 5000)
    assert d.status is S.REFUSED and "too long" in d.reason


# -- programs -------------------------------------------------------------------------------------
def test_straight_line_program() -> None:
    d = prog("eggs = 16\neaten = 3\nbaked = 4\nans = (eggs - eaten - baked) * 2\n")
    assert_solved(d, "18")
    assert d.kind == "program" and "`ans`" in d.reason


def test_pal_solution_function() -> None:
    text = '''Here is the program:
```python
def solution():
    """Olivia has $23. She bought five bagels for $3 each."""
    money_initial = 23
    bagels = 5
    bagel_cost = 3
    money_spent = bagels * bagel_cost
    result = money_initial - money_spent
    return result
```
The answer is 8.'''
    assert_solved(prog(text), "8")


def test_print_at_end_is_the_answer() -> None:
    text = "x = 7\ny = x * 3\nprint('working', x)\nprint(f'The answer is {y / 2}')\n"
    d = prog(text)
    assert_solved(d, "\\frac{21}{2}")
    assert d.value == "10.5"


def test_indented_block_between_prose() -> None:
    text = ("Sure! Here is the code:\n\n    def solution():\n        return 4 * 5\n\n"
            "    print(solution())\n\nHope that helps.")
    assert_solved(prog(text), "20")


def test_print_of_a_call() -> None:
    assert_solved(prog("def solution():\n    return 2 ** 10\n\nprint(solution())"), "1024")


def test_augmented_assignment() -> None:
    text = "x = 10\nx += 5\nx -= 1\nx *= 3\nx //= 4\nx %= 7\nx **= 2\nx /= 8\nans = x"
    d = prog(text)  # 15, 14, 42, 10, 3, 9, 9/8
    assert_solved(d, "\\frac{9}{8}")
    assert d.value == "1.125"


def test_round_with_fractions() -> None:
    d = prog("total = 10 / 3\nans = round(total, 2)")
    assert d.value == "3.33"
    assert_solved(d, "3.33")
    assert prog("ans = round(2.5)").value == "2"  # half to even, as Python does
    assert prog("ans = round(7 / 2)").value == "4"


def test_exact_decimals_and_repeating_ones() -> None:
    assert prog("ans = 0.1 + 0.2").value == "0.3"  # exact, not 0.30000000000000004
    d = prog("ans = 2 / 3")
    assert d.value == "0.6666666667"
    assert_solved(d, "\\frac{2}{3}")


def test_builtins_and_math() -> None:
    text = (
        "import math\n"
        "a, b = 3, 4\n"
        "c = math.sqrt(a**2 + b**2)\n"
        "ans = max(a, b) + min([c, 10]) + sum([1, 2, 3]) + abs(-2) + int(7 / 2) "
        "+ math.floor(2.7) + math.ceil(0.2)\n"
    )
    assert_solved(prog(text), "23")  # 4 + 5 + 6 + 2 + 3 + 2 + 1
    d = prog("from math import sqrt\nans = sqrt(2)")
    assert_solved(d, "\\sqrt{2}")  # 1.414213562, correctly rounded


def test_simple_if_and_conditional_expression() -> None:
    text = "x = 12\nif x > 10:\n    fee = 5\nelse:\n    fee = 0\nans = x + fee if fee else x"
    assert_solved(prog(text), "17")


def test_answer_order_print_then_ans_then_solution() -> None:
    assert prog("ans = 1\nprint(2)").value == "2"
    assert prog("result = 3\nanswer = 2").value == "2"
    assert prog("def solution():\n    return 5\nx = 1").value == "5"


def test_no_answer_is_refused() -> None:
    d = prog("x = 1\ny = 2")
    assert d.status is S.REFUSED and "does not say which value" in d.reason


def test_several_numbers_in_the_last_print_are_refused() -> None:
    d = prog("a = 1\nb = 2\nprint(a, b)")
    assert d.status is S.REFUSED and "2 numbers" in d.reason


def test_division_by_zero() -> None:
    d = prog("x = 5\ny = 0\nans = x / y")
    assert d.status is S.REFUSED
    assert d.reason == "The program divides by zero (line 3)."
    assert prog("ans = 5 % 0").status is S.REFUSED


def test_undefined_name() -> None:
    d = prog("ans = price * 2")
    assert d.status is S.REFUSED
    assert d.reason == "The program uses price before giving it a value (line 1)."


def test_not_python() -> None:
    d = prog("The answer is seven (7), since 3 + 4 = 7.")
    assert d.status is S.REFUSED


# -- programs: hostile ----------------------------------------------------------------------------
def hostile_programs(marker: Path) -> list[tuple[str, str]]:
    return [
        (f"import os; os.system('touch {marker}')", "imports os"),
        (f"__import__('os').system('touch {marker}')", "__import__"),
        (f"open('{marker}', 'w').write('x')", "attribute"),
        (f"ans = open('{marker}', 'w')", "open"),
        (f"x = ().__class__.__bases__[0].__subclasses__()\n# touch {marker}", "attribute"),
        (f"exec(\"open('{marker}', 'w')\")", "exec"),
        (f"eval(\"__import__('os').system('touch {marker}')\")", "eval"),
        (f"from os import system\nsystem('touch {marker}')", "imports from os"),
        (f"import subprocess\nsubprocess.run(['touch', '{marker}'])", "imports subprocess"),
        (f"f = lambda: open('{marker}', 'w')\nans = 1", "lambda"),
        (f"with open('{marker}', 'w') as f:\n    pass", "with"),
        (f"try:\n    ans = 1\nexcept Exception:\n    open('{marker}', 'w')", "try"),
        (f"class A:\n    x = open('{marker}', 'w')", "class"),
        (f"ans = [open('{marker}', 'w') for _ in range(1)]", "comprehension"),
        (f"def solution(p=open('{marker}', 'w')):\n    return 1", "parameters"),
        ("while True: pass", "while loop"),
        ("for i in range(10**9):\n    pass", "for loop"),
        ("def solution():\n    return solution()\nans = solution()", "calls itself"),
        ("global x\nx = 1", "global"),
        ("ans = getattr(1, 'real')", "getattr"),
        ("ans = 'a' * 10**9", "text"),
    ]


def test_hostile_programs_are_refused_and_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    for text, word in hostile_programs(marker):
        d = prog(text)
        assert d.status is S.REFUSED, (text, d)
        assert word in d.reason, (text, d.reason)
        assert "line" in d.reason or "more than" in d.reason or "function" in d.reason, d.reason
    assert not marker.exists()


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("ans = 9**9**9", "power above"),
        ("ans = 10**100000", "power above"),
        ("ans = 10**5000", "more than 1,000 digits"),
        ("x = 10**600\nans = x * x", "more than 1,000 digits"),
        ("ans = " + "(" * 10000, "nested too deeply"),
        ("ans = " + "(" * 60 + "1" + ")" * 60, "nested too deeply"),
        ("ans = " + "-" * 5000 + "1", "nested too deeply"),
        ("ans = " + "9" * 200, "digits"),
        ("x = 1\n" * 301 + "ans = x", "more than 300 statements"),
        ("def f():\n" + ("    y = " + " + ".join(["1"] * 40) + "\n") * 3 + "    return y\n"
         "ans = " + " + ".join(["f()"] * 60), "steps"),  # f's body is evaluated 60 times
        ("ans = 1e308 * 10", "ans"),  # exact: no float overflow, just a big number
    ],
    ids=["tower", "huge-power", "digits", "product", "parens-10000", "parens-60", "unary",
         "literal", "statements", "steps", "no-overflow"],
)
def test_program_resource_limits(text: str, word: str) -> None:
    d = prog(text)
    if word == "ans":
        assert d.status is S.SOLVED and d.value is not None and d.value.startswith("1")
        return
    assert d.status is S.REFUSED, d
    assert word in d.reason, d.reason


def test_megabyte_program_is_refused() -> None:
    d = prog("x = 1\n" * 200_000)
    assert d.status is S.REFUSED and "too long" in d.reason


def test_bad_kind_and_non_text() -> None:
    assert derive_in_process("poetry", "x = 1").status is S.REFUSED
    assert derive_in_process("program", 42).status is S.REFUSED  # type: ignore[arg-type]


# -- through the worker ---------------------------------------------------------------------------
def test_worker_derives_equations_and_programs(checker: Checker) -> None:
    d = checker.derive("equations", JANET)
    assert_solved(d, "18")
    d = checker.derive("program", "def solution():\n    return 7 / 2\nprint(solution())")
    assert_solved(d, "\\frac{7}{2}")
    d = checker.derive("equations", "x^2 = 9\nans = x", "a positive number")
    assert_solved(d, "3")
    assert checker.check("3/4", "0.75").status == "equivalent"


def test_worker_refuses_hostile_text_without_running_it(checker: Checker, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    for text, _ in hostile_programs(marker)[:8]:
        assert checker.derive("program", text).status is S.REFUSED
    d = checker.derive("equations", f"ans = __import__('os').system('touch {marker}')")
    assert d.status is S.REFUSED
    assert not marker.exists()


def test_worker_precheck_answers_without_a_trip(checker: Checker) -> None:
    seq = checker._seq
    assert checker.derive("program", "x" * 1_000_000).status is S.REFUSED
    assert checker.derive("program", None).status is S.REFUSED  # type: ignore[arg-type]
    assert checker.derive("nonsense", "x = 1").status is S.REFUSED
    assert checker._seq == seq  # nothing was sent to the worker


def test_worker_derive_deadline_then_next_check_is_fine() -> None:
    slow = "x^7 + 3x^4 - 2x + y = 0\ny^3 - x*y = 4\nans = x + y"  # many seconds of sympy
    with Checker(derive_deadline=0.3) as c:
        assert c.start(wait=True)
        before = c.restarts
        start = time.monotonic()
        d = c.derive("equations", slow)
        assert time.monotonic() - start < 2.0
        assert d.status is S.FAILED and d.value is None
        assert "too long" in d.reason
        assert c.restarts == before + 1
        assert c.check("\\frac{1}{2}", "0.5").status == "equivalent"
        c.derive_deadline = 5.0
        assert_solved(c.derive("equations", "x + 1 = 3\nans = x"), "2")


def test_aderive(checker: Checker) -> None:
    d = asyncio.run(checker.aderive("program", "ans = 6 * 7"))
    assert_solved(d, "42")


def test_closed_checker_fails_without_raising() -> None:
    c = Checker()
    c.close()
    d = c.derive("program", "ans = 1")
    assert d.status is S.FAILED and d.reason
