"""Time to consume a 5,000-token streamed answer: raw `ollama` client vs gateway vs the core.

Runs the fake Ollama server in its own process at zero delay (as a real Ollama would be, so the
server's work does not share this process's GIL), alternates the three consumers over several
rounds in one run, and prints medians and the ratios to the raw client (target: core ≤ 1.10×).

    python bench/bench_stream.py [--tokens 5000] [--rounds 7]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import ollama

from tot_tui.config import load_config
from tot_tui.domain import AttemptDone, Mode
from tot_tui.llm.gateway import OllamaGateway
from tot_tui.tutor.session import Tutor

MODEL = "bench:1b"
MESSAGES = [{"role": "user", "content": "Count to a large number."}]


async def raw_client(client: ollama.AsyncClient) -> int:
    n = 0
    async for part in await client.chat(model=MODEL, messages=MESSAGES, stream=True):
        n += bool(part.message.content)
    return n


async def gateway(gw: OllamaGateway) -> int:
    n = 0
    async for text in gw.chat(MODEL, MESSAGES):
        n += bool(text)
    return n


async def core(tutor: Tutor, problem) -> int:
    n = 0
    async for event in tutor.solve(problem, mode=Mode.BASELINE, model=MODEL):
        if isinstance(event, AttemptDone):
            n = event.attempt.usage.output_tokens or 0
    return n


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokens", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(args.tokens)],
                              stdout=subprocess.PIPE, text=True)
    url = server.stdout.readline().strip() if server.stdout else ""
    try:
        await measure(args, url)
    finally:
        server.terminate()
        server.wait()


SERVER = """
import sys, threading
from tot_tui.fake_ollama import FakeOllama, Reply
n = int(sys.argv[1])
chunks = [f" t{i}" for i in range(n - 1)] + ["\\nFinal answer: 1"]
fake = FakeOllama().start()
fake.add_model("bench:1b")
fake.reply("bench:1b", Reply(text="".join(chunks), chunks=chunks))
print(fake.url, flush=True)
threading.Event().wait()
"""


async def measure(args: argparse.Namespace, url: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        config = load_config(config_dir=str(Path(tmp) / "c"), data_dir=str(Path(tmp) / "d"),
                             overrides={"host": url, "student_model": MODEL})
        config.settings.student_max_tokens = args.tokens + 100
        tutor = Tutor(config)
        problem = await tutor.add_problem("Count.", "1")
        # Every consumer keeps its client between rounds, as the app does; one warm-up each
        # (checker worker, database, connections) before timing.
        client = ollama.AsyncClient(host=url, trust_env=False, timeout=httpx.Timeout(30.0))
        gw = OllamaGateway(url)
        await raw_client(client)
        await gateway(gw)
        await core(tutor, problem)
        times: dict[str, list[float]] = {"raw ollama client": [], "gateway": [], "core": []}
        for _ in range(args.rounds):
            for name, run in (("raw ollama client", lambda: raw_client(client)),
                              ("gateway", lambda: gateway(gw)),
                              ("core", lambda: core(tutor, problem))):
                start = time.perf_counter()
                n = await run()
                times[name].append(time.perf_counter() - start)
                assert n >= args.tokens - 1, (name, n)
        await tutor.aclose()
        await gw.aclose()
        await client.close()
    report(args, times)


def report(args: argparse.Namespace, times: dict[str, list[float]]) -> None:
    base = statistics.median(times["raw ollama client"])
    print(f"{args.tokens} tokens, {args.rounds} rounds, fake server at zero delay\n")
    print("| consumer | median s | min s | × raw |")
    print("|---|---|---|---|")
    for name, values in times.items():
        med = statistics.median(values)
        print(f"| {name} | {med:.3f} | {min(values):.3f} | {med / base:.2f} |")


if __name__ == "__main__":
    asyncio.run(main())
