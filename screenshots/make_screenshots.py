"""Regenerate the SVG screenshots in this folder from the real app and the standalone fake.

    python screenshots/make_screenshots.py            # all of them
    python screenshots/make_screenshots.py history    # only names containing "history"

The fake Ollama (`python -m tot_tui.fake_ollama`, the demo brain) runs as a separate process;
the app runs headless at 120x36 with its real Tutor, database and checker in a throw-away home.
Each scene drives the app with the keys a person would press, then saves one SVG.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIZE = (120, 36)
JANET = ("Janet’s ducks lay 16 eggs per day. She eats three for breakfast every morning and "
         "bakes muffins for her friends every day with four. She sells the remainder at the "
         "farmers' market daily for $2 per fresh duck egg. How much in dollars does she make "
         "every day at the farmers' market?")
SHEEP = ("Toulouse has twice as many sheep as Charleston. Charleston has 4 times as many sheep "
         "as Seattle. How many sheep do Toulouse, Charleston, and Seattle have together if "
         "Seattle has 20 sheep?")
# MATH500 test/intermediate_algebra/1572, with the steps and reply the fake is given for it
# (SCENARIO): cases, a stacked fraction and a boxed answer, rendered.
CASES = ("Let \\[f(n) =\n\\begin{cases}\n4n+3 &\\text{if }n<a, \\\\\n"
         "7n-12 &\\text{if }n\\ge{a}.\n\\end{cases}\n\\]Find $a$ if the graph of $y=f(n)$ is "
         "continuous.")
SCENARIO = {"problems": [{
    "question": CASES, "answer": "5",
    "steps": ["Write both pieces of $f(n)$ at $n = a$.",
              "Set them equal, $4a+3 = 7a-12$: $\\lim_{n \\to a^-} f(n)$ must be $f(a)$.",
              "Solve the equation for $a$.", "The final answer is the value of $a$."],
    "solution": ("For the graph to be continuous, the two pieces of\n"
                 "\\[f(n) = \\begin{cases} 4n+3 & n < a \\\\ 7n-12 & n \\ge a \\end{cases}\\]\n"
                 "must meet at $n = a$, so $4a + 3 = 7a - 12$. Then $3a = 15$ and\n"
                 "\\[a = \\frac{15}{3} = \\boxed{5}.\\]\n\nFinal answer: $\\boxed{5}$")}]}


def free_port(preferred: int) -> int:
    for port in (preferred, 0):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise RuntimeError("no free port")


def start_fake(port: int, home: str) -> subprocess.Popen[bytes]:
    scenario = Path(home) / "scenario.json"
    scenario.write_text(json.dumps(SCENARIO), "utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "tot_tui.fake_ollama", "--port", str(port),
                             "--delay", "0.02", "--cold-load", "0.3", "--quiet",
                             "--scenario", str(scenario)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the fake server did not start")


Scene = Callable[[object], Awaitable[None]]


async def settle(pilot) -> None:
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def until(pilot, condition: Callable[[], bool], timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not condition() and time.monotonic() < end:
        await pilot.pause(0.05)


async def type_problem(pilot, text: str, reference: str) -> None:
    screen = pilot.app.screen
    screen.query_one("#problem").text = text
    screen.query_one("#reference").value = reference


# -- scenes -------------------------------------------------------------------------------

async def solve_empty(pilot) -> None:
    await settle(pilot)
    pilot.app.clear_notifications()


async def solve_decomposing(pilot) -> None:
    await type_problem(pilot, JANET, "18")
    await pilot.press("ctrl+t")
    panel = pilot.app.screen.query_one("#steps")
    await until(pilot, lambda: "Subtract the 3" in str(panel.query_one("#draft").render()))
    await pilot.pause(0.3)


async def solve_steps_edited(pilot) -> None:
    await type_problem(pilot, JANET, "18")
    await pilot.press("ctrl+t")
    await settle(pilot)
    panel = pilot.app.screen.query_one("#steps")
    panel.focus_step(3)  # the cursor at the end of step 4
    await pilot.press(*" Write the answer in dollars.")
    panel.focus_step(4)
    await pilot.press("alt+d")
    await pilot.pause()


async def solve_verdict(pilot) -> None:
    await type_problem(pilot, JANET, "18")
    await pilot.press("ctrl+r")
    await settle(pilot)
    pilot.app.clear_notifications()


async def solve_streaming(pilot) -> None:
    await type_problem(pilot, SHEEP, "260")
    await pilot.press("ctrl+t")
    await settle(pilot)
    await pilot.press("ctrl+r")
    pane = pilot.app.screen.query_one("#with-steps")
    await until(pilot, lambda: "Toulouse" in pane.text)
    pilot.app.clear_notifications()


async def solve_math(pilot) -> None:
    await type_problem(pilot, CASES, "5")
    await pilot.press("ctrl+r")
    await settle(pilot)
    pilot.app.clear_notifications()


async def solve_compare(pilot) -> None:
    await type_problem(pilot, SHEEP, "260")
    await pilot.press("ctrl+t")
    await settle(pilot)
    await pilot.press("ctrl+b")
    await settle(pilot)
    pilot.app.clear_notifications()


async def solve_three_ways(pilot) -> None:
    await type_problem(pilot, JANET, "")
    await pilot.press("ctrl+t")  # the steps, then the teacher's equations: the reference
    await settle(pilot)
    await pilot.press("f10")
    await settle(pilot)
    pilot.app.clear_notifications()


async def solve_hints(pilot) -> None:
    await type_problem(pilot, JANET, "18")
    await pilot.press("ctrl+t")
    await settle(pilot)
    await pilot.press("ctrl+o", "ctrl+f", "ctrl+f", "ctrl+f", *"$18", "enter")
    await settle(pilot)
    pilot.app.clear_notifications()


async def history(pilot) -> None:
    await pilot.press("f3")
    await settle(pilot)
    await pilot.press("down")
    await settle(pilot)
    pilot.app.clear_notifications()


async def history_search(pilot) -> None:
    await pilot.press("f3")
    await settle(pilot)
    screen = pilot.app.screen
    screen.query_one("#search").value = "sheep"
    await pilot.pause(0.5)
    await settle(pilot)
    pilot.app.clear_notifications()


async def history_eval_run(pilot) -> None:
    # A small batch evaluation first, as `tot-tui eval` runs it beside the app.
    subprocess.run([sys.executable, "-m", "tot_tui", "eval", "--dataset", "gsm8k", "--limit", "6",
                    "--modes", "baseline,tot", "--quiet"], check=True, capture_output=True)
    await pilot.press("f3")
    await settle(pilot)
    runs = pilot.app.screen.query_one("#eval-run")
    await until(pilot, lambda: runs.display)
    runs.value = runs._options[-1][1]
    await settle(pilot)
    pilot.app.clear_notifications()


async def models(pilot) -> None:
    await pilot.press("f4")
    await settle(pilot)
    screen = pilot.app.screen
    screen.query_one("#pull-name").value = "llama3.2:3b"
    await pilot.click("#pull")
    await until(pilot, lambda: 0.3 < (screen.query_one("#pull-progress").percentage or 0) < 0.9,
                timeout=10)
    pilot.app.clear_notifications()


async def settings(pilot) -> None:
    await settle(pilot)
    pilot.app.clear_notifications()
    await pilot.press("f5")
    await pilot.pause()


async def help_screen(pilot) -> None:
    await type_problem(pilot, JANET, "18")
    await pilot.press("ctrl+t")
    await settle(pilot)
    pilot.app.clear_notifications()
    pilot.app.screen.query_one("#steps").rows[0].input.focus()
    await pilot.press("f1")
    await pilot.pause()


async def palette(pilot) -> None:
    await settle(pilot)
    pilot.app.clear_notifications()
    await pilot.press("ctrl+p")
    await pilot.pause()
    await pilot.press(*"hist")
    await pilot.pause(0.5)


async def no_server(pilot) -> None:
    await settle(pilot)


SCENES: list[tuple[str, Scene, bool]] = [  # name, scene, with a server
    ("solve-empty", solve_empty, True),
    ("solve-decomposing", solve_decomposing, True),
    ("solve-steps-edited", solve_steps_edited, True),
    ("solve-streaming", solve_streaming, True),
    ("solve-verdict", solve_verdict, True),
    ("solve-compare", solve_compare, True),
    ("solve-math", solve_math, True),
    ("solve-three-ways", solve_three_ways, True),
    ("solve-hints", solve_hints, True),
    ("history", history, True),
    ("history-search", history_search, True),
    ("history-eval-run", history_eval_run, True),
    ("models-pull", models, True),
    ("settings", settings, True),
    ("help", help_screen, True),
    ("command-palette", palette, True),
    ("no-server", no_server, False),
]


def shoot(name: str, scene: Scene, host: str) -> Path:
    from tot_tui.config import load_config
    from tot_tui.ui.app import TotApp

    os.environ["OLLAMA_HOST"] = host
    app = TotApp(load_config())
    target = HERE / f"{name}.svg"

    async def auto_pilot(pilot) -> None:
        await scene(pilot)
        for widget in pilot.app.screen.query("Input, TextArea"):
            widget.cursor_blink = False
        await pilot.pause()
        target.write_text(pilot.app.export_screenshot(title=f"tot-tui — {name}"), "utf-8")
        pilot.app.exit()

    app.run(headless=True, size=SIZE, auto_pilot=auto_pilot)
    return target


def shoot_gallery() -> Path:
    """The math gallery (tests/data/math_gallery.jsonl: MATH500 and small-model replies) in the
    app's own reply pane, 120 columns wide and tall enough to hold every entry."""
    import json

    from textual.app import App, ComposeResult

    from tot_tui.ui.widgets.student_stream import StudentStream

    lines = (HERE.parent / "tests" / "data" / "math_gallery.jsonl").read_text("utf-8")
    entries = [json.loads(line) for line in lines.splitlines() if line.strip()]
    text = "\n".join(f"- **{e['id']}**: {e['text']}" for e in entries
                     if e["id"] != "aligned-nested-fracs")
    target = HERE / "math-gallery.svg"

    class Gallery(App[None]):
        CSS = "StudentStream { height: 1fr; }"

        def compose(self) -> ComposeResult:
            yield StudentStream("Math gallery (F8 in the app shows the LaTeX)")

    async def auto_pilot(pilot) -> None:
        await pilot.app.query_one(StudentStream).show_text(text, "tests/data/math_gallery.jsonl")
        await pilot.pause()
        pilot.app.set_focus(None)
        await pilot.pause()
        target.write_text(pilot.app.export_screenshot(title="tot-tui — math gallery"), "utf-8")
        pilot.app.exit()

    Gallery().run(headless=True, size=(120, 190), auto_pilot=auto_pilot)
    return target


def main(argv: list[str]) -> int:
    if not argv or any(a in "math-gallery" for a in argv):
        print(f"{shoot_gallery().relative_to(HERE.parent)}")
    wanted = [(n, s, server) for n, s, server in SCENES if not argv or any(a in n for a in argv)]
    home = tempfile.mkdtemp(prefix="tot-tui-shots-")
    os.environ.update(HOME=home, TOT_TUI_CONFIG_DIR=f"{home}/.config/tot-tui",
                      TOT_TUI_DATA_DIR=f"{home}/.local/share/tot-tui")
    port = free_port(11434)
    fake = start_fake(port, home)
    try:
        for name, scene, with_server in wanted:
            host = f"http://127.0.0.1:{port}" if with_server else "http://127.0.0.1:9"
            print(f"{shoot(name, scene, host).relative_to(HERE.parent)}")
    finally:
        fake.terminate()
        fake.wait(timeout=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
