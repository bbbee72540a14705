"""Command line: `tot-tui` starts the app; subcommands run the same core headless.

Exit status: 0 the command ran (whatever the verdict), 1 `export --sft` found nothing verified
to write, 2 usage or input error, 3 Ollama unreachable or model missing, 4 any other failure.
"""

from __future__ import annotations

# Only what `tot-tui` with no command needs is imported here: argparse, asyncio and json are
# imported where they are used, so the app's first screen does not wait for them.
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from tot_tui.exit_codes import (
    EXIT_BROKEN_PIPE,
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_NOTHING,
    EXIT_OK,
    EXIT_SETUP,
    EXIT_USAGE,
    exit_status,
    ignore_more_interrupts,
    print_error,
)
from tot_tui.modes import modes_help

if TYPE_CHECKING:
    import argparse

    from tot_tui.config import Config
    from tot_tui.domain import Role, TutorEvent
    from tot_tui.tutor.session import Tutor


def _common_options() -> argparse.ArgumentParser:
    import argparse

    # SUPPRESS defaults let the options stand before or after the subcommand.
    common = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    g = common.add_argument_group("locations and models")
    g.add_argument("--config-dir", help="config directory (env TOT_TUI_CONFIG_DIR)")
    g.add_argument("--data-dir", help="data directory, holds the history (env TOT_TUI_DATA_DIR)")
    g.add_argument("--host", help="Ollama server for both roles (env OLLAMA_HOST)")
    g.add_argument("--teacher-host", help="Ollama server of the teacher (env TOT_TUI_TEACHER_HOST)")
    g.add_argument("--student-host", help="Ollama server of the student (env TOT_TUI_STUDENT_HOST)")
    g.add_argument("--teacher", help="teacher model tag (env TOT_TUI_TEACHER)")
    g.add_argument("--student", help="student model tag (env TOT_TUI_STUDENT)")
    return common


def build_parser() -> argparse.ArgumentParser:
    import argparse

    common = _common_options()
    parser = argparse.ArgumentParser(
        prog="tot-tui", parents=[common],
        description="A terminal math tutor: a teacher model writes steps, a student model "
                    "follows them, and the answer is checked. Without a command, starts the app.")
    from tot_tui import __version__

    parser.add_argument("--version", action="version", version=f"tot-tui {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("solve", parents=[common], help="run the whole loop on one problem")
    p.add_argument("problem", help="the problem text, or - to read it from standard input")
    p.add_argument("--answer", "-a", help="reference answer to check the student against")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--steps-file", type=Path, help="use these steps (one per line, or JSON)")
    group.add_argument("--no-steps", action="store_true", help="baseline: the bare problem")
    group.add_argument("--cot", action="store_true", help="baseline: 'think step by step'")
    group.add_argument("--mode", metavar="NAME",
                       help="how the student is asked: " + modes_help() + " (default: tot)")
    p.add_argument("--equations", action=argparse.BooleanOptionalAction, default=None,
                   help="ask the teacher for the problem as equations and solve them: the "
                        "reference when none is given, a check of the one given (default: "
                        "whenever the teacher is asked for steps; setting teacher_equations)")
    p.add_argument("--preset", metavar="NAME",
                   help="the prompt set: ours, tot-paper or tot-traces (default: the config's)")
    p.add_argument("--json", action="store_true", help="print one JSON object at the end")
    p.add_argument("--raw", action="store_true",
                   help="print math as written (LaTeX); by default it is rendered on a "
                        "terminal, and as written when the output is piped")
    p.add_argument("--show-thinking", action="store_true",
                   help="print a thinking model's reasoning (dimmed, apart from its reply); "
                        "by default only its length is (--json always carries it)")

    p = sub.add_parser("grade", parents=[common],
                       help="check JSON lines of {gold, pred}; writes status and reason")
    p.add_argument("file", nargs="?", default="-", help="JSONL file, or - for standard input")

    p = sub.add_parser("history", parents=[common], help="list recent problems and verdicts")
    p.add_argument("--limit", type=_positive_int, default=20, metavar="N",
                   help="show at most N problems (default 20)")
    p.add_argument("--search", default="", help="full-text search")
    p.add_argument("--json", action="store_true")
    p.add_argument("--raw", action="store_true",
                   help="print math as written (LaTeX), also on a terminal")

    p = sub.add_parser(
        "export", parents=[common], help="export the history",
        description="Export the history as Markdown, JSON or CSV; or, with --sft, the verified "
                    "teacher outputs as fine-tuning data.",
        epilog="--sft FILE.jsonl writes one chat per line, {\"messages\": [system, user, "
               "assistant]} (OpenAI fine-tuning, Hugging Face TRL): the current teacher prompt "
               "for a problem and the teacher's steps ({\"steps\": [...]}) when a student "
               "followed them to an answer graded correct, or the teacher's equations when "
               "the solver's value equals the problem's reference. A reference solved from the "
               "teacher's equations verifies neither. Identical lines are written once. The "
               "file is written beside FILE and replaces it when complete; what was kept and "
               "why the rest was dropped is printed on standard error (--json: one object on "
               "standard output). Exit status 0 when lines were written; 1, and no file "
               "written (an old FILE is left as it was), when nothing is left to export.")
    p.add_argument("ids", nargs="*", type=int,
                   help="problem ids (default: all; with --sft, a filter like the others)")
    p.add_argument("--format", "-f", choices=["markdown", "md", "json", "csv"], default=None,
                   help="markdown (the default), json or csv")
    p.add_argument("--output", "-o", type=Path, help="file to write (default: standard output)")
    g = p.add_argument_group("fine-tuning data (--sft); the filters combine")
    g.add_argument("--sft", type=Path, metavar="FILE.jsonl",
                   help="write the verified teacher outputs as chat-format JSONL")
    g.add_argument("--run", type=int, metavar="ID", help="only the problems of this eval run")
    g.add_argument("--dataset", metavar="NAME",
                   help="only problems whose reference came from this dataset (gsm8k, "
                        "math500, or a dataset file's name)")
    g.add_argument("--model", metavar="NAME", help="only this teacher model's outputs")
    g.add_argument("--kind", choices=["steps", "equations", "all"], default=None,
                   help="which teacher outputs (default: all)")
    g.add_argument("--sft-include-edited", action="store_true",
                   help="also steps a person edited (human-corrected teacher output) that led "
                        "to a correct answer (default: teacher output only)")
    g.add_argument("--sft-metadata", action="store_true",
                   help="add a \"metadata\" object to each line (problem_id, kind, model, "
                        "reference, source, prompt hash...); off by default, as not every "
                        "fine-tuning service accepts keys besides \"messages\"")
    g.add_argument("--preset", metavar="NAME",
                   help="whose teacher prompts the lines carry: ours, tot-paper or tot-traces "
                        "(default: the config's); a preset without JSON steps gets them as a "
                        "numbered list")
    g.add_argument("--json", action="store_true",
                   help="print the counts as one JSON object on standard output")

    p = sub.add_parser("regrade", parents=[common],
                       help="grade a problem's attempts again against its current reference")
    p.add_argument("ids", nargs="+", type=int, metavar="ID", help="problem ids")

    p = sub.add_parser("models", parents=[common], help="list the models on each host")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("pull", parents=[common], help="pull a model, with progress")
    p.add_argument("model")
    p.add_argument("--role", choices=["teacher", "student"], default="student",
                   help="whose host to pull on")

    sub.add_parser("locate", parents=[common], help="print where tot-tui keeps its files")

    sub.add_parser("fake-server", add_help=False,
                   help="serve a fake Ollama (demo brain) to try the app without a GPU; "
                        "`tot-tui fake-server --help` for its options")

    from tot_tui.evaluate import command as eval_command

    eval_command.add_parser(sub, common)
    return parser


def _positive_int(text: str) -> int:
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a positive number (1 or more)")
    return value


def _quiet_broken_pipe() -> int:
    """The reader closed the pipe (`tot-tui history | head`): stop quietly, as Unix tools do
    (the status of a process that SIGPIPE ended). Later writes, the interpreter's last flush
    among them, go nowhere instead of raising again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return EXIT_BROKEN_PIPE


def main(argv: Sequence[str] | None = None) -> int:
    try:
        status = _main(argv)
        sys.stdout.flush()  # here, where a closed pipe can still be caught
        return status
    except BrokenPipeError:
        return _quiet_broken_pipe()
    except KeyboardInterrupt:  # a second Ctrl+C while the first one is being handled
        ignore_more_interrupts()
        return EXIT_INTERRUPTED



def _main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["fake-server"]:  # its options are its own; argparse would claim them
        from tot_tui.fake_ollama.__main__ import main as fake_main

        return fake_main(argv[1:])
    if argv:
        args: Any = build_parser().parse_args(argv)
    else:  # plain `tot-tui`: the app, with nothing to parse
        args = None
    command = getattr(args, "command", None)
    if command is None:
        # Start-up allocates a lot and frees little: the collector's passes (a full one among
        # them, ~30 ms) would only delay the first paint. The app turns it back on once its
        # warm-up is done (TotApp._collector_after).
        import gc

        gc.disable()
    if command == "grade":
        from tot_tui.check.grade import run as grade_run

        try:
            return grade_run(args.file)
        except KeyboardInterrupt:  # the lines written so far are complete
            return EXIT_INTERRUPTED

    from tot_tui.config import ConfigError, load_config

    overrides = {"teacher_model": getattr(args, "teacher", None),
                 "student_model": getattr(args, "student", None),
                 "teacher_host": getattr(args, "teacher_host", None),
                 "student_host": getattr(args, "student_host", None),
                 "host": getattr(args, "host", None)}
    try:
        # The app validates the settings with pydantic after its first paint (a problem is then
        # a notice, and the bad keys fall back to their defaults); commands validate here.
        config = load_config(config_dir=getattr(args, "config_dir", None),
                             data_dir=getattr(args, "data_dir", None), overrides=overrides,
                             # `history` only needs the data dir: listing a history
                             # must not wait for pydantic.
                             validate=command not in (None, "history"))
    except ConfigError as exc:
        print(f"tot-tui: {exc}", file=sys.stderr)
        return EXIT_USAGE

    if command is None:
        from tot_tui.ui.app import run_app

        return run_app(config)
    if command == "locate":
        from tot_tui.config import describe_locations

        for name, path in describe_locations(config.paths).items():
            print(f"{name + ':':18} {path}")
        for role in ("teacher", "student"):
            print(f"{role + ':':18} {config.model(role)} at {config.host(role)} "
                  f"(from {config.host_source(role)})")
        return EXIT_OK
    handlers = {"solve": _solve, "history": _history, "export": _export, "models": _models,
                "pull": _pull, "regrade": _regrade}
    if command in handlers:
        import asyncio

        try:
            return asyncio.run(_with_tutor(config, handlers[command], args))
        except KeyboardInterrupt:  # the core already saved what had arrived
            ignore_more_interrupts()
            print_error("Interrupted. A student's reply is kept in the history as far as it "
                        "came; steps the teacher had not finished are not.")
            return EXIT_INTERRUPTED
    from tot_tui.evaluate import command as eval_command

    return eval_command.run(args, config)


async def _with_tutor(config: Config, handler: Callable[[Tutor, argparse.Namespace],
                      Awaitable[int]], args: argparse.Namespace) -> int:
    from tot_tui.store.migrations import StoreError
    from tot_tui.tutor.session import InputError, LLMError, Tutor

    tutor = Tutor(config)
    try:
        return await handler(tutor, args)
    except BrokenPipeError:
        raise  # main() ends quietly
    except InputError as exc:
        print_error(str(exc))
        return EXIT_USAGE
    except LLMError as exc:
        print_error(exc.message)
        return EXIT_SETUP if exc.is_setup_problem else EXIT_FAILURE
    except StoreError as exc:
        print_error(str(exc))
        return EXIT_FAILURE
    except Exception as exc:  # the last line of defence: one sentence, not a traceback
        print_error(f"Unexpected error: {type(exc).__name__}: {exc}")
        return EXIT_FAILURE
    finally:
        await tutor.aclose()


def _read_steps_file(path: Path) -> list[str]:
    from tot_tui.tutor.session import InputError
    from tot_tui.tutor.steps import parse_steps

    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"Cannot read the steps file {path}: {exc}") from exc
    steps = parse_steps(text)
    if not steps:
        raise InputError(f"No steps found in {path}: write one step per line.")
    return steps


class _Style:
    """ANSI styling on a terminal (unless NO_COLOR is set); plain text when piped."""

    def __init__(self, stream: TextIO) -> None:
        self.on = stream.isatty() and not os.environ.get("NO_COLOR")

    def __call__(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.on else text


_VERDICT_COLOUR = {"correct": "1;32", "incorrect": "1;31", "unknown": "1;33"}


def _renders_math(stream: TextIO, args: argparse.Namespace) -> bool:
    """Math is printed rendered on a terminal, as written when piped or with --raw."""
    return stream.isatty() and not getattr(args, "raw", False)


class _SolvePrinter:
    """Prints `solve`'s events as they come; collects the fields of the --json object.

    On a terminal (without --raw) math in the steps and the reply is rendered; the reply goes
    through a plain-style MathStream, so it still shows as it arrives (a formula once it is
    complete). Piped, everything is printed as written."""

    def __init__(self, tutor: Any, args: argparse.Namespace, out: TextIO, *,
                 equations: bool = False) -> None:
        self.out, self.args, self.live = out, args, not args.json
        self.style = _Style(out)
        self.math = self.live and _renders_math(out, args)
        self.reply: Any = None  # the reply's MathStream, while it streams
        self.printed: list[str] = []  # steps already on screen
        self.student_started = False
        self.failure: Any = None
        self.equations_pending = equations  # the teacher's equations come first
        self.thinking: tuple[str, int] | None = None  # whose reasoning is streaming, its length
        self.result: dict[str, Any] = {
            "problem": None, "reference": args.answer, "steps": [], "teacher_model": None,
            "student_model": tutor.config.model("student")}

    def _print_steps(self, steps: Sequence[str]) -> None:
        from tot_tui.textsafe import safe_text

        if not self.printed:
            self.out.write(self.style("Steps:", "1") + "\n")
        from tot_tui.mathtext import render_inline

        for i in range(len(self.printed), len(steps)):
            step = render_inline(steps[i]) if self.math else steps[i]
            self.out.write(f"{i + 1}. {safe_text(step)}\n")
        self.printed = list(steps)
        self.out.flush()

    def handle(self, event: TutorEvent) -> None:
        from typing import assert_never

        from tot_tui.domain import (
            AttemptDone,
            EquationsReady,
            Failed,
            ModelLoading,
            StepsReady,
            StudentDelta,
            StudentThinking,
            TeacherDelta,
            TeacherThinking,
        )
        from tot_tui.textsafe import safe_text

        out, style = self.out, self.style
        if not isinstance(event, (TeacherThinking, StudentThinking)):
            self._end_thinking()
        match event:
            case TeacherThinking() if self.equations_pending:
                pass  # the equations' reasoning: only their value is shown
            case TeacherThinking():
                self._think("teacher", event.text)
            case StudentThinking():
                self._think("student", event.text)
            case Failed() if event.role == "teacher" and self.equations_pending:
                # The equations are extra: their failure is said, and the loop goes on.
                self.equations_pending = False
                self.result["equations"] = {"status": "failed", "reason": event.message}
                if self.live:
                    out.write(style(f"The teacher's equations failed: {event.message}", "33")
                              + "\n\n")
            case Failed():
                self.failure = event
            case EquationsReady():
                self.equations_pending = False
                self._equations(event)
            case StepsReady():
                steps = event.step_set.steps
                self.result.update(problem=event.problem.text, steps=steps,
                                   step_set_id=event.step_set.id,
                                   teacher_model=event.step_set.model,
                                   teacher_thinking=event.step_set.thinking)
                if self.live:
                    if steps[: len(self.printed)] != self.printed:  # the draft was misread
                        out.write(style("Steps, as sent to the student:", "1") + "\n")
                        self.printed = []
                    self._print_steps(steps)
                    for i in event.step_set.leaks:
                        out.write(style(f"warning: step {i + 1} states the reference answer.",
                                        "33") + "\n")
                    out.write("\n")
            case AttemptDone():
                self.end_reply()
                a = event.attempt
                self.result.update(
                    student_output=a.output, student_answer=a.answer, verdict=str(a.verdict),
                    verdict_reason=a.verdict_reason, attempt_id=a.id, mode=str(a.mode),
                    reference_norm=a.reference_norm, answer_norm=a.answer_norm,
                    student_model=a.student_model, problem_id=a.problem_id,
                    output_tokens=a.usage.output_tokens, student_thinking=a.thinking)
                if self.live:
                    shown = safe_text(a.answer_norm or a.answer or "(none)", 200)
                    given = a.reference_norm or a.reference or self.args.answer
                    ref = f" vs reference {safe_text(given, 200)}" if given else ""
                    verdict = style(f"Verdict: {a.verdict}", _VERDICT_COLOUR[str(a.verdict)])
                    out.write(f"\n\n{verdict} (answer {shown}{ref}; {a.verdict_reason})\n")
            case ModelLoading():
                if self.live and style.on:
                    sys.stderr.write(style(
                        f"Asking the {event.role} ({event.model} at {event.host}); the first "
                        "request may wait for the model to load…\n", "2"))
            case TeacherDelta() if self.equations_pending:
                pass  # the equations are shown once solved, not as they stream
            case TeacherDelta():
                complete = list(event.draft[:-1])  # a step is printed once the next one starts
                if self.live and len(complete) > len(self.printed) and \
                        complete[: len(self.printed)] == self.printed:
                    self._print_steps(complete)
            case StudentDelta():
                if not self.live:
                    return
                if not self.student_started:
                    out.write(style(f"Student ({self.result['student_model']}):", "1") + "\n")
                    self.student_started = True
                    if self.math:
                        import shutil

                        from tot_tui.mathtext.stream import MathStream

                        self.reply = MathStream(width=shutil.get_terminal_size().columns)
                text = safe_text(event.text)
                out.write(self.reply.feed(text) if self.reply is not None else text)
                out.flush()
            case _:
                assert_never(event)

    def _equations(self, event: Any) -> None:
        from tot_tui.textsafe import safe_text

        derived, problem = event.equation_set.derived, event.problem
        eq = event.equation_set
        self.result["equations"] = {"status": str(derived.status), "value": derived.value,
                                    "reason": derived.reason, "agrees": eq.agrees}
        if problem.reference_source == "equations":
            self.result["reference"] = problem.reference
            self.result["reference_source"] = "equations"
        if not self.live:
            return
        out, style = self.out, self.style
        if derived.ok and problem.reference_source == "equations":
            out.write(style("Reference", "1") + " (solved from the teacher's equations): "
                      f"{safe_text(derived.value or '', 200)}\n")
        elif derived.ok and eq.agrees is False:
            out.write(style(f"warning: the reference {safe_text(eq.compared_with or '', 100)} "
                            "disagrees with the teacher's equations, which give "
                            f"{safe_text(derived.value or '', 100)}.", "33") + "\n")
        elif derived.ok:
            out.write(f"The teacher's equations give {safe_text(derived.value or '', 200)}"
                      f"{', as the reference says' if eq.agrees else ''}.\n")
        else:
            out.write(style("The teacher's equations gave no reference: "
                            f"{safe_text(derived.reason, 300)}", "2") + "\n")
        out.write("\n")
        out.flush()

    def _think(self, role: str, text: str) -> None:
        """A piece of reasoning: printed dimmed with --show-thinking; else, on a terminal, a
        line that counts it (the reader sees the model is busy, not stuck)."""
        if not self.live:
            return
        from tot_tui.textsafe import safe_text

        out, style = self.out, self.style
        shown = self.args.show_thinking
        before = self.thinking[1] if self.thinking is not None else 0
        if self.thinking is None and shown:
            out.write(style(f"Reasoning ({role}, apart from the reply; never graded):", "2;1")
                      + "\n")
        self.thinking = (role, before + len(text))
        if shown:
            out.write(style(safe_text(text), "2"))
        elif style.on and (before == 0 or before // 500 != self.thinking[1] // 500):
            out.write(f"\r{style(f'The {role} is thinking… {self.thinking[1]:,} characters', '2')}")
        else:
            return
        out.flush()

    def _end_thinking(self) -> None:
        """The reasoning ended (the reply starts, or the request ended): say how long it was."""
        if self.thinking is None:
            return
        role, chars = self.thinking
        self.thinking = None
        out, style = self.out, self.style
        if self.args.show_thinking:
            out.write("\n\n")
        else:
            note = f"(The {role} reasoned for {chars:,} characters, kept apart from its reply; " \
                   "--show-thinking prints it.)"
            out.write(("\r\x1b[K" if style.on else "") + style(note, "2") + "\n")
        out.flush()

    def end_reply(self) -> None:
        """The reply ended (or stopped): print what the math stream still held."""
        self._end_thinking()
        reply, self.reply = self.reply, None
        if reply is not None:
            self.out.write(reply.finish())
            self.out.flush()


async def _solve(tutor: Tutor, args: argparse.Namespace) -> int:
    import contextlib
    import json

    from tot_tui.domain import Mode
    from tot_tui.tutor.session import clean_problem

    problem = sys.stdin.read() if args.problem == "-" else args.problem
    steps = _read_steps_file(args.steps_file) if args.steps_file else None
    from tot_tui.modes import mode_spec
    from tot_tui.tutor.session import InputError

    if args.mode:
        try:
            spec = mode_spec(args.mode)
        except KeyError:
            raise InputError(f"Unknown mode {args.mode!r}: choose from {modes_help()}.") \
                from None
        mode = spec.mode
    else:
        mode = Mode.BASELINE if args.no_steps else Mode.COT if args.cot else Mode.STEPS
        spec = mode_spec(mode)
    if args.preset:
        tutor.use_preset(args.preset)
    clean_problem(problem)  # a bad problem is the user's to fix first (InputError, exit 2)
    asks_teacher = spec.needs_steps and steps is None
    equations = args.equations if args.equations is not None else \
        asks_teacher and tutor.config.settings.teacher_equations
    # Both models before the first request: a missing student must not cost a teacher run.
    needs: list[Role] = ["teacher", "student"] if asks_teacher or equations else ["student"]
    for role in needs:
        setup = await tutor.setup_problem(role, tutor.config.model(role))
        if setup:
            print_error(setup)
            return EXIT_SETUP
    printer = _SolvePrinter(tutor, args, sys.stdout, equations=equations)
    # aclosing: an early exit (Ctrl+C) settles the attempt in this task, not at shutdown.
    async with contextlib.aclosing(tutor.run(problem, args.answer, steps=steps,
                                             mode=mode, equations=equations)) as events:
        try:
            async for event in events:
                printer.handle(event)
        finally:
            printer.end_reply()  # a reply cut short is shown as far as it came
    if printer.failure is not None:
        print_error(printer.failure.message)
        return exit_status(printer.failure.kind)
    if args.json:
        result = printer.result
        if result.get("problem") is None:
            detail = await tutor.problem_detail(result["problem_id"])
            result["problem"] = detail.problem.text if detail else problem
        # ensure_ascii: model text may carry terminal controls (C1, bidi) that must not reach a
        # terminal raw; JSON readers decode the escapes.
        json.dump(result, sys.stdout, ensure_ascii=True)
        sys.stdout.write("\n")
    return EXIT_OK


async def _history(tutor: Tutor, args: argparse.Namespace) -> int:
    import json

    from tot_tui.textsafe import safe_text

    rows = await tutor.history(query=args.search, limit=max(1, args.limit))
    if args.json:
        json.dump([{"id": r.id, "problem": r.text, "reference": r.reference,
                    "created": r.created.isoformat(), "teacher_models": r.teacher_models,
                    "student_models": r.student_models, "attempts": r.attempts,
                    "correct": r.correct,
                    "last_verdict": str(r.last_verdict) if r.last_verdict else None}
                   for r in rows], sys.stdout, ensure_ascii=True)
        print()
        return EXIT_OK
    if not rows and args.search:
        print(f"Nothing matches {safe_text(args.search, 80)!r}.")
    elif not rows:
        print("No problems yet. Try: tot-tui solve \"What is 12 * 7?\" --answer 84")
    from tot_tui.mathtext import render_inline

    math = _renders_math(sys.stdout, args)  # a terminal: math rendered on the line
    for r in rows:
        verdict = str(r.last_verdict) if r.last_verdict else "-"
        shown = render_inline(r.text) if math else r.text
        text = safe_text(" ".join(shown.split()), 60)
        print(f"{r.id:>5}  {r.created:%Y-%m-%d %H:%M}  {verdict:<9}  {r.correct}/{r.attempts}  "
              f"{text}")
    return EXIT_OK


async def _export(tutor: Tutor, args: argparse.Namespace) -> int:
    from tot_tui.tutor.session import InputError

    if args.sft is not None:
        return await _export_sft(tutor, args)
    sft_only = [flag for flag, given in (
        ("--run", args.run is not None), ("--dataset", args.dataset is not None),
        ("--model", args.model is not None), ("--kind", args.kind is not None),
        ("--sft-include-edited", args.sft_include_edited),
        ("--sft-metadata", args.sft_metadata), ("--preset", args.preset is not None),
        ("--json", args.json)) if given]
    if sft_only:
        raise InputError(f"{', '.join(sft_only)} {'go' if len(sft_only) > 1 else 'goes'} with "
                         "--sft FILE.jsonl (the fine-tuning export).")
    fmt = args.format or "markdown"
    if args.output and not args.output.parent.is_dir():
        raise InputError(f"Cannot write {args.output}: the folder {args.output.parent} does not "
                         "exist. Create it, or choose another --output.")
    if args.output:
        try:
            await tutor.export_file(args.ids or None, fmt, args.output)
        except OSError as exc:
            raise InputError(f"Cannot write {args.output}: {exc.strerror or exc}. Choose "
                             "another --output.") from exc
        print(f"Wrote {args.output}", file=sys.stderr)
    elif sys.stdout.isatty():  # model text must not drive the terminal
        from tot_tui.textsafe import safe_text

        await tutor.export_to(args.ids or None, fmt,
                           lambda piece: sys.stdout.write(safe_text(piece)))
    else:
        await tutor.export_to(args.ids or None, fmt, sys.stdout.write)
    return EXIT_OK




async def _export_sft(tutor: Tutor, args: argparse.Namespace) -> int:
    import json

    from tot_tui.tutor.session import InputError
    from tot_tui.tutor.sft import NothingToExport, SftFilters

    target: Path = args.sft
    if args.output is not None or args.format is not None:
        raise InputError("--sft FILE.jsonl is the file written, as JSONL: leave out --output "
                         "and --format.")
    if not target.parent.is_dir():
        raise InputError(f"Cannot write {target}: the folder {target.parent} does not exist. "
                         "Create it, or choose another --sft file.")
    if args.preset:
        tutor.use_preset(args.preset)
    filters = SftFilters(problem_ids=tuple(args.ids) or None, eval_run_id=args.run,
                         dataset=args.dataset, model=args.model, kind=args.kind or "all",
                         include_edited=args.sft_include_edited, metadata=args.sft_metadata)
    try:
        counts = await tutor.export_sft(target, filters)
    except NothingToExport as exc:
        if args.json:
            json.dump({"file": None, **exc.counts.as_dict()}, sys.stdout, ensure_ascii=True)
            print()
        print_error(str(exc))
        return EXIT_NOTHING
    except OSError as exc:
        raise InputError(f"Cannot write {target}: {exc.strerror or exc}. Choose another --sft "
                         "file.") from exc
    if args.json:
        json.dump({"file": str(target), **counts.as_dict()}, sys.stdout, ensure_ascii=True)
        print()
    print(f"Wrote {target}: {counts.summary()}", file=sys.stderr)
    return EXIT_OK


async def _regrade(tutor: Tutor, args: argparse.Namespace) -> int:
    for problem_id in args.ids:
        graded, changed = await tutor.regrade(problem_id)
        print(f"problem #{problem_id}: {graded} attempt{'s' * (graded != 1)} graded again, "
              f"{changed} verdict{'s' * (changed != 1)} changed")
    return EXIT_OK


async def _models(tutor: Tutor, args: argparse.Namespace) -> int:
    import json
    from dataclasses import asdict

    from tot_tui.domain import ROLES

    out: list[dict[str, Any]] = []
    hosts: dict[str, list[Role]] = {}
    for role in ROLES:
        hosts.setdefault(tutor.config.host(role), []).append(role)
    worst = EXIT_OK
    for host, roles in hosts.items():
        status = await tutor.host_status(roles[0])
        out.append({"host": host, "roles": roles, "ok": status.ok, "version": status.version,
                    "error": status.error,
                    "models": [asdict(m) for m in status.models]})
        if not status.ok:
            worst = EXIT_SETUP
    if args.json:
        json.dump(out, sys.stdout)
        print()
        return worst
    from tot_tui.textsafe import safe_text

    # Everything but the sizes came from the server: shown with control characters escaped.
    for entry in out:
        version = "Ollama " + safe_text(entry["version"], 40) if entry["ok"] else "unreachable"
        print(f"{entry['host']} ({', '.join(entry['roles'])}): {version}")
        if not entry["ok"]:
            print(f"  {safe_text(entry['error'])}")
        for m in entry["models"]:
            name, size = safe_text(m["name"], 80), safe_text(m["parameter_size"], 12)
            print(f"  {name:<32} {size:>8} {safe_text(m['quantization'], 12):>8} "
                  f"{m['size'] / 1e9:6.1f} GB")
    return worst


async def _pull(tutor: Tutor, args: argparse.Namespace) -> int:
    last = ""
    role: Role = "teacher" if args.role == "teacher" else "student"  # argparse's choices
    from tot_tui.textsafe import safe_text

    async for progress in tutor.pull(args.model, role):
        line = safe_text(progress.status, 120)  # the server's words
        if progress.fraction is not None:
            line += f" {progress.fraction:6.1%}"
        if line != last:
            print(line, file=sys.stderr)
            last = line
    print(f"Pulled {args.model}.")
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
