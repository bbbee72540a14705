"""tot_tui.mathtext.stream: math rendered as a reply streams in, only ever appended.

The property: fed in deltas of any size, the outputs concatenated are `render(full_text)`,
except where a span (or a `$`) was given up after `max_hold` characters and then closed (the
stream says so: `gave_up`). Appended only, every partial concatenation is then a prefix of
the final rendering: nothing written is ever taken back, and no raw text of a span that later
renders is ever shown.
"""

from __future__ import annotations

import json
import random
import re
import time
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from tot_tui.mathtext import render, render_inline
from tot_tui.mathtext.stream import MAX_HOLD, MathStream, markdown_escape, render_markdown

GALLERY_PATH = Path(__file__).parent.parent / "data" / "math_gallery.jsonl"
GALLERY = [json.loads(line) for line in GALLERY_PATH.read_text(encoding="utf-8").splitlines()
           if line.strip()]
# Replies whose display span is longer than MAX_HOLD: given up while streaming.
LONG_SPANS = {"aligned-nested-fracs"}


def stream_in(text: str, sizes: list[int] | int = 1, **options: object) -> tuple[list[str],
                                                                              MathStream]:
    """The outputs of feeding `text` in deltas of `sizes` (repeated), then of finish()."""
    stream = MathStream(**options)  # type: ignore[arg-type]
    sizes = [sizes] if isinstance(sizes, int) else sizes
    outs, at, k = [], 0, 0
    while at < len(text):
        size = sizes[k % len(sizes)]
        outs.append(stream.feed(text[at:at + size]))
        at, k = at + size, k + 1
    outs.append(stream.finish())
    return outs, stream


def random_sizes(seed: int) -> list[int]:
    rnd = random.Random(seed)
    return [rnd.choice((1, 1, 2, 3, 4, 7, 12, 30)) for _ in range(64)]


# --- the property, on the gallery ---------------------------------------------------------

@pytest.mark.parametrize("entry", GALLERY, ids=[entry["id"] for entry in GALLERY])
@pytest.mark.parametrize("width", [None, 40, 80])
def test_the_outputs_concatenated_are_the_rendering(entry: dict[str, str],
                                                     width: int | None) -> None:
    text = entry["text"]
    for sizes in [1, 5, len(text), *(random_sizes(seed) for seed in range(6))]:
        outs, stream = stream_in(text, sizes, width=width)
        if stream.gave_up:
            assert entry["id"] in LONG_SPANS and sizes != len(text)
        else:
            assert "".join(outs) == render(text, width), sizes
        outs, stream = stream_in(text, sizes, width=width, max_hold=10**6)
        assert not stream.gave_up and "".join(outs) == render(text, width), sizes


@pytest.mark.parametrize("entry", GALLERY, ids=[entry["id"] for entry in GALLERY])
def test_no_raw_source_of_a_span_that_renders_is_ever_written(entry: dict[str, str]) -> None:
    text = entry["text"]
    final = render(text, 80)
    markers = [m for m in ("\\[", "\\(", "\\frac", "\\dfrac", "\\boxed", "\\begin", "$$", "\\\\",
                           "^{", "_{") if m in text and m not in final]
    for seed in range(4):
        written = ""
        outs, _ = stream_in(text, random_sizes(seed), width=80, max_hold=10**6)
        for out in outs:
            written += out
            assert final.startswith(written)
            for marker in markers:
                assert marker not in written, (marker, written)


def test_the_long_span_is_shown_as_written_then_rendered_by_render() -> None:
    text = next(e["text"] for e in GALLERY if e["id"] in LONG_SPANS)
    outs, stream = stream_in(text, 3, width=80)
    assert stream.gave_up
    written = "".join(outs)
    opener = text.index("\\[")
    assert written.endswith(text[opener:])  # as written, from its opener to the end
    assert written.startswith("Iterating F a few times, we get")  # the math before it renders


# --- what is held back, and until when ----------------------------------------------------

def feeds(stream: MathStream, *deltas: str) -> list[str]:
    return [stream.feed(delta) for delta in deltas]


def test_a_display_block_waits_for_the_character_after_it() -> None:
    stream = MathStream()
    assert feeds(stream, "so ", "\\", "[x = \\frac{1}{2}", "\\]", ".") == ["so", "", "", "", ""]
    assert stream.feed(" Next") == "\n    1\nx = ─.\n    2\nNext"
    assert stream.finish() == ""


def test_a_block_at_the_end_is_written_by_finish() -> None:
    stream = MathStream()
    assert feeds(stream, "Thus \\[x^2\\]") == ["Thus"]
    assert stream.finish() == "\nx²"


@pytest.mark.parametrize("partial", ["\\", "\\b", "\\bo", "\\boxed", "\\fra", "\\dfrac", "\\t",
                                     "\\begin", "\\begin{ali", "$", "$$", "\\(", "\\[",
                                     "\\boxed{", "\\frac{1}{", "$x"])
def test_a_partial_opener_or_an_open_span_is_held(partial: str) -> None:
    stream = MathStream()
    assert stream.feed("We get " + partial) == "We get"
    assert stream.holding.endswith(partial)


def test_an_escaped_backslash_or_dollar_is_not_held() -> None:
    stream = MathStream()
    assert stream.feed("a \\\\") == "a \\\\"
    assert stream.feed(" costs \\$") == " costs \\$"


def test_an_open_span_is_written_once_it_closes() -> None:
    stream = MathStream()
    assert feeds(stream, "Add $\\frac{1", "}{2} + ", "1$", " to") == ["Add", "", "", " ½ + 1 to"]


def test_a_complete_span_at_the_end_waits_a_character() -> None:
    stream = MathStream()
    assert stream.feed("Between $5-$") == "Between"  # math, unless a digit follows
    assert stream.feed("7") == " $5-"  # a price range: the second `$` may still pair
    assert stream.feed(" each") == ""
    assert stream.finish() == "$7 each"
    stream = MathStream()
    assert feeds(stream, "Between $5-$", " and") == ["Between", " 5− and"]


def test_a_dollar_amount_waits_for_its_paragraph_to_end() -> None:
    stream = MathStream()
    assert feeds(stream, "It costs $5", " and $7 more", ".\n") == ["It costs", " $5 and", ""]
    assert stream.feed("\nThen $x$") == " $7 more.\n\nThen"
    assert stream.finish() == " x"


def test_a_blank_line_ends_an_open_span_as_written() -> None:
    stream = MathStream()
    assert feeds(stream, "Let \\(x = ", "1\n", "\n", "Next") == [
        "Let", "", " \\(x = 1", "\n\nNext"]
    assert stream.finish() == ""


def test_an_open_span_past_the_limit_is_given_up_as_written() -> None:
    stream = MathStream(max_hold=20)
    assert stream.feed("So \\(" + "x + " * 3) == "So"
    out = stream.feed("y + " * 3)
    assert out == " \\(" + "x + " * 3 + "y + y + y +" and stream.gave_up
    assert stream.feed("z\\) done") == " z\\) done"  # its paragraph stays as written
    assert stream.feed("\n\n$x^2$ ok") == "\n\nx² ok"  # the next one renders again


def test_an_unpaired_dollar_past_the_limit_is_prose() -> None:
    stream = MathStream(max_hold=20)
    assert stream.feed("It is $5") == "It is"
    assert stream.feed(" for the first one and more") == " $5 for the first one and more"
    assert stream.gave_up
    assert stream.feed(", then $x^2$ ok") == ", then x² ok"


def test_white_space_before_a_block_is_dropped_and_after_it_too() -> None:
    assert "".join(stream_in("Thus   \\[a\\]   and", 1)[0]) == "Thus\na\nand"
    assert "".join(stream_in("x\n\\[a\\]\n\ny", 1)[0]) == render("x\n\\[a\\]\n\ny")


def test_finish_once_and_no_feed_after() -> None:
    stream = MathStream()
    stream.feed("a $x")
    assert stream.finish() == " $x"
    assert stream.finish() == ""
    with pytest.raises(RuntimeError):
        stream.feed("more")


def test_streaming_a_long_reply_character_by_character_is_fast() -> None:
    text = "\n\n".join(e["text"] for e in GALLERY)
    start = time.perf_counter()
    outs, _ = stream_in(text, 1, width=80, max_hold=10**6)
    assert "".join(outs) == render(text, 80)
    assert time.perf_counter() - start < 10  # some 15k deltas, each rescanning its paragraph


# --- Markdown style ------------------------------------------------------------------------

_MD = MarkdownIt("gfm-like")


def shown(markdown: str) -> str:
    """What Markdown shows of `markdown`, roughly: its text, code and fences; a soft line break
    a space, a hard one a newline, a block a line of its own."""
    out: list[str] = []
    for token in _MD.parse(markdown):
        if token.type == "inline":
            for child in token.children or []:
                if child.type in ("text", "code_inline"):
                    out.append(child.content)
                elif child.type == "softbreak":
                    out.append(" ")
                elif child.type == "hardbreak":
                    out.append("\n")
            out.append("\n")
        elif token.type in ("fence", "code_block"):
            out.append(token.content)
    return "".join(out)


def squashed(text: str) -> str:
    return re.sub(r"\s+", "", text)


# Prose that Markdown would read as markup (the model's own) is left out of the comparisons.
PLAIN_PROSE = [e for e in GALLERY if not re.search(
    r"[*_`#<>\[\]|~\\]", re.sub(r"\$[^$]*\$|\\\[.*?\\\]|\\\(.*?\\\)|\\begin.*?\\end\{\w+\*?\}",
                                "", e["text"], flags=re.S))]


def test_enough_of_the_gallery_has_plain_prose() -> None:
    assert len(PLAIN_PROSE) >= 30


@pytest.mark.parametrize("entry", PLAIN_PROSE, ids=[e["id"] for e in PLAIN_PROSE])
def test_markdown_shows_the_rendering(entry: dict[str, str]) -> None:
    text = entry["text"]
    assert squashed(shown(render_markdown(text, 80))) == squashed(render(text, 80))


@pytest.mark.parametrize("entry", PLAIN_PROSE, ids=[e["id"] for e in PLAIN_PROSE])
def test_raw_markdown_shows_the_source_as_typed(entry: dict[str, str]) -> None:
    text = entry["text"]
    assert squashed(shown(render_markdown(text, raw=True))) == squashed(text)


@pytest.mark.parametrize("entry", GALLERY, ids=[entry["id"] for entry in GALLERY])
def test_markdown_streamed_is_markdown_at_once(entry: dict[str, str]) -> None:
    text = entry["text"]
    whole = render_markdown(text, 80)
    for raw in (False, True):
        outs, _ = stream_in(text, random_sizes(1), width=80, markdown=True, raw=raw,
                            max_hold=10**6)
        assert "".join(outs) == (whole if not raw else render_markdown(text, raw=True))


def test_markdown_keeps_the_models_markdown_and_escapes_the_math() -> None:
    out = render_markdown("**Final Answer:** \\(\\boxed{12}\\) and $a_1 * b$")
    assert out == "**Final Answer:** ⟦12⟧ and a₁ \\* b"
    assert shown(out) == "Final Answer: ⟦12⟧ and a₁ * b\n"


def test_raw_markdown_is_the_source_not_mangled() -> None:
    # Without escapes Markdown shows `\[ \text{Area} \]` as `[ \text{Area} ]`.
    for source in ("\\[ \\text{Area} = \\pi r^2 \\]", "\\(\\boxed{12}\\)",
                   "$x_1 + x_2 = [0, 1]$", "$$\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}$$"):
        out = render_markdown(f"We get {source} here", raw=True)
        assert shown(out) == f"We get {source} here\n", out


def test_an_unreadable_span_shows_as_written_in_markdown() -> None:
    out = render_markdown("See $\\foo{x}_1$ and \\[ \\begin{tikzpicture} \\end{tikzpicture} \\]")
    assert shown(out) == "See $\\foo{x}_1$ and \\[ \\begin{tikzpicture} \\end{tikzpicture} \\]\n"


def test_a_tall_block_is_a_fenced_code_block_with_blank_lines_around() -> None:
    out = render_markdown("Thus \\[x = \\frac{1}{2}\\]. Next")
    assert out == "Thus\n\n```text\n    1\nx = ─.\n    2\n```\n\nNext"
    assert shown(out) == "Thus\n    1\nx = ─.\n    2\nNext\n"


def test_a_one_line_block_is_a_line_of_its_own() -> None:
    out = render_markdown("Half of 48 is\n\\[ 48 \\div 2 = 24 \\]\nand so")
    assert out == "Half of 48 is  \n48 ÷ 2 \\= 24  \nand so"
    assert shown(out) == "Half of 48 is\n48 ÷ 2 = 24\nand so\n"


def test_a_block_first_and_blocks_in_a_row() -> None:
    assert render_markdown("\\[\\frac{a}{b}\\]\\[c\\]") == "```text\na\n─\nb\n```\n  \nc"
    assert shown(render_markdown("\\[\\frac{a}{b}\\]\\[c\\]")) == "a\n─\nb\nc\n"


def test_a_fence_is_longer_than_any_backticks_in_the_block() -> None:
    out = render_markdown("\\[\\frac{\\text{```}}{2}\\]")
    assert out.startswith("````text\n") and out.endswith("\n````")


def test_escaped_prose() -> None:
    assert render_markdown("a *b* $x^2$", escape_prose=True) == "a \\*b\\* x²"


def test_markdown_escape() -> None:
    assert markdown_escape("\\[a_1*b]`c`<d>|#~!") == \
        "\\\\\\[a\\_1\\*b\\]\\`c\\`\\<d\\>\\|\\#\\~\\!"
    assert markdown_escape("a\nb") == "a  \nb"
    assert shown(markdown_escape("1. x\n# y")) == "1. x\n# y\n"


def test_raw_plain_is_the_text_itself() -> None:
    for entry in GALLERY:
        outs, _ = stream_in(entry["text"], 3, raw=True)
        assert "".join(outs) == entry["text"]


def test_the_default_hold_limit() -> None:
    assert MAX_HOLD == 400


# --- one line -------------------------------------------------------------------------------

def test_render_inline_keeps_everything_on_one_line() -> None:
    assert render_inline("x is \\[\\frac{1}{2}\\]\nso") == "x is ½ so"
    assert render_inline("$\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}$") == "(1; 2)"
    assert render_inline("\\boxed{\\frac{3}{4}}") == "⟦¾⟧"
    assert render_inline("plain") == "plain"
    assert render_inline("$\\frac{1}{$") == "$\\frac{1}{$"
