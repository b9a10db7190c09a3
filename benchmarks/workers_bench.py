"""One and three `zanbot run --webhook` workers over PostgreSQL (issue 20), next to one worker
over SQLite (the baseline), all in the same run against the fake Bot API server.

    python benchmarks/workers_bench.py [--rate 300] [--seconds 10] [--round-trip 0.04]
        [--users 600] [--subscribers 600]

For each configuration (SQLite × 1, PostgreSQL × 1, PostgreSQL × 3):

(a) answers: with the server's limits off and a round trip added to every answer, questions
    (benchmarks/data/heldout-a.tsv) posted with the secret token to the workers in turn, as
    nginx would, at a fixed rate for a few seconds (after a short warm-up, not counted).
    Printed: questions answered, answered/s (first question to last answer), delay p50/p99
    (from the post to the server accepting the answer), and whether all were answered.
(b) a broadcast to `--subscribers` users with the server's flood control on (30/s overall,
    1/s per chat), the workers at their defaults: the sustained rate (first to last accepted
    message) as a share of 30/s, the 429 answers, and whether each subscriber got it once.

The workers are restarted between (a) and (b) with (a)'s settings as in reply_bench.py
(ZANBOT_BROADCAST_RATE=1000, ZANBOT_CHAT_RATE=10, ZANBOT_FLOOD_RATE=10: nothing is paced for
the bot's sake) and (b)'s defaults. PostgreSQL: ZANBOT_TEST_POSTGRESQL if set, else a throwaway
server started with .ci/postgresql.sh and stopped at the end; every configuration gets a new
database. The server, the posting and the workers share the machine: the figures depend on
its cores and on whatever else runs there (the load average is printed at the start).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from unittest import mock

import aiohttp
from reply_bench import ROOT, TimedFakeBotAPI, answers, ms, questions

sys.path.insert(0, str(ROOT / "tests" / "cli"))

import conftest  # tests/, put on the path by reply_bench
from test_workers import SECRET, free_port, start_worker

from bot.storage.broadcasts import BroadcastStore
from bot.storage.factory import storage_for

POSTGRESQL_SH = ROOT / ".ci" / "postgresql.sh"
ANSWERING = {
    "ZANBOT_BROADCAST_RATE": "1000", "ZANBOT_CHAT_RATE": "10",
    "ZANBOT_FLOOD_RATE": "10", "ZANBOT_FLOOD_BURST": "20",
}  # fmt: skip
WARM_UP = (30.0, 3.0)  # questions a second, seconds: not counted
LIMIT = 30.0  # Telegram's overall rate, enforced by the fake server in (b)
SUBSCRIBERS_FROM = 100_000  # their ids, apart from the users who ask


async def start_workers(
    api: TimedFakeBotAPI, database: str, tmp: Path, count: int, settings: dict[str, str]
) -> tuple[list[asyncio.subprocess.Process], list[int]]:
    """Start `count` webhook workers with `settings` on top of the environment; wait until each
    has registered its webhook."""
    ports = [free_port() for _ in range(count)]
    registered = len(api.requests_for("setWebhook"))
    with mock.patch.dict(os.environ, settings):
        workers = [await start_worker(api, database, tmp, n, port) for n, port in enumerate(ports)]
    deadline = time.monotonic() + 180
    while len(api.requests_for("setWebhook")) < registered + count or not all(
        [await listening(port) for port in ports]
    ):  # a worker registers its webhook before its server listens
        if time.monotonic() > deadline or any(w.returncode is not None for w in workers):
            logs = [(tmp / f"worker-{n}.log").read_text()[-2000:] for n in range(count)]
            raise RuntimeError(f"the workers did not start: {logs}")
        await asyncio.sleep(0.1)
    return workers, ports


async def listening(port: int) -> bool:
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return False
    writer.close()
    await writer.wait_closed()
    return True


async def stop_workers(workers: list[asyncio.subprocess.Process]) -> None:
    for worker in workers:
        if worker.returncode is None:
            worker.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            await asyncio.wait_for(worker.wait(), timeout=60)
        except TimeoutError:
            worker.kill()
            await worker.wait()


async def ask(
    api: TimedFakeBotAPI, ports: list[int], rate: float, seconds: float
) -> dict[str, Any]:
    """Post `rate` questions a second for `seconds` to the workers in turn, each user in turn;
    wait for the answers and return their delays."""
    rng, texts = random.Random(int(rate * seconds)), questions()
    users = [api.users[user_id] for user_id in sorted(api.users) if user_id < SUBSCRIBERS_FROM]
    before = {user.id: len(api.accepted[user.id]) for user in users}
    answers_before = api.answers
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

        async def post(update_id: int, port: int) -> None:
            url = f"http://127.0.0.1:{port}/telegram"
            async with session.post(url, json=api.update(update_id)) as response:
                if response.status != 200:
                    raise RuntimeError(f"worker on {port} answered {response.status}")

        asked: list[tuple[float, int]] = []
        posts = []
        total, start = round(rate * seconds), time.monotonic()
        while len(asked) < total:
            due = min(total, int((time.monotonic() - start) * rate) + 1)
            while len(asked) < due:
                user, port = users[len(asked) % len(users)], ports[len(asked) % len(ports)]
                asked.append((time.monotonic(), user.id))
                update_id = await api.send_text(user, rng.choice(texts))
                posts.append(asyncio.create_task(post(update_id, port)))
            await asyncio.sleep(0.002)
        last = time.monotonic()
        await asyncio.gather(*posts)
    delays, answered_at = await answers(api, asked, before, answers_before, last)
    return {"total": total, "first": asked[0][0], "delays": sorted(delays), "at": answered_at}


async def answering(database: str, count: int, args: argparse.Namespace) -> dict[str, Any]:
    """Scenario (a) on one configuration."""
    async with TimedFakeBotAPI(round_trip=args.round_trip) as api:
        for user_id in range(1, args.users + 1):
            api.user(user_id, language_code="ru" if user_id % 3 else "kk")
        with tempfile.TemporaryDirectory() as name:
            workers, ports = await start_workers(api, database, Path(name), count, ANSWERING)
            try:
                await ask(api, ports, *WARM_UP)
                return await ask(api, ports, args.rate, args.seconds)
            finally:
                await stop_workers(workers)


async def broadcasting(database: str, count: int, subscribers: int) -> dict[str, Any]:
    """Scenario (b) on one configuration."""
    recipients = range(SUBSCRIBERS_FROM, SUBSCRIBERS_FROM + subscribers)
    async with (
        TimedFakeBotAPI(global_rate=LIMIT, per_chat_rate=1) as api,
        storage_for(database) as db,
    ):
        for user_id in recipients:
            api.user(user_id)
            await db.subscribe(user_id, "all")
        with tempfile.TemporaryDirectory() as name:
            workers, _ = await start_workers(api, database, Path(name), count, {})
            try:
                too_many = api.too_many_requests
                await BroadcastStore(db).create(
                    created_by=None, text_ru="<b>Внимание!</b> Тест.", text_kk="<b>Назар!</b> Тест."
                )
                deadline = time.monotonic() + 2 * subscribers / LIMIT + 60
                while time.monotonic() < deadline:
                    if all(api.accepted[user_id] for user_id in recipients):
                        break
                    await asyncio.sleep(0.1)
            finally:
                await stop_workers(workers)
    accepted = sorted(at for user_id in recipients for at in api.accepted[user_id])
    sustained = (len(accepted) - 1) / (accepted[-1] - accepted[0]) if len(accepted) > 1 else 0
    return {
        "sustained": sustained, "too_many": api.too_many_requests - too_many,
        "once": all(len(api.accepted[user_id]) == 1 for user_id in recipients),
    }  # fmt: skip


def start_postgresql() -> tuple[str, str]:
    """Start a throwaway PostgreSQL server with .ci/postgresql.sh; return its URL and folder."""
    script = f'source "{POSTGRESQL_SH}" && start_postgresql && echo "$ZANBOT_TEST_POSTGRESQL"'
    script += ' && echo "$ZANBOT_PG_DIR"'
    output = subprocess.run(["bash", "-c", script], check=True, capture_output=True, text=True)
    url, folder = output.stdout.split()
    return url, folder


def stop_postgresql(folder: str) -> None:
    script = f'source "{POSTGRESQL_SH}" && stop_postgresql'
    subprocess.run(["bash", "-c", script], check=True, env={**os.environ, "ZANBOT_PG_DIR": folder})


async def configuration(name: str, count: int, args: argparse.Namespace) -> str:
    """Run (a) and (b) on one configuration, each on a new database; return its line."""
    if name == "SQLite":
        with tempfile.TemporaryDirectory() as tmp:
            found = await answering(f"{tmp}/answers.sqlite3", count, args)
            sent = await broadcasting(f"{tmp}/broadcast.sqlite3", count, args.subscribers)
    else:
        async with conftest.scratch_postgresql() as database:
            found = await answering(database, count, args)
        async with conftest.scratch_postgresql() as database:
            sent = await broadcasting(database, count, args.subscribers)
    delays, at = found["delays"], found["at"]
    answered = len(delays)
    rate = answered / (max(at) - found["first"]) if at else 0.0
    p50 = ms(delays[answered // 2]) if delays else "—"
    p99 = ms(delays[min(answered - 1, int(0.99 * answered))]) if delays else "—"
    share = sent["sustained"] / LIMIT
    return (
        f"{name:<11} {count:>7} {answered:>6}/{found['total']:<5} {rate:>6.0f} {p50:>8} "
        f"{p99:>8} {'yes' if answered == found['total'] else 'NO':>4}   "
        f"{sent['sustained']:>5.1f}/s {share:>6.1%} {sent['too_many']:>5} "
        f"{'yes' if sent['once'] else 'NO':>5}"
    )


async def main(args: argparse.Namespace) -> None:
    print(
        f"(a) {args.rate:.0f} questions/s for {args.seconds:.0f} s from {args.users} users, "
        f"{args.round_trip * 1000:.0f} ms round trip, no limits; (b) a broadcast to "
        f"{args.subscribers}, flood control {LIMIT:.0f}/s and 1/s a chat"
    )
    print(
        f"{os.cpu_count()} CPUs shared with everything else on the machine, load average "
        f"{os.getloadavg()[0]:.1f} at the start"
    )
    print(
        f"{'database':<11} {'workers':>7} {'answered':>12} {'ans/s':>6} {'p50':>8} {'p99':>8} "
        f"{'all':>4}   {'broadcast':>7} {'of 30/s':>6} {'429s':>5} {'once':>5}"
    )
    for name, count in (("SQLite", 1), ("PostgreSQL", 1), ("PostgreSQL", 3)):
        print(await configuration(name, count, args), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=300.0, help="questions a second in (a)")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of (a)")
    parser.add_argument("--round-trip", type=float, default=0.04, help="seconds, in (a)")
    parser.add_argument("--users", type=int, default=600, help="users who ask in (a)")
    parser.add_argument("--subscribers", type=int, default=600, help="recipients in (b)")
    arguments = parser.parse_args()
    folder = None
    if not conftest.POSTGRESQL:
        conftest.POSTGRESQL, folder = start_postgresql()
    try:
        asyncio.run(main(arguments))
    finally:
        if folder is not None:
            stop_postgresql(folder)
