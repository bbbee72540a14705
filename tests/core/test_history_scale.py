"""The history at scale: pages, one statement per page, indexes used, streamed exports."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from tot_tui.domain import AttemptStatus, Mode, StepOrigin, Verdict
from tot_tui.store import listing
from tot_tui.store.history import HistoryStore
from tot_tui.tutor import export


def _fill(store: HistoryStore, n: int) -> list[int]:
    """`n` problems, each with a teacher step set and attempts whose verdicts vary."""
    ids = []
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(n):
        p = store.add_problem(f"Problem number {i}: how many apples?", str(i))
        ids.append(p.id)
        steps = store.add_step_set(p.id, [f"Count the apples of {i}."], StepOrigin.TEACHER,
                                   model="teach" if i % 2 else "teach2")
        for j, verdict in enumerate([Verdict.CORRECT, Verdict.INCORRECT][: 1 + i % 2]):
            store.add_attempt(problem_id=p.id, step_set_id=steps.id,
                              student_model=f"stud{i % 3}", host="h", mode=Mode.STEPS,
                              prompt_name="s", prompt_hash="h", status=AttemptStatus.FINISHED,
                              output=f"reply {i}.{j}", answer=str(i), verdict=verdict,
                              # the same start for several: the id must break the tie
                              created=start + timedelta(minutes=i // 3))
    return ids


@pytest.fixture
def store(tmp_path):
    s = HistoryStore(tmp_path / "h.db")
    yield s
    s.close()


def test_pages_cover_every_problem_once_newest_first(store):
    ids = _fill(store, 23)
    seen, page = [], store.list_problems(limit=5)
    while page:
        seen += page
        last = page[-1]
        page = store.list_problems(limit=5, after=(last.created, last.id))
    assert [p.id for p in seen] == sorted(ids, reverse=True)  # created in id order here
    assert store.count_problems() == 23
    # Each row's figures, computed per row of the page.
    by_id = {p.id: p for p in seen}
    one, two = by_id[ids[0]], by_id[ids[1]]
    assert (one.attempts, one.correct, one.last_verdict) == (1, 1, Verdict.CORRECT)
    assert (two.attempts, two.correct, two.last_verdict) == (2, 1, Verdict.INCORRECT)
    assert one.teacher_models == ["teach2"] and one.student_models == ["stud0"]


def test_filters_page_and_count_alike(store):
    ids = _fill(store, 12)
    odd = sorted(ids[1::2], reverse=True)  # the ones with an incorrect attempt
    assert [p.id for p in store.list_problems(verdict=Verdict.INCORRECT)] == odd
    assert store.count_problems(verdict=Verdict.INCORRECT) == len(odd)
    first = store.list_problems(verdict=Verdict.INCORRECT, limit=2)
    rest = store.list_problems(verdict=Verdict.INCORRECT, after=(first[-1].created,
                                                                 first[-1].id))
    assert [p.id for p in first + rest] == odd
    # A model as teacher or as student.
    assert [p.id for p in store.list_problems(model="teach")] == odd
    assert {p.id for p in store.list_problems(model="stud1")} == set(ids[1::3])
    assert store.problem_ids(model="stud1") == sorted(ids[1::3], reverse=True)
    assert store.model_names() == ["stud0", "stud1", "stud2", "teach", "teach2"]
    assert store.count_problems(query="apples 7") == 1


def test_a_search_finds_unindexed_replies_without_indexing_them(store, tmp_path):
    _fill(store, 4)
    db = sqlite3.connect(tmp_path / "h.db")
    pending = db.execute("SELECT COUNT(*) FROM search_pending").fetchone()[0]
    assert pending == 4
    assert len(store.list_problems(query="reply")) == 4
    assert db.execute("SELECT COUNT(*) FROM search_pending").fetchone()[0] == pending
    assert store.index_pending(batch=3) == 4
    assert len(store.list_problems(query="reply")) == 4


def test_the_open_and_the_list_use_indexes(store, tmp_path):
    """Query plans, not timings: the running attempts and a page's figures are index look-ups,
    never a scan of the attempt table, and a page is one statement."""
    _fill(store, 3)
    db = sqlite3.connect(tmp_path / "h.db")
    plan = db.execute("EXPLAIN QUERY PLAN SELECT * FROM attempt "
                      "WHERE attempt.status = 'running'").fetchall()
    assert "ix_attempt_running" in str(plan)
    for filters in ({"verdict": Verdict.CORRECT}, {"model": "stud1"}, {"query": "apples"}):
        statements: list[str] = []
        db.set_trace_callback(statements.append)
        assert listing.page(db, limit=50, **filters)
        db.set_trace_callback(None)
        pages = [s for s in statements if "FROM problem" in s]
        assert len(pages) == 1, statements  # one statement for the whole page
        # The trace has the values written in: the statement explains as it ran.
        plan = str(db.execute("EXPLAIN QUERY PLAN " + pages[0]).fetchall())
        assert "SCAN attempt" not in plan and "SCAN step_set" not in plan, plan


def test_details_come_in_the_order_asked_skipping_missing(store):
    ids = _fill(store, 7)
    got = list(store.iter_details([ids[5], 999, ids[0], ids[3]], batch=2))
    assert [d.problem.id for d in got] == [ids[5], ids[0], ids[3]]
    assert [a.output for a in got[0].attempts] == ["reply 5.0", "reply 5.1"]
    assert got[1].step_sets[0].steps == ["Count the apples of 0."]


@pytest.mark.parametrize("fmt", ["json", "markdown", "csv"])
def test_a_streamed_export_is_the_whole_export(store, fmt):
    ids = _fill(store, 5)
    details = list(store.iter_details(ids))
    pieces = list(export.pieces(iter(details), fmt))
    assert len(pieces) >= len(details)  # written a problem at a time
    whole = "".join(pieces)
    if fmt == "json":
        assert whole == json.dumps([export._plain(d) for d in details], indent=2,
                                   ensure_ascii=False) + "\n"
    elif fmt == "markdown":
        assert whole.startswith("# tot-tui history\n\n## Problem 1 ")
        assert whole.count("## Problem ") == 5 and whole.count("### Attempt ") == 7
    else:
        assert whole.splitlines()[0].startswith("problem_id,problem,")
        assert len(whole.splitlines()) == 1 + 7
    assert export.render([], "json") == "[]\n"
