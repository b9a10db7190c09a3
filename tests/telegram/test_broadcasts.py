"""End to end: announcements, subscriptions, admins and hearing calendar files, with the
unmodified bot against the fake Bot API server (its flood control on where it matters)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from botharness import delivery_pass, make_config, press_for_edit, running_bot
from conftest import NOW, Clock
from fakebotapi import FakeBotAPI, FakeUser, wait_until
from telegram.ext import Application

from bot.broadcasting.broadcasts import Broadcasts
from bot.broadcasting.delivery import DeliveryWorker
from bot.config import Config
from bot.conversation.pages import unknown_command_page
from bot.knowledge.library import Library
from bot.storage.sqlite import SQLiteStorage

ADMIN = 900
HEARING = "hearing-paz-2026-04-28"


def buttons(message: dict) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b.get("callback_data", "") for row in markup.get("inline_keyboard", []) for b in row]


def labels(message: dict) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


def worker(app: Application) -> DeliveryWorker:
    return app.bot_data["delivery"]


async def add_subscribers(
    config: Config, api: FakeBotAPI, ids: range, topic: str = "all", lang: str = "ru"
) -> list[FakeUser]:
    users = [api.user(i) for i in ids]
    async with SQLiteStorage(config.database) as storage, storage.transaction() as db:
        now = "2026-03-01T09:00:00+00:00"
        await db.executemany(
            "INSERT INTO users (user_id, lang, first_seen, last_seen) VALUES (?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            [(i, lang, now, now) for i in ids],
        )
        await db.executemany(
            "INSERT INTO subscriptions (user_id, topic, created_at) VALUES (?, ?, ?)",
            [(i, topic, now) for i in ids],
        )
    return users


async def create(config: Config, clock: Clock | None = None, **fields: object) -> int:
    values: dict[str, object] = {
        "created_by": ADMIN,
        "text_ru": "<b>Внимание</b>",
        "text_kk": "Назар",
    }
    values.update(fields)
    async with SQLiteStorage(config.database) as storage:
        broadcasts = Broadcasts(storage, now=clock or (lambda: NOW))
        broadcast_id, _count = await broadcasts.create(**values)  # type: ignore[arg-type]
    return broadcast_id


async def announce(config: Config, app: Application, **fields: object) -> int:
    """Create a broadcast that is due now and wake the delivery worker to send it."""
    broadcast_id = await create(config, **fields)
    worker(app).wake()
    return broadcast_id


async def outbox_states(config: Config) -> dict[str, int]:
    async with SQLiteStorage(config.database) as storage:
        rows = await storage.fetchall("SELECT state, COUNT(*) FROM outbox GROUP BY state")
    return {row[0]: row[1] for row in rows}


def sent_to(api: FakeBotAPI, users: list[FakeUser]) -> list[int]:
    return [len(api.messages(user)) for user in users]


async def until_sent(
    api: FakeBotAPI, users: list[FakeUser], count: int, timeout: float = 30
) -> None:
    """Wait until `count` of the users have a message; fail (not hang) if delivery stalls."""
    await wait_until(
        lambda: sum(sent_to(api, users)) >= count,
        timeout,
        message=lambda: f"{count} subscribers had the message ({sum(sent_to(api, users))} had)",
    )


@pytest.fixture
async def limited() -> AsyncIterator[FakeBotAPI]:
    """Telegram's flood control: 30 messages per second overall, one per second per chat."""
    async with FakeBotAPI(global_rate=30, per_chat_rate=1) as server:
        yield server


@pytest.fixture
async def fast() -> AsyncIterator[FakeBotAPI]:
    """The same per chat, and a paid-broadcast-like overall rate (for speed)."""
    async with FakeBotAPI(global_rate=300, per_chat_rate=1) as server:
        yield server


# Delivery within Telegram's limits


async def test_broadcast_at_the_default_30_per_second_gets_no_429(
    limited: FakeBotAPI, tmp_path: Path, library: Library
) -> None:
    config = make_config(limited, tmp_path / "bot.sqlite3")
    assert (config.broadcast_rate, config.chat_rate) == (30.0, 1.0)
    admin = limited.user(ADMIN)
    async with running_bot(config, library, clock=lambda: NOW) as app:
        users = await add_subscribers(config, limited, range(1, 46))
        await announce(config, app)
        await limited.wait_for(admin, timeout=20)
    assert sent_to(limited, users) == [1] * 45
    assert (limited.too_many_requests, limited.errors) == (0, [])


async def test_answers_keep_flowing_while_a_broadcast_runs(
    limited: FakeBotAPI, tmp_path: Path, library: Library
) -> None:
    config = make_config(
        limited, tmp_path / "bot.sqlite3", admin_ids=frozenset({ADMIN}), broadcast_rate=28.0
    )  # fmt: skip  (room left for answers)
    admin = limited.user(ADMIN)
    async with running_bot(config, library, clock=lambda: NOW) as app:
        users = await add_subscribers(config, limited, range(1, 61))
        await announce(config, app)
        await until_sent(limited, users, 10)
        asker = limited.user(5000)
        await limited.send_text(asker, "что такое сталкинг")
        [answer] = await limited.wait_for(asker)
        assert "115-1" in answer["text"]
        assert sum(sent_to(limited, users)) < 60  # answered while the broadcast was running
        [report] = await limited.wait_for(admin, timeout=20)
    assert sent_to(limited, users) == [1] * 60
    assert "60" in report["text"]
    assert (limited.too_many_requests, limited.errors) == (0, [])


async def test_hundreds_of_users_blocked_ones_marked_and_never_retried(
    fast: FakeBotAPI, tmp_path: Path, library: Library
) -> None:
    config = make_config(fast, tmp_path / "bot.sqlite3", broadcast_rate=300.0)
    admin = fast.user(ADMIN)
    async with running_bot(config, library, clock=lambda: NOW) as app:
        users = await add_subscribers(config, fast, range(1, 301))
        blocked = [users[7], users[150], users[299]]
        for user in blocked:
            fast.block(user.id)  # without telling the bot: the sends find out
        await announce(config, app)
        await fast.wait_for(admin, timeout=20)
        await announce(config, app, text_ru="Второе")  # the blocked users are no longer recipients
        await fast.wait_for(admin, timeout=20)
    blocked_ids = {user.id for user in blocked}
    tries = [p for p in fast.requests_for("sendMessage") if int(p["chat_id"]) in blocked_ids]
    assert len(tries) == 3
    assert [len(fast.messages(u)) for u in users if u not in blocked] == [2] * 297
    assert fast.too_many_requests == 0
    async with SQLiteStorage(config.database) as storage:
        flags = [(await storage.get_user(u.id)).blocked for u in blocked]  # type: ignore[union-attr]
    assert flags == [True] * 3
    assert (await outbox_states(config)) == {"sent": 594, "blocked": 3}


async def test_stopping_mid_way_then_restarting_delivers_each_message_once(
    fast: FakeBotAPI, tmp_path: Path, library: Library
) -> None:
    config = make_config(fast, tmp_path / "bot.sqlite3", broadcast_rate=300.0)
    admin = fast.user(ADMIN)
    async with running_bot(config, library, clock=lambda: NOW) as app:
        users = await add_subscribers(config, fast, range(1, 301))
        await announce(config, app)
        await until_sent(fast, users, 60)
        await worker(app).stop()  # cancel the worker task…
        stopped_at = sum(sent_to(fast, users))
        worker(app).start()  # …and run it again, in the same process
        await until_sent(fast, users, 150)
    # The application stopped mid-way (as on SIGTERM): nothing is left half-sent.
    left = await outbox_states(config)
    assert "sending" not in left and 0 < left["pending"] < 240
    async with running_bot(config, library, clock=lambda: NOW):
        [report] = await fast.wait_for(admin, timeout=20)
    assert 60 <= stopped_at < 300
    assert sent_to(fast, users) == [1] * 300
    assert await outbox_states(config) == {"sent": 300}
    assert "300" in report["text"] and fast.too_many_requests == 0


async def test_scheduled_broadcast_goes_out_at_its_time_and_cancel_stops_one(
    api: FakeBotAPI, tmp_path: Path, library: Library
) -> None:
    clock = Clock()  # the admin chats and gets reports: no flood control in this one
    config = make_config(api, tmp_path / "bot.sqlite3", admin_ids=frozenset({ADMIN}))
    admin = api.user(ADMIN)
    async with running_bot(config, library, clock=clock) as app:
        users = await add_subscribers(config, api, range(1, 4))
        await create(config, send_at=NOW + timedelta(hours=1), text_ru="в 15:00")
        doomed = await create(config, send_at=NOW + timedelta(hours=2), text_ru="в 16:00")
        assert await delivery_pass(worker(app)) == 0  # it looked: neither is due yet
        assert sent_to(api, users) == [0, 0, 0]

        clock.now = NOW + timedelta(hours=1)
        worker(app).wake()
        assert [m["text"] for m in await api.wait_for(users[0])] == ["в 15:00"]
        await api.wait_for(admin)  # the report

        await api.send_command(admin, "/broadcasts")
        [listing] = await api.wait_for(admin)
        assert buttons(listing) == [f"bcx:{doomed}"]
        edited = await press_for_edit(api, admin, listing, f"bcx:{doomed}")
        assert buttons(edited) == []
        clock.now = NOW + timedelta(hours=3)
        await delivery_pass(worker(app))  # the cancelled one would be due by now
    assert sent_to(api, users) == [1, 1, 1]
    async with SQLiteStorage(config.database) as storage:
        cancelled = await Broadcasts(storage).get(doomed)
    assert cancelled is not None and cancelled.state == "cancelled"


# The /broadcast flow and admin commands


async def test_admin_composes_previews_and_schedules_a_broadcast(
    api: FakeBotAPI, tmp_path: Path, library: Library
) -> None:
    clock = Clock()
    config = make_config(api, tmp_path / "bot.sqlite3", admin_ids=frozenset({ADMIN}),
                         flood_burst=50)  # fmt: skip
    admin = api.user(ADMIN, language_code="ru")
    async with running_bot(config, library, clock=clock) as app:
        ru_users = await add_subscribers(config, api, range(1, 3), "fraud", "ru")
        kk_users = await add_subscribers(config, api, range(3, 4), "all", "kk")
        await add_subscribers(config, api, range(4, 5), "laws", "ru")

        await api.send_command(admin, "/broadcast")
        [prompt] = await api.wait_for(admin)
        assert buttons(prompt) == ["bc:kk-only", "bc:cancel"]
        await api.send_text(admin, "**Внимание**: мошенники звонят от имени банка & <просят код>")
        [prompt] = await api.wait_for(admin)
        assert buttons(prompt) == ["bc:single", "bc:cancel"]
        await api.send_text(admin, "**Назар аударыңыз**: алаяқтар")
        [audience] = await api.wait_for(admin)
        when = await press_for_edit(api, admin, audience, "to:fraud")
        assert buttons(when) == ["bc:now", "bc:cancel"]

        for typed in ("завтра", "2026-03-01 13:00"):  # unreadable; in the past (14:00 there)
            await api.send_text(admin, typed)
            [error] = await api.wait_for(admin)
            assert buttons(error) == ["bc:now", "bc:cancel"]
        await api.send_text(admin, "2026-03-01 15:00")
        russian, kazakh, summary = await api.wait_for(admin, count=3)
        assert russian["raw_text"] == (
            "<b>Внимание</b>: мошенники звонят от имени банка &amp; &lt;просят код&gt;"
        )
        assert kazakh["raw_text"] == "<b>Назар аударыңыз</b>: алаяқтар"
        assert "3" in summary["text"] and "2026-03-01 15:00" in summary["text"]
        await press_for_edit(api, admin, summary, "bc:confirm")
        assert await delivery_pass(worker(app)) == 0  # scheduled for 15:00; 14:00 there now
        assert api.messages(ru_users[0]) == []

        clock.now = NOW + timedelta(hours=1)
        worker(app).wake()
        [delivered] = await api.wait_for(ru_users[0])
        [delivered_kk] = await api.wait_for(kk_users[0])
        await api.wait_for(admin)  # the report
    assert (delivered["raw_text"], delivered_kk["raw_text"]) == (
        russian["raw_text"], kazakh["raw_text"]
    )  # fmt: skip
    assert delivered["entities"] == russian["entities"]
    assert api.messages(4) == []  # subscribed to laws only
    assert api.errors == []


async def test_a_draft_survives_a_restart_and_a_no_to_forget_but_not_a_yes(
    api: FakeBotAPI, tmp_path: Path, library: Library
) -> None:
    config = make_config(api, tmp_path / "bot.sqlite3", admin_ids=frozenset({ADMIN}))
    admin, citizen = api.user(ADMIN, language_code="ru"), api.user(7, language_code="ru")
    async with running_bot(config, library, clock=lambda: NOW):
        await api.send_command(admin, "/broadcast")
        await api.wait_for(admin)
        await api.send_text(admin, "**Внимание**: новый номер")
        await api.wait_for(admin)  # "now the Kazakh text"
        await api.send_text(citizen, "что такое сталкинг")
        await api.wait_for(citizen)
    async with SQLiteStorage(config.database) as storage:
        kept = await storage.fetchall("SELECT user_id FROM conversations")
    assert kept == [(ADMIN,)]  # the admin's draft; a citizen who only asked leaves no row

    async with running_bot(config, library, clock=lambda: NOW):  # a restart, mid-flow
        await api.send_text(admin, "**Назар**: жаңа нөмір")
        [audience] = await api.wait_for(admin)
        assert "to:everyone" in buttons(audience)
        when = await press_for_edit(api, admin, audience, "to:everyone")
        await api.press(admin, when, "bc:now")
        *_previews, summary = await api.wait_for(admin, count=3)
        await press_for_edit(api, admin, summary, "bc:confirm")
        [report] = await api.wait_for(admin)  # no subscribers: delivered at once

        await api.send_command(admin, "/broadcast")  # a new draft, then /forget
        await api.wait_for(admin)
        await api.send_text(admin, "Черновик")
        await api.wait_for(admin)
        await api.send_command(admin, "/forget")  # asks first; the draft waits for the answer
        [confirm] = await api.wait_for(admin)
        kept = await press_for_edit(api, admin, confirm, "forget:no")
        [carry_on] = await api.wait_for(admin)
        await api.send_text(admin, "Жоба")  # the Kazakh text: the flow goes on from its step
        [audience] = await api.wait_for(admin)
        when = await press_for_edit(api, admin, audience, "to:everyone")
        await api.press(admin, when, "bc:now")
        preview_ru, preview_kk, _summary = await api.wait_for(admin, count=3)

        await api.send_command(admin, "/forget")  # at the last step, and this time "yes"
        [confirm] = await api.wait_for(admin)
        assert "forget:yes" in buttons(confirm)
        await press_for_edit(api, admin, confirm, "forget:yes")
        await api.send_text(admin, "что такое сталкинг")  # the flow has ended: a question
        [answer] = await api.wait_for(admin)
    async with SQLiteStorage(config.database) as storage:
        [sent] = await Broadcasts(storage).recent(include_system=False)
        left = await storage.fetchall("SELECT COUNT(*) FROM conversations")
    assert (sent.text_ru, sent.text_kk) == (
        "<b>Внимание</b>: новый номер",
        "<b>Назар</b>: жаңа нөмір",
    )
    assert left == [(0,)]
    assert "Ничего не удалено" in kept["text"] and "/cancel" in carry_on["text"]
    assert (preview_ru["text"], preview_kk["text"]) == ("Черновик", "Жоба")  # the draft was kept
    assert "fb:uk-115-1-stalking:1" in buttons(answer)
    assert "#1" in report["text"]
    assert api.errors == []


async def test_flow_can_be_cancelled_and_refuses_a_text_longer_than_a_message(
    api: FakeBotAPI, tmp_path: Path, library: Library
) -> None:
    config = make_config(api, tmp_path / "bot.sqlite3", admin_ids=frozenset({ADMIN}))
    admin = api.user(ADMIN)
    async with running_bot(config, library, clock=lambda: NOW):
        await api.send_command(admin, "/broadcast")
        await api.wait_for(admin)
        await api.send_text(admin, "&" * 1000)  # 5000 characters once escaped
        [refused] = await api.wait_for(admin)
        assert "5000" in refused["text"] and "4096" in refused["text"]
        await api.send_command(admin, "/cancel")
        [cancelled] = await api.wait_for(admin)
        await api.send_text(admin, "что такое сталкинг")  # back to normal questions
        [answer] = await api.wait_for(admin)
    assert "115-1" in answer["text"] and cancelled["text"] != answer["text"]
    async with SQLiteStorage(config.database) as storage:
        assert await Broadcasts(storage).recent() == []


async def test_a_button_of_an_earlier_step_says_so_and_leaves_the_flow_alone(
    api: FakeBotAPI, tmp_path: Path, library: Library
) -> None:
    config = make_config(api, tmp_path / "bot.sqlite3", admin_ids=frozenset({ADMIN}))
    admin = api.user(ADMIN, language_code="ru")
    async with running_bot(config, library, clock=lambda: NOW):
        await api.send_command(admin, "/broadcast")
        [first] = await api.wait_for(admin)
        await api.send_text(admin, "Текст")
        [second] = await api.wait_for(admin)  # "now the Kazakh text"
        pressed = await api.press(admin, first, "bc:kk-only")  # a step the flow has left
        answer = await api.wait_for_callback_answer(pressed)
        stripped = await api.wait_for_edit(admin, first["message_id"])
        await api.send_text(admin, "Мәтін")  # the flow is still at the Kazakh step
        [audience] = await api.wait_for(admin)
        await press_for_edit(api, admin, audience, "bc:cancel")
        pressed = await api.press(admin, second, "bc:single")  # a flow that has ended
        ended = await api.wait_for_callback_answer(pressed)
        await api.wait_for_edit(admin, second["message_id"])
        # Nothing else for that button: the admin's next message is the answer to the next text.
        await api.send_text(admin, "что такое сталкинг")
        [next_message] = await api.wait_for(admin)
        assert "115-1" in next_message["text"]
    assert answer["text"] == ended["text"] == "Эта кнопка — с прошлого шага и больше не работает."
    assert (stripped["text"], stripped["reply_markup"]) == (first["text"], None)
    assert "to:everyone" in buttons(audience)
    assert api.errors == []


async def test_admin_commands_are_unknown_to_others_and_menus_follow_roles(
    api: FakeBotAPI, tmp_path: Path, library: Library
) -> None:
    config = make_config(api, tmp_path / "bot.sqlite3", admin_ids=frozenset({ADMIN}))
    admin, citizen = api.user(ADMIN), api.user(555, language_code="ru")
    unknown = unknown_command_page("ru").text
    async with running_bot(config, library, clock=lambda: NOW):
        for command in ("/broadcast", "/broadcasts", "/admins", "/cancel"):
            await api.send_command(citizen, command)
            [reply] = await api.wait_for(citizen)
            assert reply["text"] == unknown

        await api.send_command(admin, "/admins", payload="grant 555")
        await api.wait_for(admin)
        await api.send_command(citizen, "/broadcasts")
        [listing] = await api.wait_for(citizen)
        assert listing["text"] != unknown

        await api.send_command(admin, "/admins", payload=f"revoke {ADMIN}")  # configured: stays
        [refusal] = await api.wait_for(admin)
        assert "ZANBOT_ADMIN_IDS" in refusal["text"]
        await api.send_command(admin, "/admins", payload="revoke 555")
        await api.wait_for(admin)
        await api.send_command(citizen, "/broadcasts")
        [reply] = await api.wait_for(citizen)
        assert reply["text"] == unknown

    def scoped(method: str, chat_id: int) -> list[dict]:
        return [p for p in api.requests_for(method)
                if (p.get("scope") or {}).get("chat_id") == chat_id]  # fmt: skip

    admin_menus = scoped("setMyCommands", ADMIN)
    assert {p.get("language_code") for p in admin_menus} == {None, "ru", "kk"}
    assert all("broadcast" in [c["command"] for c in p["commands"]] for p in admin_menus)
    assert len(scoped("setMyCommands", 555)) == 3 and len(scoped("deleteMyCommands", 555)) == 3
    public = [p for p in api.requests_for("setMyCommands") if not p.get("scope")]
    assert public and all("broadcast" not in [c["command"] for c in p["commands"]]
                          for p in public)  # fmt: skip


# What citizens see


async def test_subscriptions_toggle_in_place_and_unsubscribe_turns_all_off(
    api: FakeBotAPI, tmp_path: Path, library: Library
) -> None:
    config = make_config(api, tmp_path / "bot.sqlite3")
    user = api.user(77, language_code="ru")
    async with running_bot(config, library, clock=lambda: NOW):
        await api.send_command(user, "/menu")
        [menu] = await api.wait_for(user)
        assert buttons(menu)[-1] == "subs"
        page = await press_for_edit(api, user, menu, "subs")
        assert buttons(page) == ["sub:fraud", "sub:laws", "sub:hearings", "sub:all", "menu"]
        page = await press_for_edit(api, user, page, "sub:fraud")
        page = await press_for_edit(api, user, page, "sub:hearings")
        assert "".join(labels(page)).count("✅") == 2
        async with SQLiteStorage(config.database) as storage:
            assert await storage.subscriptions(77) == {"fraud", "hearings"}
        page = await press_for_edit(api, user, page, "sub:fraud")
        assert "".join(labels(page)).count("✅") == 1

        await api.send_command(user, "/unsubscribe")
        [confirmation] = await api.wait_for(user)
        assert "/subscribe" in confirmation["text"]
        async with SQLiteStorage(config.database) as storage:
            assert await storage.subscriptions(77) == set()
        await api.send_command(user, "/subscribe")
        [fresh] = await api.wait_for(user)
    assert "✅" not in "".join(labels(fresh))
    assert api.errors == []


async def test_hearing_answer_offers_an_ics_file(
    api: FakeBotAPI, tmp_path: Path, library: Library
) -> None:
    config = make_config(api, tmp_path / "bot.sqlite3")
    user = api.user(78, language_code="kk")
    async with running_bot(config, library, clock=lambda: NOW):
        await api.send_command(user, "/start", payload=HEARING)
        [answer] = await api.wait_for(user)
        assert f"ics:{HEARING}" in buttons(answer)
        await api.press(user, answer, f"ics:{HEARING}")
        [document] = await api.wait_for(user)
    assert document["document"]["file_name"] == f"{HEARING}.ics"
    content = document["document"]["content"]
    assert content.startswith(b"BEGIN:VCALENDAR\r\n")
    assert b"DTSTART;TZID=Asia/Almaty:20260428T100000\r\n" in content
    kk_title = library.kb.get(HEARING, "kk").title
    assert document["caption"] == kk_title
    assert api.errors == []
