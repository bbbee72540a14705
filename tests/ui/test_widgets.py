"""Each widget mounted alone in a tiny host app."""

from __future__ import annotations

from datetime import datetime

from textual.app import App, ComposeResult
from textual.command import CommandPalette

from tests.ui.conftest import click_button
from tot_tui.domain import (
    AttemptStatus,
    AttemptView,
    CheckResult,
    CheckStatus,
    HostStatus,
    Mode,
    ModelInfo,
    StepOrigin,
    StepSetView,
    Usage,
    Verdict,
)
from tot_tui.ui.keymap import key_display, parse_keymap
from tot_tui.ui.notices import describe_error
from tot_tui.ui.widgets.button_bar import BarButton, ButtonBar
from tot_tui.ui.widgets.connection import ConnectionIndicator
from tot_tui.ui.widgets.hints import HintView
from tot_tui.ui.widgets.steps_panel import StepsPanel
from tot_tui.ui.widgets.student_stream import StudentStream
from tot_tui.ui.widgets.title_bar import TitleBar
from tot_tui.ui.widgets.verdict import VerdictBanner

NOW = datetime(2026, 1, 5, 9, 30)


def step_set(steps: list[str], version: int = 1, leaks: list[int] | None = None,
             origin: StepOrigin = StepOrigin.TEACHER) -> StepSetView:
    return StepSetView(id=version, problem_id=1, version=version, steps=steps, origin=origin,
                       parent_id=None, model="teacher-model", prompt_name="teacher",
                       created=NOW, leaks=leaks or [])


class Host(App):
    def __init__(self, widget) -> None:
        super().__init__()
        self.widget = widget
        self.messages: list[object] = []

    def compose(self) -> ComposeResult:
        yield self.widget

    def on_steps_panel_changed(self, message) -> None:
        self.messages.append(message)

    def on_steps_panel_save_requested(self, message) -> None:
        self.messages.append(message)

    def on_steps_panel_regenerate_requested(self, message) -> None:
        self.messages.append(message)


async def test_steps_panel_editing_and_undo():
    panel = StepsPanel()
    app = Host(panel)
    async with app.run_test(size=(80, 24)) as pilot:
        await panel.load(step_set(["a", "b", "c"]), focus=True)
        assert panel.steps == ["a", "b", "c"] and not panel.dirty
        await pilot.press("end", "x")
        assert panel.steps[0] == "ax" and panel.dirty
        assert panel.rows[0].has_class("-edited")
        await pilot.press("y")  # typing in one row is one undo step
        await pilot.press("alt+down")
        assert panel.steps == ["b", "axy", "c"]
        # Marks follow each step: "b" keeps the original order, "axy" is the edited "a".
        assert str(panel.rows[0].query_one(".mark").render()) == ""
        assert "edited" in str(panel.rows[1].query_one(".mark").render())
        assert panel.origins == [1, 0, 2]
        await pilot.press("ctrl+delete")
        assert panel.steps == ["b", "c"]
        await pilot.press("ctrl+z", "ctrl+z")
        assert panel.steps == ["axy", "b", "c"]
        await pilot.press("ctrl+z")
        assert panel.steps == ["a", "b", "c"] and not panel.dirty
        await pilot.press("ctrl+z")  # before the load the panel was empty: nothing to go back to
        assert panel.steps == ["a", "b", "c"]
        await pilot.press("ctrl+y")
        assert panel.steps == ["axy", "b", "c"]
        await pilot.press("ctrl+s")
        await pilot.pause()
        saves = [m for m in app.messages if isinstance(m, StepsPanel.SaveRequested)]
        assert saves and saves[-1].steps == ["axy", "b", "c"]
        panel.mark_saved(step_set(["axy", "b", "c"], version=2, origin=StepOrigin.EDITED))
        assert not panel.dirty and "v2 edited" in str(panel.border_title)
        await pilot.pause()
        changes = [m for m in app.messages if isinstance(m, StepsPanel.Changed)]
        assert changes and changes[-1].dirty is False


async def test_steps_panel_up_and_down_cross_from_step_to_step():
    long = "Multiply the eggs that are left by the two dollar price of one egg " * 3
    panel = StepsPanel()
    app = Host(panel)
    async with app.run_test(size=(60, 24)) as pilot:
        await panel.load(step_set(["first", long.strip(), "third"]))
        editors = [row.input for row in panel.rows]
        panel.focus_step(0)
        await pilot.pause()
        assert app.focused is editors[0]
        await pilot.press("down")
        assert app.focused is editors[1]  # entered at its end: the last visual row
        await pilot.press("up")
        assert app.focused is editors[1]  # a wrapped step: up moves within it first
        await pilot.press("down", "down")
        assert app.focused is editors[2]
        await pilot.press("down")
        assert app.focused is editors[2]  # the last step: nowhere further
        editors[1].move_cursor((0, 0))
        editors[1].focus()
        await pilot.press("up")
        assert app.focused is editors[0]
        assert panel.steps == ["first", long.strip(), "third"]  # nothing typed on the way


async def test_steps_panel_marks_a_new_step_new_while_its_neighbour_is_edited():
    panel = StepsPanel()
    app = Host(panel)
    async with app.run_test(size=(80, 24)) as pilot:
        await panel.load(step_set(["a", "b"]))
        panel.focus_step(1)
        await pilot.pause()
        await pilot.press("enter", *"new")  # a new third step
        panel.focus_step(1)
        await pilot.pause()
        await pilot.press("end", "x")  # then step 2 edited
        marks = [str(row.query_one(".mark").render()) for row in panel.rows]
        assert panel.steps == ["a", "bx", "new"]
        assert "edited" in marks[1] and "new" in marks[2]


async def test_steps_panel_enter_adds_a_step_and_blank_steps_are_not_saved():
    panel = StepsPanel()
    app = Host(panel)
    async with app.run_test(size=(80, 24)) as pilot:
        await panel.load(step_set(["one"]), focus=True)
        await pilot.press("end", "enter", *"two")
        assert panel.steps == ["one", "two"]
        await pilot.press("enter")
        assert panel.steps == ["one", "two", ""]
        await pilot.press("ctrl+s")
        await pilot.pause()
        saves = [m for m in app.messages if isinstance(m, StepsPanel.SaveRequested)]
        assert saves[-1].steps == ["one", "two"]


async def test_steps_panel_draft_failure_keeps_partial_steps_and_marks_leaks():
    panel = StepsPanel()
    app = Host(panel)
    async with app.run_test(size=(80, 24)) as pilot:
        panel.begin_draft("waiting…")
        panel.show_draft(("first", "seco"))
        assert panel.has_class("-drafting")
        await panel.end_draft(["first", "seco"])
        assert not panel.has_class("-drafting") and panel.steps == ["first", "seco"]
        assert panel.dirty and panel.step_set is None
        await panel.load(step_set(["x", "the answer is 18"], leaks=[1]))
        assert "answer" in str(panel.rows[1].query_one(".mark").render())
        assert "states the answer" in str(panel.border_subtitle)
        await click_button(pilot, "regenerate")
        assert any(isinstance(m, StepsPanel.RegenerateRequested) for m in app.messages)


async def test_steps_panel_shows_control_characters_safely():
    panel = StepsPanel()
    async with Host(panel).run_test(size=(80, 24)):
        await panel.load(step_set(["\x1b[31mred[/] [bold]x"]))
        shown = panel.rows[0].input.text
        assert "\x1b" not in shown and "\\x1b" in shown and "[bold]" in shown
        assert not panel.dirty


def attempt(verdict: Verdict, answer: str = "15") -> AttemptView:
    return AttemptView(id=1, problem_id=1, step_set_id=1, student_model="student-model",
                       mode=Mode.STEPS, status=AttemptStatus.FINISHED, output="",
                       answer=answer, verdict=verdict, verdict_reason="equal",
                       reference_norm="15", answer_norm=answer,
                       usage=Usage(output_tokens=12, total_ns=1_500_000_000), error=None,
                       prompt_name="student_steps", prompt_hash="abc", created=NOW)


async def test_student_stream_appends_and_shows_the_verdict():
    pane = StudentStream("Student")
    async with Host(pane).run_test(size=(80, 24)) as pilot:
        await pane.start("model · steps")
        for token in ["1. 12 - 5", " = 7\n", "\x1b[2J", "\n\nFinal [bold]answer[/]: 15"]:
            await pane.append(token)
        await pane.finish(attempt(Verdict.CORRECT), "15")
        await pilot.pause()
        assert "\x1b" not in pane.markdown.source and "\\x1b" in pane.markdown.source
        assert "[bold]answer[/]" in pane.markdown.source  # literal, not markup
        assert pane.banner.verdict is Verdict.CORRECT
        assert "12 tokens" in str(pane.border_subtitle) and "1.5 s" in str(pane.border_subtitle)


async def test_student_stream_follows_the_bottom_only_while_there():
    pane = StudentStream("Student")

    async def until(pilot, condition) -> None:
        for _ in range(200):
            if condition():
                return
            await pilot.pause(0.02)
        raise AssertionError("condition not met in time")

    async with Host(pane).run_test(size=(60, 12)) as pilot:
        await pane.start("s")
        for i in range(30):
            await pane.append(f"line {i}\n\n")
        scroller = pane.scroller
        await until(pilot, lambda: "line 29" in pane.markdown.source
                    and 0 < scroller.max_scroll_y == scroller.scroll_y)
        scroller.scroll_to(y=0, animate=False)  # the reader scrolls up
        await pilot.pause()
        for i in range(30, 40):
            await pane.append(f"line {i}\n\n")
        grown = scroller.max_scroll_y
        await until(pilot, lambda: "line 39" in pane.markdown.source
                    and scroller.max_scroll_y > grown)  # laid out longer: the anchor had its go
        assert scroller.scroll_y == 0
        pane.cancelled()
        await pilot.pause()
        assert "Cancelled" in str(pane.banner.render()) and "line 39" in pane.text


async def test_verdict_banner_states():
    banner = VerdictBanner()
    async with Host(banner).run_test(size=(100, 5)):
        assert not banner.display or not banner.has_class("-shown")
        banner.show_result(CheckResult(CheckStatus.NOT_EQUIVALENT, "different", "3/4", "0.7"),
                           "0.7", "3/4")
        text = str(banner.render())
        assert "INCORRECT" in text and "answer 0.7" in text and "reference 3/4" in text
        assert banner.has_class("-incorrect")
        banner.show_result(CheckResult(CheckStatus.UNPARSEABLE, "no_answer", "3", ""), "", "3")
        assert "UNKNOWN" in str(banner.render()) and "no final answer" in str(banner.render())
        banner.clear()
        assert not banner.has_class("-shown")


async def test_connection_indicator():
    indicator = ConnectionIndicator()
    async with Host(indicator).run_test(size=(120, 3)):
        assert "checking" in str(indicator.render())
        ok = HostStatus("http://h:1", True, "0.12", (ModelInfo("t:7b"), ModelInfo("s:1b")))
        indicator.show({"teacher": ok, "student": ok}, {"teacher": "t:7b", "student": "s:1b"})
        assert indicator.has_class("-ok") and "t:7b" in str(indicator.render())
        indicator.show({"teacher": ok, "student": ok}, {"teacher": "t:7b", "student": "x"})
        assert indicator.has_class("-bad") and "model missing" in str(indicator.render())
        down = HostStatus("http://h:2", False, error="Cannot reach")
        indicator.show({"teacher": down}, {"teacher": "t:7b"})
        assert "no server at http://h:2" in str(indicator.render())


async def test_hint_view_reveals_one_at_a_time():
    hints = HintView()
    async with Host(hints).run_test(size=(80, 20)) as pilot:
        hints.set_steps(["a", "b"])
        await pilot.pause()
        assert hints.revealed == 0 and "2 more hints hidden" in str(
            hints.query_one(".hidden-note").render())
        assert hints.reveal_next() and hints.reveal_next() and not hints.reveal_next()
        await pilot.pause()
        assert [str(h.render()) for h in hints.query(".hint")] == ["Hint 1. a", "Hint 2. b"]


def test_keymap_parsing_and_display():
    assert parse_keymap('# mine\nsolve.solve = "ctrl+r,f8"\n\n') == {"solve.solve": "ctrl+r,f8"}
    try:
        parse_keymap("solve.solve ctrl+r")
    except ValueError as exc:
        assert "line 1" in str(exc)
    else:
        raise AssertionError("a bad line must be refused")
    assert key_display("ctrl+t,ctrl+enter") == "Ctrl+T / Ctrl+Enter"


def test_describe_error():
    from tot_tui.tutor.session import InputError

    assert describe_error(InputError("Type it.")) == ("Type it.", "warning")

    class Fake(Exception):
        message = "Start the server."

    assert describe_error(Fake()) == ("Start the server.", "error")
    text, severity = describe_error(RuntimeError("boom"))
    assert "RuntimeError: boom" in text and "kept" in text and severity == "error"


async def test_model_picker_alone():
    from textual.widgets import DataTable

    from tot_tui.ui.widgets.model_picker import ModelPicker, human_size

    picker = ModelPicker("student", "http://h:1", "s:1b")
    seen: list[object] = []

    class PickerHost(Host):
        def on_model_picker_model_chosen(self, message) -> None:
            seen.append(("model", message.role, message.model))

        def on_model_picker_host_submitted(self, message) -> None:
            seen.append(("host", message.role, message.host))

    async with PickerHost(picker).run_test(size=(70, 20)) as pilot:
        picker.show_status(HostStatus("http://h:1", True, "0.12", (
            ModelInfo("s:1b", 1_321_098_329, "llama", "1.2B", "Q8_0"),
            ModelInfo("t:7b", 4_683_087_332, "qwen2", "7.6B", "Q4_K_M"))))
        table = picker.query_one(DataTable)
        assert [str(table.get_row(k)[0]) for k in ("s:1b", "t:7b")] == ["●", " "]
        table.focus()
        table.move_cursor(row=1)
        await pilot.press("enter")
        picker.query_one("Input").focus()
        await pilot.press("end", *"0", "enter")
        await pilot.pause()
        assert seen == [("model", "student", "t:7b"), ("host", "student", "http://h:10")]
        picker.show_status(HostStatus("http://h:1", False, error="Cannot reach it"))
        assert "Cannot reach it" in str(picker.query_one(".status").render())
    assert human_size(986_061_892) == "986 MB" and human_size(4_683_087_332) == "4.7 GB"


class BarHost(App):
    CSS = "ButtonBar { width: 34; padding: 0 1; }"  # a 32-cell line inside the padding

    def __init__(self, bar: ButtonBar) -> None:
        super().__init__()
        self.bar = bar
        self.pressed: list[str] = []

    def compose(self) -> ComposeResult:
        yield self.bar

    def on_button_bar_pressed(self, message: ButtonBar.Pressed) -> None:
        self.pressed.append(message.button_id)


async def test_button_bar_wraps_and_presses_by_click_and_keys():
    bar = ButtonBar(BarButton("go", "Decompose", "primary", "Go (Ctrl+T)"),
                    BarButton("solve", "Solve"), BarButton("stop", "Cancel", "error"),
                    BarButton("hint", "Next hint", disabled=True), min_width=9)
    app = BarHost(bar)
    async with app.run_test(size=(40, 6)) as pilot:
        # 11 + 1 + 9 + 1 + 9 cells fill the first line; "Next hint" goes on the second. Offsets
        # count from the bar's edge: one cell of padding first.
        assert bar.size.height == 2
        assert bar.offset_of("stop") == (23, 0) and bar.offset_of("hint") == (1, 1)
        assert "Decompose" in bar.render().plain.splitlines()[0]
        await pilot.click(bar, offset=bar.offset_of("solve"))
        await pilot.click(bar, offset=(11, 0))  # Decompose's last cell
        await pilot.click(bar, offset=(12, 0))  # the gap: nothing
        await pilot.click(bar, offset=(0, 0))  # the padding: nothing
        await pilot.click(bar, offset=bar.offset_of("hint"))  # disabled: nothing
        await pilot.pause()
        assert app.pressed == ["solve", "go"]
        # One Tab stop; the arrows skip the disabled button and wrap around.
        app.pressed.clear()
        bar.focus()
        bar.cursor = 0
        await pilot.press("left", "enter", "right", "right", "space")
        await pilot.pause()
        assert app.pressed == ["stop", "solve"]
        # A label that no longer fits takes another line; enabled, the button presses.
        bar.set_label("solve", "Solve it with the steps")
        bar.set_disabled("hint", False)
        await pilot.pause()
        assert bar.size.height == 3
        bar.press("hint")
        await pilot.pause()
        assert app.pressed[-1] == "hint"
        # Disabled under the cursor, the cursor moves to the enabled button before it.
        bar.cursor = 3
        bar.set_disabled("hint", True)
        assert bar.cursor == 2
        await pilot.press("enter")
        await pilot.pause()
        assert app.pressed[-1] == "stop"


async def test_button_bar_draws_with_an_ansi_theme():
    bar = ButtonBar(BarButton("go", "Decompose", "primary"), BarButton("x", "Off", disabled=True))
    app = BarHost(bar)
    async with app.run_test(size=(40, 6)) as pilot:
        app.theme = "ansi-dark"  # colours such as "ansi_default 50%" and "transparent"
        await pilot.pause()
        line = bar.render()
        assert line.plain.split() == ["Decompose", "Off"]
        disabled = line.get_style_at_offset(app.console, line.plain.index("Off"))
        assert disabled.dim and disabled.bgcolor is None  # "transparent" surface: none


async def test_button_bar_tooltip_follows_the_button_under_the_mouse():
    bar = ButtonBar(BarButton("go", "Decompose", tooltip="Go (Ctrl+T)"),
                    BarButton("solve", "Solve", tooltip="Solve (Ctrl+R)"))
    async with BarHost(bar).run_test(size=(40, 6)) as pilot:
        await pilot.hover(bar, offset=bar.offset_of("solve"))
        assert bar.tooltip == "Solve (Ctrl+R)"
        bar.set_tooltip("solve", "Solve (F8)")  # a new keymap, the mouse still there
        assert bar.tooltip == "Solve (F8)"
        await pilot.hover(bar, offset=bar.offset_of("go"))
        assert bar.tooltip == "Go (Ctrl+T)"
        await pilot.hover(bar, offset=(bar.offset_of("solve").x + 9, 0))  # past the last one
        assert bar.tooltip is None


async def test_title_bar_shows_the_titles_and_opens_the_palette():
    bar = TitleBar()
    app = Host(bar)
    app.title = "tot-tui"
    async with app.run_test(size=(60, 6)) as pilot:
        assert bar.render_line(0).text.strip() == "⭘" + " " * 24 + "tot-tui"  # centred
        app.screen.sub_title = "problem #3"
        await pilot.pause()
        assert bar.render_line(0).text.endswith("tot-tui — problem #3")
        await pilot.click(bar)
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)


async def test_undoing_a_delete_puts_the_cursor_on_the_step_it_brings_back():
    panel = StepsPanel()
    app = Host(panel)
    async with app.run_test(size=(80, 24)) as pilot:
        await panel.load(step_set(["a", "b", "c", "d"]))
        panel.focus_step(1)
        await pilot.press("ctrl+delete")  # "b" goes; the cursor moves on to "c"
        assert panel.steps == ["a", "c", "d"]
        panel.focus_step(2)  # the user moves on, to "d"
        await pilot.press("ctrl+z")
        assert panel.steps == ["a", "b", "c", "d"]
        assert app.focused is panel.rows[1].input  # on "b", the step brought back
        await pilot.press("ctrl+delete")  # so this removes "b" again, not another step
        assert panel.steps == ["a", "c", "d"]


async def test_a_deleted_teacher_step_leaves_a_mark():
    panel = StepsPanel()
    async with Host(panel).run_test(size=(80, 24)) as pilot:
        await panel.load(step_set(["a", "b", "c"]))
        panel.focus_step(1)
        await pilot.press("ctrl+delete")
        assert panel.steps == ["a", "c"]
        assert "✗ 1 teacher step removed" in str(panel.border_subtitle)
