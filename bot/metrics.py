"""What the bot does, counted for Prometheus: questions, answer latency, Telegram requests,
broadcast messages and content reloads. Independent of any channel, so the core counts too.

Every application has a registry of its own (never prometheus_client's global one), so two
bots in one process, or one test after another, never add to each other's counts. Labels are
few and fixed: no user ids, texts or topics.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import choose_encoder

from bot.i18n import LANGS

# The matcher's decisions as question outcomes. "article" (an article of a code no topic
# explains: the bot links the official text) is not an answer from the knowledge base, so it
# counts as unknown, as in the daily statistics; "empty" (no letters at all) is not a question.
OUTCOMES = {
    "answer": "answered", "clarify": "clarified", "unknown": "unknown", "article": "unknown"
}  # fmt: skip
TELEGRAM_RESULTS = ("ok", "429", "403", "error")
BROADCAST_OUTCOMES = ("sent", "blocked", "failed", "in_doubt")
RELOAD_RESULTS = ("accepted", "rejected")
# Question received → reply sent: most answers take milliseconds; a slow Telegram, seconds.
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_METHOD = re.compile(r"[A-Za-z]{1,64}")  # a Bot API method name; anything else is "other"


def telegram_result(status: int | None) -> str:
    """Name the result of one Bot API request by its HTTP status (None: no answer)."""
    if status is not None and 200 <= status < 300:
        return "ok"
    if status in (429, 403):
        return str(status)
    return "error"


class Metrics:
    """The counters of one running bot, in a registry of their own."""

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.registry = CollectorRegistry()
        self.questions = Counter(
            "zanbot_questions", "Questions asked, by outcome (answered, clarified, unknown) and "
            "by the language they were written in.", ("outcome", "lang"), registry=self.registry,
        )  # fmt: skip
        self.answer_latency = Histogram(
            "zanbot_answer_latency_seconds", "Time from a question's arrival at the bot to its "
            "reply having been sent.", buckets=LATENCY_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.telegram_requests = Counter(
            "zanbot_telegram_requests", "Bot API requests, by method and result (ok, 429, 403, "
            "error: any other status or no answer).", ("method", "result"), registry=self.registry,
        )  # fmt: skip
        self.telegram_last_ok = Gauge(
            "zanbot_telegram_last_success_timestamp_seconds", "When a Bot API request last "
            "succeeded (Unix time; 0: not yet).", registry=self.registry,
        )  # fmt: skip
        self.broadcast_messages = Counter(
            "zanbot_broadcast_messages", "Announcement messages by outcome: sent, blocked (the "
            "user blocked the bot), failed, in_doubt (interrupted by a hard stop).",
            ("outcome",), registry=self.registry,
        )  # fmt: skip
        self.content_reloads = Counter(
            "zanbot_content_reloads", "Reloads of edited content: accepted (live) or rejected "
            "(the last good version kept serving).", ("result",), registry=self.registry,
        )  # fmt: skip
        # Every series exists from the start at 0, so that rate() sees its first increase.
        for outcome in sorted(set(OUTCOMES.values())):
            for lang in LANGS:
                self.questions.labels(outcome, lang)
        for name in BROADCAST_OUTCOMES:
            self.broadcast_messages.labels(name)
        for name in RELOAD_RESULTS:
            self.content_reloads.labels(name)
        self.last_telegram_success: float | None = None  # Unix time, for /healthz

    def question(self, decision: str, lang: str) -> None:
        """Count a question by the matcher's decision; "empty" is not counted."""
        outcome = OUTCOMES.get(decision)
        if outcome is not None:
            self.questions.labels(outcome, lang if lang in LANGS else "other").inc()

    def answered(self, seconds: float) -> None:
        """Record how long a question took from arrival to its reply having been sent."""
        self.answer_latency.observe(max(0.0, seconds))

    def telegram_request(self, method: str, status: int | None) -> None:
        """Count one Bot API request by its method and HTTP status (None: no answer)."""
        result = telegram_result(status)
        name = method if _METHOD.fullmatch(method) else "other"
        self.telegram_requests.labels(name, result).inc()
        if result == "ok":
            self.last_telegram_success = self.clock()
            self.telegram_last_ok.set(self.last_telegram_success)

    def broadcast(self, outcome: str, count: int = 1) -> None:
        """Count announcement messages by outcome (BROADCAST_OUTCOMES)."""
        if count > 0:
            self.broadcast_messages.labels(outcome).inc(count)

    def content_reload(self, *, accepted: bool) -> None:
        self.content_reloads.labels(RELOAD_RESULTS[0] if accepted else RELOAD_RESULTS[1]).inc()

    def exposition(self, accept: str | None = None) -> tuple[bytes, str]:
        """Return the metrics as text for a scrape, and its content type (by `accept`)."""
        encode, content_type = choose_encoder(accept or "")
        return encode(self.registry), content_type
