"""Shared fixtures: the bundled knowledge base, a fixed clock, a temporary database, a fake
Bot API server; and a clock the test moves."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fakebotapi import FakeBotAPI

from bot.conversation.assistant import Assistant
from bot.knowledge.library import Library
from bot.knowledge.loader import default_content_dir
from bot.storage.sqlite import SQLiteStorage

DATA = Path(__file__).parent / "data"
# A fixed "now" before the bundled hearing (28 April 2026), so it counts as upcoming.
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


class Clock:
    """A wall clock the test sets (``now``) or moves (``advance``) by hand."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(scope="session", autouse=True)
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Trained models go to a temporary directory, never to the user's cache."""
    path = tmp_path_factory.mktemp("models")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ZANBOT_MODEL_DIR", str(path))
        yield path


@pytest.fixture(scope="session")
def library(model_dir: Path) -> Library:
    """The bundled content, loaded once for the whole run (read-only); its model is stored
    where the processes that tests start (`zanbot run`) find it."""
    return Library(models=model_dir)


@pytest.fixture
def assistant(library: Library) -> Assistant:
    return Assistant(library, clock=lambda: NOW)


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled content, for tests that edit or break it."""
    target = tmp_path / "content"
    shutil.copytree(default_content_dir(), target)
    return target


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[SQLiteStorage]:
    async with SQLiteStorage(tmp_path / "zanbot.sqlite3") as store:
        yield store


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    """A fake Bot API server with no flood control, for the bot to talk to."""
    async with FakeBotAPI() as server:
        yield server
