"""Tests for bot.knowledge.watch: live reload over a real content directory in tmp_path."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fakebotapi import wait_until

from bot.knowledge.library import Library
from bot.knowledge.topics import Problem
from bot.knowledge.watch import watch_content

INTERVAL = 0.01
TIMEOUT = 60.0  # generous: a reload trains the classifier again (seconds), slow CI more


@dataclass
class Watcher:
    library: Library
    changes: asyncio.Queue[list[Problem]]
    failures: int = 0  # on_change raises this many times before it starts to work
    looks: int = 0  # passes of the watch begun: each begins by asking the library if it changed

    async def on_change(self, problems: list[Problem]) -> None:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("admin chat unreachable")
        await self.changes.put(problems)

    async def next_change(self) -> list[Problem]:
        return await asyncio.wait_for(self.changes.get(), TIMEOUT)

    async def whole_passes(self, count: int = 3) -> None:
        """Wait until `count` passes of the watch that began after this call have ended (the
        next one has begun): whatever they reported is in `changes` by then."""
        since = self.looks
        await wait_until(
            lambda: self.looks > since + count,
            TIMEOUT,
            message=f"the watch made {count} more passes over the content",
        )


@pytest.fixture
def root(content_copy: Path) -> Path:
    """A writable copy of the bundled content (conftest) to edit and break."""
    return content_copy


@pytest.fixture
async def watcher(root: Path) -> AsyncIterator[Watcher]:
    library = Library(root)
    watcher = Watcher(library, asyncio.Queue())
    changed = library.changed

    def look() -> bool:
        watcher.looks += 1
        return changed()

    library.changed = look  # type: ignore[method-assign]
    stop = asyncio.Event()
    task = asyncio.create_task(
        watch_content(library, interval=INTERVAL, on_change=watcher.on_change, stop=stop)
    )
    yield watcher
    stop.set()
    await asyncio.wait_for(task, TIMEOUT)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def body(library: Library, topic_id: str = "smalltalk-thanks", lang: str = "ru") -> str:
    topic = library.kb.get(topic_id, lang)
    assert topic is not None
    return topic.body


async def test_edit_goes_live(watcher: Watcher, root: Path) -> None:
    path = root / "ru" / "smalltalk-thanks.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nНовая строка ответа.\n", "utf-8")
    assert await watcher.next_change() == []
    assert body(watcher.library).endswith("Новая строка ответа.")


async def test_broken_edit_is_rejected_then_fixed(watcher: Watcher, root: Path) -> None:
    path = root / "ru" / "smalltalk-thanks.md"
    before = body(watcher.library)
    edit(path, "category: smalltalk", "category: chitchat")
    line = path.read_text(encoding="utf-8").splitlines().index("category: chitchat") + 1
    problems = await watcher.next_change()
    # The loader also reports the kk twin as lacking a ru version: the real cause comes first.
    assert (problems[0].path, problems[0].line) == (path, line)
    assert problems[0].message.startswith("unknown category 'chitchat'")
    assert body(watcher.library) == before

    edit(path, "category: chitchat", "category: smalltalk")
    path.write_text(path.read_text(encoding="utf-8") + "\nИсправлено.\n", "utf-8")
    assert await watcher.next_change() == []
    assert body(watcher.library).endswith("Исправлено.")


async def test_rejected_edit_is_reported_once(watcher: Watcher, root: Path) -> None:
    edit(root / "kk" / "smalltalk-thanks.md", "category: smalltalk", "category: chitchat")
    assert (await watcher.next_change())[0].message.startswith("unknown category")
    await watcher.whole_passes()
    assert watcher.changes.empty()


async def test_survives_a_failing_callback(
    watcher: Watcher, root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    watcher.failures = 1
    path = root / "ru" / "smalltalk-thanks.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nПервая правка.\n", "utf-8")

    # The first reload's callback fails; the watcher logs it and keeps going.
    await wait_until(lambda: not watcher.failures, TIMEOUT, message="the first callback failed")
    assert "content watch failed" in caplog.text
    path.write_text(path.read_text(encoding="utf-8") + "\nВторая правка.\n", "utf-8")
    assert await watcher.next_change() == []
    assert body(watcher.library).endswith("Вторая правка.")


async def test_no_change_no_reload(watcher: Watcher) -> None:
    snapshot = watcher.library.snapshot
    await watcher.whole_passes()
    assert (watcher.changes.empty(), watcher.library.snapshot is snapshot) == (True, True)


async def test_stop_ends_the_watch(root: Path) -> None:
    stop = asyncio.Event()

    async def ignore(problems: list[Problem]) -> None:
        raise AssertionError("nothing changed")

    task = asyncio.create_task(
        watch_content(Library(root), interval=3600, on_change=ignore, stop=stop)
    )
    await asyncio.sleep(0)
    stop.set()
    await asyncio.wait_for(task, TIMEOUT)
    assert task.done()
