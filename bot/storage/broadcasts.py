"""Broadcasts in the database: announcements, their recipients and the hearing notices given.

A broadcast is created with its recipients snapshotted into the outbox (one row per recipient,
with the language of the text they get) in one transaction; ``bot.storage.outbox`` works
those rows through delivery. Texts are stored as the Telegram HTML that is sent. Hearing
notices record what was announced or reminded of, so that a restart never repeats a notice.
The tables are migration 2 of ``bot.storage.migrations``; what to send, to whom and when is
decided in ``bot.broadcasting``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from bot.i18n import LANGS
from bot.storage.database import Transaction
from bot.storage.interface import SUBSCRIPTION_TOPICS, utc_now
from bot.storage.migrations import to_iso

if TYPE_CHECKING:
    from bot.storage.sql import SQLStorage

OUTBOX_STATES = ("pending", "sending", "sent", "blocked", "failed", "in_doubt", "cancelled")
COLS = (
    "id, created_by, text_ru, text_kk, single_lang, audience_topic, audience_lang, send_at,"
    " state, created_at, started_at, finished_at"
)


@dataclass(frozen=True, slots=True)
class Broadcast:
    id: int
    created_by: int | None  # None: a system broadcast (hearing notices)
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


class NoticeGiven(Exception):
    """Every notice of a new broadcast was recorded already (by another worker, at once)."""


class HearingNotice(NamedTuple):
    """A hearing announced or reminded of, or the first check's baseline (topic '*')."""

    topic_id: str
    kind: str  # 'baseline', 'announced' or 'reminded'
    starts: str  # the hearing's start as ``to_iso`` text; '' for the baseline


def check_audience(topic: str | None, lang: str | None) -> None:
    """Refuse an unknown subscription topic or language."""
    if topic is not None and topic not in SUBSCRIPTION_TOPICS:
        raise ValueError(f"unknown audience {topic!r}; expected one of {SUBSCRIPTION_TOPICS}")
    if lang is not None and lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; expected one of {LANGS}")


def read_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def read_broadcast(row: Any) -> Broadcast:
    """Build a Broadcast from a row of ``COLS``."""
    values = list(row)
    for index in (7, 9, 10, 11):
        values[index] = read_time(values[index])
    return Broadcast(*values)


class BroadcastStore:
    """Create, list, inspect and cancel broadcasts; keep the hearing notices given."""

    def __init__(self, storage: SQLStorage, *, now: Callable[[], datetime] = utc_now) -> None:
        self.storage = storage
        self.now = now

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
        notices: Iterable[HearingNotice] = (),
    ) -> tuple[int, int]:
        """Store a scheduled broadcast and its recipients; return (id, recipient count).

        The audience and language are checked before anything is stored; ``notices`` are
        recorded with the new broadcast's id in the same transaction. Raise ``NoticeGiven``,
        storing nothing, when every one of them was recorded already: workers checking the
        hearings at the same moment create the notice once.
        """
        check_audience(audience_topic, audience_lang)
        notices = list(notices)
        if single_lang is not None and single_lang not in LANGS:
            raise ValueError(f"unknown language {single_lang!r}")
        now = to_iso(self.now())
        when = to_iso(send_at) if send_at is not None else now
        async with self.storage.transaction() as db:
            # The notices first: a second worker's insert waits for the first one's
            # transaction, then finds the rows (PostgreSQL; SQLite has one writer at a time).
            given = await _claim_notices(db, notices, now)
            if notices and not given:
                raise NoticeGiven
            # subscribers() only reads (in SQLite on this connection, inside the transaction;
            # in PostgreSQL on another one, at the same moment): a recipient who leaves before
            # their message is sent is skipped then (Outbox.claim).
            found = await self.storage.subscribers(audience_topic, lang=audience_lang)
            [(broadcast_id,)] = await db.execute(
                f"INSERT INTO broadcasts ({COLS.removeprefix('id, ')}) VALUES (?, ?, ?, ?, ?, ?,"
                " ?, 'scheduled', ?, NULL, NULL) RETURNING id",
                (created_by, text_ru, text_kk, single_lang, audience_topic, audience_lang,
                 when, now),
            )  # fmt: skip
            await db.executemany(
                "INSERT INTO outbox (broadcast_id, user_id, lang) VALUES (?, ?, ?)",
                [(broadcast_id, s.user_id, single_lang or s.lang) for s in found],
            )
            for notice in given:
                await db.execute(
                    "UPDATE hearing_notices SET broadcast_id = ?"
                    " WHERE topic_id = ? AND kind = ? AND starts = ?",
                    (broadcast_id, *notice),
                )
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
        now = to_iso(self.now())
        async with self.storage.transaction() as db:
            cancelled = await db.execute(
                "UPDATE broadcasts SET state = 'cancelled', finished_at = ? WHERE id = ?"
                " AND state IN ('draft', 'scheduled', 'sending') RETURNING id",
                (now, broadcast_id),
            )
            if not cancelled:
                return False
            await db.execute(
                "UPDATE outbox SET state = 'cancelled'"
                " WHERE broadcast_id = ? AND state = 'pending'",
                (broadcast_id,),
            )
        return True

    async def hearing_notices(self) -> list[HearingNotice]:
        """Return every hearing notice recorded, baseline included."""
        rows = await self.storage.fetchall("SELECT topic_id, kind, starts FROM hearing_notices")
        return [HearingNotice(*row) for row in rows]

    async def record_hearing_notices(self, notices: Iterable[HearingNotice]) -> None:
        """Record notices given without a broadcast (baseline, past hearings) in one go."""
        async with self.storage.transaction() as db:
            await _insert_notices(db, notices, None, to_iso(self.now()))


async def _claim_notices(
    db: Transaction, notices: Iterable[HearingNotice], created_at: str
) -> list[HearingNotice]:
    """Record notices not recorded yet (without a broadcast); return those."""
    given: list[HearingNotice] = []
    for notice in notices:
        if await db.execute(
            "INSERT INTO hearing_notices (topic_id, kind, starts, broadcast_id, created_at)"
            " VALUES (?, ?, ?, NULL, ?) ON CONFLICT DO NOTHING RETURNING kind",
            (*notice, created_at),
        ):
            given.append(notice)
    return given


async def _insert_notices(
    db: Transaction,
    notices: Iterable[HearingNotice],
    broadcast_id: int | None,
    created_at: str,
) -> None:
    rows = [(n.topic_id, n.kind, n.starts, broadcast_id, created_at) for n in notices]
    if rows:
        await db.executemany(
            "INSERT INTO hearing_notices (topic_id, kind, starts, broadcast_id, created_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            rows,
        )
