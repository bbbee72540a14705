"""Text for a widget that must be shown as written: model names, server replies, statuses.

Textual reads a plain `str` given to a border title, `Static.update` or a label as markup:
`[@click=app.quit]` from a server became a link that quit the app, and a model name cut in
the middle of `[b]` raised MarkupError. `plain()` makes a `Content`, which Textual shows as
is, with control characters made visible first.
"""

from __future__ import annotations

from textual.content import Content

from tot_tui.textsafe import safe_text


def plain(text: str, limit: int | None = None) -> Content:
    """`text` escaped for the terminal (cut to `limit`), never parsed as markup."""
    return Content(safe_text(text, limit))
