"""Updates under a burst (bot/telegram/updates.py): a bounded number in the bot, the rest left
at the fake Bot API server, each chat's in order, every question answered once. Counted, never
timed."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from pathlib import Path
from typing import Any

from botharness import make_config, running_bot, until_handled
from fakebotapi import FakeBotAPI, UploadedFile, wait_until
from telegram import Update
from telegram.ext import ContextTypes, TypeHandler

from bot.knowledge.library import Library
from bot.telegram.updates import BATCH, PerChatUpdateProcessor, UpdateQueue

CONCURRENT = 4
CHATS, EACH = 6, 24  # more updates than one getUpdates batch, two at a time per chat


class HoldingFakeBotAPI(FakeBotAPI):
    """The fake server, noting at each getUpdates how many updates it has delivered that the
    bot has not handled yet."""

    def __init__(self) -> None:
        super().__init__()
        self.handled: set[int] = set()
        self.held_at_poll: list[int] = []

    async def _get_updates(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        delivered = sum(len(poll["update_ids"]) for poll in self.polls)
        self.held_at_poll.append(delivered - len(self.handled))
        return await super()._get_updates(params, files)


async def test_a_burst_waits_at_telegram_and_is_answered_in_order(
    tmp_path: Path, library: Library
) -> None:
    async with HoldingFakeBotAPI() as api:
        config = make_config(
            api, tmp_path / "bot.sqlite3", concurrent_updates=CONCURRENT, flood_burst=1000,
            broadcast_rate=1000.0, chat_rate=1000.0,
        )  # fmt: skip
        async with running_bot(config, library) as app:
            gate = asyncio.Event()
            inside = most = 0
            order: dict[int, list[int]] = defaultdict(list)  # chat → its messages, as handled
            active: dict[int, int] = defaultdict(int)  # chat → its updates being handled
            most_in_a_chat = 0

            async def hold(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
                nonlocal inside, most, most_in_a_chat
                assert update.effective_chat and update.effective_message
                chat = update.effective_chat.id
                order[chat].append(update.effective_message.message_id)
                active[chat] += 1
                most_in_a_chat = max(most_in_a_chat, active[chat])
                inside += 1
                most = max(most, inside)
                await gate.wait()
                inside -= 1

            async def handled(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
                assert update.effective_chat
                active[update.effective_chat.id] -= 1  # the bot's reply has been sent
                api.handled.add(update.update_id)

            app.add_handler(TypeHandler(Update, hold), group=-3)  # before the bot's handlers
            app.add_handler(TypeHandler(Update, handled), group=1_000_000)  # after them
            users = [api.user(2001 + n) for n in range(CHATS)]
            sent = [await api.send_text(user, "что такое сталкинг") for _ in range(EACH // 2)
                    for user in users for _twice in range(2)]  # fmt: skip
            # The first updates are being handled (the second of a chat waits for the first),
            # the rest wait in the bot or at the server.
            processor = app.update_processor
            await wait_until(
                lambda: processor.current_concurrent_updates == CONCURRENT, 10,
                message="the bot handles as many updates as it may",
            )  # fmt: skip
            assert isinstance(app.update_queue, UpdateQueue)
            assert app.update_queue.unfinished <= CONCURRENT + BATCH
            gate.set()
            await until_handled(app, *sent, timeout=60)
        assert most <= CONCURRENT
        assert most_in_a_chat == 1
        # The bot asked for more only with room for a whole batch: never while holding more.
        assert max(api.held_at_poll) <= CONCURRENT
        for user in users:
            assert len(api.messages(user.id)) == EACH  # each question answered, once
            assert order[user.id] == sorted(order[user.id])
            assert len(order[user.id]) == EACH
        assert api.errors == []


async def test_a_chats_updates_never_overlap_when_a_third_comes_as_one_ends() -> None:
    processor = PerChatUpdateProcessor(10)
    chat = Update.de_json({"update_id": 1, "message": {
        "message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"}, "text": "x",
    }}, None)  # fmt: skip
    running: list[int] = []
    overlapped: list[tuple[int, ...]] = []
    go = {n: asyncio.Event() for n in (1, 2, 3)}

    async def handle(n: int) -> None:
        running.append(n)
        if len(running) > 1:
            overlapped.append(tuple(running))
        await go[n].wait()
        running.remove(n)

    first = asyncio.create_task(processor.do_process_update(chat, handle(1)))
    second = asyncio.create_task(processor.do_process_update(chat, handle(2)))
    await asyncio.sleep(0)
    go[1].set()
    await first  # the second is about to take the lock: the third must still wait for it
    third = asyncio.create_task(processor.do_process_update(chat, handle(3)))
    for _ in range(5):
        await asyncio.sleep(0)
    go[2].set()
    go[3].set()
    await asyncio.gather(second, third)
    assert overlapped == []
