"""The editable steps panel: the teacher's steps stream in, then a tutor edits them in place.

The panel owns its undo/redo stack and says what happened through its own Messages; it never
saves anything itself (the screen asks the tutor to store a new version on `SaveRequested`).

Steps are edited as written (LaTeX and all). A step with math shows it rendered on a line under
its editor while the step is not being edited (not while the app shows math raw).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Label, Static, TextArea

from tot_tui.textsafe import safe_text
from tot_tui.ui.bindings import bindings
from tot_tui.ui.dom import child_on_first_use, uncancellable
from tot_tui.ui.keymap import key_hint
from tot_tui.ui.mathview import follow, is_raw, one_line, unfollow
from tot_tui.ui.plain import plain
from tot_tui.ui.step_diff import align, align_by_origin
from tot_tui.ui.widgets.button_bar import BarButton, ButtonBar

if TYPE_CHECKING:
    from tot_tui.domain import StepSetView
    from tot_tui.ui.widgets.reasoning import Reasoning


def _reads_differently(rendered: str, text: str) -> bool:
    """Does the rendering say more than the text without its `$`s (`$a$` is just a)?"""
    def bare(s: str) -> str:
        return re.sub(r"\s|\$|\\[()\[\]]", "", s).replace("−", "-")

    return bare(rendered) != bare(text)


def _clean(steps: list[str]) -> list[str]:
    return [" ".join(s.split()) for s in steps if s.strip()]


_MARKS = {"moved": "↕ moved", "changed": "✎ edited", "added": "＋ new"}


def _first_change(before: list[str], after: list[str], default: int) -> int:
    """Where an undo or redo changed the steps (the step a deletion brings back, say): the
    cursor goes there, so the next key acts on the step just restored."""
    for i, (old, new) in enumerate(zip(before, after, strict=False)):
        if old != new:
            return i
    return min(len(before), len(after)) if len(before) != len(after) else default


class StepEditor(TextArea):
    """A step's inline editor: wraps long steps; Enter starts a new step instead of a newline;
    Ctrl+Z / Ctrl+Y go to the panel's undo stack (which also covers insert, delete and move)."""

    BINDINGS: ClassVar[list[BindingType]] = bindings("step_editor")

    DEFAULT_CSS = """
    StepEditor { height: auto; max-height: 6; border: none; padding: 0; width: 1fr; }
    StepEditor:focus { background: $boost; }
    """

    class Submitted(Message):
        def __init__(self, editor: StepEditor) -> None:
            super().__init__()
            self.editor = editor

    class HistoryRequested(Message):
        def __init__(self, redo: bool) -> None:
            super().__init__()
            self.redo = redo

    class LeftAtEdge(Message):
        """Up on the step's first visual row, or Down on its last: to the step before or after."""

        def __init__(self, delta: int) -> None:
            super().__init__()
            self.delta = delta

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter" and not self.read_only:
            event.stop()
            event.prevent_default()
            self.post_message(self.Submitted(self))
            return
        at = self.cursor_location
        if (event.key == "up" and self.navigator.is_first_wrapped_line(at)) or (
                event.key == "down" and self.navigator.is_last_wrapped_line(at)):
            event.stop()
            event.prevent_default()
            self.post_message(self.LeftAtEdge(-1 if event.key == "up" else 1))
            return
        if event.key.startswith("alt+"):
            # Terminals send Alt+D as ESC then "d", which Textual reports as a printable "d":
            # it is a key binding (delete the step), never text to insert. prevent_default:
            # TextArea's own handler would otherwise still run (Textual calls each class's).
            event.prevent_default()
            return
        await super()._on_key(event)

    def on_resize(self, event: events.Resize) -> None:
        # At a new width the text wraps onto a different number of rows; the auto height was
        # measured at the old width, so ask for a new layout once the text has re-wrapped.
        self.call_after_refresh(self.refresh, layout=True)

    def action_undo(self) -> None:
        self.post_message(self.HistoryRequested(redo=False))

    def action_redo(self) -> None:
        self.post_message(self.HistoryRequested(redo=True))


class StepRow(Horizontal):
    """One step: its number, an inline editor (and, for a step with math, the step rendered on
    a line under it while the row is not focused) and a mark (edited, moved, leaks the answer)."""

    DEFAULT_CSS = """
    StepRow { height: auto; min-height: 1; margin-bottom: 0; }
    StepRow > .num { width: 4; text-align: right; padding-right: 1; color: $text-muted; }
    StepRow > .body { width: 1fr; height: auto; }
    StepRow > .body > .preview { display: none; height: auto; color: $text-muted; }
    StepRow.-math > .body > .preview { display: block; }
    StepRow.-math:focus-within > .body > .preview { display: none; }
    StepRow > .mark { width: auto; max-width: 10; padding-left: 1; color: $warning; }
    StepRow.-edited > .num { color: $warning; text-style: bold; }
    StepRow.-leak > .mark { color: $error; text-style: bold; }
    """

    def __init__(self, index: int, text: str, mark: str) -> None:
        super().__init__()
        self.index = index
        self._text = text
        self._mark = mark

    def compose(self) -> ComposeResult:
        yield Label(f"{self.index + 1}.", classes="num")
        with Vertical(classes="body"):
            yield StepEditor(self._text, placeholder="write this step…", compact=True,
                             soft_wrap=True, highlight_cursor_line=False)
            yield Static("", classes="preview", markup=False)
        yield Label(self._mark, classes="mark")

    def on_mount(self) -> None:
        self.show_preview(is_raw(self))

    @property
    def input(self) -> StepEditor:
        return self.query_one(StepEditor)

    def show_preview(self, raw: bool) -> None:
        """The step's math rendered on the line under it (none when raw or without math)."""
        text = self.input.text
        from tot_tui.mathtext import has_math

        shown = one_line(text, raw) if not raw and has_math(text) else ""
        self.set_class(bool(shown) and _reads_differently(shown, text), "-math")
        if shown:
            self.query_one(".preview", Static).update(f"→ {safe_text(shown)}")

    def set_mark(self, mark: str) -> None:
        label = self.query_one(".mark", Label)
        label.update(mark)
        label.display = bool(mark)  # an unmarked step gets the whole width
        self.set_class(bool(mark) and "answer" not in mark, "-edited")
        self.set_class("answer" in mark, "-leak")


# `{binding.id}` is the key bound to it, as the user's keymap has it (keymap.with_keys).
EMPTY = ("No steps yet. Decompose the problem ({solve.decompose}), or write your own: "
         "{steps.insert} adds a step.")
TOOLTIPS = {
    "add-step": "New step ({steps.insert})",
    "save-steps": "Save as a new version ({steps.save})",
    "regenerate": "Ask the teacher again ({solve.decompose})",
}


class StepsPanel(Vertical):
    """Steps of the current problem. `steps` is what the editor shows now."""

    HELP = """\
## Steps
The teacher's steps stream in here; then each step is editable in place.

- **Up** / **Down** past a step's first or last line: the previous or next step
- **Enter** or **Ctrl+N**: new step below · **Ctrl+Delete** / **Alt+D**: delete the step
- **Alt+↑ / Alt+↓**: move the step · **Tab / Shift+Tab**: next / previous step
- **Ctrl+Z** undo · **Ctrl+Y** redo · **Ctrl+S** save as a new version
- **Ctrl+T** asks the teacher again (regenerate); **Ctrl+Z** brings your edits back.

Edited steps are marked ✎; Solve saves unsaved edits as a new version first, so every attempt
records exactly the steps the student saw.
"""

    DEFAULT_CSS = """
    StepsPanel {
        border: round $accent 50%;
        border-title-color: $text;
        border-subtitle-color: $text-muted;
        height: 1fr;
        padding: 0 0;
    }
    StepsPanel:focus-within { border: round $accent; }
    StepsPanel > #draft { height: 1fr; padding: 0 1; display: none; color: $text-muted; }
    StepsPanel.-drafting > #draft { display: block; }
    StepsPanel.-drafting > #rows { display: none; }
    StepsPanel > #rows { height: 1fr; scrollbar-size-vertical: 1; }
    StepsPanel > #empty { padding: 0 1; color: $text-muted; height: auto; }
    StepsPanel > #steps-buttons { dock: bottom; padding: 0 1; }
    StepsPanel > Reasoning { margin: 0; }
    StepsPanel > Reasoning > Contents { max-height: 33vh; overflow-y: auto;
                                   scrollbar-size-vertical: 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = bindings("steps")

    class Changed(Message):
        """The steps in the editor changed (typing, insert, delete, move, undo, redo)."""

        def __init__(self, panel: StepsPanel, steps: list[str], dirty: bool) -> None:
            super().__init__()
            self.panel = panel
            self.steps = steps
            self.dirty = dirty

    class SaveRequested(Message):
        def __init__(self, panel: StepsPanel, steps: list[str]) -> None:
            super().__init__()
            self.panel = panel
            self.steps = steps

    class RegenerateRequested(Message):
        def __init__(self, panel: StepsPanel) -> None:
            super().__init__()
            self.panel = panel

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.border_title = "Steps"
        self.step_set: StepSetView | None = None  # the saved version the editor started from
        self.saved: list[str] = []
        self.original: list[str] = []  # the teacher's steps, for the "edited" marks
        self.original_id: int | None = None  # the step set `original` is
        # The steps a cut-short teacher reply left, and its model: saved unchanged, they are
        # recorded as that draft rather than as edits (`StepOrigin.DRAFT`).
        self.draft_from: tuple[list[str], str | None] | None = None
        # Which steps state the answer, given the steps: set by the screen, which knows the
        # problem and its reference (None: only the saved version's marks are shown).
        self.leak_check: Callable[[list[str]], list[int]] | None = None
        self._states: list[list[str]] = [[]]
        # Parallel to _states: each step's index in `original`, None for a step added here.
        # Marks (and what History records) follow a step through edits and moves by this.
        self._origin_states: list[list[int | None]] = [[]]
        self._pos = 0
        self._coalesce: tuple[str, int] | None = None
        self._focus_index = 0
        self.note = ""

    def hint(self, template: str) -> str:
        # The screen's bindings too: Regenerate is the screen's Decompose key.
        return key_hint(self, template, StepsPanel)

    def keys_changed(self) -> None:
        """The keymap changed: redraw the hints that name keys."""
        self.query_one("#empty", Static).update(self.hint(EMPTY))
        bar = self.query_one("#steps-buttons", ButtonBar)
        for button_id, template in TOOLTIPS.items():
            bar.set_tooltip(button_id, self.hint(template))

    def compose(self) -> ComposeResult:
        # The teacher's draft (#draft) is mounted on first use: a lighter first screen.
        yield Static(self.hint(EMPTY), id="empty")
        yield VerticalScroll(id="rows")
        yield ButtonBar(
            BarButton("add-step", "+ Step", tooltip=self.hint(TOOLTIPS["add-step"])),
            BarButton("save-steps", "Save", tooltip=self.hint(TOOLTIPS["save-steps"])),
            BarButton("regenerate", "Regenerate", tooltip=self.hint(TOOLTIPS["regenerate"])),
            id="steps-buttons", min_width=8)

    # -- state -------------------------------------------------------------------------------

    @property
    def steps(self) -> list[str]:
        return list(self._states[self._pos])

    @property
    def dirty(self) -> bool:
        """True when the editor differs from the saved version (or nothing is saved yet)."""
        cleaned = _clean(self.steps)
        return bool(cleaned) and cleaned != self.saved

    @property
    def can_undo(self) -> bool:
        return self._pos > 0

    @property
    def can_redo(self) -> bool:
        return self._pos < len(self._states) - 1

    @property
    def origins(self) -> list[int | None]:
        """Each step's index in `original` (None: added here), as the steps are now."""
        return list(self._origin_states[self._pos])

    def to_save(self) -> tuple[list[str], list[int | None]]:
        """The steps as they are saved (blank ones dropped, spaces collapsed), each with its
        origin in `original` (the step set `original_id`)."""
        pairs = [(" ".join(s.split()), o) for s, o in zip(self.steps, self.origins, strict=True)
                 if s.strip()]
        return [s for s, _ in pairs], [o for _, o in pairs]

    def _commit(self, steps: list[str], coalesce: tuple[str, int] | None = None, *,
                origins: list[int | None]) -> None:
        if coalesce is not None and coalesce == self._coalesce \
                and self._pos == len(self._states) - 1:
            self._states[self._pos] = steps
            self._origin_states[self._pos] = origins
        else:
            del self._states[self._pos + 1:]
            del self._origin_states[self._pos + 1:]
            self._states.append(steps)
            self._origin_states.append(origins)
            self._pos += 1
        self._coalesce = coalesce

    def _marks(self, steps: list[str]) -> list[str]:
        """One mark per step against the teacher's original: edited, new, moved, or the
        answer leaked (for steps still as saved). Each step is followed from where it came
        (`origins`), so an edited step that moves stays an edited step."""
        clean = [" ".join(s.split()) for s in steps]
        marks = [""] * len(clean)
        origins = self.origins
        if self.original and len(origins) == len(clean):
            for kind, _old, j in align_by_origin(self.original, clean, origins):
                if j is not None and kind != "same":
                    marks[j] = _MARKS[kind]
        if self.leak_check is not None:  # as the steps are now, before they are saved
            leaks = self.leak_check(clean)
        elif self.step_set is not None:
            leaks = [i for i in self.step_set.leaks
                     if i < len(clean) and i < len(self.saved) and clean[i] == self.saved[i]]
        else:
            leaks = []
        for i in leaks:
            if i < len(marks):
                marks[i] = "⚠ answer"
        return marks

    def _refresh_marks(self) -> None:
        rows = self.rows
        for row, mark in zip(rows, self._marks([r.input.text for r in rows]), strict=False):
            row.set_mark(mark)

    def _update_title(self) -> None:
        parts = ["Steps"]
        if self.step_set is not None:
            origin = self.step_set.origin.label
            parts.append(f"v{self.step_set.version} {origin}")
            if self.step_set.model:
                parts.append(safe_text(self.step_set.model, 30))
        self.border_title = plain(" · ".join(parts))
        removed = len(set(range(len(self.original))) - set(self.origins)) \
            if self.original and self.step_set is not None else 0
        if self.dirty:
            gone = f" · ✗ {removed} teacher step{'s' * (removed != 1)} removed" if removed else ""
            self.border_subtitle = self.hint("● unsaved changes ({steps.save})") + gone
        elif self.step_set is not None and self.step_set.leaks:
            self.border_subtitle = "⚠ a step states the answer"
        else:
            self.border_subtitle = plain(self.note)

    def _changed(self) -> None:
        self._update_title()
        self.query_one("#empty").display = not self.steps and not self.has_class("-drafting")
        self.post_message(self.Changed(self, self.steps, self.dirty))

    @property
    def rows(self) -> list[StepRow]:
        return list(self.query_one("#rows").query_children(StepRow))

    async def _rebuild(self, focus: int | None = None) -> None:
        """Make the rows show `steps`: existing editors are reused (so keys typed meanwhile
        still land in the focused one); rows are only added or removed at the end."""
        container = self.query_one("#rows", VerticalScroll)
        steps = self.steps
        rows = self.rows
        for row in rows[len(steps):]:
            await uncancellable(row.remove())
        rows = rows[: len(steps)]
        for i, row in enumerate(rows):
            shown = safe_text(steps[i])
            if row.input.text != shown:
                with row.input.prevent(TextArea.Changed):
                    row.input.load_text(shown)
                row.input.move_cursor(row.input.document.end)
                row.show_preview(is_raw(self))
        if focus is not None and steps:
            focus = max(0, min(focus, len(steps) - 1))
            self._focus_index = focus
            self._coalesce = None
            if focus < len(rows):  # focus an existing editor before awaiting anything
                rows[focus].input.focus()
        extra = [StepRow(i, safe_text(steps[i]), "") for i in range(len(rows), len(steps))]
        if extra:
            await uncancellable(container.mount_all(extra))
            rows += extra
        for row, mark in zip(rows, self._marks(steps), strict=False):
            row.set_mark(mark)
        if focus is not None and rows:
            rows[focus].input.focus()
            rows[focus].scroll_visible()
        self._changed()

    # -- what the screen calls ---------------------------------------------------------------

    async def reset(self) -> None:
        """Forget everything (a new problem)."""
        self.step_set = None
        self.note = ""
        self.saved, self.original, self.original_id = [], [], None
        self._states, self._pos, self._coalesce = [[]], 0, None
        self._origin_states = [[]]
        self.draft_from = None
        self.remove_class("-drafting")
        self.show_reasoning(None)
        await self._rebuild()

    def _draft(self) -> Static:
        return child_on_first_use(self, "#draft", Static, lambda: Static(id="draft"), before=0)

    @property
    def reasoning(self) -> Reasoning:
        """A thinking teacher's reasoning, collapsed above the steps; mounted on first use."""
        from tot_tui.ui.widgets.reasoning import Reasoning

        self._draft()  # mounted first: the reasoning goes above it
        return child_on_first_use(self, "Reasoning", Reasoning,
                                  lambda: Reasoning("Teacher's reasoning"), before=0)

    def append_reasoning(self, text: str) -> None:
        """A piece of the teacher's reasoning (never read for steps)."""
        self.reasoning.append(text)

    def show_reasoning(self, text: str | None) -> None:
        """The reasoning the steps came with, collapsed (none: hidden)."""
        if text or self.query_children("Reasoning"):
            self.reasoning.show_text(text)

    def end_reasoning(self, stored: str | None = None) -> None:
        """The teacher's reply ended: what streamed stays, or the steps' `stored` reasoning
        (steps reused from the history) is shown."""
        if self.query_children("Reasoning") and self.reasoning.streaming:
            self.reasoning.finish()
        else:
            self.show_reasoning(stored)

    def begin_draft(self, note: str) -> None:
        """The teacher is writing: show the draft read-only until `end_draft`/`load`."""
        if self.query_children("Reasoning"):
            self.reasoning.start()  # a new reply: the last one's reasoning goes
        self.add_class("-drafting")
        self.query_one("#empty").display = False
        self._draft().update(Text(note))
        self.border_subtitle = "the teacher is writing…"

    def show_draft(self, draft: tuple[str, ...] | list[str]) -> None:
        text = Text()
        raw = is_raw(self)
        for i, step in enumerate(draft):
            text.append(f"{i + 1:>3}. ", style="bold")
            text.append(safe_text(one_line(step, raw)) + "\n")
        self._draft().update(text)

    def on_mount(self) -> None:
        follow(self, self._math_switched)

    def on_unmount(self) -> None:
        unfollow(self)

    def _math_switched(self, raw: bool) -> None:
        for row in self.rows:
            row.show_preview(raw)

    async def load(self, step_set: StepSetView, *, original: StepSetView | None = None,
                   focus: bool = False, note: str = "") -> None:
        """Show a stored version; `original` is the teacher's version its marks compare with
        (a teacher's version is its own). The previous editor state stays reachable with undo.
        `note` (e.g. the teacher's token count and time) is shown under the panel."""
        self.remove_class("-drafting")
        self.note = note
        self.step_set = step_set
        self.saved = list(step_set.steps)
        if step_set.origin.value == "teacher":
            original = step_set
        if original is not None:
            self.original, self.original_id = list(original.steps), original.id
        if not any(step.strip() for step in self.steps):
            # Nothing worth going back to: undo must not empty the panel of what just came.
            self._states, self._origin_states, self._pos = [], [], -1
        self._commit(list(step_set.steps), origins=self._origins_of(step_set))
        self._coalesce = None
        await self._rebuild(0 if focus else None)

    async def end_draft(self, partial: list[str], model: str | None = None) -> None:
        """The teacher failed: keep the steps that did arrive as unsaved, editable rows.
        Saved as they are, they are the teacher's draft (`draft_from`), not the tutor's."""
        self.remove_class("-drafting")
        self.end_reasoning()
        if partial:
            self._commit(list(partial), origins=[None] * len(partial))
            self.draft_from = (_clean(partial), model)
        await self._rebuild()

    def _origins_of(self, step_set: StepSetView) -> list[int | None]:
        """Where each step of a stored version came from in `original`: as recorded when it
        was saved, else (older versions) read from a diff."""
        steps = step_set.steps
        if step_set.id == self.original_id:
            return list(range(len(steps)))
        if step_set.origins is not None and step_set.base_id == self.original_id:
            return list(step_set.origins)
        origins: list[int | None] = [None] * len(steps)
        for kind, old, new in align(self.original, steps):
            if new is not None and kind in ("same", "changed"):
                origins[new] = old
        return origins

    def mark_saved(self, step_set: StepSetView) -> None:
        self.step_set = step_set
        self.saved = list(step_set.steps)
        self._refresh_marks()
        self._changed()

    # -- editing -----------------------------------------------------------------------------

    def _current(self) -> int:
        focused = self.screen.focused if self.is_attached else None
        for i, row in enumerate(self.rows):
            if focused is row.input:
                return i
        return min(self._focus_index, max(0, len(self.steps) - 1))

    @on(TextArea.Changed)
    def _typed(self, event: TextArea.Changed) -> None:
        event.stop()
        value = event.text_area.text
        row = next((node for node in event.text_area.ancestors if isinstance(node, StepRow)),
                   None)
        if row is None or row.parent is None or row not in self.rows:
            return
        row.show_preview(is_raw(self))
        steps = self.steps
        if row.index >= len(steps) or value in (steps[row.index], safe_text(steps[row.index])):
            return
        steps[row.index] = value
        self._commit(steps, ("edit", row.index), origins=self.origins)
        self._refresh_marks()
        self._changed()

    @on(StepEditor.Submitted)
    async def _enter(self, event: StepEditor.Submitted) -> None:
        event.stop()
        await self.action_insert_step()

    @on(StepEditor.LeftAtEdge)
    def _left_at_edge(self, event: StepEditor.LeftAtEdge) -> None:
        event.stop()
        self.action_focus_step(event.delta)

    @on(StepEditor.HistoryRequested)
    async def _history(self, event: StepEditor.HistoryRequested) -> None:
        event.stop()
        await (self.action_redo() if event.redo else self.action_undo())

    def on_descendant_focus(self, event: object) -> None:
        focused = self.screen.focused
        for i, row in enumerate(self.rows):
            if focused is row.input:
                if i != self._focus_index:
                    self._coalesce = None  # a new row starts a new undo step
                self._focus_index = i

    async def action_insert_step(self) -> None:
        steps = self.steps
        at = self._current() + 1 if steps else 0
        steps.insert(at, "")
        origins = self.origins
        origins.insert(at, None)
        self._commit(steps, origins=origins)
        await self._rebuild(at)

    async def action_delete_step(self) -> None:
        steps = self.steps
        if not steps:
            return
        at = self._current()
        del steps[at]
        origins = self.origins
        del origins[at]
        self._commit(steps, origins=origins)
        await self._rebuild(min(at, len(steps) - 1) if steps else None)

    async def action_move_step(self, delta: int) -> None:
        steps = self.steps
        at = self._current()
        to = at + delta
        if not steps or not 0 <= to < len(steps):
            return
        steps[at], steps[to] = steps[to], steps[at]
        origins = self.origins
        origins[at], origins[to] = origins[to], origins[at]
        self._commit(steps, origins=origins)
        await self._rebuild(to)

    async def action_undo(self) -> None:
        if not self.can_undo:
            self.notify("Nothing to undo.", timeout=2)
            return
        before = self.steps
        self._pos -= 1
        self._coalesce = None
        await self._rebuild(_first_change(before, self.steps, self._focus_index))

    async def action_redo(self) -> None:
        if not self.can_redo:
            self.notify("Nothing to redo.", timeout=2)
            return
        before = self.steps
        self._pos += 1
        self._coalesce = None
        await self._rebuild(_first_change(before, self.steps, self._focus_index))

    def action_save(self) -> None:
        steps = _clean(self.steps)
        if not steps:
            self.notify(self.hint("There are no steps to save: add a step first "
                                  "({steps.insert})."), severity="warning")
            return
        if not self.dirty and self.step_set is not None:
            self.notify(f"No changes to save (this is version {self.step_set.version}).",
                        timeout=3)
            return
        self.post_message(self.SaveRequested(self, steps))

    def action_focus_step(self, delta: int) -> None:
        rows = self.rows
        if not rows:
            return
        to = max(0, min(self._current() + delta, len(rows) - 1))
        self.focus_step(to)

    def focus_step(self, index: int) -> None:
        """Put the cursor at the end of step `index`."""
        rows = self.rows
        if not rows:
            return
        row = rows[max(0, min(index, len(rows) - 1))]
        row.input.focus()
        row.input.move_cursor(row.input.document.end)
        row.scroll_visible()

    @on(ButtonBar.Pressed, "#steps-buttons")
    async def _button_pressed(self, event: ButtonBar.Pressed) -> None:
        event.stop()
        if event.button_id == "add-step":
            await self.action_insert_step()
        elif event.button_id == "save-steps":
            self.action_save()
        elif event.button_id == "regenerate":
            self.post_message(self.RegenerateRequested(self))
