"""Queries for batch evaluation runs (`tot-tui eval`), on top of the history store.

Functions take a `HistoryStore` and use its engine, so the evaluator and the TUI's history can
share them without touching the core store. Synchronous: call them from a worker thread.
The `eval_item` table (schema step EVAL_ITEM) maps each dataset item of a run to its problem.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text

from tot_tui.domain import EvalRunSummary
from tot_tui.store.history import HistoryStore
from tot_tui.store.owner import describe, process_token, token_alive


@dataclass(slots=True)
class EvalItemRow:
    run_id: int
    item_index: int  # record index in the dataset file (0-based)
    problem_id: int
    step_set_id: int | None = None
    teacher_reused: bool | None = None
    teacher_ms: int | None = None
    teacher_chunks: int | None = None
    teacher_error: str | None = None


def _dt(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def link_item(store: HistoryStore, run_id: int, item_index: int, problem_id: int) -> None:
    """Record that dataset item `item_index` of the run is this problem (first link wins)."""
    with store.engine.begin() as conn:
        conn.execute(text("INSERT OR IGNORE INTO eval_item (run_id, item_index, problem_id) "
                          "VALUES (:r, :i, :p)"), {"r": run_id, "i": item_index, "p": problem_id})


def set_item_teacher(store: HistoryStore, run_id: int, item_index: int, *,
                     step_set_id: int | None, reused: bool | None, ms: int | None,
                     chunks: int | None, error: str | None = None) -> None:
    with store.engine.begin() as conn:
        conn.execute(text(
            "UPDATE eval_item SET step_set_id = :s, teacher_reused = :u, teacher_ms = :m, "
            "teacher_chunks = :c, teacher_error = :e WHERE run_id = :r AND item_index = :i"),
            {"s": step_set_id, "u": None if reused is None else int(reused), "m": ms,
             "c": chunks, "e": error, "r": run_id, "i": item_index})


def run_items(store: HistoryStore, run_id: int) -> dict[int, EvalItemRow]:
    """The items of a run that were started, by dataset index."""
    with store.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT run_id, item_index, problem_id, step_set_id, teacher_reused, teacher_ms, "
            "teacher_chunks, teacher_error FROM eval_item WHERE run_id = :r ORDER BY item_index"),
            {"r": run_id}).all()
    return {r[1]: EvalItemRow(r[0], r[1], r[2], r[3], None if r[4] is None else bool(r[4]),
                              r[5], r[6], r[7]) for r in rows}


def run_times(store: HistoryStore, run_id: int) -> tuple[datetime | None, datetime | None]:
    """When the run was created and when it last stopped (None while running)."""
    with store.engine.connect() as conn:
        row = conn.execute(text("SELECT created, finished FROM eval_run WHERE id = :r"),
                           {"r": run_id}).first()
    return (_dt(row[0]), _dt(row[1])) if row else (None, None)


class RunInUse(Exception):
    """Another live process owns the run; the message names it."""


def claim(store: HistoryStore, run_id: int, *, take_over: bool = False) -> None:
    """Make this process the run's one owner, or raise RunInUse if a live one has it. Taken
    under the database's write lock, so two resumes started together cannot both win. The
    run's attempts left `running` by anyone else are then `interrupted` (nobody else can be
    streaming them)."""
    me = process_token()
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE eval_run SET id = id WHERE 0")  # the write lock first
        row = conn.execute(text("SELECT owner FROM eval_run WHERE id = :r"), {"r": run_id}).first()
        owner = row[0] if row else None
        if owner and owner != me and not take_over and token_alive(owner):
            raise RunInUse(f"Eval run {run_id} is in use by {describe(owner)}; wait for it "
                           "or stop it (if that process is gone, add --take-over).")
        conn.execute(text("UPDATE eval_run SET owner = :me WHERE id = :r"),
                     {"me": me, "r": run_id})
        conn.execute(text(
            "UPDATE attempt SET status = 'interrupted', error = COALESCE(error, "
            "'The process streaming this attempt stopped.') WHERE eval_run_id = :r AND "
            "status = 'running' AND (owner IS NULL OR owner != :me)"), {"r": run_id, "me": me})


def release(store: HistoryStore, run_id: int) -> None:
    """The run is no longer this process's (it finished, stopped or failed)."""
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE eval_run SET owner = NULL WHERE id = :r AND owner = :me"),
                     {"r": run_id, "me": process_token()})


def list_runs(store: HistoryStore, limit: int = 100) -> list[EvalRunSummary]:
    """Newest first, with finished-attempt and correct counts."""
    with store.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT r.id, r.dataset, r.status, r.created, r.finished, r.config_json, "
            "  (SELECT COUNT(*) FROM attempt a WHERE a.eval_run_id = r.id "
            "     AND a.status = 'finished'), "
            "  (SELECT COUNT(*) FROM attempt a WHERE a.eval_run_id = r.id "
            "     AND a.status = 'finished' AND a.verdict = 'correct') "
            "FROM eval_run r ORDER BY r.id DESC LIMIT :n"), {"n": limit}).all()
    out = []
    for r in rows:
        try:
            config = json.loads(r[5] or "{}")
        except ValueError:
            config = {}
        out.append(EvalRunSummary(r[0], r[1], r[2], _dt(r[3]), _dt(r[4]), config,
                                  len(config.get("indices", [])), r[6], r[7]))
    return out


def run_problem_ids(store: HistoryStore, run_id: int) -> list[int]:
    """The problems of a run in dataset order (to open its items in the history)."""
    return [row.problem_id for row in run_items(store, run_id).values()]
