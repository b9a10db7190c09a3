"""Tests for notices: hearing announcements and reminders on a small content tree."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import Clock

from bot.broadcasting.broadcasts import Broadcasts
from bot.broadcasting.notices import HearingNotices
from bot.knowledge.library import Library
from bot.storage.factory import storage_for
from bot.storage.sqlite import SQLiteStorage

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
TITLES = {"ru": "Слушания {id}", "kk": "Тыңдау {id}"}


def write_hearing(root: Path, topic_id: str, starts: str) -> None:
    for lang in ("ru", "kk"):
        title = TITLES[lang].format(id=topic_id)
        text = (
            f"---\nid: {topic_id}\ntitle: {title}\ncategory: hearings\nquestions:\n"
            f"  - слушания {topic_id}\nhearing:\n  starts: '{starts}'\n  place: Павлодар, зал\n"
            f"---\nТекст {topic_id}.\n"
        )
        (root / lang / f"{topic_id}.md").write_text(text, encoding="utf-8")


@pytest.fixture
def content(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    for lang in ("ru", "kk"):
        (root / lang).mkdir(parents=True)
        info = "---\nid: about\ntitle: About\ncategory: info\nquestions:\n  - о боте\n---\nБот.\n"
        (root / lang / "about.md").write_text(info, encoding="utf-8")
    write_hearing(root, "h-april", "2026-04-28T10:00:00+05:00")
    return root


@pytest.fixture
async def store(storage: SQLiteStorage) -> AsyncIterator[SQLiteStorage]:
    for user_id, topic, lang in [(1, "hearings", "ru"), (2, "all", "kk"), (3, "fraud", "ru")]:
        await storage.subscribe(user_id, topic)
        await storage.set_language(user_id, lang)
    yield storage


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


async def outbox(store: SQLiteStorage, broadcast_id: int) -> list[tuple[int, str]]:
    rows = await store.fetchall(
        "SELECT user_id, lang FROM outbox WHERE broadcast_id = ? ORDER BY user_id",
        (broadcast_id,),
    )
    return [(row[0], row[1]) for row in rows]


async def first_start(
    store: SQLiteStorage, content: Path, clock: Clock
) -> tuple[Library, HearingNotices]:
    """Load the content and make the first check, which records the hearings known then."""
    library = Library(content)
    notices = HearingNotices(store, library, now=clock)
    await notices.check()
    return library, notices


async def test_first_start_records_existing_hearings_without_announcing(
    store: SQLiteStorage, content: Path, clock: Clock
) -> None:
    notices = HearingNotices(store, Library(content), now=clock)
    assert await notices.check() == []
    assert await notices.check() == []
    assert await Broadcasts(store).recent() == []
    kinds = await store.fetchall("SELECT topic_id, kind FROM hearing_notices ORDER BY kind")
    assert kinds == [("h-april", "announced"), ("*", "baseline")]


async def test_a_hearing_added_later_is_announced_once_in_each_language(
    store: SQLiteStorage, content: Path, clock: Clock
) -> None:
    library, _notices = await first_start(store, content, clock)
    write_hearing(content, "h-may", "2026-05-20T15:00:00+05:00")
    assert library.reload() == []

    [broadcast_id] = await HearingNotices(store, library, now=clock).check()
    assert await HearingNotices(store, library, now=clock).check() == []  # a restart, say
    created = await Broadcasts(store).get(broadcast_id)
    assert created is not None
    assert (created.created_by, created.audience_topic, created.state) == (
        None, "hearings", "scheduled"
    )  # fmt: skip
    assert "Слушания h-may" in created.text_ru and "20 мая 2026" in created.text_ru
    assert "Тыңдау h-may" in created.text_kk
    assert "Павлодар, зал" in created.text_kk
    assert await outbox(store, broadcast_id) == [(1, "ru"), (2, "kk")]


async def test_reminder_the_day_before_once(
    store: SQLiteStorage, content: Path, clock: Clock
) -> None:
    library, notices = await first_start(store, content, clock)
    starts = datetime(2026, 4, 28, 5, 0, tzinfo=UTC)
    clock.now = starts - timedelta(days=1, seconds=1)
    assert await notices.check() == []
    clock.now = starts - timedelta(days=1)
    [reminder] = await notices.check()
    assert await HearingNotices(store, library, now=clock).check() == []
    created = await Broadcasts(store).get(reminder)
    assert created is not None and "🔔" in created.text_ru
    clock.now = starts + timedelta(hours=3)
    assert await notices.check() == []


async def test_a_moved_hearing_gets_a_new_reminder(
    store: SQLiteStorage, content: Path, clock: Clock
) -> None:
    library, notices = await first_start(store, content, clock)
    clock.now = datetime(2026, 4, 27, 14, 0, tzinfo=UTC)
    assert len(await notices.check()) == 1
    write_hearing(content, "h-april", "2026-04-28T18:00:00+05:00")
    assert library.reload() == []
    assert len(await notices.check()) == 1


async def test_late_or_past_additions(store: SQLiteStorage, content: Path, clock: Clock) -> None:
    library, notices = await first_start(store, content, clock)
    write_hearing(content, "h-tomorrow", "2026-03-02T10:00:00+05:00")
    write_hearing(content, "h-gone", "2026-02-10T10:00:00+05:00")
    assert library.reload() == []
    [announcement] = await notices.check()  # the past hearing is recorded silently
    created = await Broadcasts(store).get(announcement)
    assert created is not None and "Тыңдау h-tomorrow" in created.text_kk
    clock.now += timedelta(hours=12)
    assert await notices.check() == []  # the announcement already carried the date


async def test_empty_knowledge_base_at_first_start_announces_later_hearings(
    store: SQLiteStorage, content: Path, clock: Clock
) -> None:
    for lang in ("ru", "kk"):
        (content / lang / "h-april.md").unlink()
    library = Library(content)
    assert await HearingNotices(store, library, now=clock).check() == []
    write_hearing(content, "h-april", "2026-04-28T10:00:00+05:00")
    assert library.reload() == []
    assert len(await HearingNotices(store, library, now=clock).check()) == 1


@pytest.mark.parametrize("when", ["announcement", "reminder"])
async def test_two_workers_checking_at_once_create_each_notice_once(
    store: SQLiteStorage, database: str, content: Path, clock: Clock, when: str
) -> None:
    library, _notices = await first_start(store, content, clock)
    if when == "announcement":
        write_hearing(content, "h-may", "2026-05-20T15:00:00+05:00")
        assert library.reload() == []
    else:
        clock.now = datetime(2026, 4, 27, 6, 0, tzinfo=UTC)  # the day before h-april
    async with storage_for(database) as other:  # the second worker's own connections
        created = await asyncio.gather(
            *(HearingNotices(storage, library, now=clock).check() for storage in (store, other))
        )
    assert sorted(len(ids) for ids in created) == [0, 1]
    [broadcast_id] = [*created[0], *created[1]]
    assert [b.id for b in await Broadcasts(store).recent()] == [broadcast_id]
    recorded = await store.fetchall(
        "SELECT kind, broadcast_id FROM hearing_notices WHERE broadcast_id IS NOT NULL"
    )
    kind = "announced" if when == "announcement" else "reminded"
    assert recorded == [(kind, broadcast_id)]
