"""The history's list: pages of problems with their figures, filters, search, counts.

Plain SQL on a `sqlite3` connection, so that `tot-tui history` can list a history without
importing SQLAlchemy (most of its start-up); `HistoryStore` runs the same statements on its
own connections. The statements read no reply text.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tot_tui.domain import AttemptStatus, ProblemSummary, Verdict
from tot_tui.store import migrations
from tot_tui.store.owner import pid_alive, process_token, token_alive

Params = list[Any]

# Each listed problem's figures, computed for the rows of the page only (correlated
# subqueries over the per-problem indexes). Model names are joined with the unit separator,
# which no model name holds.
_SEP = "\x1f"
_FIGURES = """
    (SELECT group_concat(m, char(31)) FROM (SELECT DISTINCT model AS m FROM step_set
        WHERE problem_id = problem.id AND model IS NOT NULL)),
    (SELECT group_concat(m, char(31)) FROM (SELECT DISTINCT student_model AS m FROM attempt
        WHERE problem_id = problem.id)),
    (SELECT count(*) FROM attempt WHERE problem_id = problem.id),
    (SELECT count(*) FROM attempt WHERE problem_id = problem.id AND verdict = 'correct'),
    (SELECT verdict FROM attempt WHERE problem_id = problem.id AND status = 'finished'
        ORDER BY created DESC, id DESC LIMIT 1)"""
_NEWEST = "ORDER BY problem.created DESC, problem.id DESC"

# A word (a LIKE pattern) anywhere in a problem: its text, its reference, a step version, a
# settled reply.
_ANYWHERE = (
    "(problem.text LIKE ? ESCAPE '\\' OR problem.reference LIKE ? ESCAPE '\\' "
    "OR EXISTS (SELECT 1 FROM step_set WHERE step_set.problem_id = problem.id "
    "AND step_set.steps_json LIKE ? ESCAPE '\\') "
    "OR EXISTS (SELECT 1 FROM attempt WHERE attempt.problem_id = problem.id "
    "AND attempt.status != 'running' AND attempt.output LIKE ? ESCAPE '\\'))")


def where(conn: sqlite3.Connection, *, query: str = "", verdict: Verdict | None = None,
          model: str | None = None, eval_run_id: int | None = None,
          ) -> tuple[str, Params] | None:
    """The WHERE clause on `problem` for these filters (with its parameters); None when
    nothing can match."""
    clauses: list[str] = []
    params: Params = []
    if query.strip():
        search = _search(conn, query)
        if search is None:
            return None
        clauses.append(search[0])
        params += search[1]
    # EXISTS, probed per listed row through an index, stops with the page; a run's few
    # problems are quicker found from the run's own index.
    if model:
        clauses.append("(EXISTS (SELECT 1 FROM attempt WHERE attempt.problem_id = problem.id "
                       "AND attempt.student_model = ?) OR EXISTS (SELECT 1 FROM step_set "
                       "WHERE step_set.problem_id = problem.id AND step_set.model = ?))")
        params += [model, model]
    if eval_run_id is not None:
        clauses.append("problem.id IN (SELECT problem_id FROM attempt WHERE eval_run_id = ?)")
        params.append(eval_run_id)
    if verdict:
        clauses.append("EXISTS (SELECT 1 FROM attempt WHERE attempt.problem_id = problem.id "
                       "AND attempt.verdict = ?)")
        params.append(str(verdict))
    return (" AND ".join(clauses) or "1"), params


def _search(conn: sqlite3.Connection, query: str) -> tuple[str, Params] | None:
    """The problems in which every word of `query` occurs (as a prefix) somewhere: in the
    problem, its reference, any step version or any settled reply. One full-text query for
    the indexed problems; the few queued since the index was last brought up to date are read
    as text instead (a substring there). None when no word can match."""
    words = [w for w in query.split() if any(ch.isalnum() for ch in w)]
    if not words:  # the index holds no punctuation: nothing to look for
        return None
    anywhere = [(_ANYWHERE, [like(w)] * 4) for w in words]
    # Chinese, Japanese, Thai…: no spaces between words, so the index holds whole phrases as
    # one token; those words are looked for as substrings.
    indexed = [w for w in words if not _unspaced_script(w)]
    parts = [anywhere[n] for n, w in enumerate(words) if _unspaced_script(w)]
    if indexed:
        # Each word a quoted prefix term, so user punctuation is never FTS syntax.
        match = " ".join('"' + w.replace('"', '""') + '"*' for w in indexed)
        try:  # a term SQLite still rejects: read the text of every problem instead
            conn.execute("SELECT 1 FROM search_fts WHERE search_fts MATCH ? LIMIT 1",
                         (match,)).fetchall()
        except sqlite3.Error:
            return _all_of(anywhere)
        # `+problem.id`: SQLite walks the problems newest first (the list's order) and looks
        # each up in the matches, stopping with the page.
        parts.insert(0, ("+problem.id IN (SELECT rowid FROM search_fts "
                         "WHERE search_fts MATCH ?)", [match]))
    indexed_sql, indexed_params = _all_of(
        [*parts, ("problem.id NOT IN (SELECT problem_id FROM search_pending)", [])])
    queued_sql, queued_params = _all_of(
        [("problem.id IN (SELECT problem_id FROM search_pending)", []), *anywhere])
    return f"({indexed_sql} OR {queued_sql})", indexed_params + queued_params


def _all_of(parts: Sequence[tuple[str, Params]]) -> tuple[str, Params]:
    return "(" + " AND ".join(sql for sql, _ in parts) + ")", [p for _, ps in parts for p in ps]


def page(conn: sqlite3.Connection, *, limit: int, after: tuple[datetime, int] | None = None,
         **filters: Any) -> list[ProblemSummary]:
    """Newest first, one page of `limit` rows: those older than `after` (the last row's
    `created` and `id`) when given."""
    found = where(conn, **filters)
    if found is None:
        return []
    clause, params = found
    if after is not None:
        clause += " AND (problem.created < ? OR (problem.created = ? AND problem.id < ?))"
        params = [*params, timestamp(after[0]), timestamp(after[0]), after[1]]
    # The page's ids first, then their figures: SQLite would otherwise compute the figures of
    # every match before sorting them and keeping a page.
    rows = conn.execute(
        f"SELECT problem.id, problem.text, problem.reference, problem.created, {_FIGURES} "
        f"FROM problem WHERE problem.id IN (SELECT problem.id FROM problem WHERE {clause} "
        f"{_NEWEST} LIMIT ?) {_NEWEST}", (*params, limit)).fetchall()
    return [_summary(row) for row in rows]


def count(conn: sqlite3.Connection, **filters: Any) -> int:
    """How many problems `page` would list, over all its pages."""
    found = where(conn, **filters)
    if found is None:
        return 0
    return int(conn.execute(f"SELECT count(*) FROM problem WHERE {found[0]}",
                            found[1]).fetchone()[0])


def ids(conn: sqlite3.Connection, **filters: Any) -> list[int]:
    """Every problem `page` would list, over all its pages, newest first."""
    found = where(conn, **filters)
    if found is None:
        return []
    return [i for (i,) in conn.execute(f"SELECT problem.id FROM problem WHERE {found[0]} "
                                       f"{_NEWEST}", found[1])]


def model_names(conn: sqlite3.Connection) -> list[str]:
    """Every teacher and student model the history mentions, sorted."""
    rows = conn.execute("SELECT DISTINCT student_model FROM attempt UNION "
                        "SELECT DISTINCT model FROM step_set WHERE model IS NOT NULL")
    return sorted({name for (name,) in rows if name})


def recover_dead_attempts(conn: sqlite3.Connection) -> None:
    """Attempts left `running` by a process that no longer exists become `interrupted`."""
    # `status = 'running'` written out: SQLite uses the partial index only for the literal.
    running = conn.execute(
        "SELECT id, owner, pid FROM attempt WHERE status = 'running'").fetchall()
    dead = []
    for attempt_id, owner, pid in running:
        if owner is not None:
            gone = owner != process_token() and not token_alive(owner)
        else:  # an older row: its pid is all there is
            gone = pid is None or (pid != os.getpid() and not pid_alive(pid))
        if gone:
            dead.append(attempt_id)
    for attempt_id in dead:
        conn.execute("UPDATE attempt SET status = ?, error = COALESCE(error, ?) "
                     "WHERE id = ? AND status = 'running'",
                     (AttemptStatus.INTERRUPTED.value,
                      "The process streaming this attempt stopped.", attempt_id))
    if dead:
        conn.commit()


def open_file(path: Path) -> sqlite3.Connection | None:
    """A connection for listing `path`, upgraded and with dead attempts settled, as
    `HistoryStore` opens it; None when the file is missing or cannot be written (the store
    then opens it and says what is wrong)."""
    if not (path.is_file() and os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)):
        return None
    try:
        conn = sqlite3.connect(path, isolation_level=None, timeout=30)
        prepare(conn)
    except sqlite3.Error:
        return None
    return conn


def prepare(conn: sqlite3.Connection) -> None:
    """What every open of a writable history does first, on a connection in autocommit mode:
    WAL, the schema upgraded, dead attempts settled. The connection is left with implicit
    transactions."""
    conn.execute("PRAGMA journal_mode=WAL")
    migrations.upgrade(conn)
    conn.isolation_level = "DEFERRED"  # implicit transactions, committed by the recovery
    recover_dead_attempts(conn)


def like(word: str) -> str:
    """A LIKE pattern for `word` anywhere in the text (its wildcards taken literally)."""
    return "%" + re.sub(r"([\\%_])", r"\\\1", word) + "%"


def _unspaced_script(word: str) -> bool:
    """Does the word hold letters of a script written without spaces (CJK, Thai, …)?"""
    return any("\u2e80" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af"
               or "\u0e00" <= ch <= "\u0eff" or "\uf900" <= ch <= "\ufaff"
               or "\u3040" <= ch <= "\u30ff" for ch in word)


def timestamp(moment: datetime) -> str:
    """A UTC time as the ORM stores it in SQLite."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def parse_timestamp(stored: str) -> datetime:
    return datetime.fromisoformat(stored).replace(tzinfo=UTC)


def _summary(row: Sequence[Any]) -> ProblemSummary:
    (problem_id, text_, reference, created, teachers, students, attempts, correct, last) = row
    return ProblemSummary(
        id=problem_id, text=text_, reference=reference, created=parse_timestamp(created),
        teacher_models=sorted(set(teachers.split(_SEP))) if teachers else [],
        student_models=sorted(set(students.split(_SEP))) if students else [],
        attempts=attempts, correct=correct, last_verdict=Verdict(last) if last else None)
