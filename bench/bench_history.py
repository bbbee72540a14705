"""The History at scale: 10k- and 100k-attempt histories, built through the store's API.

    python bench/bench_history.py [--sizes 10000,100000] [--runs 3] [--rebuild]

A history is built once per size (and kept in the cache folder): problems from GSM8K and
MATH500 with three attempts each (baseline, cot, tot, with a teacher step set), replies of
realistic length; the newest 1,500 attempts are left unindexed, as right after an eval.
Each measurement runs in a fresh process, on a fresh copy of the file when it writes to it:

- TUI: F3 pressed, to the first row of the History drawn; once with the app settled (3 s after
  start), once right after the first paint;
- TUI: a search typed and submitted, to its results drawn (the first one after the eval, whose
  replies are not indexed yet, then another);
- CLI: `tot-tui history --limit 50` and `--search WORD` against `tot-tui --version` (the CLI's
  own start);
- CLI: `tot-tui export --format json` of everything: wall time and peak memory (max RSS).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("TOT_TUI_BENCH_CACHE", Path(tempfile.gettempdir())
                            / "tot-tui-bench-history"))
BUILD_VERSION = 2  # bump when the built history's shape changes
PENDING = 1500  # attempts of the last "eval", not yet in the search index
SEARCH_WORDS = ("apples", "remainder")


def _problems() -> list[tuple[str, str]]:
    out = []
    for name in ("gsm8k_test.jsonl", "math500_test.jsonl"):
        with open(ROOT / "tot_tui" / "data" / name, encoding="utf-8") as f:
            for line in f:
                row = json.loads(line)
                text = row.get("question") or row.get("problem")
                answer = row.get("answer", "")
                if "####" in answer:
                    answer = answer.rsplit("####", 1)[1].strip()
                out.append((text, answer))
    return out


def _reply(rng: random.Random, answer: str) -> str:
    sentences = [
        "First, we find how many apples are left after the sale.",
        "We multiply the number of boxes by the number in each box: $12 \\times 4 = 48$.",
        "Then the remainder is divided evenly among the friends.",
        "Let's check the units: dollars per hour times hours gives dollars.",
        "So the total is \\( 48 + 17 = 65 \\).",
        "Subtracting what was spent, we get the amount that is left.",
    ]
    body = " ".join(rng.choice(sentences) for _ in range(rng.randint(8, 20)))
    return f"{body}\n\nFinal answer: {answer}"


def build(path: Path, attempts: int) -> None:
    sys.path.insert(0, str(ROOT))
    from tot_tui.domain import AttemptStatus, Mode, StepOrigin, Usage, Verdict
    from tot_tui.store.history import HistoryStore

    rng = random.Random(attempts)
    pool = _problems()
    store = HistoryStore(path)
    made, n = 0, 0
    start = time.perf_counter()
    run_id = None
    while made < attempts:
        if n % 500 == 0:  # an eval run every 500 problems, as `eval --limit 500` makes
            run_id = store.create_eval_run("gsm8k", {"modes": ["baseline", "cot", "tot"]})
        text, answer = pool[n % len(pool)]
        if n >= len(pool):
            text = f"{text} (variant {n // len(pool)})"
        n += 1
        problem = store.add_problem(text, answer, "dataset:gsm8k")
        steps = store.add_step_set(problem.id, [f"Step {i}: think about part {i}." for i in
                                                range(1, rng.randint(3, 6))],
                                   StepOrigin.TEACHER, model="qwen2.5:7b",
                                   prompt_name="teacher", prompt_hash="h")
        for mode in (Mode.BASELINE, Mode.COT, Mode.STEPS):
            if made >= attempts:
                break
            right = rng.random() < 0.6
            given = answer if right else "41"
            store.add_attempt(
                problem_id=problem.id, step_set_id=steps.id if mode is Mode.STEPS else None,
                student_model="llama3.2:1b", host="http://127.0.0.1:11434", mode=mode,
                prompt_name="student", prompt_hash="h", eval_run_id=run_id,
                status=AttemptStatus.FINISHED, output=_reply(rng, given), answer=given,
                verdict=Verdict.CORRECT if right else Verdict.INCORRECT,
                verdict_reason="equal" if right else "different", reference=answer,
                usage=Usage(prompt_tokens=120, output_tokens=300, total_ns=2_000_000_000))
            made += 1
            if made == attempts - PENDING:
                store.index_pending()  # everything before the last eval is indexed
        if n % 2000 == 0:
            print(f"  built {made} attempts ({time.perf_counter() - start:.0f} s)",
                  file=sys.stderr)
    store.close()
    print(f"  built {attempts} attempts, {n} problems in {time.perf_counter() - start:.0f} s",
          file=sys.stderr)


def history_file(attempts: int, rebuild: bool) -> Path:
    folder = CACHE / f"v{BUILD_VERSION}-{attempts}"
    path = folder / "history.sqlite3"
    if rebuild and folder.exists():
        shutil.rmtree(folder)
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / "building.sqlite3"
        for stale in folder.glob("building.sqlite3*"):
            stale.unlink()
        build(tmp, attempts)
        _checkpoint(tmp)
        tmp.rename(path)
    return path


def _checkpoint(path: Path) -> None:
    import sqlite3

    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def fresh_copy(path: Path) -> Path:
    """A data dir holding a copy of the history (a search or an open may write to it)."""
    home = Path(tempfile.mkdtemp(prefix="tot-tui-bench-h-"))
    (home / "data").mkdir()
    shutil.copyfile(path, home / "data" / "history.sqlite3")
    return home


def _env(home: Path) -> dict[str, str]:
    return {**os.environ, "TOT_TUI_DATA_DIR": str(home / "data"),
            "TOT_TUI_CONFIG_DIR": str(home / "config"),
            "OLLAMA_HOST": "http://127.0.0.1:9",  # nothing listens: no model server needed
            "PYTHONPATH": str(ROOT)}  # the code beside this file (a checkout to compare)


TUI_PROBE = r"""
import asyncio, json, sys, time
sys.path.insert(0, sys.argv[1])
from tot_tui.config import load_config
from tot_tui.tutor.session import Tutor
from tot_tui.ui.app import TotApp
from tot_tui.ui.screens import base
from textual.widgets import DataTable, Input

settle, words = float(sys.argv[2]), sys.argv[3:]
# The clock stops at the first screen update made while the rows are in the table: every
# screen's base class notes when its compositor refreshes (the bench's own hook, not the app's).
frames = []
_refresh = base.TotScreen._compositor_refresh
def noted(self):
    result = _refresh(self)
    rows = getattr(self, "rows", None)
    frames.append((time.perf_counter(), id(rows) if rows else None))
    return result
base.TotScreen._compositor_refresh = noted

async def quiet(app):
    from textual.worker import WorkerCancelled
    for _ in range(20):
        try:
            await app.workers.wait_for_complete()
            return
        except WorkerCancelled:  # a detail load replaced by a later one
            await asyncio.sleep(0.01)

async def rows_drawn(screen, before, since):
    # When the first frame with rows other than `before` was drawn (after `since`).
    while True:
        for when, rows in frames:
            if when >= since and rows is not None and rows != id(before):
                return when
        await asyncio.sleep(0.001)

async def main():
    config = load_config()
    tutor = Tutor(config)
    app = TotApp(config, tutor, check_connection=False)
    out = {}
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await asyncio.sleep(settle)
        t = time.perf_counter()
        await pilot.press("f3")
        screen = app.screen
        while not hasattr(screen, "rows"):
            await asyncio.sleep(0.001)
            screen = app.screen
        out["open_ms"] = (await rows_drawn(screen, None, t) - t) * 1000
        out["rows"] = screen.query_one(DataTable).row_count
        await quiet(app)
        for word in words:
            search = screen.query_one("#search", Input)
            before = screen.rows
            t = time.perf_counter()
            search.value = word
            search.post_message(Input.Submitted(search, word))
            drawn = await rows_drawn(screen, before, t)
            out.setdefault("search_ms", []).append((drawn - t) * 1000)
            await quiet(app)
    await tutor.aclose()
    print(json.dumps(out))

asyncio.run(main())
"""


def tui(path: Path, settle: float, words: tuple[str, ...] = ()) -> dict:
    home = fresh_copy(path)
    try:
        proc = subprocess.run([sys.executable, "-c", TUI_PROBE, str(ROOT), str(settle), *words],
                              env=_env(home), capture_output=True, text=True, timeout=600)
        if proc.returncode:
            raise RuntimeError(proc.stderr[-2000:])
        return json.loads(proc.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(home, ignore_errors=True)


def cli(home: Path, *args: str) -> tuple[float, int]:
    """Wall seconds and peak RSS (MiB) of one `tot-tui` run."""
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "tot_tui", *args], env=_env(home),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    if os.waitstatus_to_exitcode(status):
        raise RuntimeError(f"tot-tui {' '.join(args)} failed: {proc.stderr.read()[-500:]!r}"
                           if proc.stderr else f"tot-tui {' '.join(args)} failed")
    return wall, usage.ru_maxrss // 1024


def _med(xs: list[float]) -> str:
    return f"{statistics.median(xs):.0f} ms" + (f" ({min(xs):.0f}-{max(xs):.0f})"
                                                if len(xs) > 1 else "")


def measure(attempts: int, runs: int, rebuild: bool) -> list[tuple[str, str]]:
    path = history_file(attempts, rebuild)
    mib = path.stat().st_size / 2**20
    rows: list[tuple[str, str]] = [("history file", f"{mib:.0f} MiB")]
    settled = [tui(path, 3.0, SEARCH_WORDS) for _ in range(runs)]
    early = [tui(path, 0.0) for _ in range(runs)]
    rows.append(("TUI: History opened, settled app (to first row drawn)",
                 _med([r["open_ms"] for r in settled])))
    rows.append(("TUI: History opened right after start", _med([r["open_ms"] for r in early])))
    rows.append(("TUI: first search after an eval (to results drawn)",
                 _med([r["search_ms"][0] for r in settled])))
    rows.append(("TUI: a later search", _med([r["search_ms"][1] for r in settled])))
    home = fresh_copy(path)
    try:
        cli(home, "history", "--limit", "1")  # let the open's one-time work happen once
        base = [cli(home, "--version")[0] * 1000 for _ in range(runs)]
        limit = [cli(home, "history", "--limit", "50")[0] * 1000 for _ in range(runs)]
        search = [cli(home, "history", "--search", SEARCH_WORDS[1], "--limit", "50")[0] * 1000
                  for _ in range(runs)]
        rows.append(("CLI: `tot-tui --version` (its own start)", _med(base)))
        rows.append(("CLI: `history --limit 50`", _med(limit)))
        rows.append(("CLI: `history --search WORD --limit 50`", _med(search)))
        wall, rss = cli(home, "export", "--format", "json", "-o", str(home / "all.json"))
        size = (home / "all.json").stat().st_size / 2**20
        rows.append(("CLI: `export --format json` of everything",
                     f"{wall:.1f} s, peak RSS {rss} MiB ({size:.0f} MiB written)"))
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--rebuild", action="store_true")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    results = {n: dict(measure(n, args.runs, args.rebuild)) for n in sizes}
    labels = list(next(iter(results.values())))
    print("| measure | " + " | ".join(f"{n:,} attempts" for n in sizes) + " |")
    print("|---|" + "---|" * len(sizes))
    for label in labels:
        print(f"| {label} | " + " | ".join(results[n][label] for n in sizes) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
