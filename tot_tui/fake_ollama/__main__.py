"""`python -m tot_tui.fake_ollama`: serve the demo brain so tot-tui runs without a GPU."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from datetime import datetime
from pathlib import Path

from .demo import DEMO_MODELS, DEMO_PULLABLE, Scenario, install_demo
from .server import FakeOllama


def build_parser() -> argparse.ArgumentParser:
    # Reached as `python -m tot_tui.fake_ollama` or through the CLI as `tot-tui fake-server`.
    as_module = Path(sys.argv[0]).parent.name == "fake_ollama"
    parser = argparse.ArgumentParser(
        prog="python -m tot_tui.fake_ollama" if as_module else "tot-tui fake-server",
        description="A fake Ollama server with a scripted demo teacher and student.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=11434, help="port (default 11434; 0 = any)")
    parser.add_argument(
        "--delay", type=float, default=0.03, help="seconds between streamed tokens (0.03)"
    )
    parser.add_argument("--scenario", metavar="FILE.json", help="extra problems and model roles")
    parser.add_argument(
        "--cold-load", type=float, default=1.5, help="seconds to 'load' a model on first use"
    )
    parser.add_argument("--quiet", action="store_true", help="do not log requests")
    return parser


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        scenario = Scenario.load(args.scenario) if args.scenario else None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"error: cannot read scenario {args.scenario}: {exc}", file=sys.stderr)
        return 2

    def log(line: str) -> None:
        print(f"{datetime.now():%H:%M:%S} {line}", flush=True)

    fake = FakeOllama(args.host, args.port, log=None if args.quiet else log)
    install_demo(
        fake, scenario, chunk_delay=max(0.0, args.delay), load_delay=max(0.0, args.cold_load)
    )
    try:
        fake.start()
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc}. Is Ollama (or another "
              "fake) already running there? Pick another port with --port.", file=sys.stderr)
        return 1

    models = ", ".join(m[0] for m in DEMO_MODELS)
    print(f"Fake Ollama (demo brain) listening on {fake.url}", flush=True)
    print(f"  models: {models}; pullable: {DEMO_PULLABLE[0]}")
    hint = fake.url.replace("//0.0.0.0:", "//127.0.0.1:").replace("//[::]:", "//[::1]:")
    print(f"  try:    export OLLAMA_HOST={hint}")
    print("          tot-tui")
    print("  Ctrl+C stops the server.", flush=True)
    # SIGTERM (e.g. from a process manager) stops as cleanly as Ctrl+C. Signal handlers can
    # only be set from the main thread.
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _interrupt) if in_main else None
    try:
        threading.Event().wait()  # the server runs in its own thread
    except KeyboardInterrupt:
        print("\nstopping…", flush=True)
    finally:
        fake.stop()
        if in_main:
            signal.signal(signal.SIGTERM, previous)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
