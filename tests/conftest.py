"""Shared fixtures: the bundled knowledge base, a fixed clock, a temporary database (SQLite,
and PostgreSQL when configured), a fake Bot API server; and a clock the test moves."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from fakebotapi import FakeBotAPI

from bot.conversation.assistant import Assistant
from bot.knowledge.library import Library
from bot.knowledge.loader import default_content_dir
from bot.storage.factory import storage_for
from bot.storage.sql import SQLStorage

DATA = Path(__file__).parent / "data"
# A fixed "now" before the bundled hearing (28 April 2026), so it counts as upcoming.
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
# A PostgreSQL server where the tests may create databases (.ci/postgresql.sh starts one);
# without it the PostgreSQL half of the storage tests is skipped, except in CI.
POSTGRESQL = os.environ.get("ZANBOT_TEST_POSTGRESQL", "")
NO_POSTGRESQL = "no PostgreSQL server: set ZANBOT_TEST_POSTGRESQL (see .ci/postgresql.sh)"


def pytest_configure(config: pytest.Config) -> None:
    """CI runs every storage test on both databases: a CI run without PostgreSQL fails."""
    if os.environ.get("CI") and not POSTGRESQL:
        raise pytest.UsageError(f"CI: {NO_POSTGRESQL}")


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


@asynccontextmanager
async def scratch_postgresql() -> AsyncIterator[str]:
    """Create an empty database of its own on the test server; yield its URL, then drop it."""
    if not POSTGRESQL:
        pytest.skip(NO_POSTGRESQL)
    name = f"zanbot_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(POSTGRESQL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield urlunsplit(urlsplit(POSTGRESQL)._replace(path="/" + name))
    finally:
        admin = await asyncpg.connect(POSTGRESQL)
        try:
            await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture
async def postgresql() -> AsyncIterator[str]:
    """The URL of a new, empty PostgreSQL database, for the tests of PostgreSQL alone."""
    async with scratch_postgresql() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """Where a test's database is (ZANBOT_DATABASE): a new SQLite file, then a new PostgreSQL
    database; every test that takes it runs on both."""
    if request.param == "sqlite":
        yield str(tmp_path / "zanbot.sqlite3")
        return
    async with scratch_postgresql() as url:
        yield url


@pytest.fixture
async def storage(database: str) -> AsyncIterator[SQLStorage]:
    async with storage_for(database) as store:
        yield store


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    """A fake Bot API server with no flood control, for the bot to talk to."""
    async with FakeBotAPI() as server:
        yield server
