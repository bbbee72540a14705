"""What an eval run is: its items, modes, students and teacher, as stored in `eval_run.config_json`.

A resumed run is rebuilt from this alone, so it finds the same items and asks the same models.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from tot_tui.modes import needs_teacher
from tot_tui.modes import parse_modes as parse_modes

SPEC_VERSION = 1


@dataclass(slots=True)
class RunSpec:
    dataset: str  # "gsm8k", "math500" or an absolute path
    dataset_sha256: str
    question_field: str
    answer_field: str
    indices: list[int]
    modes: list[str]
    students: list[str]
    teacher: str | None  # only needed for modes that follow steps
    offset: int = 0
    limit: int | None = None
    sample: int | None = None
    seed: int = 0
    prompts: dict[str, str] = field(default_factory=dict)  # prompt name -> hash of its text
    settings: dict[str, Any] = field(default_factory=dict)  # temperatures, seed, num_ctx
    hosts: dict[str, str] = field(default_factory=dict)
    version: int = SPEC_VERSION
    preset: str = "ours"  # the prompt set (tot_tui/tutor/presets.py); older runs: ours
    samples: int = 1  # answers per (item, student, mode); > 1: majority vote (maj@K)

    def to_config(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> RunSpec:
        known = {k: v for k, v in config.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def sample_seed(self, sample: int) -> int:
        """The seed of the `sample`-th answer of a --samples K run: the configured seed (0 if
        none) plus the sample's number."""
        base = self.settings.get("seed")
        return (base if isinstance(base, int) else 0) + sample

    def sample_of_seed(self, seed: int | None) -> int | None:
        """Which answer of a --samples K run was asked with `seed` (None: none of them)."""
        if seed is None:
            return None
        sample = seed - self.sample_seed(0)
        return sample if 0 <= sample < self.samples else None

    @property
    def needs_teacher(self) -> bool:
        return needs_teacher(self.modes)

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
        if self.preset != "ours":
            parts += ["--preset", self.preset]
        if self.samples > 1:
            parts += ["--samples", str(self.samples)]
        if self.teacher and self.needs_teacher:
            parts += ["--teacher", self.teacher]
        for student in self.students:
            parts += ["--student", student]
        return shlex.join(parts)
