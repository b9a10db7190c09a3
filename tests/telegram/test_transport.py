"""The aiohttp transport (bot/telegram/transport.py) against the fake Bot API server: what
python-telegram-bot's own transport does, it does too."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fakebotapi import FakeBotAPI
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, NetworkError, RetryAfter

from bot.telegram.transport import AiohttpRequest

TOKEN = "123456:TRANSPORT"


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # RetryAfter.retry_after warns in PTB 22 unless the timedelta behaviour is opted into.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def bot(api: FakeBotAPI) -> AsyncIterator[Bot]:
    request = AiohttpRequest(connections=2)
    async with Bot(
        TOKEN, base_url=f"{api.url}/bot", base_file_url=f"{api.url}/file/bot",
        request=request, get_updates_request=AiohttpRequest(connections=1),
    ) as bot:  # fmt: skip
        yield bot


async def test_messages_with_markup_and_files_both_ways(api: FakeBotAPI, bot: Bot) -> None:
    alice = api.user(1001)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Да", callback_data="yes")]])
    sent = await bot.send_message(alice.id, "<b>Сәлем</b>", parse_mode="HTML",
                                  reply_markup=keyboard)  # fmt: skip
    content = "Өтініш\n".encode() * 1000
    document = await bot.send_document(alice.id, content, filename="өтініш.txt", caption="Үлгі")
    assert document.document is not None
    downloaded = await (await bot.get_file(document.document.file_id)).download_as_bytearray()
    assert downloaded == bytearray(content)
    text, file = api.messages(alice.id)
    assert (sent.text, text["text"], text["reply_markup"]) == ("Сәлем", "Сәлем", keyboard.to_dict())
    assert (file["document"]["file_name"], file["caption"]) == ("өтініш.txt", "Үлгі")


async def test_updates_arrive_by_long_poll(api: FakeBotAPI, bot: Bot) -> None:
    alice = api.user(1001)
    update_id = await api.send_text(alice, "салем")
    [update] = await bot.get_updates(timeout=5)
    assert (update.update_id, update.message and update.message.text) == (update_id, "салем")


async def test_failures_become_python_telegram_bot_errors(api: FakeBotAPI, bot: Bot) -> None:
    alice = api.user(1001)
    api.fail_next("sendMessage")  # 502 with an HTML body, as when Telegram is down
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(alice.id, "lost")
    api.fail_next("sendMessage", retry_after=7)
    with pytest.raises(RetryAfter):
        await bot.send_message(alice.id, "throttled")
    api.drop_connection_next("sendMessage")
    with pytest.raises(NetworkError, match="aiohttp"):
        await bot.send_message(alice.id, "dropped")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(999, "nobody")
    await bot.send_message(alice.id, "delivered")  # the pool recovers from the dropped one
    assert [m["text"] for m in api.messages(alice.id)] == ["delivered"]
