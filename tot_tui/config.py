"""Typed settings: defaults, then the TOML config file, then environment, then command-line flags.

Hosts resolve per role, most specific first: the role's flag, `TOT_TUI_<ROLE>_HOST`, the role's
key in the file, `--host`, `OLLAMA_HOST`, the file's `ollama_host`, and finally Ollama's default.

`Settings` is a dataclass whose annotations carry the constraints (`Bounds`, `Normalize`, which
pydantic understands). Pydantic is the only validator (`validate_settings`), imported only when
it runs, so the app can paint its first screen first: `load_config(validate=False)` defers it,
and `Config.validate()` runs it right after the paint. The CLI's commands validate at once.
"""

# No `from __future__ import annotations`: pydantic reads the evaluated annotations.

import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlsplit

from tot_tui.kinds import ROLES, Role
from tot_tui.paths import Paths, resolve_paths

if TYPE_CHECKING:
    from pydantic import TypeAdapter, ValidationError

DEFAULT_HOST = "http://127.0.0.1:11434"
# A 7B teacher that is strong at grade-school maths and a 1B student with room to improve: the
# gap is what Trace-of-Thought measures. Both are in the Ollama library and fit one consumer GPU.
DEFAULT_TEACHER = "qwen2.5:7b"
DEFAULT_STUDENT = "llama3.2:1b"



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


class Bounds:
    """Annotated metadata: numeric bounds (`ge`, `gt`, `le`), for pydantic (through
    `__get_pydantic_core_schema__`, with its usual messages). Not annotated-types' Ge/Le:
    importing that package costs more than reading the config on the path to the first paint."""

    def __init__(self, *, ge: float | None = None, gt: float | None = None,
                 le: float | None = None) -> None:
        self.bounds = {k: v for k, v in (("ge", ge), ("gt", gt), ("le", le)) if v is not None}

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        schema = handler(source)  # an int or float schema, which take these keys
        schema.update(self.bounds)
        return schema


class Normalize:
    """Annotated metadata: `func` normalizes a value or raises ValueError; pydantic applies it
    after the type check (defining it needs no pydantic import)."""

    def __init__(self, func: Callable[[Any], Any]) -> None:
        self.func = func

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        return core_schema.no_info_after_validator_function(self.func, handler(source))


def _model_name(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("a model name cannot be empty")
    return value


def _host_or_none(value: str | None) -> str | None:
    if value is not None:
        normalize_host(value)  # raises ValueError (a bad port, say)
    return value


THINK_MODES = ("auto", "on", "off")


def _think_mode(value: str) -> str:
    value = value.strip().lower()
    if value not in THINK_MODES:
        raise ValueError(f"think is one of {', '.join(THINK_MODES)}")
    return value


ModelName = Annotated[str, Normalize(_model_name)]
Host = Annotated[str | None, Normalize(_host_or_none)]


@dataclass
class Settings:
    """Everything a user may set. Unknown keys in the file are rejected with a clear message."""

    __pydantic_config__ = {"extra": "forbid"}  # noqa: RUF012 - pydantic reads it, as a dict

    teacher_model: ModelName = DEFAULT_TEACHER
    student_model: ModelName = DEFAULT_STUDENT
    ollama_host: Host = None
    teacher_host: Host = None
    student_host: Host = None
    teacher_temperature: Annotated[float, Bounds(ge=0.0, le=2.0)] = 0.2
    student_temperature: Annotated[float, Bounds(ge=0.0, le=2.0)] = 0.0
    seed: int | None = None
    keep_alive: str = "10m"
    num_ctx: Annotated[int, Bounds(ge=512)] = 4096
    # Caps on reply length (Ollama's num_predict): a looping model cannot stream forever.
    teacher_max_tokens: Annotated[int, Bounds(ge=16)] = 1024
    student_max_tokens: Annotated[int, Bounds(ge=16)] = 4096
    connect_timeout: Annotated[float, Bounds(gt=0)] = 5.0
    # The first token may wait for a cold model load; later tokens should come steadily.
    first_token_timeout: Annotated[float, Bounds(gt=0)] = 300.0
    stall_timeout: Annotated[float, Bounds(gt=0)] = 60.0
    check_deadline: Annotated[float, Bounds(gt=0)] = 2.0
    # The prompt set (tot_tui/tutor/presets.py): "ours", "tot-paper" or "tot-traces".
    preset: str = "ours"
    # Ask the teacher for the problem as equations, solved into a reference (or a check of
    # the typed one), when the steps are asked for.
    teacher_equations: bool = True
    # Thinking models: "auto" asks a model to think when it says it can (its capabilities);
    # "on" asks any model not known to lack it, "off" asks them to answer without. A request
    # for steps as JSON never asks to think (Ollama's format and think do not mix reliably).
    think: Annotated[str, Normalize(_think_mode)] = "auto"
    theme: str = "textual-dark"
    keymap: dict[str, str] = field(default_factory=dict)


@cache
def settings_adapter() -> "TypeAdapter[Settings]":
    from pydantic import TypeAdapter

    return TypeAdapter(Settings)


def validate_settings(values: Mapping[str, Any]) -> Settings:
    """Pydantic's verdict on a dict of settings; raises pydantic's ValidationError."""
    return settings_adapter().validate_python(dict(values))


def describe_problems(exc: "ValidationError") -> list[tuple[str, str]]:
    """(key, message) for each problem of a ValidationError from `validate_settings`."""
    problems = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "file"
        unknown = err["type"] in ("unexpected_keyword_argument", "extra_forbidden")
        problems.append((key, "not a setting (check the spelling)" if unknown else err["msg"]))
    return problems


# Settings the first paint reads before pydantic has seen the file (`Config.first_paint`).
FIRST_PAINT = ("theme", "keymap")


def _first_paint_value(raw: Mapping[str, Any], name: str) -> Any:
    """The file's value for the first paint if it has the default's shape (a str; a table of
    strs), else the default. Not a validation (no bounds, no normalization, no unknown keys):
    it only keeps the first frame from tripping over a wrong type. Pydantic decides next."""
    default = getattr(Settings(), name)
    value = raw.get(name, default)
    if isinstance(default, dict):
        fits = isinstance(value, dict) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items())
    else:
        fits = type(value) is type(default)
    return value if fits else default


# -- where the settings came from -------------------------------------------------------------

class Config:
    """Settings plus where they came from, so the UI can save changes back to the same file.

    Pydantic is the one validator. `load_config(validate=False)` (the app's start) defers it:
    `first_paint` serves the few values the first frame needs, and `validate()` (or the first
    read of `settings`) runs pydantic; the app does it in a thread right after the paint."""

    def __init__(self, settings: Settings | None, paths: Paths,
                 overrides: dict[str, Any] | None = None, env: dict[str, str] | None = None,
                 *, raw: Mapping[str, Any] | None = None) -> None:
        self._settings = settings
        self.paths = paths
        self._overrides = overrides or {}
        self._env = dict(os.environ if env is None else env)
        self._raw = dict(raw or {})
        self._problem: str | None = None
        self._lock = threading.Lock()

    @property
    def validated(self) -> bool:
        return self._settings is not None

    @property
    def settings(self) -> Settings:
        """The validated settings; validates now (imports pydantic) if that has not happened."""
        if self._settings is None:
            self.validate()
        assert self._settings is not None
        return self._settings

    def first_paint(self, name: str) -> Any:
        """A setting for the first frame (`FIRST_PAINT`): validated if that has happened, else
        the file's value where it has the right shape. Nothing else may read unvalidated
        values."""
        if name not in FIRST_PAINT:
            raise KeyError(f"{name} is not read before validation; use `settings`")
        if self._settings is not None:
            return getattr(self._settings, name)
        return _first_paint_value(self._raw, name)

    def host(self, role: Role) -> str:
        return self._host_and_source(role)[0]

    def host_source(self, role: Role) -> str:
        """Where the role's host comes from, for people: "--host", "OLLAMA_HOST",
        "teacher_host in /…/config.toml", "Ollama's default"."""
        return self._host_and_source(role)[1]

    def _host_and_source(self, role: Role) -> tuple[str, str]:
        in_file = f"in {self.paths.config_file}"
        candidates = (
            (self._overrides.get(f"{role}_host"), f"--{role}-host"),
            (self._env.get(f"TOT_TUI_{role.upper()}_HOST"), f"TOT_TUI_{role.upper()}_HOST"),
            (getattr(self.settings, f"{role}_host"), f"{role}_host {in_file}"),
            (self._overrides.get("host"), "--host"),
            (self._env.get("OLLAMA_HOST"), "OLLAMA_HOST"),
            (self.settings.ollama_host, f"ollama_host {in_file}"))
        for candidate, source in candidates:
            if candidate:
                return normalize_host(candidate), source
        return DEFAULT_HOST, "Ollama's default"

    def model(self, role: Role) -> str:
        return self.settings.teacher_model if role == "teacher" else self.settings.student_model

    def validate(self) -> str | None:
        """Run pydantic on settings read with `load_config(validate=False)` (safe in a thread).
        Returns None when they are valid, else (once) the message `load_config` would raise;
        the invalid keys are then at their defaults."""
        from pydantic import ValidationError

        with self._lock:
            if self._settings is not None:
                problem, self._problem = self._problem, None
                return problem
            try:
                self._settings = validate_settings(self._raw)
                return None
            except ValidationError as exc:
                problems = describe_problems(exc)
            bad = {key.split(".")[0] for key, _ in problems}
            kept = {k: v for k, v in self._raw.items() if k not in bad}
            try:
                self._settings = validate_settings(kept)
            except ValidationError:  # only a check across keys fails now: all at defaults
                self._settings = Settings()
            return _invalid_message(self.paths.config_file, problems)

    def save(self, **changes: Any) -> None:
        """Validate changes, apply them and write them to the config file, keeping the user's
        comments. An invalid value raises ConfigError and changes nothing."""
        import tomlkit
        from pydantic import ValidationError

        try:
            checked = validate_settings({**asdict(self.settings), **changes})
        except ValidationError as exc:
            problems = "; ".join(f"{key}: {msg}" for key, msg in describe_problems(exc))
            raise ConfigError(f"Invalid settings: {problems}") from None
        for key in changes:
            setattr(self.settings, key, getattr(checked, key))
        path = self.paths.config_file
        doc = tomlkit.parse(path.read_text("utf-8")) if path.exists() else tomlkit.document()
        for key in changes:
            value = getattr(checked, key)
            if value is None:
                doc.pop(key, None)
            else:
                doc[key] = value
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".toml.tmp")
        tmp.write_text(tomlkit.dumps(doc), "utf-8")
        tmp.replace(path)


def _invalid_message(config_file: Path, problems: list[tuple[str, str]]) -> str:
    listed = "; ".join(f"{key}: {msg}" for key, msg in problems)
    return f"Invalid settings in {config_file}: {listed}"


_ENV_KEYS = {"TOT_TUI_TEACHER": "teacher_model", "TOT_TUI_STUDENT": "student_model"}


def load_config(*, config_dir: str | None = None, data_dir: str | None = None,
                overrides: dict[str, Any] | None = None,
                env: dict[str, str] | None = None, validate: bool = True) -> Config:
    """Read the config file (if any) and apply environment and flag overrides.

    `overrides` holds command-line values: `teacher_model`, `student_model`, `teacher_host`,
    `student_host`, `host`; None values are ignored. With `validate=False` pydantic is not
    imported: call `Config.validate()` later (the app does, after its first paint).
    """
    env = dict(os.environ if env is None else env)
    paths = resolve_paths(config_dir, data_dir)
    raw: dict[str, Any] = {}
    if paths.config_file.exists():
        import tomllib

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
    if validate:
        from pydantic import ValidationError

        try:
            settings = validate_settings(raw)
        except ValidationError as exc:
            raise ConfigError(_invalid_message(paths.config_file, describe_problems(exc))) \
                from exc
    else:
        settings = None
    # The file's hosts are pydantic's to check; flags and the environment are checked here.
    given = {"--host": overrides.get("host"), "OLLAMA_HOST": env.get("OLLAMA_HOST")}
    for role in ROLES:
        given[f"--{role}-host"] = overrides.get(f"{role}_host")
        given[f"TOT_TUI_{role.upper()}_HOST"] = env.get(f"TOT_TUI_{role.upper()}_HOST")
    for where, host in given.items():
        if host:
            try:
                normalize_host(host)
            except ValueError as exc:
                raise ConfigError(f"Invalid Ollama host {host!r} in {where} ({exc}): write it "
                                  "as http://HOST:PORT.") from exc
    return Config(settings, paths, overrides, env, raw=raw)


def describe_locations(paths: Paths) -> dict[str, Path]:
    return {"config file": paths.config_file, "database": paths.database,
            "prompt overrides": paths.prompts_dir, "exports": paths.exports_dir}
