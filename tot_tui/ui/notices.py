"""Failures said in one place: what happened and what to do, never a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

Severity = Literal["information", "warning", "error"]


def describe_error(exc: BaseException) -> tuple[str, Severity]:
    """A message for a person and how loud to say it."""
    from tot_tui.tutor.session import InputError, StoreError

    if isinstance(exc, InputError):
        return str(exc), "warning"
    if isinstance(exc, StoreError):  # its message names the file and the fix
        return str(exc), "error"
    message = getattr(exc, "message", None)  # the core's LLMError carries a sentence for people
    if isinstance(message, str) and message:
        return message, "error"
    if isinstance(exc, OSError):
        return (f"Could not read or write {exc.filename or 'a file'}: {exc.strerror or exc}. "
                "Check the path and its permissions, then try again."), "error"
    return (f"Something went wrong ({type(exc).__name__}: {exc}). Your text is kept; try "
            "again, and report it if it happens again."), "error"


def show_path(path: Path | str) -> str:
    """A path for people: under the home directory it starts with ~."""
    text = str(path)
    home = str(Path.home())
    return "~" + text[len(home):] if home != "/" and text.startswith(home + "/") else text
