"""The SQL database under the stores, whichever engine it is: SQLite (one file) or PostgreSQL.

Every store of ``bot.storage`` writes its SQL once, in the dialect both engines share: ``?``
placeholders (PostgreSQL's adapter numbers them), ``INSERT … ON CONFLICT``, ``RETURNING``,
times as ISO 8601 UTC text. What differs between the engines (connections, transactions, the
schema's column types, the migrations' locking) stays behind this interface, in
``bot.storage.connection`` (SQLite) and ``bot.storage.postgresql``.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from bot.storage import migrations as schema
from bot.storage.interface import Clock, utc_now

Rows = list[tuple[Any, ...]]


class Transaction(Protocol):
    """The statements of one transaction, on the connection that holds it."""

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> Rows:
        """Run one statement; return its rows (a query's, or a write's RETURNING)."""
        ...

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one write statement once per row of parameters."""
        ...


class Database(abc.ABC):
    """A connection (or pool) to one database; ``open()`` brings its schema up to date.

    ``clock`` returns the current time and is injectable for tests.
    """

    # Ends a SELECT of rows to claim: on PostgreSQL concurrent claims pass over the rows
    # another worker is claiming; SQLite has one writer at a time and no row locks.
    skip_locked = ""

    def __init__(self, *, clock: Clock = utc_now) -> None:
        self._clock = clock

    @abc.abstractmethod
    async def open(self) -> None:
        """Connect, then apply the migrations not yet applied; idempotent."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Release the connections; safe to call twice."""

    @abc.abstractmethod
    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> Rows:
        """Run a read query and return its rows as tuples."""

    @abc.abstractmethod
    async def execute(self, sql: str, params: Iterable[Any] = ()) -> Rows:
        """Run one write statement on its own (committed at once); return any RETURNING rows."""

    @abc.abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[Transaction]:
        """Run the block's statements as one transaction: all of them, or none on an error."""

    def now_iso(self) -> str:
        """Return the current time as stored: ISO 8601 UTC text."""
        return schema.to_iso(self._clock())
