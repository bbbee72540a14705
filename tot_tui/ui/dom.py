"""DOM changes: widgets mounted on first use, and changes a cancelled worker must not
interrupt."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from textual.widget import Widget

T = TypeVar("T")
W = TypeVar("W", bound=Widget)


def child_on_first_use(parent: Widget, selector: str, kind: type[W], make: Callable[[], W],
                       **where: Any) -> W:
    """`parent`'s child matching `selector`, mounted (at `where`: before=/after=) the first time
    it is asked for. Widgets hidden until they are needed are made this way, so the first screen
    paints without them. The mount registers the child at once: asked again before it finishes,
    this returns the same widget."""
    found = next(iter(parent.query_children(selector).results(kind)), None)
    if found is None:
        found = make()
        parent.mount(found, **where)
    return found


async def uncancellable(change: Awaitable[T]) -> T:
    """Await a mount, removal or Markdown update to its end, even if the caller is cancelled.

    Textual waits for removed widgets with `asyncio.gather` over their message-pump tasks, and
    the app's own message loop waits on the same removal. Cancelling a worker while it awaits
    the removal cancels those tasks through the gather; the app's loop then stops with
    CancelledError and the app quits without a word. Shielded, the change finishes in its own
    task and only the caller sees the cancellation.
    """
    return await asyncio.shield(asyncio.ensure_future(change))
