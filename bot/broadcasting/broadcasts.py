"""Broadcasts: announcements to subscribers, their schema, and the operations staff run on them.

A broadcast is created with its recipients snapshotted into the outbox (one row per recipient,
with the language of the text they get) in one transaction; ``outbox`` delivers it from
``send_at`` on. Texts are stored as the Telegram HTML that is sent, rendered once from the
admin's Markdown, so a preview and the delivery are the same bytes.

Migration 2 holds these tables and those of ``bot.broadcasting.notices``; ``install`` applies it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import aiosqlite

from bot.conversation.render import TELEGRAM_LIMIT, markdown_to_html
from bot.i18n import LANGS
from bot.storage import migrations as schema
from bot.storage.interface import SUBSCRIPTION_TOPICS, Subscriber, utc_now
from bot.storage.sqlite import SQLiteStorage

SQL = """
CREATE TABLE broadcasts (
    id             INTEGER PRIMARY KEY,
    created_by     INTEGER NULL,  -- NULL: a system broadcast (hearing notices)
    text_ru        TEXT NOT NULL,  -- Telegram HTML, as sent
    text_kk        TEXT NOT NULL,
    single_lang    TEXT NULL CHECK (single_lang IN ('ru', 'kk')),
    audience_topic TEXT NULL,  -- NULL: everyone subscribed to anything
    audience_lang  TEXT NULL CHECK (audience_lang IN ('ru', 'kk')),
    send_at        TEXT NOT NULL,
    state          TEXT NOT NULL
        CHECK (state IN ('draft', 'scheduled', 'sending', 'done', 'cancelled')),
    created_at     TEXT NOT NULL,
    started_at     TEXT NULL,
    finished_at    TEXT NULL
);
CREATE INDEX broadcasts_due ON broadcasts(state, send_at);
CREATE TABLE outbox (
    broadcast_id INTEGER NOT NULL REFERENCES broadcasts(id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL,
    lang         TEXT NOT NULL,
    state        TEXT NOT NULL DEFAULT 'pending' CHECK (state IN
        ('pending', 'sending', 'sent', 'blocked', 'failed', 'in_doubt', 'cancelled')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT NULL,
    sent_at      TEXT NULL,
    PRIMARY KEY (broadcast_id, user_id)
);
CREATE INDEX outbox_state ON outbox(state, broadcast_id);
CREATE INDEX outbox_user ON outbox(user_id);
-- notices.py: hearings announced or reminded of, so that a restart never repeats a notice.
CREATE TABLE hearing_notices (
    topic_id     TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('baseline', 'announced', 'reminded')),
    starts       TEXT NOT NULL,
    broadcast_id INTEGER NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (topic_id, kind, starts)
);
"""
MIGRATION = schema.Migration(2, "broadcasts", SQL)
OUTBOX_STATES = ("pending", "sending", "sent", "blocked", "failed", "in_doubt", "cancelled")
LOCAL_FORMAT = "%Y-%m-%d %H:%M"
EVERYONE = "everyone"  # the audience of every subscriber, whatever their topics
AUDIENCES = (EVERYONE, "fraud", "laws", "hearings")  # or a subscription topic
COLS = (
    "id, created_by, text_ru, text_kk, single_lang, audience_topic, audience_lang, send_at,"
    " state, created_at, started_at, finished_at"
)


class TextTooLong(ValueError):
    """The rendered text does not fit one Telegram message."""

    def __init__(self, length: int) -> None:
        super().__init__(f"the text is {length} characters after rendering; {TELEGRAM_LIMIT} fit")
        self.length = length


@dataclass(frozen=True, slots=True)
class Broadcast:
    id: int
    created_by: int | None
    text_ru: str
    text_kk: str
    single_lang: str | None
    audience_topic: str | None
    audience_lang: str | None
    send_at: datetime
    state: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    def text(self, lang: str) -> str:
        """Return the HTML a recipient in `lang` gets."""
        chosen = self.single_lang or lang
        return self.text_kk if chosen == "kk" else self.text_ru


async def install(storage: SQLiteStorage) -> None:
    """Apply migration 2 to the storage's database file unless it is there already."""
    await storage.install(MIGRATION)


def render_text(markdown: str) -> str:
    """Render an admin's Markdown as Telegram HTML; raise TextTooLong past one message."""
    html = str(markdown_to_html(markdown))
    if len(html) > TELEGRAM_LIMIT:
        raise TextTooLong(len(html))
    return html


def parse_local_time(text: str, timezone: str) -> datetime:
    """Read "YYYY-MM-DD HH:MM" in `timezone`; raise ValueError when malformed."""
    naive = datetime.strptime(text.strip(), LOCAL_FORMAT)
    return naive.replace(tzinfo=ZoneInfo(timezone))


def read_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def read_broadcast(row: tuple) -> Broadcast:
    values = list(row)
    for index in (7, 9, 10, 11):
        values[index] = read_time(values[index])
    return Broadcast(*values)


def check_audience(topic: str | None, lang: str | None) -> None:
    """Refuse an unknown subscription topic or language."""
    if topic is not None and topic not in SUBSCRIPTION_TOPICS:
        raise ValueError(f"unknown audience {topic!r}; expected one of {SUBSCRIPTION_TOPICS}")
    if lang is not None and lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; expected one of {LANGS}")


class Broadcasts:
    """Create, list, inspect and cancel broadcasts in the database."""

    def __init__(self, storage: SQLiteStorage, *, now: Callable[[], datetime] = utc_now) -> None:
        self.storage = storage
        self.now = now

    async def recipients(self, topic: str | None, lang: str | None) -> list[Subscriber]:
        """Return who a broadcast to this audience would reach now."""
        check_audience(topic, lang)
        return await self.storage.subscribers(topic, lang=lang)

    async def create(
        self,
        *,
        created_by: int | None,
        text_ru: str,
        text_kk: str,
        single_lang: str | None = None,
        audience_topic: str | None = None,
        audience_lang: str | None = None,
        send_at: datetime | None = None,
        also: Callable[[aiosqlite.Connection, int], Awaitable[object]] | None = None,
    ) -> tuple[int, int]:
        """Store a scheduled broadcast and its recipients; return (id, recipient count)."""
        # `also` runs in the same transaction with the new id (notices record a notice).
        check_audience(audience_topic, audience_lang)
        if single_lang is not None and single_lang not in LANGS:
            raise ValueError(f"unknown language {single_lang!r}")
        now = schema.to_iso(self.now())
        when = schema.to_iso(send_at) if send_at is not None else now
        async with self.storage.transaction() as db:
            # subscribers() only reads, on this connection: the snapshot is taken inside the
            # transaction, so it matches the broadcast row exactly.
            found = await self.storage.subscribers(audience_topic, lang=audience_lang)
            cursor = await db.execute(
                f"INSERT INTO broadcasts ({COLS}) VALUES (NULL, ?, ?, ?, ?, ?, ?, ?,"
                " 'scheduled', ?, NULL, NULL)",
                (created_by, text_ru, text_kk, single_lang, audience_topic, audience_lang,
                 when, now),
            )  # fmt: skip
            broadcast_id = int(cursor.lastrowid or 0)
            await db.executemany(
                "INSERT INTO outbox (broadcast_id, user_id, lang) VALUES (?, ?, ?)",
                [(broadcast_id, s.user_id, single_lang or s.lang) for s in found],
            )
            if also is not None:
                await also(db, broadcast_id)
        return broadcast_id, len(found)

    async def get(self, broadcast_id: int) -> Broadcast | None:
        rows = await self.storage.fetchall(
            f"SELECT {COLS} FROM broadcasts WHERE id = ?", (broadcast_id,)
        )
        return read_broadcast(rows[0]) if rows else None

    async def recent(self, limit: int = 10, *, include_system: bool = True) -> list[Broadcast]:
        """Return the latest broadcasts, newest first."""
        where = "" if include_system else " WHERE created_by IS NOT NULL"
        rows = await self.storage.fetchall(
            f"SELECT {COLS} FROM broadcasts{where} ORDER BY id DESC LIMIT ?", (limit,)
        )
        return [read_broadcast(row) for row in rows]

    async def counts(self, broadcast_id: int) -> dict[str, int]:
        """Return the number of outbox rows in each state (every state present, maybe 0)."""
        rows = await self.storage.fetchall(
            "SELECT state, COUNT(*) FROM outbox WHERE broadcast_id = ? GROUP BY state",
            (broadcast_id,),
        )
        found = {state: 0 for state in OUTBOX_STATES}
        found.update({row[0]: row[1] for row in rows})
        return found

    async def cancel(self, broadcast_id: int) -> bool:
        """Stop a scheduled or running broadcast: nothing more is sent. False if too late."""
        now = schema.to_iso(self.now())
        async with self.storage.transaction() as db:
            cursor = await db.execute(
                "UPDATE broadcasts SET state = 'cancelled', finished_at = ? WHERE id = ?"
                " AND state IN ('draft', 'scheduled', 'sending')",
                (now, broadcast_id),
            )
            if not cursor.rowcount:
                return False
            await db.execute(
                "UPDATE outbox SET state = 'cancelled'"
                " WHERE broadcast_id = ? AND state = 'pending'",
                (broadcast_id,),
            )
        return True


def duration(broadcast: Broadcast) -> timedelta:
    """Return how long a broadcast took (zero when it never started)."""
    if broadcast.started_at is None or broadcast.finished_at is None:
        return timedelta(0)
    return broadcast.finished_at - broadcast.started_at
