"""A run killed mid-way (SIGKILL, Ctrl+C) resumes to the same numbers, redoing nothing finished."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import STUDENT, TEACHER
from tests.evaluate.scripted import script, write_dataset
from tests.evaluate.test_eval_cli import truth
from tot_tui import cli

ITEMS = 10
STABLE = ("student", "mode", "correct", "total", "accuracy", "ci_low", "ci_high", "unknown",
          "missing", "output_tokens", "prompt_tokens")


def eval_process(data_dir: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tot_tui", "eval", "--data-dir", str(data_dir), "--json", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))


def start_eval(data: Path, data_dir: Path, *extra: str) -> subprocess.Popen[str]:
    return eval_process(data_dir, "--dataset", str(data), "-j", "2", *extra)


def finished_count(db_path: Path) -> int:
    if not db_path.exists():
        return 0
    try:
        db = sqlite3.connect(db_path, timeout=5)
        try:
            row = db.execute("SELECT COUNT(*) FROM attempt WHERE status = 'finished'").fetchone()
            return row[0]
        finally:
            db.close()
    except sqlite3.OperationalError:  # tables not created yet
        return 0


def wait_for(db_path: Path, n: int, proc: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while finished_count(db_path) < n:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the run made no progress"
        time.sleep(0.02)


def kill_mid_run(data: Path, data_dir: Path, after: int) -> None:
    """Start an eval run and SIGKILL it once `after` attempts have finished."""
    proc = start_eval(data, data_dir)
    try:
        wait_for(data_dir / "history.sqlite3", after, proc)
    finally:
        proc.kill()
        proc.wait()


def stable(report: dict) -> tuple[list, list]:
    return ([{k: r[k] for k in STABLE} for r in report["results"]], report["gains"])


def no_triple_twice(db_path: Path, run_id: int) -> None:
    db = sqlite3.connect(db_path)
    rows = db.execute("SELECT problem_id, student_model, mode, COUNT(*) FROM attempt "
                      "WHERE eval_run_id = ? AND status = 'finished' "
                      "GROUP BY problem_id, student_model, mode", (run_id,)).fetchall()
    assert len(rows) == ITEMS * 3 and all(r[3] == 1 for r in rows)
    assert db.execute("SELECT COUNT(*) FROM attempt WHERE status = 'running'").fetchone() == (0,)


@pytest.fixture
def uninterrupted(fake, config, tmp_path, capsys) -> dict:
    data = write_dataset(tmp_path / "tiny.jsonl", ITEMS)
    script(fake, TEACHER, [STUDENT], truth, chunk_delay=0.01, padding=12)
    code = cli.main(["eval", "--quiet", "--json", "--dataset", str(data), "-j", "2",
                     "--data-dir", str(tmp_path / "reference")])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def test_sigkill_then_resume_equals_an_uninterrupted_run(fake, config, tmp_path, capsys,
                                                         uninterrupted):
    data = tmp_path / "tiny.jsonl"
    data_dir = tmp_path / "killed"
    db_path = data_dir / "history.sqlite3"
    kill_mid_run(data, data_dir, 8)
    before = finished_count(db_path)
    assert 8 <= before < ITEMS * 3
    db = sqlite3.connect(db_path)
    (run_id,) = db.execute("SELECT id FROM eval_run").fetchone()

    code = cli.main(["eval", "--quiet", "--json", "--resume", str(run_id),
                     "--data-dir", str(data_dir)])
    out, err = capsys.readouterr()
    assert code == 0, err
    resumed = json.loads(out)
    assert resumed["complete"] and resumed["status"] == "finished"
    assert stable(resumed) == stable(uninterrupted)
    no_triple_twice(db_path, run_id)
    # Only unfinished work was sent again: the student requests after the kill make up the rest.
    assert finished_count(db_path) == ITEMS * 3


def test_ctrl_c_stops_cleanly_and_resume_finishes(fake, config, tmp_path, capsys,
                                                  uninterrupted):
    data = tmp_path / "tiny.jsonl"
    data_dir = tmp_path / "interrupted"
    db_path = data_dir / "history.sqlite3"
    proc = start_eval(data, data_dir)
    try:
        wait_for(db_path, 6, proc)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "--resume 1" in err
    db = sqlite3.connect(db_path)
    assert db.execute("SELECT status FROM eval_run").fetchone() == ("interrupted",)
    # The cancelled requests were closed as interrupted, not left running.
    assert db.execute("SELECT COUNT(*) FROM attempt WHERE status = 'running'").fetchone() == (0,)
    partial = json.loads((data_dir / "evals" / "run-1" / "report.json").read_text())
    assert not partial["complete"]

    code = cli.main(["eval", "--quiet", "--json", "--resume", "1", "--data-dir", str(data_dir)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert stable(json.loads(out)) == stable(uninterrupted)
    no_triple_twice(db_path, 1)


def test_resume_of_a_finished_run_sends_nothing(fake, config, tmp_path, capsys, uninterrupted):
    fake.clear_requests()
    code = cli.main(["eval", "--quiet", "--json", "--resume", str(uninterrupted["run_id"]),
                     "--data-dir", str(tmp_path / "reference")])
    out, _ = capsys.readouterr()
    assert code == 0
    assert stable(json.loads(out)) == stable(uninterrupted)
    assert not [r for r in fake.requests if r.path == "/api/chat"]


def test_two_resumes_at_once_one_runs_the_other_is_refused(fake, config, tmp_path, capsys,
                                                           uninterrupted):
    # A run killed mid-way, then resumed twice at once: one owns it and finishes it, the other
    # is refused with exit 2 and sends nothing; no triple is done twice.
    data = tmp_path / "tiny.jsonl"
    data_dir = tmp_path / "killed"
    db_path = data_dir / "history.sqlite3"
    kill_mid_run(data, data_dir, 6)
    (run_id,) = sqlite3.connect(db_path).execute("SELECT id FROM eval_run").fetchone()
    def resume() -> subprocess.Popen[str]:
        return eval_process(data_dir, "--resume", str(run_id), "--quiet")

    # The first resume slower than before, so it is surely alive when the second starts.
    script(fake, TEACHER, [STUDENT], truth, chunk_delay=0.03, padding=12)
    first = resume()
    deadline = time.monotonic() + 60
    while not sqlite3.connect(db_path).execute(
            "SELECT owner FROM eval_run WHERE id = ?", (run_id,)).fetchone()[0]:
        assert first.poll() is None and time.monotonic() < deadline, first.communicate()
        time.sleep(0.02)
    resumes = [first, resume()]
    results = [p.communicate(timeout=120) for p in resumes]
    codes = sorted(p.returncode for p in resumes)
    assert codes == [0, 2], results
    refused = next(err for p, (_, err) in zip(resumes, results, strict=True) if p.returncode)
    assert f"Eval run {run_id} is in use by process" in refused
    no_triple_twice(db_path, run_id)
    # Over now: a third resume finds it free (and finished: it sends nothing).
    again = resume()
    assert again.wait(timeout=120) == 0, again.communicate()
