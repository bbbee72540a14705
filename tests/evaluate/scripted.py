"""A scripted truth for evaluation tests: which (item, student, mode) the fake answers correctly.

Items are tiny arithmetic problems "Item k: ..." whose answer is 10 + k. The student reply is
built from the request: the item number is read from the problem, the mode from the prompt
("use these steps as a plan" → tot, "think step by step" → cot, else baseline), and the answer
is right or off by one according to the truth table.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from tot_tui.fake_ollama import FakeOllama, Reply
from tot_tui.fake_ollama.reply import last_user_text

ITEM_RE = re.compile(r"Item (\d+):")
Truth = Callable[[int, str, str], bool]  # (item, student, mode) -> correct?


def question(k: int) -> str:
    return f"Item {k}: a box holds 10 apples and {k} more are added. How many apples are there?"


def answer(k: int) -> int:
    return 10 + k


def write_dataset(path: Path, n: int, *, gsm8k_style: bool = True,
                  duplicates: Iterable[tuple[int, int]] = ()) -> Path:
    """A JSONL file of n items; `duplicates` (i, j) makes item j repeat item i's text."""
    dup = dict((j, i) for i, j in duplicates)
    with path.open("w", encoding="utf-8") as f:
        for k in range(n):
            src = dup.get(k, k)
            ans = f"10 + {src} = <<10+{src}={answer(src)}>>{answer(src)}\n#### {answer(src)}" \
                if gsm8k_style else str(answer(src))
            f.write(json.dumps({"question": question(src), "answer": ans}) + "\n")
    return path


def mode_of(body: dict[str, Any]) -> str:
    text = last_user_text(body).lower()
    if "use these steps as a plan" in text:
        return "tot"
    if "think step by step" in text:
        return "cot"
    return "baseline"


def item_of(body: dict[str, Any]) -> int:
    match = ITEM_RE.search(last_user_text(body))
    assert match, "a student request without an item number"
    return int(match.group(1))


def script(fake: FakeOllama, teacher: str, students: Iterable[str], truth: Truth, *,
           chunk_delay: float = 0.0, padding: int = 0) -> None:
    """Teacher returns two steps; each student answers per `truth`."""
    filler = " ".join(["thinking"] * padding)
    fake.reply(teacher, Reply(text=json.dumps(
        {"steps": ["Start from the 10 apples.", "Add the apples that were added."]}),
        chunk_delay=chunk_delay))
    for student in students:
        def build(body: dict[str, Any], student: str = student) -> Reply:
            k = item_of(body)
            value = answer(k) if truth(k, student, mode_of(body)) else answer(k) + 1
            text = (filler + "\n" if filler else "") + f"Final answer: {value}"
            return Reply(text=text, chunk_delay=chunk_delay)

        fake.reply(student, build)


def expected_counts(truth: Truth, items: Iterable[int], student: str, mode: str) -> int:
    return sum(truth(k, student, mode) for k in items)
