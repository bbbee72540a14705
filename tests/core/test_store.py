"""History schema: upgrades from older databases keep every row."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from tot_tui.domain import StepOrigin
from tot_tui.store import migrations
from tot_tui.store.history import HistoryStore


def test_fresh_database_is_at_the_latest_version(tmp_path):
    store = HistoryStore(tmp_path / "h.db")
    store.close()
    db = sqlite3.connect(tmp_path / "h.db")
    assert db.execute("PRAGMA user_version").fetchone()[0] == migrations.LATEST
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def _affinity(declared: str) -> str:
    """SQLite's column affinity for a declared type (its documented rules, in order)."""
    declared = declared.upper()
    if "INT" in declared:
        return "INTEGER"
    if any(word in declared for word in ("CHAR", "CLOB", "TEXT")):
        return "TEXT"
    if any(word in declared for word in ("REAL", "FLOA", "DOUB")):
        return "REAL"
    return "NUMERIC"


def test_sqlmodel_tables_match_the_schema_the_migrations_create(tmp_path):
    # The tables' DDL lives in the migrations, never in create_all: the models must describe
    # exactly what the upgrade steps built (names, types, NOT NULL, primary keys).
    from sqlalchemy.dialects import sqlite
    from sqlmodel import SQLModel

    import tot_tui.store.tables  # noqa: F401 - registers the tables

    db = sqlite3.connect(tmp_path / "schema.db", isolation_level=None)
    migrations.upgrade(db)
    dialect = sqlite.dialect()
    tables = SQLModel.metadata.tables
    assert {"problem", "step_set", "attempt", "human_answer", "eval_run"} <= set(tables)
    for name, table in tables.items():
        built = {row[1]: row for row in db.execute(f"PRAGMA table_info({name})")}
        assert built, f"the migrations create no table {name}"
        assert set(built) == {c.name for c in table.columns}, name
        for column in table.columns:
            _, _, declared, notnull, _, pk = built[column.name]
            where = f"{name}.{column.name}"
            assert bool(pk) == column.primary_key, where
            assert _affinity(declared) == _affinity(column.type.compile(dialect=dialect)), where
            if not column.primary_key:
                assert bool(notnull) == (not column.nullable), where


def test_upgrade_from_version_1_keeps_rows_and_makes_them_searchable(tmp_path):
    path = tmp_path / "old.db"
    raw = sqlite3.connect(path, isolation_level=None)
    migrations.upgrade(raw, target=1)  # a database written by the first release
    now = datetime.now(UTC).isoformat(sep=" ")
    raw.execute("INSERT INTO problem (text, reference, created) VALUES (?, ?, ?)",
                ("A train travels 120 km in 2 hours. What is its speed?", "60", now))
    raw.execute("INSERT INTO step_set (problem_id, version, steps_json, origin, created) "
                "VALUES (1, 1, '[\"Divide 120 by 2.\"]', 'teacher', ?)", (now,))
    raw.close()

    store = HistoryStore(path)  # opening upgrades it
    rows = store.list_problems(query="train")
    assert [r.text for r in rows] == ["A train travels 120 km in 2 hours. What is its speed?"]
    assert [r.id for r in store.list_problems(query="divide")] == [rows[0].id]  # old steps too
    detail = store.problem_detail(rows[0].id)
    assert detail.step_sets[0].steps == ["Divide 120 by 2."]
    assert detail.step_sets[0].origin is StepOrigin.TEACHER
    store.close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == migrations.LATEST


def test_a_newer_schema_is_refused_clearly(tmp_path):
    path = tmp_path / "new.db"
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute(f"PRAGMA user_version = {migrations.LATEST + 1}")
    raw.close()
    try:
        HistoryStore(path)
    except migrations.SchemaTooNew as exc:
        assert "newer tot-tui" in str(exc)
    else:
        raise AssertionError("a newer schema must not be opened")


def test_search_tolerates_fts_syntax(tmp_path):
    store = HistoryStore(tmp_path / "h.db")
    store.add_problem('What is "3 * (4 + 5)" AND NOT 7?', None)
    assert len(store.list_problems(query='"3 * (4')) == 1
    assert len(store.list_problems(query="NOT AND")) == 1
    assert store.list_problems(query="zebra") == []
    store.close()


def test_history_filters_by_eval_run(tmp_path):
    from tot_tui.domain import Mode
    from tot_tui.store.eval_runs import list_runs

    store = HistoryStore(tmp_path / "h.db")
    inside = store.add_problem("Problem in the run", "1")
    store.add_problem("Problem outside", "2")
    run_id = store.create_eval_run("gsm8k", {"indices": [0]})
    store.start_attempt(problem_id=inside.id, step_set_id=None, student_model="s", host="h",
                        mode=Mode.BASELINE, prompt_name="baseline", prompt_hash="x",
                        eval_run_id=run_id)
    assert [p.text for p in store.list_problems(eval_run_id=run_id)] == ["Problem in the run"]
    assert len(store.list_problems()) == 2
    runs = list_runs(store)
    assert [(r.id, r.dataset, r.items) for r in runs] == [(run_id, "gsm8k", 1)]
    store.close()


def test_concurrent_writers_get_distinct_step_versions(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    store = HistoryStore(tmp_path / "h.db")
    problem = store.add_problem("Shared problem", "1")
    with ThreadPoolExecutor(8) as pool:
        views = list(pool.map(lambda i: store.add_step_set(problem.id, [f"step {i}"],
                                                           StepOrigin.EDITED), range(40)))
    assert sorted(v.version for v in views) == list(range(1, 41))
    store.close()


def test_two_processes_upgrading_at_once_both_succeed(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "race.db"
    code = ("import sys; from pathlib import Path; from tot_tui.store.history import "
            "HistoryStore; HistoryStore(Path(sys.argv[1])).close()")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(path)],
                              stderr=subprocess.PIPE, text=True) for _ in range(4)]
    errors = [p.communicate(timeout=60)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], errors
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == migrations.LATEST


def _attempt(store: HistoryStore, problem_id: int) -> int:
    from tot_tui.domain import Mode

    return store.start_attempt(problem_id=problem_id, step_set_id=None, student_model="s",
                               host="h", mode=Mode.BASELINE, prompt_name="baseline",
                               prompt_hash="x")


def test_search_finds_steps_and_settled_replies(tmp_path):
    from tot_tui.domain import AttemptStatus

    store = HistoryStore(tmp_path / "h.db")
    marbles = store.add_problem("Tom has 12 marbles and buys 8 more. How many?", "20")
    cookies = store.add_problem("A baker makes 4 trays of 9 cookies. How many?", "36")
    store.add_step_set(marbles.id, ["Start from the twelve marbles.", "Add the eight."],
                       StepOrigin.TEACHER)
    streaming = _attempt(store, cookies.id)
    store.checkpoint_attempt(streaming, "Multiplying trays by cookies gives thirty-six")
    assert store.list_problems(query="thirty") == []  # not while it streams
    store.finish_attempt(streaming, status=AttemptStatus.FINISHED,
                         output="Multiplying trays by cookies gives thirty-six.\nFinal answer: 36")
    assert [r.id for r in store.list_problems(query="twelve")] == [marbles.id]  # a step
    assert [r.id for r in store.list_problems(query="thirty")] == [cookies.id]  # a reply
    assert [r.id for r in store.list_problems(query="Multipl")] == [cookies.id]  # a prefix
    # Every word must occur, wherever it is: the problem's text and its reply here.
    assert [r.id for r in store.list_problems(query="baker thirty-six")] == [cookies.id]
    assert store.list_problems(query="baker twelve") == []
    cancelled = _attempt(store, marbles.id)
    store.finish_attempt(cancelled, status=AttemptStatus.INTERRUPTED, output="So far: sixteen")
    assert [r.id for r in store.list_problems(query="sixteen")] == [marbles.id]
    assert store.delete_problem(cookies.id)
    assert store.list_problems(query="thirty") == []
    assert store.index_pending() == 1  # the marbles one
    db = sqlite3.connect(tmp_path / "h.db")
    assert db.execute("SELECT COUNT(*) FROM search_fts").fetchone()[0] == 1
    store.close()


def test_replies_are_found_before_the_background_indexes_them(tmp_path):
    from tot_tui.domain import AttemptStatus

    store = HistoryStore(tmp_path / "h.db")
    db = sqlite3.connect(tmp_path / "h.db")

    def indexed() -> list[tuple[int, str]]:
        return db.execute("SELECT rowid, replies FROM search_fts ORDER BY rowid").fetchall()

    def queued() -> int:
        return db.execute("SELECT COUNT(*) FROM search_pending").fetchone()[0]

    problem = store.add_problem("A baker makes 4 trays of 9 cookies. How many?", "36")
    first = _attempt(store, problem.id)
    store.finish_attempt(first, status=AttemptStatus.FINISHED, output="thirty-six cookies")
    second = _attempt(store, problem.id)
    store.finish_attempt(second, status=AttemptStatus.INTERRUPTED, output="nine trays")
    assert indexed() == [] and queued() == 1  # finishing an answer does not pay for the index
    # A search finds a queued problem by its text, and never indexes it itself.
    assert [r.id for r in store.list_problems(query="cookies thirty")] == [problem.id]
    assert store.count_problems(query="trays") == 1
    assert indexed() == []
    assert store.index_pending() == 1  # what the app and eval do in the background
    assert indexed() == [(problem.id, "thirty-six cookies nine trays")]
    assert store.index_pending() == 0  # the queue is empty again
    assert [r.id for r in store.list_problems(query="cookies thirty")] == [problem.id]
    # A settled reply written again (say, finished after a cancel): its old words no longer
    # match though the index still holds them, its new ones do before it is indexed again.
    store.finish_attempt(second, status=AttemptStatus.FINISHED, output="forty trays")
    assert [r.id for r in store.list_problems(query="forty")] == [problem.id]
    assert store.list_problems(query="nine") == []
    assert store.index_pending() == 1
    assert store.list_problems(query="nine") == []
    assert indexed() == [(problem.id, "thirty-six cookies forty trays")]
    # A deleted problem leaves nothing queued or indexed.
    third = _attempt(store, problem.id)
    store.finish_attempt(third, status=AttemptStatus.FINISHED, output="unsearched")
    assert store.delete_problem(problem.id)
    assert queued() == 0 and indexed() == []
    store.close()


def _old_history(path, version: int, replies: list[tuple[str, str]],
                 steps: str | None = None) -> None:
    """A history file at an older schema version: one problem, its replies (status, output)
    and, optionally, one teacher step set."""
    raw = sqlite3.connect(path, isolation_level=None)
    migrations.upgrade(raw, target=version)
    now = datetime.now(UTC).isoformat(sep=" ")
    raw.execute("INSERT INTO problem (text, reference, created) VALUES ('Two plus two?', '4', ?)",
                (now,))
    if steps is not None:
        raw.execute("INSERT INTO step_set (problem_id, version, steps_json, origin, created) "
                    "VALUES (1, 1, ?, 'teacher', ?)", (steps, now))
    for status, output in replies:
        raw.execute("INSERT INTO attempt (problem_id, student_model, host, mode, status, output, "
                    "verdict, verdict_reason, reference_norm, answer_norm, prompt_name, "
                    "prompt_hash, created) VALUES (1, 's', 'h', 'baseline', ?, ?, 'unknown', "
                    "'', '', '', 'baseline', 'x', ?)", (status, output, now))
    raw.close()


def test_upgrade_from_version_4_keeps_the_reply_index(tmp_path):
    path = tmp_path / "v4.db"
    _old_history(path, 4, [("finished", "Counting gives four.")])
    store = HistoryStore(path)
    # Every problem is queued by the upgrade, and found (by its text) before it is indexed.
    assert [r.id for r in store.list_problems(query="counting")] == [1]
    assert store.index_pending() == 1
    assert [r.id for r in store.list_problems(query="counting")] == [1]
    store.close()


def test_upgrade_from_version_3_indexes_existing_steps_and_replies(tmp_path):
    path = tmp_path / "v3.db"
    _old_history(path, 3, [("finished", "Counting gives four."), ("running", "Counting giv")],
                 steps='["Count on from two."]')
    store = HistoryStore(path)
    assert [r.id for r in store.list_problems(query="count four")] == [1]
    store.index_pending()
    assert [r.id for r in store.list_problems(query="count four")] == [1]
    store.close()
    db = sqlite3.connect(path)
    # The "running" row has no live writer: opening the store settles it (interrupted), and
    # a settled reply is indexed.
    assert db.execute("SELECT status FROM attempt ORDER BY id").fetchall() == [
        ("finished",), ("interrupted",)]
    assert db.execute("SELECT replies FROM search_fts").fetchone()[0] == \
        "Counting gives four. Counting giv"


def test_saving_steps_a_version_already_holds_returns_that_version(tmp_path):
    store = HistoryStore(tmp_path / "h.db")
    problem = store.add_problem("Two plus two?", "4")
    v1 = store.add_step_set(problem.id, ["Add two and two."], StepOrigin.TEACHER)
    v2 = store.add_step_set(problem.id, ["Add 2 and 2."], StepOrigin.EDITED, parent_id=v1.id)
    v3 = store.add_step_set(problem.id, ["Count on."], StepOrigin.EDITED, parent_id=v2.id)
    # Edits undone back to v2's steps, then saved again: v2, not a fourth copy.
    again = store.add_step_set(problem.id, ["Add 2 and 2."], StepOrigin.EDITED, parent_id=v3.id)
    assert (again.id, again.version) == (v2.id, 2)
    # The teacher's output is always a version of its own (it records a model and prompt).
    teacher = store.add_step_set(problem.id, ["Add two and two."], StepOrigin.TEACHER)
    assert teacher.version == 4
    assert [s.version for s in store.problem_detail(problem.id).step_sets] == [1, 2, 3, 4]
    store.close()


def test_upgrade_to_version_6_keeps_everything_and_ids_are_never_reused(tmp_path):
    from tot_tui.domain import AttemptStatus, Mode

    path = tmp_path / "v5.db"
    raw = sqlite3.connect(path, isolation_level=None)
    migrations.upgrade(raw, target=5)
    raw.close()
    now = datetime.now(UTC).isoformat(sep=" ")
    raw = sqlite3.connect(path, isolation_level=None)
    for n in (1, 2, 3):
        raw.execute("INSERT INTO problem (text, reference, created) VALUES (?, ?, ?)",
                    (f"Problem {n} about marbles", str(n), now))
        raw.execute("INSERT INTO step_set (problem_id, version, steps_json, origin, created) "
                    "VALUES (?, 1, '[\"Count the marbles.\"]', 'teacher', ?)", (n, now))
        raw.execute("INSERT INTO attempt (problem_id, step_set_id, student_model, host, mode, "
                    "status, output, verdict, created) VALUES (?, ?, 's', 'h', 'steps', "
                    "'finished', ?, 'correct', ?)", (n, n, f"reply {n} with pebbles", now))
        raw.execute("INSERT INTO human_answer (problem_id, answer, verdict, created) "
                    "VALUES (?, ?, 'correct', ?)", (n, str(n), now))
    before = {t: raw.execute(f"SELECT * FROM {t} ORDER BY id").fetchall()
              for t in ("problem", "step_set", "attempt", "human_answer")}
    raw.close()
    store = HistoryStore(path)  # upgrades to the latest version
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == migrations.LATEST
    for table, rows in before.items():  # later versions may add columns after these
        after = db.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()
        assert [row[:len(rows[0])] for row in after] == rows, table
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    # Search, the step index and the reply queue still work on the rebuilt tables.
    assert [p.id for p in store.list_problems(query="marbles count pebbles")] == [3, 2, 1]
    # Deleting the newest problem still cascades, and its id is not handed out again.
    assert store.delete_problem(3)
    assert db.execute("SELECT count(*) FROM attempt WHERE problem_id = 3").fetchone() == (0,)
    assert store.list_problems(query="pebbles 3") == []
    fresh = store.add_problem("A new problem", "4")
    assert fresh.id == 4
    attempt = store.start_attempt(problem_id=fresh.id, step_set_id=None, student_model="s",
                                  host="h", mode=Mode.BASELINE, prompt_name="b", prompt_hash="x")
    assert attempt == 4  # attempt 3 went with problem 3
    store.finish_attempt(attempt, status=AttemptStatus.FINISHED, output="four")
    assert [p.id for p in store.list_problems(query="four")] == [4]
    store.close()


def test_attempts_are_listed_in_the_order_they_started(tmp_path):
    from datetime import timedelta

    from tot_tui.domain import AttemptStatus, Mode, Verdict

    store = HistoryStore(tmp_path / "h.db")
    problem = store.add_problem("Two plus two?", "4")
    start = datetime.now(UTC)
    identity = dict(problem_id=problem.id, step_set_id=None, host="h", prompt_name="p",
                    prompt_hash="x")
    # Compare: the baseline started second but finished (and was written) first.
    store.add_attempt(**identity, student_model="baseline", mode=Mode.BASELINE,
                      created=start + timedelta(milliseconds=5), status=AttemptStatus.FINISHED,
                      output="5", verdict=Verdict.INCORRECT)
    store.add_attempt(**identity, student_model="steps", mode=Mode.STEPS, created=start,
                      status=AttemptStatus.FINISHED, output="4", verdict=Verdict.CORRECT)
    detail = store.problem_detail(problem.id)
    assert [a.student_model for a in detail.attempts] == ["steps", "baseline"]
    assert store.list_problems()[0].last_verdict is Verdict.INCORRECT  # the last to start
    store.close()


def test_upgrade_to_version_7_keeps_step_sets_and_records_where_edited_steps_came_from(
        tmp_path):
    path = tmp_path / "v6.db"
    raw = sqlite3.connect(path, isolation_level=None)
    migrations.upgrade(raw, target=6)
    now = datetime.now(UTC).isoformat(sep=" ")
    raw.execute("INSERT INTO problem (text, created) VALUES ('Count the marbles.', ?)", (now,))
    raw.execute("INSERT INTO step_set (problem_id, version, steps_json, origin, created) "
                "VALUES (1, 1, '[\"a\", \"b\"]', 'teacher', ?)", (now,))
    raw.close()
    store = HistoryStore(path)
    old = store.problem_detail(1).step_sets[0]
    assert old.steps == ["a", "b"] and old.origins is None and old.base_id is None
    edited = store.add_step_set(1, ["b", "a!", "c"], StepOrigin.EDITED, parent_id=old.id,
                                origins=[1, 0, None], base_id=old.id)
    again = store.problem_detail(1).step_sets[-1]
    assert (edited.origins, again.origins, again.base_id) == ([1, 0, None],) * 2 + (old.id,)
    store.close()


def test_a_search_matching_more_problems_than_sqlite_takes_variables(tmp_path):
    from sqlalchemy import event

    store = HistoryStore(tmp_path / "big.db")
    # SQLite's default build takes 32,766 variables; this one is told 999 (fewer rows to make).
    limit = 999
    event.listen(store.engine, "connect", lambda conn, _record: conn.setlimit(
        sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, limit))
    store.engine.dispose()
    raw = sqlite3.connect(tmp_path / "big.db", isolation_level=None)
    now = datetime.now(UTC).isoformat(sep=" ")
    raw.execute("BEGIN")
    raw.executemany("INSERT INTO problem (text, created) VALUES (?, ?)",
                    ((f"Sam has {n} apples. How many apples?", now) for n in range(limit + 50)))
    raw.execute("COMMIT")
    raw.close()
    found = store.list_problems(query="apples how", limit=5)
    assert len(found) == 5 and all("apples" in p.text for p in found)
    assert store.list_problems(query="apples zebra") == []
    assert store.list_problems(query="?!") == []
    store.close()


def test_a_data_directory_whose_path_looks_like_a_url(tmp_path):
    # `?` and `%41` are file-name characters here, not a query string or an escape.
    for name in ("what?mode=ro", "a%41b", "sp ace#x"):
        folder = tmp_path / name
        store = HistoryStore(folder / "history.sqlite3")
        problem = store.add_problem("What is 2 + 2?", "4")
        assert store.problem_detail(problem.id) is not None
        store.close()
        assert (folder / "history.sqlite3").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a%41b", "sp ace#x", "what?mode=ro"]


def test_concurrent_writers_of_one_new_text_make_one_problem(tmp_path):
    import threading

    path = tmp_path / "shared.db"
    stores = [HistoryStore(path) for _ in range(20)]  # 20 writers, a connection each
    start = threading.Barrier(len(stores))
    ids: list[int] = []

    def add(store: HistoryStore) -> None:
        start.wait()
        ids.append(store.add_problem("Ann has 3 pens and buys 4 more. How many pens?").id)

    threads = [threading.Thread(target=add, args=(store,)) for store in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for store in stores:
        store.close()
    assert len(ids) == 20 and len(set(ids)) == 1
    db = sqlite3.connect(path)
    assert db.execute("SELECT COUNT(*) FROM problem").fetchone() == (1,)


def test_a_stored_reference_is_kept_unless_replacing_it_is_asked_for(tmp_path):
    store = HistoryStore(tmp_path / "ref.db")
    first = store.add_problem("What is 6 * 7?", "42", "typed")
    kept = store.add_problem("What is 6 * 7?", "41", "dataset:x")
    assert kept.id == first.id and kept.reference == "42" and kept.replaced_reference is None
    changed = store.add_problem("What is 6 * 7?", "43", "typed", replace_reference=True)
    assert changed.reference == "43" and changed.replaced_reference == "42"
    assert store.problem_detail(first.id).problem.reference == "43"
    store.close()


def test_search_finds_words_of_scripts_written_without_spaces(tmp_path):
    store = HistoryStore(tmp_path / "zh.db")
    apples = store.add_problem("小明有5个苹果，又买了7个。他现在有多少个苹果？", "12")
    store.add_problem("A train travels 120 km.", "60")
    store.add_step_set(apples.id, ["把两个数相加。"], StepOrigin.TEACHER)
    assert [p.id for p in store.list_problems(query="苹果")] == [apples.id]
    assert [p.id for p in store.list_problems(query="相加")] == [apples.id]  # in a step
    assert store.list_problems(query="香蕉") == []
    assert store.list_problems(query="100%_") == []  # LIKE's wildcards are literal
    store.close()
