"""The history database: problems, step-set versions, attempts, human answers, eval runs.

Synchronous and thread-safe (one SQLAlchemy engine, a session per call); the tutoring core calls
it from a worker thread. Every write commits at once, in WAL mode, so a killed process loses
nothing already written and leaves a readable file.
"""

from __future__ import annotations

import functools
import json
import os
import re
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import asdict, fields
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import and_, event, exists, func, literal_column, or_, text
from sqlalchemy import select as sql_select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import QueuePool
from sqlalchemy.sql.expression import ColumnClause
from sqlmodel import Session, col, create_engine, delete, select

from tot_tui.domain import (
    AttemptStatus,
    AttemptView,
    HumanAnswerView,
    Mode,
    ProblemDetail,
    ProblemSummary,
    ProblemView,
    StepOrigin,
    StepSetView,
    Usage,
    Verdict,
)
from tot_tui.store import migrations
from tot_tui.store.migrations import ProblemGone, StoreError
from tot_tui.store.owner import pid_alive, process_token, token_alive
from tot_tui.store.tables import Attempt, EvalRun, HumanAnswer, Problem, StepSet, utcnow


class HistoryStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.read_only = False
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            raw = sqlite3.connect(path, isolation_level=None, timeout=30)
            try:
                raw.execute("PRAGMA journal_mode=WAL")
                migrations.upgrade(raw)
            finally:
                raw.close()
        except (sqlite3.OperationalError, OSError) as exc:
            if not (path.is_file() and _is_read_only_problem(exc)):
                raise _open_error(path, exc) from exc
            self.read_only = True  # browsing and export still work
            _check_read_only_schema(path)
        except sqlite3.DatabaseError as exc:
            raise _open_error(path, exc) from exc
        # Connections are made here, from the path itself: an SQLAlchemy URL would read a `?`
        # or a `%41` in the data directory's name as a query string or an escape.
        connect = functools.partial(_connect, path, self.read_only)
        # The pool a file database gets from its URL (an empty URL means one in memory,
        # whose single shared connection threads must not use).
        self.engine = create_engine("sqlite://", creator=connect, poolclass=QueuePool)
        event.listen(self.engine, "connect",
                     _on_connect_read_only if self.read_only else _on_connect)
        if not self.read_only:
            self._recover_dead_attempts()

    def close(self) -> None:
        self.engine.dispose()

    def explain(self, exc: BaseException) -> StoreError | None:
        """A database error as one sentence naming the file and the fix (never SQL), or
        None for anything that is not the database's."""
        cause = getattr(exc, "orig", exc)  # SQLAlchemy wraps the sqlite3 error
        if not isinstance(cause, sqlite3.Error):
            return None
        text_ = str(cause).splitlines()[0] if str(cause) else type(cause).__name__
        if self.read_only or "readonly" in text_.lower():
            return StoreError(f"The history database {self.path} is read-only: browsing and "
                              "exporting work, saving does not. Make it writable, or choose "
                              "another --data-dir (TOT_TUI_DATA_DIR).")
        if "locked" in text_.lower() or "busy" in text_.lower():
            return StoreError(f"The history database {self.path} is busy (another tot-tui "
                              "is writing to it); try again in a moment.")
        return StoreError(f"The history database {self.path} failed ({text_}). If it is "
                          "damaged, move it aside; tot-tui starts a new one.")

    # -- problems ----------------------------------------------------------------------------

    def add_problem(self, text_: str, reference: str | None = None,
                    reference_source: str | None = None, *,
                    replace_reference: bool = False) -> ProblemView:
        """The problem with this exact text, created if new. An existing problem keeps its
        reference unless `replace_reference` (then the view says what it replaced)."""
        with Session(self.engine) as s:
            # The write lock first (a no-op write takes it), then the look-up: two writers
            # adding one new text at once make one row, not two.
            s.exec(text("UPDATE problem SET id = id WHERE 0"))  # type: ignore[call-overload]
            row = s.exec(select(Problem).where(Problem.text == text_)
                         .order_by(col(Problem.id).desc())).first()
            replaced = None
            if row is None:
                row = Problem(text=text_, reference=reference, reference_source=reference_source)
                s.add(row)
            elif reference is not None and reference != row.reference and (
                    replace_reference or row.reference is None):
                replaced = row.reference
                row.reference, row.reference_source = reference, reference_source
                s.add(row)
            s.commit()
            s.refresh(row)
            view = _problem(row)
            view.replaced_reference = replaced
            return view

    def regrade_attempt(self, attempt_id: int, *, reference: str, verdict: Verdict,
                        verdict_reason: str, reference_norm: str, answer_norm: str) -> None:
        """A finished attempt graded again (against `reference`)."""
        with self.engine.begin() as conn:
            conn.exec_driver_sql(
                "UPDATE attempt SET reference = ?, verdict = ?, verdict_reason = ?, "
                "reference_norm = ?, answer_norm = ? WHERE id = ? AND status = 'finished'",
                (reference, str(verdict), verdict_reason, reference_norm, answer_norm,
                 attempt_id))

    def delete_problem(self, problem_id: int) -> bool:
        with Session(self.engine) as s:
            for table in (Attempt, HumanAnswer, StepSet):
                s.exec(delete(table).where(table.problem_id == problem_id))  # type: ignore[arg-type]
            n = s.exec(delete(Problem).where(Problem.id == problem_id))  # type: ignore[arg-type]
            s.commit()
            return bool(n.rowcount)

    # -- step sets ---------------------------------------------------------------------------

    def add_step_set(self, problem_id: int, steps: list[str], origin: StepOrigin, *,
                     parent_id: int | None = None, model: str | None = None,
                     prompt_name: str | None = None, prompt_hash: str | None = None,
                     raw_output: str | None = None, origins: list[int | None] | None = None,
                     base_id: int | None = None) -> StepSetView:
        with Session(self.engine) as s:
            # Take the write lock before reading the latest version (a no-op write does), so
            # two writers (the app and an eval run) cannot both claim the same number.
            s.exec(text("UPDATE step_set SET version = version WHERE 0"))  # type: ignore[call-overload]
            steps_json = json.dumps(steps, ensure_ascii=False)
            if origin is not StepOrigin.TEACHER:
                # Saving steps a version already holds (say, edits undone back to v2) is that
                # version again, not a duplicate. Teacher output is always recorded.
                same = s.exec(select(StepSet).where(
                    StepSet.problem_id == problem_id, StepSet.steps_json == steps_json)
                    .order_by(col(StepSet.version).desc())).first()
                if same is not None:
                    view = _step_set(same)
                    s.rollback()  # the lock's no-op write
                    return view
            latest = s.exec(select(func.max(StepSet.version))
                            .where(StepSet.problem_id == problem_id)).one()
            row = StepSet(problem_id=problem_id, version=(latest or 0) + 1,
                          steps_json=steps_json, origin=str(origin),
                          parent_id=parent_id, model=model, prompt_name=prompt_name,
                          prompt_hash=prompt_hash, raw_output=raw_output,
                          origins_json=None if origins is None else json.dumps(origins),
                          base_id=base_id if origins is not None else None)
            s.add(row)
            s.commit()
            s.refresh(row)
            return _step_set(row)

    def find_teacher_steps(self, problem_id: int, model: str,
                           prompt_hash: str) -> StepSetView | None:
        """The latest teacher step set made by this model with this prompt text, if any."""
        with Session(self.engine) as s:
            row = s.exec(select(StepSet).where(
                StepSet.problem_id == problem_id, StepSet.origin == StepOrigin.TEACHER.value,
                StepSet.model == model, StepSet.prompt_hash == prompt_hash)
                .order_by(col(StepSet.id).desc())).first()
            return _step_set(row) if row else None

    # -- attempts ----------------------------------------------------------------------------

    # Attempts are written around every answer: these use plain SQL statements on the
    # connection (no ORM unit of work), a few times cheaper.

    def start_attempt(self, *, problem_id: int, step_set_id: int | None, student_model: str,
                      host: str, mode: Mode, prompt_name: str, prompt_hash: str,
                      eval_run_id: int | None = None, output: str = "",
                      created: datetime | None = None, reference: str | None = None) -> int:
        """A `running` attempt; checkpoint it while it streams, then finish it."""
        values = {"problem_id": problem_id, "step_set_id": step_set_id,
                  "eval_run_id": eval_run_id, "student_model": student_model, "host": host,
                  "mode": str(mode), "status": AttemptStatus.RUNNING.value, "output": output,
                  "verdict": Verdict.UNKNOWN.value, "verdict_reason": "", "reference_norm": "",
                  "answer_norm": "", "prompt_name": prompt_name, "prompt_hash": prompt_hash,
                  "pid": os.getpid(), "owner": process_token(), "reference": reference,
                  "created": _timestamp(created or utcnow())}
        with self.engine.begin() as conn:
            return self._insert_attempt(conn, values)

    def add_attempt(self, *, problem_id: int, step_set_id: int | None, student_model: str,
                    host: str, mode: Mode, prompt_name: str, prompt_hash: str,
                    eval_run_id: int | None = None, created: datetime | None = None,
                    status: AttemptStatus, output: str, answer: str | None = None,
                    verdict: Verdict = Verdict.UNKNOWN, verdict_reason: str = "",
                    reference_norm: str = "", answer_norm: str = "",
                    usage: Usage | None = None, error: str | None = None,
                    reference: str | None = None) -> AttemptView:
        """A settled attempt in one statement: an answer that ended before its first
        checkpoint needs no `running` row first."""
        created = created or utcnow()
        usage = usage or Usage()
        values = {"problem_id": problem_id, "step_set_id": step_set_id,
                  "eval_run_id": eval_run_id, "student_model": student_model, "host": host,
                  "mode": str(mode), "status": str(status), "output": output, "answer": answer,
                  "verdict": str(verdict), "verdict_reason": verdict_reason,
                  "reference_norm": reference_norm, "answer_norm": answer_norm,
                  "prompt_name": prompt_name, "prompt_hash": prompt_hash, "error": error,
                  "pid": os.getpid(), "owner": process_token(), "created": _timestamp(created),
                  "reference": reference, "finished": _timestamp(utcnow()), **asdict(usage)}
        with self.engine.begin() as conn:
            attempt_id = self._insert_attempt(conn, values)
        return AttemptView(attempt_id, problem_id, step_set_id, student_model, Mode(mode),
                           AttemptStatus(status), output, answer, Verdict(verdict),
                           verdict_reason, reference_norm, answer_norm, usage, error,
                           prompt_name, prompt_hash, created, eval_run_id, reference)

    @staticmethod
    def _insert_attempt(conn: Any, values: dict[str, Any]) -> int:
        try:
            cursor = conn.exec_driver_sql(
                f"INSERT INTO attempt ({', '.join(values)}) "
                f"VALUES ({', '.join('?' * len(values))})", tuple(values.values()))
        except IntegrityError as exc:  # the problem is gone (deleted while it was solved)
            raise ProblemGone(f"Problem #{values['problem_id']} was deleted while it was "
                              "being solved; its reply was not kept.") from exc
        return int(cursor.lastrowid)

    def checkpoint_attempt(self, attempt_id: int, output: str) -> None:
        with self.engine.begin() as conn:
            # Only while running: a late checkpoint must not shorten a settled attempt's text.
            conn.exec_driver_sql(
                "UPDATE attempt SET output = ? WHERE id = ? AND status = 'running'",
                (output, attempt_id))

    def finish_attempt(self, attempt_id: int, *, status: AttemptStatus, output: str,
                       answer: str | None = None, verdict: Verdict = Verdict.UNKNOWN,
                       verdict_reason: str = "", reference_norm: str = "", answer_norm: str = "",
                       usage: Usage | None = None, error: str | None = None) -> AttemptView:
        values: dict[str, Any] = {
            "status": str(status), "output": output, "answer": answer, "verdict": str(verdict),
            "verdict_reason": verdict_reason, "reference_norm": reference_norm,
            "answer_norm": answer_norm, "error": error, "finished": _timestamp(utcnow())}
        if usage is not None:
            values.update(asdict(usage))  # the attempt's columns carry Usage's field names
        assignments = ", ".join(f"{name} = ?" for name in values)
        with self.engine.begin() as conn:
            conn.exec_driver_sql(f"UPDATE attempt SET {assignments} WHERE id = ?",
                                 (*values.values(), attempt_id))
            row = conn.exec_driver_sql(
                "SELECT problem_id, step_set_id, student_model, mode, prompt_name, prompt_hash, "
                f"created, eval_run_id, reference, {', '.join(_USAGE_FIELDS)} FROM attempt "
                "WHERE id = ?",
                (attempt_id,)).first()
        if row is None:  # its problem was deleted meanwhile (the attempt went with it)
            raise ProblemGone("The problem was deleted while it was being solved; its reply "
                              "was not kept.")
        (problem_id, step_set_id, student_model, mode, prompt_name, prompt_hash, created,
         eval_run_id, reference, *stored_usage) = row
        return AttemptView(attempt_id, problem_id, step_set_id, student_model, Mode(mode),
                           AttemptStatus(status), output, answer, Verdict(verdict),
                           verdict_reason, reference_norm, answer_norm, Usage(*stored_usage),
                           error, prompt_name, prompt_hash, _parse_timestamp(created),
                           eval_run_id, reference)

    def attempts_for_run(self, eval_run_id: int) -> list[AttemptView]:
        with Session(self.engine) as s:
            rows = s.exec(select(Attempt).where(Attempt.eval_run_id == eval_run_id)
                          .order_by(col(Attempt.id))).all()
            return [_attempt(r) for r in rows]

    def _recover_dead_attempts(self) -> None:
        """Attempts left `running` by a process that no longer exists become `interrupted`."""
        # `status = 'running'` written out: SQLite uses the partial index only for the literal.
        with Session(self.engine) as s:
            rows = s.exec(select(Attempt).where(
                literal_column("attempt.status = 'running'"))).all()
            for row in rows:
                if row.owner is not None:
                    dead = row.owner != process_token() and not token_alive(row.owner)
                else:  # an older row: its pid is all there is
                    dead = row.pid is None or (row.pid != os.getpid() and not pid_alive(row.pid))
                if dead:
                    row.status = AttemptStatus.INTERRUPTED.value
                    row.error = row.error or "The process streaming this attempt stopped."
                    s.add(row)
            s.commit()

    # -- human answers -----------------------------------------------------------------------

    def add_human_answer(self, problem_id: int, answer: str, verdict: Verdict, reason: str,
                         hints_shown: int) -> HumanAnswerView:
        with Session(self.engine) as s:
            row = HumanAnswer(problem_id=problem_id, answer=answer, verdict=str(verdict),
                              verdict_reason=reason, hints_shown=hints_shown)
            s.add(row)
            s.commit()
            s.refresh(row)
            return _human(row)

    # -- eval runs ---------------------------------------------------------------------------

    def create_eval_run(self, dataset: str, config: dict[str, Any]) -> int:
        with Session(self.engine) as s:
            row = EvalRun(dataset=dataset, config_json=json.dumps(config, sort_keys=True))
            s.add(row)
            s.commit()
            assert row.id is not None
            return row.id

    def get_eval_run(self, run_id: int) -> tuple[str, dict[str, Any], str] | None:
        with Session(self.engine) as s:
            row = s.get(EvalRun, run_id)
            return (row.dataset, json.loads(row.config_json), row.status) if row else None

    def set_eval_run_status(self, run_id: int, status: str) -> None:
        with Session(self.engine) as s:
            row = s.get(EvalRun, run_id)
            if row is not None:
                row.status = status
                row.finished = utcnow() if status != "running" else None
                s.add(row)
                s.commit()

    # -- browsing ----------------------------------------------------------------------------

    def list_problems(self, *, query: str = "", verdict: Verdict | None = None,
                      model: str | None = None, eval_run_id: int | None = None,
                      limit: int = 200, after: tuple[datetime, int] | None = None,
                      ) -> list[ProblemSummary]:
        """Newest first, one page of `limit` rows: those older than `after` (the last row's
        `created` and `id`) when given. `query` is full-text (every word must match, prefixes
        allowed). One statement: each row's figures come from subqueries run for the rows of
        the page only, and no reply text is read."""
        with Session(self.engine) as s:
            where = self._filters(s, query, verdict, model, eval_run_id)
            if where is None:
                return []
            if after is not None:
                where.append(or_(col(Problem.created) < after[0],
                                 and_(col(Problem.created) == after[0],
                                      col(Problem.id) < after[1])))
            newest = (col(Problem.created).desc(), col(Problem.id).desc())
            # The page's ids first, then their figures: SQLite would otherwise compute the
            # figures of every match before sorting them and keeping a page.
            page = sql_select(col(Problem.id)).where(*where).order_by(*newest).limit(limit)
            stmt = sql_select(col(Problem.id), col(Problem.text), col(Problem.reference),
                              col(Problem.created), *_SUMMARY_COLUMNS).where(
                col(Problem.id).in_(page.scalar_subquery())).order_by(*newest)
            rows = s.connection().execute(stmt).all()
            return [_summary(row) for row in rows]

    def count_problems(self, *, query: str = "", verdict: Verdict | None = None,
                       model: str | None = None, eval_run_id: int | None = None) -> int:
        """How many problems `list_problems` would list, over all its pages."""
        with Session(self.engine) as s:
            where = self._filters(s, query, verdict, model, eval_run_id)
            if where is None:
                return 0
            return int(s.exec(select(func.count()).select_from(Problem).where(*where)).one())

    def problem_ids(self, *, query: str = "", verdict: Verdict | None = None,
                    model: str | None = None, eval_run_id: int | None = None) -> list[int]:
        """Every problem `list_problems` would list, over all its pages, newest first."""
        with Session(self.engine) as s:
            where = self._filters(s, query, verdict, model, eval_run_id)
            if where is None:
                return []
            return [i for i in s.exec(select(Problem.id).where(*where).order_by(
                col(Problem.created).desc(), col(Problem.id).desc())) if i is not None]

    def model_names(self) -> list[str]:
        """Every teacher and student model the history mentions, sorted."""
        with self.engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT DISTINCT student_model FROM attempt UNION "
                "SELECT DISTINCT model FROM step_set WHERE model IS NOT NULL").all()
        return sorted({name for (name,) in rows if name})

    def _filters(self, s: Session, query: str, verdict: Verdict | None, model: str | None,
                 eval_run_id: int | None) -> list[Any] | None:
        """The WHERE clauses on `problem` for these filters; None when nothing can match."""
        where: list[Any] = []
        if query.strip():
            clause = self._search_clause(s, query)
            if clause is None:  # only punctuation: nothing can match
                return None
            where.append(clause)
        # EXISTS, probed per listed row through an index, stops with the page; a run's few
        # problems are quicker found from the run's own index.
        if model:
            where.append(or_(
                exists().where(col(Attempt.problem_id) == col(Problem.id),
                               col(Attempt.student_model) == model),
                exists().where(col(StepSet.problem_id) == col(Problem.id),
                               col(StepSet.model) == model)))
        if eval_run_id is not None:
            where.append(col(Problem.id).in_(
                select(Attempt.problem_id).where(Attempt.eval_run_id == eval_run_id)))
        if verdict:
            where.append(exists().where(col(Attempt.problem_id) == col(Problem.id),
                                        col(Attempt.verdict) == str(verdict)))
        return where

    def index_pending(self, batch: int = 200) -> int:
        """Rewrite the search documents of the problems queued since the last time (their
        text, steps or replies changed); returns how many. A batch per transaction, so a
        writer never waits long. Reads first: with nothing queued it never takes the write
        lock. The app and `eval` call it in the background; a search never does."""
        done = 0
        while True:
            with self.engine.connect() as conn:
                ids = [i for (i,) in conn.exec_driver_sql(
                    "SELECT problem_id FROM search_pending LIMIT ?", (batch,))]
            if not ids:
                return done
            marks = ", ".join("?" * len(ids))
            with self.engine.begin() as conn:
                conn.exec_driver_sql(f"DELETE FROM search_fts WHERE rowid IN ({marks})",
                                     tuple(ids))
                conn.exec_driver_sql(
                    "INSERT INTO search_fts(rowid, problem, steps, replies) SELECT p.id, "
                    "p.text || ' ' || COALESCE(p.reference, ''), "
                    "(SELECT group_concat(steps_json, ' ') FROM step_set "
                    " WHERE problem_id = p.id), "
                    "(SELECT group_concat(output, ' ') FROM attempt "
                    " WHERE problem_id = p.id AND status != 'running') "
                    f"FROM problem p WHERE p.id IN ({marks})", tuple(ids))
                conn.exec_driver_sql(
                    f"DELETE FROM search_pending WHERE problem_id IN ({marks})", tuple(ids))
            done += len(ids)

    @staticmethod
    def _search_clause(s: Session, query: str) -> Any | None:
        """The problems in which every word of `query` occurs (as a prefix) somewhere: in the
        problem, its reference, any step version or any settled reply. One full-text query
        for the indexed problems; the few queued since the index was last brought up to date
        are read as text instead (a substring there). None when no word can match."""
        words = [w for w in query.split() if any(ch.isalnum() for ch in w)]
        if not words:  # the index holds no punctuation: nothing to look for
            return None
        params: dict[str, str] = {}
        anywhere = []
        for n, word in enumerate(words):
            params[f"w{n}"] = _like(word)
            anywhere.append(_ANYWHERE.format(key=f"w{n}"))
        # Chinese, Japanese, Thai…: no spaces between words, so the index holds whole
        # phrases as one token; those words are looked for as substrings.
        indexed = [w for w in words if not _unspaced_script(w)]
        parts = [anywhere[n] for n, w in enumerate(words) if _unspaced_script(w)]
        if indexed:
            # Each word a quoted prefix term, so user punctuation is never FTS syntax.
            params["m"] = " ".join('"' + w.replace('"', '""') + '"*' for w in indexed)
            try:  # a term SQLite still rejects: read the text of every problem instead
                s.exec(text(  # type: ignore[call-overload]
                    "SELECT 1 FROM search_fts WHERE search_fts MATCH :m LIMIT 1"),
                    params={"m": params["m"]}).all()
            except Exception:
                del params["m"]
                return text("(" + " AND ".join(anywhere) + ")").bindparams(**params)
            # `+problem.id`: SQLite walks the problems newest first (the list's order) and
            # looks each up in the matches, stopping with the page.
            parts.insert(0, "+problem.id IN (SELECT rowid FROM search_fts "
                            "WHERE search_fts MATCH :m)")
        indexed_match = " AND ".join(
            [*parts, "problem.id NOT IN (SELECT problem_id FROM search_pending)"])
        queued_match = " AND ".join(
            ["problem.id IN (SELECT problem_id FROM search_pending)", *anywhere])
        return text(f"(({indexed_match}) OR ({queued_match}))").bindparams(**params)

    def problem_detail(self, problem_id: int) -> ProblemDetail | None:
        with Session(self.engine) as s:
            row = s.get(Problem, problem_id)
            if row is None:
                return None
            step_sets = s.exec(select(StepSet).where(StepSet.problem_id == problem_id)
                               .order_by(col(StepSet.version))).all()
            # In the order they started: an answer's row may be written as it ends, so two run
            # side by side (Compare) can get their ids the other way round.
            attempts = s.exec(select(Attempt).where(Attempt.problem_id == problem_id)
                              .order_by(col(Attempt.created), col(Attempt.id))).all()
            humans = s.exec(select(HumanAnswer).where(HumanAnswer.problem_id == problem_id)
                            .order_by(col(HumanAnswer.id))).all()
            return ProblemDetail(_problem(row), [_step_set(r) for r in step_sets],
                                 [_attempt(r) for r in attempts], [_human(r) for r in humans])

    def existing_problem_ids(self, ids: Iterable[int]) -> list[int]:
        """Those of `ids` that are problems in the history."""
        wanted = list(ids)
        found: list[int] = []
        with Session(self.engine) as s:
            for start in range(0, len(wanted), 500):  # within SQLite's variable limit
                found += [i for i in s.exec(select(Problem.id).where(
                    col(Problem.id).in_(wanted[start:start + 500]))) if i is not None]
        return found

    def all_problem_ids(self) -> list[int]:
        with Session(self.engine) as s:
            return [i for i in s.exec(select(Problem.id).order_by(col(Problem.id))) if i]

    def iter_details(self, ids: Iterable[int], batch: int = 200) -> Iterator[ProblemDetail]:
        """The problems' details in the order of `ids` (missing ones skipped), read `batch`
        problems at a time with one query per table: an export of everything holds one batch
        in memory, not the whole history."""
        it = iter(ids)
        while chunk := list(islice(it, batch)):
            with Session(self.engine) as s:
                problems = {r.id: r for r in s.exec(select(Problem).where(
                    col(Problem.id).in_(chunk)))}
                step_sets: dict[int, list[StepSetView]] = defaultdict(list)
                for r in s.exec(select(StepSet).where(col(StepSet.problem_id).in_(chunk))
                                .order_by(col(StepSet.version))):
                    step_sets[r.problem_id].append(_step_set(r))
                attempts: dict[int, list[AttemptView]] = defaultdict(list)
                for a in s.exec(select(Attempt).where(col(Attempt.problem_id).in_(chunk))
                                .order_by(col(Attempt.created), col(Attempt.id))):
                    attempts[a.problem_id].append(_attempt(a))
                humans: dict[int, list[HumanAnswerView]] = defaultdict(list)
                for h in s.exec(select(HumanAnswer).where(col(HumanAnswer.problem_id)
                                                          .in_(chunk))
                                .order_by(col(HumanAnswer.id))):
                    humans[h.problem_id].append(_human(h))
            for i in chunk:
                if i in problems:
                    yield ProblemDetail(_problem(problems[i]), step_sets[i], attempts[i],
                                        humans[i])


# Each listed problem's figures, computed for the rows of the page only (correlated
# subqueries over the per-problem indexes). Model names are joined with the unit separator,
# which no model name holds.
_SEP = "\x1f"
_SUMMARY_COLUMNS: tuple[ColumnClause[Any], ...] = (
    literal_column("(SELECT group_concat(m, char(31)) FROM (SELECT DISTINCT model AS m FROM "
                   "step_set WHERE problem_id = problem.id AND model IS NOT NULL))"),
    literal_column("(SELECT group_concat(m, char(31)) FROM (SELECT DISTINCT student_model "
                   "AS m FROM attempt WHERE problem_id = problem.id))"),
    literal_column("(SELECT count(*) FROM attempt WHERE problem_id = problem.id)"),
    literal_column("(SELECT count(*) FROM attempt WHERE problem_id = problem.id "
                   "AND verdict = 'correct')"),
    literal_column("(SELECT verdict FROM attempt WHERE problem_id = problem.id "
                   "AND status = 'finished' ORDER BY created DESC, id DESC LIMIT 1)"),
)


def _summary(row: Any) -> ProblemSummary:
    (problem_id, text_, reference, created, teachers, students, attempts, correct,
     last) = row
    return ProblemSummary(
        id=problem_id, text=text_, reference=reference, created=created,
        teacher_models=sorted(set(teachers.split(_SEP))) if teachers else [],
        student_models=sorted(set(students.split(_SEP))) if students else [],
        attempts=attempts, correct=correct,
        last_verdict=Verdict(last) if last else None)


# A word (bound as :key, a LIKE pattern) anywhere in a problem: its text, its reference, a step
# version, a settled reply.
_ANYWHERE = (
    "(problem.text LIKE :{key} ESCAPE '\\' OR problem.reference LIKE :{key} ESCAPE '\\' "
    "OR EXISTS (SELECT 1 FROM step_set WHERE step_set.problem_id = problem.id "
    "AND step_set.steps_json LIKE :{key} ESCAPE '\\') "
    "OR EXISTS (SELECT 1 FROM attempt WHERE attempt.problem_id = problem.id "
    "AND attempt.status != 'running' AND attempt.output LIKE :{key} ESCAPE '\\'))")


def _like(word: str) -> str:
    """A LIKE pattern for `word` anywhere in the text (its wildcards taken literally)."""
    return "%" + re.sub(r"([\\%_])", r"\\\1", word) + "%"


def _unspaced_script(word: str) -> bool:
    """Does the word hold letters of a script written without spaces (CJK, Thai, …)?"""
    return any("\u2e80" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af"
               or "\u0e00" <= ch <= "\u0eff" or "\uf900" <= ch <= "\ufaff"
               or "\u3040" <= ch <= "\u30ff" for ch in word)


def _connect(path: Path, read_only: bool) -> sqlite3.Connection:
    if not read_only:
        return sqlite3.connect(path, check_same_thread=False, timeout=30)
    # Read-only: `mode=ro` where SQLite can still make its -shm file beside the database,
    # `immutable` in a folder nobody can write to (nobody can change the file there either).
    writable_dir = os.access(path.parent, os.W_OK)
    uri = path.resolve().as_uri() + ("?mode=ro" if writable_dir else "?immutable=1")
    return sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=30)


def _is_read_only_problem(exc: BaseException) -> bool:
    text = str(exc).lower()
    return isinstance(exc, PermissionError) or "readonly" in text or "read-only" in text \
        or "unable to open" in text


def _check_read_only_schema(path: Path) -> None:
    conn = _connect(path, True)
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        raise _open_error(path, exc) from exc
    finally:
        conn.close()
    if version != migrations.LATEST:
        raise StoreError(f"The history database {path} is read-only and from "
                         f"{'an older' if version < migrations.LATEST else 'a newer'} tot-tui "
                         f"(schema {version}, this version needs {migrations.LATEST}): make it "
                         "writable once so it can be upgraded, or use another --data-dir.")


def _open_error(path: Path, exc: BaseException) -> StoreError:
    if isinstance(exc, OSError):
        return StoreError(f"Cannot create the history database {path} ({exc}). Choose a "
                          "writable data directory with --data-dir or TOT_TUI_DATA_DIR.")
    return StoreError(f"Cannot open the history database {path} ({exc}). If it is not a "
                      "tot-tui history, move it aside, or choose another data directory "
                      "with --data-dir or TOT_TUI_DATA_DIR.")


def _on_connect_read_only(dbapi_conn: sqlite3.Connection, _record: object) -> None:
    dbapi_conn.execute("PRAGMA foreign_keys=ON")


def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    # NORMAL in WAL mode survives a killed process (not a power cut) and keeps commits fast.
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


_USAGE_FIELDS = tuple(f.name for f in fields(Usage))


def _timestamp(moment: datetime) -> str:
    """A UTC time as the ORM stores it in SQLite, for the statements written without it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _parse_timestamp(stored: str) -> datetime:
    return datetime.fromisoformat(stored).replace(tzinfo=UTC)


def _problem(row: Problem) -> ProblemView:
    return ProblemView(row.id or 0, row.text, row.reference, row.reference_source, row.created)


def _step_set(row: StepSet) -> StepSetView:
    return StepSetView(row.id or 0, row.problem_id, row.version, json.loads(row.steps_json),
                       StepOrigin(row.origin), row.parent_id, row.model, row.prompt_name,
                       row.created, origins=_origins(row.origins_json, row.steps_json),
                       base_id=row.base_id)


def _origins(origins_json: str | None, steps_json: str) -> list[int | None] | None:
    """The stored origins if they are well formed (one per step, ints or nulls), else None."""
    if origins_json is None:
        return None
    try:
        origins = json.loads(origins_json)
        steps = json.loads(steps_json)
    except ValueError:
        return None
    if not isinstance(origins, list) or len(origins) != len(steps) or not all(
            o is None or (isinstance(o, int) and not isinstance(o, bool) and o >= 0)
            for o in origins):
        return None
    return origins


def _attempt(row: Attempt) -> AttemptView:
    usage = Usage(**{name: getattr(row, name) for name in _USAGE_FIELDS})
    return AttemptView(row.id or 0, row.problem_id, row.step_set_id, row.student_model,
                       Mode(row.mode), AttemptStatus(row.status), row.output, row.answer,
                       Verdict(row.verdict), row.verdict_reason, row.reference_norm,
                       row.answer_norm, usage, row.error, row.prompt_name, row.prompt_hash,
                       row.created, row.eval_run_id, row.reference)


def _human(row: HumanAnswer) -> HumanAnswerView:
    return HumanAnswerView(row.id or 0, row.problem_id, row.answer, Verdict(row.verdict),
                           row.verdict_reason, row.hints_shown, row.created)
