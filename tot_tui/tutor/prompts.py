"""Prompt templates as files: shipped in the wheel, overridable from the config dir's `prompts/`.

A template file has a `### system` section and a `### user` section. Placeholders are `{name}`;
only known names are replaced, so other braces (a JSON example) stay as written, and the text put
in is never itself read as a template.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import tot_tui
from tot_tui.tutor.errors import InputError

PROMPT_NAMES = ("teacher", "teacher_equations", "student_steps", "baseline", "cot",
                "student_equations", "student_program")
_SECTION = re.compile(r"^### (system|user)\s*$", re.MULTILINE)
_PLACEHOLDER = re.compile(r"\{(problem|steps)\}")


# What each prompt must contain: a student who never sees the steps is not "ToT (steps)".
REQUIRED: dict[str, tuple[str, ...]] = {
    "teacher": ("problem",), "student_steps": ("problem", "steps"), "baseline": ("problem",),
    "cot": ("problem",), "teacher_equations": ("problem",), "student_equations": ("problem",),
    "student_program": ("problem",)}


class PromptError(InputError):
    """A prompt file that cannot be used; the message names the file and what to fix."""


@dataclass(frozen=True, slots=True)
class Prompt:
    name: str
    system: str
    user: str
    source: Path
    hash: str  # sha256 of the file's text, first 12 hex digits; stored with every attempt

    def messages(self, **values: str) -> list[dict[str, str]]:
        def fill(template: str) -> str:
            return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)

        out = []
        if self.system:
            out.append({"role": "system", "content": fill(self.system)})
        out.append({"role": "user", "content": fill(self.user)})
        return out


@cache  # where the package lies does not change while it runs
def shipped_prompts_dir() -> Path:
    """`tot_tui/_prompts` in a wheel; the repo's top-level `prompts/` in a source checkout."""
    package = Path(tot_tui.__file__).parent
    for candidate in (package / "_prompts", package.parent / "prompts"):
        if candidate.is_dir():
            return candidate
    raise PromptError(f"The shipped prompts are missing (looked in {package / '_prompts'}).")


def parse_prompt(name: str, text: str, source: Path) -> Prompt:
    parts = _SECTION.split(text)
    sections = {parts[i]: parts[i + 1].strip("\n") for i in range(1, len(parts) - 1, 2)}
    if "user" not in sections:
        # A file without sections is all user message: the simplest override one can write.
        sections = {"system": "", "user": text.strip("\n")}
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    return Prompt(name, sections.get("system", ""), sections["user"], source, digest)


@cache
def _parsed(name: str, path: Path, mtime_ns: int) -> Prompt:
    # Keyed by modification time: an edited override is picked up on the next use.
    prompt = parse_prompt(name, path.read_text("utf-8"), path)
    present = set(_PLACEHOLDER.findall(prompt.system + prompt.user))
    missing = [f"{{{p}}}" for p in REQUIRED.get(name, ()) if p not in present]
    if missing:
        raise PromptError(f"The prompt file {path} has no {' and no '.join(missing)}: the "
                          f"{name} prompt must show the model "
                          f"{' and '.join(m.strip('{}') for m in missing)}. Add "
                          f"{' and '.join(missing)} where it belongs, or delete the file to use "
                          "the shipped prompt.")
    return prompt


def load_prompt(name: str, override_dir: Path | None = None,
                preset_dir: str | None = None) -> Prompt:
    """A preset's own file (`prompts/presets/NAME/`) if it has one, verbatim: a published
    protocol is not changed by local overrides. Otherwise the override in `override_dir` if
    present, else the shipped file. Re-read when edited."""
    if name not in PROMPT_NAMES:
        raise PromptError(f"Unknown prompt {name!r}; known: {', '.join(PROMPT_NAMES)}.")
    own = shipped_prompts_dir() / preset_dir / f"{name}.txt" if preset_dir else None
    if own is not None and own.is_file():
        candidates = [own]
    else:
        candidates = [override_dir / f"{name}.txt"] if override_dir else []
        candidates.append(shipped_prompts_dir() / f"{name}.txt")
    for path in candidates:
        if path.is_file():
            try:
                return _parsed(name, path, path.stat().st_mtime_ns)
            except (OSError, UnicodeDecodeError) as exc:
                raise PromptError(f"Cannot read prompt file {path}: {exc}") from exc
    raise PromptError(f"Prompt file {name}.txt not found.")
