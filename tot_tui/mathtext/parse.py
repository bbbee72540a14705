"""Read the LaTeX of one math span into the tree (tree.py), with pylatexenc.

pylatexenc does the reading: braces, macro arguments (as declared in symbols.MACRO_ARGUMENTS),
optional `[…]` arguments, environments and nested `$…$` come back as a node tree, and
unbalanced input is an error. This module walks that tree: characters become atoms, `^`/`_`
attach scripts (one token or one group, as in TeX), and macros are looked up in symbols.py.

pylatexenc is imported inside the functions that need it, so importing this module is cheap.
It runs strict (`tolerant_parsing=False`): tolerant mode silently repairs broken input (it drops
a stray `}`), and a span that cannot be read exactly must be shown raw instead.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from tot_tui.mathtext import symbols as sym
from tot_tui.mathtext.tree import (
    Accent,
    Atom,
    Binom,
    Boxed,
    Fenced,
    Frac,
    Group,
    Kind,
    Node,
    Phantom,
    Scripts,
    Seq,
    Sqrt,
    Table,
    Text,
)

# pylatexenc ships no type information: its nodes are typed Any here.
LatexNode = Any
Token = str | LatexNode  # one character of a chars node, or any other node
Item = Node | str  # a tree node, or a script marker "^" / "_"

_UNESCAPED_PERCENT = re.compile(r"(?<!\\)((?:\\\\)*)%")
_NUMBER_PART = re.compile(r"[0-9.]+")
_THOUSANDS = re.compile(r"[0-9]{3}(?:\.[0-9]+)?")
_GROUPED_DIGITS = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})*")
_WHITESPACE = re.compile(r"\s+")


class Unreadable(Exception):
    """LaTeX the renderer does not read (an unknown macro with arguments, an unknown
    environment, a double superscript): the span is shown as written."""


@lru_cache(maxsize=4096)
def parse_math(source: str) -> Seq | None:
    """The tree of one span's math (no delimiters), or None if it cannot be read."""
    try:
        return _top(_walk(_UNESCAPED_PERCENT.sub(r"\1\\%", source)))
    except Exception:  # pylatexenc's parse errors, Unreadable, RecursionError: shown raw
        return None


def macro_length(text: str) -> int | None:
    """How many characters of `text`, which starts with a macro, the macro and its arguments
    take; None if they are not complete (an open brace, a missing argument)."""
    try:
        nodes = _walk(text, max_nodes=1)
    except Exception:  # pylatexenc's parse errors: not complete yet
        return None
    if not nodes or nodes[0].pos != 0:
        return None
    length: int = nodes[0].len
    return length


@lru_cache(maxsize=1)
def _context() -> Any:
    """pylatexenc's table of the macros, environments and specials this module reads."""
    from pylatexenc.macrospec import EnvironmentSpec, LatexContextDb, MacroSpec, SpecialsSpec

    db = LatexContextDb()
    db.add_context_category(
        "tot-tui-math",
        macros=[MacroSpec(name, spec) for name, spec in sym.MACRO_ARGUMENTS.items()],
        environments=[EnvironmentSpec(name, sym.ENVIRONMENT_ARGUMENTS.get(name, ""))
                      for name in sorted(sym.MATH_ENVIRONMENTS)],
        specials=[SpecialsSpec("&"), SpecialsSpec("~")],
    )
    db.set_unknown_macro_spec(MacroSpec(""))
    db.set_unknown_environment_spec(EnvironmentSpec(""))
    return db


def _walk(source: str, max_nodes: int | None = None) -> list[LatexNode]:
    from pylatexenc.latexwalker import LatexWalker

    walker = LatexWalker(source, latex_context=_context(), tolerant_parsing=False)
    nodes, _pos, _len = walker.get_latex_nodes(pos=0, read_max_nodes=max_nodes)
    return list(nodes)


def _is(node: LatexNode, class_name: str) -> bool:
    """Whether `node` is of the pylatexenc.latexwalker node class named `class_name` (by name,
    so that the classes need not be imported here)."""
    return type(node).__name__ == class_name


def _is_macro(node: LatexNode, *names: str) -> bool:
    return _is(node, "LatexMacroNode") and node.macroname in names


def _is_specials(node: LatexNode, chars: str) -> bool:
    return _is(node, "LatexSpecialsNode") and node.specials_chars == chars


def _args(node: LatexNode) -> list[LatexNode | None]:
    return list(node.nodeargd.argnlist) if node.nodeargd is not None else []


def _arg_nodes(arg: LatexNode | None) -> list[LatexNode]:
    if arg is None:
        return []
    if _is(arg, "LatexGroupNode"):
        return list(arg.nodelist)
    return [arg]


# --- rows and cells ------------------------------------------------------------------------


def _top(nodes: list[LatexNode]) -> Seq:
    """A whole span: lines split at top-level `\\\\` or `&` are read as aligned equations."""
    if any(_is_specials(n, "&") or _is_macro(n, "\\", "cr") for n in nodes):
        return (Table("aligned", _rows(nodes)),)
    return _math(nodes)


def _blank(nodes: list[LatexNode]) -> bool:
    return all((_is(n, "LatexCharsNode") and not n.chars.strip()) or _is(n, "LatexCommentNode")
               for n in nodes)


def _rows(nodes: list[LatexNode]) -> tuple[tuple[Seq, ...] | None, ...]:
    """The rows of an environment body: cells split at `&`, rows at `\\\\`; `\\hline` and
    `\\cline` at the start of a row are horizontal rules (None)."""
    rows: list[list[list[LatexNode]] | None] = []
    row: list[list[LatexNode]] = []
    cell: list[LatexNode] = []
    for node in nodes:
        if _is_specials(node, "&"):
            row.append(cell)
            cell = []
        elif _is_macro(node, "\\", "cr"):
            row.append(cell)
            rows.append(row)
            row, cell = [], []
        elif _is_macro(node, "hline", "cline"):
            if not row and _blank(cell):
                rows.append(None)
                cell = []
        else:
            cell.append(node)
    row.append(cell)
    if not (len(row) == 1 and _blank(row[0])):
        rows.append(row)
    return tuple(None if r is None else tuple(_math(c) for c in r) for r in rows)


def _environment(node: LatexNode) -> Node:
    name = node.environmentname
    if name not in sym.MATH_ENVIRONMENTS:
        raise Unreadable(f"environment {name}")
    rows = _rows(list(node.nodelist))
    if name == "array":
        spec = _args(node)
        aligns, seps = _column_spec(_arg_nodes(spec[0]) if spec else [])
        return Table(name, rows, aligns, seps)
    return Table(name, rows)


def _column_spec(nodes: list[LatexNode]) -> tuple[tuple[str, ...], tuple[str | None, ...]]:
    """An array's column spec: the alignment of each column and what stands between them."""
    aligns: list[str] = []
    seps: list[str | None] = [None]
    tokens = _tokens(nodes)
    i = 0
    while i < len(tokens):
        token = tokens[i]
        i += 1
        if token in ("l", "c", "r"):
            aligns.append(token)
            seps.append(None)
        elif token in ("p", "m", "b") and i < len(tokens) and _is(tokens[i], "LatexGroupNode"):
            aligns.append("l")
            seps.append(None)
            i += 1
        elif token == "|":
            seps[-1] = (seps[-1] or "") + sym.COLUMN_RULE
        elif token == "@" and i < len(tokens) and _is(tokens[i], "LatexGroupNode"):
            group: LatexNode = tokens[i]
            seps[-1] = (seps[-1] or "") + _plain(_text(list(group.nodelist)))
            i += 1
        else:
            raise Unreadable("column spec")
    return tuple(aligns), tuple(seps)


# --- math ----------------------------------------------------------------------------------


def _tokens(nodes: list[LatexNode]) -> list[Token]:
    """Characters one by one (math ignores white space), other nodes as they are."""
    tokens: list[Token] = []
    for node in nodes:
        if _is(node, "LatexCharsNode"):
            tokens.extend(ch for ch in node.chars if not ch.isspace())
        elif not _is(node, "LatexCommentNode"):
            tokens.append(node)
    return tokens


_INFIX = ("over", "choose", "atop")


def _math(nodes: list[LatexNode]) -> Seq:
    tokens = _tokens(nodes)
    infix = [k for k, token in enumerate(tokens) if _is_macro(token, *_INFIX)]
    if not infix:
        return _assemble(_items(tokens))
    if len(infix) > 1:
        raise Unreadable("ambiguous \\over")
    k = infix[0]
    top, bottom = _assemble(_items(tokens[:k])), _assemble(_items(tokens[k + 1:]))
    operator: LatexNode = tokens[k]
    name = operator.macroname
    if name == "over":
        return (Frac(top, bottom),)
    if name == "choose":
        return (Binom(top, bottom),)
    return (Fenced("", (Table("matrix", ((top,), (bottom,))),), ""),)


def _arg(arg: LatexNode | None) -> Seq:
    return _math(_arg_nodes(arg))


def _items(tokens: list[Token]) -> list[Item]:
    items: list[Item] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        i += 1
        if isinstance(token, str):
            if token in ("^", "_"):
                items.append(token)
            else:
                text, kind = sym.CHAR_KINDS.get(token, (token, Kind.ORD))
                items.append(Atom(text, kind))
        elif _is(token, "LatexMacroNode"):
            i = _macro(token, tokens, i, items)
        elif _is(token, "LatexGroupNode"):
            items.append(Group(_math(list(token.nodelist))))
        elif _is(token, "LatexEnvironmentNode"):
            items.append(_environment(token))
        elif _is(token, "LatexMathNode"):
            items.append(Group(_math(list(token.nodelist))))
        elif _is_specials(token, "~"):
            items.append(Atom(" ", Kind.SPACE))
        elif _is_specials(token, "&"):
            continue  # an alignment mark where nothing aligns
        else:
            raise Unreadable(type(token).__name__)
    return items


def _delimiter(token: Token | None) -> str | None:
    """The glyph of a \\left/\\right/\\big delimiter token, or None if it is not one."""
    if isinstance(token, str):
        return sym.DELIMITER_CHARS.get(token)
    if token is not None and _is(token, "LatexMacroNode"):
        return sym.DELIMITER_MACROS.get(token.macroname)
    return None


def _delimiter_kind(glyph: str) -> Kind:
    if glyph and glyph in "([{⟨⌊⌈":
        return Kind.OPEN
    if glyph and glyph in ")]}⟩⌋⌉":
        return Kind.CLOSE
    return Kind.ORD


def _matching_right(tokens: list[Token], start: int) -> int | None:
    depth = 0
    for j in range(start, len(tokens)):
        if _is_macro(tokens[j], "left"):
            depth += 1
        elif _is_macro(tokens[j], "right"):
            if depth == 0:
                return j
            depth -= 1
    return None


def _macro(node: LatexNode, tokens: list[Token], i: int, items: list[Item]) -> int:
    """Append what macro `node` (followed by tokens[i:]) means; return the next token index."""
    name: str = node.macroname
    following = tokens[i] if i < len(tokens) else None
    if name == "left":
        left = _delimiter(following)
        if left is None:
            raise Unreadable("\\left without a delimiter")
        j = _matching_right(tokens, i + 1)
        right = _delimiter(tokens[j + 1]) if j is not None and j + 1 < len(tokens) else None
        if j is None or right is None:  # no \right: the delimiter alone
            items.append(Atom(left, Kind.OPEN))
            return i + 1
        items.append(Fenced(left, _assemble(_items(tokens[i + 1:j])), right))
        return j + 2
    if name == "right" or name in sym.SIZERS:
        glyph = _delimiter(following)
        if glyph is None:
            return i
        kind = Kind.CLOSE if name == "right" else sym.SIZERS.get(name) or _delimiter_kind(glyph)
        items.append(Atom(glyph, kind))
        return i + 1
    if name == "not":
        negated = _items([following]) if following is not None else []
        if len(negated) == 1 and isinstance(negated[0], Atom):
            text = negated[0].text
            items.append(Atom(sym.NEGATIONS.get(text, text + "\u0338"), Kind.REL))
            return i + 1
        raise Unreadable("\\not")
    known = _known_macro(node)
    if known is None:  # unknown: raw, unless it seems to take arguments
        if following is not None and _is(following, "LatexGroupNode"):
            raise Unreadable(f"\\{name} with arguments")
        spacer = " " if isinstance(following, str) and following.isalpha() else ""
        items.append(Atom("\\" + name + spacer))
        return i
    items.extend(known)
    return i


def _known_macro(node: LatexNode) -> list[Item] | None:
    """The items of a macro this module knows (None if it does not know it)."""
    name: str = node.macroname
    args = _args(node)
    if name in sym.GREEK:
        return [Atom(sym.GREEK[name])]
    if name in sym.SYMBOLS:
        text, kind = sym.SYMBOLS[name]
        return [Atom(text, kind)]
    if name in sym.SPACES:
        return [Atom(sym.SPACES[name], Kind.SPACE)]
    if name in sym.IGNORED:
        return []
    if name in sym.FUNCTIONS:
        text, limits = sym.FUNCTIONS[name]
        return [Atom(text, Kind.FUNC, limits)]
    if name in sym.BIG_OPERATORS:
        glyph, limits = sym.BIG_OPERATORS[name]
        return [Atom(glyph, Kind.BIG, limits)]
    if name in sym.ACCENTS:
        return [Accent(_arg(args[0]), sym.ACCENTS[name])]
    if name in sym.MATH_FONTS:
        return [Group(_arg(args[0]))]
    if name in sym.TEXT_MACROS:
        return [_text(_arg_nodes(args[0]))]
    return _structure(name, args)


def _structure(name: str, args: list[LatexNode | None]) -> list[Item] | None:
    if name in ("frac", "dfrac", "tfrac", "cfrac"):
        num, den = (args[1], args[2]) if name == "cfrac" else (args[0], args[1])
        style = {"dfrac": "display", "cfrac": "display", "tfrac": "text"}.get(name, "auto")
        return [Frac(_arg(num), _arg(den), style)]
    if name in ("binom", "dbinom", "tbinom"):
        return [Binom(_arg(args[0]), _arg(args[1]))]
    if name == "sqrt":
        return [Sqrt(_arg(args[1]), _arg(args[0]))]
    if name == "boxed":
        return [Boxed(_arg(args[0]))]
    if name == "fbox":
        return [Boxed((_text(_arg_nodes(args[0])),))]
    if name == "mathbb":
        return [_blackboard(_arg_nodes(args[0]))]
    if name in ("operatorname", "mathop"):
        text = _plain(_text(_arg_nodes(args[-1]))).strip()
        return [Atom(text, Kind.FUNC, limits=name == "operatorname" and args[0] is not None)]
    if name == "pmod":
        return [Atom(" ", Kind.SPACE), Atom("(", Kind.OPEN), Atom("mod", Kind.FUNC),
                Group(_arg(args[0])), Atom(")", Kind.CLOSE)]
    if name == "pod":
        return [Atom(" ", Kind.SPACE), Atom("(", Kind.OPEN), Group(_arg(args[0])),
                Atom(")", Kind.CLOSE)]
    if name == "mod":
        return [Atom("  ", Kind.SPACE), Atom("mod", Kind.FUNC), Group(_arg(args[0]))]
    if name == "tag":
        return [Atom("    ", Kind.SPACE), Atom("(", Kind.OPEN), _text(_arg_nodes(args[1])),
                Atom(")", Kind.CLOSE)]
    if name in ("label", "vphantom", "color", "cline", "vspace"):
        return []
    if name == "hspace":
        return [Atom(" ", Kind.SPACE)]
    if name in ("phantom", "hphantom"):
        return [Phantom(_arg(args[0]))]
    if name == "textcolor":
        return [Group(_arg(args[1]))]
    if name == "colorbox":
        return [_text(_arg_nodes(args[1]))]
    if name == "cancelto":
        return [Accent(_arg(args[1]), sym.ACCENTS["cancel"]), Atom("→"), Group(_arg(args[0]))]
    if name in ("overset", "stackrel"):
        return [Scripts(Group(_arg(args[1])), sup=_arg(args[0]))]
    if name == "underset":
        return [Scripts(Group(_arg(args[1])), sub=_arg(args[0]))]
    if name in ("xrightarrow", "xleftarrow"):
        arrow = Atom("→" if name == "xrightarrow" else "←", Kind.REL)
        return [Scripts(arrow, sup=_arg(args[1]))]
    return None


def _blackboard(nodes: list[LatexNode]) -> Node:
    tokens = _tokens(nodes)
    if all(isinstance(t, str) for t in tokens):
        return Atom("".join(sym.BLACKBOARD.get(t, t) for t in tokens))
    return Group(_math(nodes))


# --- text mode -----------------------------------------------------------------------------


def _text(nodes: list[LatexNode]) -> Text:
    """Text-mode material: white space kept (runs become one space), math inside as groups."""
    parts: list[str | Group] = []
    for i, node in enumerate(nodes):
        if _is(node, "LatexCharsNode"):
            parts.append(_WHITESPACE.sub(" ", node.chars))
        elif _is(node, "LatexGroupNode"):
            parts.extend(_text(list(node.nodelist)).parts)
        elif _is(node, "LatexMathNode"):
            parts.append(Group(_math(list(node.nodelist))))
        elif _is_specials(node, "~"):
            parts.append(" ")
        elif _is(node, "LatexMacroNode"):
            parts.extend(_text_macro(node, nodes[i + 1] if i + 1 < len(nodes) else None))
        elif not _is(node, "LatexCommentNode") and not _is_specials(node, "&"):
            raise Unreadable(type(node).__name__)
    merged: list[str | Group] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        elif part != "":
            merged.append(part)
    return Text(tuple(merged))


def _text_macro(node: LatexNode, following: LatexNode | None) -> list[str | Group]:
    name: str = node.macroname
    args = _args(node)
    if name in sym.TEXT_MACROS or name in sym.MATH_FONTS:
        return list(_text(_arg_nodes(args[0])).parts)
    if name in sym.SPACES:
        return [sym.SPACES[name]]
    if name in sym.IGNORED:
        return []
    if name in sym.SYMBOLS:
        return [sym.SYMBOLS[name][0]]
    if name in sym.GREEK:
        return [sym.GREEK[name]]
    known = _known_macro(node)
    if known is not None and all(not isinstance(item, str) for item in known):
        return [Group(tuple(item for item in known if not isinstance(item, str)))]
    if following is not None and _is(following, "LatexGroupNode"):
        raise Unreadable(f"\\{name} with arguments")
    return ["\\" + name + (" " if node.macro_post_space else "")]


def _plain(text: Text) -> str:
    """Text with no math inside, as a string."""
    if any(isinstance(part, Group) for part in text.parts):
        raise Unreadable("math where plain text belongs")
    return "".join(part for part in text.parts if isinstance(part, str))


# --- scripts and numbers -------------------------------------------------------------------


def _assemble(items: list[Item]) -> Seq:
    """Attach `^`/`_` scripts to what precedes them, then join digits into numbers."""
    out: list[Node] = []
    i = 0
    while i < len(items):
        item = items[i]
        if isinstance(item, str):
            script = items[i + 1] if i + 1 < len(items) else None
            if script is None or isinstance(script, str):
                raise Unreadable("a script with nothing to raise")
            body = script.body if isinstance(script, Group) else (script,)
            out.append(_attach(out.pop() if out else Atom(""), item, body))
            i += 2
        else:
            out.append(item)
            i += 1
    return tuple(_numbers(out))


def _attach(base: Node, marker: str, body: Seq) -> Scripts:
    if isinstance(base, Scripts):
        if marker == "^" and base.sup is None:
            return Scripts(base.base, body, base.sub)
        if marker == "_" and base.sub is None:
            return Scripts(base.base, base.sup, body)
        raise Unreadable("double script")
    return Scripts(base, body, None) if marker == "^" else Scripts(base, None, body)


def _is_number_part(node: Node) -> bool:
    return (isinstance(node, Atom) and node.kind is Kind.ORD
            and _NUMBER_PART.fullmatch(node.text) is not None)


def _numbers(nodes: list[Node]) -> list[Node]:
    """Runs of digits and decimal points as one atom; `1,234` (three digits after the comma)
    as one number."""
    out: list[Node] = []
    for node in nodes:
        if (_is_number_part(node) and out and _is_number_part(out[-1])
                and isinstance(node, Atom) and isinstance(out[-1], Atom)):
            out[-1] = Atom(out[-1].text + node.text)
        else:
            out.append(node)
    grouped: list[Node] = []
    for node in out:
        head = grouped[-2] if len(grouped) >= 2 else None
        if (isinstance(node, Atom) and _THOUSANDS.fullmatch(node.text)
                and grouped[-1:] == [Atom(",", Kind.PUNCT)] and isinstance(head, Atom)
                and _GROUPED_DIGITS.fullmatch(head.text)):
            del grouped[-2:]
            grouped.append(Atom(f"{head.text},{node.text}"))
        else:
            grouped.append(node)
    return grouped
