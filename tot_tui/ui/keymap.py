"""Binding ids and the user's keymap.

Every binding has an id; the config's `keymap` table maps ids to keys (comma-separated
alternatives), e.g. `"solve.solve" = "ctrl+r,f8"`. Terminals disagree about Shift+Enter and
Ctrl+Enter, so every "send" key has a plain Ctrl+letter fallback.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.binding import Binding


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


def format_keymap(keymap: dict[str, str]) -> str:
    return "".join(f"{name} = {keys}\n" for name, keys in sorted(keymap.items()))


def key_display(keys: str) -> str:
    """'ctrl+enter,ctrl+t' → 'Ctrl+Enter / Ctrl+T'."""
    def one(key: str) -> str:
        return "+".join(part.capitalize() if len(part) > 1 else part.upper()
                        for part in key.split("+"))
    return " / ".join(one(k.strip()) for k in keys.split(",") if k.strip())
