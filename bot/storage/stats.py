"""Question counters, shared answers and unanswered questions, kept in memory and written in
batches.

Writing to SQLite on every message would cost a database round trip per question; they are
flushed every few seconds and at shutdown instead. A crash loses at most those seconds of counts and
unanswered questions, never users, subscriptions or feedback (those are written at once).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter

from bot.privacy import redact
from bot.storage.interface import UNANSWERED_MAX_CHARS, Storage

log = logging.getLogger(__name__)
MAX_PENDING = 10_000  # unanswered questions held between flushes; a flood beyond is dropped


class StatsBuffer:
    """Collect question counts and unanswered questions until flushed."""

    def __init__(self) -> None:
        self.asked: Counter[str] = Counter()
        self.answered: Counter[str] = Counter()
        self.topics: Counter[tuple[str, str]] = Counter()
        self.unanswered: list[tuple[str, str]] = []  # (redacted text, lang)
        self.shares: Counter[tuple[str, str]] = Counter()  # (topic, lang) sent inline
        self.dropped = 0

    def question(self, lang: str, *, topic_id: str | None, answer_lang: str) -> None:
        """Count one question; `topic_id` is the topic answered, or None."""
        self.asked[lang] += 1
        if topic_id is not None:
            self.answered[lang] += 1
            self.topics[(topic_id, answer_lang)] += 1

    def shared(self, topic_id: str, lang: str) -> None:
        """Count one answer a user sent to another chat (inline mode); never who sent it."""
        self.shares[(topic_id, lang)] += 1

    def not_answered(self, text: str, lang: str) -> None:
        """Keep a question for staff review; only its redacted text is held, even in memory.

        The storage redacts again when it writes: it does not rely on its callers.
        """
        if len(self.unanswered) >= MAX_PENDING:
            self.dropped += 1
            return
        self.unanswered.append((redact(text).text[:UNANSWERED_MAX_CHARS], lang))

    async def flush(self, storage: Storage) -> None:
        """Write what was collected so far, one transaction for each kind, then start afresh."""
        if self.dropped:
            log.warning(
                "%d unanswered questions over the buffer's limit were not kept", self.dropped
            )
            self.dropped = 0
        if self.unanswered:
            pending, self.unanswered = self.unanswered, []
            try:
                await storage.add_unanswered_many(pending)
            except Exception:
                self.unanswered[:0] = pending  # keep them for the next flush
                raise
        if self.shares:
            shares, self.shares = self.shares, Counter()
            try:
                await storage.add_shares(dict(shares))
            except Exception:
                self.shares.update(shares)
                raise
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
