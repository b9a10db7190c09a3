"""Tests for bot.storage.interface and bot.storage.sql, on a real SQLite file and a real
PostgreSQL database (the ``database`` fixture runs each test on both)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from conftest import Clock

from bot.i18n import resolve_locale
from bot.storage.broadcasts import BroadcastStore
from bot.storage.conversations import ConversationStore
from bot.storage.factory import storage_for
from bot.storage.interface import (
    Storage,
    Subscriber,
    Unanswered,
    User,
)
from bot.storage.sql import SQLStorage
from bot.storage.sqlite import SQLiteStorage

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
async def store(database: str, clock: Clock) -> AsyncIterator[SQLStorage]:
    async with storage_for(database, clock=clock) as storage:
        yield storage


async def test_storage_is_a_storage_and_refuses_use_before_open(database: str) -> None:
    storage = storage_for(database)
    assert isinstance(storage, Storage)
    with pytest.raises(RuntimeError, match="not open"):
        await storage.admin_ids()
    with pytest.raises(TypeError):
        Storage()  # type: ignore[abstract]


# Users


async def test_touch_user_creates_then_refreshes(store: SQLStorage, clock: Clock) -> None:
    first = await store.touch_user(7, hint_lang="kk")
    assert first == User(7, None, "kk", T0, T0, False)
    clock.advance(hours=2)
    await store.set_blocked(7, True)
    again = await store.touch_user(7)  # no hint: the old one stays; writing again unblocks
    assert again == User(7, None, "kk", T0, T0 + timedelta(hours=2), False)
    assert await store.get_user(7) == again
    assert await store.get_user(8) is None


async def test_touch_users_touches_many_in_one_go(store: SQLStorage, clock: Clock) -> None:
    await store.touch_user(7, hint_lang="kk")
    await store.set_language(7, "ru")
    await store.set_blocked(7, True)
    clock.advance(hours=1)
    later = T0 + timedelta(hours=1)
    # Returned in the order asked; a user asked twice is one row, its hint kept.
    touched = await store.touch_users([(9, None), (7, None), (8, "kk"), (9, "ru"), (8, None)])
    assert touched == [
        User(9, None, "ru", later, later, False),
        User(7, "ru", "kk", T0, later, False),  # an old user: choice kept, unblocked
        User(8, None, "kk", later, later, False),
        User(9, None, "ru", later, later, False),
        User(8, None, "kk", later, later, False),
    ]
    assert [await store.get_user(user_id) for user_id in (7, 8, 9)] == touched[1:4]
    assert await store.touch_users([]) == []


async def test_touch_users_takes_more_users_than_one_statement(store: SQLStorage) -> None:
    ids = list(range(1, 1202))  # three statements' worth (TOUCH_ROWS each)
    touched = await store.touch_users([(user_id, "kk") for user_id in ids])
    assert [user.user_id for user in touched] == ids
    assert {user.hint_lang for user in touched} == {"kk"}


async def test_set_language_validates_and_creates_user(store: SQLStorage) -> None:
    await store.set_language(5, "kk")
    user = await store.get_user(5)
    assert (user.lang, await store.language(5)) == ("kk", "kk")  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="unsupported language"):
        await store.set_language(5, "en")
    assert await store.fetchall("SELECT user_id FROM users") == [(5,)]


@pytest.mark.parametrize(
    ("lang", "hint", "expected"),
    [("kk", "ru", "kk"), (None, "kk-KZ", "kk"), (None, "en", "ru"), (None, None, "ru")],
)
def test_resolve_locale(lang: str | None, hint: str | None, expected: str) -> None:
    assert resolve_locale(lang, hint) == expected


# Subscriptions


async def test_subscribe_and_unsubscribe(store: SQLStorage) -> None:
    await store.subscribe(1, "fraud")  # creates the user row on the way
    await store.subscribe(1, "fraud")
    await store.subscribe(1, "laws")
    assert await store.subscriptions(1) == {"fraud", "laws"}
    await store.unsubscribe(1, "fraud")
    assert await store.subscriptions(1) == {"laws"}
    await store.subscribe(1, "hearings")
    await store.unsubscribe(1)
    assert await store.subscriptions(1) == set()
    with pytest.raises(ValueError, match="unknown subscription topic"):
        await store.subscribe(1, "sports")
    with pytest.raises(ValueError, match="unknown subscription topic"):
        await store.unsubscribe(1, "sports")


async def test_subscribers_filter_by_topic_lang_and_blocked(store: SQLStorage) -> None:
    await store.touch_user(1)
    await store.set_language(1, "ru")
    await store.touch_user(2, hint_lang="kk-KZ")
    await store.touch_user(3, hint_lang="en")
    await store.touch_user(4)
    await store.set_language(5, "kk")
    for user_id, topic in [
        (1, "fraud"),
        (2, "all"),
        (3, "laws"),
        (4, "fraud"),
        (5, "fraud"),
        (5, "hearings"),
    ]:
        await store.subscribe(user_id, topic)
    await store.set_blocked(4, True)

    ru1, kk2, ru3, kk5 = (
        Subscriber(1, "ru"),
        Subscriber(2, "kk"),
        Subscriber(3, "ru"),
        Subscriber(5, "kk"),
    )
    assert await store.subscribers("fraud") == [ru1, kk2, kk5]
    assert await store.subscribers("laws") == [kk2, ru3]
    assert await store.subscribers("hearings", lang="kk") == [kk2, kk5]
    assert await store.subscribers() == [ru1, kk2, ru3, kk5]
    assert await store.subscribers(lang="ru") == [ru1, ru3]
    with pytest.raises(ValueError, match="unknown subscription topic"):
        await store.subscribers("sports")


async def test_concurrent_writes_share_the_connection_safely(store: SQLStorage) -> None:
    await asyncio.gather(*(store.subscribe(user_id, "fraud") for user_id in range(20)))
    assert [s.user_id for s in await store.subscribers("fraud")] == list(range(20))


# Feedback, unanswered questions and counters


async def test_feedback_summary_counts_within_range(store: SQLStorage, clock: Clock) -> None:
    await store.add_feedback(1, "fraud-victim-steps", "ru", helpful=True)
    await store.add_feedback(2, "fraud-victim-steps", "ru", helpful=False)
    await store.add_feedback(None, "fraud-victim-steps", "ru", helpful=True)
    await store.add_feedback(3, "fraud-victim-steps", "kk", helpful=True)
    clock.advance(days=1)
    await store.add_feedback(1, "uk-115-1-stalking", "ru", helpful=False)
    day0, day1 = T0.date(), T0.date() + timedelta(days=1)
    assert await store.feedback_summary(day0, day0) == [
        ("fraud-victim-steps", "kk", 1, 0),
        ("fraud-victim-steps", "ru", 2, 1),
    ]
    assert await store.feedback_summary(day1, day1) == [("uk-115-1-stalking", "ru", 0, 1)]
    assert await store.feedback_summary(T0 + timedelta(seconds=1), clock.now) == []


async def test_a_second_vote_on_a_topic_replaces_the_first(store: SQLStorage) -> None:
    await store.add_feedback(1, "fraud-victim-steps", "ru", helpful=False)
    await store.add_feedback(1, "fraud-victim-steps", "ru", helpful=False)
    await store.add_feedback(1, "fraud-victim-steps", "kk", helpful=True)
    await store.add_feedback(1, "uk-115-1-stalking", "ru", helpful=False)
    await store.add_feedback(None, "uk-115-1-stalking", "ru", helpful=False)
    await store.add_feedback(None, "uk-115-1-stalking", "ru", helpful=False)
    day = T0.date()
    assert await store.feedback_summary(day, day) == [
        ("fraud-victim-steps", "kk", 1, 0),
        ("uk-115-1-stalking", "ru", 0, 3),
    ]


async def test_unanswered_text_is_stored_redacted(store: SQLStorage, clock: Clock) -> None:
    await store.add_unanswered_many(
        [("мошенник просит карту 4400 4301 2345 6789 и код 4821", "ru")]
    )
    clock.advance(minutes=5)
    await store.add_unanswered_many([("x" * 5000, "kk")])
    assert await store.unanswered(T0.date(), T0.date()) == [
        Unanswered("мошенник просит карту [card] и код [code]", "ru", T0),
        Unanswered("x" * 1000, "kk", T0 + timedelta(minutes=5)),
    ]
    assert await store.unanswered(T0 + timedelta(minutes=1), clock.now) == []


async def test_no_byte_of_the_sqlite_file_holds_what_was_redacted(tmp_path: Path) -> None:
    path = tmp_path / "zanbot.sqlite3"
    async with SQLiteStorage(path) as store:
        await store.add_unanswered_many(
            [("мошенник просит карту 4400 4301 2345 6789 и код 4821", "ru")]
        )
    # Closed: the WAL is checkpointed, so every byte sits in files we can read.
    raw = b"".join(p.read_bytes() for p in path.parent.iterdir())
    assert "мошенник просит карту".encode() in raw  # we are reading the right bytes
    for digits in ("4400 4301 2345 6789", "4400430123456789", "4821"):
        assert digits.encode() not in raw


async def test_answer_and_question_counters_by_day(store: SQLStorage, clock: Clock) -> None:
    await store.add_counts({"ru": (1, 1)}, {("fraud-victim-steps", "ru"): 1})
    await store.add_counts(  # the same day: added to what is there
        {"ru": (1, 0), "kk": (1, 1)},
        {("fraud-victim-steps", "ru"): 1, ("uk-115-1-stalking", "kk"): 1},
    )
    clock.advance(days=1)
    await store.add_counts({"ru": (1, 1)}, {("uk-115-1-stalking", "kk"): 3})
    day0, day1 = T0.date(), T0.date() + timedelta(days=1)
    assert await store.topic_counts(day0, day0) == [
        ("fraud-victim-steps", "ru", 2),
        ("uk-115-1-stalking", "kk", 1),
    ]
    assert await store.topic_counts(day0, day1) == [
        ("uk-115-1-stalking", "kk", 4),
        ("fraud-victim-steps", "ru", 2),
    ]
    assert await store.question_counts(day0, day0) == [("kk", 1, 1), ("ru", 2, 1)]
    assert await store.question_counts(day0, day1) == [("kk", 1, 1), ("ru", 3, 2)]
    assert await store.question_counts(day1 + timedelta(days=1), day1 + timedelta(days=9)) == []
    assert await store.daily_question_counts(day0, day1) == [
        (day0, "kk", 1, 1), (day0, "ru", 2, 1), (day1, "ru", 1, 1),
    ]  # fmt: skip
    assert await store.daily_question_counts(day1, day1 + timedelta(days=9)) == [(day1, "ru", 1, 1)]


async def test_shared_answers_by_day_without_user_ids(store: SQLStorage, clock: Clock) -> None:
    await store.add_shares({("uk-115-1-stalking", "kk"): 2, ("uk-232-1-droppers", "ru"): 1})
    await store.add_shares({("uk-232-1-droppers", "ru"): 2})  # the same day: added
    clock.advance(days=1)
    await store.add_shares({("uk-115-1-stalking", "kk"): 5})
    day0, day1 = T0.date(), T0.date() + timedelta(days=1)
    assert await store.share_counts(day0, day0) == [
        ("uk-232-1-droppers", "ru", 3),
        ("uk-115-1-stalking", "kk", 2),
    ]
    assert await store.share_counts(day0, day1) == [
        ("uk-115-1-stalking", "kk", 7),
        ("uk-232-1-droppers", "ru", 3),
    ]
    await store.fetchall("SELECT day, topic_id, lang, shared FROM share_stats")  # the columns…
    with pytest.raises((sqlite3.OperationalError, asyncpg.UndefinedColumnError), match="user_id"):
        await store.fetchall("SELECT user_id FROM share_stats")  # …and no user id among them


# Admins and personal data


async def test_grant_and_revoke_admin(store: SQLStorage) -> None:
    assert await store.admin_ids() == set()
    await store.grant_admin(10, granted_by=None)
    await store.grant_admin(11, granted_by=10)
    await store.grant_admin(11, granted_by=10)
    assert await store.admin_ids() == {10, 11}
    await store.revoke_admin(10)
    await store.revoke_admin(99)
    assert await store.admin_ids() == {11}


async def test_export_then_forget_deletes_everything(store: SQLStorage) -> None:
    await store.touch_user(42, hint_lang="ru")
    await store.set_language(42, "kk")
    await store.subscribe(42, "laws")
    await store.subscribe(42, "fraud")
    await store.add_feedback(42, "fraud-victim-steps", "kk", helpful=True)
    await store.add_feedback(42, "uk-115-1-stalking", "kk", helpful=False)
    await store.grant_admin(42, granted_by=1)
    await store.subscribe(43, "all")  # someone else, who must be untouched
    await store.add_feedback(43, "fraud-victim-steps", "ru", helpful=True)
    await store.add_feedback(None, "fraud-victim-steps", "ru", helpful=True)
    # The other stores' rows: a broadcast to both, and an announcement each has begun.
    broadcast_id, _count = await BroadcastStore(store).create(
        created_by=None, text_ru="ru", text_kk="kk"
    )
    conversations = ConversationStore(store)
    for user_id in (42, 43):
        await conversations.save("broadcast", user_id, '{"step": 1, "data": {}}')

    assert await store.export_user(42) == {
        "user": {
            "user_id": 42,
            "lang": "kk",
            "hint_lang": "ru",
            "first_seen": "2026-03-01T09:30:00+00:00",
            "last_seen": "2026-03-01T09:30:00+00:00",
            "blocked": False,
        },
        "subscriptions": ["fraud", "laws"],
        "feedback_count": 2,
        "admin": True,
        "draft": True,
    }
    await store.forget_user(42)

    assert await store.export_user(42) == {}
    assert await store.get_user(42) is None
    assert await store.subscriptions(42) == set()
    assert await store.admin_ids() == set()
    assert await store.fetchall("SELECT user_id FROM feedback ORDER BY id") == [(43,), (None,)]
    assert await store.subscriptions(43) == {"all"}
    assert await store.fetchall("SELECT user_id FROM outbox") == [(43,)]
    assert await conversations.load("broadcast", 42) is None
    assert await conversations.load("broadcast", 43) == '{"step": 1, "data": {}}'
    assert (await BroadcastStore(store).counts(broadcast_id))["pending"] == 1
    assert await store.export_user(12345) == {}


async def test_forget_is_one_transaction_across_the_stores(
    store: SQLStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    await store.subscribe(42, "all")
    await BroadcastStore(store).create(created_by=None, text_ru="ru", text_kk="kk")

    async def fails(db: object, user_id: int) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(ConversationStore, "forget", staticmethod(fails))
    with pytest.raises(RuntimeError, match="disk full"):
        await store.forget_user(42)
    assert await store.subscriptions(42) == {"all"}  # the core deletes were undone too
    assert await store.fetchall("SELECT user_id FROM outbox") == [(42,)]


async def test_language_of_a_user(database: str) -> None:
    async with storage_for(database) as storage:
        assert await storage.language(1) == "ru"  # unknown, no hint
        assert await storage.language(1, hint="kk-KZ") == "kk"  # unknown, Telegram's hint
        await storage.touch_user(2, hint_lang="kk")
        assert await storage.language(2) == "kk"  # the stored hint
        assert await storage.language(2, hint="ru") == "ru"  # a fresh hint wins over it
        await storage.set_language(2, "ru")
        assert await storage.language(2, hint="kk") == "ru"  # the explicit choice wins
