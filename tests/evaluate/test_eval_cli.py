"""`tot-tui eval` end to end against the fake Ollama: the report equals the scripted truth."""

from __future__ import annotations

import json
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import STUDENT, TEACHER
from tests.evaluate.scripted import answer, script, write_dataset
from tot_tui import cli
from tot_tui.evaluate.stats import relative_gain, wilson
from tot_tui.fake_ollama import Reply

STUDENT_B = "qwen2.5:0.5b"

# Item k (0..7). Baseline right on 0, 1, 2; CoT on 0..3; steps on 0..5 but not on 1 (broken).
RIGHT = {"baseline": {0, 1, 2}, "cot": {0, 1, 2, 3}, "tot": {0, 2, 3, 4, 5}}


def truth(k: int, student: str, mode: str) -> bool:
    if student == STUDENT_B:  # the second student: right on even items in every mode but cot
        return k % 2 == 0 and mode != "cot"
    return k in RIGHT[mode]


def run_eval(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(["eval", "--quiet", *args])
    out, err = capsys.readouterr()
    return code, out, err


def chats(fake, model: str) -> list:
    return [r for r in fake.requests if r.path == "/api/chat" and r.body["model"] == model]


def test_report_equals_the_scripted_truth(fake, config, tmp_path, capsys):
    data = write_dataset(tmp_path / "tiny.jsonl", 8)
    script(fake, TEACHER, [STUDENT], truth)
    code, out, err = run_eval(capsys, "--dataset", str(data), "--json", "-j", "3")
    assert code == 0, err
    report = json.loads(out)
    assert report["items"] == 8 and report["complete"] and report["status"] == "finished"
    assert report["dataset"] == str(data.resolve())
    results = {r["mode"]: r for r in report["results"]}
    assert list(results) == ["baseline", "cot", "tot"]
    for mode, right in RIGHT.items():
        r = results[mode]
        assert (r["student"], r["correct"], r["total"]) == (STUDENT, len(right), 8)
        assert r["accuracy"] == len(right) / 8
        assert (r["ci_low"], r["ci_high"]) == wilson(len(right), 8)
        assert r["missing"] == 0 and r["unknown"] == 0
        assert r["output_tokens"] > 0 and r["server_seconds"] > 0
    (gain,) = report["gains"]
    assert gain["student"] == STUDENT
    assert gain["relative_gain"] == pytest.approx((5 / 8 - 3 / 8) / (3 / 8))
    assert gain["relative_gain"] == relative_gain(5 / 8, 3 / 8)
    assert gain["relative_gain_over_cot"] == relative_gain(5 / 8, 4 / 8)
    assert (gain["fixed"], gain["broken"]) == ([3, 4, 5], [1])
    assert (gain["fixed_over_cot"], gain["broken_over_cot"]) == ([4, 5], [1])
    assert report["teacher"]["model"] == TEACHER and report["teacher"]["steps_new"] == 8

    # Every attempt is in the history under the run, one finished attempt per triple.
    db = sqlite3.connect(config.paths.database)
    rows = db.execute("SELECT mode, verdict, eval_run_id, problem_id FROM attempt "
                      "WHERE status = 'finished'").fetchall()
    assert len(rows) == 24 and {r[2] for r in rows} == {report["run_id"]}
    assert len({(r[0], r[3]) for r in rows}) == 24
    assert db.execute("SELECT status FROM eval_run").fetchall() == [("finished",)]
    assert db.execute("SELECT COUNT(*) FROM eval_item").fetchone()[0] == 8
    refs = db.execute("SELECT reference, reference_source FROM problem ORDER BY id").fetchall()
    assert refs[0] == (str(answer(0)), "dataset:tiny.jsonl")

    # The files: Markdown, JSON (same numbers) and an SVG chart.
    files = {k: Path(v) for k, v in report["files"].items()}
    assert files["json"].parent == config.paths.data_dir / "evals" / f"run-{report['run_id']}"
    saved = json.loads(files["json"].read_text())
    assert saved["results"] == report["results"] and saved["gains"] == report["gains"]
    md = files["markdown"].read_text()
    assert "| `llama3.2:1b` | ToT (steps) | 5 | 8 | 62.5% |" in md
    assert "+66.7%" in md and "fixed 3, 4, 5; broken 1" in md
    svg = ET.parse(files["chart"]).getroot()
    assert svg.tag.endswith("svg")
    assert len([e for e in svg.iter() if e.tag.endswith("rect")]) >= 1 + 3 + 3  # bg, bars, legend


def test_human_output_is_a_table_and_the_paths(fake, config, tmp_path, capsys):
    data = write_dataset(tmp_path / "tiny.jsonl", 4)
    script(fake, TEACHER, [STUDENT], truth)
    code, out, _ = run_eval(capsys, "--dataset", str(data), "--modes", "baseline,tot",
                            "--output", str(tmp_path / "out"))
    assert code == 0
    assert "baseline" in out and "3/4" in out and "75.0%" in out
    assert "+0.0% over baseline (fixed 1, broke 1)" in out  # 3/4 vs 3/4: fixed 3, broke 1
    assert f"markdown:  {tmp_path / 'out' / 'report.md'}" in out
    assert (tmp_path / "out" / "accuracy.svg").exists()


def test_several_students_share_one_teacher_run(fake, config, tmp_path, capsys):
    data = write_dataset(tmp_path / "tiny.jsonl", 6)
    script(fake, TEACHER, [STUDENT, STUDENT_B], truth)
    code, out, err = run_eval(capsys, "--dataset", str(data), "--json", "-j", "4",
                              "--student", STUDENT, "--student", STUDENT_B)
    assert code == 0, err
    report = json.loads(out)
    assert len(chats(fake, TEACHER)) == 6  # once per item, not per student
    got = {(r["student"], r["mode"]): (r["correct"], r["total"]) for r in report["results"]}
    assert got[(STUDENT_B, "baseline")] == (3, 6) and got[(STUDENT_B, "cot")] == (0, 6)
    assert got[(STUDENT_B, "tot")] == (3, 6) and got[(STUDENT, "tot")] == (5, 6)
    gains = {g["student"]: g for g in report["gains"]}
    assert gains[STUDENT_B]["relative_gain"] == 0.0
    assert gains[STUDENT_B]["relative_gain_over_cot"] is None  # cot accuracy is 0

    # A later run with the same teacher and prompt reuses the stored steps.
    code, out, _ = run_eval(capsys, "--dataset", str(data), "--json", "--modes", "tot",
                            "--student", STUDENT_B)
    assert code == 0
    again = json.loads(out)
    assert len(chats(fake, TEACHER)) == 6
    assert again["teacher"]["steps_reused"] == 6 and again["teacher"]["steps_new"] == 0
    assert again["run_id"] == report["run_id"] + 1


def test_concurrency_reaches_k_and_no_more(fake, config, tmp_path, capsys):
    data = write_dataset(tmp_path / "tiny.jsonl", 8)
    script(fake, TEACHER, [STUDENT], truth, chunk_delay=0.02, padding=6)
    code, _, err = run_eval(capsys, "--dataset", str(data), "-j", "4")
    assert code == 0, err
    assert fake.max_concurrent == 4


def test_per_model_limit(fake, config, tmp_path, capsys):
    data = write_dataset(tmp_path / "tiny.jsonl", 6)
    script(fake, TEACHER, [STUDENT], truth, chunk_delay=0.02, padding=6)
    code, _, err = run_eval(capsys, "--dataset", str(data), "-j", "4", "--per-model", "1",
                            "--modes", "baseline,cot")
    assert code == 0, err
    assert fake.max_concurrent == 1  # one model, one request at a time


def test_duplicate_problem_texts_are_separate_items(fake, config, tmp_path, capsys):
    data = write_dataset(tmp_path / "dup.jsonl", 4, duplicates=[(1, 3)])
    script(fake, TEACHER, [STUDENT], truth)
    code, out, _ = run_eval(capsys, "--dataset", str(data), "--json", "--modes", "baseline,tot")
    assert code == 0
    report = json.loads(out)
    # Item 3 is item 1's text: baseline right on 0, 1, 2, 3(=1); steps right on 0, 2.
    results = {r["mode"]: (r["correct"], r["total"]) for r in report["results"]}
    assert results == {"baseline": (4, 4), "tot": (2, 4)}
    assert report["gains"][0]["broken"] == [1, 3]
    assert len(chats(fake, TEACHER)) == 3  # one step set per distinct text


def test_transient_error_is_retried(fake, config, tmp_path, capsys):
    data = write_dataset(tmp_path / "tiny.jsonl", 3)
    script(fake, TEACHER, [STUDENT], truth)
    fake.reply(STUDENT, Reply(text="Final answer: 1", error_after=2), times=1)
    code, out, err = run_eval(capsys, "--dataset", str(data), "--json", "--modes", "baseline",
                              "-j", "1")
    assert code == 0, err
    (result,) = json.loads(out)["results"]
    assert (result["correct"], result["total"]) == (3, 3)
    db = sqlite3.connect(config.paths.database)
    assert db.execute("SELECT status, COUNT(*) FROM attempt GROUP BY status").fetchall() == [
        ("finished", 3), ("interrupted", 1)]


def test_persistent_failure_exits_4_and_resume_redoes_it(fake, config, tmp_path, capsys):
    data = write_dataset(tmp_path / "tiny.jsonl", 3)
    script(fake, TEACHER, [STUDENT], truth)
    broken = fake.reply(STUDENT, Reply(text="Final", error_after=1),
                        when=lambda body: "Item 2:" in str(body["messages"][-1]["content"]))
    code, out, err = run_eval(capsys, "--dataset", str(data), "--json", "--modes", "baseline",
                              "--retries", "1")
    assert code == 4 and "--resume" in err
    report = json.loads(out)
    assert report["status"] == "incomplete" and not report["complete"]
    (result,) = report["results"]
    assert (result["correct"], result["total"], result["missing"]) == (2, 2, 1)
    assert report["errors"][0]["index"] == 2

    broken.times = 0  # the server recovers
    code, out, err = run_eval(capsys, "--resume", str(report["run_id"]), "--json")
    assert code == 0, err
    (result,) = json.loads(out)["results"]
    assert (result["correct"], result["total"], result["missing"]) == (3, 3, 0)


def test_unreachable_server_exits_3_before_creating_a_run(config, tmp_path, capsys,
                                                          monkeypatch):
    from tests.conftest import closed_port

    monkeypatch.setenv("OLLAMA_HOST", f"http://127.0.0.1:{closed_port()}")
    data = write_dataset(tmp_path / "tiny.jsonl", 2)
    code, _, err = run_eval(capsys, "--dataset", str(data))
    assert code == 3 and "ollama serve" in err


def test_missing_model_exits_3(fake, config, tmp_path, capsys):
    data = write_dataset(tmp_path / "tiny.jsonl", 2)
    code, _, err = run_eval(capsys, "--dataset", str(data), "--student", "nope:1b")
    assert code == 3 and "ollama pull nope:1b" in err


def test_server_dying_mid_run_stops_with_3_and_resume_finishes(fake, config, tmp_path, capsys):
    import threading

    data = write_dataset(tmp_path / "tiny.jsonl", 8)
    script(fake, TEACHER, [STUDENT], truth, chunk_delay=0.01, padding=10)
    started = threading.Event()

    def watch() -> None:  # stop the server once a few attempts are through
        while len(chats(fake, STUDENT)) < 6:
            started.wait(0.01)
        fake.stop()

    threading.Thread(target=watch, daemon=True).start()
    code, out, err = run_eval(capsys, "--dataset", str(data), "--json", "-j", "2")
    assert code == 3, err
    assert "Cannot reach the Ollama server" in err or "closed" in err
    report = json.loads(out)
    assert report["status"] == "interrupted" and not report["complete"]
    db = sqlite3.connect(config.paths.database)
    assert db.execute("SELECT status FROM eval_run").fetchone() == ("interrupted",)

    fake.start()  # same port
    code, out, err = run_eval(capsys, "--resume", str(report["run_id"]), "--json")
    assert code == 0, err
    final = json.loads(out)
    assert final["complete"] and final["status"] == "finished"
    assert {r["mode"]: r["correct"] for r in final["results"]} == {
        m: len(v) for m, v in RIGHT.items()}
    dupes = db.execute("SELECT problem_id, mode, COUNT(*) FROM attempt WHERE status='finished' "
                       "GROUP BY problem_id, mode HAVING COUNT(*) > 1").fetchall()
    assert dupes == []


@pytest.mark.parametrize(("args", "message"), [
    (["--dataset", "nope"], "Unknown dataset"),
    (["--modes", "baseline,magic"], "unknown mode"),
    (["--resume", "99"], "no eval run 99"),
    (["--resume", "1", "--limit", "3"], "drop --limit"),
    (["--limit", "0"], "--limit"),
    (["-j", "0"], "--concurrency"),
])
def test_usage_errors_exit_2(config, capsys, args, message):
    code, _, err = run_eval(capsys, *args)
    assert code == 2 and message in err


def test_custom_fields_and_missing_field(fake, config, tmp_path, capsys):
    path = tmp_path / "custom.jsonl"
    path.write_text("\n".join(json.dumps({"q": f"Item {k}: add 10 and {k}.", "gold": 10 + k})
                              for k in range(3)) + "\n")
    code, _, err = run_eval(capsys, "--dataset", str(path))
    assert code == 2 and "--question-field" in err
    script(fake, TEACHER, [STUDENT], truth)
    code, out, err = run_eval(capsys, "--dataset", str(path), "--question-field", "q",
                              "--answer-field", "gold", "--modes", "baseline", "--json")
    assert code == 0, err
    assert json.loads(out)["results"][0]["correct"] == 3


def test_paper_setting_gsm8k_first_200(fake, config, capsys):
    """The acceptance command: `--dataset gsm8k --limit 200 --modes baseline,tot` reports the
    exact truth scripted into the server, in JSON and in Markdown."""
    from tot_tui.evaluate import datasets
    from tot_tui.fake_ollama.reply import last_user_text

    items = datasets.load("gsm8k").items[:200]
    by_text = {item.question: item for item in items}

    def right(index: int, mode: str) -> bool:  # steps fix index % 4 == 1, break index % 4 == 2
        return index % 4 in ((0, 2) if mode == "baseline" else (0, 1))

    def student(body: dict) -> Reply:
        text = last_user_text(body)
        item = next(i for q, i in by_text.items() if q in text)
        mode = "tot" if "use these steps as a plan" in text.lower() else "baseline"
        value = int(item.answer) + (0 if right(item.index, mode) else 1)
        return Reply(text=f"Let me see.\nFinal answer: {value:,}")

    fake.reply(TEACHER, Reply(text=json.dumps({"steps": ["Read the problem.", "Compute it."]})))
    fake.reply(STUDENT, student)
    code, out, err = run_eval(capsys, "--dataset", "gsm8k", "--limit", "200",
                              "--modes", "baseline,tot", "--json", "-j", "6")
    assert code == 0, err
    report = json.loads(out)
    assert (report["dataset"], report["items"]) == ("gsm8k", 200)
    assert report["selection"]["indices"] == list(range(200))
    base, tot = report["results"]
    assert (base["mode"], base["correct"], base["total"]) == ("baseline", 100, 200)
    assert (tot["mode"], tot["correct"], tot["total"]) == ("tot", 100, 200)
    assert (base["ci_low"], base["ci_high"]) == wilson(100, 200)
    (gain,) = report["gains"]
    assert gain["relative_gain"] == 0.0
    assert gain["fixed"] == list(range(1, 200, 4)) and gain["broken"] == list(range(2, 200, 4))
    assert len(chats(fake, TEACHER)) == 200 and len(chats(fake, STUDENT)) == 400
    md = Path(report["files"]["markdown"]).read_text()
    assert "| `llama3.2:1b` | baseline | 100 | 200 | 50.0% | 43.1–56.9% | 0 | 0 |" in md
    assert "tot-tui eval --dataset gsm8k --limit 200 --modes baseline,tot" in md


def test_items_no_resume_can_fix_are_not_offered_a_resume(fake, config, tmp_path, capsys):
    data = write_dataset(tmp_path / "bad.jsonl", 3)
    lines = data.read_text().splitlines()
    lines[1] = json.dumps({"question": "x" * 25_000, "answer": "#### 1"})  # too long to send
    data.write_text("\n".join(lines) + "\n")
    script(fake, TEACHER, [STUDENT], truth)
    code, _out, err = run_eval(capsys, "--dataset", str(data), "--modes", "baseline")
    assert code == 4
    assert "1 attempt cannot run" in err and "retry" not in err and "eval --resume" not in err
