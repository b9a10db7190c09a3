"""End to end (issue 20): an admin composes an announcement while their updates go to two
workers in turn, two bots (Applications) with webhooks on one database, as nginx would spread
them; on SQLite and on PostgreSQL."""

from __future__ import annotations

import socket
from contextlib import AsyncExitStack
from typing import Any

import aiohttp
from botharness import make_config, running_bot, until_handled
from conftest import NOW
from fakebotapi import FakeBotAPI
from telegram.ext import Application

from bot.knowledge.library import Library
from bot.storage.factory import storage_for

ADMIN = 900
SUBSCRIBERS = (11, 12)
URL = "https://bot.example.kz/telegram"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def buttons(message: dict[str, Any]) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b.get("callback_data", "") for row in markup.get("inline_keyboard", []) for b in row]


async def test_a_composition_hopping_between_two_workers_completes_once(
    api: FakeBotAPI, database: str, library: Library
) -> None:
    async with storage_for(database) as db:
        for user_id in SUBSCRIBERS:
            await db.subscribe(user_id, "fraud")
    subscribers = [api.user(user_id, language_code="ru") for user_id in SUBSCRIBERS]
    admin = api.user(ADMIN, language_code="ru")
    ports = [free_port() for _ in range(2)]
    async with AsyncExitStack() as stack, aiohttp.ClientSession() as session:
        apps: list[Application] = []  # type: ignore[type-arg]
        for port in ports:
            config = make_config(
                api, database, admin_ids=frozenset({ADMIN}), webhook_port=port,
                health_port=free_port(), flood_burst=50,
            )  # fmt: skip
            bot = running_bot(config, library, clock=lambda: NOW, webhook_url=URL)
            apps.append(await stack.enter_async_context(bot))
        turn = 0

        async def post(update_id: int) -> None:
            """Hand the update to the next worker, as the load balancer does; wait till done."""
            nonlocal turn
            n, turn = turn, (turn + 1) % len(apps)
            target = f"http://127.0.0.1:{ports[n]}/telegram"
            async with session.post(target, json=api.update(update_id)) as response:
                assert response.status == 200
            await until_handled(apps[n], update_id)

        await post(await api.send_command(admin, "/broadcast"))  # worker 0
        [prompt] = await api.wait_for(admin)
        assert buttons(prompt) == ["bc:kk-only", "bc:cancel"]
        await post(await api.send_text(admin, "**Внимание**: звонят от имени банка"))  # 1
        [prompt] = await api.wait_for(admin)
        assert buttons(prompt) == ["bc:single", "bc:cancel"]
        await post(await api.send_text(admin, "**Назар аударыңыз**: алаяқтар"))  # 0
        [audience] = await api.wait_for(admin)
        assert "to:fraud" in buttons(audience)
        await post(await api.press(admin, audience, "to:fraud"))  # 1
        when = await api.wait_for_edit(admin, audience["message_id"])
        assert buttons(when) == ["bc:now", "bc:cancel"]
        await post(await api.press(admin, when, "bc:now"))  # 0
        russian, kazakh, summary = await api.wait_for(admin, count=3)
        assert russian["raw_text"] == "<b>Внимание</b>: звонят от имени банка"
        assert kazakh["raw_text"] == "<b>Назар аударыңыз</b>: алаяқтар"
        assert buttons(summary) == ["bc:confirm", "bc:cancel"]
        await post(await api.press(admin, summary, "bc:confirm"))  # 1
        await api.wait_for_edit(admin, summary["message_id"])
        for subscriber in subscribers:
            [delivered] = await api.wait_for(subscriber)
            assert delivered["raw_text"] == russian["raw_text"]

        async with storage_for(database) as db:
            created = await db.fetchall(
                "SELECT text_ru, text_kk, audience_topic, created_by FROM broadcasts"
            )
            assert created == [(russian["raw_text"], kazakh["raw_text"], "fraud", ADMIN)]
            # The flow ended on worker 1: neither the step nor the draft is left for any worker.
            left = await db.fetchall("SELECT COUNT(*) FROM conversations")
            assert left == [(0,)]
    assert api.errors == []
