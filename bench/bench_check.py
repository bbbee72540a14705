"""Benchmark the answer checker on a labelled JSONL file (default: the public set).

    python bench/bench_check.py [FILE] [--no-math-verify] [--hostile] [--real]

Prints a Markdown table: accuracy overall and per kind, false "equal" count (a wrong answer
accepted), and per-pair latency (median, p99, max). Ours is timed round trip through the warm
worker process, as the app uses it. When `math_verify` is importable (`pip install -e '.[bench]'`)
the same figures are measured for it in this process, with bare answers wrapped in `$...$` and
`allow_set_relation_comp=True` (POLICY §4).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tot_tui.check import Checker  # noqa: E402
from tot_tui.check.extract import is_prose  # noqa: E402

DEFAULT_FILE = ROOT / "tests" / "data" / "checks" / "answer_equivalence.jsonl"
HOSTILE_FILE = ROOT / "tests" / "data" / "checks" / "hostile_answers.jsonl"
# Whole replies of real small models (the live tier's), each labelled by hand.
REAL_FILE = ROOT / "tests" / "data" / "checks" / "real_replies.jsonl"
MARKER = Path("/tmp/tot_tui_marker_public")


def load(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def run_ours(rows: list[dict]) -> tuple[list[bool], list[float]]:
    verdicts, times = [], []
    with Checker() as checker:
        checker.start(wait=True)  # warm up: start the worker and import sympy
        for r in rows:
            t = time.perf_counter()
            res = checker.check(r["gold"], r["pred"])
            times.append(time.perf_counter() - t)
            verdicts.append(res.status == "equivalent")
    return verdicts, times


def _wrap(s: str) -> str:
    if "$" in s or "\\boxed" in s or "\\(" in s or is_prose(s):
        return s
    return f"${s}$"


def math_verify_runner() -> Callable[[str, str], bool] | None:
    try:
        from math_verify import parse, verify
    except ImportError:
        return None

    def judge(gold: str, pred: str) -> bool:
        try:
            g = parse(_wrap(gold))
            p = parse(_wrap(pred))
            return bool(verify(g, p, allow_set_relation_comp=True))
        except Exception:
            return False

    return judge


Judge = Callable[[str, str], bool]


def run_other(judge: Judge, rows: list[dict]) -> tuple[list[bool], list[float]]:
    judge("1", "1")
    verdicts, times = [], []
    for r in rows:
        t = time.perf_counter()
        verdicts.append(judge(r["gold"], r["pred"]))
        times.append(time.perf_counter() - t)
    return verdicts, times


def summarise(rows: list[dict], verdicts: list[bool], times: list[float]) -> dict:
    per_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    false_eq = missed = 0
    wrong_ids = []
    for r, v in zip(rows, verdicts, strict=True):
        ok = v == bool(r["equivalent"])
        k = per_kind[r.get("kind", "?")]
        k[0] += ok
        k[1] += 1
        if not ok:
            wrong_ids.append(r.get("id", "?"))
            if v:
                false_eq += 1
            else:
                missed += 1
    ts = sorted(times)
    p99 = ts[min(len(ts) - 1, round(0.99 * (len(ts) - 1)))]
    return {
        "correct": sum(k[0] for k in per_kind.values()),
        "total": len(rows),
        "per_kind": dict(per_kind),
        "false_eq": false_eq,
        "missed": missed,
        "median_ms": statistics.median(ts) * 1000,
        "p99_ms": p99 * 1000,
        "max_ms": ts[-1] * 1000,
        "wrong": wrong_ids,
    }


def pct(a: int, b: int) -> str:
    return f"{100 * a / b:.1f}% ({a}/{b})" if b else "-"


def table(results: dict[str, dict]) -> str:
    names = list(results)
    lines = ["| metric | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]

    def row(label: str, fn: Callable[[dict], str]) -> None:
        lines.append(f"| {label} | " + " | ".join(fn(results[n]) for n in names) + " |")

    row("accuracy", lambda s: pct(s["correct"], s["total"]))
    row('false "equal"', lambda s: str(s["false_eq"]))
    row("missed equalities", lambda s: str(s["missed"]))
    row("median latency", lambda s: f"{s['median_ms']:.2f} ms")
    row("p99 latency", lambda s: f"{s['p99_ms']:.2f} ms")
    row("max latency", lambda s: f"{s['max_ms']:.2f} ms")
    kinds = sorted({k for s in results.values() for k in s["per_kind"]})
    for k in kinds:
        row(f"kind `{k}`", lambda s, k=k: pct(*s["per_kind"].get(k, [0, 0])))
    return "\n".join(lines)


def run_hostile() -> str:
    """POLICY §4 hostile rows through the worker: marker, verdict and wall time per row."""
    rows = load(HOSTILE_FILE)
    passed, worst, reasons = 0, 0.0, defaultdict(int)
    with Checker() as checker:
        checker.start(wait=True)
        for r in rows:
            MARKER.unlink(missing_ok=True)
            t = time.perf_counter()
            res = checker.check(r["gold"], r["pred"])
            dt = time.perf_counter() - t
            worst = max(worst, dt)
            bad = MARKER.exists() or dt > checker.deadline + 1.0
            bad = bad or (r["must_not_be_equivalent"] and res.status == "equivalent")
            passed += not bad
            reasons[res.reason] += 1
    summary = ", ".join(f"{k} {v}" for k, v in sorted(reasons.items()))
    return (
        f"Hostile rows: {passed}/{len(rows)} pass; slowest {worst * 1000:.1f} ms "
        f"(deadline {checker.deadline:.1f} s). Reasons: {summary}."
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", nargs="?", default=str(DEFAULT_FILE))
    ap.add_argument("--no-math-verify", action="store_true")
    ap.add_argument("--hostile", action="store_true", help="also run the hostile set (ours)")
    ap.add_argument("--real", action="store_true",
                    help=f"also the real-model replies ({REAL_FILE.name})")
    args = ap.parse_args(argv)
    judge = None if args.no_math_verify else math_verify_runner()
    for i, path in enumerate([Path(args.file), *([REAL_FILE] if args.real else [])]):
        rows = load(path)
        results = {"tot-tui checker (worker)": summarise(rows, *run_ours(rows))}
        if judge is not None:
            results["math-verify 0.9.0 (in-process)"] = summarise(rows, *run_other(judge, rows))
        print(("\n" if i else "") + f"File: `{path}`, {len(rows)} pairs\n")
        print(table(results))
        for name, s in results.items():
            if s["wrong"]:
                print(f"\n{name} disagrees on: {', '.join(s['wrong'])}")
    if args.hostile:
        print("\n" + run_hostile())
    if judge is None and not args.no_math_verify:
        print("\n(math-verify not installed: `pip install -e '.[bench]'`)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
