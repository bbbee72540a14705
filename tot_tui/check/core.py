"""POLICY §1: the whole pipeline for one pair, as run inside the worker process."""

from __future__ import annotations

import re
from typing import Any

from ..domain import CheckResult, CheckStatus
from .errors import CheckError
from .extract import (
    extract_for_check,
    find_answer,
    is_prose,
    math_spans,
    strip_think,
)
from .limits import MAX_ANSWER, MAX_RAW_PRED
from .normalize import normalize, unwrap_command
from .parser import Node, free_symbols, parse
from .safety import gate

_CHOICE_GOLD = re.compile(r"\\text(?:bf|rm|it)?\s*\{\s*\(\s*([A-Za-z])\s*\)\s*\}")
_WHOLE_TEXT = re.compile(r"\\text(?:bf|rm|it|up|normal)?\s*\{([^{}]*)\}")
_CHOICE = re.compile(r"\(?\s*([a-z])\s*\)?")
_TEXT_WRAPPERS = ("text", "textbf", "textit", "textrm", "mathrm", "mbox", "boxed", "fbox", "emph")
_SHOW = 80


def _short(s: str) -> str:
    s = " ".join(s.split())
    return s if len(s) <= _SHOW else s[: _SHOW - 1] + "…"


def text_norm(s: str) -> str:
    """R3: unwrap, case-fold, collapse whitespace, drop a trailing period."""
    s = unwrap_command(s, _TEXT_WRAPPERS, pad=True)
    s = s.replace("$", " ").replace("\\(", " ").replace("\\)", " ").replace("**", "")
    s = " ".join(s.lower().split()).strip()
    s = s.strip("\"'`").rstrip(".").strip()
    m = _CHOICE.fullmatch(s)
    return m.group(1) if m else s


_DECIMAL_COMMA = re.compile(r"(-?\d+),(\d+)(%?)")


def decimal_comma(norm: str) -> str | None:
    """`3,75`, `2500,5`, `0,111`: a comma that cannot be a thousands separator (R6.4), read
    as a decimal comma; None when the text is not one such number."""
    m = _DECIMAL_COMMA.fullmatch(norm)
    if not m:
        return None
    whole, frac = m.group(1).lstrip("-"), m.group(2)
    if len(frac) == 3 and 1 <= len(whole) <= 3 and whole[0] != "0":
        return None  # 3,125 is three thousand one hundred and twenty-five
    return f"{m.group(1)}.{frac}{m.group(3)}"


def _is_list(ast: Node) -> bool:
    return bool(ast[0] == "list")


def _same_text(a: str, b: str) -> bool:
    """Identical answers are equal even when they cannot be read (`\\operatorname{foo}(3)`)."""

    def canon(s: str) -> str:
        return "".join(s.replace("$", "").split()).rstrip(".")

    return bool(canon(a)) and canon(a) == canon(b)


def _pred_text_or_whole(pred: str) -> str:
    try:
        return extract_for_check(pred)
    except CheckError:
        return pred


def _classify_gold(gold: str) -> tuple[str, Any, bool]:
    """("text", normalised text, False) or ("math", AST, has free variables)."""
    stripped = gold.strip()
    if _CHOICE_GOLD.fullmatch(stripped):
        return "text", text_norm(stripped), False
    whole = _WHOLE_TEXT.fullmatch(stripped)
    if whole and re.search(r"[A-Za-z]{2,}", whole.group(1)) and not re.search(r"\d", stripped):
        return "text", text_norm(stripped), False  # `\text{odd}` is a word, not o*d*d
    try:
        ast = parse(normalize(gold, strip_units=False))
        has_vars = bool(free_symbols(ast))
        if not has_vars:
            try:
                ast = parse(normalize(gold, strip_units=True))
            except CheckError:
                pass
        return "math", ast, has_vars
    except CheckError as e:
        if e.reason != "parse_error":
            raise
        try:
            ast = parse(normalize(gold, strip_units=True))
            if not free_symbols(ast):
                return "math", ast, False
        except CheckError:
            pass
        if re.search(r"[A-Za-z]{2,}", unwrap_command(gold, _TEXT_WRAPPERS)):
            return "text", text_norm(stripped), False
        raise


def _text_pred(pred: str) -> str:
    text = strip_think(pred).strip()
    found = find_answer(text)
    if found is not None and found.strip():
        text = found
    if len(text) > MAX_ANSWER:
        raise CheckError("too_long")
    return text_norm(text)


# A multiple-choice gold: `C`, `(D) Alina`, `C Cecile`, `C. x = 42`, `\text{(B)}`.
_CHOICE_LEAD = re.compile(r"\(?([A-J])\)?(?:[.:)]?\s+\S.*)?", re.DOTALL)
_LETTER = re.compile(r"(?<![A-Za-z\\'])\(?([A-H])\)?(?![A-Za-z'])")
_LEADING_LETTER = re.compile(r"\(?([A-J])\)?(?:[.:)]|\s*$)")


def _choice_gold(gold: str) -> str | None:
    """The letter of a multiple-choice gold that carries the option's text after it."""
    g = unwrap_command(gold.strip().strip("$"), _TEXT_WRAPPERS).strip()
    m = _CHOICE_LEAD.fullmatch(g)
    if m and len(g) > 3 and is_prose(g[m.start(1) + 1 :]):
        return m.group(1)
    return None


def _bare_letter(gold: str) -> str | None:
    """`C`, `(C)`, `\\text{(C)}`: one option letter and nothing else."""
    g = unwrap_command(gold.strip().strip("$"), _TEXT_WRAPPERS).strip()
    m = re.fullmatch(r"\(?([A-J])\)?", g)
    return m.group(1) if m else None


def _choice_pred(pred: str) -> str | None:
    """The letter a prose reply chooses: a leading `D.`, a box, the first letter after the
    answer marker, else the last standalone option letter (`therefore I think it's B`)."""
    text = strip_think(pred).strip()
    lead = _LEADING_LETTER.match(unwrap_command(text.strip("$ "), _TEXT_WRAPPERS).strip())
    if lead:
        return lead.group(1)
    found = find_answer(text)
    if found is not None:
        m = _LETTER.search(unwrap_command(found, _TEXT_WRAPPERS))
        if m:
            return m.group(1)
    if not is_prose(text):
        return None
    last = None
    for m in _LETTER.finditer(text):
        last = m
    return last.group(1) if last else None


def gold_answer(gold: str) -> str:
    """Take the answer from a gold the way it is taken from a reply (`extract_for_check`): a
    MATH solution, a sentence or several boxes give their final answer. Anything else, a
    word answer such as `\\text{Evelyn}` included, is used as it is."""
    text = gold.strip()
    boxed = "\\boxed" in text or "\\fbox" in text
    if not boxed and not (is_prose(text) and (re.search(r"\d", text) or math_spans(text))):
        return text
    try:
        return extract_for_check(text)
    except CheckError:
        return text


def _verdict(same: bool, reason: str, gold_norm: str, pred_norm: str) -> CheckResult:
    status = CheckStatus.EQUIVALENT if same else CheckStatus.NOT_EQUIVALENT
    return CheckResult(status, reason, gold_norm, pred_norm)


def _text_verdict(same: bool, gold_norm: str, pred_norm: str) -> CheckResult:
    return _verdict(same, "text_equal" if same else "text_different", gold_norm, pred_norm)


def _show(a: Any) -> str:
    from .answer import Coll, Eqn, Mat, RSet, Val

    if isinstance(a, Val):
        body = a.shown or str(a.expr)
        return f"{body}%" if a.pct else body
    if isinstance(a, Eqn):
        return f"{a.lhs} = {a.rhs}"
    if isinstance(a, RSet):
        return _show_set(a.s)
    if isinstance(a, Coll):
        inner = ", ".join(_show(x) for x in a.items)
        return (
            "{" + inner + "}" if a.kind == "set" else f"({inner})" if a.kind == "tuple" else inner
        )
    if isinstance(a, Mat):
        return "[" + "; ".join(", ".join(str(e) for e in r) for r in a.rows) + "]"
    return str(a)


def _show_set(s: Any) -> str:
    import sympy as sp

    if isinstance(s, sp.Interval):
        lo = "(" if s.left_open else "["
        hi = ")" if s.right_open else "]"
        return f"{lo}{s.start}, {s.end}{hi}"
    if isinstance(s, sp.Union):
        return " U ".join(_show_set(x) for x in s.args)
    if s == sp.S.Reals:
        return "R"
    if s == sp.S.EmptySet:
        return "{}"
    return str(s)


def _decide(gold_ast: Node, pred_ast: Node) -> tuple[Any, str, str, str]:
    """Build both sides with sympy and compare. Returns (tri, reason, gold_norm, pred_norm)."""
    from .build import Builder
    from .compare import equal

    gb = Builder()
    g = gb.answer(gold_ast)
    pb = Builder(snap_to=gb.refs)
    p = pb.answer(pred_ast)
    g_show, p_show = _short(_show(g)), _short(_show(p))
    try:
        res = equal(g, p)
    except CheckError:
        raise
    except (RecursionError, MemoryError):
        raise
    except Exception:  # a sympy failure while comparing is "could not decide", never a crash
        res = None
    if res is True:
        reason = "rounded_ok" if pb.snapped else "equal"
    elif res is False:
        reason = "different"
    else:
        reason = "undecided"
    return res, reason, g_show, p_show


def check_in_process(gold: str, pred: str) -> CheckResult:
    """The checker's logic for one pair; never raises (except MemoryError, for the worker)."""
    gold_norm = pred_norm = ""
    try:
        if not isinstance(gold, str) or not isinstance(pred, str):
            raise CheckError("parse_error", "not a string")
        if len(gold) > MAX_RAW_PRED or len(pred) > MAX_RAW_PRED:
            raise CheckError("too_long")
        gold_s = gate(gold)
        pred_s = gate(pred)
        letter = _choice_gold(gold_s)
        if letter is None and (is_prose(pred_s) or _LEADING_LETTER.match(pred_s.strip())):
            letter = _bare_letter(gold_s)  # a reply in words: find the letter it chose
        if letter is not None:
            chosen = _choice_pred(pred_s)
            return _text_verdict(chosen == letter, letter, chosen or "")
        gold_s = gold_answer(gold_s)
        if len(gold_s) > MAX_ANSWER:
            raise CheckError("too_long")
        try:
            kind, g_info, has_vars = _classify_gold(gold_s)
        except CheckError as e:
            if e.reason == "parse_error" and _same_text(gold_s, _pred_text_or_whole(pred_s)):
                return _verdict(True, "same_text", _short(gold_s), _short(pred_s))
            raise
        if kind == "text":
            gold_norm = _short(g_info)
            p_text = _text_pred(pred_s)
            pred_norm = _short(p_text)
            return _text_verdict(p_text == g_info, gold_norm, pred_norm)
        answer = extract_for_check(pred_s, strip_units=not has_vars)
        if len(answer) > MAX_ANSWER:
            raise CheckError("too_long")
        pred_text = normalize(answer, strip_units=not has_vars)
        try:
            pred_ast = parse(pred_text)
        except CheckError as e:
            if e.reason == "parse_error" and _same_text(gold_s, answer):
                return _verdict(True, "same_text", _short(gold_s), _short(answer))
            raise
        # R6.4: `3,75` is a decimal comma when the other side is one number, not a list
        if _is_list(pred_ast) and not _is_list(g_info):
            dec = decimal_comma(pred_text)
            if dec is not None:
                pred_ast = parse(dec)
        elif _is_list(g_info) and not _is_list(pred_ast):
            dec = decimal_comma(normalize(gold_s, strip_units=not has_vars))
            if dec is not None:
                g_info = parse(dec)
        res, reason, gold_norm, pred_norm = _decide(g_info, pred_ast)
        if res is None:
            return CheckResult(CheckStatus.UNPARSEABLE, reason, gold_norm, pred_norm)
        status = CheckStatus.EQUIVALENT if res else CheckStatus.NOT_EQUIVALENT
        return CheckResult(status, reason, gold_norm, pred_norm)
    except CheckError as e:
        return CheckResult(CheckStatus.UNPARSEABLE, e.reason, gold_norm, pred_norm)
    except RecursionError:
        return CheckResult(CheckStatus.UNPARSEABLE, "too_deep", gold_norm, pred_norm)
    except MemoryError:
        raise
    except Exception:
        return CheckResult(CheckStatus.UNPARSEABLE, "parse_error", gold_norm, pred_norm)
