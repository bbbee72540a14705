"""A hostile server: escape sequences, markup and links in everything it can fill.

The app runs in a real pseudo-terminal and every byte it writes is read: none of the server's
sequences (terminal title, clipboard, screen wipe) may reach the terminal, whatever screen shows
the text; its markup must not become an action.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import signal
import struct
import sys
import termios
import time
from pathlib import Path

from tests.conftest import STUDENT, TEACHER
from tests.ui.conftest import PROBLEM, SIZE, settle, type_problem, wait_until
from tot_tui.fake_ollama import FakeOllama, Reply

TITLE = "\x1b]0;pwned\x07"  # set the window title
WIPE = "\x1b[2Jwiped"  # clear the screen
CLIP = "\x1b]52;c;aGFja2Vk\x07"  # write the clipboard
HOSTILE = TITLE + WIPE + CLIP + "[@click=app.quit]click me[/]"
RAW = [TITLE.encode(), WIPE.encode(), b"\x1b]52;", b"\x1b]2;"]


def hostile_server() -> FakeOllama:
    server = FakeOllama(version="0.6.0" + HOSTILE)
    server.add_model(TEACHER, family="qwen2" + HOSTILE)
    server.add_model(STUDENT, parameter_size=HOSTILE, quantization=HOSTILE)
    server.add_model("evil" + HOSTILE + ":1b")
    server.add_pullable("llama3.2:3b", statuses=["pulling " + HOSTILE], step_delay=0.05)
    server.reply(TEACHER, Reply(text=json.dumps({"steps": ["Add " + HOSTILE, "Then sum."]})))
    server.reply(STUDENT, Reply(text="Sum " + HOSTILE + " [see](http://evil.example/x)\n\n"
                                     "Final answer: 15"))
    return server


class Terminal:
    """`tot-tui` in a pseudo-terminal; `seen` is every byte it wrote."""

    def __init__(self, env: dict[str, str]) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
            os.execve(sys.executable, [sys.executable, "-c",
                                       "from tot_tui.cli import main; raise SystemExit(main([]))"],
                      env)
        self.seen = b""

    def read_until(self, marker: bytes, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while marker not in self.seen:
            left = deadline - time.monotonic()
            assert left > 0, f"no {marker!r}; the terminal got {self.seen[-1500:]!r}"
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                self.seen += os.read(self.fd, 65536)

    def drain(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                self.seen += os.read(self.fd, 65536)

    def send(self, data: str) -> None:
        os.write(self.fd, data.encode())

    def close(self) -> bool:
        """Kill the app; True if it was still running (nothing made it quit)."""
        alive = os.waitpid(self.pid, os.WNOHANG) == (0, 0)
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        os.close(self.fd)
        return alive


def test_a_hostile_server_cannot_drive_the_terminal(tmp_path: Path) -> None:
    with hostile_server() as server:
        env = dict(os.environ, TERM="xterm-256color", OLLAMA_HOST=server.url,
                   TOT_TUI_CONFIG_DIR=str(tmp_path / "config"),
                   TOT_TUI_DATA_DIR=str(tmp_path / "data"))
        term = Terminal(env)
        try:
            term.read_until(b"ype or paste a math problem")
            term.send("\x1bOS")  # F4: the Models screen shows the version and the models
            term.read_until(b"Pull a model")
            term.read_until(b"pwned")  # the version, escaped
            term.send("\x0c")  # Ctrl+L: the pull box
            term.drain(0.5)
            term.send("llama3.2:3b")
            term.drain(0.3)
            term.send("\r")
            term.read_until(b"100%")  # the pull (with its hostile status lines) is done
            term.send("\x1bOQ")  # F2: back to Solve
            term.drain(0.5)
            term.send(PROBLEM)
            term.drain(0.3)
            term.send("\x14")  # Ctrl+T: the teacher's steps (hostile)
            term.read_until(b"Then sum.")
            term.send("\x12")  # Ctrl+R: the student's reply (hostile)
            term.read_until(b"Final answer")
            term.drain(0.5)
        finally:
            alive = term.close()
    assert alive
    for raw in RAW:
        assert raw not in term.seen, raw
    assert b"pwned" in term.seen  # shown, as text


async def test_server_markup_is_never_an_action(make_app, monkeypatch) -> None:
    # A pull status and a model name that are markup: shown as written, never a link that
    # quits, never a MarkupError (a name cut in the middle of a tag) that aborts the solve.
    link = "[@click=app.quit]click me[/]"
    student = "[b]evil " + "x" * 40 + ":1b"
    with FakeOllama() as server:
        server.add_model(TEACHER)
        server.add_model(student)
        # The status stays up for seconds (the rest of the pull is as slow, and not waited for):
        # a busy machine must not miss it.
        server.add_pullable("llama3.2:3b", statuses=[link], step_delay=3.0)
        server.reply(TEACHER, Reply(text=json.dumps({"steps": ["Add them."]})))
        server.reply(student, Reply(text="Final answer: 15"))
        monkeypatch.setenv("OLLAMA_HOST", server.url)
        monkeypatch.setenv("TOT_TUI_STUDENT", student)
        from tot_tui.config import load_config

        app = make_app(load_config())
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("f4")
            await settle(pilot, app)
            screen = app.screen
            screen.query_one("#pull-name").value = "llama3.2:3b"
            await pilot.click("#pull")
            status = screen.query_one("#pull-status")
            await wait_until(pilot, lambda: link in str(status.render()), timeout=20)
            await pilot.click("#pull-status", offset=(2, 0))
            await pilot.pause()
            assert app.is_running
            await pilot.press("escape")  # cancel the (slow) rest of the pull
            await wait_until(pilot, lambda: server.active_streams == 0, timeout=20)
            await pilot.press("f2")
            await settle(pilot, app)
            type_problem(app.screen, PROBLEM, "15")
            await pilot.press("ctrl+r")
            await settle(pilot, app)
            pane = app.screen.query_one("#with-steps")
            assert app.is_running and "[b]evil" in str(pane.border_subtitle)
            assert pane.banner.verdict is not None


async def test_a_link_in_a_reply_is_shown_and_opened_only_when_asked(fake, make_app) -> None:
    from textual.widgets import Markdown

    from tot_tui.ui.screens.confirm import ConfirmScreen

    fake.reply(STUDENT, Reply(text="See [the notes](http://evil.example/steal?x=1).\n\n"
                                   "Final answer: 15"))
    fake.reply(TEACHER, Reply(text=json.dumps({"steps": ["Add them."]})))
    app = make_app()
    opened: list[str] = []
    app.open_url = lambda url, **_: opened.append(url)  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        type_problem(app.screen, PROBLEM, "15")
        await pilot.press("ctrl+r")
        await settle(pilot, app)
        markdown = app.screen.query_one("#with-steps").query_one(Markdown)
        for answer, expected in (("n", []), ("y", ["http://evil.example/steal?x=1"])):
            markdown.post_message(Markdown.LinkClicked(markdown, "http://evil.example/steal?x=1"))
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            assert "http://evil.example/steal?x=1" in str(
                app.screen.query_one("#question").render())
            await pilot.press(answer)
            await settle(pilot, app)
            assert opened == expected
