"""Several `zanbot run --webhook` workers over one PostgreSQL database (issue 20), as real
processes against the fake Bot API with Telegram's flood control on: updates posted to the
workers in turn are answered in both languages, an admin composes an announcement with each
step on another worker, and the broadcast survives a worker killed half-way without a
duplicate, the three of them within the limit together."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from collections import Counter
from contextlib import AsyncExitStack
from pathlib import Path

import aiohttp
from botharness import TOKEN
from fakebotapi import FakeBotAPI, wait_until

from bot.knowledge.library import Library
from bot.storage.broadcasts import BroadcastStore
from bot.storage.conversations import ConversationStore
from bot.storage.factory import storage_for
from bot.storage.sql import SQLStorage
from bot.telegram.handlers import composer

ADMIN = 900

RECIPIENTS = range(5000, 5300)
SECRET = "s3cret"
# A question in each language, and the title its answer begins with in that language.
QUESTIONS = [("что такое сталкинг", "Навязчивое преследование"), ("сталкинг деген не", "қудалау")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def start_worker(
    api: FakeBotAPI, database: str, tmp_path: Path, number: int, port: int
) -> asyncio.subprocess.Process:
    """Start a webhook worker on ports of its own, its log in a file of its own."""
    environment = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": api.url,
        "ZANBOT_DATABASE": database,
        "ZANBOT_LOG_LEVEL": "WARNING",
        "ZANBOT_WEBHOOK_PORT": str(port),
        "ZANBOT_WEBHOOK_SECRET": SECRET,
        "ZANBOT_HEALTH_PORT": str(free_port()),
        "ZANBOT_ADMIN_IDS": str(ADMIN),
    }
    with (tmp_path / f"worker-{number}.log").open("wb") as log:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", "--webhook", "https://bot.example.kz/telegram",
            cwd=tmp_path, env=environment, stdout=log, stderr=log,
        )  # fmt: skip


async def stored_step(db: SQLStorage) -> int | None:
    """Return the step the admin's composer is at, as the workers stored it."""
    state = await ConversationStore(db).load("broadcast", ADMIN)
    return None if state is None else int(json.loads(state)["step"])


async def test_three_workers_answer_in_turn_and_survive_a_kill_mid_broadcast(
    postgresql: str, tmp_path: Path, library: Library
) -> None:
    async with (
        FakeBotAPI(global_rate=30, per_chat_rate=1) as api,
        storage_for(postgresql) as db,
        AsyncExitStack() as stack,
    ):
        for user_id in RECIPIENTS:
            api.user(user_id)
            await db.subscribe(user_id, "all")
        ports = [free_port() for _ in range(3)]
        workers = [
            await start_worker(api, postgresql, tmp_path, n, port) for n, port in enumerate(ports)
        ]
        try:
            await wait_until(
                lambda: len(api.requests_for("setWebhook")) == 3, timeout=120,
                message="every worker started",
            )  # fmt: skip
            # Telegram posts each update once; nginx would pass them to the workers in turn.
            turn = 0
            session = await stack.enter_async_context(aiohttp.ClientSession())

            async def post(update_id: int) -> None:
                nonlocal turn
                url = f"http://127.0.0.1:{ports[turn % 3]}/telegram"
                turn += 1
                headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
                async with session.post(url, json=api.update(update_id), headers=headers) as r:
                    assert r.status == 200

            users = [api.user(4000 + n, language_code=("ru", "kk")[n % 2]) for n in range(6)]
            for n, user in enumerate(users):
                await post(await api.send_text(user, QUESTIONS[n % 2][0]))
            for n, user in enumerate(users):
                [answer] = await api.wait_for(user.id, timeout=60)
                assert QUESTIONS[n % 2][1] in answer["text"]

            # The composer, each step on the next worker. A step is stored once its answer is
            # sent: the next update is posted when the database has it, as a person would.
            admin = api.user(ADMIN, language_code="ru")

            async def step_reached(step: int | None) -> None:
                for _ in range(200):
                    if await stored_step(db) == step:
                        return
                    await asyncio.sleep(0.05)
                raise AssertionError(f"the composer never reached step {step}")

            await post(await api.send_command(admin, "/broadcast"))
            await api.wait_for(ADMIN, timeout=60)
            await step_reached(composer.RU)
            await post(await api.send_text(admin, "**Внимание**: звонят от имени банка"))
            await api.wait_for(ADMIN, timeout=60)
            await step_reached(composer.KK)
            await post(await api.send_text(admin, "**Назар аударыңыз**: алаяқтар"))
            [audience] = await api.wait_for(ADMIN, timeout=60)
            await step_reached(composer.AUDIENCE)
            await post(await api.press(admin, audience, "to:everyone"))
            when = await api.wait_for_edit(ADMIN, audience["message_id"], timeout=60)
            await step_reached(composer.WHEN)
            await post(await api.press(admin, when, "bc:now"))
            *_previews, summary = await api.wait_for(ADMIN, count=3, timeout=60)
            await step_reached(composer.CONFIRM)
            await post(await api.press(admin, summary, "bc:confirm"))
            await step_reached(None)
            [created] = await BroadcastStore(db).recent(include_system=False)
            broadcast_id = created.id
            assert (created.text_ru, created.text_kk) == (
                "<b>Внимание</b>: звонят от имени банка", "<b>Назар аударыңыз</b>: алаяқтар"
            )  # fmt: skip
            await wait_until(
                lambda: len(api.requests_for("sendMessage")) >= 100, timeout=60,
                message="a third of the broadcast sent",
            )  # fmt: skip
            workers[0].send_signal(signal.SIGKILL)
            await workers[0].wait()

            async def closed() -> bool:
                found = await BroadcastStore(db).get(broadcast_id)
                return found is not None and found.state == "done"

            for _ in range(240):  # the killed worker's lease runs out after 30 seconds
                if await closed():
                    break
                await asyncio.sleep(0.5)
            assert await closed()
            rows = await db.fetchall(
                "SELECT user_id, state FROM outbox WHERE broadcast_id = ?", (broadcast_id,)
            )
        finally:
            for worker in workers[1:]:
                if worker.returncode is None:
                    worker.send_signal(signal.SIGTERM)
            for worker in workers[1:]:
                await asyncio.wait_for(worker.wait(), timeout=60)
        logs = [(tmp_path / f"worker-{n}.log").read_text() for n in (1, 2)]
        assert [worker.returncode for worker in workers[1:]] == [0, 0], logs
    states = dict(rows)
    received = {user: len(api.messages(user)) for user in RECIPIENTS}
    assert max(received.values()) == 1  # nobody got the announcement twice
    missing = {user for user, count in received.items() if count == 0}
    in_doubt = {user for user, state in states.items() if state == "in_doubt"}
    assert missing <= in_doubt  # a loss only where the report says "in doubt"
    assert Counter(states.values()) == {"sent": 300 - len(in_doubt), "in_doubt": len(in_doubt)}
    assert len(in_doubt) <= 30  # at most what the killed worker had in flight
    # Three workers together within 30 a second (the fake server counts like Telegram).
    assert api.too_many_requests == 0, api.errors
