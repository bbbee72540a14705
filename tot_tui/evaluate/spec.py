"""What an eval run is: its items, modes, students and teacher, as stored in `eval_run.config_json`.

A resumed run is rebuilt from this alone, so it finds the same items and asks the same models.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from tot_tui.domain import Mode

# The order modes are run and reported in; "tot" is the paper's name for steps mode.
MODES: dict[str, Mode] = {"baseline": Mode.BASELINE, "cot": Mode.COT, "tot": Mode.STEPS}
_MODE_ALIASES = {"steps": "tot", "trace": "tot", "bare": "baseline"}
SPEC_VERSION = 1


def parse_modes(text: str) -> list[str]:
    """`baseline,cot,tot` → the known modes in canonical order; ValueError names a bad one."""
    wanted = set()
    for raw in text.split(","):
        name = raw.strip().lower()
        if not name:
            continue
        name = _MODE_ALIASES.get(name, name)
        if name not in MODES:
            raise ValueError(f"unknown mode {raw.strip()!r}: choose from baseline, cot, tot")
        wanted.add(name)
    if not wanted:
        raise ValueError("no modes given: use e.g. --modes baseline,tot")
    return [m for m in MODES if m in wanted]


@dataclass(slots=True)
class RunSpec:
    dataset: str  # "gsm8k", "math500" or an absolute path
    dataset_sha256: str
    question_field: str
    answer_field: str
    indices: list[int]
    modes: list[str]
    students: list[str]
    teacher: str | None  # only needed for "tot"
    offset: int = 0
    limit: int | None = None
    sample: int | None = None
    seed: int = 0
    prompts: dict[str, str] = field(default_factory=dict)  # prompt name -> hash of its text
    settings: dict[str, Any] = field(default_factory=dict)  # temperatures, seed, num_ctx
    hosts: dict[str, str] = field(default_factory=dict)
    version: int = SPEC_VERSION

    def to_config(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> RunSpec:
        known = {k: v for k, v in config.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def triples(self) -> list[tuple[int, str, str]]:
        """Every (item index, student, mode) of the run, in run order."""
        return [(i, s, m) for i in self.indices for s in self.students for m in self.modes]

    def command(self) -> str:
        """A command line that reproduces this run's selection and models."""
        import shlex

        parts = ["tot-tui", "eval", "--dataset", self.dataset]
        if self.dataset not in ("gsm8k", "math500"):
            parts += ["--question-field", self.question_field,
                      "--answer-field", self.answer_field]
        if self.offset:
            parts += ["--offset", str(self.offset)]
        if self.limit is not None:
            parts += ["--limit", str(self.limit)]
        if self.sample is not None:
            parts += ["--sample", str(self.sample), "--seed", str(self.seed)]
        parts += ["--modes", ",".join(self.modes)]
        if self.teacher and "tot" in self.modes:
            parts += ["--teacher", self.teacher]
        for student in self.students:
            parts += ["--student", student]
        return shlex.join(parts)
