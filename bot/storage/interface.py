"""The storage interface (``Storage``) and the records it returns.

The implementation is ``bot.storage.sql.SQLStorage``, the same SQL on SQLite
(``bot.storage.sqlite.SQLiteStorage``, the default) and PostgreSQL
(``bot.storage.postgresql.PostgreSQLStorage``), picked by ``bot.storage.factory``; tests run on
both, with a temporary file and a temporary PostgreSQL database.

Times are stored as ISO 8601 UTC text and days as UTC dates. Schema and migrations live in
``bot.storage.migrations``.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from types import TracebackType
from typing import Any, Self

from bot.i18n import resolve_locale

SUBSCRIPTION_TOPICS = ("fraud", "laws", "hearings", "all")
UNANSWERED_MAX_CHARS = 1000
Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class User:
    user_id: int
    lang: str | None  # explicit choice, 'ru' or 'kk'
    hint_lang: str | None  # Telegram language_code, as sent
    first_seen: datetime
    last_seen: datetime
    blocked: bool


@dataclass(frozen=True, slots=True)
class Subscriber:
    user_id: int
    lang: str


@dataclass(frozen=True, slots=True)
class Unanswered:
    text: str
    lang: str
    created_at: datetime


def utc_now() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(UTC)


def check_topic(topic: str) -> None:
    if topic not in SUBSCRIPTION_TOPICS:
        raise ValueError(f"unknown subscription topic {topic!r}; expected {SUBSCRIPTION_TOPICS}")


class Storage(abc.ABC):
    """What the bot stores. Implementations must be opened before use and closed after.

    Time ranges: ``since``/``until`` given as ``date`` cover whole UTC days, both inclusive;
    given as ``datetime`` they are exact, ``since`` inclusive and ``until`` exclusive.
    """

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @abc.abstractmethod
    async def open(self) -> None:
        """Connect and bring the schema up to date."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Release the connection; safe to call twice."""

    @abc.abstractmethod
    async def ping(self) -> None:
        """Run a trivial query; raise when the database cannot answer (not open, unreadable)."""

    # Users
    @abc.abstractmethod
    async def touch_user(self, user_id: int, *, hint_lang: str | None = None) -> User:
        """Create or refresh a user (last_seen, and the language hint when given)."""

    async def touch_users(self, users: Sequence[tuple[int, str | None]]) -> list[User]:
        """Touch many (user id, language hint) at once; return each one's user, in order."""
        return [await self.touch_user(user_id, hint_lang=hint) for user_id, hint in users]

    @abc.abstractmethod
    async def get_user(self, user_id: int) -> User | None: ...

    async def language(self, user_id: int, *, hint: str | None = None) -> str:
        """Return the user's language: their choice, else Telegram's hint (given or stored)."""
        user = await self.get_user(user_id)
        if user is None:
            return resolve_locale(None, hint)
        return resolve_locale(user.lang, hint or user.hint_lang)

    @abc.abstractmethod
    async def set_language(self, user_id: int, lang: str) -> None:
        """Record an explicit language choice ('ru' or 'kk'); creates the user if needed."""

    @abc.abstractmethod
    async def set_blocked(self, user_id: int, blocked: bool) -> None:
        """Mark that the user blocked the bot (or unblocked it); blocked users get no mail."""

    # Subscriptions: topics are SUBSCRIPTION_TOPICS; "all" receives every topic.
    @abc.abstractmethod
    async def subscribe(self, user_id: int, topic: str) -> None: ...

    @abc.abstractmethod
    async def unsubscribe(self, user_id: int, topic: str | None = None) -> None:
        """Drop one subscription, or all of them when ``topic`` is None."""

    @abc.abstractmethod
    async def subscriptions(self, user_id: int) -> set[str]: ...

    @abc.abstractmethod
    async def subscribers(
        self, topic: str | None = None, *, lang: str | None = None
    ) -> list[Subscriber]:
        """List unblocked recipients of ``topic`` (None: any subscription), by user id."""

    # Feedback, unanswered questions and counters
    @abc.abstractmethod
    async def add_feedback(
        self, user_id: int | None, topic_id: str, lang: str, *, helpful: bool
    ) -> None:
        """Record a vote; a user's second vote on a topic replaces the first."""

    @abc.abstractmethod
    async def feedback_summary(self, since: date, until: date) -> list[tuple[str, str, int, int]]:
        """Return (topic_id, lang, helpful, not helpful) per topic and language."""

    @abc.abstractmethod
    async def add_counts(
        self, questions: dict[str, tuple[int, int]], topics: dict[tuple[str, str], int]
    ) -> None:
        """Add today's counts in one go: {lang: (asked, answered)}, {(topic, lang): n}.

        The bot counts in batches (``bot.storage.stats``).
        """

    @abc.abstractmethod
    async def add_unanswered_many(self, questions: Sequence[tuple[str, str]]) -> None:
        """Keep (text, lang) questions the bot could not answer, redacted, without user ids.

        The bot collects them in batches (``bot.storage.stats``) and writes them in one go.
        """

    @abc.abstractmethod
    async def unanswered(self, since: date, until: date) -> list[Unanswered]: ...

    @abc.abstractmethod
    async def topic_counts(self, since: date, until: date) -> list[tuple[str, str, int]]:
        """Return (topic_id, lang, answers), most answered first."""

    @abc.abstractmethod
    async def question_counts(self, since: date, until: date) -> list[tuple[str, int, int]]:
        """Return (lang, asked, answered) per language."""

    @abc.abstractmethod
    async def add_shares(self, shares: dict[tuple[str, str], int]) -> None:
        """Add today's shared answers in one go: {(topic, lang): n}, without user ids.

        The bot counts them in batches with the questions (``bot.storage.stats``).
        """

    @abc.abstractmethod
    async def share_counts(self, since: date, until: date) -> list[tuple[str, str, int]]:
        """Return (topic_id, lang, shares), most shared first."""

    @abc.abstractmethod
    async def daily_question_counts(
        self, since: date, until: date
    ) -> list[tuple[date, str, int, int]]:
        """Return (day, lang, asked, answered) per day and language, by day then language."""

    # Admins
    @abc.abstractmethod
    async def grant_admin(self, user_id: int, *, granted_by: int | None) -> None: ...

    @abc.abstractmethod
    async def revoke_admin(self, user_id: int) -> None: ...

    @abc.abstractmethod
    async def admin_ids(self) -> set[int]: ...

    # Personal data
    @abc.abstractmethod
    async def export_user(self, user_id: int) -> dict[str, Any]:
        """Return everything stored about the user; an empty dict when there is nothing."""

    @abc.abstractmethod
    async def forget_user(self, user_id: int) -> None:
        """Delete everything tied to the user id, in every store, in one transaction."""
