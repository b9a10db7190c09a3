"""Replies under load, as users would load the bot: `zanbot run` in a process of its own against
the fake Bot API with Telegram's limits off and a network round trip added to every answer the
bot gets, many users asking questions, a steady phase and then a spike.

    python benchmarks/reply_bench.py [--round-trip 0.04] [--users 600] [--repeat 1]
        [--steady 300 20] [--spike 900 10] [--bots echo echo-aiohttp zanbot] [--profile DIR]

The baseline is a bare python-telegram-bot echo bot run in the same harness and round trip:
PTB's defaults (its httpx transport) with ``concurrent_updates(True)``, the one setting without
which it answers a single update per round trip; ``echo-aiohttp`` is the same echo bot over the
bot's own transport. The ratio of CPU per answer shows what the project's own work costs
(matching, rendering, the database, the send budget).

The server and its users are one process, each bot another; a question's delay runs from the
user sending it to the server accepting its answer (the server's clock); a warm-up of 200
questions comes first. Printed for each bot and phase: questions answered, answered/s (first
question to last answer), the rate while draining (after the last question, when that took
over a second), when the last answer came after the last question, delay p50/p99, the bot's
CPU time per answer (user + system, all threads, from /proc), its resident memory after the
phase, and the server's CPU per answer (it shares the machine). ``--profile`` samples the bot
with py-spy (installed apart) during each phase, as collapsed stacks.

zanbot runs with the budget of a paid-broadcast bot (ZANBOT_BROADCAST_RATE=1000) and, as the
server enforces no limit, ZANBOT_CHAT_RATE=10 and ZANBOT_FLOOD_RATE=10 so that no question is
paced or dropped for its user's sake; ZANBOT_MODEL_DIR is used as set (a cached model starts
in seconds). Targets at a 40 ms round trip: 300 q/s for 20 s all answered with p99 ≤ 500 ms
and ≥ 285 answered/s; 900 q/s for 10 s all answered within 45 s of the last question, draining
no slower than the steady rate; CPU per answer ≤ 2 ms and within 2× of the echo bot's.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fakebotapi import FakeBotAPI, UploadedFile  # noqa: E402

TOKEN = "123456:BENCH"
QUESTIONS = ROOT / "benchmarks" / "data" / "heldout-a.tsv"
WARM_UP = (50.0, 4.0)  # questions a second, seconds: imports and caches, not counted
GIVE_UP = 45.0  # seconds after the last question by which every answer must be in
TICKS = os.sysconf("SC_CLK_TCK")


class TimedFakeBotAPI(FakeBotAPI):
    """The fake server, noting when it accepted each message, per chat."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.accepted: dict[int, list[float]] = defaultdict(list)
        self.answers = 0

    async def _send_message(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        result = await super()._send_message(params, files)
        self.accepted[int(params["chat_id"])].append(time.monotonic())
        self.answers += 1
        return result


def questions() -> list[str]:
    """Return the held-out questions, Russian and Kazakh, in their own words (one reply each)."""
    lines = QUESTIONS.read_text(encoding="utf-8").splitlines()
    return [line.split("\t")[2] for line in lines if line and not line.startswith("#")]


async def answers(
    api: TimedFakeBotAPI,
    asked: list[tuple[float, int]],
    before: dict[int, int],
    answers_before: int,
    last: float,
) -> tuple[list[float], list[float]]:
    """Wait until every question `asked` (when, chat) has an answer, or GIVE_UP seconds after
    the `last` one; return each answered question's delay and when its answer came."""
    while api.answers - answers_before < len(asked) and time.monotonic() < last + GIVE_UP:
        await asyncio.sleep(0.02)
    # The k-th question of a chat in this phase is answered by its k-th message in it
    # (`before` counts each chat's messages from earlier phases).
    asked_in: dict[int, int] = defaultdict(int)
    delays, answered_at = [], []
    for at, chat in asked:
        index = before[chat] + asked_in[chat]
        asked_in[chat] += 1
        if index < len(api.accepted[chat]):
            answered_at.append(api.accepted[chat][index])
            delays.append(answered_at[-1] - at)
    return delays, answered_at


async def ask(api: TimedFakeBotAPI, rate: float, seconds: float, seed: int) -> dict[str, Any]:
    """Ask `rate` questions a second for `seconds`, each user in turn; wait for the answers."""
    rng, texts = random.Random(seed), questions()
    users = [api.users[user_id] for user_id in sorted(api.users)]
    before = {user.id: len(api.accepted[user.id]) for user in users}
    answers_before, cpu = api.answers, time.process_time()
    asked: list[tuple[float, int]] = []
    total, start = round(rate * seconds), time.monotonic()
    while len(asked) < total:
        due = min(total, int((time.monotonic() - start) * rate) + 1)
        while len(asked) < due:
            user = users[len(asked) % len(users)]
            asked.append((time.monotonic(), user.id))
            await api.send_text(user, rng.choice(texts))
        await asyncio.sleep(0.002)
    last = time.monotonic()
    delays, answered_at = await answers(api, asked, before, answers_before, last)
    extra = api.answers - answers_before - len(delays)
    return {
        "total": total, "first": asked[0][0], "last": last, "delays": sorted(delays),
        "answered_at": sorted(answered_at), "extra": extra, "cpu": time.process_time() - cpu,
    }  # fmt: skip


def serve(round_trip: float, users: int, conn: Connection) -> None:
    """Run the server and its users; run each phase the parent asks for and send the results."""

    async def main() -> None:
        async with TimedFakeBotAPI(round_trip=round_trip) as api:
            for user_id in range(1, users + 1):
                api.user(user_id, language_code="ru" if user_id % 3 else "kk")
            conn.send(api.url)
            loop = asyncio.get_running_loop()
            while (command := await loop.run_in_executor(None, conn.recv)) != "stop":
                if command == "ready":
                    while not api.waiting_polls:  # the bot has started and polls
                        await asyncio.sleep(0.05)
                    conn.send(True)
                else:
                    _, rate, seconds = command
                    conn.send(await ask(api, rate, seconds, seed=int(rate * seconds)))

    asyncio.run(main())


def echo_bot(transport: str) -> None:
    """The baseline: python-telegram-bot's echo bot with its defaults, updates concurrently;
    with `transport` "aiohttp", over the bot's own transport instead of PTB's httpx."""
    from telegram import Update
    from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.message and update.message.text:
            await update.message.reply_text(update.message.text)

    url = os.environ["TELEGRAM_API_URL"]
    builder = ApplicationBuilder().token(os.environ["TELEGRAM_BOT_TOKEN"]).base_url(f"{url}/bot")
    if transport == "aiohttp":
        from bot.telegram.transport import AiohttpRequest

        builder = builder.request(AiohttpRequest(connections=256))
        builder = builder.get_updates_request(AiohttpRequest(connections=1))
    app = builder.concurrent_updates(True).build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.run_polling()


def cpu_seconds(pid: int) -> float:
    """Return a process's CPU time so far, user and system, all threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def memory_mb(pid: int) -> float:
    """Return a process's resident memory in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def profiler(pid: int, folder: Path, name: str) -> subprocess.Popen[bytes]:
    """Sample the bot with py-spy (installed apart) into folder/name.txt, collapsed stacks."""
    folder.mkdir(parents=True, exist_ok=True)
    output = str(folder / f"{name}.txt")
    command = ["py-spy", "record", "--pid", str(pid), "--format", "raw", "--output", output]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def start_bot(kind: str, url: str, tmp: Path) -> subprocess.Popen[bytes]:
    """Start `zanbot run` or the echo bot in `tmp` (no .env there), its output in a log file."""
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": url}
    env["PYTHONPATH"] = str(ROOT)  # this checkout's bot, installed or not
    if kind == "zanbot":
        command = [sys.executable, "-m", "bot", "run"]
        env.update(
            ZANBOT_DATABASE=str(tmp / "bench.sqlite3"), ZANBOT_BROADCAST_RATE="1000",
            ZANBOT_CHAT_RATE="10", ZANBOT_FLOOD_RATE="10", ZANBOT_FLOOD_BURST="20",
            ZANBOT_LOG_LEVEL="WARNING",
        )  # fmt: skip
    else:
        transport = "aiohttp" if kind == "echo-aiohttp" else "httpx"
        command = [sys.executable, __file__, "--echo-bot", transport]
    log = (tmp / f"{kind}.log").open("wb")
    return subprocess.Popen(command, cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT)


def run(kind: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    """Run the warm-up, the steady phase and the spike against one bot; return the results."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    server = context.Process(target=serve, args=(args.round_trip, args.users, theirs))
    server.start()
    results = []
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        bot = start_bot(kind, ours.recv(), tmp)
        try:
            ours.send("ready")
            ours.recv()
            for label, (rate, seconds) in (
                ("warm-up", WARM_UP), ("steady", args.steady), ("spike", args.spike)
            ):  # fmt: skip
                spy = profiler(bot.pid, args.profile, f"{kind}-{label}") if args.profile else None
                cpu = cpu_seconds(bot.pid)
                ours.send(("phase", rate, seconds))
                found = ours.recv()
                if spy is not None:
                    spy.send_signal(signal.SIGINT)  # py-spy writes its file and exits
                    spy.wait()
                found.update(
                    bot=kind, phase=label, rate=rate, seconds=seconds,
                    bot_cpu=cpu_seconds(bot.pid) - cpu, memory=memory_mb(bot.pid),
                )  # fmt: skip
                if label != "warm-up":
                    results.append(found)
        finally:
            bot.terminate()  # a bot still busy after the spike is killed: what counts is in
            try:
                bot.wait(timeout=60)
            except subprocess.TimeoutExpired:
                bot.kill()
                bot.wait()
            if bot.returncode not in (0, -15, -9):
                print((tmp / f"{kind}.log").read_text()[-3000:], file=sys.stderr)
            ours.send("stop")
            server.join(timeout=30)
    return results


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def report(found: dict[str, Any]) -> str:
    """One line of the table."""
    delays, at = found["delays"], found["answered_at"]
    answered = len(delays)
    rate = answered / (at[-1] - found["first"]) if at else 0.0
    draining = [t for t in at if t > found["last"]]
    drain = "—"
    if draining and draining[-1] - found["last"] > 1.0:
        drain = f"{len(draining) / (draining[-1] - found['last']):.0f}"
    done = ms(at[-1] - found["last"]) if at else "—"
    p50 = ms(delays[len(delays) // 2]) if delays else "—"
    p99 = ms(delays[min(answered - 1, int(0.99 * answered))]) if delays else "—"
    cpu = found["bot_cpu"] / answered * 1000 if answered else float("nan")
    load = f"{found['rate']:.0f}/s × {found['seconds']:.0f} s"
    note = f"  ({found['extra']} unexpected messages)" if found["extra"] else ""
    return (
        f"{found['bot']:<12} {load:<13} {answered:>5}/{found['total']:<5} {rate:>6.0f} "
        f"{drain:>7} {done:>8} {p50:>8} {p99:>8} {cpu:>7.2f} ms {found['memory']:>6.0f} MB "
        f"{found['cpu'] / max(1, answered) * 1000:>6.2f} ms{note}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--round-trip", type=float, default=0.04, help="seconds")
    parser.add_argument("--users", type=int, default=600)
    parser.add_argument("--steady", type=float, nargs=2, default=(300.0, 20.0))
    parser.add_argument("--spike", type=float, nargs=2, default=(900.0, 10.0))
    parser.add_argument("--repeat", type=int, default=1, help="runs of each bot, interleaved")
    parser.add_argument(
        "--bots", nargs="+", default=["echo", "zanbot"],
        choices=["echo", "echo-aiohttp", "zanbot"],
        help="echo-aiohttp: the echo bot over the bot's own transport",
    )  # fmt: skip
    parser.add_argument("--profile", type=Path, help="folder for py-spy profiles of each phase")
    parser.add_argument("--echo-bot", choices=["httpx", "aiohttp"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.echo_bot:
        echo_bot(args.echo_bot)
        return
    print(
        f"{args.users} users, {args.round_trip * 1000:.0f} ms round trip, no Telegram limits; "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start"
    )
    print(
        f"{'bot':<12} {'load':<13} {'answered':>11} {'ans/s':>6} {'drain/s':>7} "
        f"{'done at':>8} {'p50':>8} {'p99':>8} {'CPU/answer':>10} {'memory':>9} "
        f"{'server CPU/answer':>18}"
    )
    cpu: dict[tuple[str, str], list[float]] = defaultdict(list)
    for _ in range(args.repeat):
        for kind in args.bots:
            for found in run(kind, args):
                print(report(found), flush=True)
                answered = len(found["delays"])
                if answered:
                    cpu[kind, found["phase"]].append(found["bot_cpu"] / answered)
    for baseline in ("echo", "echo-aiohttp"):
        for phase in ("steady", "spike"):
            ours, theirs = cpu["zanbot", phase], cpu[baseline, phase]
            if ours and theirs:
                ratio = (sum(ours) / len(ours)) / (sum(theirs) / len(theirs))
                print(f"CPU per answer, zanbot / {baseline}, {phase}: {ratio:.2f}×")


if __name__ == "__main__":
    main()
