"""POLICY S4: checks run in a persistent child process with a wall-clock deadline and a memory cap.

Parent side (`Checker`): pure Python, no sympy. It talks to one warm worker over two private pipes
with JSON lines (`ensure_ascii=True`, so lone surrogates survive), kills the worker's process group
with SIGKILL when the deadline passes, and starts a fresh one. Child side (`main`): caps its
address space and CPU time, works in a fresh temporary directory with stdin closed, disables
gmpy2 (a GMP allocation failure would abort() the process), and answers one pair per line.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from ..domain import CheckResult, CheckStatus, Derived, DerivedStatus
from .derive import MAX_CONTEXT
from .derive import precheck as _derive_precheck
from .limits import MAX_ANSWER, MAX_RAW_PRED

DEFAULT_DEADLINE = 2.0
DEFAULT_DERIVE_DEADLINE = 5.0  # solving equations is slower than comparing two answers
DEFAULT_MEMORY_MB = 1024
CPU_BACKSTOP_S = 5  # RLIMIT_CPU per check, on top of what the worker has used so far
CPU_BACKSTOP_DERIVE_S = 10  # the same for a derive request (its deadline is longer)
_READY_TIMEOUT = 30.0  # a cold start (importing sympy) under heavy load
_DEBUG_ENV = "TOT_TUI_CHECK_DEBUG"


class _Timeout(Exception):
    pass


class _Dead(Exception):
    pass


def _unparseable(reason: str) -> CheckResult:
    return CheckResult(CheckStatus.UNPARSEABLE, reason)


# A plain integer in canonical form: equal exactly when the digits are (R7.1), so no parser
# and no worker trip is needed. Most GSM8K pairs are two of these.
_PLAIN_INTEGER = re.compile(r"[ \t\r\n]*(0|-?[1-9][0-9]{0,30})[ \t\r\n]*")


def _precheck(gold: object, pred: object) -> CheckResult | None:
    """What the parent can answer without the worker (and without sending 500 kB down a pipe)."""
    if not isinstance(gold, str) or not isinstance(pred, str):
        return _unparseable("parse_error")
    if len(gold) > MAX_ANSWER or len(pred) > MAX_RAW_PRED:
        return _unparseable("too_long")
    plain_gold = _PLAIN_INTEGER.fullmatch(gold)
    plain_pred = plain_gold and _PLAIN_INTEGER.fullmatch(pred)
    if plain_gold and plain_pred:
        g, p = plain_gold[1], plain_pred[1]
        if g == p:
            return CheckResult(CheckStatus.EQUIVALENT, "equal", g, p)
        return CheckResult(CheckStatus.NOT_EQUIVALENT, "different", g, p)
    return None


class Checker:
    """A warm checker process. Thread-safe: calls are serialised with a lock."""

    def __init__(
        self,
        deadline: float = DEFAULT_DEADLINE,
        memory_mb: int = DEFAULT_MEMORY_MB,
        derive_deadline: float = DEFAULT_DERIVE_DEADLINE,
    ) -> None:
        self.deadline = float(deadline)
        self.derive_deadline = float(derive_deadline)
        self.memory_mb = int(memory_mb)
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._tmpdir: str | None = None
        self._rfd = -1  # responses from the worker
        self._wfd = -1  # requests to the worker
        self._buf = b""
        self._ready = False
        self._closed = False
        self._seq = 0
        self.restarts = 0  # how many workers were replaced (for tests and logs)
        self._debug = False  # tests only: lets the worker obey sleep/alloc/abort requests

    # -- process management -------------------------------------------------------------------
    def _spawn(self) -> None:
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        env = dict(os.environ)
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        env["MPMATH_NOGMPY"] = "1"
        env["SYMPY_GROUND_TYPES"] = "python"
        env.pop("PYTHONSTARTUP", None)
        self._tmpdir = tempfile.mkdtemp(prefix="tot_tui_check_")
        env.pop(_DEBUG_ENV, None)
        if self._debug:
            env[_DEBUG_ENV] = "1"
        try:
            self._proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tot_tui.check.worker",
                    str(req_r),
                    str(resp_w),
                    str(self.memory_mb),
                ],
                pass_fds=(req_r, resp_w),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,  # its own process group, killed as a whole
                env=env,
                cwd=self._tmpdir,  # a fresh, empty working directory
                close_fds=True,
            )
        finally:
            os.close(req_r)
            os.close(resp_w)
        self._rfd, self._wfd = resp_r, req_w
        os.set_blocking(self._wfd, False)
        self._buf = b""
        self._ready = False

    def _kill(self) -> None:
        proc = self._proc
        if proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
        for fd in (self._rfd, self._wfd):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._proc, self._rfd, self._wfd, self._buf, self._ready = None, -1, -1, b"", False
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    def _replace(self) -> None:
        self._kill()
        self.restarts += 1
        if not self._closed:
            self._spawn()  # start the replacement now, so it is warm for the next check

    def start(self, wait: bool = False, timeout: float = _READY_TIMEOUT) -> bool:
        """Start the worker now (otherwise the first check starts it). With `wait`, block until
        it has imported sympy (up to `timeout` s). Returns whether it is ready."""
        with self._lock:
            if self._closed:
                return False
            if self._proc is None or self._proc.poll() is not None:
                self._kill()
                self._spawn()
            if wait and not self._ready:
                try:
                    self._ready = bool(self._read_msg(time.monotonic() + timeout).get("ready"))
                except (_Timeout, _Dead, ValueError):
                    return False
            return self._ready

    # -- pipe I/O with a deadline -------------------------------------------------------------
    def _read_msg(self, end: float) -> dict[str, Any]:
        while b"\n" not in self._buf:
            remaining = end - time.monotonic()
            if remaining <= 0:
                raise _Timeout
            r, _, _ = select.select([self._rfd], [], [], remaining)
            if not r:
                continue
            chunk = os.read(self._rfd, 1 << 16)
            if not chunk:
                raise _Dead
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        msg = json.loads(line)
        if not isinstance(msg, dict):
            raise _Dead
        return msg

    def _send(self, data: bytes, end: float) -> None:
        view = memoryview(data)
        while view:
            remaining = end - time.monotonic()
            if remaining <= 0:
                raise _Timeout
            _, w, _ = select.select([], [self._wfd], [], remaining)
            if not w:
                continue
            try:
                n = os.write(self._wfd, view)
            except BlockingIOError:
                continue
            except (BrokenPipeError, OSError):
                raise _Dead from None
            view = view[n:]

    def _death_reason(self) -> str:
        proc = self._proc
        rc = None
        if proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                rc = proc.wait(timeout=1)
        # exit 3: MemoryError inside the worker; SIGKILL we did not send: the kernel's OOM killer
        return "memory" if rc in (3, -signal.SIGKILL) else "worker_crashed"

    # -- public API ---------------------------------------------------------------------------
    def check(self, gold: str, pred: str) -> CheckResult:
        """Compare one pair within the deadline. Never raises."""
        try:
            early = _precheck(gold, pred)
            if early is not None:
                return early
            # Neither waiting for another caller's check nor for the worker to start counts
            # against this check's deadline: only the check itself does.
            with self._lock:
                return self._request({"gold": gold, "pred": pred})
        except Exception:  # the caller must go on whatever happens here
            return _unparseable("worker_crashed")

    def _debug_request(self, command: str, arg: float = 0.0) -> CheckResult:
        """Tests only (needs `_debug` set before the worker starts): make the worker sleep,
        allocate `arg` MiB or abort, through the same machinery as a real check."""
        with self._lock:
            return self._request({"debug": command, "arg": arg})

    def _request(self, payload: dict[str, Any]) -> CheckResult:
        msg = self._exchange(payload, self.deadline)
        if isinstance(msg, str):
            return _unparseable(msg)
        try:
            return CheckResult(
                CheckStatus(msg["status"]),
                str(msg.get("reason", "")),
                str(msg.get("gold_norm", "")),
                str(msg.get("pred_norm", "")),
            )
        except (KeyError, ValueError):
            return _unparseable("worker_crashed")

    def _exchange(self, payload: dict[str, Any], deadline: float) -> dict[str, Any] | str:
        """Send one request and read its reply within `deadline` s: the reply, or why there is
        none ("timeout", "memory", "worker_crashed"). The caller holds the lock."""
        if self._closed:
            return "worker_crashed"
        if self._proc is None or self._proc.poll() is not None:
            if self._proc is not None:
                self._replace()
            else:
                self._spawn()
        if not self._ready:
            try:
                msg = self._read_msg(time.monotonic() + _READY_TIMEOUT)
            except _Timeout:
                return "timeout"  # still starting: keep it, it will be ready later
            except (_Dead, ValueError):
                self._replace()
                return "worker_crashed"
            if not msg.get("ready"):
                self._replace()
                return "worker_crashed"
            self._ready = True
        end = time.monotonic() + deadline
        self._seq += 1
        seq = self._seq
        req = json.dumps({"id": seq, **payload}, ensure_ascii=True) + "\n"
        try:
            self._send(req.encode("ascii"), end)
            while True:
                msg = self._read_msg(end)
                if msg.get("id") == seq:
                    break
        except _Timeout:
            self._replace()
            return "timeout"
        except (_Dead, ValueError):
            reason = self._death_reason()
            self._replace()
            return reason
        if msg.get("exit"):  # the worker answered but asked to be replaced (MemoryError)
            self._replace()
        return msg

    async def acheck(self, gold: str, pred: str) -> CheckResult:
        """`check` in a thread, for the event loop."""
        return await asyncio.to_thread(self.check, gold, pred)

    def derive(self, kind: str, text: str, context: str = "") -> Derived:
        """The answer of a model's equations (`kind="equations"`) or program (`"program"`),
        worked out in the worker within `derive_deadline` s (tot_tui/check/derive.py).
        `context` is the problem's text: its condition words ("positive") may pick among
        several solutions. Never raises."""
        k = kind if kind in ("equations", "program") else "equations"
        try:
            early = _derive_precheck(kind, text, context)
            if early is not None:
                return early
            payload = {"derive": kind, "text": text, "context": context[:MAX_CONTEXT]}
            with self._lock:
                msg = self._exchange(payload, self.derive_deadline)
            if isinstance(msg, str):
                return Derived(k, DerivedStatus.FAILED, None, _derive_failure(msg,
                                                                           self.derive_deadline))
            got = msg["derived"]
            value = got.get("value")
            return Derived(
                k,
                DerivedStatus(got["status"]),
                None if value is None else str(value),
                str(got.get("reason", "")),
            )
        except Exception:  # the caller must go on whatever happens here
            return Derived(k, DerivedStatus.FAILED, None, _derive_failure("worker_crashed", 0))

    async def aderive(self, kind: str, text: str, context: str = "") -> Derived:
        """`derive` in a thread, for the event loop."""
        return await asyncio.to_thread(self.derive, kind, text, context)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._kill()

    def __enter__(self) -> Checker:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self._kill()


def _derive_failure(why: str, deadline: float) -> str:
    if why == "timeout":
        return f"Working out the answer took too long (over {deadline:g} s), so it was stopped."
    if why == "memory":
        return "Working out the answer needed too much memory, so it was stopped."
    return "The checker's worker stopped unexpectedly while working out the answer."


# -- child side ---------------------------------------------------------------------------------
def _set_limits(memory_mb: int) -> None:
    import resource

    limit = memory_mb * 1024 * 1024
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _cpu_backstop(seconds: int = CPU_BACKSTOP_S) -> None:
    """RLIMIT_CPU is cumulative, so move the soft limit before every check."""
    import resource

    used = resource.getrusage(resource.RUSAGE_SELF)
    soft = int(used.ru_utime + used.ru_stime) + seconds
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CPU, (soft, resource.RLIM_INFINITY))


def _no_network() -> None:
    """Defence in depth: the worker never needs a socket, so it cannot open one."""
    import socket

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise OSError("network access is disabled in the checker worker")

    for name in ("connect", "connect_ex", "bind", "sendto"):
        setattr(socket.socket, name, refuse)
    socket.create_connection = refuse  # type: ignore[assignment]
    socket.getaddrinfo = refuse  # type: ignore[assignment]


_WARMUP = (
    ("\\frac{5}{7}", "0.714286"),
    ("2x^2-8", "2(x-2)(x+2)"),
    ("(-2, 5]", "-2 < x \\le 5"),
    ("y = -2x+7", "2x+y=7"),
    ("1+i", "\\sqrt{2}e^{i\\pi/4}"),
)


_WARMUP_DERIVE = (
    ("equations", "x = 2\nx*y + y**2 = 3\ny > 0\nans = x + y"),
    ("program", "def solution():\n    return round(7 / 2, 1)\nprint(solution())"),
)


def _derive_reply(seq: Any, req: dict[str, Any]) -> dict[str, Any]:
    from .derive import derive_in_process

    res = derive_in_process(req["derive"], req.get("text", ""), req.get("context", ""))
    return {
        "id": seq,
        "derived": {"status": res.status.value, "value": res.value, "reason": res.reason},
    }


def _debug(req: dict[str, Any]) -> CheckResult:
    cmd, arg = req.get("debug"), float(req.get("arg", 0))
    if cmd == "sleep":
        time.sleep(arg)
    elif cmd == "alloc":
        block = bytearray(int(arg) * 1024 * 1024)
        del block
    elif cmd == "abort":
        os.abort()
    return CheckResult(CheckStatus.UNPARSEABLE, "debug")


def main(argv: list[str]) -> int:
    rfd, wfd, memory_mb = int(argv[0]), int(argv[1]), int(argv[2])
    _set_limits(memory_mb)
    _no_network()
    sys.setrecursionlimit(10_000)
    from .core import check_in_process
    from .derive import derive_in_process

    for g, p in _WARMUP:  # import the lazily loaded parts of sympy before the first deadline
        check_in_process(g, p)
    for kind, text in _WARMUP_DERIVE:  # and sympy's solver
        derive_in_process(kind, text)
    rf = os.fdopen(rfd, "rb", buffering=0)
    wf = os.fdopen(wfd, "wb", buffering=0)

    def reply(obj: dict[str, Any]) -> None:
        wf.write((json.dumps(obj, ensure_ascii=True) + "\n").encode("ascii"))

    debug = os.environ.get(_DEBUG_ENV) == "1"
    reply({"ready": True})
    buf = b""
    while True:
        while b"\n" not in buf:
            chunk = rf.read(1 << 16)
            if not chunk:
                return 0  # the parent went away
            buf += chunk
        line, buf = buf.split(b"\n", 1)
        try:
            req = json.loads(line)
            seq = req["id"]
        except (ValueError, KeyError, TypeError):
            continue
        is_derive = "derive" in req
        _cpu_backstop(CPU_BACKSTOP_DERIVE_S if is_derive else CPU_BACKSTOP_S)
        try:
            if is_derive:
                reply(_derive_reply(seq, req))
                continue
            if "debug" in req:
                res = _debug(req) if debug else CheckResult(CheckStatus.UNPARSEABLE, "parse_error")
            else:
                res = check_in_process(req.get("gold"), req.get("pred"))
            reply(
                {
                    "id": seq,
                    "status": res.status.value,
                    "reason": res.reason,
                    "gold_norm": res.gold_norm,
                    "pred_norm": res.pred_norm,
                }
            )
        except MemoryError:
            with contextlib.suppress(Exception):
                if is_derive:
                    failed = {"status": "failed", "value": None,
                              "reason": _derive_failure("memory", 0)}
                    reply({"id": seq, "derived": failed, "exit": True})
                else:
                    reply({"id": seq, "status": "unparseable", "reason": "memory", "exit": True})
            os._exit(3)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
