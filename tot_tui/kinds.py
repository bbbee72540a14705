"""Roles, error kinds and modes: tiny, so the CLI and the app's first paint can import them (the
rest of `tot_tui.domain`, its dataclasses, is built after the first paint; the CLI's help lists
the modes)."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

Role = Literal["teacher", "student"]
ROLES: tuple[Role, ...] = ("teacher", "student")


class ErrorKind(StrEnum):
    """Why a step of the tutor failed (`Failed.kind`, `LLMError.kind`)."""

    # Talking to the model server (tot_tui.llm.errors):
    UNREACHABLE = "unreachable"
    MODEL_MISSING = "model_missing"
    BUSY = "busy"
    STREAM_ERROR = "stream_error"  # the server reported an error mid-stream
    STREAM_CUT = "stream_cut"  # the connection closed before the final chunk
    STALL = "stall"  # no token within the stall timeout
    SERVER_ERROR = "server_error"  # any other HTTP error status
    BAD_RESPONSE = "bad_response"  # something that is not Ollama's protocol
    # The tutor's own:
    INPUT = "input"  # what a person gave cannot be used (the message says how to fix it)
    NO_STEPS = "no_steps"  # the teacher replied without steps that could be read
    INTERNAL = "internal"  # a stream ended without its result


SETUP_KINDS = frozenset({ErrorKind.UNREACHABLE, ErrorKind.MODEL_MISSING})  # "fix your setup"


class Mode(StrEnum):
    """How the student is prompted."""

    BASELINE = "baseline"  # the bare problem
    COT = "cot"  # "think step by step"
    STEPS = "steps"  # Trace-of-Thought: the teacher's (or tutor's) steps as a plan
    EQUATIONS = "eot"  # Equation-of-Thought: the student writes equations, a solver solves them
    PROGRAM = "pot"  # Program-of-Thought: the student writes a program, never executed
    ENSEMBLE = "ensemble"  # steps-guided prose, equations and a program; majority answer
