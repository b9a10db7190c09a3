"""ZANBOT_LOG_FORMAT=json: one JSON object per line, redacted as the text lines are, and the
update being handled named in every record logged while it is bound."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from botharness import TOKEN, make_config, running_bot
from fakebotapi import FakeBotAPI

from bot.knowledge.library import Library
from bot.logs import bind_update_id, configure_logging, update_id

CARD, IIN, PHONE = "4400 4301 2345 6789", "900101300123", "+7 701 234 56 78"
KEYS = {"time", "level", "logger", "message"}


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Put the test runner's logging back after a test configured its own."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level, logging.getLogger("httpx").level
    yield
    root.handlers[:], level, httpx_level = saved
    root.setLevel(level)
    logging.getLogger("httpx").setLevel(httpx_level)


@pytest.fixture
def log(restore_logging: None) -> io.StringIO:
    stream = io.StringIO()
    configure_logging("DEBUG", fmt="json", secrets=(TOKEN,), stream=stream)
    return stream


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    """Parse every line written; fail on one that is not a JSON object."""
    parsed = []
    for line in stream.getvalue().splitlines():
        entry = json.loads(line)
        assert isinstance(entry, dict), line
        parsed.append(entry)
    return parsed


def test_each_record_is_one_json_line_with_the_keys(log: io.StringIO) -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    logging.getLogger("zanbot.test").info("first\nsecond line of the same record")
    logging.getLogger("zanbot.test").warning("Привет, %s", "мир")
    first, second = lines(log)
    assert set(first) == KEYS  # nothing bound: no update_id
    assert (first["level"], first["logger"]) == ("INFO", "zanbot.test")
    assert first["message"] == "first\nsecond line of the same record"
    assert second["message"] == "Привет, мир" and second["level"] == "WARNING"
    assert isinstance(first["time"], str) and first["time"].endswith("Z")
    moment = datetime.fromisoformat(first["time"])
    assert moment.utcoffset() == timedelta(0)
    assert before <= moment <= datetime.now(UTC) + timedelta(seconds=1)


def test_the_update_id_appears_when_bound(log: io.StringIO) -> None:
    logger = logging.getLogger("zanbot.test")
    token = bind_update_id(777)
    try:
        logger.info("inside")
    finally:
        update_id.reset(token)
    logger.info("outside")
    logger.info("explicit", extra={"update_id": 5})
    inside, outside, explicit = lines(log)
    assert inside["update_id"] == 777
    assert "update_id" not in outside
    assert explicit["update_id"] == 5


async def test_concurrent_updates_keep_their_own_id(log: io.StringIO) -> None:
    logger = logging.getLogger("zanbot.test")

    async def handle(number: int) -> None:  # as each update's task would
        bind_update_id(number)
        for step in range(3):
            await asyncio.sleep(0)
            logger.info("update %d step %d", number, step)

    await asyncio.gather(*(asyncio.create_task(handle(n)) for n in (101, 102, 103)))
    entries = [e for e in lines(log) if e["logger"] == "zanbot.test"]
    assert len(entries) == 9
    for entry in entries:
        assert entry["message"].startswith(f"update {entry['update_id']} ")
    assert update_id.get() is None  # the tasks' bindings stayed in the tasks


def test_secrets_are_redacted_in_json_too(log: io.StringIO) -> None:
    logger = logging.getLogger("telegram.ext.Application")
    logger.debug("update text: карта %s, ИИН %s, тел. %s", CARD, IIN, PHONE)
    logger.debug("POST https://api.telegram.org/bot%s/sendMessage", TOKEN)
    try:
        raise RuntimeError(f"failed for card {CARD}")
    except RuntimeError:
        logger.exception("handler failed")
    logger.info("where", stack_info=True, extra={"note": IIN})
    written = log.getvalue()
    for secret in (CARD, IIN, PHONE, TOKEN):
        assert secret not in written
    text, url, failure, _where = lines(log)
    assert "карта" in text["message"]
    assert url["message"] == "POST https://api.telegram.org/bot<secret>/sendMessage"
    assert failure["message"] == "handler failed"
    assert "RuntimeError: failed for card" in failure["exception"]


def test_an_unknown_format_is_refused(restore_logging: None) -> None:
    with pytest.raises(ValueError, match="unknown log format 'xml'"):
        configure_logging("INFO", fmt="xml")


async def test_a_debug_conversation_logs_only_json_lines(
    log: io.StringIO, library: Library, tmp_path: Path
) -> None:
    """The bot itself, at DEBUG: python-telegram-bot's records are JSON lines, redacted."""
    async with FakeBotAPI() as api:
        config = make_config(api, tmp_path / "bot.sqlite3", log_level="DEBUG", log_format="json")
        user = api.user(4002, language_code="ru")
        async with running_bot(config, library):
            sent = await api.send_text(user, f"мне звонили, я назвал карту {CARD}, ИИН {IIN}")
            await api.wait_for(user.id, count=1)
    entries = lines(log)
    assert any(str(e["logger"]).startswith("telegram") for e in entries)
    # The bot's records while it handled that update carry its id.
    assert any(e.get("update_id") == sent for e in entries)
    assert all(set(e) >= KEYS for e in entries)
    written = log.getvalue()
    for secret in (CARD, IIN, TOKEN):
        assert secret not in written
