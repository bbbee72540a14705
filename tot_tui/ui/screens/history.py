"""The History screen: every problem, full-text search, filters, details, re-run, delete, export."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Input, Markdown, Select
from textual.widgets.data_table import ColumnKey

from tot_tui.domain import EvalRunSummary, ProblemDetail, ProblemSummary, StepSetView, Verdict
from tot_tui.textsafe import safe_text
from tot_tui.tutor.export import EXTENSIONS
from tot_tui.ui.bindings import bindings
from tot_tui.ui.dom import uncancellable
from tot_tui.ui.mathview import answer_line, fence_width, follow, is_raw, one_line
from tot_tui.ui.notices import show_path
from tot_tui.ui.screens.base import TotScreen
from tot_tui.ui.step_diff import align, align_by_origin
from tot_tui.ui.tables import fit_column
from tot_tui.ui.widgets.connection import ConnectionIndicator
from tot_tui.ui.widgets.key_bar import KeyBar
from tot_tui.ui.widgets.reasoning import Reasoning
from tot_tui.ui.widgets.title_bar import TitleBar
from tot_tui.ui.widgets.verdict import describe_reason

DETAIL_DELAY = 0.05  # seconds the highlight rests before its detail is loaded
PAGE = 100  # rows read at a time; the next page when the list is scrolled near its end
VERDICT_MARK = {Verdict.CORRECT: ("✔", "green"), Verdict.INCORRECT: ("✘", "red"),
                Verdict.UNKNOWN: ("?", "yellow")}
_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|#~"})


def md(text: str, limit: int | None = None, *, math: bool = False) -> str:
    """Untrusted text made safe for Markdown: controls escaped, markup characters literal; with
    `math`, its LaTeX math rendered on one line (before `limit` cuts it)."""
    text = " ".join(text.split())
    if math:
        text = one_line(text)
    return safe_text(text, limit).translate(_MD_SPECIAL)


def md_math(text: str, *, raw: bool = False, width: int | None = None, reply: bool = False,
            limit: int | None = None) -> str:
    """Text with math as Markdown, as the app shows math (rendered, or as written with `raw`):
    display math a block of its own. A problem's text is made literal, on one line, like
    `md`; a `reply` keeps its line breaks and the model's own Markdown (as in a reply pane)."""
    from tot_tui.mathtext.stream import render_markdown

    if reply:
        return render_markdown(safe_text(text, limit), width, raw=raw)
    return render_markdown(safe_text(" ".join(text.split()), limit), width, raw=raw,
                           escape_prose=True)


def when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M}"


def step_changes(original: list[str], steps: list[str],
                 origins: list[int | None] | None = None, *, math: bool = False) -> list[str]:
    """Markdown lines for `steps`, marked against the teacher's original: by where each step
    came from when the version recorded it (`origins`), else by a diff (older versions).
    With `math`, math in the steps is rendered (on one line)."""
    lines: list[str] = []
    aligned = align(original, steps) if origins is None else \
        align_by_origin(original, steps, origins)
    for kind, old, new in aligned:
        was = md(original[old], math=math) if old is not None else ""
        if new is None:
            lines.append(f"- ~~{was}~~ — ✗ *removed*")
        elif kind == "changed":  # shown once, with what it was
            lines.append(f"{new + 1}. {md(steps[new], math=math)} — ✎ *changed* (was ~~{was}~~)")
        else:
            mark = {"added": " — ＋ *added*", "moved": " — ↕ *moved*"}.get(kind, "")
            lines.append(f"{new + 1}. {md(steps[new], math=math)}{mark}")
    return lines


def run_label(run: EvalRunSummary) -> str:
    """The eval-run filter's label, e.g. "#3 gsm8k · 41/50 ✔ · 11-20"."""
    name = run.dataset.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]  # a file: its name
    day = f" · {run.created:%m-%d}" if run.created else ""
    state = "" if run.status == "finished" else f" · {run.status}"
    return f"#{run.id} {safe_text(name, 14)} · {run.correct}/{run.attempts} ✔{state}{day}"


def equation_sets_markdown(detail: ProblemDetail) -> list[str]:
    """The teacher's equations for the problem: what the solver made of each set, whether it
    agreed with the reference, and the latest equations as written (a literal block)."""
    if not detail.equation_sets:
        return []
    out = [f"### The teacher's equations ({len(detail.equation_sets)})", ""]
    for e in detail.equation_sets:
        d = e.derived
        head = f"- **{md(d.value, 30)}**" if d.ok and d.value else f"- *{d.status.value}*"
        if e.agrees is False:
            head += f" · ⚠ disagrees with the reference {md(e.compared_with or '', 20)}"
        elif e.agrees:
            head += " · agrees with the reference"
        out.append(f"{head} · {md(e.model or '')} · {when(e.created)} — {md(d.reason, 120)}")
    last = detail.equation_sets[-1]
    text = "\n".join(safe_text(last.raw_output, 1500).splitlines()[:30])
    # A fence longer than any run of backticks in the text: it cannot be closed from inside.
    fence = "`" * max(3, 1 + max((len(r) for r in re.findall(r"`+", text)), default=0))
    out += ["", f"{fence}text", text, fence, ""]
    return out


def detail_markdown(detail: ProblemDetail, *, raw: bool = False, width: int | None = None) -> str:
    """The History's detail of one problem. Math in the problem, the reference, the steps and
    the latest reply is rendered (display math as blocks up to `width` columns), or shown as
    written with `raw`."""
    p = detail.problem
    math = not raw

    def shown(answer: str) -> str:
        return answer_line(answer, raw)

    provenance = " (solved from the teacher's equations)" \
        if p.reference_source == "equations" else ""
    out = [f"**Problem #{p.id}** · {when(p.created)}", "", md_math(p.text, raw=raw, width=width),
           "", f"**Reference answer:** {md(shown(p.reference)) if p.reference else '*none*'}"
           f"{provenance}", ""]
    out += equation_sets_markdown(detail)
    teacher = [s for s in detail.step_sets if s.origin.value == "teacher"]
    original = teacher[0].steps if teacher else []
    versions: dict[int, StepSetView] = {s.id: s for s in detail.step_sets}
    out.append(f"### Steps ({len(detail.step_sets)} version"
               f"{'s' if len(detail.step_sets) != 1 else ''})")
    if not detail.step_sets:
        out.append("*No steps yet.*")
    for s in detail.step_sets:
        head = f"**v{s.version} · {s.origin.label}**"
        if s.model:
            head += f" · {md(s.model)}"
        if s.parent_id in versions:
            head += f" · from v{versions[s.parent_id].version}"
        head += f" · {when(s.created)}"
        if s.thinking:
            head += f" · reasoning {len(s.thinking):,} chars"
        out += ["", head, ""]
        base = versions.get(s.base_id) if s.base_id is not None else None
        if s.origin.value == "teacher":
            out += [f"{i + 1}. {md(step, math=math)}" for i, step in enumerate(s.steps)]
        elif base is not None and s.origins is not None:
            out += step_changes(base.steps, s.steps, s.origins, math=math)
        elif original:
            out += step_changes(original, s.steps, math=math)
        else:
            out += [f"{i + 1}. {md(step, math=math)}" for i, step in enumerate(s.steps)]
        if s.leaks:
            out.append(f"\n⚠ step {', '.join(str(i + 1) for i in s.leaks)} states the answer")
    out += ["", f"### Attempts ({len(detail.attempts)})", ""]
    if detail.attempts:
        for a in detail.attempts:
            mode = a.mode.value
            if a.step_set_id in versions:
                mode += f" v{versions[a.step_set_id].version}"
            if a.eval_run_id is not None:
                mode += f" · eval run {a.eval_run_id}"
            status = "" if a.status.value == "finished" else f" ({a.status.value})"
            icon = VERDICT_MARK[a.verdict][0]
            why = a.error or describe_reason(a.verdict_reason)
            answer = shown(a.answer_norm or a.answer or "(none)")
            reference = shown(a.reference_norm or a.reference or p.reference or "(none)")
            thought = f" · reasoning {len(a.thinking):,} chars" if a.thinking else ""
            out.append(f"- {icon} **{a.verdict.value}**{status} · {mode} · "
                       f"{md(a.student_model)} · {when(a.created)}{thought} — answer "
                       f"**{md(answer, 30)}** vs {md(reference, 20)} ({md(why, 80)})")
        last = detail.attempts[-1]
        below = "; its reasoning is below, collapsed" if last.thinking else ""
        out += ["", f"**Latest reply** (attempt {last.id}, {md(last.student_model)}{below}):",
                ""]
        reply = md_math(last.output, raw=raw, reply=True, limit=1500,
                        width=width - 3 if width is not None else None)  # the quote's bar
        out += [f"> {line}" if line.strip() else ">" for line in
                reply.splitlines()] or ["> *(empty)*"]
    else:
        out.append("*No attempts yet.*")
    if detail.human_answers:
        out += ["", f"### Answers by people ({len(detail.human_answers)})", ""]
        out += [f"- {VERDICT_MARK[h.verdict][0]} **{h.verdict.value}** · "
                f"{md(shown(h.answer), 30)} · "
                f"{h.hints_shown} hint{'s' * (h.hints_shown != 1)} seen · {when(h.created)}"
                for h in detail.human_answers]
    return "\n".join(out)


class HistoryScreen(TotScreen):
    """Every stored problem; the highlighted one is shown in detail on the right."""

    # Layout, read when the screen first opens (not before the first paint).
    CSS = """
    #filters { height: 1; padding: 0 1; margin-bottom: 1; }
    #filters > Input { width: 1fr; }
    #filters > Select { width: 22; margin-left: 1; }
    #filters > #eval-run { width: 32; }
    #history-body { height: 1fr; layout: vertical; }
    #problems { width: 1fr; height: 40%; }
    #detail { width: 1fr; height: 1fr; padding: 0 1; border-top: tall $primary 30%; }
    #detail Markdown { background: transparent; margin: 0; padding: 0; }
    #detail MarkdownFence { margin: 0 0 1 0; background: transparent; }
    #detail MarkdownFence > Label { padding: 0 2; }
    """

    HELP = """\
## History
Every problem with its date, models and verdicts. **/** and type to search (problem text, steps and
replies); filter by verdict, model or batch evaluation run (`tot-tui eval`). The highlighted
problem is shown on the right with all its step versions (what the tutor changed against the
teacher's original) and attempts.

**Space** selects rows · **Enter** opens on the Solve screen · **Ctrl+R** re-runs with the
current models · **Ctrl+D** deletes (asks first) · **Ctrl+S** exports the selection or everything.
Math is shown rendered; **F8** shows the LaTeX as written (and back).
"""

    BINDINGS: ClassVar[list[BindingType]] = bindings("history")

    PALETTE: ClassVar[list[tuple[str, str, str]]] = [
        ("Search history", "Full-text search", "focus_search"),
        ("Open problem", "Open the highlighted problem on the Solve screen", "open"),
        ("Re-run problem", "Solve the highlighted problem again with the current models",
         "rerun"),
        ("Delete problem", "Delete the selected (or highlighted) problems", "delete"),
        ("Export history", "Markdown, JSON or CSV of the selection or everything", "export"),
        ("Select all", "Select every listed problem", "select_all"),
        ("Clear selection", "Unselect every problem", "clear_selection"),
    ]

    def __init__(self) -> None:
        super().__init__(id="history-screen")
        self.rows: list[ProblemSummary] = []
        self.marked: set[int] = set()
        self.detail: ProblemDetail | None = None
        self._models: tuple[str, ...] = ()
        self._runs: tuple[tuple[str, int], ...] = ()
        self._search_timer: object | None = None
        self.more = False  # are there rows past the last page read?
        self.total = 0  # how many match the filters, over all pages
        self._indexed = False  # has this screen brought the search index up to date?
        self._completed = False  # are the pickers and the detail view mounted?
        self._loading: tuple[str, Verdict | None, str | None, int | None] | None = None
        self._ready = asyncio.Event()  # set once they are

    def compose(self) -> ComposeResult:
        yield TitleBar()
        yield ConnectionIndicator()
        with Horizontal(id="filters"):
            yield Input(placeholder="Search problems, steps and replies…  (/)", id="search",
                        compact=True)
            # The filters' pickers and the detail view are mounted once the first rows are
            # drawn (`_complete`): they cost more to lay out than the list itself.
        with Vertical(id="history-body"):
            yield DataTable(id="problems", cursor_type="row", zebra_stripes=True)
            yield VerticalScroll(id="detail")
        yield KeyBar()

    async def _complete(self) -> None:
        """Mount the filters' pickers and the detail view (once, after the first rows)."""
        if self._completed:
            return
        self._completed = True
        runs = Select[int]([], prompt="Any eval run", id="eval-run", compact=True)
        runs.display = False  # until there is a batch evaluation to pick (`tot-tui eval`)
        try:
            await uncancellable(self.query_one("#filters", Horizontal).mount_all([
                Select([(v.value, v.value) for v in Verdict], prompt="Any verdict",
                       id="verdict", compact=True),
                Select([], prompt="Any model", id="model", compact=True), runs]))
            # Model text: its links are shown, and followed only when asked (TotScreen).
            await uncancellable(self.query_one("#detail", VerticalScroll).mount(
                Markdown("", id="detail-md", open_links=False)))
        finally:
            self._ready.set()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column(" ", key="mark", width=1)
        table.add_column("#", key="id", width=2)
        table.add_column("Date", key="date", width=16)
        table.add_column("Problem", key="problem", width=52)
        table.add_column("Teacher → student", key="models", width=26)
        table.add_column("Result", key="result", width=7)
        table.focus()
        self.watch(table, "scroll_y", lambda _old, _new: self._near_end(), init=False)
        # The first rows are read on the screen's resume, which also comes when it first shows.

    def on_resize(self) -> None:
        # The problem column takes what the others leave, and in a narrow terminal the date
        # (then only the day) and the models give way first: the verdicts stay on screen.
        table = self.query_one(DataTable)
        width = self.size.width - 2
        for key, size in (("date", 16 if width >= 90 else 10),
                          ("models", max(10, min(26, (width - 60) // 2)))):
            column = table.columns.get(ColumnKey(key))
            if column is not None:
                column.width = size
        fit_column(table, "problem", width, minimum=12)

    def on_screen_resume(self) -> None:
        # A screen shown for the first time gets two resume events: one read of the list.
        if self._filters() != self._loading:
            self.reload()

    # -- loading -----------------------------------------------------------------------------

    def _filters(self) -> tuple[str, Verdict | None, str | None, int | None]:
        query = self.query_one("#search", Input).value.strip()
        # The pickers are mounted after the first rows: until then, no filter.
        pickers = [next(iter(self.query(f"#{name}").results(Select)), None)
                   for name in ("verdict", "model", "eval-run")]
        verdict, model, run = (None if p is None else p.value for p in pickers)
        return (query, Verdict(verdict) if isinstance(verdict, str) else None,
                model if isinstance(model, str) else None,
                run if isinstance(run, int) else None)

    def reload(self) -> None:
        self._loading = filters = self._filters()
        self.load_rows(*filters)

    @work(exclusive=True, group="history-list", exit_on_error=False)
    async def load_rows(self, query: str, verdict: Verdict | None, model: str | None,
                        eval_run: int | None = None) -> None:
        try:
            await self.tot_app.ready()
            rows = await self.tutor.history(query=query, verdict=verdict, model=model,
                                            eval_run_id=eval_run, limit=PAGE + 1)
        finally:
            self._loading = None
        self.more = len(rows) > PAGE
        self.rows = rows[:PAGE]
        self._fill(self.rows)
        if not self._completed:  # the rows drawn first, then the rest of the screen
            drawn = asyncio.Event()
            self.call_after_refresh(drawn.set)
            await drawn.wait()
            await self._complete()
        filtered = bool(query or verdict or model or eval_run is not None)
        if not rows:
            self.detail = None
            text = ("Nothing matches these filters." if filtered else
                    "No problems yet. Solve one on the Solve screen (F2): it is kept here.")
            await uncancellable(self.query_one("#detail-md", Markdown).update(text))
            self._show_reasoning(None)
        # After the first page is drawn: the filters' choices, the total, and the replies
        # settled since the search index was last brought up to date.
        if not filtered:
            self._update_models(await self.tutor.history_models())
            self._update_runs(await self.tutor.eval_runs())
        self.total = len(self.rows) if not self.more else await self.tutor.count_history(
            query=query, verdict=verdict, model=model, eval_run_id=eval_run)
        self._title()
        if not self._indexed:
            self._indexed = True
            self.index_replies()

    @work(exclusive=True, group="history-index", exit_on_error=False)
    async def index_replies(self) -> None:
        await self.tutor.index_replies()

    @work(exclusive=True, group="history-more", exit_on_error=False)
    async def load_more(self) -> None:
        """The next page, appended (the list is read a page at a time as it is scrolled)."""
        if not self.more or not self.rows:
            return
        query, verdict, model, run = self._filters()
        rows = await self.tutor.history(query=query, verdict=verdict, model=model,
                                        eval_run_id=run, limit=PAGE + 1, after=self.rows[-1])
        if (query, verdict, model, run) != self._filters():
            return  # the filters changed meanwhile: their own load replaces the list
        self.more = len(rows) > PAGE
        self.rows = [*self.rows, *rows[:PAGE]]
        self._add_rows(rows[:PAGE])
        self._title()

    def _near_end(self) -> None:
        table = self.query_one(DataTable)
        if self.more and (table.cursor_row >= table.row_count - 10
                          or table.scroll_y >= table.max_scroll_y - 5):
            self.load_more()

    def _title(self) -> None:
        n = len(self.rows)
        total = max(self.total, n)
        shown = f"{n:,} of {total:,}" if total > n else f"{n:,}"
        self.query_one(DataTable).border_title = f"{shown} problem{'s' * (total != 1)}"

    def _fill(self, rows: list[ProblemSummary]) -> None:
        table = self.query_one(DataTable)
        current = self._highlighted_id()
        table.clear()
        self._add_rows(rows)
        ids = [r.id for r in rows]
        if current in ids:
            table.move_cursor(row=ids.index(current))
        self.total = len(rows)
        self._title()

    def _add_rows(self, rows: list[ProblemSummary]) -> None:
        table = self.query_one(DataTable)
        if rows:  # the id column as wide as the longest id listed
            column = table.columns.get(ColumnKey("id"))
            width = max(len(str(r.id)) for r in rows)
            if column is not None and width > column.width:
                column.width = width
                self.on_resize()
        for r in rows:
            teacher = ",".join(r.teacher_models)
            student = ",".join(r.student_models)
            models = f"{teacher}→{student}" if teacher and student else teacher or student
            result = Text()
            if 0 < r.correct < r.attempts:  # some right, some not: not just the last one's
                result.append("◐ ", style="bold yellow")
            elif r.last_verdict is not None:
                icon, style = VERDICT_MARK[r.last_verdict]
                result.append(icon + " ", style=f"bold {style}")
            result.append(f"{r.correct}/{r.attempts}")
            table.add_row(Text("●" if r.id in self.marked else " ", style="bold"),
                          Text(str(r.id)), Text(when(r.created)),
                          Text(safe_text(" ".join(r.text.split()), 60)),
                          Text(safe_text(models, 40)), result, key=str(r.id))

    def _update_models(self, models_: list[str]) -> None:
        models = tuple(models_)
        if models != self._models:
            self._models = models
            self.query_one("#model", Select).set_options([(m, m) for m in models])

    def _update_runs(self, runs: list[EvalRunSummary]) -> None:
        options = tuple((run_label(r), r.id) for r in runs)
        if options != self._runs:
            self._runs = options
            select = self.query_one("#eval-run", Select)
            select.set_options(options)
            select.display = bool(options)

    def _highlighted_id(self) -> int | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        try:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        except Exception:  # the cursor can point past a table that was just cleared
            return None
        return int(key.value) if key.value else None

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value:
            self.load_detail(int(event.row_key.value))
        self._near_end()

    @work(exclusive=True, group="history-detail", exit_on_error=False)
    async def load_detail(self, problem_id: int) -> None:
        # A moment first: the list's rows are drawn before the detail is laid out, and
        # moving through rows quickly lays out only the one stopped at.
        await asyncio.sleep(DETAIL_DELAY)
        await self._ready.wait()
        detail = await self.tutor.problem_detail(problem_id)
        self.detail = detail
        await self._show_detail()
        self.query_one("#detail", VerticalScroll).scroll_home(animate=False)

    async def _show_detail(self) -> None:
        detail = self.detail
        text = detail_markdown(detail, raw=is_raw(self), width=fence_width(
            self.query_one("#detail", VerticalScroll).size.width - 3)) if detail \
            else "This problem was deleted."
        await uncancellable(self.query_one("#detail-md", Markdown).update(text))
        self._show_reasoning(detail)

    def _show_reasoning(self, detail: ProblemDetail | None) -> None:
        """The reasoning of the latest teacher steps and of the latest reply, collapsed under
        the detail (it is never part of the steps or the reply)."""
        teacher = [s for s in detail.step_sets if s.thinking] if detail else []
        last = detail.attempts[-1] if detail and detail.attempts else None
        shown = [("#detail-teacher-reasoning", teacher[-1].thinking if teacher else None,
                  f"Teacher's reasoning, v{teacher[-1].version}" if teacher else ""),
                 ("#detail-student-reasoning", last.thinking if last else None,
                  f"Reasoning of attempt {last.id}" if last else "")]
        box = self.query_one("#detail", VerticalScroll)
        widgets = list(box.query_children(Reasoning))
        if not widgets and any(thinking for _, thinking, _ in shown):
            # Both at once, in this order; each hidden while it has nothing to show.
            widgets = [Reasoning(label or "Reasoning", id=selector[1:])
                       for selector, _, label in shown]
            box.mount_all(widgets)
        for widget, (_, thinking, label) in zip(widgets, shown, strict=False):
            widget.show_text(thinking, label or None)

    @on(events.Mount)
    def _follow_math(self) -> None:
        follow(self, self._math_switched)

    async def _math_switched(self, _raw: bool) -> None:
        if self.detail is not None:  # drawn again as the app now shows math, scrolled as it was
            await self._show_detail()

    # -- filters -----------------------------------------------------------------------------

    @on(Input.Changed, "#search")
    def _search_changed(self) -> None:
        # Wait for a pause in typing before asking the database.
        if self._search_timer is not None:
            self._search_timer.stop()  # type: ignore[attr-defined]
        self._search_timer = self.set_timer(0.25, self.reload)

    @on(Input.Submitted, "#search")
    def _search_submitted(self) -> None:
        self.reload()
        self.query_one(DataTable).focus()

    @on(Select.Changed)
    def _filter_changed(self) -> None:
        self.reload()

    # -- actions -----------------------------------------------------------------------------

    def _target_ids(self) -> list[int]:
        if self.marked:
            return sorted(self.marked)
        current = self._highlighted_id()
        return [current] if current is not None else []

    def action_focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_toggle_mark(self) -> None:
        current = self._highlighted_id()
        if current is None:
            return
        self.marked ^= {current}
        table = self.query_one(DataTable)
        table.update_cell(str(current), "mark",
                          Text("●" if current in self.marked else " ", style="bold"))
        table.move_cursor(row=min(table.cursor_row + 1, table.row_count - 1))

    def action_select_all(self) -> None:
        self.select_all()

    @work(exclusive=True, group="history-select", exit_on_error=False)
    async def select_all(self) -> None:
        """Every problem that matches the filters, on every page, not just those read."""
        query, verdict, model, run = self._filters()
        self.marked = set(await self.tutor.history_ids(query=query, verdict=verdict,
                                                       model=model, eval_run_id=run))
        self._fill(self.rows)
        if self.more:
            self.total = len(self.marked)
            self._title()
        self.notify(f"Selected {len(self.marked):,} problem{'s' * (len(self.marked) != 1)}.",
                    timeout=3)

    def action_clear_selection(self) -> None:
        self.marked.clear()
        self._fill(self.rows)

    @on(DataTable.RowSelected)
    def _row_selected(self) -> None:
        self.action_open()

    def action_open(self) -> None:
        current = self._highlighted_id()
        if current is not None:
            self.tot_app.open_problem(current, run=False)

    def action_rerun(self) -> None:
        current = self._highlighted_id()
        if current is None:
            self.notify("No problem highlighted.", severity="warning")
            return
        self.tot_app.open_problem(current, run=True)

    def action_delete(self) -> None:
        from tot_tui.ui.screens.confirm import ConfirmScreen

        ids = self._target_ids()
        if not ids:
            self.notify("No problem highlighted.", severity="warning")
            return
        # The targets named in full: Space selects, and a selection (not the highlighted row)
        # is what goes.
        texts = {r.id: " ".join(r.text.split()) for r in self.rows}
        named = "\n".join(f"  #{i} {safe_text(texts.get(i, ''), 50)}" for i in ids[:8])
        more = f"\n  … and {len(ids) - 8} more" if len(ids) > 8 else ""
        kind = "the selected" if self.marked else "the highlighted"
        what = f"{kind} problem" if len(ids) == 1 else f"the {len(ids)} selected problems"
        their = "its" if len(ids) == 1 else "their"
        highlighted = self._highlighted_id()
        aside = (f"\n(The highlighted #{highlighted} is not selected: it stays.)"
                 if self.marked and highlighted is not None and highlighted not in ids else "")
        question = (f"Delete {what}, with all {their} step versions, attempts and answers?\n"
                    f"{named}{more}{aside}\nThis cannot be undone.")

        def done(yes: bool | None) -> None:
            if yes:
                self.delete_problems(ids)

        self.app.push_screen(ConfirmScreen(question), done)

    @work(exclusive=True, group="history-change", exit_on_error=False)
    async def delete_problems(self, ids: list[int]) -> None:
        deleted = 0
        for problem_id in ids:
            deleted += bool(await self.tutor.delete_problem(problem_id))
        self.marked -= set(ids)
        self.notify(f"Deleted {deleted} problem{'s' * (deleted != 1)}.", timeout=4)
        self.reload()

    def action_export(self) -> None:
        from tot_tui.ui.screens.export import ExportScreen

        if not self.rows and not self.marked:
            self.notify("Nothing to export yet: solve a problem first.", severity="warning")
            return

        def done(choice: tuple[str, bool] | None) -> None:
            if choice is not None:
                fmt, selection = choice
                self.export(fmt, sorted(self.marked) if selection else None)

        self.app.push_screen(ExportScreen(len(self.marked)), done)

    @work(exclusive=True, group="history-change", exit_on_error=False)
    async def export(self, fmt: str, ids: list[int] | None) -> Path:
        folder = self.tutor.config.paths.exports_dir
        path = folder / f"tot-tui-{datetime.now():%Y%m%d-%H%M%S}.{EXTENSIONS[fmt]}"
        await asyncio.to_thread(lambda: folder.mkdir(parents=True, exist_ok=True))
        await self.tutor.export_file(ids, fmt, path)
        count = "everything" if ids is None else f"{len(ids)} problem{'s' * (len(ids) != 1)}"
        self.notify(f"Exported {count} to {show_path(path)}", title="Export written",
                    timeout=10)
        return path
