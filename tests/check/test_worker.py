"""S4: the worker process, its deadline, memory cap and replacement; grade.run streaming."""

from __future__ import annotations

import asyncio
import io
import json
import time
from pathlib import Path

import pytest

import tot_tui.check as check_pkg
from tot_tui.check import Checker
from tot_tui.check.grade import run


@pytest.fixture(scope="module")
def debug_checker():
    c = Checker(deadline=2.0, memory_mb=512)
    c._debug = True
    assert c.start(wait=True)
    yield c
    c.close()


def test_timeout_kills_and_replaces(debug_checker: Checker) -> None:
    assert debug_checker.check("2", "2").status == "equivalent"
    before = debug_checker.restarts
    start = time.monotonic()
    res = debug_checker._debug_request("sleep", 30)
    assert (res.status, res.reason) == ("unparseable", "timeout")
    assert time.monotonic() - start <= debug_checker.deadline + 0.5
    assert debug_checker.restarts == before + 1
    assert debug_checker.start(wait=True)  # the replacement was started at once
    assert debug_checker.check("\\frac{1}{2}", "0.5").status == "equivalent"


def test_real_slow_check_times_out_then_next_succeeds() -> None:
    with Checker(deadline=0.05) as c:
        assert c.start(wait=True)
        assert c.check("1", "1").status == "equivalent"
        res = c.check("(a^2+2ab+b^2)^{60}", "(a+b)^{120}")  # ~0.5 s of expand()
        assert (res.status, res.reason) == ("unparseable", "timeout")
        c.deadline = 2.0
        assert c.start(wait=True)
        assert c.check("3", "3.0").status == "equivalent"


def test_memory_cap(debug_checker: Checker) -> None:
    res = debug_checker._debug_request("alloc", 2048)  # 2 GiB against a 512 MiB cap
    assert (res.status, res.reason) == ("unparseable", "memory")
    assert debug_checker.start(wait=True)
    assert debug_checker.check("4", "4").status == "equivalent"


def test_small_allocation_is_fine(debug_checker: Checker) -> None:
    res = debug_checker._debug_request("alloc", 64)
    assert res.reason == "debug"


def test_crash_is_reported_and_replaced(debug_checker: Checker) -> None:
    res = debug_checker._debug_request("abort")
    assert (res.status, res.reason) == ("unparseable", "worker_crashed")
    assert debug_checker.start(wait=True)
    assert debug_checker.check("5", "five").status == "equivalent"


def test_debug_requests_are_refused_without_the_flag(checker: Checker) -> None:
    res = checker._debug_request("abort")
    assert res.reason == "parse_error"
    assert checker.check("1", "1").status == "equivalent"


def test_non_strings_and_surrogates(checker: Checker) -> None:
    assert checker.check(3, "3").reason == "parse_error"  # type: ignore[arg-type]
    assert checker.check("7", "7\ud800").reason == "bad_unicode"


def test_acheck(checker: Checker) -> None:
    res = asyncio.run(checker.acheck("x^2", "x \\cdot x"))
    assert res.status == "equivalent"


def test_default_check_function() -> None:
    res = check_pkg.check("\\frac{3}{8}", "0.375")
    assert res.status == "equivalent"
    assert (res.gold_norm, res.pred_norm) == ("3/8", "0.375")


def test_grade_run_streams_and_survives_bad_lines(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "in.jsonl"
    rows = [
        json.dumps({"id": "a", "gold": "3/4", "pred": "0.75"}),
        "{not json",
        json.dumps({"gold": "1"}),
        json.dumps({"gold": True, "pred": "1"}),
        json.dumps(["gold", "pred"]),
        json.dumps({"id": "b", "gold": "2", "pred": "The answer is 3."}),
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = io.StringIO()
    assert run(str(path), out) == 2  # every line answered, and the bad ones counted
    got = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [g.get("status") for g in got] == [
        "equivalent", "error", "error", "error", "error", "not_equivalent"
    ]  # fmt: skip
    assert got[0]["id"] == "a" and got[0]["pred_norm"] == "0.75" and got[0]["reason"] == "equal"
    assert got[0]["verdict"] == "correct" and got[5]["verdict"] == "incorrect"
    assert got[1] == {"line": 2, "status": "error", "reason": "bad_json"}
    assert got[2]["reason"] == "missing_field" and got[3]["reason"] == "not_a_string"
    assert got[5]["id"] == "b"
    err = capsys.readouterr().err
    assert "4 of 6 lines could not be graded" in err and "bad_json: 1" in err


def test_grade_reads_json_numbers_and_normalises_the_gold_of_an_empty_answer(
        tmp_path: Path) -> None:
    lines = [json.dumps({"gold": 12, "pred": "12.0"}), json.dumps({"gold": 0.5, "pred": 0.5}),
             json.dumps({"gold": "\\frac{1}{2}", "pred": ""})]
    path = tmp_path / "numbers.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = io.StringIO()
    assert run(str(path), out) == 0
    got = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [g["verdict"] for g in got] == ["correct", "correct", "unknown"]
    assert got[0]["gold"] == 12 and got[0]["gold_norm"] == "12"
    assert got[2]["gold_norm"] == "1/2" and got[2]["pred_norm"] == ""


def test_grade_run_missing_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("/nonexistent/dir/file.jsonl", io.StringIO()) == 2
    assert "cannot open" in capsys.readouterr().err


def test_worker_runs_in_a_fresh_directory_that_is_removed() -> None:
    c = Checker()
    assert c.start(wait=True)
    tmp = c._tmpdir
    assert tmp is not None and Path(tmp).is_dir()
    assert c.check("1/2", "0.5").status == "equivalent"
    c.close()
    assert not Path(tmp).exists()
    assert c.check("1/2", "0.5").reason == "worker_crashed"  # closed: answers, never raises


def test_checks_queued_behind_a_slow_one_keep_their_own_deadline(debug_checker: Checker) -> None:
    import threading

    assert debug_checker.start(wait=True)
    results: list[str] = []
    slow = threading.Thread(target=debug_checker._debug_request, args=("sleep", 30))
    slow.start()
    deadline = time.monotonic() + 30
    while not debug_checker._lock.locked():  # the slow request has the worker first
        assert time.monotonic() < deadline, "the slow request never started"
        time.sleep(0.005)

    def good() -> None:
        results.append(debug_checker.check("18", "Final answer: 18").status)

    waiting = [threading.Thread(target=good) for _ in range(3)]
    for t in waiting:
        t.start()
    for t in [slow, *waiting]:
        t.join(timeout=60)
    assert results == ["equivalent"] * 3


PLAIN = ["0", "7", "-7", "15", " 15 ", "15\n", "\t-42", "007", "+15", "-0", "15.0", "1,000",
         "1000", "1" * 31, "1" * 32, "１５", "15 ", "0x1F", "1e3"]


@pytest.mark.parametrize("gold", ["15", "0", "1000", "-7", "1" * 31])
def test_plain_integers_are_answered_without_the_worker_and_as_it_would(checker, gold) -> None:
    from tot_tui.check.worker import _precheck

    answered_here = 0
    for pred in PLAIN:
        fast = _precheck(gold, pred)
        with checker._lock:
            slow = checker._request({"gold": gold, "pred": pred})
        if fast is not None:
            answered_here += 1
            assert fast == slow, (gold, pred)
    assert answered_here >= 6  # the canonical integers, padded or not
