"""Datasets, statistics, progress and rendering, without a server."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET

import pytest

from tot_tui.evaluate import datasets, report
from tot_tui.evaluate.progress import Progress, format_duration
from tot_tui.evaluate.results import RunData
from tot_tui.evaluate.spec import RunSpec, parse_modes
from tot_tui.evaluate.stats import relative_gain, wilson

# -- datasets ---------------------------------------------------------------------------------


def test_shipped_gsm8k_is_the_full_test_split():
    ds = datasets.load("gsm8k")
    assert len(ds.items) == 1319 and ds.question_field == "question"
    assert ds.sha256 == "3730d312f6e3440559ace48831e51066acaca737f6eabec99bccb9e4b3c39d14"
    assert ds.items[0].question.startswith("Janet’s ducks lay 16 eggs per day.")
    assert ds.items[0].answer == "18"
    # Thousands separators go; every GSM8K answer is then an integer.
    assert all(int(item.answer) is not None for item in ds.items)
    assert "2125" in {item.answer for item in ds.items}


def test_shipped_math500():
    ds = datasets.load("MATH500")
    assert len(ds.items) == 500 and ds.question_field == "problem" and ds.answer_field == "answer"
    assert ds.sha256 == "35dc41080a3680858b27fa7e0533d2d547825316fc5dafe5d316f4ccc5a06132"
    assert ds.items[0].answer == r"\left( 3, \frac{\pi}{2} \right)"


def test_licences_ship_with_the_data():
    for name in ("LICENSE-gsm8k.txt", "LICENSE-math500.txt"):
        text = (datasets.DATA_DIR / name).read_text()
        assert "MIT License" in text and "Copyright (c)" in text


@pytest.mark.parametrize(("value", "expected"), [
    ("She has 3.\n#### 1,234", "1234"),
    ("#### -7", "-7"),
    (r"so the answer is $\boxed{\frac{1}{2}}$.", r"\frac{1}{2}"),
    (r"\boxed{1} then \boxed{\{a, b\}}", r"\{a, b\}"),
    (" 42 ", "42"),
    (7, "7"),
    (2.5, "2.5"),
    (None, ""),
])
def test_final_answer(value, expected):
    assert datasets.final_answer(value) == expected


def test_field_detection_and_errors(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text('{"problem": "1+1?", "solution": "It is \\\\boxed{2}."}\n\n'
                    '{"problem": "2+2?", "solution": "\\\\boxed{4}"}\n')
    ds = datasets.load(str(path))
    assert [(i.index, i.question, i.answer) for i in ds.items] == [(0, "1+1?", "2"),
                                                                    (1, "2+2?", "4")]
    assert ds.label == "d.jsonl" and ds.name == str(path.resolve())
    path.write_text('{"problem": "1+1?", "answer": "2"}\nnot json\n')
    with pytest.raises(datasets.DatasetError, match="line 2 is not JSON"):
        datasets.load(str(path))
    path.write_text('{"problem": "1+1?", "answer": ""}\n')
    with pytest.raises(datasets.DatasetError, match="answer field 'answer' is missing"):
        datasets.load(str(path))
    path.write_text('{"q": "1+1?", "a": "2"}\n')
    with pytest.raises(datasets.DatasetError, match="--question-field"):
        datasets.load(str(path))
    assert datasets.load(str(path), "q", "a").items[0].answer == "2"
    with pytest.raises(datasets.DatasetError, match="no field 'x'"):
        datasets.load(str(path), "x", "a")
    with pytest.raises(datasets.DatasetError, match="Unknown dataset"):
        datasets.load(str(tmp_path / "absent.jsonl"))


def test_selection():
    assert datasets.select(1319, limit=200) == list(range(200))
    assert datasets.select(10, offset=7) == [7, 8, 9]
    assert datasets.select(10, offset=2, limit=3) == [2, 3, 4]
    a = datasets.select(1319, sample=50, seed=3)
    assert a == datasets.select(1319, sample=50, seed=3) == sorted(a) and len(set(a)) == 50
    assert a != datasets.select(1319, sample=50, seed=4)
    assert datasets.select(5, sample=50) == [0, 1, 2, 3, 4]
    with pytest.raises(datasets.DatasetError):
        datasets.select(5, offset=5)
    with pytest.raises(datasets.DatasetError):
        datasets.select(5, limit=0)


def test_modes():
    assert parse_modes("tot, baseline") == ["baseline", "tot"]
    assert parse_modes("steps,cot") == ["cot", "tot"]
    with pytest.raises(ValueError, match="unknown mode"):
        parse_modes("baseline,x")
    with pytest.raises(ValueError):
        parse_modes(",")


# -- statistics -------------------------------------------------------------------------------


@pytest.mark.parametrize(("k", "n", "low", "high"), [
    # Roots of (k/n - p)^2 = z^2 p (1 - p) / n, solved with mpmath at 30 digits.
    (0, 10, 0.0, 0.2775327998629),
    (10, 10, 0.7224672001371, 1.0),
    (5, 10, 0.2365930905126, 0.7634069094874),
    (81, 263, 0.2552885198783, 0.3662095769828),
    (1, 1, 0.2065493143772, 1.0),
    (3, 8, 0.1368442858236, 0.6942576053974),
])
def test_wilson_reference_values(k, n, low, high):
    lo, hi = wilson(k, n)
    assert lo == pytest.approx(low, abs=1e-12) and hi == pytest.approx(high, abs=1e-12)


def test_wilson_properties():
    assert wilson(0, 0) == (None, None)
    for n in (1, 7, 200):
        for k in range(n + 1):
            lo, hi = wilson(k, n)
            assert 0 <= lo <= k / n <= hi <= 1
    assert wilson(0, 7)[0] == 0.0 and wilson(7, 7)[1] == 1.0
    with pytest.raises(ValueError):
        wilson(3, 2)


def test_relative_gain():
    assert relative_gain(0.5, 0.25) == 1.0
    assert relative_gain(0.2, 0.4) == -0.5
    assert relative_gain(0.5, 0.0) is None
    assert relative_gain(None, 0.5) is None and relative_gain(0.5, None) is None


# -- progress and rendering -------------------------------------------------------------------


def spec(**kw) -> RunSpec:
    base = dict(dataset="gsm8k", dataset_sha256="x", question_field="question",
                answer_field="answer", indices=[0, 1, 2, 3], modes=["baseline", "tot"],
                students=["s:1b"], teacher="t:7b", limit=4)
    base.update(kw)
    return RunSpec(**base)


def test_progress_plain_lines_when_not_a_terminal():
    stream = io.StringIO()
    progress = Progress(stream, tty=False)
    progress.start(4, RunData(), spec())
    for mode, ok in [("baseline", True), ("tot", True), ("baseline", False), ("tot", True)]:
        progress.advance("s:1b", mode, ok)
    progress.finish()
    lines = stream.getvalue().splitlines()
    assert lines[0] == "eval: 4 attempts to run"
    assert lines[-1].startswith("[########################] 4/4 100%")
    assert "baseline 50.0%  tot 100.0%" in lines[-1] and "\r" not in stream.getvalue()


def test_progress_redraws_one_line_on_a_terminal():
    stream = io.StringIO()
    progress = Progress(stream, tty=True)
    progress.start(2, RunData(), spec())
    progress.advance("s:1b", "tot", True)
    progress.failed("s:1b", "tot", "boom")
    progress.finish()
    text = stream.getvalue()
    assert "\r\x1b[K" in text and "eval: failed (s:1b, tot): boom\n" in text
    assert text.endswith("\n") and "failed 1" in text
    assert format_duration(3725) == "1:02:05" and format_duration(None) == "--:--"


def test_command_reproduces_the_selection():
    assert spec().command() == ("tot-tui eval --dataset gsm8k --limit 4 --modes baseline,tot "
                                "--teacher t:7b --student s:1b")
    custom = spec(dataset="/d/x.jsonl", sample=5, seed=2, limit=None, question_field="q")
    assert "--question-field q" in custom.command() and "--sample 5 --seed 2" in custom.command()
    assert RunSpec.from_config(json.loads(json.dumps(custom.to_config()))) == custom


def test_empty_report_renders():
    s = spec(students=["<b>&model"])
    rep = report.summarize(3, s, RunData(), status="interrupted")
    assert not rep["complete"] and rep["results"][0]["accuracy"] is None
    assert rep["gains"][0]["relative_gain"] is None
    md = report.markdown(rep)
    assert "n/a" in md and "tot-tui eval --resume 3" in md
    root = ET.fromstring(report.svg_chart(rep))  # well-formed despite the markup in the name
    assert root.tag.endswith("svg")
    assert "incomplete" in report.table(rep)


def test_the_chart_title_is_cut_before_it_is_escaped():
    # An escape cut in the middle (`&am`) made the SVG invalid XML.
    for cut in range(70, 85):
        name = "d" * cut + "&<x>&&"
        rep = report.summarize(3, spec(dataset=name), RunData(), status="interrupted")
        title = ET.fromstring(report.svg_chart(rep)).find("{http://www.w3.org/2000/svg}text")
        assert title is not None and title.text is not None and title.text.startswith("d" * 70)
