"""Question and answer counters, kept in memory and written to storage in batches.

Counting in SQLite on every message would cost a database round trip per question; counters
are flushed every few seconds and at shutdown instead. A crash loses at most the counts of
those seconds, never users, feedback or unanswered questions (those are written at once).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter

from bot.storage import Storage

log = logging.getLogger(__name__)


class StatsBuffer:
    """Collect per-language question counts and per-topic answer counts until flushed."""

    def __init__(self) -> None:
        self.asked: Counter[str] = Counter()
        self.answered: Counter[str] = Counter()
        self.topics: Counter[tuple[str, str]] = Counter()

    def question(self, lang: str, *, topic_id: str | None, answer_lang: str) -> None:
        """Count one question; `topic_id` is the topic answered, or None."""
        self.asked[lang] += 1
        if topic_id is not None:
            self.answered[lang] += 1
            self.topics[(topic_id, answer_lang)] += 1

    async def flush(self, storage: Storage) -> None:
        """Write the counts collected so far in one transaction, then start afresh."""
        if not self.asked:
            return
        asked, answered, topics = self.asked, self.answered, self.topics
        self.asked, self.answered, self.topics = Counter(), Counter(), Counter()
        try:
            await storage.add_counts(
                {lang: (n, answered[lang]) for lang, n in asked.items()}, dict(topics)
            )
        except Exception:
            # Keep the counts for the next flush rather than lose them.
            self.asked.update(asked)
            self.answered.update(answered)
            self.topics.update(topics)
            raise

    async def run(self, storage: Storage, *, interval: float, stop: asyncio.Event) -> None:
        """Flush every `interval` seconds until `stop` is set, then flush one last time."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)
            try:
                await self.flush(storage)
            except Exception:
                log.exception("could not write the statistics; will retry")
            if stop.is_set():
                return
