"""Schema versions as ordered upgrade steps, tracked in `PRAGMA user_version`.

Never edit a released step: append a new one. Each step runs in one transaction, so a crash
mid-upgrade leaves the database at the previous version.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

V1 = """
CREATE TABLE problem (
    id INTEGER PRIMARY KEY,
    text TEXT NOT NULL,
    reference TEXT,
    reference_source TEXT,
    created TIMESTAMP NOT NULL
);
CREATE INDEX ix_problem_created ON problem(created);
CREATE TABLE step_set (
    id INTEGER PRIMARY KEY,
    problem_id INTEGER NOT NULL REFERENCES problem(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    steps_json TEXT NOT NULL,
    origin TEXT NOT NULL,
    parent_id INTEGER REFERENCES step_set(id) ON DELETE SET NULL,
    model TEXT,
    prompt_name TEXT,
    prompt_hash TEXT,
    raw_output TEXT,
    created TIMESTAMP NOT NULL
);
CREATE INDEX ix_step_set_problem ON step_set(problem_id);
CREATE TABLE eval_run (
    id INTEGER PRIMARY KEY,
    dataset TEXT NOT NULL,
    config_json TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL DEFAULT 'running',
    created TIMESTAMP NOT NULL,
    finished TIMESTAMP
);
CREATE TABLE attempt (
    id INTEGER PRIMARY KEY,
    problem_id INTEGER NOT NULL REFERENCES problem(id) ON DELETE CASCADE,
    step_set_id INTEGER REFERENCES step_set(id) ON DELETE SET NULL,
    eval_run_id INTEGER REFERENCES eval_run(id) ON DELETE SET NULL,
    student_model TEXT NOT NULL,
    host TEXT NOT NULL DEFAULT '',
    mode TEXT NOT NULL,
    status TEXT NOT NULL,
    output TEXT NOT NULL DEFAULT '',
    answer TEXT,
    verdict TEXT NOT NULL DEFAULT 'unknown',
    verdict_reason TEXT NOT NULL DEFAULT '',
    reference_norm TEXT NOT NULL DEFAULT '',
    answer_norm TEXT NOT NULL DEFAULT '',
    prompt_name TEXT NOT NULL DEFAULT '',
    prompt_hash TEXT NOT NULL DEFAULT '',
    prompt_tokens INTEGER,
    output_tokens INTEGER,
    total_ns INTEGER,
    load_ns INTEGER,
    prompt_eval_ns INTEGER,
    eval_ns INTEGER,
    done_reason TEXT,
    error TEXT,
    pid INTEGER,
    created TIMESTAMP NOT NULL,
    finished TIMESTAMP
);
CREATE INDEX ix_attempt_problem ON attempt(problem_id);
CREATE INDEX ix_attempt_eval_run ON attempt(eval_run_id);
CREATE TABLE human_answer (
    id INTEGER PRIMARY KEY,
    problem_id INTEGER NOT NULL REFERENCES problem(id) ON DELETE CASCADE,
    answer TEXT NOT NULL,
    verdict TEXT NOT NULL,
    verdict_reason TEXT NOT NULL DEFAULT '',
    hints_shown INTEGER NOT NULL DEFAULT 0,
    created TIMESTAMP NOT NULL
);
"""

# Full-text search over problems and their references, kept in sync by triggers.
V2 = """
CREATE VIRTUAL TABLE problem_fts USING fts5(
    text, reference, content='problem', content_rowid='id', tokenize='unicode61'
);
INSERT INTO problem_fts(rowid, text, reference) SELECT id, text, reference FROM problem;
CREATE TRIGGER problem_ai AFTER INSERT ON problem BEGIN
    INSERT INTO problem_fts(rowid, text, reference) VALUES (new.id, new.text, new.reference);
END;
CREATE TRIGGER problem_ad AFTER DELETE ON problem BEGIN
    INSERT INTO problem_fts(problem_fts, rowid, text, reference)
        VALUES ('delete', old.id, old.text, old.reference);
END;
CREATE TRIGGER problem_au AFTER UPDATE ON problem BEGIN
    INSERT INTO problem_fts(problem_fts, rowid, text, reference)
        VALUES ('delete', old.id, old.text, old.reference);
    INSERT INTO problem_fts(rowid, text, reference) VALUES (new.id, new.text, new.reference);
END;
"""


# Batch evaluation (tot_tui.evaluate): which dataset item each problem of a run is, and what the
# teacher cost for it. Attempts already carry the run id; (run, problem, student, mode) plus this
# table tell a resumed run which items are finished, even when two items share a problem text.
EVAL_ITEM = """
CREATE TABLE eval_item (
    run_id INTEGER NOT NULL REFERENCES eval_run(id) ON DELETE CASCADE,
    item_index INTEGER NOT NULL,
    problem_id INTEGER NOT NULL REFERENCES problem(id) ON DELETE CASCADE,
    step_set_id INTEGER REFERENCES step_set(id) ON DELETE SET NULL,
    teacher_reused INTEGER,
    teacher_ms INTEGER,
    teacher_chunks INTEGER,
    teacher_error TEXT,
    PRIMARY KEY (run_id, item_index)
);
CREATE INDEX ix_eval_item_problem ON eval_item(problem_id);
"""


# Full-text search over step versions and settled replies, so the history's search box finds a
# problem by what the teacher, a tutor or the student wrote. A reply is indexed once it has its
# final status: the checkpoints written while it streams are not (they would re-index it twice
# a second).
SEARCH_STEPS_AND_REPLIES = """
CREATE VIRTUAL TABLE step_fts USING fts5(steps, tokenize='unicode61');
INSERT INTO step_fts(rowid, steps) SELECT id, steps_json FROM step_set;
CREATE TRIGGER step_set_fts_ai AFTER INSERT ON step_set BEGIN
    INSERT INTO step_fts(rowid, steps) VALUES (new.id, new.steps_json);
END;
CREATE TRIGGER step_set_fts_ad AFTER DELETE ON step_set BEGIN
    DELETE FROM step_fts WHERE rowid = old.id;
END;
CREATE TRIGGER step_set_fts_au AFTER UPDATE OF steps_json ON step_set BEGIN
    DELETE FROM step_fts WHERE rowid = old.id;
    INSERT INTO step_fts(rowid, steps) VALUES (new.id, new.steps_json);
END;
CREATE VIRTUAL TABLE reply_fts USING fts5(output, tokenize='unicode61');
INSERT INTO reply_fts(rowid, output)
    SELECT id, output FROM attempt WHERE status != 'running' AND output != '';
CREATE TRIGGER attempt_fts_ai AFTER INSERT ON attempt WHEN new.status != 'running' BEGIN
    INSERT INTO reply_fts(rowid, output) VALUES (new.id, COALESCE(new.output, ''));
END;
CREATE TRIGGER attempt_fts_au AFTER UPDATE OF status, output ON attempt
WHEN new.status != 'running' BEGIN
    DELETE FROM reply_fts WHERE rowid = old.id;
    INSERT INTO reply_fts(rowid, output) VALUES (new.id, COALESCE(new.output, ''));
END;
CREATE TRIGGER attempt_fts_ad AFTER DELETE ON attempt BEGIN
    DELETE FROM reply_fts WHERE rowid = old.id;
END;
"""


# Replies are indexed when a search needs them, not as each one finishes: tokenizing a long
# reply costs about a millisecond, paid after every answer (and by every item of a batch run)
# though most are never searched. A trigger notes the settled reply in a small queue, in the
# same transaction as the reply, and the search works the queue off first (see
# `HistoryStore.index_pending_replies`). A crash in between loses nothing.
REPLY_INDEX_ON_SEARCH = """
DROP TRIGGER attempt_fts_ai;
DROP TRIGGER attempt_fts_au;
DROP TRIGGER attempt_fts_ad;
CREATE TABLE reply_fts_pending (attempt_id INTEGER PRIMARY KEY);
CREATE TRIGGER attempt_fts_ai AFTER INSERT ON attempt WHEN new.status != 'running' BEGIN
    INSERT OR IGNORE INTO reply_fts_pending(attempt_id) VALUES (new.id);
END;
CREATE TRIGGER attempt_fts_au AFTER UPDATE OF status, output ON attempt
WHEN new.status != 'running' BEGIN
    INSERT OR IGNORE INTO reply_fts_pending(attempt_id) VALUES (new.id);
END;
CREATE TRIGGER attempt_fts_ad AFTER DELETE ON attempt BEGIN
    DELETE FROM reply_fts WHERE rowid = old.id;
    DELETE FROM reply_fts_pending WHERE attempt_id = old.id;
END;
"""


def _ids_never_reused(conn: sqlite3.Connection) -> None:
    """Problems, step sets, attempts and human answers get AUTOINCREMENT ids: without it SQLite
    hands a deleted newest row's id to the next row, and a problem or attempt id that an export
    or a note mentions could come to mean another one. SQLite cannot add AUTOINCREMENT to a
    table, so each is rebuilt (its documented way: new table, copy, drop, rename), with its
    indexes and triggers made again. Foreign keys are not enforced on this connection, so the
    drop cascades nowhere; the rows keep their ids, so every reference and index stays right."""
    if conn.execute("PRAGMA foreign_keys").fetchone()[0]:  # the drop would cascade
        raise sqlite3.DatabaseError("foreign keys must be off while tables are rebuilt")
    for table in ("problem", "step_set", "attempt", "human_answer"):
        (create,) = conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone()
        extras = [sql for (sql,) in conn.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger') "
            "AND sql IS NOT NULL ORDER BY rowid", (table,))]
        body = create.split("(", 1)[1]
        if "id INTEGER PRIMARY KEY," not in body:
            raise sqlite3.DatabaseError(f"unexpected definition of the {table} table")
        body = body.replace("id INTEGER PRIMARY KEY,", "id INTEGER PRIMARY KEY AUTOINCREMENT,", 1)
        conn.execute(f"CREATE TABLE {table}_new ({body}")
        conn.execute(f"INSERT INTO {table}_new SELECT * FROM {table}")
        conn.execute(f"DROP TABLE {table}")
        conn.execute(f"ALTER TABLE {table}_new RENAME TO {table}")
        for sql in extras:
            conn.execute(sql)


def _script(sql: str) -> Callable[[sqlite3.Connection], None]:
    def run(conn: sqlite3.Connection) -> None:
        statement = ""
        for line in sql.splitlines(keepends=True):
            statement += line
            # complete_statement keeps a trigger body (with its inner `;`) in one piece.
            if sqlite3.complete_statement(statement):
                conn.execute(statement)
                statement = ""
    return run


# Which step of the base version (a teacher's) each step of an edited version came from, so a
# moved and edited step is not taken for a new one (the steps panel tracks it as you edit).
STEP_ORIGINS = """
ALTER TABLE step_set ADD COLUMN origins_json TEXT;
ALTER TABLE step_set ADD COLUMN base_id INTEGER REFERENCES step_set(id) ON DELETE SET NULL;
"""

# add_problem looks a text up on every solve and every eval item: an index, not a scan.
PROBLEM_TEXT_INDEX = """
CREATE INDEX ix_problem_text ON problem(text);
"""

# Who owns an eval run (one process at a time) and which process streams an attempt, by a
# token that survives pid reuse (tot_tui/store/owner.py).
OWNERS = """
ALTER TABLE eval_run ADD COLUMN owner TEXT;
ALTER TABLE attempt ADD COLUMN owner TEXT;
"""

# The reference each attempt was graded against (the problem's may change later).
ATTEMPT_REFERENCE = """
ALTER TABLE attempt ADD COLUMN reference TEXT;
"""

# Every open looks for attempts a dead process left `running`: a partial index holds just
# those (the query must say `status = 'running'` literally for SQLite to use it). The list's
# per-problem figures read attempts and step sets by problem; its filters by verdict and model.
HISTORY_AT_SCALE = """
CREATE INDEX ix_attempt_running ON attempt(id) WHERE status = 'running';
CREATE INDEX ix_attempt_problem_verdict ON attempt(problem_id, verdict);
CREATE INDEX ix_attempt_student ON attempt(student_model, problem_id);
CREATE INDEX ix_step_set_model ON step_set(model, problem_id);
"""

# One search document per problem (its text and reference, every step version, every settled
# reply), so that a search is one full-text query whose rows are problems: with an index per
# kind of text, each word's matches had to be mapped from attempts to problems and merged
# (a common word in 100,000 replies: a fifth of a second). A trigger queues the problem whose
# text changed; `HistoryStore.index_pending` rewrites the queued documents in the background,
# and a search reads the queued problems' own text meanwhile. Every problem starts queued.
SEARCH_BY_PROBLEM = """
DROP TRIGGER problem_ai;
DROP TRIGGER problem_ad;
DROP TRIGGER problem_au;
DROP TRIGGER step_set_fts_ai;
DROP TRIGGER step_set_fts_ad;
DROP TRIGGER step_set_fts_au;
DROP TRIGGER attempt_fts_ai;
DROP TRIGGER attempt_fts_au;
DROP TRIGGER attempt_fts_ad;
DROP TABLE problem_fts;
DROP TABLE step_fts;
DROP TABLE reply_fts;
DROP TABLE reply_fts_pending;
CREATE VIRTUAL TABLE search_fts USING fts5(problem, steps, replies, tokenize='unicode61');
CREATE TABLE search_pending (problem_id INTEGER PRIMARY KEY);
INSERT INTO search_pending(problem_id) SELECT id FROM problem;
CREATE TRIGGER search_problem_ai AFTER INSERT ON problem BEGIN
    INSERT OR IGNORE INTO search_pending(problem_id) VALUES (new.id);
END;
CREATE TRIGGER search_problem_au AFTER UPDATE OF text, reference ON problem BEGIN
    INSERT OR IGNORE INTO search_pending(problem_id) VALUES (new.id);
END;
CREATE TRIGGER search_problem_ad AFTER DELETE ON problem BEGIN
    DELETE FROM search_fts WHERE rowid = old.id;
    DELETE FROM search_pending WHERE problem_id = old.id;
END;
CREATE TRIGGER search_step_set_ai AFTER INSERT ON step_set BEGIN
    INSERT OR IGNORE INTO search_pending(problem_id) VALUES (new.problem_id);
END;
CREATE TRIGGER search_step_set_au AFTER UPDATE OF steps_json ON step_set BEGIN
    INSERT OR IGNORE INTO search_pending(problem_id) VALUES (new.problem_id);
END;
CREATE TRIGGER search_step_set_ad AFTER DELETE ON step_set BEGIN
    INSERT OR IGNORE INTO search_pending(problem_id) VALUES (old.problem_id);
END;
CREATE TRIGGER search_attempt_ai AFTER INSERT ON attempt WHEN new.status != 'running' BEGIN
    INSERT OR IGNORE INTO search_pending(problem_id) VALUES (new.problem_id);
END;
CREATE TRIGGER search_attempt_au AFTER UPDATE OF status, output ON attempt
WHEN new.status != 'running' BEGIN
    INSERT OR IGNORE INTO search_pending(problem_id) VALUES (new.problem_id);
END;
CREATE TRIGGER search_attempt_ad AFTER DELETE ON attempt BEGIN
    INSERT OR IGNORE INTO search_pending(problem_id) VALUES (old.problem_id);
END;
"""

# Equation-of-Thought: how an equations, program or ensemble attempt reached its answer, and
# the teacher's equations for a problem with the value the solver found (a reference).
EQUATIONS = """
ALTER TABLE attempt ADD COLUMN detail_json TEXT;
CREATE TABLE equation_set (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    problem_id INTEGER NOT NULL REFERENCES problem(id) ON DELETE CASCADE,
    model TEXT,
    prompt_name TEXT,
    prompt_hash TEXT,
    raw_output TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    value TEXT,
    reason TEXT NOT NULL DEFAULT '',
    compared_with TEXT,
    agrees BOOLEAN,
    created TIMESTAMP NOT NULL
);
CREATE INDEX ix_equation_set_problem ON equation_set(problem_id);
"""

# The seed a student answer was asked with: tells the K samples of an eval item apart whatever
# order they finished in, and makes a run repeatable from its history.
ATTEMPT_SEED = """
ALTER TABLE attempt ADD COLUMN seed INTEGER;
"""

# Backends other than Ollama and thinking models: usage in neutral names (Ollama's
# prompt_eval/eval become prompt/generate; the queue wait apart, estimated for old rows as what
# the server's total leaves after its parts), the teacher's usage and reasoning kept with its
# steps, how the steps were asked for, and which backend kind served each reply.
NEUTRAL_USAGE = """
ALTER TABLE attempt RENAME COLUMN prompt_eval_ns TO prompt_ns;
ALTER TABLE attempt RENAME COLUMN eval_ns TO generate_ns;
ALTER TABLE attempt ADD COLUMN queue_ns INTEGER;
UPDATE attempt SET queue_ns = MAX(0, total_ns - COALESCE(load_ns, 0) - COALESCE(prompt_ns, 0)
                                  - COALESCE(generate_ns, 0))
WHERE total_ns IS NOT NULL AND generate_ns IS NOT NULL;
ALTER TABLE attempt ADD COLUMN thinking TEXT;
ALTER TABLE attempt ADD COLUMN backend TEXT;
ALTER TABLE step_set ADD COLUMN prompt_tokens INTEGER;
ALTER TABLE step_set ADD COLUMN output_tokens INTEGER;
ALTER TABLE step_set ADD COLUMN total_ns INTEGER;
ALTER TABLE step_set ADD COLUMN load_ns INTEGER;
ALTER TABLE step_set ADD COLUMN prompt_ns INTEGER;
ALTER TABLE step_set ADD COLUMN generate_ns INTEGER;
ALTER TABLE step_set ADD COLUMN done_reason TEXT;
ALTER TABLE step_set ADD COLUMN queue_ns INTEGER;
ALTER TABLE step_set ADD COLUMN thinking TEXT;
ALTER TABLE step_set ADD COLUMN backend TEXT;
ALTER TABLE step_set ADD COLUMN structured TEXT;
ALTER TABLE step_set ADD COLUMN notice TEXT;
"""

# UPGRADES[i] takes a database from version i to version i + 1.
UPGRADES: list[Callable[[sqlite3.Connection], None]] = [
    _script(V1),  # problems, step sets, attempts, human answers, eval runs
    _script(V2),  # full-text search over problems
    _script(EVAL_ITEM),  # batch evaluation items
    _script(SEARCH_STEPS_AND_REPLIES),  # full-text search over steps and replies
    _script(REPLY_INDEX_ON_SEARCH),  # replies indexed when a search needs them
    _ids_never_reused,  # AUTOINCREMENT ids
    _script(STEP_ORIGINS),  # where each edited step came from
    _script(PROBLEM_TEXT_INDEX),  # problems found by their text
    _script(OWNERS),  # eval runs and attempts know their process
    _script(ATTEMPT_REFERENCE),  # the reference an attempt was graded against
    _script(HISTORY_AT_SCALE),  # indexes for the open, the list and its filters
    _script(SEARCH_BY_PROBLEM),  # one search document per problem
    _script(EQUATIONS),  # equations and programs: attempt details, the teacher's equations
    _script(ATTEMPT_SEED),  # the seed each answer was asked with
    _script(NEUTRAL_USAGE),  # usage in neutral names; teacher usage, reasoning, backends
]
LATEST = len(UPGRADES)


class StoreError(Exception):
    """The history database cannot be used; the message says which file and what to do."""


class SchemaTooNew(StoreError):
    pass


class ProblemGone(StoreError):
    """A write for a problem that was deleted meanwhile."""


def upgrade(conn: sqlite3.Connection, target: int = LATEST) -> int:
    """Bring the database to `target`; returns the version it was at before."""
    before = int(conn.execute("PRAGMA user_version").fetchone()[0])
    # Steps may rebuild tables; with foreign keys enforced, dropping the old one would delete
    # the rows that refer to it. (Only settable outside a transaction, hence here.)
    conn.execute("PRAGMA foreign_keys = OFF")
    while True:
        # The version is read inside the write lock: two processes opening an old database at
        # once must not both run the same step.
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if version > LATEST:
                raise SchemaTooNew(
                    f"The history database is from a newer tot-tui (schema {version}, this "
                    f"version knows {LATEST}). Upgrade tot-tui, or use another --data-dir.")
            if version >= target:
                conn.execute("COMMIT")
                return before
            UPGRADES[version](conn)
            conn.execute(f"PRAGMA user_version = {version + 1}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
