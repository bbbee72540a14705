"""The headless CLI, run as a real process against the fake server."""

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

from tests.conftest import STUDENT, TEACHER, closed_port
from tot_tui.fake_ollama import FakeOllama, Reply

PROBLEM = "Tom has 5 apples and buys 7 more. How many apples does he have?"
STEPS = ["Add the 7 apples he buys to the 5 he has."]


def run_cli(*args: str, stdin: str | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tot_tui", *args], input=stdin,
                          capture_output=True, text=True, timeout=timeout, env=dict(os.environ))


def script(fake, answer: str = "12") -> None:
    fake.reply(TEACHER, Reply(text=json.dumps({"steps": STEPS})))
    fake.reply(STUDENT, Reply(text=f"5 + 7 = {answer}.\nFinal answer: {answer}"))


def test_solve_json(fake, monkeypatch):
    monkeypatch.setenv("OLLAMA_HOST", fake.url)
    script(fake)
    proc = run_cli("solve", PROBLEM, "--answer", "12", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["problem"] == PROBLEM and out["reference"] == "12"
    assert out["steps"] == STEPS and out["verdict"] == "correct"
    assert out["student_answer"] == "12" and out["student_output"].endswith("Final answer: 12")
    assert out["teacher_model"] == TEACHER and out["student_model"] == STUDENT
    assert isinstance(out["attempt_id"], int) and out["verdict_reason"]


def test_solve_plain_text_streams_steps_and_verdict(fake, monkeypatch):
    monkeypatch.setenv("OLLAMA_HOST", fake.url)
    script(fake, answer="13")
    proc = run_cli("solve", PROBLEM, "--answer", "12")
    assert proc.returncode == 0, proc.stderr
    assert f"1. {STEPS[0]}" in proc.stdout
    assert "Final answer: 13" in proc.stdout and "Verdict: incorrect" in proc.stdout


def test_solve_reads_stdin_and_steps_file(fake, monkeypatch, tmp_path: Path):
    monkeypatch.setenv("OLLAMA_HOST", fake.url)
    script(fake)
    steps_file = tmp_path / "steps.txt"
    steps_file.write_text("1. Count the apples he has.\n2. Add the new ones.\n")
    proc = run_cli("solve", "-", "--answer", "12", "--steps-file", str(steps_file), "--json",
                   stdin=PROBLEM)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["steps"] == ["Count the apples he has.", "Add the new ones."]
    assert out["teacher_model"] is None  # no teacher was asked
    assert [r.body["model"] for r in fake.requests if r.path == "/api/chat"] == [STUDENT]


def test_server_down_exits_3_naming_the_url(monkeypatch):
    url = f"http://127.0.0.1:{closed_port()}"
    monkeypatch.setenv("OLLAMA_HOST", url)
    proc = run_cli("solve", PROBLEM, "--json")
    assert proc.returncode == 3
    assert url in proc.stderr and "ollama serve" in proc.stderr and proc.stdout == ""


def test_missing_model_exits_3_naming_the_model(fake, monkeypatch):
    monkeypatch.setenv("OLLAMA_HOST", fake.url)
    proc = run_cli("solve", PROBLEM, "--student", "nosuch:1b", "--no-steps")
    assert proc.returncode == 3
    assert "ollama pull nosuch:1b" in proc.stderr


def test_empty_problem_is_a_usage_error():
    proc = run_cli("solve", "   ")
    assert proc.returncode == 2 and "empty" in proc.stderr


def test_unknown_option_is_a_usage_error():
    assert run_cli("solve", PROBLEM, "--bogus").returncode == 2


def test_history_lists_what_was_solved(fake, monkeypatch):
    monkeypatch.setenv("OLLAMA_HOST", fake.url)
    script(fake)
    assert run_cli("solve", PROBLEM, "--answer", "12").returncode == 0
    proc = run_cli("history", "--json")
    rows = json.loads(proc.stdout)
    assert [(r["problem"], r["last_verdict"], r["attempts"]) for r in rows] == [
        (PROBLEM, "correct", 1)]
    assert "apples" in run_cli("history", "--search", "apple").stdout
    assert run_cli("history", "--search", "zebra", "--json").stdout.strip() == "[]"
    assert run_cli("history", "--search", "zebra").stdout.startswith("Nothing matches 'zebra'")
    # The steps and the student's reply are searched too.
    assert "add" not in PROBLEM.lower() and "final" not in PROBLEM.lower()
    for word in ("add", "final"):
        assert "apples" in run_cli("history", "--search", word).stdout, word


def test_export_formats(fake, monkeypatch, tmp_path: Path):
    monkeypatch.setenv("OLLAMA_HOST", fake.url)
    script(fake)
    run_cli("solve", PROBLEM, "--answer", "12")
    md = run_cli("export", "--format", "markdown").stdout
    assert PROBLEM in md and "Steps v1" in md
    data = json.loads(run_cli("export", "-f", "json").stdout)
    assert data[0]["attempts"][0]["verdict"] == "correct"
    target = tmp_path / "out.csv"
    assert run_cli("export", "-f", "csv", "-o", str(target)).returncode == 0
    assert target.read_text().splitlines()[0].startswith("problem_id,problem,reference")


def test_locate_prints_overridable_paths(tmp_path: Path):
    proc = run_cli("locate", "--data-dir", str(tmp_path / "elsewhere"))
    assert str(tmp_path / "elsewhere" / "history.sqlite3") in proc.stdout
    assert str(tmp_path / "config" / "config.toml") in proc.stdout


def test_models_and_pull(fake, monkeypatch):
    monkeypatch.setenv("OLLAMA_HOST", fake.url)
    fake.add_pullable("llama3.2:3b", size=2_019_393_189, steps=4)
    listing = json.loads(run_cli("models", "--json").stdout)
    assert {m["name"] for m in listing[0]["models"]} == {TEACHER, STUDENT}
    proc = run_cli("pull", "llama3.2:3b")
    assert proc.returncode == 0 and "success" in proc.stderr
    assert "llama3.2:3b" in fake.models
    assert run_cli("pull", "nosuch:9b").returncode in (3, 4)


def test_kill_9_mid_stream_keeps_committed_rows(fake, monkeypatch, tmp_path: Path):
    monkeypatch.setenv("OLLAMA_HOST", fake.url)
    fake.reply(TEACHER, Reply(text=json.dumps({"steps": STEPS})))
    long_answer = " ".join(f"word{i}" for i in range(2000)) + "\nFinal answer: 12"
    fake.reply(STUDENT, Reply(text=long_answer, chunk_delay=0.01))
    proc = subprocess.Popen([sys.executable, "-m", "tot_tui", "solve", PROBLEM, "-a", "12"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ))
    db_path = tmp_path / "data" / "history.sqlite3"
    deadline = time.monotonic() + 60
    partial = ""
    while time.monotonic() < deadline and len(partial) < 200:  # wait for a checkpoint
        time.sleep(0.1)
        if db_path.exists():
            try:
                row = sqlite3.connect(db_path).execute("SELECT output FROM attempt").fetchone()
            except sqlite3.OperationalError:
                row = None
            partial = row[0] if row else ""
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    db = sqlite3.connect(db_path)
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert db.execute("SELECT text FROM problem").fetchall() == [(PROBLEM,)]
    assert db.execute("SELECT count(*) FROM step_set").fetchone() == (1,)
    status, output = db.execute("SELECT status, output FROM attempt").fetchone()
    assert status == "running" and output.startswith("word0 word1") and len(output) >= 200
    # The next start notices the dead writer and marks the attempt interrupted, text intact.
    rows = json.loads(run_cli("history", "--json").stdout)
    assert rows[0]["attempts"] == 1
    status, output_after = db.execute("SELECT status, output FROM attempt").fetchone()
    assert status == "interrupted" and output_after == output


def test_csv_export_defuses_formulas(fake, monkeypatch):
    monkeypatch.setenv("OLLAMA_HOST", fake.url)
    fake.reply(STUDENT, Reply(text="Final answer: =HYPERLINK(\"http://x\")"))
    run_cli("solve", PROBLEM, "--answer", "-12", "--no-steps")
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(run_cli("export", "-f", "csv").stdout)))
    assert rows[0]["answer"] == "'=HYPERLINK(\"http://x\")"
    assert rows[0]["reference"] == "-12"  # a plain number is no formula: left as it is


def test_json_output_escapes_terminal_controls(fake, monkeypatch):
    monkeypatch.setenv("OLLAMA_HOST", fake.url)
    fake.reply(STUDENT, Reply(text="\x1b[2J\u009b31m wiped\nFinal answer: 12"))
    proc = run_cli("solve", PROBLEM, "--answer", "12", "--no-steps", "--json")
    assert "\x1b" not in proc.stdout and "\u009b" not in proc.stdout
    assert json.loads(proc.stdout)["student_output"].startswith("\x1b[2J\u009b31m")


def test_a_damaged_history_file_is_a_clear_error(tmp_path: Path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "history.sqlite3").write_bytes(b"this is not sqlite" * 100)
    proc = run_cli("history")
    assert proc.returncode == 4
    assert "history.sqlite3" in proc.stderr and "--data-dir" in proc.stderr
    assert "Traceback" not in proc.stderr


# -- issue 15: what a new user and a fault probe hit ----------------------------------------

def run_into_closed_pipe(*args: str) -> subprocess.CompletedProcess:
    """`tot-tui ARGS | head -0`: the reader is gone before the first line is written."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run([sys.executable, "-m", "tot_tui", *args], stdout=write_end,
                              stderr=subprocess.PIPE, text=True, timeout=60, env=dict(os.environ))
    finally:
        os.close(write_end)


def test_a_closed_pipe_ends_quietly(fake, monkeypatch):
    monkeypatch.setenv("OLLAMA_HOST", fake.url)
    for args in (("history", "--json"), ("models", "--json"), ("history",), ("models",)):
        proc = run_into_closed_pipe(*args)
        assert proc.returncode == 141, (args, proc.stderr)
        assert proc.stderr == "", args


def test_usage_and_input_errors_are_exit_2_with_a_sentence(fake, monkeypatch, tmp_path: Path):
    monkeypatch.setenv("OLLAMA_HOST", fake.url)
    for limit in ("0", "-1", "x"):
        proc = run_cli("history", "--limit", limit)
        assert proc.returncode == 2 and "--limit" in proc.stderr, limit
    script(fake)
    assert run_cli("solve", PROBLEM, "--answer", "12").returncode == 0
    proc = run_cli("export", "999", "1")
    assert proc.returncode == 2 and "No problem #999" in proc.stderr and proc.stdout == ""
    target = tmp_path / "no" / "such" / "dir" / "x.json"
    proc = run_cli("export", "-f", "json", "-o", str(target))
    assert proc.returncode == 2 and "does not exist" in proc.stderr
    assert "Unexpected" not in proc.stderr and not target.exists()
    (tmp_path / "blocked.json").mkdir()  # a folder where the file should go
    proc = run_cli("export", "-f", "json", "-o", str(tmp_path / "blocked.json"))
    assert proc.returncode == 2 and "Cannot write" in proc.stderr


def test_solve_checks_both_models_before_asking_the_teacher(fake, monkeypatch):
    monkeypatch.setenv("OLLAMA_HOST", fake.url)
    script(fake)
    proc = run_cli("solve", PROBLEM, "--answer", "12", "--student", "nosuch:1b")
    assert proc.returncode == 3 and "nosuch:1b" in proc.stderr
    assert not [r for r in fake.requests if r.path == "/api/chat"]  # the teacher never asked


HOSTILE = "\x1b]0;pwned\x07\x1b[2J\x1b]52;c;aGk=\x07"


def test_server_text_never_reaches_the_terminal_raw(monkeypatch):
    with FakeOllama(version="0.6.0" + HOSTILE) as hostile:
        hostile.add_model(TEACHER)
        hostile.add_model("evil" + HOSTILE + ":1b", parameter_size=HOSTILE,
                          quantization=HOSTILE)
        hostile.add_model(STUDENT)
        hostile.add_pullable("llama3.2:3b", statuses=["pulling " + HOSTILE])
        hostile.reply(TEACHER, Reply(text=json.dumps({"steps": STEPS})))
        hostile.reply(STUDENT, Reply(http_error=(500, "boom " + HOSTILE)))
        monkeypatch.setenv("OLLAMA_HOST", hostile.url)
        runs = [run_cli("models"), run_cli("models", "--json"), run_cli("pull", "llama3.2:3b"),
                run_cli("solve", PROBLEM, "--answer", "12")]
    assert "evil" in runs[0].stdout and "pulling" in runs[2].stderr
    assert "boom" in runs[3].stderr
    for proc in runs:
        for stream in (proc.stdout, proc.stderr):
            assert "\x1b" not in stream and "\x07" not in stream


def test_a_read_only_history_can_be_browsed_and_exported(fake, monkeypatch, tmp_path: Path):
    # A read-only mount (in a mount namespace of its own): root ignores file permissions.
    import shutil

    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare for a read-only mount")
    monkeypatch.setenv("OLLAMA_HOST", fake.url)
    script(fake)
    assert run_cli("solve", PROBLEM, "--answer", "12").returncode == 0
    data = tmp_path / "data"

    def read_only(*args: str) -> subprocess.CompletedProcess:
        import shlex

        inner = shlex.join([sys.executable, "-m", "tot_tui", *args])
        script_ = (f"mount --bind {shlex.quote(str(data))} {shlex.quote(str(data))} && "
                   f"mount -o remount,bind,ro {shlex.quote(str(data))} && exec {inner}")
        return subprocess.run(["unshare", "-m", "sh", "-c", script_], capture_output=True,
                              text=True, timeout=60, env=dict(os.environ))

    probe = read_only("locate")
    if probe.returncode != 0:
        pytest.skip(f"no read-only mount here: {probe.stderr.strip()}")
    listed = read_only("history", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [r["problem"] for r in json.loads(listed.stdout)] == [PROBLEM]
    exported = read_only("export", "-f", "json")
    assert exported.returncode == 0 and json.loads(exported.stdout)[0]["problem"]["text"] == \
        PROBLEM
    solved = read_only("solve", "A new problem: 1 + 1?", "--answer", "2")
    assert solved.returncode != 0 and "read-only" in solved.stderr
    assert "Unexpected" not in solved.stderr and "SQL" not in solved.stderr


def test_ctrl_c_during_the_teacher_says_what_was_kept_and_a_second_one_is_quiet(fake,
                                                                                 monkeypatch):
    monkeypatch.setenv("OLLAMA_HOST", fake.url)
    slow = json.dumps({"steps": [f"Step {n}: add the apples." for n in range(60)]})
    fake.reply(TEACHER, Reply(text=slow, chunk_delay=0.05))
    for presses in (1, 2):
        proc = subprocess.Popen([sys.executable, "-m", "tot_tui", "solve", PROBLEM, "-a", "12"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=dict(os.environ))
        deadline = time.monotonic() + 30
        while fake.active_streams == 0:  # the teacher is writing
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.01)
        for _ in range(presses):
            proc.send_signal(signal.SIGINT)
            time.sleep(0.05)
        _out, err = proc.communicate(timeout=30)
        assert proc.returncode == 130, (presses, err)
        assert "Traceback" not in err, err
        assert "what arrived so far was saved" not in err
        if presses == 1:
            assert "steps the teacher had not finished are not" in err


def test_an_attempt_keeps_its_reference_and_regrade_uses_the_new_one(fake, monkeypatch):
    monkeypatch.setenv("OLLAMA_HOST", fake.url)
    script(fake, answer="12")
    first = json.loads(run_cli("solve", PROBLEM, "-a", "13", "--json").stdout)
    assert first["verdict"] == "incorrect"
    second = json.loads(run_cli("solve", PROBLEM, "-a", "12", "--json").stdout)
    assert second["verdict"] == "correct"  # the typed reference replaced the old one
    export = json.loads(run_cli("export", "-f", "json").stdout)[0]
    assert export["problem"]["reference"] == "12"
    assert [a["reference"] for a in export["attempts"]] == ["13", "12"]
    assert [a["verdict"] for a in export["attempts"]] == ["incorrect", "correct"]
    proc = run_cli("regrade", str(first["problem_id"]))
    assert proc.returncode == 0 and "2 attempts graded again, 1 verdict changed" in proc.stdout
    export = json.loads(run_cli("export", "-f", "json").stdout)[0]
    assert [a["verdict"] for a in export["attempts"]] == ["correct", "correct"]
    assert [a["reference"] for a in export["attempts"]] == ["12", "12"]
