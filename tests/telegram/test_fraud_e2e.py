"""End to end: "Is this a scam?" on Telegram, a forwarded or pasted message checked for signs
of fraud, over real HTTP against the fake Bot API server; the message is never stored."""

from __future__ import annotations

from pathlib import Path

import pytest
from botharness import make_config, running_bot
from conftest import NOW
from fakebotapi import FakeBotAPI

from bot.knowledge.library import Library
from bot.storage.sqlite import SQLiteStorage

SCAM_RU = (
    "Здравствуйте! Служба безопасности Kaspi Bank. По вашей карте подозрительная операция. "
    "Для отмены назовите код из SMS: https://kaspi-bank.kz.verify-login.com/otmena"
)
SCAM_KK = (
    "Сәлеметсіз бе! Kaspi Bank қауіпсіздік қызметі. Картаңыз бұғатталды. Бұғаттан шығару "
    "үшін SMS-пен келген кодты айтыңыз: bit.ly/kaspi-kz"
)


def topic_buttons(message: dict) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b["callback_data"][2:] for row in markup.get("inline_keyboard", []) for b in row
            if b.get("callback_data", "").startswith("t:")]  # fmt: skip


@pytest.fixture
async def api():
    async with FakeBotAPI() as server:
        yield server


@pytest.fixture
def config(api: FakeBotAPI, tmp_path: Path):
    return make_config(api, tmp_path / "bot.sqlite3", flood_burst=50)


async def test_forwarded_scams_get_signs_and_buttons_and_are_never_stored(
    api: FakeBotAPI, config, library: Library
) -> None:
    ru = api.user(2001, language_code="ru")
    kk = api.user(2002, language_code="kk")
    async with running_bot(config, library, clock=lambda: NOW):
        await api.send_forwarded(ru, SCAM_RU, origin="Kaspi Bank")
        [reply] = await api.wait_for(ru.id)
        assert reply["parse_mode"] == "HTML"
        assert "Найдено признаков мошенничества" in reply["text"]
        assert "просят код из SMS" in reply["text"]
        assert "verify-login.com" in reply["text"]  # the site the link really leads to
        assert {"fraud-codes-and-cards", "fraud-victim-steps"} <= set(topic_buttons(reply))

        await api.send_forwarded(kk, SCAM_KK, origin={"type": "user", "sender_user": {
            "id": 777, "is_bot": False, "first_name": "Bank"}})  # fmt: skip
        [reply] = await api.wait_for(kk.id)
        assert "Табылған алаяқтық белгілері" in reply["text"]
        assert "SMS-кодты" in reply["text"] and "bit.ly" in reply["text"]
        assert "fraud-codes-and-cards" in topic_buttons(reply)

        # Pasted with the question, not forwarded: checked the same way.
        await api.send_text(ru, f"это мошенники?\n{SCAM_RU}")
        [reply] = await api.wait_for(ru.id)
        assert "Найдено признаков мошенничества" in reply["text"]

        # A short question about fraud still gets its topic from the matcher.
        await api.send_text(ru, "как защититься от мошенников")
        [reply] = await api.wait_for(ru.id)
        assert library.kb.get("fraud-protect-yourself", "ru").title in reply["text"]

        # A forwarded message with no sign: not called safe; the topic on protecting oneself.
        await api.send_forwarded(
            ru, "Мама, я доехала, всё хорошо. Позвоню вечером, сейчас на паре."
        )
        [reply] = await api.wait_for(ru.id)
        assert "не значит, что оно безопасно" in reply["text"]
        assert topic_buttons(reply) == ["fraud-protect-yourself"]
    # Stopped: statistics were flushed. Nothing of the checked messages is in the database.
    raw = b"".join(p.read_bytes() for p in Path(config.database).parent.glob("bot.sqlite3*"))
    for needle in ("verify-login", "kaspi-kz", "Служба безопасности", "қауіпсіздік", "доехала"):
        assert needle.encode() not in raw
    async with SQLiteStorage(config.database) as storage:
        counts = await storage.question_counts(
            NOW.date().replace(year=2000), NOW.date().replace(year=2100)
        )
    assert sum(asked for _lang, asked, _answered in counts) == 1  # only the real question
