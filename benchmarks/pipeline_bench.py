"""Questions per second through the whole bot: python-telegram-bot's update processing, the
matcher, rendering and SQLite storage, with an in-process fake transport instead of HTTP.
A bare echo bot runs on the same transport in the same run, as the baseline.

Zanbot is measured twice: on questions it has not seen (typo'd example questions and some
off-topic ones, nearly all distinct), then on the same questions again, which the matcher's
cache answers. The second figure is what the rest of the pipeline (python-telegram-bot,
rendering, storage) leaves room for; the gap between the two is the matcher.

    python benchmarks/pipeline_bench.py [--questions 2000] [--users 200] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import random
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from matcher_bench import typo
from telegram import Update
from telegram.ext import Application, ApplicationBuilder, MessageHandler, filters
from telegram.request import BaseRequest, RequestData

from bot.config import Config
from bot.database import SQLiteStorage
from bot.library import Library
from bot.telegram.app import PerChatUpdateProcessor, build_application, on_shutdown, on_startup

OFF_TOPIC = ["как сварить борщ", "какая погода завтра", "курс доллара", "ертең ауа райы қандай"]


def question_pool(library: Library, size: int) -> list[str]:
    """Distinct, realistic questions: example questions with a typo, and some off-topic ones."""
    rng = random.Random(3)
    examples = [q for topic in library.kb for q in topic.questions]
    pool = [typo(rng.choice(examples), rng) for _ in range(size)]
    return [rng.choice(OFF_TOPIC) if i % 10 == 0 else q for i, q in enumerate(pool)]


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


def updates(app: Application, questions: list[str], users: int) -> list[Update]:
    out = []
    for i, text in enumerate(questions):
        user = {"id": 10_000 + i % users, "is_bot": False, "first_name": "U", "language_code": "ru"}
        message = {
            "message_id": i + 1, "date": 0, "chat": {"id": user["id"], "type": "private"},
            "from": user, "text": text,
        }  # fmt: skip
        out.append(Update.de_json({"update_id": i + 1, "message": message}, app.bot))
    return out


async def measure(
    app: Application, request: InProcessRequest, questions: list[str], users: int
) -> float:
    """Push text updates through the application's queue; return questions per second."""
    n = len(questions)
    batch = updates(app, questions, users)
    request.sent, request.expected = 0, n
    request.done.clear()
    start = time.perf_counter()
    for update in batch:
        await app.update_queue.put(update)
    await request.done.wait()
    return n / (time.perf_counter() - start)


async def echo_rate(questions: list[str], users: int) -> float:
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
        rate = await measure(app, request, questions, users)
        await app.stop()
    return rate


async def zanbot_rates(
    questions: list[str], users: int, library: Library, database: Path
) -> tuple[float, float]:
    """Return the rate on new questions, then on the same questions asked again."""
    request = InProcessRequest()
    config = replace(Config.load(env={}), token="1:ZANBOT", database=database, flood_burst=10**6)
    app = build_application(config, library, SQLiteStorage(database), request=request)
    # Steady state before measuring: every user's row, and every answer rendered once (a
    # running bot renders each topic once an hour). Titles, not the measured questions, so
    # the match cache stays cold; the numbers keep off-topic questions out of it too.
    titles = [topic.title for topic in library.kb]
    warm_up = titles + [f"{q} {i}" for i, q in enumerate(OFF_TOPIC * 50)]
    async with app:
        await on_startup(app)
        await app.start()
        await measure(app, request, warm_up, users)
        new = await measure(app, request, questions, users)
        again = await measure(app, request, questions, users)  # the matcher's cache answers
        await app.stop()
    await on_shutdown(app)  # after PTB's shutdown, as run_polling does
    return new, again


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--questions", type=int, default=2000)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3, help="echo, then zanbot, this often")
    args = parser.parse_args()
    rounds = []
    for _ in range(args.rounds):
        library = Library()  # a fresh one: nothing the matcher remembers from the last round
        questions = question_pool(library, args.questions)
        with tempfile.TemporaryDirectory() as tmp:
            # A bare echo bot is a small process: the library loaded here for the questions
            # must not make its full garbage collections slower, so it is frozen meanwhile.
            # (Zanbot freezes what it builds itself, at start-up: bot.library.settle_heap.)
            gc.collect()
            gc.freeze()
            echo = await echo_rate(questions, args.users)
            gc.unfreeze()
            new, again = await zanbot_rates(questions, args.users, library, Path(tmp) / "b.db")
        rounds.append((echo, new, again))
        print(f"  round {len(rounds)}: echo {echo:6.0f}/s, zanbot {new:6.0f}/s ({new / echo:.0%}),"
              f" again {again:6.0f}/s ({again / echo:.0%})")  # fmt: skip
    echo, new, again = (statistics.median(r[i] for r in rounds) for i in range(3))
    share = statistics.median(r[1] / r[0] for r in rounds)
    again_share = statistics.median(r[2] / r[0] for r in rounds)
    distinct = len(set(questions))
    print(f"pipeline, {len(questions)} questions ({distinct} distinct) from {args.users} users,"
          f" median of {len(rounds)} rounds:")  # fmt: skip
    print(f"  bare echo bot                 {echo:8.0f} questions/s")
    print(f"  zanbot                        {new:8.0f} questions/s  ({share:.0%} of the echo bot)")
    print(f"  zanbot, same questions again  {again:8.0f} questions/s  ({again_share:.0%})")
    print("  (asked again, the matcher's cache answers: the rest of the pipeline's own ceiling)")


if __name__ == "__main__":
    asyncio.run(main())
