"""Which process owns a row (an eval run, a streaming attempt), by more than its pid.

A pid alone is reused: after a reboot or in a new container, the pid of a dead eval may belong
to some other process, and a run "owned" by it would stay blocked forever. A token is
`host:pid:start`, where `start` is when the process started (Linux: /proc/PID/stat, in clock
ticks since boot; boot_id tells boots apart); a live process with the same pid but another
start is not the owner.
"""

from __future__ import annotations

import os
import socket
from functools import cache
from pathlib import Path


def _start_of(pid: int) -> str:
    """The process's start as `boot:ticks` (Linux), or "" where that cannot be read."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""
    # The command name (field 2) is in parentheses and may hold spaces: count after it.
    fields = stat.rsplit(")", 1)[-1].split()
    return f"{boot}/{fields[19]}" if len(fields) > 19 else ""


@cache
def process_token() -> str:
    """This process's token."""
    return f"{socket.gethostname()}:{os.getpid()}:{_start_of(os.getpid())}"


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists (it may belong to another user)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def token_alive(token: str) -> bool:
    """Whether the process a token names still runs. A token from another host cannot be
    checked from here: it counts as alive (the caller offers a take-over)."""
    host, _, rest = token.partition(":")
    pid_text, _, start = rest.partition(":")
    if host != socket.gethostname():
        return True
    try:
        pid = int(pid_text)
    except ValueError:
        return False
    if not pid_alive(pid):
        return False
    return not start or _start_of(pid) in ("", start)


def describe(token: str) -> str:
    host, _, rest = token.partition(":")
    return f"process {rest.partition(':')[0]} on {host}"
