"""Binding ids and the user's keymap.

Every binding has an id (the table in `tot_tui.ui.bindings`); the config's `keymap` table maps
ids to keys (comma-separated alternatives), e.g. `"solve.solve" = "ctrl+r,f8"`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache
from typing import TYPE_CHECKING

from textual.binding import Binding

if TYPE_CHECKING:
    from textual.dom import DOMNode


def binding_ids(classes: Iterable[type]) -> dict[str, Binding]:
    """All bindings with ids declared on the given classes, by id."""
    found: dict[str, Binding] = {}
    for cls in classes:
        for binding in getattr(cls, "BINDINGS", []):
            if isinstance(binding, Binding) and binding.id:
                found[binding.id] = binding
    return found


def parse_keymap(text: str) -> dict[str, str]:
    """`id = keys` lines (quotes optional, # comments) → a keymap; ValueError on a bad line."""
    keymap: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if "=" not in line:
            raise ValueError(f"keymap line {number}: write it as `binding.id = keys`")
        name, keys = (part.strip().strip('"').strip("'").strip() for part in line.split("=", 1))
        if not name or not keys:
            raise ValueError(f"keymap line {number}: both the id and the keys are needed")
        keymap[name] = keys
    return keymap


_MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})


@cache
def _key_names() -> frozenset[str]:
    """The names of the keys that are no character: Textual's Keys (without modifiers), the
    function keys, the short names Textual gives some characters ("slash", "plus")."""
    from textual.keys import KEY_NAME_REPLACEMENTS, Keys

    names = {key.value.rsplit("+", 1)[-1] for key in Keys} | set(KEY_NAME_REPLACEMENTS.values())
    return frozenset(names | {f"f{n}" for n in range(1, 25)} | {"space", "tab", "enter"})


def is_key(key: str) -> bool:
    """Is `key` a key a terminal can send ("ctrl+r", "f8", "alt+up", "j", "slash")?"""
    from textual.keys import key_to_character

    *modifiers, name = key.strip().lower().split("+")
    if not name or not set(modifiers) <= _MODIFIERS:
        return False
    if len(name) == 1:
        return name.isprintable() and not name.isspace()
    return name in _key_names() or key_to_character(name) is not None


def check_keymap(keymap: Mapping[str, str],
                 known: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """The entries of `keymap` that can be applied, and a sentence for each that cannot (an
    id no binding has, or keys no terminal sends); those keep their default keys."""
    good: dict[str, str] = {}
    problems: list[str] = []
    for name, keys in keymap.items():
        bad = [k.strip() for k in keys.split(",") if not is_key(k)]
        if name not in known:
            problems.append(f"{name!r} is no binding id")
        elif bad or not keys.strip():
            problems.append(f"{name} = {keys!r}: {', '.join(repr(k) for k in bad) or 'nothing'}"
                            " is not a key")
        else:
            good[name] = keys
    return good, problems


def format_keymap(keymap: dict[str, str]) -> str:
    return "".join(f"{name} = {keys}\n" for name, keys in sorted(keymap.items()))


_SHORT = {"escape": "Esc"}  # as the app's texts write it


def key_display(keys: str) -> str:
    """'ctrl+enter,ctrl+t' → 'Ctrl+Enter / Ctrl+T'."""
    def one(key: str) -> str:
        return "+".join(_SHORT.get(part) or (part.capitalize() if len(part) > 1 else part.upper())
                        for part in key.split("+"))
    return " / ".join(one(k.strip()) for k in keys.split(",") if k.strip())


_HINT = re.compile(r"\{([a-z_]+\.[a-z_]+)\}")


def with_keys(template: str, bindings: Mapping[str, Binding], keymap: Mapping[str, str]) -> str:
    """`template` with each `{binding.id}` replaced by its first key as the user has it bound
    ("Decompose ({solve.decompose})" → "Decompose (Ctrl+T)"), so hints follow a keymap."""
    def key(match: re.Match[str]) -> str:
        binding = bindings.get(match.group(1))
        if binding is None:
            return match.group(0)
        keys = keymap.get(match.group(1)) or binding.key
        return key_display(keys.split(",")[0])
    return _HINT.sub(key, template)


class KeymapOwner:
    """What an app that applies a user's keymap offers its widgets (the TotApp is one): the
    keymap as applied, so hints that name a key follow it."""

    user_keymap: dict[str, str]


def app_keymap(app: object) -> Mapping[str, str]:
    """The keymap the app has applied (other apps, as in widget tests, have none)."""
    return app.user_keymap if isinstance(app, KeymapOwner) else {}


def key_hint(node: DOMNode, template: str, *classes: type) -> str:
    """`with_keys` for a widget: the bindings of its app, its screen and `classes`, and the
    keymap the app applied."""
    app, screen = node.app, node.screen
    bindings = binding_ids([type(app), type(screen), *classes])
    return with_keys(template, bindings, app_keymap(app))
