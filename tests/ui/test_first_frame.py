"""The first frame `tot-tui` writes to a real terminal is the whole Solve screen."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
from pathlib import Path

PLACEHOLDER = b"ype or paste a math problem"  # the problem box's (after the cursor's cell)


def read_until(fd: int, marker: bytes, timeout: float = 60) -> bytes:
    seen = b""
    while marker not in seen:
        ready, _, _ = select.select([fd], [], [], timeout)
        assert ready, f"no {marker!r} within {timeout} s; the terminal got {seen[-2000:]!r}"
        seen += os.read(fd, 65536)
    return seen


def test_the_first_frame_is_the_whole_screen(tmp_path: Path) -> None:
    # Textual draws a frame top to bottom. A first frame that is the whole screen draws the
    # problem box (row 4) before the Decompose button (row 7); the partial frame Textual
    # writes first when a mode's screen starts inside its start-up batch has the button and
    # not the box, which only comes in the frame after.
    env = dict(os.environ, TERM="xterm-256color", TOT_TUI_CONFIG_DIR=str(tmp_path / "config"),
               TOT_TUI_DATA_DIR=str(tmp_path / "data"), OLLAMA_HOST="http://127.0.0.1:9")
    pid, fd = pty.fork()
    if pid == 0:  # the child: a 120x36 terminal, then the app
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 36, 120, 0, 0))
        os.execve(sys.executable, [sys.executable, "-c",
                                   "from tot_tui.cli import main; raise SystemExit(main([]))"],
                  env)
    try:
        seen = read_until(fd, PLACEHOLDER)
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)
    assert b"Decompose" not in seen[:seen.index(PLACEHOLDER)]
