"""Live reload of the content while the bot runs, independent of any channel.

The Telegram adapter runs `watch_content` as a task and tells admins what `on_change` gets:
an empty list when the edited content is live, or the problems (file:line) when the edit was
rejected and the last good version keeps serving.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from bot.knowledge.library import Library, fingerprint
from bot.knowledge.topics import Problem

log = logging.getLogger(__name__)

OnChange = Callable[[list[Problem]], Awaitable[None]]


SETTLE = 0.5  # seconds the files must stay as they are before an edit is loaded


async def watch_content(
    library: Library, *, interval: float, on_change: OnChange, stop: asyncio.Event
) -> None:
    """Poll the content every `interval` seconds and reload it when it changed, until `stop`."""
    while not stop.is_set():
        try:
            await _poll(library, on_change)
        except Exception:  # a watcher that dies silently would freeze the content for good
            log.exception("content watch failed; trying again in %s s", interval)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)


async def _poll(library: Library, on_change: OnChange) -> None:
    """Reload once the files stopped changing, and tell `on_change` how it went."""
    if not await asyncio.to_thread(library.changed):
        return
    # An editor saving ru and kk (or a git pull) writes several files: wait until they look
    # the same SETTLE seconds apart, so that a half-written edit is not loaded and rejected.
    stamp = await asyncio.to_thread(fingerprint, library.root)
    while True:
        await asyncio.sleep(SETTLE)
        again = await asyncio.to_thread(fingerprint, library.root)
        if again == stamp:
            break
        stamp = again
    # Training the new model takes seconds: the last good one answers meanwhile.
    problems = await asyncio.to_thread(library.reload)
    if problems:
        log.warning("content edit rejected, %d problem(s); still serving the last good version",
                    len(problems))  # fmt: skip
    else:
        log.info("content reloaded from %s", library.root)
    await on_change(problems)
