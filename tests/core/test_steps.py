"""Reading teacher replies: JSON, drafts while streaming, plain lists, leaks."""

from __future__ import annotations

import itertools
import json

from tot_tui.tutor.steps import draft_steps, leaking_steps_for, parse_steps


def prefixes(text: str) -> list[list[str]]:
    return [draft_steps(text[:i]) for i in range(len(text) + 1)]


def test_drafts_grow_into_the_final_steps():
    full = json.dumps({"steps": ["Multiply 3 by 4.", 'Add "five" to it.']})
    drafts = prefixes(full)
    assert drafts[-1] == parse_steps(full) == ["Multiply 3 by 4.", 'Add "five" to it.']
    for earlier, later in itertools.pairwise(drafts):
        # Every draft is a prefix-wise growth: finished steps never change.
        assert later[: max(0, len(earlier) - 1)] == earlier[: max(0, len(earlier) - 1)]


def test_drafts_ignore_keys_and_text_after_the_array():
    full = json.dumps({"steps": [{"step": 1, "instruction": "Add the apples."},
                                 {"step": 2, "instruction": "Count them all."}],
                       "answer": "5 apples"})
    final = ["Add the apples.", "Count them all."]
    assert parse_steps(full) == final
    for draft in prefixes(full):
        assert all(step in final or any(f.startswith(step) for f in final) for step in draft), \
            draft
    assert draft_steps(full) == final


def test_markdown_step_blocks_and_numbered_lists():
    assert parse_steps("**Step 1:** Find the total\n- of apples\n**Step 2:** Halve it") == [
        "Find the total of apples", "Halve it"]
    assert parse_steps("Plan:\n1) Add 2\n2) Multiply by 3\n   then check") == [
        "Add 2", "Multiply by 3 then check"]
    assert parse_steps("<think>long musing</think>```json\n{\"steps\": [\"Go\"]}\n```") == ["Go"]
    assert parse_steps("") == [] and parse_steps("<think>unfinished") == []


def test_leaks_only_flag_the_answer_not_numbers_from_the_problem():
    steps = ["Multiply 6 by 3.", "That gives 18 dollars."]
    assert leaking_steps_for("She sells 6 eggs at $3.", steps, "18") == [1]
    assert leaking_steps_for("There are 18 eggs.", steps, "18") == []
    assert leaking_steps_for("x", steps, "\\frac{1}{2}") == []
