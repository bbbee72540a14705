"""What the tutoring core needs from a model server, whatever protocol it speaks.

`Backend` is the seam: the Ollama gateway (`gateway.OllamaGateway`) and the OpenAI-compatible
client (`openai_backend.OpenAIBackend`) implement it; `BACKENDS` in `backends.py` is the one
table that names them. The core holds a `Backend` per host and never imports a client library.

Sampling settings are neutral (`Sampling`); each backend maps them to its protocol's names.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from tot_tui.domain import HostStatus, ModelInfo, PullProgress, Usage


@dataclass(frozen=True, slots=True)
class Sampling:
    """Neutral sampling settings. None: the server's (or the model's) own default."""

    temperature: float | None = None
    max_tokens: int | None = None  # Ollama's num_predict, OpenAI's max_tokens
    context: int | None = None  # Ollama's num_ctx (OpenAI servers fix it when they load)
    seed: int | None = None
    keep_alive: str | float | None = None  # Ollama only


@dataclass(frozen=True, slots=True)
class Thought:
    """A piece of a thinking model's reasoning, streamed apart from the reply's text (Ollama's
    `message.thinking`, an OpenAI server's `reasoning_content`, or `<think>…</think>` in the
    content). Never part of the reply, never given to the answer extractor."""

    text: str


class ReplyStream(Protocol):
    """A streamed reply: iterate it for the text as it arrives (`str`), with any reasoning as
    `Thought`s; once the iteration has ended, `usage` holds the server's figures. Close it
    (`aclose`) to stop early: that closes the HTTP stream, so the server stops generating."""

    @property
    def usage(self) -> Usage | None: ...

    def __aiter__(self) -> AsyncIterator[str | Thought]: ...

    async def aclose(self) -> None: ...


class Backend(Protocol):
    """One model server. Safe to share between tasks; `aclose()` when done. Every method
    raises `LLMError` (tot_tui.llm.errors) with a message that says what to do."""

    kind: str  # the BACKENDS key: "ollama", "openai"
    host: str  # the URL as configured, for messages and the history

    def chat(self, model: str, messages: Sequence[Mapping[str, Any]], *,
             schema: dict[str, Any] | None = None,
             sampling: Sampling | None = None) -> ReplyStream:
        """Stream a chat reply; with `schema`, ask for JSON that matches it (a backend that
        cannot raises LLMError with `schema_refused` set, before any text)."""
        ...

    async def list_models(self) -> list[ModelInfo]: ...

    async def status(self) -> HostStatus:
        """Never raises: a down server is a status."""
        ...

    async def version(self) -> str: ...

    # Optional: a backend without them raises LLMError(ErrorKind.UNSUPPORTED-like message).
    def pull(self, model: str) -> AsyncIterator[PullProgress]: ...

    async def running(self) -> list[str]: ...

    async def aclose(self) -> None: ...
