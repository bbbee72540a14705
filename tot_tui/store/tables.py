"""sqlmodel tables. Their DDL lives in `migrations.py`, never in `create_all`, so that every
schema change is an ordered upgrade step that old databases go through without loss."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class Problem(SQLModel, table=True):
    __tablename__ = "problem"
    id: int | None = Field(default=None, primary_key=True)
    text: str
    reference: str | None = None
    reference_source: str | None = None  # "typed", "dataset:gsm8k", "equations", ...
    created: datetime = Field(default_factory=utcnow)


class StepSet(SQLModel, table=True):
    __tablename__ = "step_set"
    id: int | None = Field(default=None, primary_key=True)
    problem_id: int = Field(foreign_key="problem.id")
    version: int
    steps_json: str
    origin: str
    parent_id: int | None = None
    model: str | None = None
    prompt_name: str | None = None
    prompt_hash: str | None = None
    raw_output: str | None = None
    created: datetime = Field(default_factory=utcnow)
    # For an edited version: each step's index in the base version (`base_id`), or null for a
    # step added by hand (schema v7; older rows have neither).
    origins_json: str | None = None
    base_id: int | None = None
    # A teacher's version (schema v15): its usage (Usage's fields), reasoning, backend kind,
    # how the steps were asked for, and a notice for the reader.
    prompt_tokens: int | None = None
    output_tokens: int | None = None
    total_ns: int | None = None
    load_ns: int | None = None
    prompt_ns: int | None = None
    generate_ns: int | None = None
    done_reason: str | None = None
    queue_ns: int | None = None
    thinking: str | None = None
    backend: str | None = None
    structured: str | None = None
    notice: str | None = None


class Attempt(SQLModel, table=True):
    __tablename__ = "attempt"
    id: int | None = Field(default=None, primary_key=True)
    problem_id: int = Field(foreign_key="problem.id")
    step_set_id: int | None = None
    eval_run_id: int | None = None
    student_model: str
    host: str = ""
    mode: str
    status: str
    output: str = ""
    answer: str | None = None
    verdict: str = "unknown"
    verdict_reason: str = ""
    reference_norm: str = ""
    answer_norm: str = ""
    prompt_name: str = ""
    prompt_hash: str = ""
    prompt_tokens: int | None = None
    output_tokens: int | None = None
    total_ns: int | None = None
    load_ns: int | None = None
    prompt_ns: int | None = None
    generate_ns: int | None = None
    done_reason: str | None = None
    error: str | None = None
    pid: int | None = None  # the process streaming it; lets a later start spot a dead writer
    created: datetime = Field(default_factory=utcnow)
    finished: datetime | None = None
    owner: str | None = None  # that process's token (pid reuse-proof; schema v9)
    reference: str | None = None  # the reference it was graded against (schema v10)
    detail_json: str | None = None  # the ways an answer was reached (schema v13)
    seed: int | None = None  # the sampling seed it was asked with (schema v14)
    queue_ns: int | None = None  # Usage's last field (schema v15)
    thinking: str | None = None  # a thinking model's reasoning (schema v15)
    backend: str | None = None  # "ollama", "openai" (schema v15)


class EquationSet(SQLModel, table=True):
    __tablename__ = "equation_set"
    id: int | None = Field(default=None, primary_key=True)
    problem_id: int = Field(foreign_key="problem.id")
    model: str | None = None
    prompt_name: str | None = None
    prompt_hash: str | None = None
    raw_output: str = ""
    status: str
    value: str | None = None
    reason: str = ""
    compared_with: str | None = None
    agrees: bool | None = None
    created: datetime = Field(default_factory=utcnow)


class HumanAnswer(SQLModel, table=True):
    __tablename__ = "human_answer"
    id: int | None = Field(default=None, primary_key=True)
    problem_id: int = Field(foreign_key="problem.id")
    answer: str
    verdict: str
    verdict_reason: str = ""
    hints_shown: int = 0
    created: datetime = Field(default_factory=utcnow)


class EvalRun(SQLModel, table=True):
    __tablename__ = "eval_run"
    id: int | None = Field(default=None, primary_key=True)
    dataset: str
    config_json: str = "{}"
    status: str = "running"
    created: datetime = Field(default_factory=utcnow)
    finished: datetime | None = None
    owner: str | None = None  # the process running it (tot_tui/store/owner.py), one at a time
