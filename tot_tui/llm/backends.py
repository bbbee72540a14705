"""The backends tot-tui can talk to: one row per protocol. Adding one is a row here and a
module implementing `backend.Backend`.

Each backend's module (and its client library) is imported only when a backend of that kind is
first opened: never on the way to the first paint.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tot_tui.llm.backend import Backend


@dataclass(frozen=True, slots=True)
class BackendSpec:
    kind: str  # the name in config files, flags and environment variables
    label: str  # for people
    module: str  # where its class lives
    class_name: str


BACKENDS: dict[str, BackendSpec] = {spec.kind: spec for spec in (
    BackendSpec("ollama", "Ollama", "tot_tui.llm.gateway", "OllamaGateway"),
    BackendSpec("openai", "OpenAI-compatible", "tot_tui.llm.openai_backend", "OpenAIBackend"),
)}
DEFAULT_BACKEND = "ollama"


def open_backend(kind: str, host: str, *, api_key: str | None = None,
                 connect_timeout: float = 5.0, first_token_timeout: float = 300.0,
                 stall_timeout: float = 60.0) -> Backend:
    """A backend of `kind` for `host`. Raises ValueError for an unknown kind."""
    try:
        spec = BACKENDS[kind]
    except KeyError:
        raise ValueError(f"unknown backend {kind!r}; use one of: "
                         f"{', '.join(BACKENDS)}") from None
    cls = getattr(importlib.import_module(spec.module), spec.class_name)
    backend: Backend = cls(host, api_key=api_key, connect_timeout=connect_timeout,
                           first_token_timeout=first_token_timeout, stall_timeout=stall_timeout)
    return backend
