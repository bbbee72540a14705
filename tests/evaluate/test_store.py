"""The evaluator's schema step and queries."""

from __future__ import annotations

import json
import sqlite3

import pytest

from tests.conftest import STUDENT, TEACHER
from tests.evaluate.scripted import script, write_dataset
from tests.evaluate.test_eval_cli import run_eval, truth
from tot_tui.fake_ollama import Reply
from tot_tui.store import eval_runs, migrations
from tot_tui.store.history import HistoryStore


def test_a_database_from_before_the_evaluator_is_upgraded(tmp_path):
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    migrations.upgrade(conn, target=2)
    conn.execute("INSERT INTO problem (text, reference, created) "
                 "VALUES ('1+1?', '2', '2026-01-01')")
    conn.close()
    store = HistoryStore(path)
    try:
        version = sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0]
        assert version == migrations.LATEST >= 3
        run_id = store.create_eval_run("gsm8k", {"indices": [5]})
        eval_runs.link_item(store, run_id, 5, 1)
        eval_runs.link_item(store, run_id, 5, 1)  # idempotent
        assert eval_runs.run_problem_ids(store, run_id) == [1]
        assert store.problem_detail(1).problem.text == "1+1?"
        assert store.delete_problem(1)  # the item row goes with its problem
        assert eval_runs.run_items(store, run_id) == {}
    finally:
        store.close()


def test_list_runs_for_the_history(fake, config, tmp_path, capsys):
    data = write_dataset(tmp_path / "tiny.jsonl", 4)
    script(fake, TEACHER, [STUDENT], truth)
    assert run_eval(capsys, "--dataset", str(data), "--modes", "baseline")[0] == 0
    store = HistoryStore(config.paths.database)
    try:
        (run,) = eval_runs.list_runs(store)
        assert (run.id, run.status, run.items, run.attempts, run.correct) == (1, "finished", 4,
                                                                              4, 3)
        assert run.dataset == str(data.resolve()) and run.created and run.finished
        assert run.config["modes"] == ["baseline"]
        owner = store.engine.connect().exec_driver_sql(
            "SELECT owner FROM eval_run WHERE id = 1").scalar()
        assert owner is None  # released when the run ended
        assert len(eval_runs.run_problem_ids(store, 1)) == 4
    finally:
        store.close()


def test_teacher_without_steps_fails_only_its_items(fake, config, tmp_path, capsys):
    data = write_dataset(tmp_path / "tiny.jsonl", 3)
    script(fake, TEACHER, [STUDENT], truth)
    fake.reply(TEACHER, Reply(text="   "), when="Item 1:")
    code, out, err = run_eval(capsys, "--dataset", str(data), "--json", "--retries", "0",
                              "--modes", "baseline,tot")
    assert code == 4 and "failed" in err
    report = json.loads(out)
    tot = report["results"][1]
    assert (tot["mode"], tot["total"], tot["missing"], tot["failed"]) == ("tot", 2, 1, 1)
    assert report["teacher"]["steps_failed"] == 1 and report["teacher"]["steps_new"] == 2
    assert "teacher gave no steps" in report["errors"][0]["message"]
    assert report["results"][0]["total"] == 3  # the baseline is unaffected



def test_a_run_has_one_owner_at_a_time_and_a_reused_pid_is_no_owner(fake, config, tmp_path):
    import os

    from tot_tui.store.owner import process_token

    store = HistoryStore(config.paths.database)
    try:
        run_id = store.create_eval_run("gsm8k", {"indices": [0]})
        live = process_token()
        host, pid, start = live.split(":", 2)
        # A live process (this one) that is not the owner: same pid, another start.
        reused = f"{host}:{pid}:{start}-before-a-reboot"
        dead = f"{host}:{2 ** 22 + 7}:x"  # no such pid
        other_host = f"elsewhere.example:{pid}:{start}"
        for owner, free in ((reused, True), (dead, True), (other_host, False)):
            with store.engine.begin() as conn:
                conn.exec_driver_sql("UPDATE eval_run SET owner = ? WHERE id = ?",
                                     (owner, run_id))
            if free:
                eval_runs.claim(store, run_id)
            else:
                with pytest.raises(eval_runs.RunInUse, match=r"elsewhere\.example"):
                    eval_runs.claim(store, run_id)
                eval_runs.claim(store, run_id, take_over=True)
        eval_runs.release(store, run_id)
        assert os.getpid() == int(pid)
    finally:
        store.close()
