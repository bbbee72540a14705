"""Real student replies from a tot-tui history, as rows to label for `bench_check.py`.

    python bench/collect_replies.py DATA_DIR [--run N ...] > rows.jsonl

Reads the finished attempts of batch evaluation runs (`tot-tui eval`, against real models)
from DATA_DIR's history and prints one JSON line per reply: the reference it was graded
against (`gold`), the whole reply (`pred`), `"equivalent": null` for a person to fill in
(true when the reply's final answer is the reference), and where it came from. The labels are
never taken from tot-tui's own verdict: that is what the file measures.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from pathlib import Path


def rows(db: Path, runs: list[int]) -> list[dict]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    where = "a.eval_run_id IS NOT NULL" if not runs else \
        f"a.eval_run_id IN ({', '.join('?' * len(runs))})"
    found = conn.execute(
        "SELECT a.id, a.eval_run_id, r.dataset, a.mode, a.student_model, "
        "COALESCE(a.reference, p.reference), a.output, p.text FROM attempt a "
        "JOIN problem p ON p.id = a.problem_id JOIN eval_run r ON r.id = a.eval_run_id "
        f"WHERE {where} AND a.status = 'finished' AND a.output != '' ORDER BY a.id",
        runs).fetchall()
    out = []
    for attempt, run, dataset, mode, model, gold, output, problem in found:
        if not gold:
            continue
        out.append({"id": f"real-{run}-{attempt}", "gold": gold, "pred": output,
                    "equivalent": None, "kind": f"{dataset}-{mode}",
                    "source": {"model": model, "mode": mode, "dataset": dataset,
                               "problem": problem[:200]}})
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data_dir", type=Path)
    ap.add_argument("--run", type=int, action="append", default=[])
    args = ap.parse_args()
    for row in rows(args.data_dir / "history.sqlite3", args.run):
        sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
