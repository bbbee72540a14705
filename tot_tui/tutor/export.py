"""History export: Markdown for people, JSON for programs, CSV (one row per attempt, or per
problem without one) for sheets.

Written as a stream of pieces, one per problem, so an export of a whole history holds one
problem (and the store's batch of them) in memory, never the whole file."""

from __future__ import annotations

import asyncio
import csv
import html
import io
import json
import re
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from tot_tui.domain import ProblemDetail
from tot_tui.textsafe import safe_text

R = TypeVar("R")

FORMATS = ("markdown", "json", "csv")
EXTENSIONS = {"markdown": "md", "json": "json", "csv": "csv"}


class ExportError(ValueError):
    pass


def normal_format(fmt: str) -> str:
    fmt = {"md": "markdown"}.get(fmt.lower(), fmt.lower())
    if fmt not in FORMATS:
        raise ExportError(f"Unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}.")
    return fmt


def render(details: Iterable[ProblemDetail], fmt: str) -> str:
    return "".join(pieces(details, fmt))


def pieces(details: Iterable[ProblemDetail], fmt: str) -> Iterator[str]:
    """The export of `details` in `fmt`, piece by piece (joined, they are the whole file)."""
    fmt = normal_format(fmt)
    if fmt == "markdown":
        yield "# tot-tui history\n"
        for d in details:
            yield "\n" + _markdown(d) + "\n"
    elif fmt == "json":  # exactly json.dumps(list, indent=2), one element at a time
        first = True
        for d in details:
            item = json.dumps(_plain(d), indent=2, ensure_ascii=False).replace("\n", "\n  ")
            yield ("[\n  " if first else ",\n  ") + item
            first = False
        yield "[]\n" if first else "\n]\n"
    else:
        yield _csv_rows([CSV_COLUMNS])
        for d in details:
            yield _csv_rows(_csv(d))


def _plain(detail: ProblemDetail) -> dict[str, Any]:
    plain: dict[str, Any] = json.loads(json.dumps(asdict(detail), default=_json_value))
    return plain


def _json_value(value: object) -> str:
    # ISO 8601, as the CSV writes them.
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _text(value: str) -> str:
    """Model or user text for Markdown prose: control characters shown escaped, HTML shown
    as text (a viewer would otherwise render a model's `<script>` or `<img>`)."""
    return html.escape(safe_text(value), quote=False)


def _code(value: str) -> str:
    """Text for an inline code span: no backtick can end it early."""
    return safe_text(value).replace("`", "ʼ")


def _markdown(d: ProblemDetail) -> str:
    p = d.problem
    out = [f"## Problem {p.id} ({p.created:%Y-%m-%d %H:%M})", "", _text(p.text), ""]
    if p.reference:
        out += [f"**Reference answer:** {_text(p.reference)}", ""]
    for s in d.step_sets:
        who = f", {_text(s.model)}" if s.model else ""
        out += [f"### Steps v{s.version} ({s.origin}{who})", ""]
        out += [f"{i}. {_text(step)}" for i, step in enumerate(s.steps, 1)] + [""]
    for a in d.attempts:
        out += [f"### Attempt {a.id}: {_text(a.student_model)}, {a.mode}, {a.verdict}"
                f" ({a.status})", ""]
        if a.answer:
            out += [f"Answer: `{_code(a.answer)}` ({a.verdict_reason})", ""]
        # A fenced block shows HTML as text already; its fence must not end early.
        out += ["```text", safe_text(a.output).replace("```", "ʼʼʼ"), "```", ""]
    for h in d.human_answers:
        out += [f"- Human answer `{_code(h.answer)}`: {h.verdict} "
                f"(hints shown: {h.hints_shown})"]
    return "\n".join(out)


CSV_COLUMNS = ["problem_id", "problem", "reference", "attempt_id", "student_model", "mode",
               "status", "step_set_version", "answer", "verdict", "verdict_reason",
               "output_tokens", "total_seconds", "created"]


_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")


def _cell(value: object) -> object:
    """A spreadsheet reads a cell starting with = + - @ as a formula; model text must not
    become one, so such text gets a leading apostrophe. A plain number such as -3 is not a
    formula and stays as it is."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r") \
            and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def _csv_rows(rows: Iterable[list[Any]]) -> str:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue()


def _csv(d: ProblemDetail) -> list[list[object]]:
    problem = (d.problem.id, d.problem.text, d.problem.reference or "")
    rows: list[list[object]] = []
    if not d.attempts:  # a problem with steps (or nothing yet) but no attempt: one row
        rows.append([_cell(v) for v in problem] + [""] * (len(CSV_COLUMNS) - 4)
                    + [d.problem.created.isoformat()])
    versions = {s.id: s.version for s in d.step_sets}
    for a in d.attempts:
        seconds = a.usage.total_ns / 1e9 if a.usage.total_ns else ""
        rows.append([_cell(v) for v in (
            *problem, a.id, a.student_model, a.mode, a.status,
            versions.get(a.step_set_id or -1, ""), a.answer or "", a.verdict,
            a.verdict_reason or a.error or "", a.usage.output_tokens or "", seconds,
            a.created.isoformat())])
    return rows


async def write_atomically(path: Path, produce: Callable[[Callable[[str], object]],
                                                        Awaitable[R]],
                           keep: Callable[[R], bool] = lambda _: True) -> R:
    """`produce(write)` into a file beside `path` that replaces it when complete and when
    `keep(result)`: a failed (or discarded) export leaves no half-written file and an old one
    untouched. The file is opened, closed and renamed in worker threads; `write` may be called
    from one. Every export (Markdown, JSON, CSV, fine-tuning data) writes through this."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        out = await asyncio.to_thread(open, partial, "w", encoding="utf-8")
        try:
            result = await produce(out.write)
        finally:
            await asyncio.to_thread(out.close)
        if keep(result):
            await asyncio.to_thread(partial.replace, path)
        return result
    finally:
        partial.unlink(missing_ok=True)
