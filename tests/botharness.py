"""Run the real Application against the fake Bot API server, for end-to-end tests.

Tests wait for events, never for a fixed time. Besides the fake server's ``wait_for*`` helpers
and :func:`fakebotapi.wait_until`, two events of the bot itself are observable here: that it has
handled an update (:func:`until_handled`), and that its delivery worker has made a pass over the
due broadcasts (:func:`delivery_pass`). They prove that something the bot could have sent was
not sent, where a fixed wait would only hope so.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from fakebotapi import FakeBotAPI, FakeUser, wait_until
from telegram import Update
from telegram.ext import Application

from bot.broadcasting.delivery import DeliveryWorker
from bot.config import Config
from bot.knowledge.library import Library
from bot.storage.factory import storage_for
from bot.telegram.app import build_application, on_shutdown, on_startup
from bot.telegram.updates import PerChatUpdateProcessor

TOKEN = "123456:TEST-TOKEN"
_handled: dict[int, set[int]] = {}  # id(application) -> ids of the updates it has handled


class RecordingProcessor(PerChatUpdateProcessor):
    """The bot's update processor, noting each update once every handler is done with it
    (also when one stopped the others, or failed)."""

    def __init__(self, concurrent: int, handled: set[int]) -> None:
        super().__init__(concurrent)
        self.handled = handled

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        try:
            await super().do_process_update(update, coroutine)
        finally:
            if isinstance(update, Update):
                self.handled.add(update.update_id)


def make_config(api: FakeBotAPI, database: str | Path, **overrides: object) -> Config:
    """A configuration pointing the bot at the fake server, with a fresh database (a SQLite
    file, or a PostgreSQL URL)."""
    config = Config.load(env={}, dotenv=Path("/nonexistent"))
    return replace(config, token=TOKEN, api_url=api.url, database=str(database), **overrides)


@asynccontextmanager
async def running_bot(
    config: Config,
    library: Library,
    *,
    clock: Callable[[], datetime] | None = None,
    webhook_url: str | None = None,
) -> AsyncIterator[Application]:
    """Start the bot as `zanbot run` does, and stop it cleanly after: with long polling, or
    with a webhook server on ``config.webhook_port`` for `webhook_url` (``--webhook URL``)."""
    storage = storage_for(config.database)
    handled: set[int] = set()
    app = build_application(
        config, library, storage, clock=clock,
        processor=lambda concurrent: RecordingProcessor(concurrent, handled),
    )  # fmt: skip
    app.bot_data["webhook"] = webhook_url is not None  # what run_bot sets
    _handled[id(app)] = handled
    started = False
    try:
        async with app:  # initialize / shutdown
            await on_startup(app)  # what run_polling's post_init does
            started = True
            await app.start()
            assert app.updater is not None
            if webhook_url is None:
                await app.updater.start_polling(poll_interval=0.0, timeout=1)
            else:
                await app.updater.start_webhook(
                    listen="127.0.0.1", port=config.webhook_port, url_path="telegram",
                    webhook_url=webhook_url, allowed_updates=Update.ALL_TYPES,
                    drop_pending_updates=False,
                )  # fmt: skip
            try:
                yield app
            finally:
                await app.updater.stop()
                await app.stop()
    finally:
        _handled.pop(id(app), None)
        if started:  # run_polling's post_shutdown: after PTB's own shutdown
            await on_shutdown(app)


async def until_handled(app: Application, *update_ids: int, timeout: float = 10.0) -> None:
    """Wait until the bot has handled these updates: answered, ignored or dropped them.

    The bot's handlers await what they send, so whatever it sends for an update has reached
    the fake server by then.
    """
    handled = _handled[id(app)]
    await wait_until(
        lambda: handled.issuperset(update_ids),
        timeout,
        message=lambda: f"the bot handled updates {sorted(set(update_ids) - handled)}",
    )


async def press_for_edit(
    api: FakeBotAPI, user: FakeUser, message: dict[str, Any], data: str
) -> dict[str, Any]:
    """Press the button `data` on a bot message; return the message once the bot edits it."""
    await api.press(user, message, data)
    return await api.wait_for_edit(user, message["message_id"])


@dataclass
class _Passes:
    started: int = 0
    ended: dict[int, int | BaseException] = field(default_factory=dict)  # pass -> its outcome


async def delivery_pass(worker: DeliveryWorker, timeout: float = 10.0) -> int:
    """Wake the delivery worker and wait for a whole pass over the due broadcasts that began
    after this call; return how many broadcasts that pass delivered.

    The worker sends (and records) each message of a broadcast before its pass ends.
    """
    passes = _count_passes(worker)
    before = passes.started
    worker.wake()
    await wait_until(
        lambda: any(number > before for number in passes.ended),
        timeout,
        message="the delivery worker made a pass over the due broadcasts",
    )
    outcome = passes.ended[min(number for number in passes.ended if number > before)]
    if isinstance(outcome, BaseException):
        raise AssertionError(f"the delivery pass failed: {outcome!r}") from outcome
    return outcome


def _count_passes(worker: DeliveryWorker) -> _Passes:
    """Count the worker's passes (calls of its `deliver_due`), once per worker."""
    deliver_due = worker.deliver_due
    passes: _Passes | None = getattr(deliver_due, "passes", None)
    if passes is not None:
        return passes
    counter = _Passes()

    async def counted() -> int:
        counter.started += 1
        number = counter.started
        try:
            delivered = await deliver_due()
        except BaseException as exc:
            counter.ended[number] = exc
            raise
        counter.ended[number] = delivered
        return delivered

    counted.passes = counter  # type: ignore[attr-defined]
    worker.deliver_due = counted  # type: ignore[method-assign]
    return counter
