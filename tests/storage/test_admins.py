"""Tests for bot.storage.admins: configured and granted administrators, on both databases."""

from __future__ import annotations

import pytest

from bot.storage.admins import Admins, ConfiguredAdmin
from bot.storage.factory import storage_for
from bot.storage.sql import SQLStorage


async def test_granted_admins_are_stored_and_configured_ones_stay(storage: SQLStorage) -> None:
    admins = Admins(storage, [1])
    assert await admins.load() == {1}
    assert await admins.grant(2, by=1) is True
    assert await admins.grant(2, by=1) is False  # already one
    assert await admins.grant(1, by=1) is False  # by configuration
    assert (2 in admins, 3 in admins, admins.ids) == (True, False, {1, 2})
    assert await storage.admin_ids() == {2}  # only the granted one is in the database
    with pytest.raises(ConfiguredAdmin, match="ZANBOT_ADMIN_IDS"):
        await admins.revoke(1)
    assert await admins.revoke(2) is True
    assert await admins.revoke(2) is False
    assert (admins.ids, await storage.admin_ids()) == ({1}, set())


async def test_a_grant_outlives_the_process(database: str) -> None:
    async with storage_for(database) as storage:
        await Admins(storage, []).grant(7_000_000_000, by=None)  # Telegram ids pass 2^31
    async with storage_for(database) as storage:
        assert await Admins(storage, [5]).load() == {5, 7_000_000_000}
