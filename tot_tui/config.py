"""Typed settings: defaults, then the TOML config file, then environment, then command-line flags.

Hosts resolve per role, most specific first: the role's flag, `TOT_TUI_<ROLE>_HOST`, the role's
key in the file, `--host`, `OLLAMA_HOST`, the file's `ollama_host`, and finally Ollama's default.

`Settings` is a dataclass whose annotations carry the constraints (`Bounds`, `Normalize`, which
pydantic understands); pydantic validates it (`validate_settings`) and is imported only then, so
the app can paint its first screen first: `load_config(validate=False)` builds the settings from
the values of the right type and range (anything else stays at its default), and
`Config.validate()` runs pydantic afterwards. The CLI's commands and tests validate at once.
"""

# No `from __future__ import annotations`: the fast path reads the constraints from the
# evaluated annotations.

import os
import types
from collections.abc import Callable, Mapping
from dataclasses import MISSING, asdict, dataclass, field, fields
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union, get_args, get_origin
from urllib.parse import urlsplit

from tot_tui.paths import Paths, resolve_paths

if TYPE_CHECKING:
    from pydantic import TypeAdapter, ValidationError

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


class Bounds:
    """Annotated metadata: numeric bounds (`ge`, `gt`, `le`). Pydantic enforces them (through
    `__get_pydantic_core_schema__`, with its usual messages); the fast path calls `allows`.
    Not annotated-types' Ge/Le: importing that package costs more than parsing the config."""

    def __init__(self, *, ge: float | None = None, gt: float | None = None,
                 le: float | None = None) -> None:
        self.bounds = {k: v for k, v in (("ge", ge), ("gt", gt), ("le", le)) if v is not None}

    def allows(self, value: float) -> bool:
        b = self.bounds
        return (value >= b.get("ge", value) and value <= b.get("le", value)
                and ("gt" not in b or value > b["gt"]))

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        schema = handler(source)  # an int or float schema, which take these keys
        schema.update(self.bounds)
        return schema


class Normalize:
    """Annotated metadata: `func` normalizes a value or raises ValueError. Pydantic applies it
    after the type check (through `__get_pydantic_core_schema__`, so defining it needs no
    pydantic import); the unvalidated fast path calls it directly."""

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


ModelName = Annotated[str, Normalize(_model_name)]


@dataclass
class Settings:
    """Everything a user may set. Unknown keys in the file are rejected with a clear message."""

    __pydantic_config__ = {"extra": "forbid"}  # noqa: RUF012 - pydantic reads it, as a dict

    teacher_model: ModelName = DEFAULT_TEACHER
    student_model: ModelName = DEFAULT_STUDENT
    ollama_host: str | None = None
    teacher_host: str | None = None
    student_host: str | None = None
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


# -- the fast path: no pydantic ---------------------------------------------------------------

def _conforms(hint: Any, value: Any) -> bool:
    """Does `value` already have the annotated type (and meet its constraints)? No coercion."""
    origin = get_origin(hint)
    if origin is Annotated:
        base, *metadata = get_args(hint)
        if not _conforms(base, value):
            return False
        return all(rule.allows(value) for rule in metadata if isinstance(rule, Bounds))
    if origin in (Union, types.UnionType):
        return any(_conforms(arg, value) for arg in get_args(hint))
    if origin is dict:
        key_type, value_type = get_args(hint)
        return isinstance(value, dict) and all(
            _conforms(key_type, k) and _conforms(value_type, v) for k, v in value.items())
    if hint is type(None):
        return value is None
    if isinstance(value, bool):
        return hint is bool
    if hint is float:
        return isinstance(value, (int, float))
    return isinstance(value, hint)


def _default(name: str) -> Any:
    spec = Settings.__dataclass_fields__[name]
    return spec.default_factory() if spec.default is MISSING else spec.default  # type: ignore[misc]


def _settings_unchecked(raw: Mapping[str, Any]) -> Settings:
    """Settings from the values that already fit; any other value is left at its default."""
    values: dict[str, Any] = {}
    for spec in fields(Settings):
        if spec.name not in raw or not _conforms(spec.type, raw[spec.name]):
            continue
        value = raw[spec.name]
        if get_origin(spec.type) is Annotated:
            for rule in get_args(spec.type)[1:]:
                if isinstance(rule, Normalize):
                    try:
                        value = rule.func(value)
                    except ValueError:
                        break
            else:
                values[spec.name] = value
        else:
            values[spec.name] = value
    return Settings(**values)


# -- where the settings came from -------------------------------------------------------------

class Config:
    """Settings plus where they came from, so the UI can save changes back to the same file."""

    def __init__(self, settings: Settings, paths: Paths, overrides: dict[str, Any] | None = None,
                 env: dict[str, str] | None = None, *, raw: Mapping[str, Any] | None = None,
                 validated: bool = True) -> None:
        self.settings = settings
        self.paths = paths
        self._overrides = overrides or {}
        self._env = dict(os.environ if env is None else env)
        self._raw = dict(raw or {})
        self.validated = validated

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

    def validate(self) -> str | None:
        """Validate settings read with `load_config(validate=False)` (imports pydantic; safe in a
        thread). Returns None when they are valid, else the message `load_config` would raise;
        the invalid keys are then back at their defaults. The settings object stays the same
        (it is updated in place), so whoever holds it sees the result."""
        if self.validated:
            return None
        from pydantic import ValidationError

        message = None
        try:
            checked = validate_settings(self._raw)
        except ValidationError as exc:
            problems = describe_problems(exc)
            message = _invalid_message(self.paths.config_file, problems)
            bad = {key.split(".")[0] for key, _ in problems}
            try:
                checked = validate_settings({k: v for k, v in self._raw.items() if k not in bad})
            except ValidationError:  # a check across keys: keep only what fits on its own
                checked = _settings_unchecked(self._raw)
        for spec in fields(Settings):
            setattr(self.settings, spec.name, getattr(checked, spec.name))
        self.validated = True
        return message

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
        settings = _settings_unchecked(raw)
    config = Config(settings, paths, overrides, env, raw=raw, validated=validate)
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
