"""Scripted replies: what the fake model says, how it streams it and how it misbehaves."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

# Word-ish tokens that keep their leading whitespace, one token per digit and per punctuation
# mark, roughly like a BPE tokenizer. The alternatives cover every character, so
# "".join(tokenize(t)) == t always holds.
_TOKEN_RE = re.compile(r"\s*[^\W\d_]+|\s*\d|\s*[^\w\s]|\s*_|\s+", re.UNICODE)


def tokenize(text: str) -> list[str]:
    """Split `text` into stream chunks whose concatenation is exactly `text`."""
    return _TOKEN_RE.findall(text)


@dataclass
class Reply:
    """One scripted answer of the fake model."""

    text: str = ""
    chunks: list[str] | None = None  # explicit chunking; None = tokenize(text)
    thinking: str = ""  # streamed as message.thinking before the text (unless think=false)
    chunk_delay: float = 0.0  # seconds between chunks
    load_delay: float = 0.0  # before the first chunk when the model is cold
    first_token_delay: float = 0.0  # before the first chunk on every request
    http_error: tuple[int, str] | None = None  # answer (status, {"error": msg}) instead
    error_after: int | None = None  # after N chunks send {"error": error_message} and end
    error_message: str = "an error was encountered while running the model: unexpected EOF"
    disconnect_after: int | None = None  # after N chunks drop the socket, no final chunk
    # After N chunks send one line holding this JSON value (`null`, a list: not Ollama's
    # protocol), then end the response.
    junk_after: tuple[int, Any] | None = None
    stall_after: int | None = None  # after N chunks go silent for stall_seconds
    stall_seconds: float = 30.0
    prompt_eval_count: int | None = None  # override the estimate from the prompt length
    eval_count: int | None = None  # override the number of emitted chunks
    done_reason: str | None = None  # override "stop"/"length"

    def stream_chunks(self) -> list[str]:
        return list(self.chunks) if self.chunks is not None else tokenize(self.text)


Request: TypeAlias = Mapping[str, Any]
Predicate: TypeAlias = Callable[[dict[str, Any]], bool]
ReplyFactory: TypeAlias = Callable[[dict[str, Any]], "Reply | str"]


@dataclass
class Rule:
    """A reply (or reply factory) used for requests that satisfy `when`."""

    reply: Reply | ReplyFactory
    when: str | Predicate | None = None
    times: int | None = None  # how many more requests this rule may answer; None = forever
    used: int = field(default=0)

    def exhausted(self) -> bool:
        return self.times is not None and self.used >= self.times

    def matches(self, body: dict[str, Any]) -> bool:
        if self.when is None:
            return True
        if isinstance(self.when, str):
            return self.when in last_user_text(body)
        return bool(self.when(body))

    def build(self, body: dict[str, Any]) -> Reply:
        if isinstance(self.reply, Reply):
            return self.reply
        made = self.reply(body)
        if isinstance(made, str):
            return Reply(text=made)
        if not isinstance(made, Reply):
            raise TypeError(f"reply factory returned {type(made).__name__}, expected Reply or str")
        return made


def _content_text(content: Any) -> str:
    return content if isinstance(content, str) else ""


def last_user_text(body: Mapping[str, Any]) -> str:
    """The last user message of a chat request, or the prompt of a generate request."""
    messages = body.get("messages")
    if isinstance(messages, list):
        for message in reversed(messages):
            if isinstance(message, Mapping) and message.get("role") == "user":
                return _content_text(message.get("content"))
        return ""
    return _content_text(body.get("prompt"))


def all_prompt_text(body: Mapping[str, Any]) -> str:
    """Every piece of prompt text in a request (system, messages, prompt), newline-joined."""
    parts: list[str] = []
    if isinstance(body.get("system"), str):
        parts.append(body["system"])
    messages = body.get("messages")
    if isinstance(messages, list):
        parts.extend(
            _content_text(m.get("content")) for m in messages if isinstance(m, Mapping)
        )
    if isinstance(body.get("prompt"), str):
        parts.append(body["prompt"])
    return "\n".join(parts)
