"""Benchmark datasets: the shipped GSM8K and MATH500 test sets, or any JSON-Lines file.

An item is identified by its record index in the file (0-based, blank lines skipped), so a run's
item list (dataset, checksum, indices) is enough to find the same items again on resume.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
BUILTIN = {"gsm8k": "gsm8k_test.jsonl", "math500": "math500_test.jsonl"}
_ALIASES = {"gsm8k": "gsm8k", "gsm8k-test": "gsm8k", "math500": "math500", "math-500": "math500"}
QUESTION_FIELDS = ("question", "problem", "prompt", "input", "query")
ANSWER_FIELDS = ("answer", "final_answer", "target", "solution", "output", "label")


class DatasetError(ValueError):
    """A dataset that cannot be used; the message names the file, the line and the fix."""


@dataclass(frozen=True, slots=True)
class Item:
    index: int  # record index in the file
    question: str
    answer: str  # the final answer the checker compares against


@dataclass(frozen=True, slots=True)
class Dataset:
    name: str  # "gsm8k", "math500", or the file's absolute path
    path: Path
    sha256: str
    question_field: str
    answer_field: str
    items: tuple[Item, ...]

    @property
    def label(self) -> str:
        """Short name for reports and `reference_source`."""
        return self.name if self.name in BUILTIN else self.path.name


def resolve(spec: str) -> tuple[str, Path]:
    """(name, path) for `gsm8k`, `math500` or a path to a JSONL file."""
    key = _ALIASES.get(spec.strip().lower())
    if key is not None:
        return key, DATA_DIR / BUILTIN[key]
    path = Path(spec).expanduser()
    if not path.is_file():
        raise DatasetError(f"Unknown dataset {spec!r}: use gsm8k, math500, or the path of a "
                           "JSON-Lines file (one JSON object per line).")
    return str(path.resolve()), path.resolve()


def final_answer(value: Any) -> str:
    """The final answer inside a dataset's answer field.

    GSM8K's worked solution ends with `#### N` (commas are thousands separators); a MATH-style
    solution has its answer in the last `\\boxed{...}`; anything else is taken as it is.
    """
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int | float):
        return str(value)
    if not isinstance(value, str):
        return ""
    if "####" in value:
        return value.rsplit("####", 1)[1].strip().replace(",", "")
    boxed = last_boxed(value)
    if boxed is not None:
        return boxed.strip()
    return value.strip()


def last_boxed(text: str) -> str | None:
    """Content of the last `\\boxed{...}` (or `\\fbox{...}`), braces balanced; None if absent."""
    start = max(text.rfind("\\boxed{"), text.rfind("\\fbox{"))
    if start < 0:
        return None
    i = text.index("{", start) + 1
    depth = 1
    for j in range(i, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return text[i:j]
    return None


def _pick_field(record: dict[str, Any], given: str | None, candidates: tuple[str, ...],
                what: str, flag: str, where: str) -> str:
    if given:
        if given not in record:
            raise DatasetError(f"{where}: no field {given!r} (fields: {', '.join(record)}).")
        return given
    for name in candidates:
        if name in record:
            return name
    raise DatasetError(f"{where}: cannot tell which field holds the {what} (fields: "
                       f"{', '.join(record) or 'none'}). Name it with {flag}.")


def load(spec: str, question_field: str | None = None,
         answer_field: str | None = None) -> Dataset:
    """Read every record; DatasetError on a bad line, a missing field or an empty file."""
    name, path = resolve(spec)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DatasetError(f"Cannot read {path}: {exc}") from exc
    digest = hashlib.sha256(data).hexdigest()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path} is not UTF-8 text: {exc}") from exc
    items: list[Item] = []
    qf = af = ""
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path.name} line {lineno}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{where} is not JSON: {exc.msg}.") from exc
        if not isinstance(record, dict):
            raise DatasetError(f"{where} is not a JSON object.")
        if not items:
            qf = _pick_field(record, question_field, QUESTION_FIELDS, "question",
                             "--question-field", where)
            af = _pick_field(record, answer_field, ANSWER_FIELDS, "answer", "--answer-field",
                             where)
        question = record.get(qf)
        answer = final_answer(record.get(af))
        if not isinstance(question, str) or not question.strip():
            raise DatasetError(f"{where}: the question field {qf!r} is missing or empty.")
        if not answer:
            raise DatasetError(f"{where}: the answer field {af!r} is missing or empty.")
        items.append(Item(len(items), question.strip(), answer))
    if not items:
        raise DatasetError(f"{path} has no records.")
    return Dataset(name, path, digest, qf, af, tuple(items))


def select(n_items: int, *, offset: int = 0, limit: int | None = None,
           sample: int | None = None, seed: int = 0) -> list[int]:
    """Indices of the items to run: skip `offset`, keep at most `limit`, then draw `sample`.

    The sample is drawn with `random.Random(seed)` and returned in dataset order, so the same
    arguments always give the same items.
    """
    if offset < 0 or (limit is not None and limit < 1) or (sample is not None and sample < 1):
        raise DatasetError("--offset must be >= 0; --limit and --sample must be >= 1.")
    pool = list(range(n_items))[offset:]
    if limit is not None:
        pool = pool[:limit]
    if sample is not None and sample < len(pool):
        pool = sorted(random.Random(seed).sample(pool, sample))
    if not pool:
        raise DatasetError(f"No items selected: the dataset has {n_items} items and "
                           f"--offset is {offset}.")
    return pool
