"""The health endpoint over real HTTP: /healthz and /metrics of the unmodified bot against the
fake Bot API server, with long polling, with a webhook (in process, and `zanbot run --webhook`
as a process), and the readiness checks one by one."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from botharness import (
    TOKEN,
    delivery_pass,
    make_config,
    running_bot,
    until_handled,
)
from conftest import NOW
from fakebotapi import FakeBotAPI, wait_until
from prometheus_client.parser import text_string_to_metric_families

from bot.broadcasting.broadcasts import Broadcasts
from bot.config import Config
from bot.conversation.assistant import Assistant
from bot.knowledge.library import Library
from bot.metrics import OUTCOMES
from bot.storage.sqlite import SQLiteStorage
from bot.telegram import health
from bot.telegram.app import build_application
from bot.telegram.health import health_port, start_health, stop_health

ADMIN = 950
# An answer in each language, a "did you mean", an out-of-scope question, an article no topic
# explains (counted as unknown) and a text without letters (not a question at all).
QUESTIONS = [
    "что такое сталкинг", "сталкинг деген не", "закон", "какая погода завтра в Астане",
    "статья 190 УК", "???",
]  # fmt: skip

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def get(port: int, path: str) -> tuple[int, str, str]:
    """GET http://127.0.0.1:port/path; return the status, the content type and the body."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}{path}") as response,
    ):
        return response.status, response.headers["Content-Type"], await response.text()


async def healthz(port: int) -> tuple[int, dict[str, Any]]:
    status, content_type, body = await get(port, "/healthz")
    assert content_type.startswith("application/json")
    return status, json.loads(body)


async def metrics(port: int) -> Samples:
    status, content_type, body = await get(port, "/metrics")
    assert status == 200
    assert content_type.startswith("text/plain; version=0.0.4")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def ok_requests(samples: Samples, method: str) -> float:
    return value(samples, "zanbot_telegram_requests_total", method=method, result="ok")


def expected_questions(library: Library) -> dict[tuple[str, str], int]:
    """What the questions above count as: (outcome, language) → questions."""
    counts: dict[tuple[str, str], int] = {}
    for text in QUESTIONS:
        _reply, match = Assistant(library).ask(text, "ru")
        if match.decision in OUTCOMES:
            key = (OUTCOMES[match.decision], match.lang)
            counts[key] = counts.get(key, 0) + 1
    return counts


async def test_polling_endpoint_counts_questions_latency_and_requests(
    api: FakeBotAPI, content_copy: Path, model_dir: Path, tmp_path: Path
) -> None:
    library = Library(content_copy, models=model_dir)  # /reload reloads it: not the shared one
    port = free_port()
    config = make_config(
        api, tmp_path / "bot.sqlite3", health_port=port, flood_burst=50,
        admin_ids=frozenset({ADMIN}),
    )  # fmt: skip
    expected = expected_questions(library)
    # The questions cover every outcome, and the empty one is not among them.
    assert {outcome for outcome, _lang in expected} == {"answered", "clarified", "unknown"}
    assert sum(expected.values()) == len(QUESTIONS) - 1
    async with running_bot(config, library, clock=lambda: NOW) as app:
        status, body = await healthz(port)
        assert status == 200
        snapshot = library.snapshot
        assert body == {
            "status": "ok",
            "database": True,
            "content": {
                "loaded": True,
                "topics": len(library.kb.ids()),
                "version": snapshot.version,
                "loaded_at": snapshot.loaded_at.isoformat(timespec="seconds"),
            },
            "matcher_ready": True,
            "telegram_last_success": body["telegram_last_success"],
        }
        assert len(snapshot.version) == 12
        assert body["telegram_last_success"] is not None  # getMe, setMyCommands…: at start
        before = await metrics(port)
        for (outcome, lang), _count in expected.items():
            assert value(before, "zanbot_questions_total", outcome=outcome, lang=lang) == 0
        assert value(before, "zanbot_answer_latency_seconds_count") == 0
        assert ok_requests(before, "setMyCommands") == len(api.requests_for("setMyCommands"))
        assert ok_requests(before, "setMyDescription") == 3
        assert ok_requests(before, "sendMessage") == 0

        # One user each: a chat gets one message a second from the bot.
        users = [api.user(4100 + i) for i in range(len(QUESTIONS))]
        ids = [await api.send_text(user, text) for user, text in zip(users, QUESTIONS, strict=True)]
        await until_handled(app, *ids)
        admin = api.user(ADMIN)
        await until_handled(app, await api.send_command(admin, "/reload"))
        after = await metrics(port)
        status, body = await healthz(port)

    assert status == 200
    for (outcome, lang), count in expected.items():
        assert value(after, "zanbot_questions_total", outcome=outcome, lang=lang) == count
    total = sum(v for (name, _), v in after.items() if name == "zanbot_questions_total")
    assert total == len(QUESTIONS) - 1  # "???" is no question
    assert value(after, "zanbot_answer_latency_seconds_count") == len(QUESTIONS) - 1
    assert value(after, "zanbot_answer_latency_seconds_bucket", le="+Inf") == len(QUESTIONS) - 1
    assert value(after, "zanbot_answer_latency_seconds_sum") > 0
    sent = len(api.requests_for("sendMessage"))
    assert sent >= len(QUESTIONS) + 1  # every question got a reply, the admin one too
    assert ok_requests(after, "sendMessage") == sent
    assert ok_requests(after, "getUpdates") >= 1
    assert value(after, "zanbot_content_reloads_total", result="accepted") == 1
    assert value(after, "zanbot_content_reloads_total", result="rejected") == 0
    assert value(after, "zanbot_telegram_last_success_timestamp_seconds") > 0
    # Nothing about users: no label carries an id or a text.
    labels = {v for (_name, pairs) in after for _key, v in pairs}
    assert not labels & {*(str(user.id) for user in users), str(ADMIN), *QUESTIONS}
    assert api.errors == []


async def test_broadcast_outcomes_and_refused_requests_are_counted(
    api: FakeBotAPI, library: Library, tmp_path: Path
) -> None:
    port = free_port()
    config = make_config(api, tmp_path / "bot.sqlite3", health_port=port)
    # Four subscribers: one gets it, one blocked the bot, one Telegram does not know (400), and
    # one whose message a killed process left half-sent (in doubt, never sent again).
    sent, blocked, unknown, doubtful = 4201, 4202, 4203, 4204
    for user_id in (sent, blocked, doubtful):
        api.user(user_id)
    api.block(blocked)
    async with SQLiteStorage(config.database) as storage:
        for user_id in (sent, blocked, unknown, doubtful):
            await storage.subscribe(user_id, "all")
        broadcast_id, _count = await Broadcasts(storage, now=lambda: NOW).create(
            created_by=None, text_ru="Внимание", text_kk="Назар"
        )
        await storage.execute(
            "UPDATE outbox SET state = 'sending' WHERE broadcast_id = ? AND user_id = ?",
            (broadcast_id, doubtful),
        )
    async with running_bot(config, library, clock=lambda: NOW) as app:
        assert await delivery_pass(app.bot_data["delivery"]) == 1
        samples = await metrics(port)

    counted = {
        outcome: value(samples, "zanbot_broadcast_messages_total", outcome=outcome)
        for outcome in ("sent", "blocked", "failed", "in_doubt")
    }
    assert counted == {"sent": 1, "blocked": 1, "failed": 1, "in_doubt": 1}
    requests = "zanbot_telegram_requests_total"
    assert value(samples, requests, method="sendMessage", result="ok") == 1
    assert value(samples, requests, method="sendMessage", result="403") == 1
    assert value(samples, requests, method="sendMessage", result="error") == 1
    assert [e["error_code"] for e in api.errors] in ([403, 400], [400, 403])


async def test_a_429_is_counted_as_such(api: FakeBotAPI, library: Library, tmp_path: Path) -> None:
    port = free_port()
    config = make_config(api, tmp_path / "bot.sqlite3", health_port=port)
    async with running_bot(config, library) as app:
        api.fail_next("sendMessage", retry_after=0)
        user = api.user(4300)
        await until_handled(app, await api.send_text(user, "что такое сталкинг"))
        samples = await metrics(port)
    assert value(samples, "zanbot_telegram_requests_total", method="sendMessage", result="429") == 1


async def test_healthz_is_503_until_the_database_opens_and_without_content(
    api: FakeBotAPI, library: Library, tmp_path: Path
) -> None:
    port = free_port()
    config = make_config(api, tmp_path / "bot.sqlite3", health_port=port)
    storage = SQLiteStorage(config.database)
    app = build_application(config, library, storage)
    await start_health(app)  # before on_startup: the database is not open yet
    try:
        status, body = await healthz(port)
        assert status == 503
        assert body["status"] == "unavailable"
        assert body["database"] is False
        assert body["content"]["loaded"] is True and body["matcher_ready"] is True
        assert body["telegram_last_success"] is None  # not a condition of readiness

        await storage.open()
        status, body = await healthz(port)
        assert (status, body["status"], body["database"]) == (200, "ok", True)

        await stop_health(app)
        app.bot_data["library"] = None  # no content loaded
        await start_health(app)
        status, body = await healthz(port)
        assert status == 503
        assert body["content"] == {"loaded": False, "topics": 0, "version": None,
                                   "loaded_at": None}  # fmt: skip
        assert body["matcher_ready"] is False

        await stop_health(app)
        app.bot_data["library"] = library
        await start_health(app)
        await storage.close()  # the database went away
        status, body = await healthz(port)
        assert (status, body["database"]) == (503, False)
    finally:
        await stop_health(app)
        await storage.close()


async def test_the_endpoint_is_off_by_default_with_long_polling(
    api: FakeBotAPI, library: Library, tmp_path: Path
) -> None:
    config = make_config(api, tmp_path / "bot.sqlite3")
    assert config.health_port == 0
    async with running_bot(config, library) as app:
        assert "health" not in app.bot_data


def test_webhook_mode_serves_it_on_8080_unless_a_port_is_set(tmp_path: Path) -> None:
    config = Config.load(env={}, dotenv=tmp_path / "none.env")
    assert health_port(config, webhook=False) == 0
    assert health_port(config, webhook=True) == 8080
    assert health_port(replace(config, webhook_port=8080), webhook=True) == 8081
    assert health_port(replace(config, health_port=9100), webhook=True) == 9100
    assert health_port(replace(config, health_port=9100), webhook=False) == 9100


async def test_a_port_that_was_set_and_is_taken_stops_the_start(
    api: FakeBotAPI, library: Library, tmp_path: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = make_config(api, tmp_path / "bot.sqlite3", health_port=port)
        app = build_application(config, library, SQLiteStorage(config.database))
        with pytest.raises(OSError, match="ZANBOT_HEALTH_PORT"):
            await start_health(app)
        # The webhook mode's default port only gets a warning: the bot runs without it.
        app.bot_data["webhook"] = True
        app.bot_data["config"] = replace(config, health_port=0)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(health, "WEBHOOK_HEALTH_PORT", port)
            assert await start_health(app) is None
    assert "health" not in app.bot_data


async def test_webhook_mode_serves_the_endpoint_on_its_default_port(
    api: FakeBotAPI, library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port, hook = free_port(), free_port()
    monkeypatch.setattr(health, "WEBHOOK_HEALTH_PORT", port)  # the default, on a free port
    config = make_config(api, tmp_path / "bot.sqlite3", webhook_port=hook)
    assert config.health_port == 0
    user = api.user(4400)
    url = "https://bot.example.kz/telegram"
    async with running_bot(config, library, webhook_url=url) as app:
        status, body = await healthz(port)
        assert (status, body["database"], body["matcher_ready"]) == (200, True, True)
        before = await metrics(port)
        assert ok_requests(before, "setWebhook") == 1
        assert ok_requests(before, "getUpdates") == 0
        update_id = await api.send_text(user, "что такое сталкинг")
        payload = api.update(update_id)
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"http://127.0.0.1:{hook}/telegram", json=payload) as response,
        ):
            assert response.status == 200
        await until_handled(app, update_id)
        [answer] = api.messages(user.id)
        after = await metrics(port)
    assert "115-1" in answer["text"]
    assert value(after, "zanbot_questions_total", outcome="answered", lang="ru") == 1
    assert value(after, "zanbot_answer_latency_seconds_count") == 1
    assert ok_requests(after, "sendMessage") == 1
    assert api.errors == []


async def test_zanbot_run_webhook_serves_health_and_metrics(
    api: FakeBotAPI, library: Library, tmp_path: Path
) -> None:
    """The real process: `zanbot run --webhook URL` with ZANBOT_HEALTH_PORT set."""
    port, hook = free_port(), free_port()
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": api.url,
        "ZANBOT_DATABASE": str(tmp_path / "bot.sqlite3"),
        "ZANBOT_LOG_LEVEL": "WARNING",
        "ZANBOT_WEBHOOK_PORT": str(hook),
        "ZANBOT_HEALTH_PORT": str(port),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--webhook", "https://bot.example.kz/telegram",
        cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        await wait_until(
            lambda: process.returncode is not None or len(api.requests_for("setWebhook")) == 1,
            60,
            message="the bot registered its webhook",
        )
        assert process.returncode is None
        status, body = await healthz(port)  # it listens before the webhook is registered
        assert (status, body["status"]) == (200, "ok")
        assert body["content"]["version"] == library.snapshot.version
        samples = await metrics(port)
        assert ok_requests(samples, "setMyDescription") == 3
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        _out, err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, err.decode(errors="replace")
