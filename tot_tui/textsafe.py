"""Model text is untrusted: make it safe to print to a terminal or render in the TUI.

Control characters (ESC, CR, BS, C1 controls, bidi overrides) could move the cursor, rewrite the
screen or hide text; they are shown as visible escapes instead. Newlines and tabs are kept.
"""

from __future__ import annotations

import re

# C0 controls except \t and \n, DEL, C1 controls, the Unicode bidi overrides, and lone
# surrogates (which no terminal encoding can write).
_UNSAFE = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    ch = match.group(0)
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"


def safe_text(text: str, limit: int | None = None) -> str:
    """`text` with control characters made visible, cut to `limit` characters (with …)."""
    text = _UNSAFE.sub(_escape, text)
    if limit is not None and len(text) > limit:
        text = text[: max(0, limit - 1)] + "…"
    return text
