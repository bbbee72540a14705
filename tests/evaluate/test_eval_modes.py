"""`tot-tui eval` with every mode (baseline, tot, eot, pot, ensemble) and the protocol presets,
end to end against the fake Ollama: the report equals the scripted truth, and a preset sends the
paper's prompts byte for byte."""

from __future__ import annotations

import json
import sqlite3
from math import comb

import pytest

from tests.conftest import STUDENT, TEACHER
from tests.evaluate.scripted import answer, question, script, write_dataset
from tot_tui import cli
from tot_tui.fake_ollama import Reply

# Item k (0..9): which modes get it right. The ensemble asks tot, eot and pot; its truth is
# the majority of the three (a wrong answer is always off by one, so wrong ones agree too).
RIGHT = {"baseline": {0, 1, 2}, "tot": {0, 2, 3, 4, 5, 6}, "eot": {0, 1, 3, 5, 7, 8},
         "pot": {0, 3, 4, 9}, "cot": set()}
ITEMS = range(10)


def truth(k: int, student: str, mode: str) -> bool:
    return k in RIGHT[mode]


def ensemble_right(k: int) -> bool:
    return sum(k in RIGHT[m] for m in ("tot", "eot", "pot")) >= 2


def run_eval(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(["eval", "--quiet", *args])
    out, err = capsys.readouterr()
    return code, out, err


def exact_mcnemar(b: int, c: int) -> float:
    n = b + c
    if n == 0:
        return 1.0
    tail = sum(comb(n, i) for i in range(min(b, c) + 1)) / 2 ** n
    return min(1.0, 2 * tail)


def test_five_modes_report_the_scripted_truth(fake, config, tmp_path, capsys):
    data = write_dataset(tmp_path / "tiny.jsonl", len(ITEMS))
    script(fake, TEACHER, [STUDENT], truth)
    code, out, err = run_eval(capsys, "--dataset", str(data), "--json", "-j", "3",
                              "--modes", "baseline,tot,eot,pot,ensemble")
    assert code == 0, err
    report = json.loads(out)
    results = {r["mode"]: r for r in report["results"]}
    assert list(results) == ["baseline", "tot", "eot", "pot", "ensemble"]
    expected = {m: {k for k in ITEMS if truth(k, STUDENT, m)} for m in RIGHT if m != "cot"}
    expected["ensemble"] = {k for k in ITEMS if ensemble_right(k)}
    for mode, right in expected.items():
        r = results[mode]
        assert (r["correct"], r["total"], r["unknown"]) == (len(right), 10, 0), mode
    # Every equations and program answer was computed by the solver or the interpreter.
    assert results["eot"]["derived"] == {"solved": 10}
    assert results["pot"]["derived"] == {"solved": 10}
    agree = results["ensemble"]["agreement"]
    all3 = sum(1 for k in ITEMS if len({k in RIGHT[m] for m in ("tot", "eot", "pot")}) == 1)
    assert agree == {"all": all3, "majority": 10 - all3, "none": 0}

    # Paired statistics: each mode against the baseline, per item.
    paired = {p["mode"]: p for p in report["paired"]}
    assert list(paired) == ["tot", "eot", "pot", "ensemble"]
    base = expected["baseline"]
    for mode, right in expected.items():
        if mode == "baseline":
            continue
        p = paired[mode]
        fixed, broken = len(right - base), len(base - right)
        assert (p["fixed"], p["broken"], p["items"]) == (fixed, broken, 10), mode
        assert p["both_right"] == len(right & base)
        assert p["both_wrong"] == 10 - len(right | base)
        assert p["mcnemar_p"] == pytest.approx(exact_mcnemar(fixed, broken))
        assert p["relative_gain"] == pytest.approx((len(right) - len(base)) / len(base))
        low, high = p["relative_gain_ci"]
        assert low is not None and low <= p["relative_gain"] <= high
    md = (config.paths.data_dir / "evals" / f"run-{report['run_id']}" / "report.md").read_text()
    assert "## Paired comparison with the baseline" in md and "| EoT (equations) |" in md

    # The attempts are stored with how each answer was reached.
    db = sqlite3.connect(config.paths.database)
    rows = db.execute("SELECT mode, answer, detail_json FROM attempt WHERE mode IN "
                      "('eot', 'pot', 'ensemble')").fetchall()
    assert len(rows) == 30
    for mode, ans, detail in rows:
        ways = json.loads(detail)["ways"]
        assert len(ways) == (3 if mode == "ensemble" else 1)
        assert ans is not None and ans.isdigit()


def test_ensemble_without_agreement_answers_with_the_steps(fake, config, tmp_path, capsys):
    """Three different answers: no majority; the steps-guided answer stands, with one vote."""
    data = write_dataset(tmp_path / "one.jsonl", 1)
    fake.reply(TEACHER, Reply(text=json.dumps({"steps": ["Add 10 and 0."]})))

    def build(body):
        text = body["messages"][-1]["content"].lower()
        if "system of linear equations" in text:
            return "ans = 11"
        if "python program" in text:
            return "```python\nans = 12\n```"
        return f"Final answer: {answer(0)}"

    fake.reply(STUDENT, build)
    code, out, err = run_eval(capsys, "--dataset", str(data), "--json", "--modes", "ensemble")
    assert code == 0, err
    (result,) = json.loads(out)["results"]
    assert (result["correct"], result["agreement"]["none"]) == (1, 1)


def _chat_bodies(fake, model):
    return [r.body for r in fake.requests if r.path == "/api/chat" and r.body["model"] == model]


@pytest.mark.parametrize("preset, teacher_text, student_text", [
    ("tot-paper", "Create very short step-by-step prompts for this problem:{q}Format as a list. "
     "Do not solve the problem.",
     "We are given the following problem to solve:\n{q}\nUse the following steps to solve the "
     "problem.\n{steps}"),
    ("tot-traces", "Create step-by-step prompts for this problem:{q}Format as a list of simple "
     "instructions to guide a student. Do not solve the problem.",
     "First, carefully review this problem:\n{q}\nThen, solve the problem using the provided "
     "steps as a plan, thinking step-by-step.\n{steps}"),
])
def test_a_preset_sends_the_papers_prompts_byte_for_byte(fake, config, tmp_path, capsys,
                                                         preset, teacher_text, student_text):
    data = write_dataset(tmp_path / "two.jsonl", 2)
    teacher_reply = "1. Count the 10 apples.\n2. Add the new ones.\n"
    fake.reply(TEACHER, Reply(text=teacher_reply))
    fake.reply(STUDENT, lambda body: "The total is 11.")
    code, out, err = run_eval(capsys, "--dataset", str(data), "--json", "--modes",
                              "baseline,tot", "--preset", preset)
    assert code == 0, err
    report = json.loads(out)
    assert report["preset"] == preset and f"--preset {preset}" in report["command"]
    for body in _chat_bodies(fake, TEACHER):
        k = int(body["messages"][0]["content"].split("Item ")[1].split(":")[0])
        assert body["messages"] == [
            {"role": "user", "content": teacher_text.format(q=question(k))}]
        assert "format" not in body  # a plain list, as the paper asked
        assert "temperature" not in body.get("options", {})  # the model's own sampling
    students = _chat_bodies(fake, STUDENT)
    with_steps = [b for b in students if "steps" in b["messages"][0]["content"]]
    assert len(with_steps) == 2
    for body in with_steps:
        k = int(body["messages"][0]["content"].split("Item ")[1].split(":")[0])
        # The teacher's reply as it wrote it: the paper passed it on unparsed.
        assert body["messages"] == [{"role": "user", "content": student_text.format(
            q=question(k), steps=teacher_reply)}]
        assert "temperature" not in body.get("options", {})
    bare = [b for b in students if b not in with_steps]
    # The paper's baseline: the problem alone, one user message.
    assert sorted(json.dumps(b["messages"]) for b in bare) == sorted(
        json.dumps([{"role": "user", "content": question(k)}]) for k in (0, 1))


def test_an_unknown_preset_or_mode_is_a_usage_error(fake, config, tmp_path, capsys):
    data = write_dataset(tmp_path / "one.jsonl", 1)
    code, _, err = run_eval(capsys, "--dataset", str(data), "--preset", "nope")
    assert code == 2 and "tot-paper" in err
    code, _, err = run_eval(capsys, "--dataset", str(data), "--modes", "baseline,magic")
    assert code == 2 and "eot" in err and "ensemble" in err


def test_samples_give_a_majority_vote_and_an_item_log(fake, config, tmp_path, capsys):
    """--samples 3: each answer asked with its own seed; the scripted student is right on
    seeds 0 and 2 of item 0, on seed 1 only of item 1, and always on item 2. Seed 0's answers
    come last, so that finishing order cannot pass for sample order."""
    data = write_dataset(tmp_path / "three.jsonl", 3)
    right = {0: {0, 2}, 1: {1}, 2: {0, 1, 2}}

    def build(body):
        from tests.evaluate.scripted import item_of

        k, seed = item_of(body), body["options"]["seed"]
        return Reply(text=f"Final answer: {answer(k) if seed in right[k] else answer(k) + 1}",
                     first_token_delay=0.3 if seed == 0 else 0.0)

    fake.reply(STUDENT, build)
    code, out, err = run_eval(capsys, "--dataset", str(data), "--json", "--modes", "baseline",
                              "--samples", "3")
    assert code == 0, err
    report = json.loads(out)
    (r,) = report["results"]
    assert (r["correct"], r["total"]) == (2, 3)  # first samples (seed 0): items 0 and 2
    assert (r["maj_correct"], r["maj_total"], r["samples"]) == (2, 3, 3)  # 0 and 2 by vote
    assert r["sample_accuracy"] == pytest.approx(6 / 9)
    assert r["mean_agreement"] == pytest.approx((2 / 3 + 2 / 3 + 1) / 3, abs=1e-4)
    seeds = sorted(b.body["options"]["seed"] for b in fake.requests if b.path == "/api/chat")
    assert seeds == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    lines = [json.loads(line) for line in
             open(report["files"]["items"], encoding="utf-8")]
    assert len(lines) == 9
    assert {(x["index"], x["sample"]) for x in lines} == {(i, s) for i in range(3)
                                                         for s in range(3)}
    assert all(x["seed"] == x["sample"] for x in lines)  # no seed configured: base 0
    first = next(x for x in lines if x["index"] == 1 and x["sample"] == 1)
    assert first["seed"] == 1 and first["verdict"] == "correct" and first["prompt_hash"]
    assert first["reply"] == f"Final answer: {answer(1)}"
    assert "--samples 3" in report["command"]


def test_a_resumed_samples_run_asks_only_the_missing_seed(fake, config, tmp_path, capsys):
    """Sample 1 of item 0 fails; the resume asks seed 1 again (not seed 2, which was answered:
    samples are told apart by their seed, not by how many are done)."""
    data = write_dataset(tmp_path / "two.jsonl", 2)
    from tests.evaluate.scripted import item_of

    fake.reply(STUDENT, lambda body: f"Final answer: {answer(item_of(body))}")
    broken = fake.reply(STUDENT, Reply(text="Final", error_after=1),
                        when=lambda body: "Item 0:" in str(body["messages"][-1]["content"])
                        and body["options"]["seed"] == 1)
    code, out, _ = run_eval(capsys, "--dataset", str(data), "--json", "--modes", "baseline",
                            "--samples", "3", "--retries", "0")
    assert code == 4
    report = json.loads(out)
    before = len(fake.requests)
    broken.times = 0
    code, out, err = run_eval(capsys, "--resume", str(report["run_id"]), "--json")
    assert code == 0, err
    asked = [r.body["options"]["seed"] for r in fake.requests[before:] if r.path == "/api/chat"]
    assert asked == [1]
    (r,) = json.loads(out)["results"]
    assert (r["correct"], r["total"], r["maj_correct"], r["maj_total"]) == (2, 2, 2, 2)
    assert r["sample_accuracy"] == 1.0
    db = sqlite3.connect(config.paths.database)
    seeds = db.execute("SELECT seed FROM attempt WHERE status = 'finished' ORDER BY seed")
    assert [s for (s,) in seeds] == [0, 0, 1, 1, 2, 2]
