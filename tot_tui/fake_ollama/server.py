"""A fake Ollama server: the real REST API over real HTTP, with scripted model output.

Stdlib only (ThreadingHTTPServer), so the real `ollama` client and httpx talk to it exactly as
they would to Ollama: HTTP/1.1, NDJSON bodies with `Transfer-Encoding: chunked`, JSON errors.
"""

from __future__ import annotations

import contextlib
import json
import select
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .models import ModelInfo, display_name, go_time, normalize_name, now_utc, parse_keep_alive
from .reply import Predicate, Reply, ReplyFactory, Rule, all_prompt_text, tokenize

VERSION = "0.12.6"
FOREVER = timedelta(days=365 * 292)  # what Ollama reports for keep_alive < 0
_TICK = 0.05  # granularity of interruptible waits
_COMPACT = (",", ":")  # Go's encoding/json writes no spaces


def model_not_found(name: str) -> str:
    # Wording of Ollama 0.12's chat, generate and show handlers.
    return f"model '{name}' not found"


PULL_NOT_FOUND = "pull model manifest: file does not exist"


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    body: dict[str, Any] | None
    time: float  # time.time() when the request arrived
    raw: bytes = b""


@dataclass
class _Pullable:
    info: ModelInfo
    steps: int
    step_delay: float
    statuses: tuple[str, ...] = ()  # extra status lines before the layers (tests: hostile text)


@dataclass
class _Loaded:
    expires_at: datetime
    num_ctx: int


@dataclass
class _Timeline:
    """Measured phases of one generation (ns), for the final chunk's metrics."""

    start: float = field(default_factory=time.perf_counter)
    cold: bool = False
    load_ns: int = 0
    prompt_ns: int = 0
    first_chunk_at: float | None = None


class _ClientGone(Exception):
    """The client closed the connection (or the server is stopping): stop writing."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], fake: FakeOllama) -> None:
        self.fake = fake
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        # Track open sockets so stop() can cut idle keep-alive connections too; otherwise a
        # pooled client connection would still be answered after the server "stopped".
        with self.connections_lock:
            self.connections.add(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self.connections_lock:
                self.connections.discard(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | _ClientGone | OSError):
            return  # client went away: nothing to report
        super().handle_error(request, client_address)

    def close_connections(self) -> None:
        with self.connections_lock:
            sockets = list(self.connections)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class FakeOllama:
    """An in-process fake Ollama server. See the package docstring for the API."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        version: str = VERSION,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.host = host
        self._port = port
        self.version = version
        # Cold-load time for replies without their own load_delay and for "load" requests.
        self.load_delay = 0.0
        # Report modelled durations only (never the measured ones): the same script gives the
        # same metrics on a busy machine, which snapshot tests and screenshots need.
        self.simulated_timing = False
        self._log = log
        self._lock = threading.RLock()
        self._idle = threading.Condition(self._lock)
        self._models: dict[str, ModelInfo] = {}
        self._pullable: dict[str, _Pullable] = {}
        self._rules: dict[str, list[Rule]] = {}
        self._fallback: list[Rule] = []  # rules for any model (used by the demo brain)
        self._loaded: dict[str, _Loaded] = {}
        self._requests: list[RecordedRequest] = []
        self._active_gen = 0
        self._active_pull = 0
        self._max_concurrent = 0
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeOllama:
        if self._server is not None:
            return self
        self._stopping = threading.Event()
        self._server = _Server((self.host, self._port), self)
        self._port = self._server.server_address[1]  # keep the port if restarted
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": _TICK},
            name=f"fake-ollama:{self._port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()  # wakes stalled and delayed streams
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.wait_idle(timeout=5)

    @property
    def running(self) -> bool:
        return self._server is not None

    def __enter__(self) -> FakeOllama:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> FakeOllama:
        return self.start()

    async def __aexit__(self, *exc: object) -> None:
        import asyncio

        await asyncio.to_thread(self.stop)

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self._port}"

    # ---- models ----------------------------------------------------------------------------

    def add_model(
        self,
        name: str,
        *,
        family: str = "llama",
        parameter_size: str = "8.0B",
        quantization: str = "Q4_K_M",
        size: int = 4_920_753_328,
        context_length: int = 32768,
        capabilities: list[str] | None = None,
    ) -> ModelInfo:
        info = _model_info(name, family, parameter_size, quantization, size, context_length,
                           capabilities)
        with self._lock:
            self._models[normalize_name(name)] = info
        return info

    def remove_model(self, name: str) -> None:
        with self._lock:
            self._models.pop(normalize_name(name), None)
            self._loaded.pop(normalize_name(name), None)

    def add_pullable(
        self,
        name: str,
        *,
        size: int = 1_321_098_329,
        steps: int = 5,
        step_delay: float = 0.0,
        family: str = "llama",
        parameter_size: str = "1.2B",
        quantization: str = "Q8_0",
        context_length: int = 131072,
        capabilities: list[str] | None = None,
        statuses: Sequence[str] = (),
    ) -> None:
        """A model that is absent until pulled; pulling streams `steps` progress lines (after
        `statuses`, extra status lines as given)."""
        info = _model_info(name, family, parameter_size, quantization, size, context_length,
                           capabilities)
        with self._lock:
            self._pullable[normalize_name(name)] = _Pullable(info, max(1, steps), step_delay,
                                                             tuple(statuses))

    def has_model(self, name: str) -> bool:
        with self._lock:
            return normalize_name(name) in self._models

    @property
    def models(self) -> list[str]:
        with self._lock:
            return [m.name for m in self._models.values()]

    # ---- scripting -------------------------------------------------------------------------

    def reply(
        self,
        model: str | None,
        reply: Reply | ReplyFactory | str,
        when: str | Predicate | None = None,
        *,
        times: int | None = None,
    ) -> Rule:
        """Script what `model` says. Newest rule first; first match wins.

        `when` is a substring of the last user message (or generate prompt) or a predicate on
        the request body. `reply` is a Reply, a str, or a callable building one from the body.
        `times` limits how many requests the rule answers. `model=None` scripts every model.
        A model that is neither known nor pullable is added (so a script is enough to use it).
        """
        if isinstance(reply, str):
            reply = Reply(text=reply)
        rule = Rule(reply=reply, when=when, times=times)
        with self._lock:
            if model is None:
                self._fallback.insert(0, rule)
                return rule
            key = normalize_name(model)
            if key not in self._models and key not in self._pullable:
                self.add_model(model)
            self._rules.setdefault(key, []).insert(0, rule)
        return rule

    def clear_replies(self, model: str | None = None) -> None:
        with self._lock:
            if model is None:
                self._rules.clear()
                self._fallback.clear()
            else:
                self._rules.pop(normalize_name(model), None)

    def _pick_reply(self, key: str, body: dict[str, Any]) -> Reply:
        chosen: Rule | None = None
        with self._lock:
            for rule in [*self._rules.get(key, []), *self._fallback]:
                if not rule.exhausted() and rule.matches(body):
                    rule.used += 1
                    chosen = rule
                    break
        if chosen is not None:
            return chosen.build(body)  # outside the lock: factories may be slow
        name = self._models[key].name if key in self._models else key
        return Reply(text=f"This is a scripted reply from {name}.")

    # ---- loaded models ---------------------------------------------------------------------

    def unload(self, model: str | None = None) -> None:
        """Make `model` (or every model) cold again: the next request pays its load_delay."""
        with self._lock:
            if model is None:
                self._loaded.clear()
            else:
                self._loaded.pop(normalize_name(model), None)

    def is_loaded(self, model: str) -> bool:
        with self._lock:
            return self._is_loaded(normalize_name(model))

    def _is_loaded(self, key: str) -> bool:
        state = self._loaded.get(key)
        return state is not None and state.expires_at > now_utc()

    def _mark_loaded(self, key: str, keep: timedelta | None, num_ctx: int) -> None:
        with self._lock:
            if keep is not None and keep <= timedelta(0):
                self._loaded.pop(key, None)
                return
            self._loaded[key] = _Loaded(now_utc() + (keep or FOREVER), num_ctx)

    # ---- observation -----------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    @property
    def active_streams(self) -> int:
        """Chat/generate/pull responses being produced right now."""
        with self._lock:
            return self._active_gen + self._active_pull

    @property
    def max_concurrent(self) -> int:
        """Most chat/generate requests ever in progress at the same time."""
        with self._lock:
            return self._max_concurrent

    def reset_max_concurrent(self) -> None:
        with self._lock:
            self._max_concurrent = self._active_gen

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Block until no stream is active; False if `timeout` passed first."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._active_gen + self._active_pull:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    @contextlib.contextmanager
    def _active(self, kind: str) -> Iterator[None]:
        with self._lock:
            if kind == "gen":
                self._active_gen += 1
                self._max_concurrent = max(self._max_concurrent, self._active_gen)
            else:
                self._active_pull += 1
        try:
            yield
        finally:
            with self._idle:
                if kind == "gen":
                    self._active_gen -= 1
                else:
                    self._active_pull -= 1
                self._idle.notify_all()

    def log(self, message: str) -> None:
        if self._log is not None:
            self._log(message)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    server_version = "fake-ollama"
    sys_version = ""
    _responded = False  # whether a status line went out for the current request
    _streaming = False  # whether the NDJSON response head went out

    # ---- plumbing --------------------------------------------------------------------------

    @property
    def fake(self) -> FakeOllama:
        return self.server.fake

    def log_message(self, format: str, *args: Any) -> None:
        self.fake.log(f"{self.address_string()} {format % args}")

    def log_error(self, format: str, *args: Any) -> None:
        pass  # malformed request lines and timeouts are not interesting in tests

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_OPTIONS(self) -> None:
        self._dispatch("OPTIONS")

    def send_response(self, code: int, message: str | None = None) -> None:
        # Like Go's net/http: a Date header but no Server header.
        self._responded = True
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(data)
                data += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _dispatch(self, method: str) -> None:
        path = self.path.split("?", 1)[0]
        self._responded = self._streaming = False
        try:
            raw = self._read_body()  # always drain it, or keep-alive requests get out of step
        except ValueError:
            self.close_connection = True
            self._send_json(400, {"error": "malformed request body framing"})
            return
        body: dict[str, Any] | None = None
        error: str | None = None
        if method in ("POST", "PUT", "DELETE"):
            body, error = _parse_json(raw, path)
        self.fake._record(RecordedRequest(method, path, body, time.time(), raw))

        routes: dict[str, dict[str, Callable[[dict[str, Any]], None]]] = {
            "/": {"GET": self._root, "HEAD": self._root},
            "/api/version": {"GET": self._version, "HEAD": self._version},
            "/api/tags": {"GET": self._tags, "HEAD": self._tags},
            "/api/ps": {"GET": self._ps},
            "/api/show": {"POST": self._show},
            "/api/chat": {"POST": self._chat},
            "/api/generate": {"POST": self._generate},
            "/api/pull": {"POST": self._pull},
            "/api/delete": {"DELETE": self._delete},
        }
        handlers = routes.get(path)
        if handlers is None:
            self._send_text(404, "404 page not found")
            return
        handler = handlers.get(method)
        if handler is None:
            self._send_text(405, "405 method not allowed")
            return
        if error is not None:
            self._send_json(400, {"error": error})
            return
        try:
            handler(body or {})
        except _ClientGone:
            self.close_connection = True
        except Exception as exc:  # a bug here must not look like a network problem
            self.close_connection = True
            self.fake.log(f"fake_ollama: {method} {path} failed: {exc!r}")
            if not self._responded:
                with contextlib.suppress(_ClientGone):
                    self._send_json(500, {"error": f"fake_ollama internal error: {exc!r}"})

    def _send_bytes(self, status: int, content_type: str, data: bytes) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
            self.wfile.flush()
        except OSError as exc:
            raise _ClientGone from exc

    def _send_json(self, status: int, payload: Any) -> None:
        data = _json_bytes(payload)
        self._send_bytes(status, "application/json; charset=utf-8", data)

    def _send_text(self, status: int, text: str) -> None:
        self._send_bytes(status, "text/plain; charset=utf-8", text.encode())

    def _begin_stream(self) -> None:
        self._streaming = True
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/x-ndjson")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.flush()
        except OSError as exc:
            raise _ClientGone from exc

    def _stream_line(self, payload: Any) -> None:
        # Like Go's http.ResponseWriter the status line goes out with the first write, so an
        # error before any output is a plain HTTP error and a cold load delays the headers.
        if not self._streaming:
            self._begin_stream()
        data = _json_bytes(payload) + b"\n"
        try:
            self.wfile.write(b"%X\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()
        except OSError as exc:
            raise _ClientGone from exc

    def _end_stream(self) -> None:
        try:
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError as exc:
            raise _ClientGone from exc

    def _drop_connection(self) -> None:
        """Cut the socket mid-response: no final chunk, no zero-length terminator."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.wfile.flush()
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _client_gone(self) -> bool:
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            if not readable:
                return False
            peeked: bytes = self.connection.recv(1, socket.MSG_PEEK)
            return peeked == b""
        except (OSError, ValueError):
            return True

    def _pause(self, seconds: float) -> None:
        """Sleep without outliving stop() or the client; raises _ClientGone if either ends."""
        deadline = time.monotonic() + seconds
        stopping = self.fake._stopping
        while True:
            if stopping.is_set() or self._client_gone():
                raise _ClientGone
            left = deadline - time.monotonic()
            if left <= 0:
                return
            stopping.wait(min(_TICK, left))

    # ---- simple endpoints ------------------------------------------------------------------

    def _root(self, _body: dict[str, Any]) -> None:
        self._send_text(200, "Ollama is running")

    def _version(self, _body: dict[str, Any]) -> None:
        self._send_json(200, {"version": self.fake.version})

    def _tags(self, _body: dict[str, Any]) -> None:
        with self.fake._lock:
            models = sorted(self.fake._models.values(), key=lambda m: m.modified_at, reverse=True)
            payload = {"models": [m.tags_entry() for m in models]}
        self._send_json(200, payload)

    def _ps(self, _body: dict[str, Any]) -> None:
        fake = self.fake
        with fake._lock:
            now = now_utc()
            entries = [
                (state.expires_at, fake._models[key].ps_entry(state.expires_at, state.num_ctx))
                for key, state in fake._loaded.items()
                if state.expires_at > now and key in fake._models
            ]
        entries.sort(key=lambda e: e[0], reverse=True)
        self._send_json(200, {"models": [e[1] for e in entries]})

    def _show(self, body: dict[str, Any]) -> None:
        name = _model_field(body)
        if not name:
            self._send_json(400, {"error": "model is required"})
            return
        with self.fake._lock:
            info = self.fake._models.get(normalize_name(name))
            payload = info.show() if info else None
        if payload is None:
            self._send_json(404, {"error": model_not_found(name)})
            return
        self._send_json(200, payload)

    def _delete(self, body: dict[str, Any]) -> None:
        name = _model_field(body)
        if not name:
            self._send_json(400, {"error": f"name {name!r} is invalid"})
            return
        key = normalize_name(name)
        if not self.fake.has_model(name):
            self._send_json(404, {"error": model_not_found(name)})
            return
        self.fake.remove_model(key)
        self._send_bytes(200, "text/plain; charset=utf-8", b"")

    # ---- pull ------------------------------------------------------------------------------

    def _pull(self, body: dict[str, Any]) -> None:
        fake = self.fake
        name = _model_field(body)
        if not name:
            self._send_json(400, {"error": "invalid model name"})
            return
        key = normalize_name(name)
        with fake._lock:
            pullable = fake._pullable.get(key)
            existing = fake._models.get(key)
        stream = body.get("stream", True) is not False
        with fake._active("pull"):
            emit = self._stream_line if stream else (lambda _payload: None)
            emit({"status": "pulling manifest"})
            if pullable is None and existing is None:
                # Real Ollama has already written "pulling manifest" when the registry says
                # no, so the error arrives as an NDJSON line after a 200 (or a 500 unstreamed).
                if stream:
                    self._stream_line({"error": PULL_NOT_FOUND})
                    self._end_stream()
                else:
                    self._send_json(500, {"error": PULL_NOT_FOUND})
                return
            info = pullable.info if pullable else existing
            assert info is not None
            steps = pullable.steps if pullable else 1
            delay = pullable.step_delay if pullable else 0.0
            for status_text in pullable.statuses if pullable else ():
                emit({"status": status_text})
                if delay:
                    self._pause(delay)
            layers = [
                (info.digest, max(info.size - 12_000, 1)),
                (_layer_digest(info, "template"), 1_400),
                (_layer_digest(info, "license"), 7_700),
                (_layer_digest(info, "params"), 96),
            ]
            for digest, total in layers:
                status = {"status": f"pulling {digest[:12]}", "digest": f"sha256:{digest}"}
                emit({**status, "total": total})
                parts = steps if total > 100_000 else 1
                for i in range(1, parts + 1):
                    if delay:
                        self._pause(delay)
                    emit({**status, "total": total, "completed": total * i // parts})
            for status_text in ("verifying sha256 digest", "writing manifest"):
                emit({"status": status_text})
            with fake._lock:
                info.modified_at = now_utc()
                fake._models[key] = info
                fake._pullable.pop(key, None)
            if stream:
                self._stream_line({"status": "success"})
                self._end_stream()
            else:
                self._send_json(200, {"status": "success"})

    # ---- chat / generate -------------------------------------------------------------------

    def _chat(self, body: dict[str, Any]) -> None:
        self._generate_common(body, chat=True)

    def _generate(self, body: dict[str, Any]) -> None:
        self._generate_common(body, chat=False)

    def _generate_common(self, body: dict[str, Any], *, chat: bool) -> None:
        fake = self.fake
        name = body.get("model")
        if not isinstance(name, str) or not name.strip():
            self._send_json(400, {"error": "model is required"})
            return
        messages = body.get("messages")
        if chat and messages is not None and not isinstance(messages, list):
            kind = "object" if isinstance(messages, dict) else "string"
            self._send_json(400, {"error": f"json: cannot unmarshal {kind} into Go struct field "
                                  "ChatRequest.messages of type []api.Message"})
            return
        key = normalize_name(name)
        with fake._lock:
            info = fake._models.get(key)
        if info is None:
            self._send_json(404, {"error": model_not_found(name)})
            return
        think = body.get("think")
        if think not in (None, False) and "thinking" not in info.capabilities:
            self._send_json(400, {"error": f'"{name}" does not support thinking'})
            return
        options: dict[str, Any] = body.get("options") or {}
        if not isinstance(options, dict):
            options = {}
        keep = parse_keep_alive(body.get("keep_alive"))
        num_ctx = int(options.get("num_ctx") or 4096)

        empty = not body.get("messages") if chat else not body.get("prompt")
        if empty:
            # Ollama's "load only" (or, with keep_alive 0, "unload") request.
            unload = keep is not None and keep <= timedelta(0)
            if unload:
                fake.unload(key)
            else:
                if not fake.is_loaded(key) and fake.load_delay > 0:
                    self._pause(fake.load_delay)
                fake._mark_loaded(key, keep, num_ctx)
            final: dict[str, Any] = {"model": name, "created_at": go_time(now_utc())}
            final |= {"message": {"role": "assistant", "content": ""}} if chat else {"response": ""}
            final |= {"done_reason": "unload" if unload else "load", "done": True}
            self._send_json(200, final)
            return

        try:
            reply = fake._pick_reply(key, body)
        except Exception as exc:  # a broken test script should be loud, not a hang
            self._send_json(500, {"error": f"fake_ollama: reply rule failed: {exc!r}"})
            return
        if reply.http_error is not None:
            status, message = reply.http_error
            self._send_json(status, {"error": message})
            return

        stream = body.get("stream", True) is not False
        with fake._active("gen"):
            try:
                self._run_generation(body, name, key, info, reply, chat, stream, keep, num_ctx)
            except _ClientGone:
                self._drop_connection()

    def _run_generation(
        self,
        body: dict[str, Any],
        name: str,
        key: str,
        info: ModelInfo,
        reply: Reply,
        chat: bool,
        stream: bool,
        keep: timedelta | None,
        num_ctx: int,
    ) -> None:
        fake = self.fake
        options: dict[str, Any] = body.get("options") or {}
        if not isinstance(options, dict):
            options = {}
        content = _cut_at_stop(reply.stream_chunks(), options.get("stop"))
        # Thinking tokens come first (unless the request said think=false) and count towards
        # num_predict and eval_count, as on a real thinking model.
        thinking = tokenize(reply.thinking) if body.get("think") is not False else []
        pieces = [("thinking", t) for t in thinking] + [("content", c) for c in content]
        pieces, done_reason = _limit_pieces(pieces, options.get("num_predict"))
        done_reason = reply.done_reason or done_reason
        timeline = _Timeline()

        with fake._lock:
            timeline.cold = not fake._is_loaded(key)
        load_delay = reply.load_delay or fake.load_delay
        if timeline.cold and load_delay > 0:
            self._pause(load_delay)
        timeline.load_ns = int((time.perf_counter() - timeline.start) * 1e9)
        # While a request runs the model stays loaded even with keep_alive 0.
        busy_keep = FOREVER if keep is None else max(keep, timedelta(seconds=1))
        fake._mark_loaded(key, busy_keep, num_ctx)
        if reply.first_token_delay > 0:
            self._pause(reply.first_token_delay)
        timeline.prompt_ns = int((time.perf_counter() - timeline.start) * 1e9) - timeline.load_ns

        def piece(text: str, kind: str = "content") -> dict[str, Any]:
            out: dict[str, Any] = {"model": name, "created_at": go_time(now_utc())}
            if chat:
                out["message"] = {"role": "assistant", "content": ""}
                out["message"][kind] = text
            else:
                out["response"] = text if kind == "content" else ""
                if kind == "thinking":
                    out["thinking"] = text
            out["done"] = False
            return out

        sent: list[tuple[str, str]] = []
        for index in range(len(pieces) + 1):
            if reply.error_after is not None and index == reply.error_after:
                if self._streaming:
                    self._stream_line({"error": reply.error_message})
                    self._end_stream()
                else:
                    self._send_json(500, {"error": reply.error_message})
                fake._mark_loaded(key, keep, num_ctx)
                return
            if reply.disconnect_after is not None and index == reply.disconnect_after:
                self._drop_connection()
                return
            if reply.junk_after is not None and index == reply.junk_after[0]:
                self._stream_line(reply.junk_after[1])
                self._end_stream()
                return
            if reply.stall_after is not None and index == reply.stall_after:
                self._pause(reply.stall_seconds)
            if index == len(pieces):
                break
            if index > 0 and reply.chunk_delay > 0:
                self._pause(reply.chunk_delay)
            if timeline.first_chunk_at is None:
                timeline.first_chunk_at = time.perf_counter()
            kind, text = pieces[index]
            if stream:
                self._stream_line(piece(text, kind))
            sent.append(pieces[index])

        final = piece("")
        final["done"] = True
        final["done_reason"] = done_reason
        prompt_tokens = reply.prompt_eval_count
        if prompt_tokens is None:
            prompt_tokens = _estimate_prompt_tokens(body)
        eval_tokens = reply.eval_count if reply.eval_count is not None else len(sent)
        if not chat and body.get("raw") is not True:
            context_len = prompt_tokens + eval_tokens
            final["context"] = [(7 * i + 128_000) % 151_000 for i in range(context_len)]
        final |= _metrics(timeline, prompt_tokens, eval_tokens, self.fake.simulated_timing)
        if stream:
            self._stream_line(final)
            self._end_stream()
        else:
            text = "".join(t for k, t in sent if k == "content")
            thought = "".join(t for k, t in sent if k == "thinking")
            if chat:
                final["message"]["content"] = text
                if thought:
                    final["message"]["thinking"] = thought
            else:
                final["response"] = text
                if thought:
                    final["thinking"] = thought
            self._send_json(200, final)
        fake._mark_loaded(key, keep, num_ctx)


# ---- helpers --------------------------------------------------------------------------------

_ENDPOINT_TYPES = {
    "/api/chat": "api.ChatRequest",
    "/api/generate": "api.GenerateRequest",
    "/api/pull": "api.PullRequest",
    "/api/show": "api.ShowRequest",
    "/api/delete": "api.DeleteRequest",
}


def _parse_json(raw: bytes, path: str) -> tuple[dict[str, Any] | None, str | None]:
    """Parse a request body the way Ollama's handlers report problems (always 400)."""
    if not raw.strip():
        return None, "missing request body"
    try:
        value = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return None, f"invalid character in request body: {exc}"
    if not isinstance(value, dict):
        kind = {list: "array", str: "string", bool: "bool"}.get(type(value), "number")
        if value is None:
            return {}, None  # Go decodes `null` into an empty struct
        target = _ENDPOINT_TYPES.get(path, "map[string]interface {}")
        return None, f"json: cannot unmarshal {kind} into Go value of type {target}"
    return value, None


def _model_field(body: dict[str, Any]) -> str:
    name = body.get("model") or body.get("name") or ""
    return name.strip() if isinstance(name, str) else ""


def _layer_digest(info: ModelInfo, layer: str) -> str:
    import hashlib

    return hashlib.sha256(f"{info.digest}:{layer}".encode()).hexdigest()


def _limit_pieces(
    pieces: list[tuple[str, str]], num_predict: Any
) -> tuple[list[tuple[str, str]], str]:
    """options.num_predict caps the number of generated tokens: done_reason "length"."""
    if isinstance(num_predict, int) and num_predict >= 0 and len(pieces) > num_predict:
        return pieces[:num_predict], "length"
    return pieces, "stop"


def _cut_at_stop(chunks: list[str], stops: Any) -> list[str]:
    """options.stop: the output ends right before the first stop sequence (not included)."""
    if isinstance(stops, str):
        stops = [stops]
    if stops:
        text = "".join(chunks)
        cut = min((i for s in stops if s and (i := text.find(s)) >= 0), default=-1)
        if cut >= 0:
            kept: list[str] = []
            used = 0
            for chunk in chunks:
                if used + len(chunk) > cut:
                    if cut > used:
                        kept.append(chunk[: cut - used])
                    break
                kept.append(chunk)
                used += len(chunk)
            chunks = kept
    return chunks


def _estimate_prompt_tokens(body: dict[str, Any]) -> int:
    text = all_prompt_text(body)
    messages = body.get("messages")
    overhead = 4 * len(messages) if isinstance(messages, list) else 4
    return len(tokenize(text)) + overhead + 10  # chat template headers


def _model_info(name: str, family: str, parameter_size: str, quantization: str, size: int,
                context_length: int, capabilities: list[str] | None) -> ModelInfo:
    return ModelInfo(name=display_name(name), family=family, parameter_size=parameter_size,
                     quantization=quantization, size=size, context_length=context_length,
                     capabilities=list(capabilities or ["completion", "tools"]))


def _metrics(timeline: _Timeline, prompt_tokens: int, eval_tokens: int,
             simulated: bool = False) -> dict[str, int]:
    """Ollama's final-chunk timings: measured, but never implausibly small (or, `simulated`,
    only the modelled values)."""
    now = time.perf_counter()
    first = timeline.first_chunk_at or now
    model_load = 650_000_000 if timeline.cold else 9_000_000
    model_prompt = 250_000 * prompt_tokens + 5_000_000
    model_eval = 12_500_000 * eval_tokens
    if simulated:
        load_ns, prompt_ns, eval_ns, measured_total = model_load, model_prompt, model_eval, 0
    else:
        load_ns = max(timeline.load_ns, model_load)
        prompt_ns = max(timeline.prompt_ns, model_prompt)
        eval_ns = max(int((now - first) * 1e9), model_eval)
        measured_total = int((now - timeline.start) * 1e9)
    total_ns = max(measured_total, load_ns + prompt_ns + eval_ns + 1_500_000)
    return {
        "total_duration": total_ns,
        "load_duration": load_ns,
        "prompt_eval_count": prompt_tokens,
        "prompt_eval_duration": prompt_ns,
        "eval_count": eval_tokens,
        "eval_duration": eval_ns,
    }


def _json_bytes(payload: Any) -> bytes:
    """UTF-8 JSON; text UTF-8 cannot carry (a lone surrogate a script put in a reply, to test
    hostile output) goes out as a `\\uXXXX` escape, as a JSON encoder may legally send it."""
    text = json.dumps(payload, ensure_ascii=False, separators=_COMPACT)
    try:
        return text.encode()
    except UnicodeEncodeError:
        return json.dumps(payload, ensure_ascii=True, separators=_COMPACT).encode()
