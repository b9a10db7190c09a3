"""`zanbot run` as a real process: long polling with a graceful stop, and the webhook server."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest
from botharness import TOKEN
from fakebotapi import FakeBotAPI, wait_until

from bot.knowledge.library import Library

QUESTIONS = ["что такое сталкинг", "115-1 бап деген не", "что такое дропперство", "привет"]


def handles_sigterm(pid: int) -> bool:
    """Whether the process has installed a SIGTERM handler (its SigCgt mask in /proc)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:  # it has ended
        return False
    for line in status.splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) >> (signal.SIGTERM - 1) & 1)
    return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def zanbot(
    api: FakeBotAPI, tmp_path: Path, *args: str, command: tuple[str, ...] = ("run",), **env: str
) -> AsyncIterator[asyncio.subprocess.Process]:
    """Run `python -m bot run ARGS` against the fake server; stop it with SIGTERM at the end."""
    environment = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": api.url,
        "ZANBOT_DATABASE": str(tmp_path / "bot.sqlite3"),
        "ZANBOT_LOG_LEVEL": "WARNING",
        **env,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *command, *args, cwd=tmp_path, env=environment,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        _out, err = await asyncio.wait_for(process.communicate(), timeout=30)
        assert process.returncode == 0, err.decode(errors="replace")


async def test_sigterm_finishes_in_flight_updates_and_restart_drops_none(
    tmp_path: Path, library: Library
) -> None:
    async with FakeBotAPI() as api:
        users = [api.user(3000 + i) for i in range(5)]
        async with zanbot(api, tmp_path) as first:
            await api.send_text(users[0], "привет")
            await api.wait_for(users[0].id, timeout=30)  # the bot is up and polling
            for user in users:
                for question in QUESTIONS[:2]:
                    await api.send_text(user, question)
            first.send_signal(signal.SIGTERM)  # while those updates are being fetched/handled
        assert first.returncode == 0
        async with zanbot(api, tmp_path):
            # Every question is answered once: before the stop, or after the restart.
            for user in users:
                await api.wait_for(user.id, count=2, timeout=30)
            # The bot handles a chat's updates in order, so each user's next message answers a
            # later question: a second answer to an earlier one would come before it.
            for user in users:
                await api.send_text(user, QUESTIONS[2])
            droppers = library.kb.get("uk-232-1-droppers", "ru").title
            for user in users:
                [answer] = await api.wait_for(user.id, timeout=30)
                assert droppers in answer["text"]
                assert len(api.messages(user.id)) == 3 + (user is users[0])
        assert api.pending_updates == []
        assert api.errors == []


async def test_plain_zanbot_serves_users_in_both_languages_at_once(
    tmp_path: Path, library: Library
) -> None:
    """The README's run command: plain `zanbot` with a token and TELEGRAM_API_URL."""
    async with FakeBotAPI() as api:
        people = {"kk": api.user(3200, language_code="kk"), "ru": api.user(3201)}
        async with zanbot(api, tmp_path, command=()):
            for user in people.values():
                await api.send_command(user, "/start")
            for lang, user in people.items():
                [chooser] = await api.wait_for(user.id, timeout=30)
                await api.press(user, chooser, f"lang:{lang}")
            for user in people.values():
                await api.wait_for(user.id)  # the menu, in the chosen language
            await api.send_text(people["kk"], "сталкинг деген не")
            await api.send_text(people["ru"], "что такое сталкинг")
            for lang, user in people.items():
                [answer] = await api.wait_for(user.id, timeout=30)
                assert library.kb.get("uk-115-1-stalking", lang).title in answer["text"]
        assert api.errors == []


@pytest.mark.skipif(
    not Path("/proc/self/status").exists(), reason="needs /proc to see the signal handlers"
)
async def test_a_stop_while_the_model_trains_ends_the_process_cleanly(tmp_path: Path) -> None:
    async with FakeBotAPI() as api:
        # A model directory of its own: this process has to train (seconds) before it starts;
        # the signal comes once the process has taken SIGTERM over (a stop before that ends it
        # by the signal's default action), while it trains.
        async with zanbot(api, tmp_path, ZANBOT_MODEL_DIR=str(tmp_path / "models")) as process:
            await wait_until(
                lambda: process.returncode is not None or handles_sigterm(process.pid),
                timeout=60,
                message="zanbot run installed its SIGTERM handler",
            )
            assert api.requests == []  # still training: the bot has not called Telegram yet
            process.send_signal(signal.SIGTERM)
        assert process.returncode == 0  # zanbot() asserts it too, with the process's stderr
        assert api.requests == []  # it stopped before the bot started


async def test_webhook_server_answers_updates_with_the_secret(tmp_path: Path) -> None:
    port = free_port()
    url = "https://bot.example.kz/telegram"  # the public URL; TLS ends at a proxy
    local = f"http://127.0.0.1:{port}/telegram"
    async with FakeBotAPI() as api:
        user = api.user(3100)
        env = {"ZANBOT_WEBHOOK_PORT": str(port), "ZANBOT_WEBHOOK_SECRET": "s3cret"}
        async with zanbot(api, tmp_path, "--webhook", url, **env):
            update_id = await api.send_text(user, QUESTIONS[0])
            payload = api.update(update_id)
            async with aiohttp.ClientSession() as session:
                for _ in range(100):  # wait for the server to listen
                    try:
                        async with session.post(local, json=payload) as response:
                            wrong_secret = response.status
                        break
                    except aiohttp.ClientConnectionError:
                        await asyncio.sleep(0.2)
                headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret"}
                async with session.post(local, json=payload, headers=headers) as response:
                    accepted = response.status
            [answer] = await api.wait_for(user.id, timeout=30)
        assert wrong_secret == 403
        assert accepted == 200
        assert "115-1" in answer["text"]
        [registered] = api.requests_for("setWebhook")
        assert registered["url"] == url
        assert registered["secret_token"] == "s3cret"


@pytest.mark.parametrize("env", [{"TELEGRAM_BOT_TOKEN": ""}])
async def test_run_without_token_explains_itself(tmp_path: Path, env: dict[str, str]) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path, env={**os.environ, **env},
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _out, err = await process.communicate()
    assert process.returncode == 2
    assert b"TELEGRAM_BOT_TOKEN" in err
