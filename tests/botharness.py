"""Run the real Application against the fake Bot API server, for end-to-end tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from fakebotapi import FakeBotAPI
from telegram.ext import Application

from bot.config import Config
from bot.knowledge.library import Library
from bot.storage.sqlite import SQLiteStorage
from bot.telegram.app import build_application, on_shutdown, on_startup

TOKEN = "123456:TEST-TOKEN"


def make_config(api: FakeBotAPI, database: Path, **overrides: object) -> Config:
    """A configuration pointing the bot at the fake server, with a fresh database."""
    config = Config.load(env={}, dotenv=Path("/nonexistent"))
    return replace(config, token=TOKEN, api_url=api.url, database=database, **overrides)


@asynccontextmanager
async def running_bot(
    config: Config,
    library: Library,
    *,
    clock: Callable[[], datetime] | None = None,
) -> AsyncIterator[Application]:
    """Start the bot with long polling as `zanbot run` does, and stop it cleanly after."""
    storage = SQLiteStorage(config.database)
    app = build_application(config, library, storage, clock=clock)
    started = False
    try:
        async with app:  # initialize / shutdown
            await on_startup(app)  # what run_polling's post_init does
            started = True
            await app.start()
            assert app.updater is not None
            await app.updater.start_polling(poll_interval=0.0, timeout=1)
            try:
                yield app
            finally:
                await app.updater.stop()
                await app.stop()
    finally:
        if started:  # run_polling's post_shutdown: after PTB's shutdown wrote the persistence
            await on_shutdown(app)
