"""Who administers the bot: the ids in the configuration plus those granted in the database.

The adapters need a fast, synchronous answer (Telegram handler filters are synchronous), so
the set is kept in memory: loaded at start and updated by `grant` and `revoke`.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.storage.interface import Storage


class ConfiguredAdmin(ValueError):
    """Admins from ZANBOT_ADMIN_IDS can only be removed in the configuration."""


class Admins:
    """The current administrators; `load()` before use."""

    def __init__(self, storage: Storage, configured: Iterable[int]) -> None:
        self.storage = storage
        self.configured = frozenset(configured)
        self._granted: frozenset[int] = frozenset()

    async def load(self) -> frozenset[int]:
        """Read the granted admins from the database; return everyone."""
        self._granted = frozenset(await self.storage.admin_ids())
        return self.ids

    @property
    def ids(self) -> frozenset[int]:
        return self.configured | self._granted

    def __contains__(self, user_id: object) -> bool:
        return user_id in self.configured or user_id in self._granted

    async def grant(self, user_id: int, *, by: int | None) -> bool:
        """Make `user_id` an admin; False when they already were one."""
        if user_id in self:
            return False
        await self.storage.grant_admin(user_id, granted_by=by)
        await self.load()
        return True

    async def revoke(self, user_id: int) -> bool:
        """Take admin rights away; False when they had none. Configured admins stay."""
        if user_id in self.configured:
            raise ConfiguredAdmin(f"{user_id} is an admin by configuration (ZANBOT_ADMIN_IDS)")
        if user_id not in self._granted:
            return False
        await self.storage.revoke_admin(user_id)
        await self.load()
        return True
