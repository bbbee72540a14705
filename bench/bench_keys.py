"""Keys typed right after start-up: how long each waits, tot-tui versus a Textual hello world.

Each app runs in a real pseudo-terminal (120x36). Once its first screen is drawn, a letter is
typed every `--every` seconds for `--seconds` seconds into the focused text box (tot-tui's
problem box; a TextArea in the hello world), each one a letter not typed before, and the clock
for that key stops when the letter reaches the terminal: the time a person waits to see it.
This is the window in which tot-tui's warm-up (the database, the model client, the checker's
process, the config's validation) runs. Target: no key over 100 ms.

    python bench/bench_keys.py [--runs 5] [--seconds 3] [--every 0.05]
"""

from __future__ import annotations

import argparse
import os
import select
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_startup import COMPLETE, TOT, app_env, spawn, stop

HELLO = """
from textual.app import App
from textual.widgets import Static, TextArea

class Hello(App):
    def compose(self):
        yield Static("Hello, world")
        yield TextArea()

    def on_mount(self):
        self.query_one(TextArea).focus()

Hello().run()
"""
# Letters no screen of either app shows by itself (Cyrillic and Greek, lower case).
LETTERS = [chr(c) for c in range(0x430, 0x450)] + [chr(c) for c in range(0x3B1, 0x3CA)]


def key_waits(code: str, marker: bytes, env: dict[str, str], seconds: float,
              every: float) -> list[float]:
    """Seconds from each letter typed until it is drawn."""
    pid, fd = spawn(code, env)
    seen = b""
    waits: list[float] = []
    try:
        while marker not in seen:
            ready, _, _ = select.select([fd], [], [], 30)
            if not ready:
                raise TimeoutError("the first screen did not come")
            seen = seen[-8192:] + os.read(fd, 65536)
        end = time.perf_counter() + seconds
        for letter in LETTERS:
            if time.perf_counter() >= end:
                break
            wanted = letter.encode()
            sent = time.perf_counter()
            os.write(fd, wanted)
            seen = b""
            while wanted not in seen:
                ready, _, _ = select.select([fd], [], [], 10)
                if not ready:
                    raise TimeoutError(f"{letter!r} was never drawn")
                seen = seen[-64:] + os.read(fd, 65536)
            waits.append(time.perf_counter() - sent)
            time.sleep(max(0.0, sent + every - time.perf_counter()))
        return waits
    finally:
        stop(pid, fd)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--every", type=float, default=0.05)
    args = parser.parse_args()
    env = app_env()
    key_waits(HELLO, b"Hello", env, 0.2, args.every)  # warm the caches
    key_waits(TOT, COMPLETE, env, 0.2, args.every)
    results: dict[str, list[float]] = {"hello world": [], "tot-tui": []}
    worst_runs: dict[str, list[float]] = {"hello world": [], "tot-tui": []}
    for _ in range(args.runs):
        for name, code, marker in (("hello world", HELLO, b"Hello"),
                                   ("tot-tui", TOT, COMPLETE)):
            waits = key_waits(code, marker, env, args.seconds, args.every)
            results[name] += waits
            worst_runs[name].append(max(waits))
    for name, waits in results.items():
        ms = sorted(w * 1000 for w in waits)
        p99 = ms[min(len(ms) - 1, round(0.99 * (len(ms) - 1)))]
        print(f"{name:12} {len(ms)} keys: median {statistics.median(ms):5.0f} ms, p99 "
              f"{p99:5.0f} ms, worst {ms[-1]:5.0f} ms (worst per run: "
              f"{', '.join(f'{w * 1000:.0f}' for w in worst_runs[name])})")
    worst = max(results["tot-tui"]) * 1000
    print(f"tot-tui worst key {worst:.0f} ms (target <= 100 ms): "
          f"{'OK' if worst <= 100 else 'TOO SLOW'}")
    return 0 if worst <= 100 else 1


if __name__ == "__main__":
    raise SystemExit(main())
