"""The terminal chat: the same conversation as on Telegram, for staff previews and for
anyone without a Telegram token. Buttons are shown as numbers to type."""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from bot.conversation.assistant import LANG_NAMES, Assistant, Button, Reply
from bot.conversation.pages import feedback_thanks

HELP = {
    "ru": "Пишите вопрос; цифра нажимает кнопку; /menu — темы, /lang — язык, /quit — выход.",
    "kk": "Сұрағыңызды жазыңыз; сан батырманы басады; /menu — тақырыптар, /lang — тіл, "
    "/quit — шығу.",
}


class ChatSession:
    """One terminal conversation: keeps the language and the buttons last shown."""

    def __init__(self, assistant: Assistant, lang: str | None = None) -> None:
        self.assistant = assistant
        self.lang = lang
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

    def press(self, data: str) -> str:
        """Act on a button's callback data, as the Telegram adapter does."""
        lang = self.lang or "ru"
        kind, _sep, arg = data.partition(":")
        if kind == "lang":
            self.lang = arg
            return self.show(self.assistant.menu(arg), prefix=HELP[arg])
        if kind == "t":
            topic_id, _sep, topic_lang = arg.partition(":")
            return self.show(self.assistant.topic(topic_id, topic_lang or lang))
        if kind == "cat":
            return self.show(self.assistant.category(arg, lang))
        if kind == "fb":
            return feedback_thanks(lang)
        return self.show(self.assistant.menu(lang))

    def handle(self, line: str) -> str | None:
        """Answer one line typed by the user; None means the user wants to leave."""
        text = line.strip()
        if text in {"/quit", "/exit", "/q"}:
            return None
        if text.isdigit() and 1 <= int(text) <= len(self.buttons):
            return self.press(self.buttons[int(text) - 1].data)
        if text == "/lang" or self.lang is None:
            return self.show(self.assistant.choose_language())
        if text in {"/menu", "/topics", "/start"}:
            return self.show(self.assistant.menu(self.lang))
        if text == "/help":
            return HELP[self.lang]
        reply, _match = self.assistant.ask(text, self.lang)
        return self.show(reply)


def run_chat(
    assistant: Assistant,
    *,
    lang: str | None = None,
    stdin: TextIO,
    stdout: TextIO,
    prompt: Callable[[], str] = lambda: "> ",
) -> None:
    """Talk on the terminal until /quit or end of input."""
    session = ChatSession(assistant, lang)
    stdout.write(f"Zanbot — {' / '.join(LANG_NAMES.values())}\n{session.start()}\n")
    while True:
        stdout.write(prompt())
        stdout.flush()
        line = stdin.readline()
        if not line:
            stdout.write("\n")
            return
        answer = session.handle(line)
        if answer is None:
            return
        stdout.write(answer + "\n")
