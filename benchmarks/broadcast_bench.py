"""Broadcast delivery against the fake Bot API server, with Telegram's flood control enforced
by the server (overall rate, one message per second per chat).

The server runs in a process of its own, as Telegram would; the bot side is the real delivery
worker, the python-telegram-bot sender over HTTP and the SQLite outbox. Two runs: the
paid-broadcast rate (1000/s) to all users, and the default 30/s to a shorter list.

    python benchmarks/broadcast_bench.py [--users 10000] [--slow-users 600]

For each run it prints the sustained rate (first to last accepted message, timed by the
server) as a fraction of the configured limit, the 429 answers, whether every user got the
message exactly once, the elapsed time and the CPU time of both sides (they share the
machine). Targets: at least 95% of the limit and no 429 at all.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sys
import tempfile
import time
from collections import Counter
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fakebotapi import FakeBotAPI, UploadedFile
from telegram import Bot

from bot.broadcasting.broadcasts import Broadcasts
from bot.broadcasting.delivery import DeliveryWorker
from bot.storage.sqlite import SQLiteStorage
from bot.telegram.sender import TelegramSender
from bot.telegram.transport import AiohttpRequest

TOKEN = "123456:BENCH"


class TimedFakeBotAPI(FakeBotAPI):
    """The fake server, noting when it accepted each message."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.accepted: list[float] = []

    async def _send_message(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        result = await super()._send_message(params, files)
        self.accepted.append(time.monotonic())
        return result


def serve(rate: float, users: int, conn: Connection) -> None:
    """Run the server until told to stop, then send back what it saw."""

    async def main() -> None:
        async with TimedFakeBotAPI(global_rate=rate, per_chat_rate=1) as api:
            for user_id in range(1, users + 1):
                api.user(user_id)
            conn.send(api.url)
            cpu = time.process_time()
            await asyncio.get_running_loop().run_in_executor(None, conn.recv)
            cpu = time.process_time() - cpu
            per_chat = Counter(int(p["chat_id"]) for p in api.requests_for("sendMessage"))
            conn.send(
                {
                    "accepted": api.accepted,
                    "too_many_requests": api.too_many_requests,
                    "once": all(len(api.messages(u)) == 1 for u in range(1, users + 1))
                    and sum(per_chat.values()) == users,
                    "cpu": cpu,
                }
            )

    asyncio.run(main())


async def seed(storage: SQLiteStorage, users: int) -> None:
    """Subscribe `users` generated users, a third of them in Kazakh."""
    now = "2026-03-01T09:00:00+00:00"
    async with storage.transaction() as db:
        await db.executemany(
            "INSERT INTO users (user_id, lang, first_seen, last_seen) VALUES (?, ?, ?, ?)",
            [(i, "kk" if i % 3 == 0 else "ru", now, now) for i in range(1, users + 1)],
        )
        await db.executemany(
            "INSERT INTO subscriptions (user_id, topic, created_at) VALUES (?, 'all', ?)",
            [(i, now) for i in range(1, users + 1)],
        )


async def deliver(url: str, rate: float, users: int, database: Path) -> tuple[float, float]:
    """Broadcast to every user through the real worker; return elapsed and CPU seconds."""
    async with SQLiteStorage(database) as storage:
        await seed(storage, users)
        await Broadcasts(storage).create(
            created_by=None,
            text_ru="<b>Внимание!</b> Тест рассылки.",
            text_kk="<b>Назар!</b> Тест.",
        )
        request = AiohttpRequest(connections=16)  # as the bot's delivery worker does
        await request.initialize()
        bot = Bot(TOKEN, base_url=f"{url}/bot", request=request, get_updates_request=request)
        worker = DeliveryWorker(storage, TelegramSender(bot), rate=rate, chat_rate=1.0)
        start, cpu = time.perf_counter(), time.process_time()
        await worker.deliver_due()
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        await request.shutdown()
    return elapsed, cpu


def run(rate: float, users: int) -> None:
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    server = context.Process(target=serve, args=(rate, users, theirs), daemon=True)
    server.start()
    try:
        url = ours.recv()
        with tempfile.TemporaryDirectory() as tmp:
            elapsed, cpu = asyncio.run(deliver(url, rate, users, Path(tmp) / "bench.sqlite3"))
        ours.send("stop")
        seen = ours.recv()
    finally:
        server.join(timeout=10)
    accepted = seen["accepted"]
    sustained = (len(accepted) - 1) / (accepted[-1] - accepted[0])
    print(
        f"  {users:>6} users at {rate:>4.0f}/s: sustained {sustained:6.1f}/s = "
        f"{sustained / rate:6.1%} of the limit; 429 answers: {seen['too_many_requests']}; "
        f"each user exactly once: {seen['once']}; elapsed {elapsed:4.1f} s "
        f"(CPU: bot {cpu:4.1f} s, server {seen['cpu']:4.1f} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=10_000, help="users at 1000/s")
    parser.add_argument("--slow-users", type=int, default=600, help="users at 30/s")
    args = parser.parse_args()
    print("broadcast delivery, flood control enforced by the fake Bot API server:")
    run(1000.0, args.users)
    run(30.0, args.slow_users)


if __name__ == "__main__":
    main()
