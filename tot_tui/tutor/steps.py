"""Reading the teacher's reply into a list of steps, and spotting steps that leak the answer.

The teacher is asked for `{"steps": [...]}` through a JSON Schema `format`; models that ignore
it still tend to write a numbered list or Markdown "Step N" blocks, which are read too.
"""

from __future__ import annotations

import json
import re

STEPS_SCHEMA: dict = {
    "type": "object",
    "properties": {"steps": {"type": "array", "items": {"type": "string"}, "minItems": 1}},
    "required": ["steps"],
}

MAX_STEPS = 30
MAX_STEP_CHARS = 1000

_THINK = re.compile(r"<think>.*?(?:</think>|\Z)", re.DOTALL | re.IGNORECASE)
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)
_STEP_HEADER = re.compile(r"^\s*(?:#+\s*)?\**\s*step\s*\d+\s*[:.)-]?\s*\**\s*[:.)-]?\s*(.*)$",
                          re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+(.*)$")


def strip_think(text: str) -> str:
    """Drop reasoning blocks (`<think>…</think>`, also an unterminated one at the end)."""
    return _THINK.sub("", text)


def _clean(step: str) -> str:
    step = " ".join(step.split())
    return step[:MAX_STEP_CHARS]


def parse_steps(text: str) -> list[str]:
    """Steps from a teacher reply: JSON first, then "Step N" blocks, then a numbered list.

    Returns an empty list when nothing step-like is found. Never raises.
    """
    text = strip_think(text).strip()
    if not text:
        return []
    steps = _from_json(text)
    if steps is None:
        fenced = _FENCE.search(text)
        steps = _from_json(fenced.group(1)) if fenced else None
    if steps is None:
        steps = _from_step_blocks(text) or _from_list(text)
    steps = [_clean(s) for s in steps if isinstance(s, str) and s.strip()]
    return steps[:MAX_STEPS]


def _from_json(text: str) -> list[str] | None:
    start, end = text.find("{"), text.rfind("}")
    candidates = [text] + ([text[start:end + 1]] if 0 <= start < end else [])
    for candidate in candidates:
        try:
            data = json.loads(candidate)
        except (ValueError, RecursionError):
            continue
        if isinstance(data, dict):
            data = data.get("steps")
        if isinstance(data, list):
            return [_step_text(item) for item in data]
    return None


def _step_text(item: object) -> str:
    # Some models answer [{"step": 1, "instruction": "..."}] despite the schema.
    if isinstance(item, dict):
        strings = [v for v in item.values() if isinstance(v, str)]
        return max(strings, key=len) if strings else ""
    return item if isinstance(item, str) else ""


def _from_step_blocks(text: str) -> list[str]:
    """`Step 1: ...` or `### Step 1` headers, each followed by its text or bullets."""
    steps: list[str] = []
    current: list[str] | None = None
    for line in text.splitlines():
        header = _STEP_HEADER.match(line)
        if header:
            if current is not None:
                steps.append(" ".join(current))
            current = [header.group(1).strip(" *")] if header.group(1).strip(" *") else []
        elif current is not None and line.strip():
            bullet = _BULLET.match(line)
            current.append((bullet.group(1) if bullet else line).strip())
    if current is not None:
        steps.append(" ".join(current))
    return [s for s in steps if s.strip()]


def _from_list(text: str) -> list[str]:
    items: list[str] = []
    for line in text.splitlines():
        bullet = _BULLET.match(line)
        if bullet:
            items.append(bullet.group(1))
        elif items and line.startswith((" ", "\t")) and line.strip():
            items[-1] += " " + line.strip()  # a wrapped continuation line
    if items:
        return items
    # No list at all: one step per non-empty line, as a last resort.
    return [line for line in text.splitlines() if line.strip() and not line.strip().endswith(":")]


def format_steps(steps: list[str]) -> str:
    return "\n".join(f"{i}. {step}" for i, step in enumerate(steps, 1))


_NUMBER = re.compile(r"(?<![\w.])-?\d[\d,]*(?:\.\d+)?(?![\w])")


def leaking_steps(steps: list[str], reference: str | None) -> list[int]:
    """Indices of steps that state the reference answer as a number.

    Only numeric references are checked, and a number the problem itself contains is not a leak.
    """
    if not reference:
        return []
    ref = _as_number(reference)
    if ref is None:
        return []
    leaks = []
    for i, step in enumerate(steps):
        values = {_as_number(m.group(0)) for m in _NUMBER.finditer(step)}
        if ref in values:
            leaks.append(i)
    return leaks


def leaking_steps_for(problem: str, steps: list[str], reference: str | None) -> list[int]:
    ref = _as_number(reference or "")
    if ref is None:
        return []
    in_problem = {_as_number(m.group(0)) for m in _NUMBER.finditer(problem)}
    return [] if ref in in_problem else leaking_steps(steps, reference)


def _as_number(text: str) -> float | None:
    cleaned = text.strip().replace(",", "").replace("$", "").rstrip(".")
    if cleaned.startswith("####"):
        cleaned = cleaned[4:].strip()
    try:
        return float(cleaned)
    except ValueError:
        return None


_JSON_STRING = re.compile(r'"((?:[^"\\]|\\.)*)("?)', re.DOTALL)


def draft_steps(text: str) -> list[str]:
    """The steps readable so far from a reply still streaming; the last one may be partial.

    For the JSON the schema asks for, each string element of the `steps` array is decoded as
    soon as it starts (an object element counts by its longest string value, as `parse_steps`
    reads it); the scan stops where the array closes. Otherwise the plain-text parsers run on
    what has arrived.
    """
    body = strip_think(text).lstrip()
    if not body.startswith("{"):
        return parse_steps(body)
    key = body.find('"steps"')
    start = body.find("[", key) if key >= 0 else -1
    if start < 0:
        return []
    steps: list[str] = []
    values: list[str] = []  # string values of the object element being read
    depth, pos = 0, start + 1
    while pos < len(body):
        ch = body[pos]
        if ch == '"':
            match = _JSON_STRING.match(body, pos)
            assert match is not None  # the pattern matches any text after a quote
            value = _decode(match.group(1))
            end = match.end()
            after = body[end:].lstrip()
            is_key = after.startswith(":")
            closed = bool(match.group(2))
            if depth == 1 and closed and not after:
                break  # key or value? the next character will tell
            if depth == 0:
                steps.append(value)
            elif depth == 1 and closed and not is_key:  # an unfinished string may be a key
                values.append(value)
            if not closed:  # the closing quote has not arrived yet
                break
            pos = end
            continue
        if ch in "{[":
            depth += 1
        elif ch in "}]":
            if depth == 0:
                break  # the end of the steps array
            depth -= 1
            if depth == 0 and values:
                steps.append(max(values, key=len))
                values = []
        pos += 1
    if depth == 1 and values:  # an object element still arriving
        steps.append(max(values, key=len))
    return [step for step in steps if step.strip()]


def _decode(literal: str) -> str:
    try:
        decoded: str = json.loads(f'"{literal}"')  # a JSON string literal decodes to a str
        return decoded
    except ValueError:  # a partial escape at the end of the stream
        return literal.rsplit("\\", 1)[0]
