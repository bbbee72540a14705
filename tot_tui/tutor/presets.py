"""Protocol presets: named, versioned prompt sets, so that a run can say which protocol it used
and a researcher can reproduce a paper's setting.

`ours` is tot-tui's own prompts (system prompts, JSON-schema steps, the configured sampling).
`tot-paper` and `tot-traces` are the Trace-of-Thought paper's two published prompt pairs (the
paper's text, and the one its released traces were made with), sent verbatim: one user message,
no system prompt, the teacher asked for a plain list (no schema), the model's default sampling,
and the teacher's reply handed to the student as it was written unless someone edited the steps.
A preset's files live in `prompts/presets/NAME/`; a prompt it has no file for is tot-tui's own.
Change a preset's text and its version goes up: runs record both.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Preset:
    name: str
    version: int
    directory: str | None  # under the shipped prompts directory
    structured_steps: bool  # ask the teacher for JSON steps with a schema
    default_sampling: bool  # send no temperature: the server's defaults
    raw_steps: bool  # an unedited teacher reply goes to the student as written
    summary: str


PRESETS: tuple[Preset, ...] = (
    Preset("ours", 1, None, True, False, False,
           "tot-tui's prompts: system prompts, JSON steps, \"Final answer:\" lines"),
    Preset("tot-paper", 1, "presets/tot-paper", False, True, True,
           "the Trace-of-Thought paper's prompts, verbatim"),
    Preset("tot-traces", 1, "presets/tot-traces", False, True, True,
           "the prompts the paper's released traces were made with, verbatim"),
)
BY_PRESET: dict[str, Preset] = {p.name: p for p in PRESETS}
DEFAULT_PRESET = "ours"


def preset(name: str) -> Preset:
    """The preset called `name`; ValueError lists the known ones."""
    found = BY_PRESET.get(name.strip().lower())
    if found is None:
        raise ValueError(f"unknown preset {name!r}: choose from {', '.join(BY_PRESET)}")
    return found
