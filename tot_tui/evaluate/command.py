"""`tot-tui eval`: argument wiring and the run from start (or resume) to report.

Imported by the CLI on every start to register the subcommand, so the heavy modules (the tutor,
the store, sympy through the checker) are imported only inside `run`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tot_tui.exit_codes import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_SETUP,
    EXIT_USAGE,
    ignore_more_interrupts,
    print_error,
)
from tot_tui.modes import modes_help, needs_teacher

if TYPE_CHECKING:
    from tot_tui.config import Config
    from tot_tui.domain import Role
    from tot_tui.evaluate.spec import RunSpec
    from tot_tui.tutor.session import Tutor

DEFAULT_MODES = "baseline,cot,tot"
DEFAULT_CONCURRENCY = 2
_SELECTION_FLAGS = {"dataset": "--dataset", "question_field": "--question-field",
                    "answer_field": "--answer-field", "limit": "--limit", "offset": "--offset",
                    "sample": "--sample", "seed": "--seed", "modes": "--modes",
                    "students": "--student", "preset": "--preset", "samples": "--samples"}

EXAMPLES = """\
examples:
  # the paper's setting: the first 200 GSM8K test problems, with and without steps
  tot-tui eval --dataset gsm8k --limit 200 --modes baseline,tot

  # two students share one set of teacher steps; 4 requests in flight
  tot-tui eval --dataset gsm8k --limit 200 --teacher qwen2.5:7b \\
      --student llama3.2:1b --student qwen2.5:0.5b --concurrency 4

  # 100 random MATH500 problems, reproducibly
  tot-tui eval --dataset math500 --sample 100 --seed 1

  # your own JSONL file
  tot-tui eval --dataset my.jsonl --question-field q --answer-field a

  # every way of asking: steps, equations, a program and the ensemble of the three
  tot-tui eval --dataset gsm8k --limit 200 --modes baseline,tot,eot,pot,ensemble

  # the Trace-of-Thought paper's own prompts, byte for byte
  tot-tui eval --dataset gsm8k --limit 200 --modes baseline,tot --preset tot-paper

  # carry on after Ctrl+C, a crash or a dead server
  tot-tui eval --resume 7
"""


def _presets_help() -> str:
    from tot_tui.tutor.presets import PRESETS

    return "; ".join(f"{p.name} ({p.summary})" for p in PRESETS)


class UsageError(Exception):
    pass


class SetupError(Exception):
    pass


def _parent_without_student(common: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The CLI's common options minus its single `--student`, which `eval` makes repeatable.

    argparse cannot drop an inherited option, and conflict_handler="resolve" would edit the
    shared action objects in place (breaking `--student` for the other subcommands), so the
    other actions are shared into a fresh parent, as `parents=` itself does.
    """
    parent = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    group = parent.add_argument_group("locations and models")
    for action in common._actions:  # argparse has no public accessor
        if "--student" in action.option_strings or isinstance(action, argparse._HelpAction):
            continue
        group._add_action(action)
    return parent


def add_parser(subparsers: Any, common: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "eval", parents=[_parent_without_student(common)],
        help="measure how much the teacher's steps raise students' accuracy on a dataset",
        description=textwrap.fill(
            "Run a dataset through students without steps (baseline), with 'think step by "
            "step' (cot) and with the teacher's steps (tot), check every answer, and report "
            "accuracy with 95% Wilson intervals and the relative gain of the steps. Every "
            "attempt is stored in the history under an eval run, which can be resumed.", 80),
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    g = p.add_argument_group("items")
    g.add_argument("--dataset", metavar="gsm8k|math500|PATH",
                   help="built-in GSM8K test (1,319) or MATH500 (500), or a JSONL file "
                        "(default: gsm8k)")
    g.add_argument("--question-field", metavar="NAME",
                   help="JSONL field with the problem (default: question, problem, prompt, ...)")
    g.add_argument("--answer-field", metavar="NAME",
                   help="JSONL field with the answer; GSM8K's '#### N' and a \\boxed{} "
                        "solution are understood (default: answer, final_answer, ...)")
    g.add_argument("--offset", type=int, metavar="N", help="skip the first N items")
    g.add_argument("--limit", type=int, metavar="N", help="use at most N items (after --offset)")
    g.add_argument("--sample", type=int, metavar="N",
                   help="draw N items at random (after --offset/--limit)")
    g.add_argument("--seed", type=int, metavar="S", help="random seed for --sample (default 0)")
    g = p.add_argument_group("what to run")
    g.add_argument("--modes", metavar="LIST",
                   help=f"comma-separated, from: {modes_help(summaries=True)} "
                        f"(default: {DEFAULT_MODES})")
    g.add_argument("--preset", metavar="NAME",
                   help=f"the prompt set: {_presets_help()} (default: ours)")
    g.add_argument("--samples", type=int, metavar="K",
                   help="answers per item, student and mode (each with its own seed); the "
                        "report adds the majority vote (maj@K) and per-item agreement; set "
                        "student_temperature above 0, or the K answers are the same "
                        "(default 1)")
    g.add_argument("--student", dest="students", action="append", metavar="MODEL",
                   help="student model; repeat for several (default: the configured student)")
    g.add_argument("--concurrency", "-j", type=int, default=DEFAULT_CONCURRENCY, metavar="K",
                   help=f"requests in flight at once (default {DEFAULT_CONCURRENCY})")
    g.add_argument("--per-model", type=int, metavar="N",
                   help="at most N requests in flight per model (set to the server's "
                        "OLLAMA_NUM_PARALLEL; default: no limit beyond --concurrency)")
    g.add_argument("--retries", type=int, default=2, metavar="N",
                   help="retries of an attempt after a transient error (default 2)")
    g.add_argument("--resume", type=int, metavar="RUN_ID",
                   help="continue a run: redo only its unfinished items")
    g.add_argument("--take-over", action="store_true",
                   help="with --resume: take a run whose owner cannot be checked from here "
                        "(another host) and is known to be gone")
    g = p.add_argument_group("output")
    g.add_argument("--output", "-o", type=Path, metavar="DIR",
                   help="where to write report.md, report.json and accuracy.svg "
                        "(default: DATA_DIR/evals/run-ID)")
    g.add_argument("--json", action="store_true", help="print the report as one JSON object")
    g.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    return p


def run(args: argparse.Namespace, config: Config) -> int:
    """Run (or resume) an evaluation; returns the exit status."""
    state: dict[str, Any] = {}
    try:
        return asyncio.run(_main(args, config, state))
    except KeyboardInterrupt:
        ignore_more_interrupts()
        run_id = state.get("run_id")
        hint = f" Resume with: tot-tui eval --resume {run_id}" if run_id else ""
        print_error(f"Interrupted; finished attempts are saved.{hint}")
        return EXIT_INTERRUPTED


async def _main(args: argparse.Namespace, config: Config, state: dict[str, Any]) -> int:
    from tot_tui.check import Checker
    from tot_tui.store.migrations import StoreError
    from tot_tui.tutor.session import InputError, Tutor

    # The checker's worker starts with the command and imports sympy while the first requests
    # stream; a check that comes sooner waits for it (outside its deadline).
    checker = Checker(deadline=config.settings.check_deadline)
    checker.start()
    tutor = Tutor(config, checker=checker, preset_name=getattr(args, "preset", None))
    try:
        return await _evaluate(tutor, args, state)
    except (UsageError, InputError) as exc:
        print_error(str(exc))
        return EXIT_USAGE
    except SetupError as exc:
        print_error(str(exc))
        return EXIT_SETUP
    except StoreError as exc:
        print_error(str(exc))
        return EXIT_FAILURE
    except Exception as exc:  # the last line of defence: one sentence, not a traceback
        run_id = state.get("run_id")
        hint = f" Finished attempts are saved; resume with: tot-tui eval --resume {run_id}" \
            if run_id else ""
        print_error(f"Unexpected error: {type(exc).__name__}: {exc}.{hint}")
        return EXIT_FAILURE
    finally:
        run_id = state.get("run_id")
        if run_id:  # the run is free for a later --resume (only if this process had it)
            from tot_tui.store import eval_runs

            with contextlib.suppress(Exception):
                await asyncio.to_thread(eval_runs.release, tutor.store, run_id)
        await tutor.aclose()
        await asyncio.to_thread(checker.close)


def _check_args(args: argparse.Namespace) -> None:
    for name in ("concurrency", "per_model", "samples"):
        value = getattr(args, name, None)
        if value is not None and value < 1:
            raise UsageError(f"--{name.replace('_', '-')} must be at least 1.")
    if args.retries < 0:
        raise UsageError("--retries must be 0 or more.")
    if args.resume is not None:
        given = [flag for dest, flag in _SELECTION_FLAGS.items()
                 if getattr(args, dest, None) is not None]
        if given:
            raise UsageError(f"--resume continues a run with its own items and models; drop "
                             f"{', '.join(sorted(set(given)))}.")


def _new_spec(tutor: Tutor, args: argparse.Namespace) -> tuple[RunSpec, dict[int, Any]]:
    from tot_tui.evaluate import datasets
    from tot_tui.evaluate.spec import RunSpec, parse_modes

    try:
        modes = parse_modes(args.modes or DEFAULT_MODES)
        ds = datasets.load(args.dataset or "gsm8k", args.question_field, args.answer_field)
        seed = args.seed if args.seed is not None else 0
        indices = datasets.select(len(ds.items), offset=args.offset or 0, limit=args.limit,
                                  sample=args.sample, seed=seed)
    except (ValueError, datasets.DatasetError) as exc:
        raise UsageError(str(exc)) from exc
    students: list[str] = []
    for value in args.students or [tutor.config.model("student")]:
        for name in value.split(","):
            if name.strip() and name.strip() not in students:
                students.append(name.strip())
    if not students:
        raise UsageError("--student needs a model name.")
    spec = RunSpec(
        dataset=ds.name, dataset_sha256=ds.sha256, question_field=ds.question_field,
        answer_field=ds.answer_field, indices=indices, modes=modes, students=students,
        teacher=tutor.config.model("teacher") if needs_teacher(modes) else None,
        offset=args.offset or 0, limit=args.limit, sample=args.sample,
        seed=seed, prompts=_prompt_hashes(tutor, modes), settings=_settings(tutor),
        hosts=_hosts(tutor, modes), preset=tutor.preset.name, samples=args.samples or 1)
    if spec.samples > 1 and not tutor.preset.default_sampling \
            and tutor.config.settings.student_temperature == 0:
        print_error(f"warning: --samples {spec.samples} at student_temperature 0: the "
                    "samples will mostly be the same answer; set student_temperature (e.g. "
                    "0.7) in the config for a majority vote that means something.")
    return spec, {i: ds.items[i] for i in indices}


def _prompt_hashes(tutor: Tutor, modes: list[str]) -> dict[str, str]:
    """The hash of every prompt the run's modes use (and the teacher's, if they need it)."""
    from tot_tui.modes import BY_NAME

    names = ["teacher"] if needs_teacher(modes) else []
    names += [p for m in modes for p in BY_NAME[m].prompts]
    return {name: tutor.prompt(name).hash for name in dict.fromkeys(names)}


def _settings(tutor: Tutor) -> dict[str, Any]:
    s = tutor.config.settings
    sampling = "default" if tutor.preset.default_sampling else "configured"
    return {"teacher_temperature": s.teacher_temperature,
            "student_temperature": s.student_temperature, "seed": s.seed, "num_ctx": s.num_ctx,
            "keep_alive": s.keep_alive, "sampling": sampling,
            "preset_version": tutor.preset.version}


def _hosts(tutor: Tutor, modes: list[str]) -> dict[str, str]:
    hosts = {"student": tutor.config.host("student")}
    if needs_teacher(modes):
        hosts["teacher"] = tutor.config.host("teacher")
    return hosts


def _resumed_spec(tutor: Tutor, args: argparse.Namespace,
                  run_id: int) -> tuple[RunSpec, dict[int, Any], str]:
    from tot_tui.evaluate import datasets
    from tot_tui.evaluate.spec import RunSpec
    from tot_tui.store.eval_runs import RunInUse, claim

    found = tutor.store.get_eval_run(run_id)
    if found is None:
        raise UsageError(f"There is no eval run {run_id} in {tutor.config.paths.database}.")
    _dataset, config_json, status = found
    try:
        spec = RunSpec.from_config(config_json)
    except TypeError as exc:
        raise UsageError(f"Eval run {run_id} was made by another version of tot-tui and "
                         f"cannot be resumed ({exc}).") from exc
    tutor.use_preset(spec.preset)
    try:
        claim(tutor.store, run_id, take_over=getattr(args, "take_over", False))
    except RunInUse as exc:
        raise UsageError(str(exc)) from None
    teacher = getattr(args, "teacher", None)
    if teacher and spec.teacher and teacher != spec.teacher:
        raise UsageError(f"Eval run {run_id} uses the teacher {spec.teacher!r}; drop --teacher "
                         "or start a new run.")
    try:
        ds = datasets.load(spec.dataset, spec.question_field, spec.answer_field)
    except datasets.DatasetError as exc:
        raise UsageError(f"Cannot reload the dataset of run {run_id}: {exc}") from exc
    if ds.sha256 != spec.dataset_sha256:
        raise UsageError(f"The dataset {spec.dataset} changed since run {run_id} started "
                         "(checksum differs), so its items cannot be matched; start a new run.")
    if max(spec.indices) >= len(ds.items):
        raise UsageError(f"The dataset {spec.dataset} has fewer items than run {run_id} used.")
    changed = [name for name, digest in _prompt_hashes(tutor, spec.modes).items()
               if spec.prompts.get(name) not in (None, digest)]
    if changed:
        print_error(f"warning: the prompt{'s' if len(changed) > 1 else ''} {', '.join(changed)} "
             f"changed since run {run_id} started; the remaining items use the new text.")
    return spec, {i: ds.items[i] for i in spec.indices}, status


async def _preflight(tutor: Tutor, needs: list[tuple[Role, str]]) -> None:
    """Fail fast (exit 3) when a host is down or a model is not on it."""
    for role, model in dict.fromkeys(needs):
        problem = await tutor.setup_problem(role, model)
        if problem:
            raise SetupError(problem)


async def _evaluate(tutor: Tutor, args: argparse.Namespace, state: dict[str, Any]) -> int:
    from tot_tui.evaluate import report as reporting
    from tot_tui.evaluate.progress import Progress
    from tot_tui.evaluate.results import collect
    from tot_tui.evaluate.runner import EvalRunner, RunOutcome

    _check_args(args)
    store = await asyncio.to_thread(lambda: tutor.store)  # opens and migrates the database
    if args.resume is not None:
        run_id = args.resume
        spec, items, _status = await asyncio.to_thread(_resumed_spec, tutor, args, run_id)
        data = await asyncio.to_thread(collect, store, run_id, spec)
    else:
        spec, items = _new_spec(tutor, args)
        run_id = 0
        data = None
    state["run_id"] = run_id or None

    pending = [t for t, _ in data.pending(spec)] if data is not None else spec.triples()
    needs: list[tuple[Role, str]] = [
        ("student", s) for s in spec.students if any(p[1] == s for p in pending)]
    if spec.teacher and needs_teacher(p[2] for p in pending):
        needs.insert(0, ("teacher", spec.teacher))
    await _preflight(tutor, needs)

    if data is None:
        run_id = await asyncio.to_thread(store.create_eval_run, spec.dataset, spec.to_config())
        state["run_id"] = run_id
        from tot_tui.store.eval_runs import claim

        await asyncio.to_thread(claim, store, run_id)
        data = await asyncio.to_thread(collect, store, run_id, spec)
    await asyncio.to_thread(store.set_eval_run_status, run_id, "running")
    if not args.quiet:
        print(f"eval run {run_id}: {len(spec.indices)} items × {len(spec.students)} "
              f"student{'s' if len(spec.students) > 1 else ''} × {', '.join(spec.modes)}",
              file=sys.stderr)

    progress = Progress(enabled=not args.quiet)
    runner = EvalRunner(tutor, run_id, spec, items, data, concurrency=args.concurrency,
                        per_model=args.per_model, retries=args.retries, progress=progress)
    outcome: RunOutcome = runner.outcome
    try:
        outcome = await runner.run()
    except BaseException:
        # Ctrl+C (cancelled) or a bug: the run stays resumable. Synchronous on purpose.
        store.set_eval_run_status(run_id, "interrupted")
        with contextlib.suppress(Exception):  # a partial report must not hide why we stopped
            _write_report(store, run_id, spec, "interrupted", outcome.errors, args, tutor)
        raise
    await asyncio.to_thread(store.set_eval_run_status, run_id, outcome.status)
    paths, report = await asyncio.to_thread(_write_report, store, run_id, spec, outcome.status,
                                            outcome.errors, args, tutor)
    if args.json:
        json.dump(report, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        print(reporting.table(report))
        print()
        for name, path in paths.items():
            print(f"{name + ':':10} {path}")
    # The run's replies into the search index now, after the report, so that the first
    # search of them (in the History, or `history --search`) does not read them as text.
    with contextlib.suppress(Exception):  # a search finds them without the index too
        await asyncio.to_thread(store.index_pending)
    if outcome.fatal is not None:
        print_error(outcome.fatal.message)
        print_error(f"Eval run {run_id} stopped. Resume it with: tot-tui eval --resume {run_id}")
        return EXIT_SETUP
    if outcome.errors:
        fixable = len(outcome.errors) - len(outcome.unfixable)
        if outcome.unfixable:
            n = len(outcome.unfixable)
            whose = "their items are" if n > 1 else "its item is"
            print_error(f"{n} attempt{'s' if n > 1 else ''} cannot run: {whose} not usable as "
                        "given (see the report); --resume would fail the same way.")
        if fixable:
            print_error(f"{fixable} attempt{'s' if fixable > 1 else ''} failed after "
                        f"{args.retries} retr{'ies' if args.retries != 1 else 'y'}; retry "
                        f"{'them' if fixable > 1 else 'it'} with: tot-tui eval --resume {run_id}")
        return EXIT_FAILURE
    return EXIT_OK


def _write_report(store: Any, run_id: int, spec: RunSpec, status: str,
                  errors: dict[Any, str], args: argparse.Namespace,
                  tutor: Tutor) -> tuple[dict[str, Path], dict[str, Any]]:
    from tot_tui.evaluate import report as reporting
    from tot_tui.evaluate.results import collect
    from tot_tui.store.eval_runs import run_times

    data = collect(store, run_id, spec)
    created, finished = run_times(store, run_id)
    checker = tutor.checker

    def same(a: str, b: str) -> bool:  # two samples' answers, by the answer checker
        from tot_tui.domain import CheckStatus

        return checker.check(a, b).status is CheckStatus.EQUIVALENT

    report = reporting.summarize(run_id, spec, data, status=status, errors=errors,
                                 created=created, finished=finished, same=same)
    directory = args.output or tutor.config.paths.data_dir / "evals" / f"run-{run_id}"
    paths = reporting.write(report, directory, reporting.item_log(spec, data))
    return paths, report
