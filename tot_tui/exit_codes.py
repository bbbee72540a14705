"""Exit statuses of every command, and the error kinds that mean "fix your setup"."""

from __future__ import annotations

from tot_tui.kinds import SETUP_KINDS, ErrorKind

EXIT_OK = 0  # the command ran (whatever the verdicts)
EXIT_NOTHING = 1  # `export --sft`: the filters left no verified teacher output to write
EXIT_USAGE = 2  # bad arguments or input
EXIT_SETUP = 3  # Ollama unreachable or a model missing
EXIT_FAILURE = 4  # anything else
EXIT_INTERRUPTED = 130  # Ctrl+C, as shells report SIGINT
EXIT_BROKEN_PIPE = 141  # the reader of our output went away, as shells report SIGPIPE



def exit_status(kind: ErrorKind) -> int:
    """The exit status for a failure of this kind."""
    if kind in SETUP_KINDS:
        return EXIT_SETUP
    return EXIT_USAGE if kind is ErrorKind.INPUT else EXIT_FAILURE


def ignore_more_interrupts() -> None:
    """We are stopping for a Ctrl+C: another one must not turn the exit into a traceback."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def print_error(message: str) -> None:
    """One message on stderr; control characters (a server's error body) shown escaped."""
    import sys

    from tot_tui.textsafe import safe_text

    print(f"tot-tui: {safe_text(message)}", file=sys.stderr)
