"""DOM changes that a cancelled worker must not interrupt."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


async def uncancellable(change: Awaitable[T]) -> T:
    """Await a mount, removal or Markdown update to its end, even if the caller is cancelled.

    Textual waits for removed widgets with `asyncio.gather` over their message-pump tasks, and
    the app's own message loop waits on the same removal. Cancelling a worker while it awaits
    the removal cancels those tasks through the gather; the app's loop then stops with
    CancelledError and the app quits without a word. Shielded, the change finishes in its own
    task and only the caller sees the cancellation.
    """
    return await asyncio.shield(asyncio.ensure_future(change))
