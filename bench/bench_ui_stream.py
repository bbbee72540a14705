"""Streaming through the UI: a 5,000-token answer in the app versus the headless core.

The same fake Ollama streams the same answer to `Tutor.solve` consumed headless, and to the
Solve screen (Ctrl+R; the reply is appended to the Markdown view; timing stops when the verdict
is shown). While the UI streams, a key is sent every 100 ms and the time until its binding runs
is recorded.

The fake sends a token every `--delay` seconds (default 1 ms: 1,000 tokens/s, faster than a
local 1B model on a good GPU). `--delay 0` is a stress test where the consumer is the only
bottleneck: the headless core then reads 5,000 tokens in about 0.25 s, less than Textual's
Markdown widget needs to lay out the finished 16 KB answer once.

Targets: UI time at most 1.5x headless; every key answered within 100 ms.

    python bench/bench_ui_stream.py [--tokens 5000] [--runs 3] [--delay 0.001]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROBLEM = "A farmer has 6 rows of 7 apple trees. How many apple trees are there?"
STEPS = ["Multiply the 6 rows by the 7 trees in each row.", "Write the number of trees."]
STUDENT = "llama3.2:1b"
TEACHER = "qwen2.5:7b"


def long_answer(tokens: int) -> str:
    """Markdown-ish text (paragraphs, lists, sums) of about `tokens` fake-Ollama tokens."""
    from tot_tui.fake_ollama import tokenize

    parts: list[str] = []
    i = 0
    while len(tokenize("".join(parts))) < tokens - 12:
        i += 1
        if i % 5 == 0:
            parts.append(f"\n- row {i}: 7 trees, running total {7 * i}\n")
        else:
            parts.append(f"In row {i} the farmer counts the trees again, one by one, and "
                         f"writes 7 + {7 * (i - 1)} = {7 * i} before moving on. ")
        if i % 9 == 0:
            parts.append("\n\n")
    return "".join(parts) + "\n\nFinal answer: 42"


SERVER = """
import sys, time
from tot_tui.fake_ollama import FakeOllama, Reply
text = open(sys.argv[1], encoding="utf-8").read()
fake = FakeOllama()
fake.add_model(sys.argv[3])
fake.reply(sys.argv[4], Reply(text=text, chunk_delay=float(sys.argv[2])))
fake.start()
print(fake.url, flush=True)
sys.stdin.read()  # until the benchmark closes our stdin
fake.stop()
"""


def start_server(text: str, delay: float, home: str) -> tuple[subprocess.Popen[str], str]:
    """The fake Ollama in its own process, as a real server would be: in-process, its thread
    would wait for the GIL whenever the UI renders, and the UI would look slower than it is."""
    path = Path(home) / "answer.txt"
    path.write_text(text, "utf-8")
    proc = subprocess.Popen([sys.executable, "-c", SERVER, str(path), str(delay), TEACHER,
                             STUDENT], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


async def headless_run(tutor, problem, step_set) -> float:
    start = time.perf_counter()
    async for _event in tutor.solve(problem, step_set=step_set):
        pass
    return time.perf_counter() - start


async def ui_run(config, checker, problem_id: int) -> tuple[float, list[float], int]:
    from textual import events
    from textual.binding import Binding

    from tot_tui.tutor.session import Tutor
    from tot_tui.ui.app import TotApp
    from tot_tui.ui.widgets.student_stream import StudentStream

    class BenchApp(TotApp):
        BINDINGS = [Binding("f12", "probe", "Probe", show=False, id="bench.probe")]  # noqa: RUF012

        def action_probe(self) -> None:
            self.answered.append(time.perf_counter())

    tutor = Tutor(config, checker=checker)
    app = BenchApp(config, tutor, check_connection=False)
    app.answered = []  # type: ignore[attr-defined]
    latencies: list[float] = []
    async with app.run_test(size=(120, 36)) as pilot:
        await app.workers.wait_for_complete()
        app.open_problem(problem_id, run=False)
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        pane = screen.query_one("#with-steps", StudentStream)
        start = time.perf_counter()
        screen.action_solve()  # what Ctrl+R runs
        # The pane still shows the problem's last verdict until the new reply starts.
        while not pane.running:
            await asyncio.sleep(0.001)
        sent: list[float] = []
        next_key = start + 0.1
        while pane.banner.verdict is None or pane.running:
            await asyncio.sleep(0.005)
            if time.perf_counter() >= next_key and pane.running:
                sent.append(time.perf_counter())
                app.post_message(events.Key("f12", None))
                next_key += 0.1
        elapsed = time.perf_counter() - start
        await pilot.pause()
        latencies = [a - s for s, a in zip(sent, app.answered, strict=False)]
        chars = len(pane.text)
    await tutor.aclose()
    return elapsed, latencies, chars


async def main_async(tokens: int, runs: int, delay: float = 0.001) -> int:
    from tot_tui.check import Checker
    from tot_tui.config import load_config
    from tot_tui.fake_ollama import tokenize
    from tot_tui.tutor.session import Tutor

    home = tempfile.mkdtemp(prefix="tot-tui-bench-")
    text = long_answer(tokens)
    server, url = start_server(text, delay, home)
    with Checker() as checker:
        os.environ.update(OLLAMA_HOST=url, TOT_TUI_CONFIG_DIR=f"{home}/config",
                          TOT_TUI_DATA_DIR=f"{home}/data")
        config = load_config()
        # The reply is capped at student_max_tokens (num_predict), which the fake honours: lift
        # the cap so the whole answer is sent, headless and in the UI alike.
        config.settings.student_max_tokens = max(config.settings.student_max_tokens,
                                                 tokens + 1000)
        tutor = Tutor(config, checker=checker)
        problem = await tutor.add_problem(PROBLEM, "42")
        step_set = await tutor.save_steps(problem, STEPS)
        await headless_run(tutor, problem, step_set)  # warm the model, the checker, the DB
        core: list[float] = []
        ui: list[float] = []
        latencies: list[float] = []
        for _ in range(runs):
            core.append(await headless_run(tutor, problem, step_set))
            elapsed, lat, chars = await ui_run(config, checker, problem.id)
            ui.append(elapsed)
            latencies += lat
            assert chars == len(text), f"the UI lost part of the reply ({chars} of {len(text)})"
        await tutor.aclose()
    server.communicate("", timeout=30)
    c, u = statistics.median(core), statistics.median(ui)
    worst = max(latencies) if latencies else float("nan")
    print(f"reply: {len(tokenize(text))} tokens, {len(text)} characters, "
          f"{delay * 1000:g} ms between tokens")
    print(f"headless core  median {c:6.2f} s  ({', '.join(f'{x:.2f}' for x in core)})")
    print(f"through the UI median {u:6.2f} s  ({', '.join(f'{x:.2f}' for x in ui)})")
    print(f"ratio {u / c:.2f}x (target <= 1.5x): {'OK' if u / c <= 1.5 else 'TOO SLOW'}")
    if latencies:
        print(f"keys during the stream: {len(latencies)} sent, median "
              f"{statistics.median(latencies) * 1000:.0f} ms, worst {worst * 1000:.0f} ms "
              f"(target < 100 ms): {'OK' if worst < 0.1 else 'TOO SLOW'}")
    return 0 if u / c <= 1.5 and (not latencies or worst < 0.1) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--delay", type=float, default=0.001,
                        help="seconds between tokens from the fake server (0 = stress test)")
    args = parser.parse_args()
    return asyncio.run(main_async(args.tokens, args.runs, args.delay))


if __name__ == "__main__":
    raise SystemExit(main())
