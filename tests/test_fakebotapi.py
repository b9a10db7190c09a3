"""Tests of the fake Bot API server, driven by the real python-telegram-bot client."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import io
from collections.abc import AsyncIterator

import aiohttp
import pytest
from fakebotapi import BadRequest as FakeBadRequest
from fakebotapi import FakeBotAPI, parse_telegram_html, validate_telegram_html, wait_until
from PIL import Image
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Conflict, Forbidden, NetworkError, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

TOKEN = "123456789:TEST-token-for-the-fake-bot-api"
USER_ID = 1001


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB 22 warns (PTBDeprecationWarning) whenever RetryAfter.retry_after is read, including
    # inside RetryAfter.__init__, unless the future timedelta behaviour is opted into. With
    # filterwarnings=error that warning would replace the RetryAfter exception itself.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def bot(api: FakeBotAPI) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=f"{api.url}/bot", base_file_url=f"{api.url}/file/bot") as b:
        yield b


# --- a tiny echo bot -------------------------------------------------------------------------


async def _start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton("Русский", callback_data="lang:ru")],
         [InlineKeyboardButton("Қазақша", callback_data="lang:kk")]]
    )  # fmt: skip
    payload = " ".join(context.args or [])
    await update.effective_message.reply_html(
        f"<b>Сәлем!</b> payload={payload or '-'}", reply_markup=keyboard
    )


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None and update.effective_message.text is not None
    await update.effective_message.reply_text(update.effective_message.text)


async def _button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer(f"chosen {query.data}")
    await query.edit_message_text(f"Language: {query.data}")


@contextlib.asynccontextmanager
async def running_echo_bot(api: FakeBotAPI) -> AsyncIterator[Application]:
    application = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(f"{api.url}/bot")
        .base_file_url(f"{api.url}/file/bot")
        .build()
    )
    application.add_handler(CommandHandler("start", _start))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, _echo))
    application.add_handler(CallbackQueryHandler(_button))
    async with application:
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0.0, timeout=10)
        await application.start()
        try:
            yield application
        finally:
            await application.updater.stop()
            await application.stop()


# --- end to end --------------------------------------------------------------------------------


async def test_echo_bot_roundtrip(api: FakeBotAPI) -> None:
    alice = api.user(USER_ID, first_name="Алия", language_code="kk")
    async with running_echo_bot(api):
        await api.send_text(alice, "Привет, бот")
        [reply] = await api.wait_for(alice.id)
        assert reply["text"] == "Привет, бот"
        assert reply["chat_id"] == alice.id

        await api.send_command(alice, "/start", payload="from_site")
        [greeting] = await api.wait_for(alice.id)
        assert greeting["text"] == "Сәлем! payload=from_site"
        assert greeting["raw_text"] == "<b>Сәлем!</b> payload=from_site"
        assert greeting["entities"] == [{"type": "bold", "offset": 0, "length": 6}]
        assert greeting["message_id"] > reply["message_id"]

        # Not a message for the echo handler: nothing comes back. The bot handles a chat's
        # updates in order, so the next message after the sticker is the echo of the text
        # that follows it.
        await api.send_sticker(alice)
        await api.send_text(alice, "после стикера")
        [after_sticker] = await api.wait_for(alice.id)
        assert after_sticker["text"] == "после стикера"

    assert api.errors == []
    assert api.pending_updates == []  # PTB confirmed every update on shutdown
    assert [m["text"] for m in api.messages(alice.id)] == [
        reply["text"], greeting["text"], after_sticker["text"]
    ]  # fmt: skip


async def test_group_messages_and_user_edits(api: FakeBotAPI) -> None:
    alice = api.user(USER_ID, username="aliya")
    group = api.group(-100500, title="Юристы")
    async with running_echo_bot(api):
        asked_update = await api.send_group_text(group, alice, "в группе")
        [reply] = await api.wait_for(group)
        asked = api.update(asked_update)["message"]
        assert reply["text"] == "в группе"
        assert reply["reply_to_message_id"] == asked["message_id"]  # PTB quotes in groups

        update_id = await api.send_text(alice, "опечтака")
        await api.wait_for(alice.id)
        message_id = api.update(update_id)["message"]["message_id"]
        await api.edit_text(alice, message_id, "опечатка")
        [echo_of_edit] = await api.wait_for(alice.id)
        assert echo_of_edit["text"] == "опечатка"
    assert api.errors == []


async def test_press_delivers_a_callback_query(api: FakeBotAPI) -> None:
    alice = api.user(USER_ID)
    async with running_echo_bot(api):
        await api.send_command(alice, "/start")
        [menu] = await api.wait_for(alice.id)
        assert menu["reply_markup"]["inline_keyboard"][1][0]["callback_data"] == "lang:kk"

        with pytest.raises(AssertionError, match="no button with callback_data 'lang:en'"):
            await api.press(alice, menu, "lang:en")

        update_id = await api.press(alice, menu, "lang:kk")
        edited = await api.wait_for_edit(alice.id, menu["message_id"])
        answer = await api.wait_for_callback_answer(update_id)

    assert edited["text"] == "Language: lang:kk"
    assert edited["reply_markup"] is None  # an edit without reply_markup drops the keyboard
    assert answer["text"] == "chosen lang:kk"
    assert answer["message_id"] == menu["message_id"]
    assert api.errors == []


async def test_wait_for_timeout_explains_what_arrived(api: FakeBotAPI, bot: Bot) -> None:
    alice = api.user(USER_ID)
    await bot.send_message(alice.id, "one")
    with pytest.raises(AssertionError, match=r"waiting for 2 new bot message.*got 1.*'one'"):
        await api.wait_for(alice.id, count=2, timeout=0.2)
    [one] = await api.wait_for(alice.id)
    assert one["text"] == "one"


# --- long polling ------------------------------------------------------------------------------


async def waiting_poll(api: FakeBotAPI) -> None:
    """Wait until the server holds a getUpdates long poll open."""
    await wait_until(lambda: api.waiting_polls == 1, message="the server holds one long poll")


async def test_get_updates_returns_as_soon_as_an_update_arrives(api: FakeBotAPI, bot: Bot) -> None:
    alice = api.user(USER_ID)
    poll = asyncio.create_task(bot.get_updates(timeout=60))
    await waiting_poll(api)  # held open: nothing to deliver yet
    update_id = await api.send_text(alice, "hello")
    # Only a safety net against hanging: the poll asked for 60 s, so an answer with the update
    # can only come from the update ending the wait.
    updates = await asyncio.wait_for(poll, timeout=30)
    assert [u.update_id for u in updates] == [update_id]
    assert updates[0].message is not None and updates[0].message.text == "hello"
    assert api.polls == [{"timeout": 60.0, "outcome": "updates", "update_ids": [update_id]}]
    assert api.waiting_polls == 0


async def test_get_updates_times_out_with_an_empty_list(api: FakeBotAPI, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=1))
    await waiting_poll(api)  # the server holds the poll instead of answering at once…
    assert await poll == ()  # …then answers [] because its own timeout passed
    assert api.polls == [{"timeout": 1.0, "outcome": "timeout", "update_ids": []}]


async def test_get_updates_offset_and_limit(api: FakeBotAPI, bot: Bot) -> None:
    alice = api.user(USER_ID)
    ids = [await api.send_text(alice, f"m{n}") for n in range(3)]
    assert [u.update_id for u in await bot.get_updates(limit=2)] == ids[:2]
    assert [u.update_id for u in await bot.get_updates()] == ids  # nothing confirmed yet
    assert [u.update_id for u in await bot.get_updates(offset=ids[1] + 1)] == ids[2:]
    assert await bot.get_updates(offset=ids[2] + 1) == ()
    assert api.pending_updates == []


async def test_a_second_poller_terminates_the_first_with_conflict(api: FakeBotAPI) -> None:
    base_url = f"{api.url}/bot"
    async with Bot(TOKEN, base_url=base_url) as first, Bot(TOKEN, base_url=base_url) as second:
        first_poll = asyncio.create_task(first.get_updates(timeout=10))
        await waiting_poll(api)
        second_poll = asyncio.create_task(second.get_updates(timeout=10))
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await asyncio.wait_for(first_poll, timeout=3)
        await api.send_text(api.user(USER_ID), "hi")
        assert len(await asyncio.wait_for(second_poll, timeout=3)) == 1
    assert [poll["outcome"] for poll in api.polls] == ["conflict", "updates"]


# --- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "plain"),
    [
        ("<b>bold</b> <strong>s</strong> <i>i</i> <em>e</em> <u>u</u> <ins>n</ins>", None),
        ("<s>s</s> <strike>k</strike> <del>d</del> <tg-spoiler>x</tg-spoiler>", None),
        ('<span class="tg-spoiler">hidden</span> <a href="https://adilet.zan.kz">law</a>', None),
        ('<pre><code class="language-python">print(1)</code></pre> <code>x</code>', None),
        ("<blockquote>q</blockquote><blockquote expandable>long</blockquote>", None),
        ('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>', None),
        ("&lt;tag&gt; &amp; &quot;q&quot; &#1179; &#x4D9;", '<tag> & "q" қ ә'),
        ("<b>жирный <i>и курсив</i></b>", "жирный и курсив"),
    ],
)
def test_html_validator_accepts_telegram_html(html: str, plain: str | None) -> None:
    result = validate_telegram_html(html)
    assert "<" not in result.replace("<tag>", "")
    if plain is not None:
        assert result == plain


@pytest.mark.parametrize(
    ("html", "description"),
    [
        ("<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
        ("Статья <br> 5", 'Unsupported start tag "br" at byte offset 13'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("AT&T", 'Unsupported HTML entity "&T" at byte offset 2'),
        ("a&nbsp;b", 'Unsupported HTML entity "&nbsp;" at byte offset 1'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
        ("<a>x</a>", 'Tag "a" must have an "href" attribute'),
    ],
)
def test_html_validator_rejects_bad_html(html: str, description: str) -> None:
    with pytest.raises(FakeBadRequest) as excinfo:
        validate_telegram_html(html)
    assert excinfo.value.description.startswith("Bad Request: can't parse entities: ")
    assert description in excinfo.value.description


def test_lenient_mode_matches_telegram_for_ampersands() -> None:
    # Telegram itself keeps an undecodable "&" literally; strict mode (default) rejects it.
    assert parse_telegram_html("AT&T &nbsp;", strict=False).text == "AT&T &nbsp;"


def test_html_entities_use_utf16_offsets() -> None:
    parsed = parse_telegram_html("😀 <b>Қ</b>")
    assert parsed.text == "😀 Қ"
    assert parsed.entities == [{"type": "bold", "offset": 3, "length": 1}]


async def test_send_message_rejections_reach_ptb(api: FakeBotAPI, bot: Bot) -> None:
    alice = api.user(USER_ID)
    with pytest.raises(BadRequest) as excinfo:
        await bot.send_message(alice.id, "<p>hi</p>", parse_mode=ParseMode.HTML)
    # PTB strips "Bad Request: " and capitalizes, so compare against what the server said.
    assert api.errors[-1]["description"] == (
        'Bad Request: can\'t parse entities: Unsupported start tag "p" at byte offset 0'
    )
    assert excinfo.value.message == (
        'Can\'t parse entities: unsupported start tag "p" at byte offset 0'
    )

    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(alice.id, "  \n ")
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(alice.id, "<b> </b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(alice.id, "я" * 4097)
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(999, "nobody there")

    # The limit counts the text after parsing: 4096 letters plus markup is fine.
    await bot.send_message(alice.id, "<b>" + "я" * 4096 + "</b>", parse_mode=ParseMode.HTML)
    [long_message] = await api.wait_for(alice.id)
    assert len(long_message["text"]) == 4096
    assert [e["description"] for e in api.errors][1:] == [
        "Bad Request: message text is empty",
        "Bad Request: message text is empty",
        "Bad Request: message is too long",
        "Bad Request: chat not found",
    ]


async def test_callback_data_is_limited_to_64_bytes(api: FakeBotAPI, bot: Bot) -> None:
    alice = api.user(USER_ID)

    def keyboard(data: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup([[InlineKeyboardButton("go", callback_data=data)]])

    await bot.send_message(alice.id, "ok", reply_markup=keyboard("й" * 32))  # 64 bytes
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(alice.id, "too long", reply_markup=keyboard("й" * 33))  # 66 bytes
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(alice.id, "too long", reply_markup=keyboard("x" * 65))
    with pytest.raises(BadRequest, match="Button_url_invalid"):
        bad_url = InlineKeyboardMarkup([[InlineKeyboardButton("site", url="javascript:alert(1)")]])
        await bot.send_message(alice.id, "bad url", reply_markup=bad_url)
    assert [m["text"] for m in api.messages(alice.id)] == ["ok"]
    # PTB capitalizes the description; the server answered Telegram's exact text.
    assert [e["description"] for e in api.errors] == [
        "Bad Request: BUTTON_DATA_INVALID",
        "Bad Request: BUTTON_DATA_INVALID",
        "Bad Request: BUTTON_URL_INVALID",
    ]


async def test_edit_not_modified_and_not_found(api: FakeBotAPI, bot: Bot) -> None:
    alice = api.user(USER_ID)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("again", callback_data="again")]])
    sent = await bot.send_message(alice.id, "<b>Hi</b>", parse_mode="HTML", reply_markup=markup)

    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text(
            "<b>Hi</b>", alice.id, sent.message_id, parse_mode="HTML", reply_markup=markup
        )
    assert api.errors[-1]["description"].startswith("Bad Request: message is not modified: ")

    # Same text without bold is a different content for Telegram.
    await bot.edit_message_text("Hi", alice.id, sent.message_id, reply_markup=markup)
    edited = await api.wait_for_edit(alice.id, sent.message_id)
    assert (edited["text"], edited["entities"], edited["edits"]) == ("Hi", [], 1)

    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", alice.id, sent.message_id + 100)

    await bot.edit_message_reply_markup(alice.id, sent.message_id, reply_markup=None)
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(alice.id, sent.message_id, reply_markup=None)
    assert await bot.delete_message(alice.id, sent.message_id) is True
    assert api.messages(alice.id) == []


async def test_blocked_chat_is_forbidden(api: FakeBotAPI, bot: Bot) -> None:
    alice = api.user(USER_ID)
    api.block(alice)
    with pytest.raises(Forbidden, match="Forbidden: bot was blocked by the user"):
        await bot.send_message(alice.id, "hello")
    with pytest.raises(Forbidden):
        await bot.send_chat_action(alice.id, "typing")
    api.unblock(alice)
    await bot.send_message(alice.id, "hello again")
    assert api.errors[0]["error_code"] == 403


# --- flood control and faults ----------------------------------------------------------------


async def test_rate_limit_is_off_by_default(api: FakeBotAPI, bot: Bot) -> None:
    alice = api.user(USER_ID)
    await asyncio.gather(*(bot.send_message(alice.id, f"#{n}") for n in range(40)))
    assert len(await api.wait_for(alice.id, count=40)) == 40
    assert api.too_many_requests == 0


class ManualClock:
    """The fake server's flood-control clock, moved by the test instead of by waiting."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_per_chat_rate_limit_answers_429() -> None:
    clock = ManualClock()
    async with (
        FakeBotAPI(per_chat_rate=1.0, clock=clock) as api,
        Bot(TOKEN, base_url=f"{api.url}/bot") as bot,
    ):
        alice, bob = api.user(USER_ID), api.user(USER_ID + 1)
        await bot.send_message(alice.id, "first")
        with pytest.raises(RetryAfter) as excinfo:
            await bot.send_message(alice.id, "second")
        assert excinfo.value.retry_after == dtm.timedelta(seconds=1)
        await bot.send_message(bob.id, "another chat is fine")
        assert api.too_many_requests == 1
        assert api.errors[-1]["description"] == "Too Many Requests: retry after 1"

        clock.now += 0.5  # still inside alice's one-second window
        with pytest.raises(RetryAfter):
            await bot.send_message(alice.id, "second, too early")
        clock.now += 0.5  # the window has passed
        await bot.send_message(alice.id, "second, after waiting")
        assert [m["text"] for m in api.messages(alice.id)] == ["first", "second, after waiting"]
        assert api.too_many_requests == 2


async def test_global_rate_limit_answers_429() -> None:
    clock = ManualClock()
    async with (
        FakeBotAPI(global_rate=3, clock=clock) as api,
        Bot(TOKEN, base_url=f"{api.url}/bot") as bot,
    ):
        users = [api.user(USER_ID + n) for n in range(4)]
        for user in users[:3]:
            await bot.send_message(user.id, "hi")
        with pytest.raises(RetryAfter) as excinfo:
            await bot.send_message(users[3].id, "hi")
        assert excinfo.value.retry_after == dtm.timedelta(seconds=1)
        await bot.send_chat_action(users[3].id, "typing")  # not a message: not limited
        assert api.too_many_requests == 1
        clock.now += 1.0
        await bot.send_message(users[3].id, "hi, a second later")
        assert [len(api.messages(user)) for user in users] == [1, 1, 1, 1]


async def test_wait_until_returns_the_value_or_says_what_it_waited_for() -> None:
    values = iter([0, 0, 7])
    assert await wait_until(lambda: next(values), timeout=5) == 7
    with pytest.raises(AssertionError, match=r"timed out after 0.05s waiting until it rains$"):
        await wait_until(lambda: False, timeout=0.05, message="it rains")
    with pytest.raises(AssertionError, match=r"waiting until 3 sunny days$"):
        await wait_until(lambda: False, timeout=0.05, message=lambda: f"{3} sunny days")


async def test_fail_next_injects_errors(api: FakeBotAPI, bot: Bot) -> None:
    alice = api.user(USER_ID)
    api.fail_next("sendMessage")  # 502 Bad Gateway with an HTML body, like nginx
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(alice.id, "lost")
    api.fail_next("sendMessage", retry_after=7)
    with pytest.raises(RetryAfter) as excinfo:
        await bot.send_message(alice.id, "throttled")
    assert excinfo.value.retry_after == dtm.timedelta(seconds=7)
    api.drop_connection_next("sendMessage")
    with pytest.raises(NetworkError):
        await bot.send_message(alice.id, "dropped")
    await bot.send_message(alice.id, "delivered")
    assert [m["text"] for m in api.messages(alice.id)] == ["delivered"]
    assert [e["error_code"] for e in api.errors] == [502, 429, 0]


async def test_round_trip_holds_each_answer_back_after_handling_it(api: FakeBotAPI) -> None:
    alice = api.user(USER_ID)
    url = f"{api.url}/bot{TOKEN}/sendMessage"
    async with aiohttp.ClientSession() as session:

        async def send(text: str) -> int:
            async with session.post(url, json={"chat_id": alice.id, "text": text}) as answer:
                return answer.status

        api.round_trip = 3600.0
        held = asyncio.create_task(send("held"))
        await api.wait_for(alice.id)  # handled and stored: only the answer is held back
        api.round_trip = 0.0
        assert await send("answered") == 200  # sent after the first, answered before it
        assert not held.done()
        held.cancel()
    assert [m["text"] for m in api.messages(alice.id)] == ["held", "answered"]


# --- other methods --------------------------------------------------------------------------------


async def test_send_document_keeps_bytes_and_filename(api: FakeBotAPI, bot: Bot) -> None:
    alice = api.user(USER_ID)
    content = "Өтініш / Заявление\n".encode() * 100
    await bot.send_document(
        alice.id, document=content, filename="заявление.txt", caption="<i>Шаблон</i>",
        parse_mode="HTML",
    )  # fmt: skip
    [message] = await api.wait_for(alice.id)
    assert message["document"]["file_name"] == "заявление.txt"
    assert message["document"]["content"] == content
    assert message["document"]["mime_type"] == "text/plain"
    assert message["caption"] == "Шаблон"
    # The bot can download what it (or a user) sent through base_file_url.
    telegram_file = await bot.get_file(message["document"]["file_id"])
    assert await telegram_file.download_as_bytearray() == bytearray(content)


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(out, format="PNG")
    return out.getvalue()


async def test_send_photo_keeps_the_image_and_checks_it(api: FakeBotAPI, bot: Bot) -> None:
    alice = api.user(USER_ID)
    content = _png(400, 300)
    sent = await bot.send_photo(
        alice.id, photo=InputFile(content, filename="chart.png"), caption="<b>Отчёт</b>",
        parse_mode="HTML",
    )  # fmt: skip
    [message] = await api.wait_for(alice.id)
    assert (message["method"], message["caption"]) == ("sendPhoto", "Отчёт")
    assert (message["photo"]["width"], message["photo"]["height"]) == (400, 300)
    assert message["photo"]["content"] == content
    assert (sent.photo[-1].width, sent.caption) == (400, "Отчёт")  # PTB reads the answer
    downloaded = await (await bot.get_file(sent.photo[-1].file_id)).download_as_bytearray()
    assert downloaded == bytearray(content)
    with pytest.raises(BadRequest, match=r"(?i)image_process_failed"):
        await bot.send_photo(alice.id, photo=InputFile(b"not an image", filename="x.png"))
    with pytest.raises(BadRequest, match=r"(?i)photo_invalid_dimensions"):
        await bot.send_photo(alice.id, photo=InputFile(_png(1000, 40), filename="strip.png"))
    assert [e["description"] for e in api.errors] == [
        "Bad Request: IMAGE_PROCESS_FAILED", "Bad Request: PHOTO_INVALID_DIMENSIONS",
    ]  # fmt: skip


async def test_media_updates_parse_in_ptb(api: FakeBotAPI, bot: Bot) -> None:
    alice = api.user(USER_ID)
    await api.send_photo(alice, caption="скан")
    await api.send_voice(alice)
    await api.send_location(alice)
    await api.send_document(alice, "иск.pdf", b"%PDF-1.7 test")
    await api.send_sticker(alice)
    photo, voice, location, document, sticker = [u.message for u in await bot.get_updates()]
    assert photo is not None and photo.caption == "скан" and len(photo.photo) == 3
    assert voice is not None and voice.voice is not None and voice.voice.mime_type == "audio/ogg"
    assert location is not None and location.location is not None
    assert document is not None and document.document is not None
    assert document.document.file_name == "иск.pdf"
    assert sticker is not None and sticker.sticker is not None
    downloaded = await (await bot.get_file(document.document.file_id)).download_as_bytearray()
    assert downloaded == bytearray(b"%PDF-1.7 test")
    message_ids = [m.message_id for m in (photo, voice, location, document, sticker)]
    assert message_ids == [1, 2, 3, 4, 5]


async def test_commands_are_stored_per_scope_and_language(api: FakeBotAPI, bot: Bot) -> None:
    from telegram import BotCommand, BotCommandScopeAllPrivateChats

    await bot.set_my_commands([BotCommand("start", "Бастау")], language_code="kk")
    await bot.set_my_commands(
        [BotCommand("start", "Начать"), BotCommand("help", "Помощь")],
        scope=BotCommandScopeAllPrivateChats(),
        language_code="ru",
    )
    assert api.commands[("default", "kk")] == [{"command": "start", "description": "Бастау"}]
    assert [c["command"] for c in api.commands[("all_private_chats", "ru")]] == ["start", "help"]
    got = await bot.get_my_commands(scope=BotCommandScopeAllPrivateChats(), language_code="ru")
    assert [c.command for c in got] == ["start", "help"]
    assert await bot.get_my_commands() == ()
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Start-Now", "x")])
    await bot.delete_my_commands(language_code="kk")
    assert ("default", "kk") not in api.commands


async def test_raw_http_json_get_and_unknown_method(api: FakeBotAPI) -> None:
    alice = api.user(USER_ID)
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{api.url}/bot{TOKEN}/getMe") as response:
            body = await response.json()
            assert body["ok"] is True and body["result"]["id"] == 123456789
        payload = {
            "chat_id": alice.id,
            "text": "json body",
            "reply_markup": {"inline_keyboard": [[{"text": "a", "callback_data": "a"}]]},
        }
        async with session.post(f"{api.url}/bot{TOKEN}/SENDMESSAGE", json=payload) as response:
            body = await response.json()
            assert body["ok"] is True and body["result"]["message_id"] == 1
        async with session.post(f"{api.url}/bot{TOKEN}/sendTelepathy") as response:
            assert response.status == 404
            assert await response.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found",
            }
    [sent] = api.requests_for("sendMessage")
    assert sent["reply_markup"]["inline_keyboard"][0][0]["text"] == "a"
    assert api.errors == [
        {"method": "sendTelepathy", "error_code": 404, "description": "Not Found", "params": {}}
    ]


async def test_undecodable_parameters_are_rejected_and_logged(api: FakeBotAPI) -> None:
    alice = api.user(USER_ID)
    form = {"chat_id": str(alice.id), "text": "hi", "reply_markup": "{not json"}
    url = f"{api.url}/bot{TOKEN}/sendMessage"
    async with aiohttp.ClientSession() as session, session.post(url, data=form) as response:
        assert response.status == 400
    [error] = api.errors
    assert error["description"] == "Bad Request: can't parse reply keyboard markup JSON object"
    assert error["params"] == {"chat_id": alice.id, "text": "hi", "reply_markup": "{not json"}
