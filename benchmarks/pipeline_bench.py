"""Questions per second through the whole bot: python-telegram-bot's update processing, the
matcher, rendering and SQLite storage, with an in-process fake transport instead of HTTP.
A bare echo bot runs on the same transport in the same run, as the baseline.

    python benchmarks/pipeline_bench.py [--questions 2000] [--users 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import Application, ApplicationBuilder, MessageHandler, filters
from telegram.request import BaseRequest, RequestData

from bot.config import Config
from bot.library import Library
from bot.storage import SQLiteStorage
from bot.telegram.app import PerChatUpdateProcessor, build_application, on_shutdown, on_startup

QUESTIONS = [
    "что такое сталкинг", "меня преследует бывший муж", "115-1 бап деген не",
    "алаяқтар смс код сұрап жатыр", "звонят из банка просят cvv", "как купить на olx и не попасться",
    "дроппер деген кім", "коллекторы угрожают по телефону", "когда общественные слушания",
    "жалған ақпарат таратқаны үшін жаза", "как сварить борщ", "рахмет",
]  # fmt: skip


class InProcessRequest(BaseRequest):
    """Answer Bot API calls in-process, as Telegram would, without any network."""

    def __init__(self) -> None:
        self.sent = 0
        self.done = asyncio.Event()
        self.expected = 0

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, **kwargs: Any
    ) -> tuple[int, bytes]:
        name = url.rsplit("/", 1)[-1]
        params = request_data.parameters if request_data else {}
        result: Any = True
        if name == "getMe":
            result = {"id": 1, "is_bot": True, "first_name": "Zanbot", "username": "zanbot"}
        elif name in ("sendMessage", "sendDocument"):
            self.sent += 1
            chat = int(params["chat_id"])
            result = {"message_id": self.sent, "date": 0, "text": params.get("text", ""),
                      "chat": {"id": chat, "type": "private"}}  # fmt: skip
            if self.sent >= self.expected:
                self.done.set()
        return 200, json.dumps({"ok": True, "result": result}).encode()


def updates(app: Application, n: int, users: int) -> list[Update]:
    out = []
    for i in range(n):
        user = {"id": 10_000 + i % users, "is_bot": False, "first_name": "U", "language_code": "ru"}
        message = {
            "message_id": i + 1, "date": 0, "chat": {"id": user["id"], "type": "private"},
            "from": user, "text": QUESTIONS[i % len(QUESTIONS)],
        }  # fmt: skip
        out.append(Update.de_json({"update_id": i + 1, "message": message}, app.bot))
    return out


async def measure(app: Application, request: InProcessRequest, n: int, users: int) -> float:
    """Push n text updates through the application's queue; return questions per second."""
    batch = updates(app, n, users)
    request.sent, request.expected = 0, n
    request.done.clear()
    start = time.perf_counter()
    for update in batch:
        await app.update_queue.put(update)
    await request.done.wait()
    return n / (time.perf_counter() - start)


async def echo_rate(n: int, users: int) -> float:
    request = InProcessRequest()
    app = (
        ApplicationBuilder().token("1:ECHO").request(request)
        .concurrent_updates(PerChatUpdateProcessor()).build()
    )  # fmt: skip

    async def echo(update: Update, context: Any) -> None:
        assert update.effective_message and update.effective_message.text
        await update.effective_message.reply_text(update.effective_message.text)

    app.add_handler(MessageHandler(filters.TEXT, echo))
    async with app:
        await app.start()
        rate = await measure(app, request, n, users)
        await app.stop()
    return rate


async def zanbot_rate(n: int, users: int, library: Library, database: Path) -> float:
    request = InProcessRequest()
    config = replace(Config.load(env={}), token="1:ZANBOT", database=database, flood_burst=10**6)
    app = build_application(config, library, SQLiteStorage(database), request=request)
    async with app:
        await on_startup(app)
        await app.start()
        await measure(app, request, min(200, n), users)  # warm-up: users, caches
        rate = await measure(app, request, n, users)
        await app.stop()
        await on_shutdown(app)
    return rate


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--questions", type=int, default=2000)
    parser.add_argument("--users", type=int, default=200)
    args = parser.parse_args()
    library = Library()
    with tempfile.TemporaryDirectory() as tmp:
        echo = await echo_rate(args.questions, args.users)
        ours = await zanbot_rate(args.questions, args.users, library, Path(tmp) / "bench.sqlite3")
    print(f"pipeline, {args.questions} questions from {args.users} users, one process:")
    print(f"  bare echo bot   {echo:8.0f} questions/s")
    print(f"  zanbot          {ours:8.0f} questions/s  ({ours / echo:.0%} of the echo bot)")


if __name__ == "__main__":
    asyncio.run(main())
