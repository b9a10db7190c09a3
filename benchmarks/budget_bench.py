"""Replies and an announcement sharing the one send budget, against the fake Bot API with
Telegram's limits on (30 messages a second in all, one a second to a chat, 429 beyond them).

Two runs on the same bot: the announcement to N subscribers alone (the baseline), then the
same announcement while citizens ask a question every 1–3 s each.

    python benchmarks/budget_bench.py [--subscribers 300] [--askers 30]

For each run: the announcement's sustained rate (first to last accepted message, timed by the
server) as a share of the limit, the 429 answers, and, with askers, each answer's delay from
question to accepted reply (p50 and p99). Targets: the announcement at ≥ 95% of the limit
alone, answers' p99 ≤ 1.5 s while it runs, and every message exactly once.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from botharness import make_config, running_bot
from fakebotapi import FakeBotAPI, UploadedFile

from bot.broadcasting.broadcasts import Broadcasts
from bot.knowledge.library import Library
from bot.storage.sqlite import SQLiteStorage

LIMIT = 30.0
QUESTIONS = ("что такое сталкинг", "как защититься от мошенников", "алаяқтардан қалай сақтану")
ASKER_IDS = 100_000


class TimedFakeBotAPI(FakeBotAPI):
    """The fake server, noting when it accepted each message and for which chat."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.accepted: list[tuple[float, int]] = []

    async def _send_message(self, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        result = await super()._send_message(params, files)
        self.accepted.append((time.monotonic(), int(params["chat_id"])))
        return result


async def run(library: Library, subscribers: int, askers: int, seconds: float) -> dict[str, Any]:
    """Announce to `subscribers` while `askers` ask for `seconds`; return what was measured."""
    with tempfile.TemporaryDirectory() as tmp:
        async with TimedFakeBotAPI(global_rate=LIMIT, per_chat_rate=1) as api:
            config = make_config(api, Path(tmp) / "bot.sqlite3", flood_burst=50)
            delays: list[float] = []
            rng = random.Random(1)

            async def ask(user_id: int) -> None:
                user = api.user(user_id)
                deadline = time.monotonic() + seconds
                while time.monotonic() < deadline:
                    await asyncio.sleep(rng.uniform(1.0, 3.0))
                    before = len(api.messages(user))
                    asked = time.monotonic()
                    await api.send_text(user, rng.choice(QUESTIONS))
                    await api.wait_for(user, timeout=30)
                    answered = next(t for t, chat in reversed(api.accepted) if chat == user_id)
                    delays.append(answered - asked)
                    assert len(api.messages(user)) == before + 1

            async with running_bot(config, library) as app:
                async with SQLiteStorage(config.database) as storage:
                    for user_id in range(1, subscribers + 1):
                        api.user(user_id)  # a chat the server knows
                        await storage.set_language(user_id, "ru")
                        await storage.subscribe(user_id, "all")
                    await Broadcasts(storage).create(
                        created_by=None, text_ru="<b>Внимание</b>", text_kk="Назар"
                    )
                app.bot_data["delivery"].wake()
                await asyncio.gather(*(ask(ASKER_IDS + i) for i in range(askers)))
                give_up = time.monotonic() + 4 * seconds + 30
                while sum(1 for _t, chat in api.accepted if chat <= subscribers) < subscribers:
                    if time.monotonic() > give_up:
                        raise SystemExit("the announcement did not reach every subscriber")
                    await asyncio.sleep(0.05)
            sent = sorted(t for t, chat in api.accepted if chat <= subscribers)
            once = sorted(chat for _t, chat in api.accepted if chat <= subscribers)
            return {
                "rate": (len(sent) - 1) / (sent[-1] - sent[0]),
                "once": once == list(range(1, subscribers + 1)),
                "429": api.too_many_requests,
                "delays": sorted(delays),
            }


def percentile(values: list[float], share: float) -> str:
    """Return the `share` quantile of sorted `values` as seconds, or a dash when there are none."""
    if not values:
        return "—"
    return f"{values[min(len(values) - 1, int(share * len(values)))]:.2f}s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=300)
    parser.add_argument("--askers", type=int, default=30)
    args = parser.parse_args()
    library = Library()
    duration = args.subscribers / LIMIT  # ask for as long as the announcement takes
    print(f"announcement to {args.subscribers} subscribers at Telegram's {LIMIT:.0f}/s limit")
    print(f"{'run':<28} {'rate / limit':>12} {'429':>5} {'answers':>8} {'p50':>7} {'p99':>7}")
    for label, askers in (("announcement alone", 0), (f"with {args.askers} askers", args.askers)):
        found = asyncio.run(run(library, args.subscribers, askers, duration))
        delays = found["delays"]
        p50, p99 = percentile(delays, 0.5), percentile(delays, 0.99)
        print(
            f"{label:<28} {found['rate'] / LIMIT:>11.1%} {found['429']:>5} {len(delays):>8} "
            f"{p50:>7} {p99:>7}" + ("" if found["once"] else "  NOT exactly once")
        )


if __name__ == "__main__":
    main()
