"""Tests for bot.storage.interface and bot.storage.migrations against a real SQLite file."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.i18n import resolve_locale
from bot.storage import migrations as schema
from bot.storage.interface import (
    Storage,
    Subscriber,
    Unanswered,
    User,
)
from bot.storage.migrations import Migration
from bot.storage.sqlite import SQLiteStorage

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
NOTES = Migration(
    2,
    "notes",
    "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\n"
    "INSERT INTO notes (body) VALUES ('seed');",
)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "zanbot.sqlite3"


@pytest.fixture
async def store(db_path: Path, clock: Clock) -> AsyncIterator[SQLiteStorage]:
    async with SQLiteStorage(db_path, clock=clock) as storage:
        yield storage


async def versions(storage: SQLiteStorage) -> list[tuple[int, str]]:
    rows = await storage.fetchall("SELECT version, applied_at FROM schema_migrations")
    return [(row[0], row[1]) for row in rows]


# Schema and migrations


async def test_migrations_are_recorded_once_across_reopen(db_path: Path, clock: Clock) -> None:
    async with SQLiteStorage(db_path, clock=clock) as storage:
        assert await versions(storage) == [(1, "2026-03-01T09:30:00+00:00")]
    clock.advance(days=1)
    async with SQLiteStorage(db_path, clock=clock) as storage:
        assert await versions(storage) == [(1, "2026-03-01T09:30:00+00:00")]


async def test_extra_migration_applies_once(db_path: Path, clock: Clock) -> None:
    async with SQLiteStorage(db_path, clock=clock) as storage:  # an existing v1 database
        assert [v for v, _ in await versions(storage)] == [1]
    extended = (*schema.migrations(), NOTES)
    for _ in range(2):
        async with SQLiteStorage(db_path, clock=clock, migrations=extended) as storage:
            assert [v for v, _ in await versions(storage)] == [1, 2]
            # The seed row would be doubled if the migration ran again.
            assert await storage.fetchall("SELECT body FROM notes") == [("seed",)]


async def test_registered_migration_is_used_by_default(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS)  # restored after the test
    schema.register_migration(*NOTES)
    schema.register_migration(*NOTES)  # importing a module twice must be harmless
    assert [m.version for m in schema.migrations()] == [1, 2]
    with pytest.raises(ValueError, match="already registered"):
        schema.register_migration(2, "other", "CREATE TABLE other (x);")
    async with SQLiteStorage(db_path) as storage:
        assert [v for v, _ in await versions(storage)] == [1, 2]


async def test_failed_migration_rolls_back_and_leaves_storage_closed(db_path: Path) -> None:
    broken = Migration(2, "broken", "CREATE TABLE half (x);\nINSERT INTO missing VALUES (1);")
    storage = SQLiteStorage(db_path, migrations=(*schema.migrations(), broken))
    with pytest.raises(sqlite3.OperationalError, match="missing"):
        await storage.open()
    with pytest.raises(RuntimeError, match="not open"):
        storage.db  # noqa: B018
    async with SQLiteStorage(db_path) as storage:
        assert [v for v, _ in await versions(storage)] == [1]
        tables = await storage.fetchall("SELECT name FROM sqlite_master WHERE name = 'half'")
        assert tables == []


def test_split_statements_keeps_triggers_whole() -> None:
    sql = (
        "CREATE TABLE a (x); -- note; with a semicolon\n"
        "CREATE TRIGGER t AFTER INSERT ON a BEGIN DELETE FROM a; SELECT 1; END;\n"
        "-- trailing comment"
    )
    assert schema.split_statements(sql) == [
        "CREATE TABLE a (x);",
        "-- note; with a semicolon\n"
        "CREATE TRIGGER t AFTER INSERT ON a BEGIN DELETE FROM a; SELECT 1; END;",
    ]


def test_time_range_dates_cover_whole_days_and_datetimes_are_exact() -> None:
    assert schema.time_range(date(2026, 3, 1), date(2026, 3, 2)) == (
        "2026-03-01T00:00:00+00:00",
        "2026-03-03T00:00:00+00:00",
    )
    assert schema.time_range(T0, T0 + timedelta(hours=1)) == (
        "2026-03-01T09:30:00+00:00",
        "2026-03-01T10:30:00+00:00",
    )


async def test_storage_is_a_storage_and_refuses_use_before_open(db_path: Path) -> None:
    storage = SQLiteStorage(db_path)
    assert isinstance(storage, Storage)
    with pytest.raises(RuntimeError, match="not open"):
        await storage.count_users()
    with pytest.raises(TypeError):
        Storage()  # type: ignore[abstract]


# Users


async def test_touch_user_creates_then_refreshes(store: SQLiteStorage, clock: Clock) -> None:
    first = await store.touch_user(7, hint_lang="kk")
    assert first == User(7, None, "kk", T0, T0, False)
    clock.advance(hours=2)
    await store.set_blocked(7, True)
    again = await store.touch_user(7)  # no hint: the old one stays; writing again unblocks
    assert again == User(7, None, "kk", T0, T0 + timedelta(hours=2), False)
    assert await store.get_user(7) == again
    assert await store.get_user(8) is None


async def test_set_language_validates_and_creates_user(store: SQLiteStorage) -> None:
    await store.set_language(5, "kk")
    user = await store.get_user(5)
    assert (user.lang, user.effective_lang) == ("kk", "kk")  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="unsupported language"):
        await store.set_language(5, "en")
    assert await store.count_users() == 1


@pytest.mark.parametrize(
    ("lang", "hint", "expected"),
    [("kk", "ru", "kk"), (None, "kk-KZ", "kk"), (None, "en", "ru"), (None, None, "ru")],
)
def test_resolve_locale(lang: str | None, hint: str | None, expected: str) -> None:
    assert resolve_locale(lang, hint) == expected


# Subscriptions


async def test_subscribe_and_unsubscribe(store: SQLiteStorage) -> None:
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


async def test_subscribers_filter_by_topic_lang_and_blocked(store: SQLiteStorage) -> None:
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


async def test_concurrent_writes_share_the_connection_safely(store: SQLiteStorage) -> None:
    await asyncio.gather(*(store.subscribe(user_id, "fraud") for user_id in range(20)))
    assert [s.user_id for s in await store.subscribers("fraud")] == list(range(20))


# Feedback, unanswered questions and counters


async def test_feedback_summary_counts_within_range(store: SQLiteStorage, clock: Clock) -> None:
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


async def test_unanswered_text_is_stored_redacted(
    store: SQLiteStorage, clock: Clock, db_path: Path
) -> None:
    await store.add_unanswered("мошенник просит карту 4400 4301 2345 6789 и код 4821", "ru")
    clock.advance(minutes=5)
    await store.add_unanswered("x" * 5000, "kk")
    assert await store.unanswered(T0.date(), T0.date()) == [
        Unanswered("мошенник просит карту [card] и код [code]", "ru", T0),
        Unanswered("x" * 1000, "kk", T0 + timedelta(minutes=5)),
    ]
    assert await store.unanswered(T0 + timedelta(minutes=1), clock.now) == []
    await store.close()  # checkpoint the WAL so every byte sits in files we can read
    raw = b"".join(p.read_bytes() for p in db_path.parent.iterdir())
    assert "мошенник просит карту".encode() in raw  # we are reading the right bytes
    for digits in ("4400 4301 2345 6789", "4400430123456789", "4821"):
        assert digits.encode() not in raw


async def test_answer_and_question_counters_by_day(store: SQLiteStorage, clock: Clock) -> None:
    await store.count_answer("fraud-victim-steps", "ru")
    await store.count_answer("fraud-victim-steps", "ru")
    await store.count_answer("uk-115-1-stalking", "kk")
    await store.count_question("ru", answered=True)
    await store.count_question("ru", answered=False)
    await store.count_question("kk", answered=True)
    clock.advance(days=1)
    await store.count_answer("uk-115-1-stalking", "kk")
    await store.count_answer("uk-115-1-stalking", "kk")
    await store.count_answer("uk-115-1-stalking", "kk")
    await store.count_question("ru", answered=True)
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


# Admins and personal data


async def test_grant_and_revoke_admin(store: SQLiteStorage) -> None:
    assert await store.admin_ids() == set()
    await store.grant_admin(10, granted_by=None)
    await store.grant_admin(11, granted_by=10)
    await store.grant_admin(11, granted_by=10)
    assert await store.admin_ids() == {10, 11}
    await store.revoke_admin(10)
    await store.revoke_admin(99)
    assert await store.admin_ids() == {11}


async def test_export_then_forget_deletes_everything(store: SQLiteStorage) -> None:
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
        "draft": False,
    }
    await store.forget_user(42)

    assert await store.export_user(42) == {}
    assert await store.get_user(42) is None
    assert await store.subscriptions(42) == set()
    assert await store.admin_ids() == set()
    assert await store.fetchall("SELECT user_id FROM feedback ORDER BY id") == [(43,), (None,)]
    assert await store.subscriptions(43) == {"all"}
    assert await store.export_user(12345) == {}


async def test_language_of_a_user(tmp_path) -> None:
    async with SQLiteStorage(tmp_path / "lang.sqlite3") as storage:
        assert await storage.language(1) == "ru"  # unknown, no hint
        assert await storage.language(1, hint="kk-KZ") == "kk"  # unknown, Telegram's hint
        await storage.touch_user(2, hint_lang="kk")
        assert await storage.language(2) == "kk"  # the stored hint
        assert await storage.language(2, hint="ru") == "ru"  # a fresh hint wins over it
        await storage.set_language(2, "ru")
        assert await storage.language(2, hint="kk") == "ru"  # the explicit choice wins
