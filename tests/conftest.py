"""Shared fixtures: the bundled knowledge base, a fixed clock, a temporary database."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.database import SQLiteStorage
from bot.dialogue import Assistant
from bot.knowledge import default_content_dir
from bot.library import Library

DATA = Path(__file__).parent / "data"
# A fixed "now" before the bundled hearing (28 April 2026), so it counts as upcoming.
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def library() -> Library:
    """The bundled content, loaded once for the whole run (read-only)."""
    return Library()


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
