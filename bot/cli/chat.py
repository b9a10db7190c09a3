"""The terminal chat: the same conversation as on Telegram, for staff previews and for
anyone without a Telegram token. Buttons are shown as numbers to type, and do what they do on
Telegram (through the same `Buttons`); a calendar file is saved in the working directory, and
"share", which has no other chat to go to here, shows what it would send and the topic's link."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from bot.conversation import fraud, pages
from bot.conversation.assistant import LANG_NAMES, Assistant, Button, Reply
from bot.conversation.buttons import Buttons, Outcome
from bot.conversation.callbacks import Feedback, decode
from bot.conversation.subscriptions import subscriptions_page
from bot.i18n import DEFAULT_LANG
from bot.storage.factory import storage_for
from bot.storage.interface import Storage

USER_ID = 1  # the one user of a terminal session
HELP = {
    "ru": "Пишите вопрос; цифра нажимает кнопку; /menu — темы, /lang — язык, "
    "/subscribe — подписки, /about — о боте, /quit — выход.",
    "kk": "Сұрағыңызды жазыңыз; сан батырманы басады; /menu — тақырыптар, /lang — тіл, "
    "/subscribe — жазылымдар, /about — бот туралы, /quit — шығу.",
}


class ChatSession:
    """One terminal conversation: keeps the language and the buttons last shown."""

    def __init__(
        self, assistant: Assistant, storage: Storage, lang: str | None = None,
        *, downloads: Path | None = None, bot_username: str = "",
    ) -> None:  # fmt: skip
        self.assistant = assistant
        self.storage = storage
        self.presses = Buttons(assistant, storage, clock=assistant.clock, bot_username=bot_username)
        self.lang = lang
        self.downloads = downloads or Path.cwd()
        self.buttons: list[Button] = []

    def start(self) -> str:
        if self.lang is None:
            return self.show(self.assistant.choose_language())
        return self.show(self.assistant.menu(self.lang), prefix=HELP[self.lang])

    def show(self, reply: Reply, *, prefix: str = "") -> str:
        self.buttons = [b for row in reply.buttons for b in row]
        lines = [prefix] if prefix else []
        lines.append(reply.text)
        lines += [f"  [{i}] {b.text}" for i, b in enumerate(self.buttons, start=1)]
        return "\n".join(lines)

    async def press(self, data: str) -> str:
        """Act on a button's callback data through the same core as the Telegram adapter."""
        outcome = await self.presses.press(USER_ID, self.lang or DEFAULT_LANG, decode(data))
        return self._shown(outcome)

    def _shown(self, outcome: Outcome) -> str:
        lines: list[str] = []
        if outcome.notice:
            lines.append(outcome.notice)
        if outcome.drop_feedback:
            self.buttons = [b for b in self.buttons if not isinstance(decode(b.data), Feedback)]
        if outcome.document:
            path = self.downloads / outcome.document.name
            path.write_bytes(outcome.document.data)
            lines.append(f"📎 {path}")
        if outcome.lang:
            self.lang = outcome.lang
        if outcome.reply:
            prefix = HELP[outcome.lang] if outcome.lang else ""
            lines.append(self.show(outcome.reply, prefix=prefix))
        return "\n".join(lines)

    async def handle(self, line: str) -> str | None:
        """Answer one line typed by the user; None means the user wants to leave."""
        text = line.strip()
        if text in {"/quit", "/exit", "/q"}:
            return None
        if text.isdigit() and 1 <= int(text) <= len(self.buttons):
            return await self.press(self.buttons[int(text) - 1].data)
        if text == "/lang" or (self.lang is None and text.startswith("/")):
            return self.show(self.assistant.choose_language())
        if self.lang is None:
            # A question typed before a language was chosen is answered, not lost, in the
            # language it is written in (Telegram answers it in the user's app language).
            self.lang = self.assistant.library.matcher.detector.detect(text)
        if text in {"/menu", "/topics", "/start"}:
            return self.show(self.assistant.menu(self.lang))
        if text == "/help":
            return HELP[self.lang]
        if text == "/subscribe":
            topics = await self.storage.subscriptions(USER_ID)
            return self.show(subscriptions_page(self.lang, topics))
        if text == "/about":
            operator = self.assistant.operator_name(self.lang)
            return self.show(pages.about_page(self.lang, operator=operator))
        if text == "/forget":
            return self.show(pages.forget_confirm_page(self.lang))
        if fraud.looks_pasted(text, self.assistant.library.snapshot.fraud):
            checked = fraud.answer(self.assistant, text, self.lang)  # as on Telegram
            if checked is not None:
                return self.show(checked)
        reply, _match = self.assistant.ask(text, self.lang)
        return self.show(reply)


async def run_chat(
    assistant: Assistant,
    *,
    lang: str | None = None,
    stdin: TextIO,
    stdout: TextIO,
    prompt: Callable[[], str] = lambda: "> ",
    downloads: Path | None = None,
    bot_username: str = "",
) -> None:
    """Talk on the terminal until /quit or end of input; nothing is kept after it.

    `bot_username` (the Telegram bot's, when known) puts a topic's deep link in what "share"
    shows."""
    with tempfile.TemporaryDirectory(prefix="zanbot-chat-") as scratch:
        async with storage_for(Path(scratch) / "chat.sqlite3") as storage:
            session = ChatSession(
                assistant, storage, lang, downloads=downloads, bot_username=bot_username
            )
            stdout.write(f"Zanbot — {' / '.join(LANG_NAMES.values())}\n{session.start()}\n")
            while True:
                stdout.write(prompt())
                stdout.flush()
                line = await asyncio.to_thread(stdin.readline)
                if not line:
                    stdout.write("\n")
                    return
                answer = await session.handle(line)
                if answer is None:
                    return
                stdout.write(answer + "\n")
