"""Math in the UI: rendered in the reply panes, banners, steps, hints and the History; the raw
source one key away (app.raw_math); and two snapshots of the gallery in a reply pane."""

from __future__ import annotations

import json
import re
from pathlib import Path

from textual.app import App, ComposeResult

from tests.conftest import STUDENT, TEACHER
from tests.ui.conftest import SIZE, settle, type_problem, wait_until
from tests.ui.test_widgets import Host, attempt, step_set
from tot_tui.domain import CheckResult, CheckStatus, Verdict
from tot_tui.fake_ollama import Reply
from tot_tui.mathtext.stream import render_markdown
from tot_tui.ui.screens.history import HistoryScreen, detail_markdown
from tot_tui.ui.widgets.hints import HintView
from tot_tui.ui.widgets.key_bar import KeyBar
from tot_tui.ui.widgets.steps_panel import StepsPanel
from tot_tui.ui.widgets.student_stream import StudentStream
from tot_tui.ui.widgets.verdict import VerdictBanner

GALLERY_PATH = Path(__file__).parent.parent / "data" / "math_gallery.jsonl"
GALLERY = [json.loads(line) for line in GALLERY_PATH.read_text(encoding="utf-8").splitlines()
           if line.strip()]

# MATH500 test/intermediate_algebra/1572 (the gallery's "cases-display"), answered in the style
# of a small model: cases, a stacked fraction, a boxed answer.
PROBLEM = next(e["text"] for e in GALLERY if e["id"] == "cases-display")
STEPS = ["Write both pieces of $f(n)$ at $n = a$.",
         "Set them equal, $4a+3 = 7a-12$: $\\lim_{n \\to a^-} f(n)$ must be $f(a)$.",
         "Solve the equation for $a$.",
         "The final answer is the value of $a$."]
MATH_STEPS = ["Write both pieces of $f(n)$ at $n = a$.", "Set $4a+3$ equal to $7a-12$.",
              "Halve it: $a = \\frac{1}{2} \\cdot (n^2 + 1)$.", "Say $a$."]
REPLY = ("For the graph to be continuous, the two pieces of\n"
         "\\[f(n) = \\begin{cases} 4n+3 & n < a \\\\ 7n-12 & n \\ge a \\end{cases}\\]\n"
         "must meet at $n = a$, so $4a + 3 = 7a - 12$. Then $3a = 15$ and\n"
         "\\[a = \\frac{15}{3} = \\boxed{5}.\\]\n\nFinal answer: $\\boxed{5}$")


def math_script(fake, delay: float = 0.0) -> None:
    fake.reply(TEACHER, Reply(text=json.dumps({"steps": STEPS})))
    fake.reply(STUDENT, Reply(text=REPLY, chunk_delay=delay))


# --- the reply pane streams math, never half a block ---------------------------------------

async def test_a_display_block_split_mid_span_is_never_shown_half_rendered():
    reply = ("Half of 48 is\n\\[ 48 \\div 2 = 24 \\]\nand together\n"
             "\\[ x = \\frac{24 + 48}{2} = \\boxed{36} \\]. Then $a^2$ is done.")
    pane = StudentStream("Student")
    async with Host(pane).run_test(size=(80, 24)) as pilot:
        await pane.start("model · steps")
        width = pane._width
        final = render_markdown(reply, width)
        seen: list[str] = []
        for at in range(0, len(reply), 4):  # every `\[ … \]` is cut inside
            await pane.append(reply[at:at + 4])
            await pane._flush()
            await pilot.pause()
            seen.append(pane.markdown.source)
        await pane.finish(attempt(Verdict.CORRECT, "36"), "36")
        await pilot.pause()
        assert pane.markdown.source == final
        for source in seen:
            assert final.startswith(source)  # only ever appended, as it will stay
            assert "\\[" not in source and "\\frac" not in source and "\\boxed" not in source
        assert any("```" in source for source in seen)  # the tall block, before the end
        assert "─" in final and "┌" in final and "a²" in final


async def test_a_cut_short_reply_shows_what_was_held_back():
    pane = StudentStream("Student")
    async with Host(pane).run_test(size=(80, 24)) as pilot:
        await pane.start("model · steps")
        await pane.append("We have $x = \\frac{1}{2")
        await pane.fail("Stopped early.")
        await pilot.pause()
        assert pane.markdown.source.endswith("\\$x \\= \\\\frac\\{1\\}\\{2")  # as written
        assert pane.text == "We have $x = \\frac{1}{2"


async def test_a_stored_reply_is_shown_rendered():
    pane = StudentStream("Student")
    async with Host(pane).run_test(size=(80, 24)) as pilot:
        await pane.show_text(REPLY, "attempt 3")
        await pilot.pause()
        source = pane.markdown.source
        assert "⎧" in source and "┌───┐" in source and "\\begin" not in source


# --- banners, steps, hints -------------------------------------------------------------------

async def test_the_banner_shows_answers_with_math_on_one_line():
    banner = VerdictBanner()
    async with Host(banner).run_test(size=(100, 5)):
        banner.show_result(CheckResult(CheckStatus.EQUIVALENT, "equal", "", ""),
                           "\\frac{1}{2}", "$\\sqrt{x^2+1}$")
        shown = str(banner.render())
        assert "answer ½" in shown and "reference √(x²+1)" in shown
        banner.show_result(CheckResult(CheckStatus.EQUIVALENT, "equal", "", ""),
                           "\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", "x_{1} and \\foo{")
        shown = str(banner.render())
        assert "answer (1; 2)" in shown and "reference x_{1} and \\foo{" in shown


async def test_steps_with_math_show_a_rendered_line_unless_focused():
    panel = StepsPanel()
    async with Host(panel).run_test(size=(80, 24)) as pilot:
        await panel.load(step_set(MATH_STEPS))
        await pilot.pause()
        rows = panel.rows
        # Only where the rendering says more than the text without its `$`s.
        assert [row.has_class("-math") for row in rows] == [False, False, True, False]
        preview = rows[2].query_one(".preview")
        assert str(preview.render()) == "→ Halve it: a = ½ · (n² + 1)."
        assert preview.display and rows[2].input.text == MATH_STEPS[2]  # edited as written
        rows[2].input.focus()
        await pilot.pause()
        assert not preview.display  # while the step is edited: as written only
        await pilot.press("end", *" $x^3$")
        assert panel.steps[2] == MATH_STEPS[2] + " $x^3$"
        assert "x³" in str(preview.render())
        rows[0].input.focus()
        await pilot.pause()
        assert preview.display
        await pilot.press("end", *" $\\sqrt{2}$")
        assert rows[0].has_class("-math")


async def test_hints_show_math_rendered():
    hints = HintView()
    async with Host(hints).run_test(size=(80, 24)) as pilot:
        hints.set_steps(STEPS)
        hints.reveal_next()
        await pilot.pause()
        assert "Hint 1. Write both pieces of f(n) at n = a." in str(
            hints.query_one(".hint").render())


# --- the History -------------------------------------------------------------------------------

async def test_history_detail_renders_math_or_shows_it_raw(fake, make_app):
    math_script(fake)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        tutor = app.tutor
        problem = await tutor.add_problem(PROBLEM, "5")
        [e async for e in tutor.decompose(problem)]
        [e async for e in tutor.solve(problem, mode="baseline")]  # type: ignore[arg-type]
        detail = await tutor.problem_detail(problem.id)
        assert detail is not None
        text = detail_markdown(detail, width=80)
        assert "⎧ 4n + 3" in text and "```" in text  # the problem's cases, a block
        assert "1. Write both pieces of f(n) at n = a." in text  # steps on one line
        assert "> ```" in text and "> a = ── = │ 5 │." in text  # the reply, quoted
        raw = detail_markdown(detail, raw=True, width=80)
        assert "\\\\begin\\{cases\\}" in raw and "⎧" not in raw
        assert "1. Write both pieces of $f(n)$ at $n = a$." in raw
        await pilot.press("f3")
        await settle(pilot, app)
        screen = app.screen
        assert isinstance(screen, HistoryScreen)
        source = screen.query_one("#detail-md").source
        assert "⎧" in source
        await pilot.press("f8")
        await wait_until(pilot, lambda: "\\\\begin\\{cases\\}" in
                         screen.query_one("#detail-md").source)
        await pilot.press("f8")
        await wait_until(pilot, lambda: "⎧" in screen.query_one("#detail-md").source)


# --- the raw toggle ------------------------------------------------------------------------------

async def test_the_math_key_shows_the_source_everywhere_and_back(fake, make_app):
    math_script(fake)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        type_problem(screen, PROBLEM, "5")
        await pilot.press("ctrl+r")
        await settle(pilot, app)
        pane = screen.query_one("#with-steps", StudentStream)
        panel = screen.query_one(StepsPanel)
        rendered = pane.markdown.source
        assert "⎧" in rendered and "\\begin" not in rendered
        assert "F8 shows LaTeX" in str(pane.border_title)
        assert panel.rows[1].has_class("-math")
        await pilot.press("f8")
        await settle(pilot, app)
        assert app.raw_math
        raw = pane.markdown.source
        assert raw == render_markdown(REPLY, pane._width, raw=True)
        assert "\\\\begin\\{cases\\}" in raw and "⎧" not in raw
        assert "F8 renders math" in str(pane.border_title)
        assert not panel.rows[1].has_class("-math")  # steps as written only
        assert any("Math is shown as written" in n.message for n in app._notifications)
        await pilot.press("ctrl+backslash")  # the other key
        await settle(pilot, app)
        assert not app.raw_math and pane.markdown.source == rendered
        assert panel.rows[1].has_class("-math")


async def test_the_math_key_redraws_a_reply_while_it_streams(fake, make_app):
    math_script(fake, delay=0.02)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        type_problem(screen, PROBLEM, "5")
        await pilot.press("ctrl+r")
        pane = screen.query_one("#with-steps", StudentStream)
        await wait_until(pilot, lambda: "continuous" in pane.text and pane.running)
        await pilot.press("f8")  # raw while it streams: the rest comes raw too
        await settle(pilot, app)
        assert pane.text == REPLY
        assert pane.markdown.source == render_markdown(REPLY, pane._width, raw=True)
        assert "answer 5" in str(pane.banner.render())


async def test_the_key_bar_says_which(fake, make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f4")
        await settle(pilot, app)
        bar = app.screen.query_one(KeyBar)
        assert "f8 Math: rendered" in bar.content.plain  # type: ignore[union-attr]
        await pilot.press("f8")
        await pilot.pause()
        await wait_until(pilot, lambda: "f8 Math: raw" in bar.content.plain)  # type: ignore


def test_the_math_key_is_in_the_bindings_table():
    from tot_tui.ui.bindings import known_binding_ids

    assert known_binding_ids()["app.raw_math"] == "f8,ctrl+backslash"


# --- snapshots: the gallery in a reply pane -----------------------------------------------------

def gallery_markdown() -> str:
    """The gallery's entries one after another, each after its name (at least 30)."""
    entries = [e for e in GALLERY if e["id"] != "aligned-nested-fracs"][:40]
    assert len(entries) >= 30
    return "\n".join(f"- **{e['id']}**: {e['text']}" for e in entries)


class GalleryApp(App[None]):
    """One reply pane, the whole terminal, showing the gallery as a stored reply."""

    CSS = "StudentStream { height: 1fr; }"

    def compose(self) -> ComposeResult:
        yield StudentStream("Math gallery", id="gallery")


async def show_gallery(pilot) -> None:
    pane = pilot.app.query_one(StudentStream)
    await pane.show_text(gallery_markdown(), "tests/data/math_gallery.jsonl")
    await pilot.pause()
    pilot.app.set_focus(None)
    await pilot.pause()


# Tall enough to hold every entry: the pictures show the whole gallery at both widths.
def test_gallery_snapshot_80_columns(snap_compare):
    assert snap_compare(GalleryApp(), terminal_size=(80, 250), run_before=show_gallery)


def test_gallery_snapshot_120_columns(snap_compare):
    assert snap_compare(GalleryApp(), terminal_size=(120, 190), run_before=show_gallery)


def test_the_gallery_source_renders_without_raw_math():
    shown = render_markdown(gallery_markdown(), 100)
    leftover = re.findall(r"\\\\(?:frac|begin|boxed|sqrt)", shown)
    assert leftover == []
