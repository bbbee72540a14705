"""One error type for everything that can go wrong talking to Ollama.

The message is meant for a person: what happened, where, and what to do about it.
"""

from __future__ import annotations

from tot_tui.domain import SETUP_KINDS, ErrorKind
from tot_tui.textsafe import safe_text

__all__ = ["ErrorKind", "LLMError"]


class LLMError(Exception):
    def __init__(self, kind: ErrorKind, message: str, *, host: str = "", model: str = "",
                 status: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.host = host
        self.model = model
        self.status = status

    @property
    def is_setup_problem(self) -> bool:
        """Unreachable server or missing model: the CLI's exit status 3."""
        return self.kind in SETUP_KINDS


def unreachable(host: str) -> LLMError:
    return LLMError(
        ErrorKind.UNREACHABLE,
        f"Cannot reach the Ollama server at {host}. Start it with `ollama serve` (install it "
        "from ollama.com), or point tot-tui at the right server with OLLAMA_HOST "
        "(or TOT_TUI_TEACHER_HOST / TOT_TUI_STUDENT_HOST, or --host).",
        host=host)


def model_missing(host: str, model: str) -> LLMError:
    return LLMError(
        ErrorKind.MODEL_MISSING,
        f"The model {model!r} is not on the Ollama server at {host}. Pull it with "
        f"`ollama pull {model}` (or from the Models screen), or choose another model.",
        host=host, model=model, status=404)


def from_status(host: str, model: str, status: int, detail: str) -> LLMError:
    detail = _short(detail)
    ollama_404 = status == 404 and ("not found" in detail or "pull" in detail)
    # Ollama answers 404; some servers report a missing model as a 500 or in the stream.
    other_wording = "not found" in detail and "model" in detail.lower()
    if model and (ollama_404 or other_wording):
        return model_missing(host, model)
    if status == 404:  # a control call (list, version) that an Ollama server always has
        return LLMError(ErrorKind.BAD_RESPONSE,
                        f"The server at {host} has no Ollama API ({detail}). Is OLLAMA_HOST "
                        "pointing at Ollama?", host=host, status=status)
    if status == 503:
        return LLMError(ErrorKind.BUSY,
                        f"The Ollama server at {host} is busy ({detail}). Wait and try again, or "
                        "raise OLLAMA_MAX_QUEUE / OLLAMA_NUM_PARALLEL on the server.",
                        host=host, model=model, status=status)
    return LLMError(ErrorKind.SERVER_ERROR,
                    f"The Ollama server at {host} answered {status} for {model!r}: {detail}",
                    host=host, model=model, status=status)


def mid_stream(host: str, model: str, detail: str) -> LLMError:
    return LLMError(ErrorKind.STREAM_ERROR,
                    f"{model!r} on {host} stopped with an error: {_short(detail)}. What arrived "
                    "so far was kept; try again.", host=host, model=model)


def pull_failed(host: str, model: str, detail: str) -> LLMError:
    return LLMError(ErrorKind.STREAM_ERROR,
                    f"Pulling {model!r} onto {host} failed: {_short(detail)}. Check the name "
                    "and tag (ollama.com/library lists them).", host=host, model=model)


def stream_cut(host: str, model: str) -> LLMError:
    return LLMError(ErrorKind.STREAM_CUT,
                    f"The connection to {host} closed while {model!r} was answering (did the "
                    "server restart or run out of memory?). What arrived so far was kept; try "
                    "again.", host=host, model=model)


def stalled(host: str, model: str, seconds: float, first: bool) -> LLMError:
    what = "start answering" if first else "send anything more"
    hint = ("The model may still be loading: raise first_token_timeout in the config, or pull a "
            "smaller model." if first else "The server may be overloaded; try again, or raise "
            "stall_timeout in the config.")
    return LLMError(ErrorKind.STALL,
                    f"{model!r} on {host} did not {what} within {seconds:g} s. {hint}",
                    host=host, model=model)


def no_reply(host: str, seconds: float) -> LLMError:
    return LLMError(ErrorKind.STALL,
                    f"The server at {host} did not answer within {seconds:g} s. It may be busy "
                    "or stuck; try again, and check that OLLAMA_HOST points at Ollama.",
                    host=host)


def _short(text: str, limit: int = 300) -> str:
    """A server's error text for a message: one line, control characters escaped (it is the
    server's, and it will reach a terminal), at most `limit` characters."""
    return safe_text(" ".join(str(text).split()), limit)
