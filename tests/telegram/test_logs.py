"""A conversation logged at DEBUG, as an operator would run it to debug: nothing a user typed
that is private, and not the bot's token, reaches the log; python-telegram-bot's records do."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from botharness import TOKEN, make_config, running_bot
from fakebotapi import FakeBotAPI

from bot.knowledge.library import Library
from bot.logs import RedactingFilter, configure_logging, scrub

CARD, IIN, CODE, PHONE = "4400 4301 2345 6789", "900101300123", "4821", "+7 701 234 56 78"


@pytest.fixture
def log() -> Iterator[io.StringIO]:
    """Configure logging as `zanbot run` does at DEBUG; put the test runner's back after."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level, logging.getLogger("httpx").level
    stream = io.StringIO()
    configure_logging("DEBUG", secrets=(TOKEN,), stream=stream)
    yield stream
    root.handlers[:], level, httpx_level = saved
    root.setLevel(level)
    logging.getLogger("httpx").setLevel(httpx_level)


async def test_a_debug_log_keeps_nothing_private(
    log: io.StringIO, library: Library, tmp_path: Path
) -> None:
    async with FakeBotAPI() as api:
        config = make_config(api, tmp_path / "bot.sqlite3", log_level="DEBUG")
        user = api.user(4001, language_code="ru")
        async with running_bot(config, library):
            await api.send_text(user, f"мне звонили, я назвал карту {CARD}, ИИН {IIN}")
            await api.send_text(user, f"код из смс {CODE}, мой номер {PHONE}")
            await api.wait_for(user.id, count=2)
    written = log.getvalue()
    assert "Processing update" in written or "getUpdates" in written  # it did log at DEBUG
    for secret in (CARD, IIN, PHONE, f"код из смс {CODE}", TOKEN):
        assert secret not in written


def test_the_filter_redacts_arguments_and_tracebacks() -> None:
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "card %s", (CARD,), None)
    try:
        raise ValueError(f"IIN {IIN}")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    assert RedactingFilter().filter(record)
    assert CARD not in record.getMessage()
    assert record.exc_text is not None and IIN not in record.exc_text


def test_scrub_hides_the_token_in_api_urls() -> None:
    url = f"POST https://api.telegram.org/bot{TOKEN}/sendMessage"
    assert scrub(url, (TOKEN,)) == "POST https://api.telegram.org/bot<secret>/sendMessage"
