"""History export: Markdown for people, JSON for programs, CSV (one row per attempt) for sheets."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict
from typing import Any

from tot_tui.domain import ProblemDetail

FORMATS = ("markdown", "json", "csv")
EXTENSIONS = {"markdown": "md", "json": "json", "csv": "csv"}


class ExportError(ValueError):
    pass


def render(details: list[ProblemDetail], fmt: str) -> str:
    fmt = {"md": "markdown"}.get(fmt.lower(), fmt.lower())
    if fmt == "markdown":
        return _markdown(details)
    if fmt == "json":
        return json.dumps([_plain(d) for d in details], indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        return _csv(details)
    raise ExportError(f"Unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}.")


def _plain(detail: ProblemDetail) -> dict[str, Any]:
    return json.loads(json.dumps(asdict(detail), default=str))


def _markdown(details: list[ProblemDetail]) -> str:
    out: list[str] = ["# tot-tui history", ""]
    for d in details:
        p = d.problem
        out += [f"## Problem {p.id} ({p.created:%Y-%m-%d %H:%M})", "", p.text, ""]
        if p.reference:
            out += [f"**Reference answer:** {p.reference}", ""]
        for s in d.step_sets:
            who = f", {s.model}" if s.model else ""
            out += [f"### Steps v{s.version} ({s.origin}{who})", ""]
            out += [f"{i}. {step}" for i, step in enumerate(s.steps, 1)] + [""]
        for a in d.attempts:
            out += [f"### Attempt {a.id}: {a.student_model}, {a.mode}, {a.verdict}"
                    f" ({a.status})", ""]
            if a.answer:
                out += [f"Answer: `{a.answer}` ({a.verdict_reason})", ""]
            out += ["```text", a.output.replace("```", "ʼʼʼ"), "```", ""]
        for h in d.human_answers:
            out += [f"- Human answer `{h.answer}`: {h.verdict} (hints shown: {h.hints_shown})"]
        out.append("")
    return "\n".join(out)


CSV_COLUMNS = ["problem_id", "problem", "reference", "attempt_id", "student_model", "mode",
               "status", "step_set_version", "answer", "verdict", "verdict_reason",
               "output_tokens", "total_seconds", "created"]


def _cell(value: object) -> object:
    """A spreadsheet reads a cell starting with = + - @ as a formula; model text must not
    become one, so such text gets a leading apostrophe (numbers stay numbers)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _csv(details: list[ProblemDetail]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_COLUMNS)
    for d in details:
        versions = {s.id: s.version for s in d.step_sets}
        for a in d.attempts:
            seconds = a.usage.total_ns / 1e9 if a.usage.total_ns else ""
            writer.writerow([_cell(v) for v in (
                d.problem.id, d.problem.text, d.problem.reference or "", a.id, a.student_model,
                a.mode, a.status, versions.get(a.step_set_id or -1, ""), a.answer or "",
                a.verdict, a.verdict_reason, a.usage.output_tokens or "", seconds,
                a.created.isoformat())])
    return buf.getvalue()
