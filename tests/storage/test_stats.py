"""StatsBuffer: counters collected in memory and written in one transaction."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from botharness import make_config, running_bot
from conftest import NOW
from fakebotapi import FakeBotAPI

from bot.knowledge.library import Library
from bot.storage.factory import storage_for
from bot.storage.sql import SQLStorage
from bot.storage.stats import StatsBuffer

EVER = (date(2000, 1, 1), date(2100, 1, 1))


async def test_flush_writes_counts_once(storage: SQLStorage) -> None:
    stats = StatsBuffer()
    stats.question("ru", topic_id="uk-115-1-stalking", answer_lang="ru")
    stats.question("ru", topic_id=None, answer_lang="ru")
    stats.question("kk", topic_id="uk-115-1-stalking", answer_lang="kk")
    await stats.flush(storage)
    await stats.flush(storage)  # nothing new: nothing added
    assert await storage.question_counts(*EVER) == [("kk", 1, 1), ("ru", 2, 1)]
    assert sorted(await storage.topic_counts(*EVER)) == [
        ("uk-115-1-stalking", "kk", 1),
        ("uk-115-1-stalking", "ru", 1),
    ]


async def test_flush_writes_shared_answers_by_topic_and_language(storage: SQLStorage) -> None:
    stats = StatsBuffer()
    stats.shared("uk-115-1-stalking", "kk")
    stats.shared("uk-115-1-stalking", "kk")
    stats.shared("uk-232-1-droppers", "ru")
    await stats.flush(storage)  # shares alone, no question asked: written all the same
    stats.shared("uk-232-1-droppers", "ru")
    await stats.flush(storage)
    assert await storage.share_counts(*EVER) == [
        ("uk-115-1-stalking", "kk", 2),
        ("uk-232-1-droppers", "ru", 2),
    ]
    assert await storage.question_counts(*EVER) == []


async def test_shares_are_kept_when_a_flush_fails(database: str) -> None:
    stats = StatsBuffer()
    stats.shared("uk-115-1-stalking", "ru")
    with pytest.raises(RuntimeError):
        await stats.flush(storage_for(database))  # never opened
    async with storage_for(database) as storage:
        await stats.flush(storage)
        assert await storage.share_counts(*EVER) == [("uk-115-1-stalking", "ru", 1)]


async def test_counts_are_kept_when_a_flush_fails(database: str) -> None:
    stats = StatsBuffer()
    stats.question("ru", topic_id="smalltalk-greeting", answer_lang="ru")
    with pytest.raises(RuntimeError):
        await stats.flush(storage_for(database))  # never opened
    async with storage_for(database) as storage:
        await stats.flush(storage)
        assert await storage.question_counts(*EVER) == [("ru", 1, 1)]


async def test_run_flushes_on_stop(storage: SQLStorage) -> None:
    stats = StatsBuffer()
    stop = asyncio.Event()
    task = asyncio.create_task(stats.run(storage, interval=60, stop=stop))
    stats.question("kk", topic_id=None, answer_lang="kk")
    stop.set()
    await task
    assert await storage.question_counts(*EVER) == [("kk", 1, 0)]


async def test_bot_counts_questions_by_shutdown(library: Library, database: str) -> None:
    async with FakeBotAPI() as api:
        config = make_config(api, database)
        user = api.user(4000)
        async with running_bot(config, library, clock=lambda: NOW):
            await api.send_text(user, "что такое сталкинг")
            await api.send_text(user, "как сварить борщ")
            await api.wait_for(user.id, count=2)
    async with storage_for(config.database) as storage:
        assert await storage.question_counts(*EVER) == [("ru", 2, 1)]
        assert [(t, n) for t, _lang, n in await storage.topic_counts(*EVER)] == [
            ("uk-115-1-stalking", 1)
        ]
        [unanswered] = await storage.unanswered(*EVER)
        assert unanswered.text == "как сварить борщ"


async def test_unanswered_questions_are_held_redacted_and_written_on_flush(
    storage: SQLStorage,
) -> None:
    stats = StatsBuffer()
    stats.not_answered("мошенник просит карту 4400 4301 2345 6789", "ru")
    stats.not_answered("салық туралы", "kk")
    assert "4400" not in repr(stats.unanswered)  # not even in memory
    assert await storage.unanswered(*EVER) == []  # nothing written before the flush
    await stats.flush(storage)
    await stats.flush(storage)  # nothing new: nothing added
    texts = [(q.text, q.lang) for q in await storage.unanswered(*EVER)]
    assert len(texts) == 2
    assert texts[1] == ("салық туралы", "kk")
    assert "4400" not in texts[0][0] and texts[0][0].startswith("мошенник просит карту")


async def test_unanswered_questions_are_kept_when_a_flush_fails(database: str) -> None:
    stats = StatsBuffer()
    stats.not_answered("как сварить борщ", "ru")
    with pytest.raises(RuntimeError):
        await stats.flush(storage_for(database))  # never opened
    async with storage_for(database) as storage:
        await stats.flush(storage)
        assert [q.text for q in await storage.unanswered(*EVER)] == ["как сварить борщ"]


async def test_a_flood_of_unanswered_questions_is_capped(
    storage: SQLStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.storage.stats.MAX_PENDING", 3)
    stats = StatsBuffer()
    for i in range(5):
        stats.not_answered(f"вопрос {i}", "ru")
    assert stats.dropped == 2
    await stats.flush(storage)
    assert [q.text for q in await storage.unanswered(*EVER)] == ["вопрос 0", "вопрос 1", "вопрос 2"]
    assert stats.dropped == 0
