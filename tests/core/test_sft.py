"""`tot-tui export --sft`: only verified teacher outputs become chat-format JSONL lines.

A history is built through the store's API (what the tutor and the evaluator write), then the
CLI is run as a subprocess against it, as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tot_tui.config import load_config
from tot_tui.domain import AttemptStatus, Derived, DerivedStatus, Mode, StepOrigin, Verdict
from tot_tui.store import eval_runs
from tot_tui.store.history import HistoryStore
from tot_tui.tutor import sft

T1, T2, STUDENT = "teacher-one:7b", "teacher-two:14b", "student:1b"
ADD = "Tom has 5 apples and buys 7 more. How many apples does he have?"
STEPS_A = ["Start from the 5 apples Tom has.", "Add the 7 apples he buys.",
           "The answer is how many apples he has now."]
STEPS_BAD = ["Subtract 7 from 5.", "The answer is the difference."]
EQUATIONS_A = "% Tom has 5 apples\nhave = 5\n% he buys 7\nans = have + 7\n"


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tot_tui", *args], capture_output=True,
                          text=True, timeout=timeout, env=dict(os.environ))


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    text = path.read_text("utf-8")
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def attempt(store: HistoryStore, problem_id: int, step_set_id: int | None, verdict: Verdict,
            *, reference: str | None, mode: Mode = Mode.STEPS,
            eval_run_id: int | None = None) -> None:
    store.add_attempt(problem_id=problem_id, step_set_id=step_set_id, student_model=STUDENT,
                      host="h", mode=mode, prompt_name="student_steps", prompt_hash="x",
                      eval_run_id=eval_run_id, status=AttemptStatus.FINISHED,
                      output="Final answer: ?", answer="?", verdict=verdict,
                      reference=reference)


def equations(store: HistoryStore, problem_id: int, value: str | None, *,
              status: DerivedStatus = DerivedStatus.SOLVED, raw: str = EQUATIONS_A,
              model: str = T1, compared_with: str | None = None, agrees: bool | None = None,
              adopt: bool = False) -> int:
    eq, _ = store.add_equation_set(
        problem_id, Derived("equations", status, value, "solved"), model=model,
        prompt_name="teacher_equations", prompt_hash="y", raw_output=raw,
        compared_with=compared_with, agrees=agrees, adopt=adopt)
    return eq.id


def teacher_steps(store: HistoryStore, problem_id: int, steps: list[str], model: str = T1,
                  origin: StepOrigin = StepOrigin.TEACHER, **kw: Any) -> int:
    return store.add_step_set(problem_id, steps, origin, model=model, prompt_name="teacher",
                              prompt_hash="z", raw_output=json.dumps({"steps": steps}),
                              **kw).id


@pytest.fixture
def history(isolated: Path) -> dict[str, Any]:
    """A history with one item of every case, and what the export should make of it."""
    store = HistoryStore(load_config().paths.database)
    ids: dict[str, Any] = {}
    # A typed problem: good steps (kept), wrong steps (dropped), agreeing equations (kept),
    # disagreeing ones and unsolved ones (dropped); the same steps again (a duplicate).
    p = store.add_problem(ADD, "12", "typed")
    ids["typed"] = p.id
    good = ids["good"] = teacher_steps(store, p.id, STEPS_A)
    attempt(store, p.id, good, Verdict.INCORRECT, reference="12")
    attempt(store, p.id, good, Verdict.CORRECT, reference="12")
    bad = teacher_steps(store, p.id, STEPS_BAD)
    attempt(store, p.id, bad, Verdict.INCORRECT, reference="12")
    attempt(store, p.id, None, Verdict.CORRECT, reference="12", mode=Mode.BASELINE)
    again = teacher_steps(store, p.id, STEPS_A)  # the teacher said the same thing twice
    attempt(store, p.id, again, Verdict.CORRECT, reference="12")
    ids["eq_agree"] = equations(store, p.id, "12", compared_with="12", agrees=True)
    equations(store, p.id, "13", raw="ans = 5 + 8", compared_with="12", agrees=False)
    equations(store, p.id, None, status=DerivedStatus.UNDERDETERMINED, raw="ans = x")
    # The reference was solved from the teacher's equations: it verifies neither them nor the
    # steps graded against it.
    q = store.add_problem("Sam has 3 pens and 4 more. How many pens?")
    equations(store, q.id, "7", raw="ans = 3 + 4", adopt=True)
    equations(store, q.id, "7", raw="pens = 3 + 4\nans = pens", model=T2)
    steps_q = teacher_steps(store, q.id, ["Add 3 and 4.", "The answer is the pens."])
    attempt(store, q.id, steps_q, Verdict.CORRECT, reference="7")
    # An eval run on a dataset: an ensemble's correct answer verifies teacher two's steps; its
    # equations were never compared and are checked (1/2 equals 0.5).
    run = store.create_eval_run("gsm8k", {"indices": [0]})
    ids["run"] = run
    r = store.add_problem("Half of one pizza is how much pizza?", "1/2", "dataset:gsm8k")
    ids["dataset"] = r.id
    eval_runs.link_item(store, run, 0, r.id)
    ids["run_steps"] = teacher_steps(store, r.id, ["Divide 1 by 2.", "That is the pizza."],
                                     model=T2)
    attempt(store, r.id, ids["run_steps"], Verdict.CORRECT, reference="1/2",
            mode=Mode.ENSEMBLE, eval_run_id=run)
    ids["run_eq"] = equations(store, r.id, "0.5", raw="ans = 1 / 2", model=T2)
    # A draft, an edited version that led to a correct answer, steps nobody followed, steps
    # that state the answer, and an answer graded against a reference since replaced.
    s = store.add_problem("What is 6 * 7?", "42", "typed")
    ids["edit_problem"] = s.id
    teacher_steps(store, s.id, ["Multiply 6"], origin=StepOrigin.DRAFT)
    base = teacher_steps(store, s.id, ["Multiply 6 by 7, which gives 42."])
    attempt(store, s.id, base, Verdict.CORRECT, reference="42")  # leaks the answer
    ids["edited"] = store.add_step_set(
        s.id, ["Multiply 6 by 7.", "The answer is the product."], StepOrigin.EDITED,
        parent_id=base, origins=[0, None], base_id=base).id
    attempt(store, s.id, ids["edited"], Verdict.CORRECT, reference="42")
    teacher_steps(store, s.id, ["Write 6 * 7 as a product.", "Compute it."])
    u = store.add_problem("What is 2 + 3?", "5", "typed")
    old = teacher_steps(store, u.id, ["Add 2 and 3.", "The answer is the sum."])
    attempt(store, u.id, old, Verdict.CORRECT, reference="5")
    store.add_problem("What is 2 + 3?", "6", "typed", replace_reference=True)
    store.close()
    return ids


def export(tmp: Path, *args: str) -> tuple[subprocess.CompletedProcess, dict[str, Any],
                                           list[dict[str, Any]]]:
    target = tmp / "out.jsonl"
    target.unlink(missing_ok=True)
    proc = run_cli("export", "--sft", str(target), "--json", *args)
    assert proc.returncode in (0, 1), proc.stderr
    summary = json.loads(proc.stdout)
    lines = read_jsonl(target) if target.exists() else []
    return proc, summary, lines


def test_only_verified_teacher_outputs_are_written(history, tmp_path: Path):
    proc, summary, lines = export(tmp_path, "--sft-metadata")
    assert proc.returncode == 0
    kinds = [(line["metadata"]["kind"], line["metadata"]["item_id"]) for line in lines]
    assert sorted(kinds) == sorted([
        ("steps", history["good"]), ("equations", history["eq_agree"]),
        ("steps", history["run_steps"]), ("equations", history["run_eq"])])
    for line in lines:
        assert list(line) == ["messages", "metadata"]
        assert [m["role"] for m in line["messages"]] == ["system", "user", "assistant"]
        assert all(isinstance(m["content"], str) and m["content"].strip() and list(m) ==
                   ["role", "content"] for m in line["messages"])
        meta = line["metadata"]
        assert set(meta) == {"problem_id", "kind", "item_id", "origin", "model", "reference",
                             "source", "verified_by", "prompt_name", "prompt_hash", "preset"}
        assert meta["preset"] == "ours" and len(meta["prompt_hash"]) == 12
    by_item = {(line["metadata"]["kind"], line["metadata"]["item_id"]): line for line in lines}
    steps_line = by_item[("steps", history["good"])]
    assert json.loads(steps_line["messages"][2]["content"]) == {"steps": STEPS_A}
    assert ADD in steps_line["messages"][1]["content"]
    assert "steps" in steps_line["messages"][0]["content"]  # the teacher prompt's system part
    assert steps_line["metadata"] | {"prompt_hash": ""} == {
        "problem_id": history["typed"], "kind": "steps", "item_id": history["good"],
        "origin": "teacher", "model": T1, "reference": "12", "source": "typed",
        "verified_by": "attempt 2", "prompt_name": "teacher", "prompt_hash": "", "preset": "ours"}
    eq_line = by_item[("equations", history["eq_agree"])]
    assert eq_line["messages"][2]["content"] == EQUATIONS_A.strip()
    assert "equations" in eq_line["messages"][0]["content"]
    assert eq_line["metadata"]["prompt_name"] == "teacher_equations"
    assert by_item[("steps", history["run_steps"])]["metadata"]["source"] == "dataset:gsm8k"
    # The counts printed are the file's, and every other item has its reason.
    assert summary["kept"] == len(lines) == 4 and summary["steps"] == summary["equations"] == 2
    assert summary["file"] == str(tmp_path / "out.jsonl")
    assert summary["dropped_by_reason"] == {
        sft.NO_CORRECT: 1, sft.DUPLICATE: 1, sft.DISAGREE: 1, sft.NOT_SOLVED: 1,
        sft.SAME_EQUATIONS: 1, sft.TEACHER_EQUATIONS: 1, sft.CORRECT_VS_EQUATIONS: 1,
        sft.DRAFT: 1, sft.LEAKS: 1, sft.EDITED: 1, sft.NOT_FOLLOWED: 1, sft.STALE: 1}
    assert summary["dropped"] == 12
    assert proc.stderr.startswith(f"Wrote {tmp_path / 'out.jsonl'}: kept 4 (steps 2, "
                                  "equations 2); dropped 12: ")
    assert f"{sft.NO_CORRECT} 1" in proc.stderr and f"{sft.SAME_EQUATIONS} 1" in proc.stderr


def test_metadata_only_on_request_and_the_human_summary(history, tmp_path: Path):
    target = tmp_path / "plain.jsonl"
    proc = run_cli("export", "--sft", str(target))
    assert proc.returncode == 0, proc.stderr
    lines = read_jsonl(target)
    assert len(lines) == 4 and all(list(line) == ["messages"] for line in lines)
    assert proc.stdout == ""
    assert proc.stderr.strip().startswith(f"Wrote {target}: kept 4 (steps 2, equations 2); "
                                          "dropped 12: ")


def test_edited_steps_only_with_the_flag(history, tmp_path: Path):
    _, summary, lines = export(tmp_path, "--sft-include-edited", "--sft-metadata",
                               str(history["edit_problem"]))
    assert [(line["metadata"]["item_id"], line["metadata"]["origin"],
             line["metadata"]["model"]) for line in lines] == [(history["edited"], "edited", T1)]
    assert json.loads(lines[0]["messages"][2]["content"])["steps"][0] == "Multiply 6 by 7."
    assert summary["dropped_by_reason"] == {sft.DRAFT: 1, sft.LEAKS: 1, sft.NOT_FOLLOWED: 1}


def test_filters_combine(history, tmp_path: Path):
    def items(*args: str) -> set[tuple[str, int]]:
        proc, summary, lines = export(tmp_path, "--sft-metadata", *args)
        assert proc.returncode == 0 and summary["kept"] == len(lines)
        return {(line["metadata"]["kind"], line["metadata"]["item_id"]) for line in lines}

    run_items = {("steps", history["run_steps"]), ("equations", history["run_eq"])}
    assert items("--run", str(history["run"])) == run_items
    assert items("--dataset", "gsm8k") == run_items
    assert items("--model", T2) == run_items  # teacher two's outputs elsewhere are unverified
    assert items("--model", T1) == {("steps", history["good"]), ("equations", history["eq_agree"])}
    assert items("--kind", "equations") == {("equations", history["eq_agree"]),
                                            ("equations", history["run_eq"])}
    assert items("--kind", "steps", "--run", str(history["run"])) == {
        ("steps", history["run_steps"])}
    assert items("--kind", "steps", str(history["typed"])) == {("steps", history["good"])}
    _, summary, _ = export(tmp_path, "--kind", "steps", str(history["typed"]))
    assert summary["dropped_by_reason"] == {sft.NO_CORRECT: 1, sft.DUPLICATE: 1}


def test_a_reference_from_the_equations_never_yields_an_equations_line(history,
                                                                      tmp_path: Path):
    _, summary, lines = export(tmp_path, "--sft-metadata", "--kind", "equations")
    sources = {line["metadata"]["source"] for line in lines}
    assert "equations" not in sources and len(lines) == 2
    assert summary["dropped_by_reason"][sft.SAME_EQUATIONS] == 1
    assert summary["dropped_by_reason"][sft.TEACHER_EQUATIONS] == 1


def test_nothing_to_export_writes_no_file_and_exits_1(history, tmp_path: Path):
    target = tmp_path / "out.jsonl"
    target.write_text("an older export\n")
    proc = run_cli("export", "--sft", str(target), "--dataset", "math500")
    assert proc.returncode == 1 and proc.stdout == ""
    assert "nothing to export: no teacher output matches --dataset math500" in proc.stderr
    assert target.read_text() == "an older export\n"
    # Problems that match, whose outputs are all unverified: said with the reasons.
    proc = run_cli("export", "--sft", str(tmp_path / "new.jsonl"), "--kind", "steps", "--json",
                   str(history["edit_problem"]))
    assert proc.returncode == 1 and not (tmp_path / "new.jsonl").exists()
    assert "nothing to export: no verified teacher output matches" in proc.stderr
    assert f"{sft.EDITED} 1" in proc.stderr
    assert json.loads(proc.stdout)["file"] is None
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []


def test_usage_errors_and_unwritable_targets(history, tmp_path: Path):
    missing = tmp_path / "no" / "such" / "out.jsonl"
    proc = run_cli("export", "--sft", str(missing))
    assert proc.returncode == 2 and "does not exist" in proc.stderr
    assert not missing.exists() and not (tmp_path / "no").exists()
    (tmp_path / "taken.jsonl").mkdir()  # a folder where the file should go
    proc = run_cli("export", "--sft", str(tmp_path / "taken.jsonl"))
    assert proc.returncode == 2 and "Cannot write" in proc.stderr
    assert "Unexpected" not in proc.stderr
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []
    proc = run_cli("export", "--run", "1")
    assert proc.returncode == 2 and "--run goes with --sft" in proc.stderr
    proc = run_cli("export", "--sft", str(tmp_path / "x.jsonl"), "-f", "json")
    assert proc.returncode == 2 and "--format" in proc.stderr
    proc = run_cli("export", "--sft", str(tmp_path / "x.jsonl"), "--run", "99")
    assert proc.returncode == 2 and "No eval run #99" in proc.stderr
    proc = run_cli("export", "--sft", str(tmp_path / "x.jsonl"), "999")
    assert proc.returncode == 2 and "No problem #999" in proc.stderr
    assert not (tmp_path / "x.jsonl").exists()


async def test_a_failure_midway_leaves_no_partial_file(history, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch):
    from tot_tui.tutor.session import Tutor

    config = load_config()
    store = HistoryStore(config.paths.database)
    real = store.iter_details

    def failing(ids, batch=200):  # type: ignore[no-untyped-def]
        for detail in real(ids, batch=1):
            yield detail
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(store, "iter_details", failing)
    target = tmp_path / "out.jsonl"
    target.write_text("an older export\n")
    tutor = Tutor(config, store=store)
    try:
        with pytest.raises(OSError, match="No space"):
            await tutor.export_sft(target, sft.SftFilters())
    finally:
        await tutor.aclose()
    assert target.read_text() == "an older export\n"
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []


def test_lines_are_single_lines_for_every_reader(isolated: Path, tmp_path: Path):
    store = HistoryStore(load_config().paths.database)
    p = store.add_problem("Add 1\u2028and 2. How much?", "3", "typed")
    steps = ["Add 1 and 2.\u2029", "The answer is the sum\x85."]
    s = teacher_steps(store, p.id, steps)
    attempt(store, p.id, s, Verdict.CORRECT, reference="3")
    store.close()
    target = tmp_path / "out.jsonl"
    assert run_cli("export", "--sft", str(target)).returncode == 0
    raw = target.read_text("utf-8")
    assert len(raw.splitlines()) == 1
    line = json.loads(raw)
    assert "\u2028" in line["messages"][1]["content"]
    assert json.loads(line["messages"][2]["content"])["steps"] == steps


def test_a_preset_without_json_steps_gets_its_own_prompt_and_a_list(history, tmp_path: Path):
    _, summary, lines = export(tmp_path, "--preset", "tot-paper", "--kind", "steps",
                               "--sft-metadata", str(history["typed"]))
    assert summary["steps"] == 1
    (line,) = lines
    assert [m["role"] for m in line["messages"]] == ["user", "assistant"]  # no system prompt
    assert ADD in line["messages"][0]["content"]
    assert line["messages"][1]["content"] == "\n".join(
        f"{i}. {step}" for i, step in enumerate(STEPS_A, 1))
    assert line["metadata"]["preset"] == "tot-paper"
