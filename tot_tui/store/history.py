"""The history database: problems, step-set versions, attempts, human answers, eval runs.

Synchronous and thread-safe (one SQLAlchemy engine, a session per call); the tutoring core calls
it from a worker thread. Every write commits at once, in WAL mode, so a killed process loses
nothing already written and leaves a readable file.
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, fields
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event, func, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import QueuePool
from sqlmodel import Session, col, create_engine, delete, select

from tot_tui.domain import (
    AttemptStatus,
    AttemptView,
    Derived,
    DerivedStatus,
    EquationSetView,
    HumanAnswerView,
    Mode,
    ProblemDetail,
    ProblemSummary,
    ProblemView,
    StepOrigin,
    StepSetView,
    Usage,
    Verdict,
    WayAnswer,
)
from tot_tui.store import listing, migrations
from tot_tui.store.listing import parse_timestamp, timestamp
from tot_tui.store.migrations import ProblemGone, StoreError
from tot_tui.store.owner import process_token
from tot_tui.store.tables import (
    Attempt,
    EquationSet,
    EvalRun,
    HumanAnswer,
    Problem,
    StepSet,
    utcnow,
)

R = TypeVar("R")


class HistoryStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.read_only = False
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            raw = sqlite3.connect(path, isolation_level=None, timeout=30)
            try:
                listing.prepare(raw)
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
            for table in (Attempt, HumanAnswer, StepSet, EquationSet):
                s.exec(delete(table).where(table.problem_id == problem_id))  # type: ignore[arg-type]
            n = s.exec(delete(Problem).where(Problem.id == problem_id))  # type: ignore[arg-type]
            s.commit()
            return bool(n.rowcount)

    # -- step sets ---------------------------------------------------------------------------

    def add_step_set(self, problem_id: int, steps: list[str], origin: StepOrigin, *,
                     parent_id: int | None = None, model: str | None = None,
                     prompt_name: str | None = None, prompt_hash: str | None = None,
                     raw_output: str | None = None, origins: list[int | None] | None = None,
                     base_id: int | None = None, usage: Usage | None = None,
                     thinking: str | None = None, backend: str | None = None,
                     structured: str | None = None,
                     notice: str | None = None) -> StepSetView:
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
                          base_id=base_id if origins is not None else None,
                          thinking=thinking or None, backend=backend, structured=structured,
                          notice=notice, **(asdict(usage) if usage is not None else {}))
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
                      created: datetime | None = None, reference: str | None = None,
                      seed: int | None = None, backend: str | None = None) -> int:
        """A `running` attempt; checkpoint it while it streams, then finish it."""
        values = {"problem_id": problem_id, "step_set_id": step_set_id,
                  "eval_run_id": eval_run_id, "student_model": student_model, "host": host,
                  "mode": str(mode), "status": AttemptStatus.RUNNING.value, "output": output,
                  "verdict": Verdict.UNKNOWN.value, "verdict_reason": "", "reference_norm": "",
                  "answer_norm": "", "prompt_name": prompt_name, "prompt_hash": prompt_hash,
                  "pid": os.getpid(), "owner": process_token(), "reference": reference,
                  "seed": seed, "backend": backend, "created": timestamp(created or utcnow())}
        with self.engine.begin() as conn:
            return self._insert_attempt(conn, values)

    def add_attempt(self, *, problem_id: int, step_set_id: int | None, student_model: str,
                    host: str, mode: Mode, prompt_name: str, prompt_hash: str,
                    eval_run_id: int | None = None, created: datetime | None = None,
                    status: AttemptStatus, output: str, answer: str | None = None,
                    verdict: Verdict = Verdict.UNKNOWN, verdict_reason: str = "",
                    reference_norm: str = "", answer_norm: str = "",
                    usage: Usage | None = None, error: str | None = None,
                    reference: str | None = None, seed: int | None = None,
                    detail: dict[str, Any] | None = None, backend: str | None = None,
                    thinking: str | None = None) -> AttemptView:
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
                  "pid": os.getpid(), "owner": process_token(), "created": timestamp(created),
                  "reference": reference, "finished": timestamp(utcnow()), **asdict(usage),
                  "detail_json": _detail_json(detail), "seed": seed, "backend": backend,
                  "thinking": thinking or None}
        with self.engine.begin() as conn:
            attempt_id = self._insert_attempt(conn, values)
        ways, votes = _ways(values["detail_json"])
        return AttemptView(attempt_id, problem_id, step_set_id, student_model, Mode(mode),
                           AttemptStatus(status), output, answer, Verdict(verdict),
                           verdict_reason, reference_norm, answer_norm, usage, error,
                           prompt_name, prompt_hash, created, eval_run_id, reference, ways,
                           votes, seed, thinking or None, backend)

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
                       usage: Usage | None = None, error: str | None = None,
                       detail: dict[str, Any] | None = None,
                       thinking: str | None = None) -> AttemptView:
        values: dict[str, Any] = {
            "status": str(status), "output": output, "answer": answer, "verdict": str(verdict),
            "verdict_reason": verdict_reason, "reference_norm": reference_norm,
            "answer_norm": answer_norm, "error": error, "finished": timestamp(utcnow()),
            "detail_json": _detail_json(detail), "thinking": thinking or None}
        if usage is not None:
            values.update(asdict(usage))  # the attempt's columns carry Usage's field names
        assignments = ", ".join(f"{name} = ?" for name in values)
        with self.engine.begin() as conn:
            conn.exec_driver_sql(f"UPDATE attempt SET {assignments} WHERE id = ?",
                                 (*values.values(), attempt_id))
            row = conn.exec_driver_sql(
                "SELECT problem_id, step_set_id, student_model, mode, prompt_name, prompt_hash, "
                "created, eval_run_id, reference, seed, backend, "
                f"{', '.join(_USAGE_FIELDS)} FROM attempt "
                "WHERE id = ?",
                (attempt_id,)).first()
        if row is None:  # its problem was deleted meanwhile (the attempt went with it)
            raise ProblemGone("The problem was deleted while it was being solved; its reply "
                              "was not kept.")
        (problem_id, step_set_id, student_model, mode, prompt_name, prompt_hash, created,
         eval_run_id, reference, seed, backend, *stored_usage) = row
        ways, votes = _ways(values["detail_json"])
        return AttemptView(attempt_id, problem_id, step_set_id, student_model, Mode(mode),
                           AttemptStatus(status), output, answer, Verdict(verdict),
                           verdict_reason, reference_norm, answer_norm, Usage(*stored_usage),
                           error, prompt_name, prompt_hash, parse_timestamp(created),
                           eval_run_id, reference, ways, votes, seed, thinking or None, backend)

    def attempts_for_run(self, eval_run_id: int) -> list[AttemptView]:
        with Session(self.engine) as s:
            rows = s.exec(select(Attempt).where(Attempt.eval_run_id == eval_run_id)
                          .order_by(col(Attempt.id))).all()
            return [_attempt(r) for r in rows]

    # -- the teacher's equations -------------------------------------------------------------

    def add_equation_set(self, problem_id: int, derived: Derived, *, model: str | None,
                         prompt_name: str, prompt_hash: str, raw_output: str,
                         compared_with: str | None, agrees: bool | None,
                         adopt: bool) -> tuple[EquationSetView, ProblemView]:
        """Record the teacher's equations and the solver's value; with `adopt`, the value
        becomes the problem's reference (source "equations") if it still has none. Returns the
        record and the problem as it is now."""
        with Session(self.engine) as s:
            problem = s.get(Problem, problem_id)
            if problem is None:
                raise ProblemGone(f"Problem #{problem_id} was deleted while its equations were "
                                  "being solved.")
            row = EquationSet(problem_id=problem_id, model=model, prompt_name=prompt_name,
                              prompt_hash=prompt_hash, raw_output=raw_output,
                              status=str(derived.status), value=derived.value,
                              reason=derived.reason, compared_with=compared_with,
                              agrees=agrees)
            s.add(row)
            if adopt and derived.ok and problem.reference is None:
                problem.reference, problem.reference_source = derived.value, "equations"
                s.add(problem)
            s.commit()
            s.refresh(row)
            s.refresh(problem)
            return _equation_set(row), _problem(problem)

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
        allowed). One statement per page (tot_tui/store/listing.py); no reply text is read."""
        return self._listing(listing.page, query=query, verdict=verdict, model=model,
                             eval_run_id=eval_run_id, limit=limit, after=after)

    def count_problems(self, *, query: str = "", verdict: Verdict | None = None,
                       model: str | None = None, eval_run_id: int | None = None) -> int:
        """How many problems `list_problems` would list, over all its pages."""
        return self._listing(listing.count, query=query, verdict=verdict, model=model,
                             eval_run_id=eval_run_id)

    def problem_ids(self, *, query: str = "", verdict: Verdict | None = None,
                    model: str | None = None, eval_run_id: int | None = None) -> list[int]:
        """Every problem `list_problems` would list, over all its pages, newest first."""
        return self._listing(listing.ids, query=query, verdict=verdict, model=model,
                             eval_run_id=eval_run_id)

    def model_names(self) -> list[str]:
        """Every teacher and student model the history mentions, sorted."""
        return self._listing(listing.model_names)

    def _listing(self, run: Callable[..., R], /, **kwargs: Any) -> R:
        with self.engine.connect() as conn:
            return run(conn.connection.driver_connection, **kwargs)

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
            equations = s.exec(select(EquationSet).where(EquationSet.problem_id == problem_id)
                               .order_by(col(EquationSet.id))).all()
            return ProblemDetail(_problem(row), [_step_set(r) for r in step_sets],
                                 [_attempt(r) for r in attempts], [_human(r) for r in humans],
                                 [_equation_set(r) for r in equations])

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
                equations: dict[int, list[EquationSetView]] = defaultdict(list)
                for e in s.exec(select(EquationSet).where(col(EquationSet.problem_id)
                                                          .in_(chunk))
                                .order_by(col(EquationSet.id))):
                    equations[e.problem_id].append(_equation_set(e))
            for i in chunk:
                if i in problems:
                    yield ProblemDetail(_problem(problems[i]), step_sets[i], attempts[i],
                                        humans[i], equations[i])

    def teacher_output_problem_ids(self, *, problem_ids: Iterable[int] | None = None,
                                   eval_run_id: int | None = None, dataset: str | None = None,
                                   model: str | None = None) -> list[int]:
        """The problems, by id, that hold a step set or an equation set (of the teacher
        `model`, when given; an edited version counts if its problem has one), among
        `problem_ids`, of the eval run (its attempts or its linked items) and whose reference
        came from `dataset` (source "dataset:NAME"). All the filters given apply. For the
        distillation export, which then reads them with `iter_details`."""
        clauses = ["(EXISTS (SELECT 1 FROM step_set s WHERE s.problem_id = p.id"
                   + (" AND s.model = :model" if model else "") + ") OR EXISTS (SELECT 1 "
                   "FROM equation_set e WHERE e.problem_id = p.id"
                   + (" AND e.model = :model" if model else "") + "))"]
        params: dict[str, Any] = {"model": model} if model else {}
        if eval_run_id is not None:
            clauses.append("(p.id IN (SELECT problem_id FROM attempt WHERE eval_run_id = :run) "
                           "OR p.id IN (SELECT problem_id FROM eval_item WHERE run_id = :run))")
            params["run"] = eval_run_id
        if dataset is not None:
            clauses.append("p.reference_source = :source")
            params["source"] = f"dataset:{dataset}"
        with self.engine.connect() as conn:
            found = [int(i) for (i,) in conn.execute(text(
                f"SELECT p.id FROM problem p WHERE {' AND '.join(clauses)} ORDER BY p.id"),
                params)]
        if problem_ids is None:
            return found
        wanted = set(problem_ids)
        return [i for i in found if i in wanted]


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




def _problem(row: Problem) -> ProblemView:
    return ProblemView(row.id or 0, row.text, row.reference, row.reference_source, row.created)


def _step_set(row: StepSet) -> StepSetView:
    return StepSetView(row.id or 0, row.problem_id, row.version, json.loads(row.steps_json),
                       StepOrigin(row.origin), row.parent_id, row.model, row.prompt_name,
                       row.created, origins=_origins(row.origins_json, row.steps_json),
                       base_id=row.base_id, raw_output=row.raw_output,
                       usage=_step_usage(row), thinking=row.thinking, backend=row.backend,
                       structured=row.structured, notice=row.notice)


def _step_usage(row: StepSet) -> Usage | None:
    values = {name: getattr(row, name) for name in _USAGE_FIELDS}
    return Usage(**values) if any(v is not None for v in values.values()) else None


def _equation_set(row: EquationSet) -> EquationSetView:
    try:
        status = DerivedStatus(row.status)
    except ValueError:  # written by a newer version
        status = DerivedStatus.FAILED
    return EquationSetView(row.id or 0, row.problem_id, row.model,
                           Derived("equations", status, row.value, row.reason),
                           row.raw_output, row.created, row.compared_with,
                           None if row.agrees is None else bool(row.agrees))


def _detail_json(detail: dict[str, Any] | None) -> str | None:
    return None if detail is None else json.dumps(detail, ensure_ascii=False)


def _ways(detail_json: str | None) -> tuple[list[WayAnswer], int | None]:
    """The ways an attempt reached its answer, from its stored detail (tolerant of junk)."""
    if not detail_json:
        return [], None
    try:
        detail = json.loads(detail_json)
        ways = [WayAnswer(str(w["way"]), None if w.get("answer") is None else str(w["answer"]),
                          str(w.get("status", "")), str(w.get("note", "")))
                for w in detail.get("ways", [])]
        votes = detail.get("votes")
        return ways, votes if isinstance(votes, int) else None
    except (ValueError, TypeError, KeyError, AttributeError):
        return [], None


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
                       row.created, row.eval_run_id, row.reference, *_ways(row.detail_json),
                       row.seed, row.thinking, row.backend)


def _human(row: HumanAnswer) -> HumanAnswerView:
    return HumanAnswerView(row.id or 0, row.problem_id, row.answer, Verdict(row.verdict),
                           row.verdict_reason, row.hints_shown, row.created)
