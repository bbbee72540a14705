"""Scheduling efficiency of `tot-tui eval`: wall time versus (sum of server time) / K.

The fake Ollama runs in its own process (so its threads do not share our GIL) and streams every
reply — teacher steps and student answers alike — as C chunks with a fixed delay D between
them, so each request keeps the server busy for exactly (C − 1) × D seconds. With K requests in
flight, a perfect scheduler needs (number of requests) × (C − 1) × D / K. The benchmark runs the
real command (`tot_tui.cli.main`) and reports the ratio (target: at most 1.10 at K = 4).

    python bench/bench_eval.py [--items 24] [--students 1] [--chunks 40] [--delay 0.025] [-k 4]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tot_tui import cli

TEACHER = "bench-teacher:7b"

SERVER = """
import json, re, sys, threading, time
from tot_tui.fake_ollama import FakeOllama, Reply, server
from tot_tui.fake_ollama.reply import last_user_text
teacher, chunks, delay, log_path = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
students = sys.argv[5:]

# Server time, measured: from the start of a generation to its last byte written.
log, log_lock = open(log_path, "a"), threading.Lock()
generate = server._Handler._run_generation
def timed(self, *args, **kwargs):
    start = time.perf_counter()
    try:
        return generate(self, *args, **kwargs)
    finally:
        with log_lock:
            log.write(f"{time.perf_counter() - start}\\n")
            log.flush()
server._Handler._run_generation = timed

def split(text, n):
    # exactly n non-empty chunks whose concatenation is text
    step = max(1, len(text) // n)
    parts = [text[i * step:(i + 1) * step] for i in range(n - 1)]
    parts.append(text[(n - 1) * step:])
    assert "".join(parts) == text and all(parts), (len(text), n)
    return parts

steps = json.dumps({"steps": ["Start from the 10 apples and keep going with the count.",
                              "Add the apples that were added to the box at the end."] * 2})
fake = FakeOllama().start()
fake.add_model(teacher)
fake.reply(teacher, Reply(text=steps, chunks=split(steps, chunks), chunk_delay=delay))
for s in students:
    def build(body):
        k = int(re.search(r"Item (\\d+):", last_user_text(body)).group(1))
        text = "Working through it carefully, one step at a time. " * 3 + f"Final answer: {10 + k}"
        return Reply(text=text, chunks=split(text, chunks), chunk_delay=delay)
    fake.add_model(s)
    fake.reply(s, build)
print(fake.url, flush=True)
threading.Event().wait()
"""


def write_dataset(path: Path, n: int) -> None:
    with path.open("w") as f:
        for k in range(n):
            f.write(json.dumps({"question": f"Item {k}: a box holds 10 apples and {k} more are "
                                            "added. How many apples are there?",
                                "answer": f"#### {10 + k}"}) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=24)
    parser.add_argument("--students", type=int, default=1)
    parser.add_argument("--chunks", type=int, default=40, help="chunks per reply")
    parser.add_argument("--delay", type=float, default=0.025, help="seconds between chunks")
    parser.add_argument("-k", "--concurrency", type=int, default=4)
    parser.add_argument("--modes", default="baseline,cot,tot")
    args = parser.parse_args()
    students = [f"bench-student-{i}:1b" for i in range(args.students)]
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "server-times.txt"
        server = subprocess.Popen([sys.executable, "-c", SERVER, TEACHER, str(args.chunks),
                                   str(args.delay), str(log), *students],
                                  stdout=subprocess.PIPE, text=True)
        url = server.stdout.readline().strip() if server.stdout else ""
        try:
            run(args, url, students, Path(tmp), log)
        finally:
            server.terminate()
            server.wait()


def run(args: argparse.Namespace, url: str, students: list[str], tmp: Path,
        log: Path) -> None:
    data = tmp / "items.jsonl"
    write_dataset(data, args.items)
    os.environ["OLLAMA_HOST"] = url
    argv = ["--config-dir", str(tmp / "c"), "--data-dir", str(tmp / "d"), "eval",
            "--dataset", str(data), "--modes", args.modes, "--teacher", TEACHER,
            "-j", str(args.concurrency), "--json", "--quiet"]
    for s in students:
        argv += ["--student", s]
    out = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(out):
        code = cli.main(argv)
    command_wall = time.perf_counter() - start
    assert code == 0, code
    report = json.loads(out.getvalue())

    db = sqlite3.connect(tmp / "d" / "history.sqlite3")
    student_requests = db.execute("SELECT COUNT(*) FROM attempt").fetchone()[0]
    teacher_requests = db.execute("SELECT COUNT(*) FROM step_set").fetchone()[0]
    created, finished = db.execute("SELECT created, finished FROM eval_run").fetchone()
    run_wall = (_ts(finished) - _ts(created))
    requests = student_requests + teacher_requests
    expected = args.items * len(students) * len(report["modes"]) + (
        args.items if "tot" in report["modes"] else 0)
    assert requests == expected, (requests, expected)  # nothing retried, nothing skipped
    assert all(r["correct"] == r["total"] == args.items for r in report["results"])
    per_request = (args.chunks - 1) * args.delay
    nominal = requests * per_request / args.concurrency
    served = [float(line) for line in log.read_text().split()]
    assert len(served) == requests, (len(served), requests)
    ideal = sum(served) / args.concurrency

    print(f"{args.items} items × {len(students)} student(s) × {args.modes}; {requests} requests "
          f"({teacher_requests} teacher), each {args.chunks} chunks {args.delay * 1000:g} ms "
          f"apart (nominal {per_request:.3f} s, measured mean {sum(served) / requests:.3f} s of "
          f"server time); K = {args.concurrency}\n")
    print("| measure | seconds | ÷ (sum of server time / K) |")
    print("|---|---:|---:|")
    print(f"| sum of measured server time / K | {ideal:.2f} | 1.000 |")
    print(f"| nominal: requests × (C − 1) × D / K | {nominal:.2f} | {nominal / ideal:.3f} |")
    print(f"| run wall (eval_run created → finished) | {run_wall:.2f} | {run_wall / ideal:.3f} |")
    print(f"| whole command (start-up, checker, report) | {command_wall:.2f} "
          f"| {command_wall / ideal:.3f} |")


def _ts(value: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(value).timestamp()


if __name__ == "__main__":
    main()
