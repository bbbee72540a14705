"""Progress of a run on stderr: a bar with ETA and running accuracy per mode.

On a terminal one line is redrawn in place (at most ten times a second); otherwise (a log file,
CI) plain lines are written every 5% and at the end, so logs stay readable.
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from typing import TYPE_CHECKING, TextIO

from tot_tui.evaluate.results import is_correct
from tot_tui.modes import BY_NAME

if TYPE_CHECKING:
    from tot_tui.evaluate.results import RunData
    from tot_tui.evaluate.spec import RunSpec

BAR_WIDTH = 24
REDRAW_SECONDS = 0.1


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


class Progress:
    def __init__(self, stream: TextIO | None = None, *, enabled: bool = True,
                 tty: bool | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.tty = self.stream.isatty() if tty is None else tty
        self.total = 0
        self.done = 0
        self.failures = 0
        self.correct: dict[str, int] = defaultdict(int)  # per mode, all students
        self.scored: dict[str, int] = defaultdict(int)
        self._started = time.monotonic()
        self._last_draw = 0.0
        self._next_plain = 0
        self._plain_at = -1  # `done` when the last plain line was written
        self._drawn_at = -1  # `done` when the bar was last drawn
        self._drawn = False

    def start(self, total: int, data: RunData, spec: RunSpec) -> None:
        """`total` triples to do now; `data` holds those finished before (on resume)."""
        self.total = total
        self._started = time.monotonic()
        for (_, _, mode), attempt in data.outcomes.items():
            self.scored[mode] += 1
            self.correct[mode] += is_correct(attempt)
        if self.enabled and not self.tty:
            before = len(data.outcomes)
            resumed = f" ({before} finished before)" if before else ""
            self._write(f"eval: {total} attempts to run{resumed}")
        self._draw(force=True)

    def advance(self, student: str, mode: str, correct: bool) -> None:
        self.done += 1
        self.scored[mode] += 1
        self.correct[mode] += correct
        self._draw()

    def failed(self, student: str, mode: str, message: str) -> None:
        self.done += 1
        self.failures += 1
        self.note(f"failed ({student}, {mode}): {message}")

    def note(self, message: str) -> None:
        if not self.enabled:
            return
        from tot_tui.textsafe import safe_text

        self._clear()
        self._write(f"eval: {safe_text(message)}")  # server text (errors) among it
        self._draw(force=True)

    def finish(self) -> None:
        if not self.enabled:
            return
        if self.tty:
            if self._drawn_at != self.done:  # the last update was throttled: show the final count
                self._draw(force=True)
            if self._drawn:
                self.stream.write("\n")
                self.stream.flush()
                self._drawn = False
        elif self.done != self._plain_at:
            self._write(self.line())

    # -- rendering ---------------------------------------------------------------------------

    def eta(self) -> float | None:
        if not self.done:
            return None
        elapsed = time.monotonic() - self._started
        return elapsed / self.done * (self.total - self.done)

    def line(self) -> str:
        frac = self.done / self.total if self.total else 1.0
        filled = round(frac * BAR_WIDTH)
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        accs = "  ".join(f"{m} {self.correct[m] / self.scored[m]:.1%}" for m in BY_NAME
                         if self.scored.get(m))
        elapsed = time.monotonic() - self._started
        fails = f"  failed {self.failures}" if self.failures else ""
        return (f"[{bar}] {self.done}/{self.total} {frac:4.0%}  "
                f"{format_duration(elapsed)} ETA {format_duration(self.eta())}"
                f"{'  ' + accs if accs else ''}{fails}")

    def _draw(self, force: bool = False) -> None:
        if not self.enabled:
            return
        if self.tty:
            now = time.monotonic()
            if not force and now - self._last_draw < REDRAW_SECONDS and self.done < self.total:
                return
            self._last_draw = now
            self._drawn_at = self.done
            self.stream.write("\r\x1b[K" + self.line())
            self.stream.flush()
            self._drawn = True
        elif self.done >= self._next_plain and self.done:
            step = max(1, self.total // 20)
            self._next_plain = (self.done // step + 1) * step
            self._plain_at = self.done
            self._write(self.line())

    def _clear(self) -> None:
        if self.tty and self._drawn:
            self.stream.write("\r\x1b[K")
            self._drawn = False

    def _write(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()
