"""The table of ways a student is asked: one row per mode, read by the session, the CLI, the
evaluator and the report. Adding a mode is one row here plus its prompt file.

A row's `mode` is what attempts store (old databases hold "steps" for `tot`); `name` is what the
CLI, eval and reports call it; `prompts` are the student prompt files asked, in order (the
ensemble asks three); `answer` says where the answer comes from: the reply's final line
("prose"), the solver on the reply's equations ("equations"), the interpreter on its program
("program"), or the majority of the other three ("majority").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from tot_tui.kinds import Mode

AnswerSource = Literal["prose", "equations", "program", "majority"]


@dataclass(frozen=True, slots=True)
class ModeSpec:
    mode: Mode
    name: str
    aliases: tuple[str, ...]
    prompts: tuple[str, ...]
    needs_steps: bool  # the teacher's (or tutor's) steps go into the prompt
    label: str
    colour: str  # the report chart's bar
    answer: AnswerSource
    summary: str  # one line for --help and the TUI


MODE_TABLE: tuple[ModeSpec, ...] = (
    ModeSpec(Mode.BASELINE, "baseline", ("bare", "none"), ("baseline",), False, "baseline",
             "#8c8c8c", "prose", "the bare problem"),
    ModeSpec(Mode.COT, "cot", ("chain",), ("cot",), False, "CoT", "#4e79a7", "prose",
             "the problem and \"Let's think step by step\""),
    ModeSpec(Mode.STEPS, "tot", ("steps", "trace"), ("student_steps",), True, "ToT (steps)",
             "#f28e2b", "prose", "the teacher's steps as a plan (Trace-of-Thought)"),
    ModeSpec(Mode.EQUATIONS, "eot", ("equations", "equation"), ("student_equations",), False,
             "EoT (equations)", "#59a14f", "equations",
             "the student writes equations; the solver computes the answer"),
    ModeSpec(Mode.PROGRAM, "pot", ("program", "code"), ("student_program",), False,
             "PoT (program)", "#b07aa1", "program",
             "the student writes a program; tot-tui's interpreter reads it, never runs it"),
    ModeSpec(Mode.ENSEMBLE, "ensemble", ("etd", "all"),
             ("student_steps", "student_equations", "student_program"), True, "Ensemble",
             "#e15759", "majority",
             "steps-guided prose, equations and a program; the answer two of them agree on"),
)

BY_NAME: dict[str, ModeSpec] = {spec.name: spec for spec in MODE_TABLE}
BY_MODE: dict[Mode, ModeSpec] = {spec.mode: spec for spec in MODE_TABLE}
_LOOKUP: dict[str, ModeSpec] = {
    key: spec for spec in MODE_TABLE for key in (spec.name, spec.mode.value, *spec.aliases)}
# The ways an ensemble combines, by the answer source of each of its prompts.
WAY_OF_PROMPT: dict[str, AnswerSource] = {
    "student_steps": "prose", "student_equations": "equations", "student_program": "program"}


def mode_spec(name: str | Mode) -> ModeSpec:
    """The row for a mode, a CLI name or an alias; KeyError for an unknown one."""
    if isinstance(name, Mode):
        return BY_MODE[name]
    return _LOOKUP[name.strip().lower()]


def needs_teacher(names: Iterable[str]) -> bool:
    """Whether any of these modes (by name) follows the teacher's steps."""
    return any(BY_NAME[name].needs_steps for name in names)


def modes_help(*, summaries: bool = False) -> str:
    """The modes for --help: their names, or each with what it asks."""
    if summaries:
        return "; ".join(f"{m.name} ({m.summary})" for m in MODE_TABLE)
    return ", ".join(BY_NAME)


def parse_modes(text: str) -> list[str]:
    """`baseline,tot,eot` → the known mode names in table order; ValueError names a bad one."""
    wanted = set()
    for raw in text.split(","):
        if not raw.strip():
            continue
        try:
            wanted.add(mode_spec(raw).name)
        except KeyError:
            raise ValueError(f"unknown mode {raw.strip()!r}: choose from "
                             f"{', '.join(BY_NAME)}") from None
    if not wanted:
        raise ValueError("no modes given: use e.g. --modes baseline,tot")
    return [name for name in BY_NAME if name in wanted]
