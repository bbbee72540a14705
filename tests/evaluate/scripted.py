"""A scripted truth for evaluation tests: which (item, student, mode) the fake answers correctly.

Items are tiny arithmetic problems "Item k: ..." whose answer is 10 + k. The student reply is
built from the request: the item number is read from the problem, the mode from the prompt
("system of linear equations" → eot, "python program" → pot, "use these steps as a plan" →
tot, "think step by step" → cot, else baseline), and the answer is right or off by one
according to the truth table: as a final line, as equations or as a program. An ensemble's
three requests look like tot, eot and pot, so its truth is the majority of those three.
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
    if "system of linear equations" in text:
        return "eot"
    if "python program" in text:
        return "pot"
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
            mode = mode_of(body)
            added = k if truth(k, student, mode) else k + 1
            if mode == "eot":  # equations: the solver computes 10 + added
                text = ("System of linear equations: (Do not simplify)\n% The box holds 10 "
                        f"apples\napples = 10\n% {added} more are added\nadded = {added}\n"
                        "% The answer is the total\nans = apples + added\n")
            elif mode == "pot":  # a program: the interpreter computes it, never runs it
                text = f"```python\napples = 10\nadded = {added}\nans = apples + added\n```\n"
            else:
                text = (filler + "\n" if filler else "") + f"Final answer: {10 + added}"
            return Reply(text=text, chunk_delay=chunk_delay)

        fake.reply(student, build)


def expected_counts(truth: Truth, items: Iterable[int], student: str, mode: str) -> int:
    return sum(truth(k, student, mode) for k in items)
