"""The report of a run: one JSON-able summary, rendered as Markdown, an SVG chart and a table.

Every number is computed here from the stored attempts (`results.collect`), so a resumed run
and an uninterrupted one report the same thing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from tot_tui.domain import AttemptView, Verdict
from tot_tui.evaluate.results import RunData, Triple
from tot_tui.evaluate.spec import RunSpec
from tot_tui.evaluate.stats import (
    Z95,
    accuracy,
    bootstrap_difference,
    bootstrap_relative_gain,
    mcnemar_exact,
    paired_counts,
    relative_gain,
    wilson,
)
from tot_tui.modes import BY_NAME
from tot_tui.tutor.vote import majority_vote

MODE_LABELS = {name: spec.label for name, spec in BY_NAME.items()}
MODE_COLOURS = {name: spec.colour for name, spec in BY_NAME.items()}
BOOTSTRAP_RESAMPLES = 2000
MARKDOWN_LIST_LIMIT = 60  # item indices listed in Markdown; JSON has them all


def _ns_to_s(total: int) -> float:
    return round(total / 1e9, 3)


def summarize(run_id: int, spec: RunSpec, data: RunData, *, status: str,
              errors: dict[Triple, str] | None = None, created: datetime | None = None,
              finished: datetime | None = None,
              same: Callable[[str, str], bool] | None = None) -> dict[str, Any]:
    """The whole report as plain data (what `--json` prints and report.json holds). `same`
    says whether two answers are equivalent (the checker): the majority vote of a
    --samples run needs it."""
    errors = errors or {}
    outcomes = data.outcomes
    n = len(spec.indices)
    results: list[dict[str, Any]] = []
    for student in spec.students:
        for mode in spec.modes:
            attempts = [outcomes[(i, student, mode)] for i in spec.indices
                        if (i, student, mode) in outcomes]
            correct = sum(a.verdict is Verdict.CORRECT for a in attempts)
            unknown = sum(a.verdict is Verdict.UNKNOWN for a in attempts)
            total = len(attempts)
            low, high = wilson(correct, total)
            server_ns = sum(a.usage.total_ns or 0 for a in attempts)
            extra = _way_figures(mode, attempts)
            if spec.samples > 1:
                extra.update(_majority_figures(spec, data, student, mode, same))
            results.append({
                "student": student, "mode": mode, "correct": correct, "total": total,
                "accuracy": accuracy(correct, total), "ci_low": low, "ci_high": high,
                "incorrect": total - correct - unknown, "unknown": unknown,
                "missing": n - total,
                "failed": sum(1 for (_, s, m) in errors if s == student and m == mode),
                "prompt_tokens": sum(a.usage.prompt_tokens or 0 for a in attempts),
                "output_tokens": sum(a.usage.output_tokens or 0 for a in attempts),
                "server_seconds": _ns_to_s(server_ns),
                "mean_seconds": _ns_to_s(server_ns // total) if total else None,
                **_thinking_figures(attempts),
                **extra,
            })
    by_key = {(r["student"], r["mode"]): r for r in results}
    gains = []
    if "tot" in spec.modes:
        for student in spec.students:
            tot = by_key[(student, "tot")]
            entry: dict[str, Any] = {"student": student, "tot_accuracy": tot["accuracy"]}
            for base in ("baseline", "cot"):
                suffix = "" if base == "baseline" else "_over_cot"
                if base not in spec.modes:
                    entry[f"relative_gain{suffix}"] = None
                    continue
                ref = by_key[(student, base)]
                entry[f"{base}_accuracy"] = ref["accuracy"]
                entry[f"relative_gain{suffix}"] = relative_gain(tot["accuracy"], ref["accuracy"])
                entry[f"absolute_gain{suffix}"] = (
                    None if tot["accuracy"] is None or ref["accuracy"] is None
                    else tot["accuracy"] - ref["accuracy"])
                fixed, broken = _fixed_broken(outcomes, spec.indices, student, base)
                entry[f"fixed{suffix}"], entry[f"broken{suffix}"] = fixed, broken
            gains.append(entry)
    paired = _paired(spec, outcomes)
    complete = not data.pending(spec)
    report: dict[str, Any] = {
        "run_id": run_id,
        "status": status,
        "complete": complete,
        "dataset": spec.dataset,
        "dataset_sha256": spec.dataset_sha256,
        "items": n,
        "selection": {"offset": spec.offset, "limit": spec.limit, "sample": spec.sample,
                      "seed": spec.seed, "indices": spec.indices},
        "modes": spec.modes,
        "students": spec.students,
        "teacher": _teacher_summary(spec, data),
        "results": results,
        "gains": gains,
        "paired": paired,
        "preset": spec.preset,
        "confidence": {"method": "wilson", "level": 0.95, "z": Z95},
        "errors": [{"index": i, "student": s, "mode": m, "message": msg}
                   for (i, s, m), msg in sorted(errors.items())],
        "settings": spec.settings,
        "prompts": spec.prompts,
        "hosts": spec.hosts,
        "command": spec.command(),
        "resume_command": f"tot-tui eval --resume {run_id}",
        "created": created.isoformat() if created else None,
        "finished": finished.isoformat() if finished else None,
        "per_item": _per_item(spec, data),
    }
    return report


def _majority_figures(spec: RunSpec, data: RunData, student: str, mode: str,
                      same: Callable[[str, str], bool] | None) -> dict[str, Any]:
    """maj@K: per item, the answer most of its K samples gave (grouped by the checker's
    equivalence), graded as that answer's attempt was; and how many samples agreed."""
    same = same or (lambda a, b: a == b)
    correct = total = 0
    agreements: list[float] = []
    every = every_right = 0
    for i in spec.indices:
        attempts = [a for _, a in data.answers((i, student, mode))]
        if not attempts:
            continue
        every += len(attempts)
        every_right += sum(a.verdict is Verdict.CORRECT for a in attempts)
        winner, votes = majority_vote([a.answer for a in attempts], same)
        chosen = next((a for a in attempts if a.answer == winner), attempts[0])
        total += 1
        correct += winner is not None and chosen.verdict is Verdict.CORRECT
        agreements.append(votes / len(attempts))
    low, high = wilson(correct, total)
    return {"samples": spec.samples, "maj_correct": correct, "maj_total": total,
            "maj_accuracy": accuracy(correct, total), "maj_ci_low": low, "maj_ci_high": high,
            "sample_accuracy": accuracy(every_right, every),
            "mean_agreement": round(sum(agreements) / len(agreements), 4) if agreements
            else None}


def item_log(spec: RunSpec, data: RunData) -> Iterator[dict[str, Any]]:
    """One record per finished answer (every sample), for items.jsonl beside the report:
    what was asked (prompt hash, options, seed), what came back (the raw reply), what was read
    from it and how it was graded."""
    settings = spec.settings
    for i in spec.indices:
        for student in spec.students:
            for mode in spec.modes:
                for n, a in data.answers((i, student, mode)):
                    yield {
                        "index": i, "student": student, "mode": mode, "sample": n,
                        "attempt_id": a.id, "problem_id": a.problem_id,
                        "step_set_id": a.step_set_id, "prompt": a.prompt_name,
                        "prompt_hash": a.prompt_hash, "preset": spec.preset,
                        "options": {"temperature": None if settings.get("sampling") == "default"
                                    else settings.get("student_temperature"),
                                    "num_ctx": settings.get("num_ctx")},
                        "seed": a.seed, "reply": a.output, "thinking": a.thinking,
                        "answer": a.answer,
                        "answer_norm": a.answer_norm, "reference": a.reference,
                        "reference_norm": a.reference_norm, "verdict": str(a.verdict),
                        "verdict_reason": a.verdict_reason,
                        "ways": [{"way": w.way, "answer": w.answer, "status": w.status,
                                  "note": w.note} for w in a.ways],
                        "votes": a.votes, "output_tokens": a.usage.output_tokens}


REASONING_ONLY = ("reasoning_only", "reasoning_cut")  # the verdict reasons of no reply at all


def _thinking_figures(attempts: list[AttemptView]) -> dict[str, Any]:
    """A thinking model's reasoning (kept apart from its replies, never graded): how many
    attempts had some, how long it was, and how many reasoned without ever answering."""
    thought = [a for a in attempts if a.thinking]
    return {"thinking_attempts": len(thought),
            "thinking_chars": sum(len(a.thinking or "") for a in thought),
            "thinking_unanswered": sum(a.verdict_reason in REASONING_ONLY for a in attempts)}


def _way_figures(mode: str, attempts: list[AttemptView]) -> dict[str, Any]:
    """Equations and programs: how often the solver or interpreter gave a value, and why not.
    The ensemble: how many items had all three ways agree, two, or none."""
    source = BY_NAME[mode].answer
    if source in ("equations", "program"):
        outcomes: dict[str, int] = {}
        for a in attempts:
            status = a.ways[0].status if a.ways else "unknown"
            outcomes[status] = outcomes.get(status, 0) + 1
        return {"derived": dict(sorted(outcomes.items()))}
    if source == "majority":
        votes = [a.votes or 0 for a in attempts]
        ways = len(BY_NAME[mode].prompts)
        return {"agreement": {"all": sum(v == ways for v in votes),
                              "majority": sum(1 < v < ways for v in votes),
                              "none": sum(v <= 1 for v in votes)},
                "mean_agreement": round(sum(votes) / (ways * len(votes)), 4) if votes else None}
    return {}


def _paired(spec: RunSpec, outcomes: dict[Triple, AttemptView]) -> list[dict[str, Any]]:
    """Each mode against the baseline on the same items, per student: the four kinds of
    pair, the exact McNemar p-value on the discordant ones, and a paired bootstrap interval
    for the relative gain (items resampled; the seed is fixed, so a report is repeatable)."""
    if "baseline" not in spec.modes:
        return []
    out = []
    for student in spec.students:
        for mode in spec.modes:
            if mode == "baseline":
                continue
            pairs = []
            for i in spec.indices:
                a, b = outcomes.get((i, student, "baseline")), outcomes.get((i, student, mode))
                if a is not None and b is not None:
                    pairs.append((a.verdict is Verdict.CORRECT, b.verdict is Verdict.CORRECT))
            n = len(pairs)
            cells = paired_counts(pairs)
            base = cells["both_right"] + cells["broken"]
            new = cells["both_right"] + cells["fixed"]
            low, high = bootstrap_relative_gain(pairs, resamples=BOOTSTRAP_RESAMPLES, seed=0)
            out.append({
                "student": student, "mode": mode, "base": "baseline", "items": n,
                "accuracy": accuracy(new, n), "base_accuracy": accuracy(base, n),
                "absolute_gain": None if not n else (new - base) / n,
                "absolute_gain_ci": list(bootstrap_difference(
                    pairs, resamples=BOOTSTRAP_RESAMPLES, seed=0)),
                "relative_gain": relative_gain(accuracy(new, n), accuracy(base, n)),
                "relative_gain_ci": [low, high],
                **cells,
                "mcnemar_p": mcnemar_exact(cells["fixed"], cells["broken"]),
            })
    return out


def _fixed_broken(outcomes: dict[Triple, AttemptView], indices: list[int], student: str,
                  base: str) -> tuple[list[int], list[int]]:
    """Items the steps fixed (base wrong, tot right) and broke (base right, tot wrong)."""
    fixed, broken = [], []
    for i in indices:
        a, b = outcomes.get((i, student, base)), outcomes.get((i, student, "tot"))
        if a is None or b is None:
            continue
        was, now = a.verdict is Verdict.CORRECT, b.verdict is Verdict.CORRECT
        if now and not was:
            fixed.append(i)
        elif was and not now:
            broken.append(i)
    return fixed, broken


def _teacher_summary(spec: RunSpec, data: RunData) -> dict[str, Any] | None:
    if "tot" not in spec.modes:
        return None
    rows = [data.items[i] for i in spec.indices if i in data.items]
    with_steps = [r for r in rows if r.step_set_id is not None]
    new = [r for r in with_steps if r.teacher_reused is False]
    return {
        "model": spec.teacher,
        "host": spec.hosts.get("teacher"),
        "steps_new": len(new),
        "steps_reused": sum(r.teacher_reused is True for r in with_steps),
        "steps_failed": sum(1 for r in rows if r.step_set_id is None and r.teacher_error),
        "seconds": round(sum(r.teacher_ms or 0 for r in new) / 1000, 3),
        "chunks": sum(r.teacher_chunks or 0 for r in new),
    }


def _per_item(spec: RunSpec, data: RunData) -> list[dict[str, Any]]:
    out = []
    for i in spec.indices:
        row = data.items.get(i)
        results: dict[str, dict[str, Any]] = {}
        for student in spec.students:
            for mode in spec.modes:
                a = data.outcomes.get((i, student, mode))
                if a is not None:
                    results.setdefault(student, {})[mode] = {
                        "verdict": str(a.verdict), "answer": a.answer, "attempt_id": a.id}
        out.append({"index": i, "problem_id": row.problem_id if row else None,
                    "step_set_id": row.step_set_id if row else None, "results": results})
    return out


# -- rendering --------------------------------------------------------------------------------


def _pct(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value * 100:.{digits}f}%"


def _gain(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:+.1f}%"


def _ci(r: dict[str, Any]) -> str:
    if r["ci_low"] is None:
        return "n/a"
    return f"{r['ci_low'] * 100:.1f}–{r['ci_high'] * 100:.1f}%"


def _indices(values: list[int]) -> str:
    if not values:
        return "none"
    shown = ", ".join(str(v) for v in values[:MARKDOWN_LIST_LIMIT])
    more = len(values) - MARKDOWN_LIST_LIMIT
    return shown + (f", … ({more} more in report.json)" if more > 0 else "")


def _p_value(p: float) -> str:
    return f"{p:.3f}" if p >= 0.001 else f"{p:.1e}"


def _md_cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown(report: dict[str, Any], chart_name: str | None = "accuracy.svg") -> str:
    lines = [f"# Evaluation run {report['run_id']}: {_md_cell(report['dataset'])}", ""]
    state = "complete" if report["complete"] else "incomplete"
    lines.append(f"- Status: {report['status']} ({state})")
    sel = report["selection"]
    how = []
    if sel["offset"]:
        how.append(f"offset {sel['offset']}")
    if sel["limit"] is not None:
        how.append(f"limit {sel['limit']}")
    if sel["sample"] is not None:
        how.append(f"random sample of {sel['sample']}, seed {sel['seed']}")
    lines.append(f"- Items: {report['items']}" + (f" ({', '.join(how)})" if how else ""))
    lines.append(f"- Dataset SHA-256: `{report['dataset_sha256']}`")
    teacher = report["teacher"]
    if teacher:
        lines.append(f"- Teacher: `{_md_cell(teacher['model'])}` — step sets written "
                     f"{teacher['steps_new']}, reused {teacher['steps_reused']}, failed "
                     f"{teacher['steps_failed']}; {teacher['seconds']:.1f} s, "
                     f"{teacher['chunks']} streamed chunks")
    lines.append("- Students: " + ", ".join(f"`{_md_cell(s)}`" for s in report["students"]))
    if report.get("preset", "ours") != "ours":
        lines.append(f"- Prompts: preset `{report['preset']}` (version "
                     f"{report['settings'].get('preset_version', '?')})")
    lines.append(f"- Reproduce: `{report['command']}`")
    if not report["complete"]:
        lines.append(f"- Resume: `{report['resume_command']}`")
    lines += ["", "## Accuracy", "",
              "| Student | Mode | Correct | Total | Accuracy | 95% CI (Wilson) | Unreadable "
              "| Missing |",
              "|---|---|---:|---:|---:|---|---:|---:|"]
    for r in report["results"]:
        lines.append(f"| `{_md_cell(r['student'])}` | {MODE_LABELS[r['mode']]} | {r['correct']} "
                     f"| {r['total']} | {_pct(r['accuracy'])} | {_ci(r)} | {r['unknown']} "
                     f"| {r['missing']} |")
    if report["gains"]:
        lines += ["", "## What the teacher's steps changed", "",
                  "| Student | ToT | Baseline | Gain over baseline | CoT | Gain over CoT "
                  "| Fixed | Broken |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for g in report["gains"]:
            fixed = len(g.get("fixed", [])) if "fixed" in g else "n/a"
            broken = len(g.get("broken", [])) if "broken" in g else "n/a"
            lines.append(
                f"| `{_md_cell(g['student'])}` | {_pct(g['tot_accuracy'])} "
                f"| {_pct(g.get('baseline_accuracy'))} | {_gain(g['relative_gain'])} "
                f"| {_pct(g.get('cot_accuracy'))} | {_gain(g['relative_gain_over_cot'])} "
                f"| {fixed} | {broken} |")
        lines += ["", "Gain = (accuracy with steps − accuracy without) / accuracy without, the "
                  "relative gain reported by the Trace-of-Thought paper. Fixed: items the "
                  "student got wrong alone and right with the steps; broken: the reverse "
                  "(against the baseline).", ""]
        for g in report["gains"]:
            for base, suffix in (("baseline", ""), ("CoT", "_over_cot")):
                if f"fixed{suffix}" in g:
                    lines.append(f"- `{_md_cell(g['student'])}` vs {base}: fixed "
                                 f"{_indices(g[f'fixed{suffix}'])}; broken "
                                 f"{_indices(g[f'broken{suffix}'])}")
    majority = [r for r in report["results"] if "maj_accuracy" in r]
    if majority:
        k = majority[0]["samples"]
        lines += ["", f"## Majority vote over {k} samples (maj@{k})", "",
                  "| Student | Mode | maj@K correct | maj@K accuracy | 95% CI (Wilson) "
                  "| Accuracy over all samples | Mean agreement |",
                  "|---|---|---:|---:|---|---:|---:|"]
        for r in majority:
            ci = "n/a" if r["maj_ci_low"] is None else \
                f"{r['maj_ci_low'] * 100:.1f}–{r['maj_ci_high'] * 100:.1f}%"
            agree = "n/a" if r["mean_agreement"] is None else f"{r['mean_agreement']:.2f}"
            lines.append(f"| `{_md_cell(r['student'])}` | {MODE_LABELS[r['mode']]} "
                         f"| {r['maj_correct']}/{r['maj_total']} | {_pct(r['maj_accuracy'])} "
                         f"| {ci} | {_pct(r['sample_accuracy'])} | {agree} |")
        lines += ["", "The accuracy table above grades each item's first sample; here each "
                  "item's answer is the one most samples gave (equivalent answers count as "
                  "one). Agreement: the share of samples that gave it. Every sample is in "
                  "items.jsonl.", ""]
    if report.get("paired"):
        lines += ["", "## Paired comparison with the baseline", "",
                  "| Student | Mode | Items | Accuracy | Baseline | Relative gain | 95% CI "
                  "(bootstrap) | Fixed | Broken | McNemar p |",
                  "|---|---|---:|---:|---:|---:|---|---:|---:|---:|"]
        for p in report["paired"]:
            low, high = p["relative_gain_ci"]
            ci = "n/a" if low is None else f"{_gain(low)} to {_gain(high)}"
            lines.append(f"| `{_md_cell(p['student'])}` | {MODE_LABELS[p['mode']]} "
                         f"| {p['items']} | {_pct(p['accuracy'])} | {_pct(p['base_accuracy'])} "
                         f"| {_gain(p['relative_gain'])} | {ci} | {p['fixed']} | {p['broken']} "
                         f"| {_p_value(p['mcnemar_p'])} |")
        lines += ["", "Each mode against the baseline on the items both finished. McNemar: "
                  "the exact two-sided test on the items only one of the two got right; the "
                  f"interval resamples the items ({BOOTSTRAP_RESAMPLES} times, seed 0).", ""]
    ways = [r for r in report["results"] if "derived" in r or "agreement" in r]
    if ways:
        lines += ["", "## How the answers were reached", ""]
        for r in ways:
            if "derived" in r:
                said = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in r["derived"].items())
                lines.append(f"- `{_md_cell(r['student'])}`, {MODE_LABELS[r['mode']]}: "
                             f"{said or 'no attempts'}")
            else:
                agree = r["agreement"]
                lines.append(f"- `{_md_cell(r['student'])}`, {MODE_LABELS[r['mode']]}: all "
                             f"three ways agree on {agree['all']}, two on {agree['majority']}, "
                             f"none on {agree['none']} (the steps-guided answer is used)")
    lines += ["", "## Tokens and time", "",
              "| Student | Mode | Prompt tokens | Output tokens | Server time (s) | s per item |",
              "|---|---|---:|---:|---:|---:|"]
    for r in report["results"]:
        mean = "n/a" if r["mean_seconds"] is None else f"{r['mean_seconds']:.2f}"
        lines.append(f"| `{_md_cell(r['student'])}` | {MODE_LABELS[r['mode']]} "
                     f"| {r['prompt_tokens']:,} | {r['output_tokens']:,} "
                     f"| {r['server_seconds']:.1f} | {mean} |")
    if teacher:
        lines += ["", f"The teacher's time is separate: {teacher['seconds']:.1f} s for "
                  f"{teacher['steps_new']} new step sets (reused step sets cost nothing)."]
    thinking = [r for r in report["results"] if r.get("thinking_attempts")]
    if thinking:
        lines += ["", "## Reasoning (thinking models)", "",
                  "| Student | Mode | Attempts with reasoning | Reasoning characters "
                  "| Characters per attempt | Reasoned, never answered |",
                  "|---|---|---:|---:|---:|---:|"]
        for r in thinking:
            lines.append(f"| `{_md_cell(r['student'])}` | {MODE_LABELS[r['mode']]} "
                         f"| {r['thinking_attempts']}/{r['total']} | {r['thinking_chars']:,} "
                         f"| {r['thinking_chars'] // r['thinking_attempts']:,} "
                         f"| {r['thinking_unanswered']} |")
        lines += ["", "The reasoning is kept apart from the reply (items.jsonl: `thinking`) and "
                  "never graded; its tokens are among the output tokens above. Never answered: "
                  "the model reasoned and gave no reply (often the token cap, "
                  "`student_max_tokens`, cut it off mid-thought)."]
    if report["errors"]:
        lines += ["", "## Failed attempts", ""]
        for e in report["errors"][:MARKDOWN_LIST_LIMIT]:
            lines.append(f"- item {e['index']}, `{_md_cell(e['student'])}`, {e['mode']}: "
                         f"{_md_cell(e['message'])}")
    if chart_name:
        lines += ["", f"![Accuracy per mode and student]({chart_name})"]
    lines += ["", "Accuracy = correct / attempts finished; an answer the checker could not read "
              "counts as wrong (column *Unreadable*). *Missing*: items not finished yet "
              "(interrupted or failed; resume to redo them).", ""]
    return "\n".join(lines)


def svg_chart(report: dict[str, Any]) -> str:
    """A grouped bar chart of accuracy (students × modes) with 95% Wilson whiskers."""
    modes: list[str] = report["modes"]
    students: list[str] = report["students"]
    by_key = {(r["student"], r["mode"]): r for r in report["results"]}
    bar, gap, left, right, top, plot_h = 38, 34, 64, 24, 56, 260
    group_w = bar * len(modes)
    width = max(420, left + right + len(students) * group_w + (len(students) + 1) * gap)
    height = top + plot_h + 84
    plot_w = width - left - right

    def y(v: float) -> float:
        return top + plot_h * (1 - v)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{width / 2}" y="20" text-anchor="middle" font-size="14" '
           f'font-weight="bold">{escape(str(report["dataset"])[:80])}: accuracy per mode '
           f'(n = {report["items"]})</text>']
    for k in range(6):
        v = k / 5
        out.append(f'<line x1="{left}" y1="{y(v):.1f}" x2="{left + plot_w}" y2="{y(v):.1f}" '
                   f'stroke="#dddddd"/>')
        out.append(f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{k * 20}%</text>')
    out.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#333"/>')
    out.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" '
               f'y2="{top + plot_h}" stroke="#333"/>')
    out.append(f'<text transform="translate(16 {top + plot_h / 2}) rotate(-90)" '
               f'text-anchor="middle">accuracy (whiskers: 95% Wilson interval)</text>')
    # Centre the groups in the plot (one student would otherwise hug the axis).
    first = left + (plot_w - (len(students) * group_w + (len(students) - 1) * gap)) / 2
    for g, student in enumerate(students):
        x0 = first + g * (group_w + gap)
        for m, mode in enumerate(modes):
            r = by_key.get((student, mode))
            x = x0 + m * bar
            cx = x + bar / 2
            acc = r["accuracy"] if r else None
            if r is None or acc is None:
                out.append(f'<text x="{cx}" y="{top + plot_h - 4}" text-anchor="middle" '
                           f'fill="#999">n/a</text>')
                continue
            out.append(f'<rect x="{x + 2}" y="{y(acc):.1f}" width="{bar - 4}" '
                       f'height="{plot_h * acc:.1f}" fill="{MODE_COLOURS[mode]}">'
                       f'<title>{escape(student)} {mode}: {r["correct"]}/{r["total"]}</title>'
                       f'</rect>')
            lo, hi = r["ci_low"], r["ci_high"]
            out.append(f'<line x1="{cx}" y1="{y(lo):.1f}" x2="{cx}" y2="{y(hi):.1f}" '
                       f'stroke="#222" stroke-width="1.2"/>')
            for v in (lo, hi):
                out.append(f'<line x1="{cx - 5}" y1="{y(v):.1f}" x2="{cx + 5}" y2="{y(v):.1f}" '
                           f'stroke="#222" stroke-width="1.2"/>')
            out.append(f'<text x="{cx}" y="{y(hi) - 4:.1f}" text-anchor="middle" '
                       f'font-size="10">{acc * 100:.1f}%</text>')
        name = student if len(student) <= 28 else student[:27] + "…"
        out.append(f'<text x="{x0 + group_w / 2}" y="{top + plot_h + 18}" '
                   f'text-anchor="middle">{escape(name)}</text>')
    lx = left
    ly = top + plot_h + 48
    for mode in modes:
        out.append(f'<rect x="{lx}" y="{ly - 10}" width="12" height="12" '
                   f'fill="{MODE_COLOURS[mode]}"/>')
        out.append(f'<text x="{lx + 17}" y="{ly}">{escape(MODE_LABELS[mode])}</text>')
        lx += 30 + 7 * len(MODE_LABELS[mode])
    out.append("</svg>")
    return "\n".join(out) + "\n"


def write(report: dict[str, Any], directory: Path,
          items: Iterable[dict[str, Any]] = ()) -> dict[str, Path]:
    """Write report.md, report.json, accuracy.svg and items.jsonl (one line per answer);
    returns their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {"markdown": directory / "report.md", "json": directory / "report.json",
             "chart": directory / "accuracy.svg", "items": directory / "items.jsonl"}
    report["files"] = {k: str(v) for k, v in paths.items()}
    tmp = paths["items"].with_name(paths["items"].name + ".tmp")
    with tmp.open("w", encoding="utf-8") as out:  # streamed: a big run's replies add up
        for record in items:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    tmp.replace(paths["items"])
    _atomic(paths["chart"], svg_chart(report))
    _atomic(paths["markdown"], markdown(report, paths["chart"].name))
    _atomic(paths["json"], json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    return paths


def _atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, "utf-8")
    tmp.replace(path)


def table(report: dict[str, Any]) -> str:
    """The final table printed to stdout."""
    width = max([len("student"), *(len(s) for s in report["students"])])
    lines = [f"{'student':<{width}}  {'mode':<15} {'correct':>9} {'accuracy':>8}  95% CI"]
    for r in report["results"]:
        lines.append(f"{r['student']:<{width}}  {MODE_LABELS[r['mode']]:<15} "
                     f"{r['correct']:>4}/{r['total']:<4} {_pct(r['accuracy']):>8}  {_ci(r)}")
    for g in report["gains"]:
        parts = []
        if "baseline_accuracy" in g:
            parts.append(f"{_gain(g['relative_gain'])} over baseline (fixed "
                         f"{len(g['fixed'])}, broke {len(g['broken'])})")
        if "cot_accuracy" in g:
            parts.append(f"{_gain(g['relative_gain_over_cot'])} over CoT")
        if parts:
            lines.append(f"{g['student']}: steps give " + "; ".join(parts))
    for r in report["results"]:
        if "maj_accuracy" in r:
            lines.append(f"{r['student']}: {MODE_LABELS[r['mode']]} maj@{r['samples']} "
                         f"{r['maj_correct']}/{r['maj_total']} {_pct(r['maj_accuracy'])}, "
                         f"mean agreement {r['mean_agreement']}")
    for p in report.get("paired", []):
        if p["mode"] in ("cot", "tot") and report["gains"]:
            continue  # said above, in the steps' own line
        lines.append(f"{p['student']}: {MODE_LABELS[p['mode']]} {_gain(p['relative_gain'])} "
                     f"over baseline (fixed {p['fixed']}, broke {p['broken']}, McNemar p "
                     f"{_p_value(p['mcnemar_p'])})")
    if not report["complete"]:
        missing = sum(r["missing"] for r in report["results"])
        lines.append(f"incomplete: {missing} attempt{'s' if missing != 1 else ''} not finished; "
                     f"resume with: {report['resume_command']}")
    return "\n".join(lines)
