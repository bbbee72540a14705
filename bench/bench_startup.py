"""Start-up: time from process start to the first paint, tot-tui versus a Textual hello world.

Each app runs in a real pseudo-terminal (120x36); the clock stops when the first screen's text
reaches the terminal: "Hello" for the hello world; for tot-tui, the problem box's placeholder,
drawn once the whole screen is (also printed: when "Decompose" first shows, which once came a
frame earlier than the rest). Runs alternate so both see the same machine state. Target:
tot-tui's median at most 1.3x the hello world's. Run it from the repository's root: tot-tui
is imported from the current directory.

    python bench/bench_startup.py [--runs 10]
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import select
import signal
import statistics
import struct
import sys
import tempfile
import termios
import time
from typing import Any

HELLO = """
from textual.app import App
from textual.widgets import Static

class Hello(App):
    def compose(self):
        yield Static("Hello, world")

Hello().run()
"""
TOT = "from tot_tui.cli import main; raise SystemExit(main([]))"
# Where the difference goes: the hello world plus, step by step, what tot-tui does before its
# first paint (the CLI and its config, then the app's imports).
# `tot-tui` reads its config without pydantic (validate=False) and validates after the paint.
BREAKDOWN = {
    "hello + validated config (pydantic)": ("from tot_tui.config import load_config; "
                                            "load_config()\n" + HELLO),
    "hello + config as tot-tui reads it": ("from tot_tui.config import load_config; "
                                           "load_config(validate=False)\n" + HELLO),
    "hello + cli + config + app imports": ("import tot_tui.cli\nfrom tot_tui.config import "
                                           "load_config; load_config(validate=False)\n"
                                           "import tot_tui.ui.app\n" + HELLO),
}


# The whole screen is there once the problem box shows its placeholder (after the cursor's
# cell). The first frame used to have "Decompose" but no borders or inputs, the rest coming a
# frame later: Textual dropped the whole frame inside its start-up batch (see
# TotScreen._compositor_refresh).
COMPLETE = b"ype or paste a math problem"


def app_env() -> dict[str, str]:
    """The environment both apps run in: a throw-away home, no model server, bytecode cached."""
    home = tempfile.mkdtemp(prefix="tot-tui-bench-")
    env = dict(os.environ, TERM="xterm-256color", COLUMNS="120", LINES="36",
               TOT_TUI_CONFIG_DIR=f"{home}/config", TOT_TUI_DATA_DIR=f"{home}/data",
               OLLAMA_HOST="http://127.0.0.1:9")  # no server: start-up must not wait for one
    env.pop("TEXTUAL", None)
    # Bytecode cached, as after `pip install` (which compiles it): this container sets
    # PYTHONDONTWRITEBYTECODE, and an editable install has no .pyc of its own, so tot-tui's
    # modules would be compiled from source on every start (~25 ms) while Textual's are not.
    # Both apps read and write their bytecode under a private prefix, filled by the warm-up.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = f"{home}/pycache"
    return env


def spawn(code: str, env: dict[str, str]) -> tuple[int, int]:
    """`python -c code` in a new 120x36 pseudo-terminal: its pid and the terminal's fd."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: a 120x36 terminal, then the app
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 36, 120, 0, 0))
        os.execve(sys.executable, [sys.executable, "-c", code], env)
    return pid, fd


def stop(pid: int, fd: int) -> None:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    os.close(fd)


def time_to_paint(code: str, marker: bytes | tuple[bytes, ...], env: dict[str, str],
                  timeout: float = 30) -> Any:
    """Seconds until `marker` reaches the terminal; with several markers, a tuple of the
    times each first appears (in order: each is looked for once the one before it is seen)."""
    markers = (marker,) if isinstance(marker, bytes) else marker
    times: list[float] = []
    start = time.perf_counter()
    pid, fd = spawn(code, env)
    seen = b""
    try:
        for wanted in markers:
            while wanted not in seen:
                ready, _, _ = select.select([fd], [], [], timeout)
                if not ready:
                    raise TimeoutError(f"no {wanted!r} on screen within {timeout} s")
                try:
                    seen = seen[-4096:] + os.read(fd, 65536)
                except OSError:  # the child exited
                    raise RuntimeError(seen.decode(errors="replace")[-2000:]) from None
            times.append(time.perf_counter() - start)
        return times[0] if isinstance(marker, bytes) else tuple(times)
    finally:
        stop(pid, fd)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--breakdown", action="store_true",
                        help="also time the hello world with tot-tui's start-up imports added")
    args = parser.parse_args()
    env = app_env()
    # Warm the OS file cache (and the bytecode cache) for both before timing.
    time_to_paint(HELLO, b"Hello", env)
    time_to_paint(TOT, b"Decompose", env)
    hello: list[float] = []
    tot: list[float] = []
    whole: list[float] = []
    for _ in range(args.runs):
        hello.append(time_to_paint(HELLO, b"Hello", env))
        first, complete = time_to_paint(TOT, (b"Decompose", COMPLETE), env)
        tot.append(first)
        whole.append(complete)
    h, t = statistics.median(hello), statistics.median(tot)
    print(f"hello world  median {h * 1000:6.0f} ms  (min {min(hello) * 1000:.0f}, "
          f"max {max(hello) * 1000:.0f})")
    print(f"tot-tui      median {t * 1000:6.0f} ms  (min {min(tot) * 1000:.0f}, "
          f"max {max(tot) * 1000:.0f})  \"Decompose\" shown")
    w = statistics.median(whole)
    print(f"tot-tui      median {w * 1000:6.0f} ms  (min {min(whole) * 1000:.0f}, "
          f"max {max(whole) * 1000:.0f})  whole screen")
    if args.breakdown:
        for name, code in BREAKDOWN.items():
            times = [time_to_paint(code, b"Hello", env) for _ in range(args.runs)]
            print(f"{name:36} median {statistics.median(times) * 1000:6.0f} ms")
        first = [time_to_paint(TOT, b"\x1b", env) for _ in range(args.runs)]
        print(f"{'tot-tui: first byte to the terminal':36} median "
              f"{statistics.median(first) * 1000:6.0f} ms")
    ratio = w / h
    print(f"ratio {ratio:.2f}x, whole screen (target <= 1.3x): "
          f"{'OK' if ratio <= 1.3 else 'TOO SLOW'}")
    return 0 if ratio <= 1.3 else 1


if __name__ == "__main__":
    raise SystemExit(main())
