"""``SQLStorage``: the ``Storage`` interface in SQL, the same statements on SQLite and PostgreSQL.

Times are stored as ISO 8601 UTC text and days as UTC dates. The schema of every table lives
in ``bot.storage.migrations`` (and its PostgreSQL dialect in ``postgresql_schema``). Broadcasts,
their outbox and conversations in progress have stores of their own (``bot.storage.broadcasts``,
``outbox``, ``conversations``) on the same database; ``export_user`` and ``forget_user`` take
in their rows too. The engine is a ``Database`` (``bot.storage.connection`` for SQLite,
``bot.storage.postgresql``), chosen in ``bot.storage.factory``.

The statements are the dialect both engines share: an upsert names its table's own columns
(``question_stats.asked``), since PostgreSQL finds a bare name ambiguous beside ``excluded``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from bot.i18n import LANGS, resolve_locale
from bot.privacy import redact
from bot.storage import migrations as schema
from bot.storage.conversations import ConversationStore
from bot.storage.database import Database
from bot.storage.interface import (
    UNANSWERED_MAX_CHARS,
    Storage,
    Subscriber,
    Unanswered,
    User,
    check_topic,
)
from bot.storage.outbox import Outbox


class SQLStorage(Database, Storage):
    """``Storage`` in SQL over a ``Database``; a subclass supplies the engine."""

    async def ping(self) -> None:
        # Reads the database (the migrations table exists once open), without a write lock.
        await self.fetchall("SELECT COUNT(*) FROM schema_migrations")

    async def touch_user(self, user_id: int, *, hint_lang: str | None = None) -> User:
        [user] = await self.touch_users([(user_id, hint_lang)])
        return user

    async def touch_users(self, users: Sequence[tuple[int, str | None]]) -> list[User]:
        # One statement for them all: under load, each statement waits its turn for the
        # interpreter lock far longer than it takes. A user given twice is one row (an
        # upsert may touch a row only once), keeping a hint as touching twice would.
        hints: dict[int, str | None] = {}
        for user_id, hint in users:
            hints[user_id] = hint or hints.get(user_id)
        ids, now = list(hints), self.now_iso()
        found: dict[int, User] = {}
        for start in range(0, len(ids), TOUCH_ROWS):
            chunk = ids[start : start + TOUCH_ROWS]
            # A user who writes to the bot has evidently unblocked it.
            rows = await self.execute(
                "INSERT INTO users (user_id, hint_lang, first_seen, last_seen) VALUES "
                + ", ".join(["(?, ?, ?, ?)"] * len(chunk))
                + " ON CONFLICT (user_id) DO UPDATE SET last_seen = excluded.last_seen,"
                " blocked = 0, hint_lang = COALESCE(excluded.hint_lang, users.hint_lang)"
                " RETURNING " + _USER_COLS,
                [value for user_id in chunk for value in (user_id, hints[user_id], now, now)],
            )
            found.update((user.user_id, user) for user in map(_user, rows))
        return [found[user_id] for user_id, _hint in users]

    async def get_user(self, user_id: int) -> User | None:
        rows = await self.fetchall(f"SELECT {_USER_COLS} FROM users WHERE user_id = ?", (user_id,))
        return _user(rows[0]) if rows else None

    async def set_language(self, user_id: int, lang: str) -> None:
        if lang not in LANGS:
            raise ValueError(f"unsupported language {lang!r}; expected {LANGS}")
        now = self.now_iso()
        await self.execute(
            "INSERT INTO users (user_id, lang, first_seen, last_seen) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET lang = excluded.lang",
            (user_id, lang, now, now),
        )

    async def set_blocked(self, user_id: int, blocked: bool) -> None:
        await self.execute(
            "UPDATE users SET blocked = ? WHERE user_id = ?", (int(blocked), user_id)
        )

    async def subscribe(self, user_id: int, topic: str) -> None:
        check_topic(topic)
        now = self.now_iso()
        async with self.transaction() as db:
            await db.execute(
                "INSERT INTO users (user_id, first_seen, last_seen) VALUES (?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                (user_id, now, now),
            )
            await db.execute(
                "INSERT INTO subscriptions (user_id, topic, created_at) VALUES (?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                (user_id, topic, now),
            )

    async def unsubscribe(self, user_id: int, topic: str | None = None) -> None:
        if topic is None:
            await self.execute("DELETE FROM subscriptions WHERE user_id = ?", (user_id,))
            return
        check_topic(topic)
        await self.execute(
            "DELETE FROM subscriptions WHERE user_id = ? AND topic = ?", (user_id, topic)
        )

    async def subscriptions(self, user_id: int) -> set[str]:
        rows = await self.fetchall("SELECT topic FROM subscriptions WHERE user_id = ?", (user_id,))
        return {row[0] for row in rows}

    async def subscribers(
        self, topic: str | None = None, *, lang: str | None = None
    ) -> list[Subscriber]:
        sql = (
            "SELECT DISTINCT u.user_id, u.lang, u.hint_lang FROM subscriptions s"
            " JOIN users u ON u.user_id = s.user_id WHERE u.blocked = 0"
        )
        params: tuple[str, ...] = ()
        if topic is not None:
            check_topic(topic)
            sql += " AND s.topic IN (?, 'all')"
            params = (topic,)
        rows = await self.fetchall(sql + " ORDER BY u.user_id", params)
        found = [Subscriber(row[0], resolve_locale(row[1], row[2])) for row in rows]
        return [s for s in found if lang is None or s.lang == lang]

    async def add_feedback(
        self, user_id: int | None, topic_id: str, lang: str, *, helpful: bool
    ) -> None:
        await self.execute(
            "INSERT INTO feedback (user_id, topic_id, lang, helpful, created_at)"
            " VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (user_id, topic_id) WHERE user_id IS NOT NULL"
            " DO UPDATE SET lang = excluded.lang, helpful = excluded.helpful,"
            " created_at = excluded.created_at",
            (user_id, topic_id, lang, int(helpful), self.now_iso()),
        )

    async def feedback_summary(self, since: date, until: date) -> list[tuple[str, str, int, int]]:
        rows = await self.fetchall(
            "SELECT topic_id, lang, SUM(helpful), SUM(1 - helpful) FROM feedback"
            " WHERE created_at >= ? AND created_at < ? GROUP BY topic_id, lang"
            " ORDER BY topic_id, lang",
            schema.time_range(since, until),
        )
        return [(row[0], row[1], row[2], row[3]) for row in rows]

    async def add_unanswered_many(self, questions: Sequence[tuple[str, str]]) -> None:
        now = self.now_iso()
        # Redact before cutting: a cut could split a card number and hide it from the patterns.
        rows = [(redact(text).text[:UNANSWERED_MAX_CHARS], lang, now) for text, lang in questions]
        async with self.transaction() as db:
            await db.executemany(
                "INSERT INTO unanswered (text, lang, created_at) VALUES (?, ?, ?)", rows
            )

    async def unanswered(self, since: date, until: date) -> list[Unanswered]:
        rows = await self.fetchall(
            "SELECT text, lang, created_at FROM unanswered WHERE created_at >= ?"
            " AND created_at < ? ORDER BY created_at, id",
            schema.time_range(since, until),
        )
        return [Unanswered(row[0], row[1], datetime.fromisoformat(row[2])) for row in rows]

    async def topic_counts(self, since: date, until: date) -> list[tuple[str, str, int]]:
        rows = await self.fetchall(
            "SELECT topic_id, lang, SUM(answered) AS n FROM topic_stats"
            " WHERE day >= ? AND day <= ? GROUP BY topic_id, lang"
            " ORDER BY n DESC, topic_id, lang",
            (schema.day_text(since), schema.day_text(until)),
        )
        return [(row[0], row[1], row[2]) for row in rows]

    async def add_counts(
        self, questions: dict[str, tuple[int, int]], topics: dict[tuple[str, str], int]
    ) -> None:
        day = schema.day_text(self._clock())
        async with self.transaction() as db:
            await db.executemany(
                "INSERT INTO question_stats (day, lang, asked, answered) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (day, lang) DO UPDATE SET"
                " asked = question_stats.asked + excluded.asked,"
                " answered = question_stats.answered + excluded.answered",
                [(day, lang, asked, answered) for lang, (asked, answered) in questions.items()],
            )
            await db.executemany(
                "INSERT INTO topic_stats (day, topic_id, lang, answered) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (day, topic_id, lang) DO UPDATE SET"
                " answered = topic_stats.answered + excluded.answered",
                [(day, topic, lang, n) for (topic, lang), n in topics.items()],
            )

    async def question_counts(self, since: date, until: date) -> list[tuple[str, int, int]]:
        rows = await self.fetchall(
            "SELECT lang, SUM(asked), SUM(answered) FROM question_stats"
            " WHERE day >= ? AND day <= ? GROUP BY lang ORDER BY lang",
            (schema.day_text(since), schema.day_text(until)),
        )
        return [(row[0], row[1], row[2]) for row in rows]

    async def daily_question_counts(
        self, since: date, until: date
    ) -> list[tuple[date, str, int, int]]:
        rows = await self.fetchall(
            "SELECT day, lang, asked, answered FROM question_stats"
            " WHERE day >= ? AND day <= ? ORDER BY day, lang",
            (schema.day_text(since), schema.day_text(until)),
        )
        return [(date.fromisoformat(row[0]), row[1], row[2], row[3]) for row in rows]

    async def add_shares(self, shares: dict[tuple[str, str], int]) -> None:
        day = schema.day_text(self._clock())
        async with self.transaction() as db:
            await db.executemany(
                "INSERT INTO share_stats (day, topic_id, lang, shared) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (day, topic_id, lang) DO UPDATE SET"
                " shared = share_stats.shared + excluded.shared",
                [(day, topic, lang, n) for (topic, lang), n in shares.items()],
            )

    async def share_counts(self, since: date, until: date) -> list[tuple[str, str, int]]:
        rows = await self.fetchall(
            "SELECT topic_id, lang, SUM(shared) AS n FROM share_stats"
            " WHERE day >= ? AND day <= ? GROUP BY topic_id, lang"
            " ORDER BY n DESC, topic_id, lang",
            (schema.day_text(since), schema.day_text(until)),
        )
        return [(row[0], row[1], row[2]) for row in rows]

    async def grant_admin(self, user_id: int, *, granted_by: int | None) -> None:
        await self.execute(
            "INSERT INTO admins (user_id, granted_by, granted_at) VALUES (?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (user_id, granted_by, self.now_iso()),
        )

    async def revoke_admin(self, user_id: int) -> None:
        await self.execute("DELETE FROM admins WHERE user_id = ?", (user_id,))

    async def admin_ids(self) -> set[int]:
        return {row[0] for row in await self.fetchall("SELECT user_id FROM admins")}

    async def export_user(self, user_id: int) -> dict[str, Any]:
        user = await self.get_user(user_id)
        subscriptions = sorted(await self.subscriptions(user_id))
        rows = await self.fetchall("SELECT COUNT(*) FROM feedback WHERE user_id = ?", (user_id,))
        feedback_count = rows[0][0]
        admin = bool(await self.fetchall("SELECT 1 FROM admins WHERE user_id = ?", (user_id,)))
        draft = await ConversationStore(self).has_any(user_id)
        if user is None and not subscriptions and not feedback_count and not admin and not draft:
            return {}
        return {
            "user": None
            if user is None
            else {
                "user_id": user.user_id,
                "lang": user.lang,
                "hint_lang": user.hint_lang,
                "first_seen": schema.to_iso(user.first_seen),
                "last_seen": schema.to_iso(user.last_seen),
                "blocked": user.blocked,
            },
            "subscriptions": subscriptions,
            "feedback_count": feedback_count,
            "admin": admin,
            "draft": draft,  # an announcement an admin has begun (bot.storage.conversations)
        }

    async def forget_user(self, user_id: int) -> None:
        async with self.transaction() as db:
            for table in ("subscriptions", "feedback", "admins", "users"):
                # Table names come from the fixed names above, never from input.
                await db.execute(f"DELETE FROM {table} WHERE user_id = ?", (user_id,))
            # The other stores delete their own rows, in the same transaction.
            await Outbox.forget(db, user_id)
            await ConversationStore.forget(db, user_id)


_USER_COLS = "user_id, lang, hint_lang, first_seen, last_seen, blocked"
TOUCH_ROWS = 500  # users per statement: 2,000 parameters, far below either engine's limit


def _user(row: Any) -> User:
    user_id, lang, hint_lang, first_seen, last_seen, blocked = row
    return User(
        user_id,
        lang,
        hint_lang,
        datetime.fromisoformat(first_seen),
        datetime.fromisoformat(last_seen),
        bool(blocked),
    )
