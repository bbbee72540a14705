"""tot_tui.mathtext: LaTeX math in text rendered as Unicode for a terminal.

The gallery (tests/data/math_gallery.jsonl) is JSON lines, one entry a line:
{"id": a short name, "source": where the text comes from (a MATH500 unique_id and field, or
"small-model reply style"), "text": the text to render}.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pytest

from tot_tui.mathtext import has_math, render
from tot_tui.mathtext import symbols as sym
from tot_tui.mathtext.block import text_width
from tot_tui.mathtext.spans import find_segments
from tot_tui.textsafe import safe_text

GALLERY_PATH = Path(__file__).parent.parent / "data" / "math_gallery.jsonl"
GALLERY = [json.loads(line) for line in GALLERY_PATH.read_text(encoding="utf-8").splitlines()
           if line.strip()]


def lines(*rows: str) -> str:
    return "\n".join(rows)


# --- inline math: one line ---------------------------------------------------------------

INLINE = [
    # fractions
    (r"$\frac{a}{b}$", "a/b"),
    (r"$\frac{x+1}{x-2}$", "(x+1)/(x−2)"),
    (r"$\frac{3}{20}$", "3/20"),
    (r"$\dfrac{3}{4}$", "¾"),
    (r"$\tfrac{1}{3}$", "⅓"),
    (r"$\frac12$", "½"),
    (r"$\frac{\pi}{2}$", "π/2"),
    (r"$\frac{1}{2\pi}$", "1/(2π)"),
    (r"$-\frac{1}{2}$", "−½"),
    (r"$3\frac{4}{7}$", "3 4/7"),
    (r"$2\frac{1}{2}$", "2½"),
    (r"$\frac{4}{3}\pi r^3$", "(4/3)πr³"),
    (r"$\frac{a}{b}c$", "(a/b)c"),
    (r"$\frac{\frac{1}{2}}{3}$", "(½)/3"),
    (r"$\frac{7!}{2!}$", "7!/2!"),
    (r"$\sin \frac{\pi}{2}$", "sin(π/2)"),
    (r"$\lim_{x \to 0} \frac{\sin x}{x}$", "lim_(x→0) (sin x)/x"),
    (r"$z = \frac{5}{3}.$", "z = 5/3."),
    (r"${{47}\over{288}}$", "47/288"),
    # roots
    (r"$\sqrt{x}$", "√x"),
    (r"$\sqrt{x+1}$", "√(x+1)"),
    (r"$\sqrt{(x+1)}$", "√(x+1)"),
    (r"$\sqrt{x^2}$", "√(x²)"),
    (r"$\sqrt[3]{x}$", "∛x"),
    (r"$\sqrt[4]{16}$", "∜16"),
    (r"$\sqrt[n]{x}$", "ⁿ√x"),
    (r"$2\sqrt{3}$", "2√3"),
    (r"$\sqrt{2}x$", "√(2)x"),
    # scripts
    (r"$x^2$", "x²"),
    (r"$x^{10}$", "x¹⁰"),
    (r"$x^10$", "x¹0"),  # as TeX reads it: the script is one token
    (r"$a_n$", "aₙ"),
    (r"$x_{ij}$", "xᵢⱼ"),
    (r"$x_{i,j}$", "x_(i,j)"),
    (r"$x^{\alpha+\beta}$", "x^(α+β)"),
    (r"$x_{\alpha}$", "x_α"),
    (r"$e^{i\pi}$", "e^(iπ)"),
    (r"$2^{n-1}$", "2ⁿ⁻¹"),
    (r"$x^{-1}$", "x⁻¹"),
    (r"$x_1^2$", "x₁²"),
    (r"$a^2+b^2=c^2$", "a² + b² = c²"),
    (r"$f'(x)$", "f′(x)"),
    (r"$x^{\prime}$", "x′"),
    (r"$n^{\text{th}}$", "nᵗʰ"),
    # degrees
    (r"$90^\circ$", "90°"),
    (r"$x^{\circ}$", "x°"),
    (r"$45\degree$", "45°"),
    (r"$f \circ g$", "f ∘ g"),
    # Greek, operators, relations
    (r"$\alpha + \beta = \gamma$", "α + β = γ"),
    (r"$\Omega \pi \infty$", "Ωπ∞"),
    (r"$2\pi r$", "2πr"),
    (r"$a \times b \cdot c \div d \pm e$", "a × b · c ÷ d ± e"),
    (r"$a \le b \ge c \ne d \approx e$", "a ≤ b ≥ c ≠ d ≈ e"),
    (r"$a \leq b \geq c \neq d$", "a ≤ b ≥ c ≠ d"),
    (r"$x \in A \cup B \cap C$", "x ∈ A ∪ B ∩ C"),
    (r"$x \to \infty$", "x → ∞"),
    (r"$a \not= b$", "a ≠ b"),
    (r"$x \notin A$", "x ∉ A"),
    (r"$\angle ABC = \angle DEF$", "∠ABC = ∠DEF"),
    (r"$\triangle ABC$", "△ABC"),
    (r"$1, 2, \ldots, n$", "1, 2, …, n"),
    (r"$1 + \cdots + n$", "1 + … + n"),
    (r"$a_1, \dots, a_k$", "a₁, …, aₖ"),
    # signs
    (r"$-5$", "−5"),
    (r"$x = -1$", "x = −1"),
    (r"$a - b$", "a − b"),
    (r"$3 \cdot (-2)$", "3 · (−2)"),
    (r"$(-\infty, 5]$", "(−∞, 5]"),
    # large operators and named functions
    (r"$\sum_{k=1}^{n} k$", "Σₖ₌₁ⁿ k"),
    (r"$\prod_{i=1}^n a_i$", "Πᵢ₌₁ⁿ aᵢ"),
    (r"$\int_0^1 x\,dx$", "∫₀¹ x dx"),
    (r"$\sin^2 x + \cos^2 x = 1$", "sin² x + cos² x = 1"),
    (r"$\log_2 8$", "log₂ 8"),
    (r"$\sin(x)$", "sin(x)"),
    (r"$\lim_{n\to\infty} a_n$", "lim_(n→∞) aₙ"),
    # text
    (r"$5 \text{ cm}$", "5 cm"),
    (r"$\text{Number of cupcakes} = 24$", "Number of cupcakes = 24"),
    (r"$\mbox{area}$", "area"),
    (r"$\mathrm{d}x$", "dx"),
    (r"$\textbf{bold}$", "bold"),
    (r"$\operatorname{lcm}(4, 6)$", "lcm(4, 6)"),
    (r"$\mathbf{v} \cdot \mathbf{w}$", "v · w"),
    (r"\(\text{if $x > 0$}\)", "if x > 0"),
    # delimiters
    (r"$\left( \frac{1}{2} \right)$", "(½)"),
    (r"$\left\{ x \mid x > 0 \right\}$", "{x | x > 0}"),
    (r"$x\left(1 + x\right)$", "x(1 + x)"),
    (r"$\left. x \right|$", "x|"),
    (r"$\lfloor x \rfloor + \lceil y \rceil$", "⌊x⌋ + ⌈y⌉"),
    (r"$|x|$", "|x|"),
    (r"$\lvert x \rvert$", "|x|"),
    (r"$\|v\|$", "‖v‖"),
    (r"$\{1, 2\}$", "{1, 2}"),
    # boxes, spacing, escapes
    (r"$\boxed{12}$", "⟦12⟧"),
    (r"$x = \boxed{\frac{1}{2}}$", "x = ⟦½⟧"),
    (r"$a\,b\;c\!d~e\quad f$", "a b cd e  f"),
    (r"$a \qquad b$", "a    b"),
    (r"$50\%$", "50%"),
    (r"$20\ \%$", "20 %"),
    (r"$\$5$", "$5"),
    (r"$1,234$", "1,234"),
    (r"$1,\!234$", "1,234"),
    (r"$1{,}000$", "1,000"),
    (r"$(0,3)$", "(0, 3)"),
    # accents, sets, binomials, modular arithmetic
    (r"$\overline{x}$", "x̅"),
    (r"$0.\overline{3}$", "0.3̅"),
    (r"$\overline{AB}$", "A̅B̅"),
    (r"$\bar{x}$", "x̄"),
    (r"$\vec{v}$", "v⃗"),
    (r"$\mathbb{R}$", "ℝ"),
    (r"$\mathbb{Z}^+$", "ℤ⁺"),
    (r"$\binom{n}{k}$", "C(n, k)"),
    (r"$\binom{10}{3}$", "C(10, 3)"),
    (r"$a \equiv b \pmod{n}$", "a ≡ b (mod n)"),
    (r"$a \bmod b$", "a mod b"),
    # environments inline
    (r"$\begin{pmatrix} 1 \\ 2 \\ 3 \end{pmatrix}$", "(1; 2; 3)"),
    (r"$\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix}$", "[1, 2; 3, 4]"),
    (r"$f(x) = \begin{cases} 1 & x > 0 \\ 0 & \text{otherwise} \end{cases}$",
     "f(x) = {1, x > 0; 0 otherwise}"),
    (r"$\begin{aligned} x &= 1 \\ y &= 2 \end{aligned}$", "x = 1; y = 2"),
    # the other delimiters
    (r"\(x^2\)", "x²"),
    (r"\( \frac{1}{4} \)", "¼"),
]


@pytest.mark.parametrize(("source", "expected"), INLINE)
def test_inline(source: str, expected: str) -> None:
    assert render(source) == expected


def test_prose_around_math_is_left_as_it_is() -> None:
    text = "Let  $x=2$ ,so **bold** stays\tand so does `code`."
    assert render(text) == "Let  x = 2 ,so **bold** stays\tand so does `code`."


def test_the_reply_styles_of_small_models() -> None:
    assert (render("The final answer is $\\boxed{12}$. I hope it is correct.")
            == "The final answer is ⟦12⟧. I hope it is correct.")
    assert render("**Final Answer:** \\(\\boxed{18}\\)") == "**Final Answer:** ⟦18⟧"
    assert render("So the answer is \\boxed{5}.") == "So the answer is ⟦5⟧."
    assert render("Half is \\frac{1}{2} of it") == "Half is ½ of it"


# --- money -------------------------------------------------------------------------------

MONEY = [
    "It costs $5 and $7 more",
    "$1,234.50",
    "Janet sells them for $2 each and makes $18.",
    "The ticket is $5 and 7$ is the tax",
    "between $5-$7 a day",
    "I have $ 5 and $ 6",
    "Prices: $3, $4, and $5.",
]


@pytest.mark.parametrize("text", MONEY)
def test_dollar_amounts_are_prose(text: str) -> None:
    assert render(text) == text


@pytest.mark.parametrize(("text", "expected"), [
    ("$5$", "5"),
    ("The answer is $5$.", "The answer is 5."),
    ("$x+5$", "x + 5"),
    ("$5x+1$", "5x + 1"),
    ("between $5 and $10, or $x$ dollars", "between $5 and $10, or x dollars"),
    ("She earns $15 per hour, so in $h$ hours she earns $15h$ dollars.",
     "She earns $15 per hour, so in h hours she earns 15h dollars."),
    ("\\$5 and $x$", "\\$5 and x"),
    ("$ x = 1$ and $y $", "x = 1 and y"),
])
def test_math_among_dollar_amounts(text: str, expected: str) -> None:
    assert render(text) == expected


# --- display math: 2-D -------------------------------------------------------------------


def test_display_fraction_is_stacked_and_centred() -> None:
    assert render("$$\\frac{1}{2}$$") == lines("1", "─", "2")
    assert render("\\[x = \\frac{a+b}{2}\\]") == lines(
        "    a + b",
        "x = ─────",
        "      2")


def test_display_nested_fraction() -> None:
    assert render("\\[\\frac{1}{1 + \\frac{1}{x}}\\]") == lines(
        "  1",
        "─────",
        "    1",
        "1 + ─",
        "    x")


def test_display_text_and_fraction() -> None:
    assert render("\\[ \\text{Number of cupcakes sold} = \\frac{3}{4} \\times 24 \\]") == lines(
        "                          3",
        "Number of cupcakes sold = ─ × 24",
        "                          4")


def test_display_pmatrix() -> None:
    assert render("$$\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}$$") == lines(
        "⎛1  2⎞",
        "⎝3  4⎠")
    assert render("$$\\begin{pmatrix} 1 \\\\ -2 \\\\ 3 \\end{pmatrix}$$") == lines(
        "⎛1 ⎞",
        "⎜−2⎟",
        "⎝3 ⎠")


def test_display_bmatrix_and_vmatrix() -> None:
    assert render(
        "$$\\begin{bmatrix} 1 & 0 & 0 \\\\ 0 & 1 & 0 \\\\ 0 & 0 & 1 \\end{bmatrix}$$") == lines(
        "⎡1  0  0⎤",
        "⎢0  1  0⎥",
        "⎣0  0  1⎦")
    assert render("$$\\begin{vmatrix} a & b \\\\ c & d \\end{vmatrix} = ad - bc$$") == lines(
        "│a  b│ = ad − bc",
        "│c  d│")


def test_display_matrix_with_a_fraction() -> None:
    assert render("$$a = \\begin{pmatrix} \\frac{1}{2} & 0 \\\\ 0 & 1 \\end{pmatrix}$$") == lines(
        "    ⎛1   ⎞",
        "a = ⎜─  0⎟",
        "    ⎜2   ⎟",
        "    ⎝0  1⎠")


def test_display_cases() -> None:
    assert render(
        "\\[|x| = \\begin{cases} x & x \\ge 0 \\\\ -x & x < 0 \\end{cases}\\]") == lines(
        "      ⎧ x   x ≥ 0",
        "|x| = ⎨",
        "      ⎩ −x  x < 0")
    assert render(
        "\\[f(n) = \\begin{cases} 1 & n = 0 \\\\ 2 & n = 1 \\\\ 3 & n > 1 \\end{cases}\\]"
    ) == lines(
        "       ⎧ 1  n = 0",
        "f(n) = ⎨ 2  n = 1",
        "       ⎩ 3  n > 1")


def test_display_aligned_at_the_ampersand() -> None:
    assert render("\\begin{align*} x + y &= 5 \\\\ x &= 2 \\end{align*}") == lines(
        "x + y = 5",
        "    x = 2")
    assert render("\\[\\begin{aligned} a &= 1 + 1 \\\\ &= 2. \\end{aligned}\\]") == lines(
        "a = 1 + 1",
        "  = 2.")


def test_display_gathered() -> None:
    assert render("$$\\begin{gathered} x = 1 \\\\ y + z = 22 \\end{gathered}$$") == lines(
        "  x = 1",
        "y + z = 22")


def test_display_boxed_is_drawn_as_a_box() -> None:
    assert render("$$\\boxed{12}$$") == lines(
        "┌────┐",
        "│ 12 │",
        "└────┘")
    assert render("\\[24 + 48 = \\boxed{72}\\]") == lines(
        "          ┌────┐",
        "24 + 48 = │ 72 │",
        "          └────┘")
    assert render("$$\\boxed{\\frac{1}{2}}$$") == lines(
        "┌───┐",
        "│ 1 │",
        "│ ─ │",
        "│ 2 │",
        "└───┘")


def test_display_binomial_roots_and_tall_delimiters() -> None:
    assert render("$$\\binom{n}{k}$$") == lines("⎛n⎞", "⎜ ⎟", "⎝k⎠")
    assert render("$$\\sqrt{\\frac{a}{b}}$$") == lines(" ⎛a⎞", "√⎜─⎟", " ⎝b⎠")
    assert render("$$\\left(\\frac{1}{2}\\right)^2$$") == lines("⎛1⎞²", "⎜─⎟", "⎝2⎠")
    assert render("$$\\left\\lfloor \\frac{n}{2} \\right\\rfloor$$") == lines(
        "⎢n⎥", "⎢─⎥", "⎣2⎦")


def test_display_limits_above_and_below() -> None:
    assert render("$$\\sum_{k=1}^{n} k = \\frac{n(n+1)}{2}$$") == lines(
        " n      n(n + 1)",
        " Σ  k = ────────",
        "k=1        2")
    assert render("$$\\lim_{x \\to 0} \\frac{\\sin x}{x} = 1$$") == lines(
        "    sin x",
        "lim ───── = 1",
        "x→0   x")


def test_display_array_with_rules() -> None:
    assert render("$$\\begin{array}{c|c} x & y \\\\ \\hline 1 & 2 \\end{array}$$") == lines(
        "x │ y",
        "─────",
        "1 │ 2")


def test_display_math_stands_on_lines_of_its_own() -> None:
    assert render("Thus \\[x = \\frac{1}{2}\\]. Next we") == lines(
        "Thus",
        "    1",
        "x = ─.",
        "    2",
        "Next we")
    assert render("so \\[x = 9.\\] Done: $$x=1$$.") == lines("so", "x = 9.", "Done:", "x = 1.")
    assert render("\\[a\\]\\[b\\]") == lines("a", "b")


def test_a_block_too_wide_falls_back_to_one_line() -> None:
    source = "\\[x = \\frac{a+b}{2}\\]"
    assert render(source, width=9) == lines("    a + b", "x = ─────", "      2")
    assert render(source, width=8) == "x = (a+b)/2"
    wide = "$$\\begin{pmatrix} 100 & 200 \\\\ 300 & 400 \\end{pmatrix}$$"
    assert render(wide, width=5) == "(100, 200; 300, 400)"


def test_a_narrow_width_keeps_the_rows_of_an_environment() -> None:
    source = "\\[\\begin{aligned} x &= 1 \\\\ &= \\boxed{2} \\end{aligned}\\]"
    assert render(source, width=9) == lines("x = 1", "    ┌───┐", "  = │ 2 │", "    └───┘")
    assert render(source, width=8) == lines("x = 1", "  = ⟦2⟧")
    assert render(source, width=6) == "x = 1; = ⟦2⟧"


# --- what cannot be read stays as written -------------------------------------------------

RAW = [
    r"$\frac{1}{$",  # unbalanced
    r"$a}b$",
    r"$x^$",  # a script with nothing to raise
    r"$x^2^3$",  # a double superscript
    r"$\foo{x}$",  # an unknown macro with an argument
    r"$\multicolumn{2}{r}{x}$",
    r"\[ \begin{tikzpicture} \draw (0,0); \end{tikzpicture} \]",  # an unknown environment
    r"$\left x$",  # \left with no delimiter
    r"\(\begin{pmatrix} 1 \)",
]


@pytest.mark.parametrize("source", RAW)
def test_unreadable_spans_stay_raw(source: str) -> None:
    assert render(source) == source
    assert render(f"Before {source} after") == f"Before {source} after"


def test_an_unknown_macro_without_arguments_is_kept_as_written() -> None:
    assert render(r"$\foo + 1$") == r"\foo + 1"
    assert render(r"$\foo x$") == r"\foo x"


def test_only_the_unreadable_span_is_raw() -> None:
    assert render(r"$x^2$ and $\frac{1}{$ and $y^2$") == r"x² and $\frac{1}{$ and y²"


def test_deep_nesting_does_not_raise() -> None:
    deep = "$" + "{" * 3000 + "x" + "}" * 3000 + "$"
    assert render(deep) in (deep, "x")


@pytest.mark.parametrize("junk", [
    "$", "$$", "\\", "\\(", "\\[", "\\]", "$$$$", "$\\$", "\\begin{align*}", "\\end{align*}",
    "\\boxed{", "{}}{", "$^_$", "$&$", "$\\\\$", "$\\left($", "$\\right)$", "\\[\\\\\\]",
    "$\\sqrt[$", "$\\frac$", "$\\begin{cases}$", "$%$", "$\\text{$", "$~$",
])
def test_junk_never_raises(junk: str) -> None:
    assert isinstance(render(junk), str)
    assert isinstance(render(junk, width=1), str)


# --- streaming -----------------------------------------------------------------------------

STREAMED = [entry["text"] for entry in GALLERY if entry["id"] in {
    "cupcakes-text-frac", "final-answer-boxed", "final-answer-paren", "money-and-math",
    "steps-paren-math", "quadratic-formula", "display-steps", "bare-boxed", "cases-geq",
    "align-star-bare", "pmatrix-display", "display-frac-equation", "aligned-over",
}]


def test_the_streamed_replies_are_in_the_gallery() -> None:
    assert len(STREAMED) == 13


@pytest.mark.parametrize("text", STREAMED)
def test_every_prefix_renders_and_an_open_span_stays_raw(text: str) -> None:
    spans = [s for s in find_segments(text) if s.kind in ("inline", "display")]
    assert spans
    for end in range(len(text) + 1):
        prefix = text[:end]
        out = render(prefix, width=80)
        for span in spans:
            if span.start < end < span.end:  # the prefix stops inside this span
                assert out.endswith(prefix[span.start:]), (prefix, out)


def test_a_span_renders_once_it_is_closed() -> None:
    text = "So \\( x = \\frac{1}{2} \\) and"
    assert render(text[:-5]) == text[:-5]  # "\)" not yet complete
    assert render(text[:-4]) == "So x = ½"
    assert render(text) == "So x = ½ and"


# --- the gallery ---------------------------------------------------------------------------

SUPPORTED = (set(sym.GREEK) | set(sym.SYMBOLS) | set(sym.BIG_OPERATORS) | set(sym.FUNCTIONS)
             | set(sym.ACCENTS) | set(sym.MATH_FONTS) | set(sym.TEXT_MACROS)
             | set(sym.MACRO_ARGUMENTS) | set(sym.IGNORED) | set(sym.SIZERS)
             | {"left", "right", "not", "begin", "end", "over", "choose", "quad", "qquad"})
_MACRO = re.compile(r"\\([A-Za-z]+)")


def test_the_gallery_is_big_enough_and_well_formed() -> None:
    assert len(GALLERY) >= 36
    assert len({entry["id"] for entry in GALLERY}) == len(GALLERY)
    assert all(set(entry) == {"id", "source", "text"} for entry in GALLERY)
    assert sum(entry["source"].startswith("MATH500") for entry in GALLERY) >= 30


def test_the_gallery_quotes_math500() -> None:
    data = Path(__file__).parent.parent.parent / "tot_tui" / "data" / "math500_test.jsonl"
    rows = {json.loads(line)["unique_id"]: json.loads(line) for line in
            data.read_text(encoding="utf-8").splitlines()}
    for entry in GALLERY:
        if entry["source"].startswith("MATH500"):
            _, uid, field, *_ = entry["source"].split()
            assert entry["text"] in rows[uid][field], entry["id"]


@pytest.mark.parametrize("entry", GALLERY, ids=[entry["id"] for entry in GALLERY])
def test_gallery_entry_renders_fully(entry: dict[str, str]) -> None:
    text = entry["text"]
    out = render(text, width=80)
    segments = find_segments(text)
    math = [s for s in segments if s.kind in ("inline", "display")]
    assert not any(s.kind == "open" for s in segments)
    if not math:  # dollar amounts only
        assert entry["id"].startswith("money") and out == text
    for span in math:
        source = text[span.start:span.end]
        rendered = render(source, width=80)
        assert rendered != source, source  # every span was read
        assert not set(_MACRO.findall(rendered)) & SUPPORTED, rendered
    assert not set(_MACRO.findall(out)) & SUPPORTED, out


def _columns(line: str) -> int:
    return sum(0 if unicodedata.combining(ch) else
               2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


@pytest.mark.parametrize("width", [80, 40])
def test_gallery_blocks_fit_the_width(width: int) -> None:
    blocks = 0
    for entry in GALLERY:
        text = entry["text"]
        for span in find_segments(text):
            if span.kind != "display":
                continue
            rendered = render(text[span.start:span.end], width=width).split("\n")
            if len(rendered) > 1:
                blocks += 1
                assert max(_columns(line) for line in rendered) <= width, rendered
    assert blocks >= 15


def test_output_characters_are_one_column_wide() -> None:
    for entry in GALLERY:
        for ch in set(render(entry["text"], width=80)):
            assert unicodedata.east_asian_width(ch) not in "WF", ch
            assert text_width(ch) == (0 if unicodedata.combining(ch) else 1)


# --- safety, speed, imports ----------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def test_no_control_character_is_added_but_newlines() -> None:
    for text in [*(entry["text"] for entry in GALLERY), "$x$\x1b[31m red", "$x\x07$"]:
        added = set(_CONTROL.findall(render(text))) - set(_CONTROL.findall(text))
        assert added <= {"\n"}


def test_safe_text_before_or_after_render_is_safe() -> None:
    hostile = "Look $\\frac{1}{2}$\x1b[2J and \\[x\x1b]0;t\x07\\]"
    for out in (safe_text(render(hostile)), render(safe_text(hostile))):
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", out)


def test_has_math() -> None:
    assert not has_math("Plain text, 5 dollars, 3 < 4 and {braces}.")
    for text in ("$x$", "\\(x\\)", "\\[x\\]", "\\begin{align*}", "\\boxed{1}", "\\frac{1}{2}"):
        assert has_math(text)
    plain = "No math here: a_b^c \\alpha"
    assert not has_math(plain) and render(plain) is plain


def test_rendering_every_prefix_of_a_long_reply_is_fast() -> None:
    reply = "\n\n".join(entry["text"] for entry in GALLERY)[:2000]
    render(reply, width=80)
    started = time.perf_counter()
    calls = 0
    for end in range(4, len(reply) + 1, 4):
        render(reply[:end], width=80)
        calls += 1
    per_call = (time.perf_counter() - started) / calls
    assert per_call < 0.02, f"{per_call * 1000:.1f} ms a call"


def test_importing_the_package_is_light() -> None:
    code = (
        "import sys, tot_tui.mathtext as m\n"
        "m.has_math('$x$'); m.render('no math')\n"
        "heavy = {'pylatexenc', 'textual', 'rich', 'sympy', 'ollama', 'sqlmodel'}\n"
        "print(sorted(heavy & {name.split('.')[0] for name in sys.modules}))\n"
        "m.render('$x$')\n"
        "print('pylatexenc' in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.split("\n")[:2] == ["[]", "True"]


def test_the_examples_in_the_package_docstring() -> None:
    assert render(r"The answer is $\boxed{12}$.") == "The answer is ⟦12⟧."
    assert render(r"so $x = \frac{-b}{2a}$") == "so x = −b/(2a)"
    assert render(r"\[ x = \frac{1}{2} \]") == "    1\nx = ─\n    2"
