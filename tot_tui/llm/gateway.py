"""The Ollama gateway: the only code that talks to an Ollama server.

Built on the official `ollama.AsyncClient`. Adds what the client leaves out: explicit timeouts,
a watchdog for the first token and for stalls, cancellation that closes the HTTP stream, and one
error type (`LLMError`) whose message says what to do.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterator,
    Mapping,
    Sequence,
)
from typing import Any

import httpx
import ollama
from pydantic import ValidationError

from tot_tui.domain import HostStatus, ModelInfo, PullProgress, Usage
from tot_tui.llm import errors
from tot_tui.llm.backend import Sampling
from tot_tui.llm.errors import LLMError

# Timeouts for quick control calls (list, show, ps, version): a server that accepts the
# connection but never answers must not freeze a status check.
CONTROL_READ_TIMEOUT = 10.0


def _usage(part: Any) -> Usage:
    total, parts = part.total_duration, (part.load_duration, part.prompt_eval_duration,
                                         part.eval_duration)
    # Ollama's total runs from when the request arrived: what its parts leave is the wait for
    # the scheduler (other requests ahead in the queue).
    queue = max(0, total - sum(p or 0 for p in parts)) \
        if total is not None and part.eval_duration is not None else None
    return Usage(prompt_tokens=part.prompt_eval_count, output_tokens=part.eval_count,
                 total_ns=total, load_ns=part.load_duration,
                 prompt_ns=part.prompt_eval_duration, generate_ns=part.eval_duration,
                 done_reason=part.done_reason, queue_ns=queue)


_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _valid(text: str | None) -> str:
    """Text that can be stored and printed: JSON may carry lone surrogates (`"\\ud800"`), which
    no UTF-8 encoder accepts; they become U+FFFD."""
    if not text:
        return ""
    return _SURROGATE.sub("\ufffd", text) if not text.isascii() else text


class _Final:
    """Where the stream's generator leaves the final part's figures. Not the ChatStream
    itself: a generator holding its own owner is a cycle, and a dropped stream would then stay
    open (the server generating) until the garbage collector came round."""

    __slots__ = ("usage",)

    def __init__(self) -> None:
        self.usage: Usage | None = None


class ChatStream:
    """A streamed chat reply. Iterate it for the text as it arrives (empty parts are skipped);
    once the iteration has ended, `usage` holds the server's figures from the final part.
    Close it (`aclose`, or `contextlib.aclosing`) to stop early: that closes the HTTP stream.

    Iterating goes straight to the one generator below: nothing is added per token."""

    __slots__ = ("_final", "_texts")

    def __init__(self, texts: AsyncGenerator[str, None], final: _Final) -> None:
        self._texts, self._final = texts, final

    @property
    def usage(self) -> Usage | None:
        return self._final.usage

    def __aiter__(self) -> AsyncGenerator[str, None]:
        return self._texts

    async def aclose(self) -> None:
        await self._texts.aclose()


class _Watchdog:
    """Cancels the current task when the server stays silent too long: `first_limit` seconds
    before the first part, `stall_limit` between parts.

    Only the server's silence counts, never the consumer's time with a part: the stream clears
    `waiting` when a part arrives and sets `last` and `waiting` when the consumer asks for the
    next one. A timer checks those instead of being re-armed per part."""

    __slots__ = (
        "fired",
        "first_limit",
        "handle",
        "last",
        "loop",
        "opened",
        "stall_limit",
        "task",
        "waiting",
    )

    def __init__(self, first_limit: float, stall_limit: float) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.first_limit, self.stall_limit, self.task = first_limit, stall_limit, task
        self.loop = asyncio.get_running_loop()
        self.opened = time.monotonic()
        self.last: float | None = None  # when the consumer last asked for more
        self.waiting, self.fired = True, False
        # At least every `stall_limit`: a server that falls silent right after its first part
        # is caught then, not when the (much longer) first-token deadline comes round.
        self.handle = self.loop.call_later(min(first_limit, stall_limit), self._check)

    @property
    def first(self) -> bool:
        """No part has come yet."""
        return self.last is None

    @property
    def limit(self) -> float:
        return self.first_limit if self.first else self.stall_limit

    def _check(self) -> None:
        limit, now = self.limit, time.monotonic()
        deadline = (self.opened if self.last is None else self.last) + limit
        if self.waiting and now >= deadline:
            self.fired = True
            self.task.cancel()
            return
        self.handle = self.loop.call_later(
            min(max(deadline - now, limit / 10), self.stall_limit), self._check)

    def stop(self) -> None:
        self.handle.cancel()


def ollama_options(sampling: Sampling) -> dict[str, Any]:
    """Neutral sampling settings under Ollama's option names; unset ones are left out."""
    named = {"temperature": sampling.temperature, "num_predict": sampling.max_tokens,
             "num_ctx": sampling.context, "seed": sampling.seed}
    return {name: value for name, value in named.items() if value is not None}


class OllamaGateway:
    """One Ollama host (a `Backend`). Safe to share between tasks; call `aclose()` when
    done."""

    kind = "ollama"

    def __init__(self, host: str, *, api_key: str | None = None, connect_timeout: float = 5.0,
                 first_token_timeout: float = 300.0, stall_timeout: float = 60.0) -> None:
        # `api_key`: an Ollama behind an authenticating proxy takes it as a bearer token.
        self.host = host
        self.first_token_timeout = first_token_timeout
        self.stall_timeout = stall_timeout
        # trust_env=False: a proxy from the environment must not intercept a loopback server.
        # The stream client has no read timeout of its own: the watchdog below owns that.
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else None
        self._stream = ollama.AsyncClient(
            host=host, trust_env=False, headers=headers,
            timeout=httpx.Timeout(connect=connect_timeout, read=None, write=30.0, pool=None))
        self._control = ollama.AsyncClient(
            host=host, trust_env=False, headers=headers,
            timeout=httpx.Timeout(connect=connect_timeout, read=CONTROL_READ_TIMEOUT,
                                  write=30.0, pool=30.0))

    async def aclose(self) -> None:
        await self._stream.close()
        await self._control.close()

    # -- streaming ---------------------------------------------------------------------------

    def chat(self, model: str, messages: Sequence[Mapping[str, Any]], *,
             schema: dict[str, Any] | None = None,
             sampling: Sampling | None = None) -> ChatStream:
        """Stream a chat reply: iterate the result for its text; then `usage` is set.

        Raises LLMError. Cancelling the consuming task (or closing the stream) closes the HTTP
        stream, so the server stops generating.
        """
        final, sampling = _Final(), sampling or Sampling()
        return ChatStream(self._chat_texts(final, model, lambda: self._stream.chat(
            model=model, messages=list(messages), stream=True, format=schema,
            options=ollama_options(sampling), keep_alive=sampling.keep_alive)), final)

    async def _chat_texts(self, final: _Final, model: str,
                          open_stream: Callable[[], Awaitable[AsyncIterator[Any]]],
                          ) -> AsyncGenerator[str, None]:
        # The one generator between the client and the caller, so it does the least it can per
        # token: the watchdog's two flags and a clock read, no object of its own.
        stream = await self._open(open_stream, model)
        monotonic = time.monotonic
        with self._watched(model) as watch:
            async with contextlib.aclosing(stream):  # type: ignore[type-var]
                async for part in stream:
                    watch.waiting = False
                    text = part.message.content
                    if part.done:
                        final.usage = _usage(part)
                        if text:
                            yield _valid(text)
                        return
                    if text:
                        yield text if text.isascii() else _valid(text)
                    watch.last = monotonic()
                    watch.waiting = True
            raise errors.stream_cut(self.host, model)

    async def pull(self, model: str) -> AsyncIterator[PullProgress]:
        """Pull a model, yielding progress. Ends after the server's `success`."""
        progress = self._pull_progress(model)
        try:
            async for step in progress:
                yield step
        except LLMError as exc:
            # The server refused the pull (an error status or line, e.g. no such model in the
            # registry): say so, not "model missing, pull it" as a chat would.
            cause = exc.__cause__
            if isinstance(cause, ollama.ResponseError):
                raise errors.pull_failed(self.host, model, str(cause.error)) from cause
            raise
        finally:
            await progress.aclose()

    async def _pull_progress(self, model: str) -> AsyncGenerator[PullProgress, None]:
        stream = await self._open(lambda: self._stream.pull(model, stream=True), model)
        with self._watched(model) as watch:
            async with contextlib.aclosing(stream):  # type: ignore[type-var]
                async for part in stream:
                    watch.waiting = False
                    progress = PullProgress(part.status or "", part.completed, part.total)
                    yield progress
                    if progress.status == "success":
                        return
                    watch.last = time.monotonic()
                    watch.waiting = True
            raise errors.stream_cut(self.host, model)

    async def _open(self, open_stream: Callable[[], Awaitable[AsyncIterator[Any]]],
                    model: str) -> AsyncIterator[Any]:
        try:
            return await open_stream()
        except Exception as exc:
            raise self._map(exc, model) from exc

    @contextlib.contextmanager
    def _watched(self, model: str) -> Iterator[_Watchdog]:
        """A stream's deadlines, and what its exceptions become: the watchdog's cancel a
        stall, a client error an LLMError; any other cancel, exit or LLMError stays as it is."""
        watch = _Watchdog(self.first_token_timeout, self.stall_timeout)
        try:
            yield watch
        except asyncio.CancelledError as exc:
            if watch.fired and watch.task.uncancel() == 0:
                raise errors.stalled(self.host, model, watch.limit, watch.first) from exc
            raise
        except LLMError:
            raise
        except Exception as exc:
            raise self._map(exc, model, mid_stream=not watch.first) from exc
        finally:
            watch.stop()

    # -- control calls -----------------------------------------------------------------------

    async def version(self) -> str:
        try:
            response = await self._control._client.get("/api/version")
            response.raise_for_status()
            return str(response.json().get("version", ""))
        except Exception as exc:
            raise self._map(exc, "") from exc

    async def list_models(self) -> list[ModelInfo]:
        try:
            listing = await self._control.list()
        except Exception as exc:
            raise self._map(exc, "") from exc
        models = []
        for m in listing.models:
            details = m.details
            models.append(ModelInfo(
                name=m.model or "", size=m.size or 0,
                family=(details.family or "") if details else "",
                parameter_size=(details.parameter_size or "") if details else "",
                quantization=(details.quantization_level or "") if details else "",
                modified=m.modified_at.isoformat() if m.modified_at else ""))
        return sorted(models, key=lambda info: info.name)

    async def running(self) -> list[str]:
        try:
            ps = await self._control.ps()
        except Exception as exc:
            raise self._map(exc, "") from exc
        return [m.model or "" for m in ps.models]

    async def status(self) -> HostStatus:
        """Never raises: a down server is a status, not an error."""
        try:
            models = await self.list_models()
        except LLMError as exc:
            return HostStatus(self.host, False, error=exc.message)
        try:
            version = await self.version()
        except LLMError:  # some Ollama-compatible servers have no /api/version
            version = ""
        return HostStatus(self.host, True, version, tuple(models))

    # -- error mapping -----------------------------------------------------------------------

    def _map(self, exc: BaseException, model: str, *, mid_stream: bool = False) -> LLMError:
        host = self.host
        if isinstance(exc, LLMError):
            return exc
        if isinstance(exc, ollama.ResponseError):
            if exc.status_code in (-1, None) or exc.status_code < 100:
                if not mid_stream and model and "not found" in str(exc.error).lower():
                    # Some servers report a missing model as the stream's first line.
                    return errors.model_missing(host, model)
                return errors.mid_stream(host, model, exc.error)
            return errors.from_status(host, model, exc.status_code, exc.error)
        if isinstance(exc, httpx.HTTPStatusError):
            return errors.from_status(host, model, exc.response.status_code, exc.response.text)
        if isinstance(exc, (ConnectionError, httpx.ConnectError, httpx.ConnectTimeout)):
            return errors.unreachable(host)
        if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
            return errors.stream_cut(host, model) if mid_stream or model else \
                errors.unreachable(host)
        if isinstance(exc, httpx.TimeoutException):
            if not model:  # a control call (the model list, the version): no model to load
                return errors.no_reply(host, CONTROL_READ_TIMEOUT)
            return errors.stalled(host, model, CONTROL_READ_TIMEOUT, not mid_stream)
        # A JSON line that is no object (`null`, `[1, 2]`): the client fails reading its
        # fields with an AttributeError or a TypeError.
        if isinstance(exc, (json.JSONDecodeError, ValidationError, httpx.DecodingError,
                            AttributeError, TypeError)):
            return LLMError(errors.ErrorKind.BAD_RESPONSE,
                            f"The server at {host} sent something that is not Ollama's protocol "
                            f"({type(exc).__name__}). Is OLLAMA_HOST pointing at Ollama?",
                            host=host, model=model)
        if isinstance(exc, httpx.HTTPError):
            return errors.unreachable(host)
        raise exc
