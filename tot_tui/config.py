"""Typed settings: defaults, then the TOML config file, then environment, then command-line flags.

Hosts resolve per role, most specific first: the role's flag, `TOT_TUI_<ROLE>_HOST`, the role's
key in the file, `--host`, `OLLAMA_HOST`, the file's `ollama_host`, and finally Ollama's default.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tot_tui.paths import Paths, resolve_paths

DEFAULT_HOST = "http://127.0.0.1:11434"
# A 7B teacher that is strong at grade-school maths and a 1B student with room to improve: the
# gap is what Trace-of-Thought measures. Both are in the Ollama library and fit one consumer GPU.
DEFAULT_TEACHER = "qwen2.5:7b"
DEFAULT_STUDENT = "llama3.2:1b"

Role = Literal["teacher", "student"]


class ConfigError(Exception):
    """The config file could not be read; the message names the file and the problem."""


def normalize_host(host: str) -> str:
    """Accept what OLLAMA_HOST accepts (`host`, `host:port`, `:port`, a URL) and return a URL."""
    host = host.strip()
    if "://" not in host:
        host = "http://" + host
    url = urlsplit(host)
    name = url.hostname or "127.0.0.1"
    if name == "0.0.0.0":  # the server's listen-anywhere address; connect on loopback
        name = "127.0.0.1"
    if ":" in name:
        name = f"[{name}]"
    port = url.port or (443 if url.scheme == "https" else 11434)
    return f"{url.scheme}://{name}:{port}{url.path.rstrip('/')}"


class Settings(BaseModel):
    """Everything a user may set. Unknown keys in the file are rejected with a clear message."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    teacher_model: str = DEFAULT_TEACHER
    student_model: str = DEFAULT_STUDENT
    ollama_host: str | None = None
    teacher_host: str | None = None
    student_host: str | None = None
    teacher_temperature: float = Field(0.2, ge=0.0, le=2.0)
    student_temperature: float = Field(0.0, ge=0.0, le=2.0)
    seed: int | None = None
    keep_alive: str = "10m"
    num_ctx: int = Field(4096, ge=512)
    # Caps on reply length (Ollama's num_predict): a looping model cannot stream forever.
    teacher_max_tokens: int = Field(1024, ge=16)
    student_max_tokens: int = Field(4096, ge=16)
    connect_timeout: float = Field(5.0, gt=0)
    # The first token may wait for a cold model load; later tokens should come steadily.
    first_token_timeout: float = Field(300.0, gt=0)
    stall_timeout: float = Field(60.0, gt=0)
    check_deadline: float = Field(2.0, gt=0)
    theme: str = "textual-dark"
    keymap: dict[str, str] = Field(default_factory=dict)

    @field_validator("teacher_model", "student_model")
    @classmethod
    def _model_name(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("a model name cannot be empty")
        return value


class Config:
    """Settings plus where they came from, so the UI can save changes back to the same file."""

    def __init__(self, settings: Settings, paths: Paths, overrides: dict[str, Any] | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.settings = settings
        self.paths = paths
        self._overrides = overrides or {}
        self._env = dict(os.environ if env is None else env)

    def host(self, role: Role) -> str:
        env_role = self._env.get(f"TOT_TUI_{role.upper()}_HOST")
        file_role = getattr(self.settings, f"{role}_host")
        for candidate in (self._overrides.get(f"{role}_host"), env_role, file_role,
                          self._overrides.get("host"), self._env.get("OLLAMA_HOST"),
                          self.settings.ollama_host):
            if candidate:
                return normalize_host(candidate)
        return DEFAULT_HOST

    def model(self, role: Role) -> str:
        return self.settings.teacher_model if role == "teacher" else self.settings.student_model

    def save(self, **changes: Any) -> None:
        """Apply changes and write them to the config file, keeping the user's comments."""
        import tomlkit

        for key, value in changes.items():
            setattr(self.settings, key, value)
        path = self.paths.config_file
        doc = tomlkit.parse(path.read_text("utf-8")) if path.exists() else tomlkit.document()
        for key, value in changes.items():
            if value is None:
                doc.pop(key, None)
            else:
                doc[key] = value
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".toml.tmp")
        tmp.write_text(tomlkit.dumps(doc), "utf-8")
        tmp.replace(path)


_ENV_KEYS = {"TOT_TUI_TEACHER": "teacher_model", "TOT_TUI_STUDENT": "student_model"}


def load_config(*, config_dir: str | None = None, data_dir: str | None = None,
                overrides: dict[str, Any] | None = None,
                env: dict[str, str] | None = None) -> Config:
    """Read the config file (if any) and apply environment and flag overrides.

    `overrides` holds command-line values: `teacher_model`, `student_model`, `teacher_host`,
    `student_host`, `host`; None values are ignored.
    """
    env = dict(os.environ if env is None else env)
    paths = resolve_paths(config_dir, data_dir)
    raw: dict[str, Any] = {}
    if paths.config_file.exists():
        try:
            raw = tomllib.loads(paths.config_file.read_text("utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"Cannot read {paths.config_file}: {exc}. Fix or delete the file.") \
                from exc
    for var, key in _ENV_KEYS.items():
        if env.get(var):
            raw[key] = env[var]
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    for key in ("teacher_model", "student_model"):
        if key in overrides:
            raw[key] = overrides[key]
    try:
        settings = Settings(**raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc']) or 'file'}: {err['msg']}"
                             for err in exc.errors())
        raise ConfigError(f"Invalid settings in {paths.config_file}: {problems}") from exc
    config = Config(settings, paths, overrides, env)
    for role in ("teacher", "student"):
        try:
            config.host(role)  # type: ignore[arg-type]
        except ValueError as exc:
            raise ConfigError(f"Invalid Ollama host for the {role} ({exc}): check OLLAMA_HOST, "
                              f"TOT_TUI_{role.upper()}_HOST, --host and {paths.config_file}.") \
                from exc
    return config


def describe_locations(paths: Paths) -> dict[str, Path]:
    return {"config file": paths.config_file, "database": paths.database,
            "prompt overrides": paths.prompts_dir, "exports": paths.exports_dir}
