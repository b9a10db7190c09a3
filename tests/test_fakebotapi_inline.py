"""Inline mode of the fake Bot API server, driven by the real python-telegram-bot client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fakebotapi import FakeBotAPI
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest

TOKEN = "123456789:TEST-token-for-the-fake-bot-api"


@pytest.fixture
async def bot(api: FakeBotAPI) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=f"{api.url}/bot", base_file_url=f"{api.url}/file/bot") as b:
        yield b


def article(
    result_id: str, text: str = "<b>Ответ</b>", **extra: object
) -> InlineQueryResultArticle:
    content = InputTextMessageContent(text, parse_mode=ParseMode.HTML)
    return InlineQueryResultArticle(result_id, "Тема", content, **extra)  # type: ignore[arg-type]


async def query_id(api: FakeBotAPI, bot: Bot, text: str = "сталкинг") -> tuple[int, str]:
    """A user types an inline query; return its update id and the query id the bot got."""
    update_id = await api.send_inline_query(api.user(7, language_code="kk"), text)
    [update] = await bot.get_updates(timeout=1)
    assert update.update_id == update_id and update.inline_query is not None
    assert (update.inline_query.query, update.inline_query.chat_type) == (text, "private")
    return update_id, update.inline_query.id


async def test_inline_mode_is_off_until_set_with_botfather(api: FakeBotAPI, bot: Bot) -> None:
    assert (await bot.get_me()).supports_inline_queries is False
    with pytest.raises(AssertionError, match="setinline"):
        await api.send_inline_query(api.user(7), "сталкинг")
    api.set_inline("Ask about a law…")
    assert (await bot.get_me()).supports_inline_queries is True


async def test_an_answer_is_recorded_with_what_the_chat_would_show(
    api: FakeBotAPI, bot: Bot
) -> None:
    api.set_inline()
    update_id, qid = await query_id(api, bot)
    link = InlineKeyboardMarkup([[InlineKeyboardButton("Open", url="https://t.me/b?start=x")]])
    button = InlineQueryResultsButton("Open the bot", start_parameter="inline")
    results = [article("a:ru", "<b>Сталкинг</b> &amp; закон", reply_markup=link), article("b:kk")]
    assert await bot.answer_inline_query(qid, results, cache_time=30, is_personal=False,
                                         button=button)  # fmt: skip
    answer = await api.wait_for_inline_answer(update_id)
    assert (answer["query"], answer["user_id"], answer["cache_time"]) == ("сталкинг", 7, 30)
    assert (answer["is_personal"], answer["button"]["start_parameter"]) == (False, "inline")
    first = answer["results"][0]
    assert (first["id"], first["text"]) == ("a:ru", "Сталкинг & закон")
    assert first["entities"] == [{"type": "bold", "offset": 0, "length": 8}]
    assert [r["id"] for r in answer["results"]] == ["a:ru", "b:kk"]
    with pytest.raises(BadRequest, match="Query is too old"):  # a query is answered once
        await bot.answer_inline_query(qid, [])


@pytest.mark.parametrize(
    ("results", "button", "error"),
    [
        ([article(str(i)) for i in range(51)], None, "Results_too_much"),
        ([article("same"), article("same")], None, "Result_id_duplicate"),
        ([article("й" * 33)], None, "Result_id_invalid"),  # 66 bytes
        ([article("x", "<div>no</div>")], None, "unsupported start tag"),
        ([article("x", "а" * 4097)], None, "Message is too long"),
        ([], InlineQueryResultsButton("Open", start_parameter="no spaces"), "Start_param_invalid"),
    ],
)
async def test_answers_are_checked_like_telegram(
    api: FakeBotAPI, bot: Bot, results: list, button: InlineQueryResultsButton | None, error: str
) -> None:
    api.set_inline()
    _update_id, qid = await query_id(api, bot)
    with pytest.raises(BadRequest, match=error):
        await bot.answer_inline_query(qid, results, button=button)
    assert api.inline_answers == []
    assert [e["method"] for e in api.errors] == ["answerInlineQuery"]


async def test_a_chosen_result_reaches_the_bot_only_with_feedback_on(
    api: FakeBotAPI, bot: Bot
) -> None:
    api.set_inline()
    update_id, qid = await query_id(api, bot)
    await bot.answer_inline_query(qid, [article("a:ru"), article("b:kk")])
    answer = await api.wait_for_inline_answer(update_id)
    user = api.users[7]
    assert await api.choose_inline_result(user, answer, "a:ru") == 0  # feedback off
    with pytest.raises(AssertionError, match="no result 'c:ru'"):
        await api.choose_inline_result(user, answer, "c:ru")
    api.set_inline(feedback=True)
    chosen_id = await api.choose_inline_result(user, answer, "b:kk")
    [update] = await bot.get_updates(offset=update_id + 1, timeout=1)
    assert update.update_id == chosen_id and update.chosen_inline_result is not None
    assert update.chosen_inline_result.result_id == "b:kk"
    assert update.chosen_inline_result.query == "сталкинг"
