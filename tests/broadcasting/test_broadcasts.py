"""Tests for broadcasts, delivery and limits: a real SQLite file, a fake in-memory Sender (the
transport) and an injected clock. The SQL of broadcasts and the outbox: tests/storage."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fakebotapi import wait_until

from bot.broadcasting.broadcasts import (
    Broadcasts,
    DeliveryReport,
    TextTooLong,
    parse_local_time,
    render_text,
)
from bot.broadcasting.delivery import DeliveryWorker
from bot.broadcasting.limits import CHAT_HEADROOM, ChatLimiter, RateLimiter
from bot.broadcasting.sender import Blocked, PermanentError, RetryLater, TransientError
from bot.storage.factory import storage_for
from bot.storage.sqlite import SQLiteStorage

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


class FakeTime:
    """A monotonic clock, a wall clock and a sleep that only move when something sleeps."""

    def __init__(self) -> None:
        self.t = 0.0

    def monotonic(self) -> float:
        return self.t

    def now(self) -> datetime:
        return T0 + timedelta(seconds=self.t)

    async def sleep(self, seconds: float) -> None:
        self.t += max(0.0, seconds)
        await asyncio.sleep(0)


class FakeSender:
    """Records every send; `plan` holds errors to raise, per chat, in order."""

    def __init__(self, time: FakeTime) -> None:
        self.time = time
        self.calls: list[tuple[float, int]] = []
        self.delivered: list[tuple[int, str]] = []
        self.plan: dict[int, list[Exception]] = {}
        self.on_send: Callable[[int], object] | None = None

    async def send(self, chat_id: int, html: str) -> None:
        await asyncio.sleep(0)  # a real transport yields here
        self.calls.append((self.time.t, chat_id))
        if self.on_send is not None:
            self.on_send(len(self.calls))
        errors = self.plan.get(chat_id)
        if errors:
            raise errors.pop(0)
        self.delivered.append((chat_id, html))


@pytest.fixture
def time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def store(storage: SQLiteStorage) -> SQLiteStorage:
    return storage


@pytest.fixture
def sender(time: FakeTime) -> FakeSender:
    return FakeSender(time)


def make_worker(
    store: SQLiteStorage, sender: FakeSender, time: FakeTime, **options: object
) -> DeliveryWorker:
    settings: dict[str, object] = {
        "rate": 30.0,
        "headroom": 1.0,
        "max_in_flight": 1,  # one at a time: the timing of each send is exact
        "now": time.now,
        "clock": time.monotonic,
        "sleep": time.sleep,
    }
    settings.update(options)
    return DeliveryWorker(store, sender, **settings)  # type: ignore[arg-type]


async def subscribe(store: SQLiteStorage, users: range, topic: str = "all", lang: str = "ru"):
    for user_id in users:
        await store.subscribe(user_id, topic)
        await store.set_language(user_id, lang)


async def create(store: SQLiteStorage, time: FakeTime, **fields: object) -> int:
    values: dict[str, object] = {"created_by": 1, "text_ru": "<b>ru</b>", "text_kk": "kk"}
    values.update(fields)
    broadcast_id, _count = await Broadcasts(store, now=time.now).create(**values)  # type: ignore[arg-type]
    return broadcast_id


async def states(store: SQLiteStorage, broadcast_id: int) -> dict[int, str]:
    rows = await store.fetchall(
        "SELECT user_id, state FROM outbox WHERE broadcast_id = ?", (broadcast_id,)
    )
    return {row[0]: row[1] for row in rows}


# Creating broadcasts


async def test_create_refuses_unknown_audience(store: SQLiteStorage, time: FakeTime) -> None:
    with pytest.raises(ValueError, match="unknown audience"):
        await create(store, time, audience_topic="sport")
    with pytest.raises(ValueError, match="unknown language"):
        await create(store, time, audience_lang="en")
    with pytest.raises(ValueError, match="unknown language"):
        await create(store, time, single_lang="en")
    assert await Broadcasts(store).recent() == []
    with pytest.raises(ValueError, match="unknown audience"):
        await Broadcasts(store).recipients("sport", None)
    await subscribe(store, range(1, 3), "fraud", "kk")
    assert [s.user_id for s in await Broadcasts(store).recipients("fraud", "kk")] == [1, 2]


def test_render_text_escapes_and_refuses_more_than_one_message() -> None:
    assert render_text("**Внимание** <script> & [сайт](https://adilet.zan.kz)") == (
        '<b>Внимание</b> &lt;script&gt; &amp; <a href="https://adilet.zan.kz">сайт</a>'
    )
    assert len(render_text("а" * 4096)) == 4096
    with pytest.raises(TextTooLong) as raised:
        render_text("&" * 1000)  # 1000 characters, 5000 once escaped
    assert raised.value.length == 5000


def test_parse_local_time_reads_the_configured_zone() -> None:
    moment = parse_local_time("2026-04-27 10:00", "Asia/Almaty")
    assert moment.astimezone(UTC) == datetime(2026, 4, 27, 5, 0, tzinfo=UTC)
    with pytest.raises(ValueError):
        parse_local_time("27.04.2026 10:00", "Asia/Almaty")


# Limiter arithmetic


async def test_rate_limiter_spaces_events_evenly(time: FakeTime) -> None:
    limiter = RateLimiter(30, clock=time.monotonic, sleep=time.sleep)
    moments = []
    for _ in range(31):
        await limiter.acquire()
        moments.append(time.t)
    assert moments[0] == 0.0
    assert moments[30] == pytest.approx(1.0)
    gaps = {round(b - a, 9) for a, b in itertools.pairwise(moments)}
    assert gaps == {round(1 / 30, 9)}


async def test_rate_limiter_burst_then_pace_then_pause(time: FakeTime) -> None:
    limiter = RateLimiter(10, burst=3, clock=time.monotonic, sleep=time.sleep)
    moments = []
    for _ in range(5):
        await limiter.acquire()
        moments.append(round(time.t, 9))
    assert moments == [0.0, 0.0, 0.0, 0.1, 0.2]
    limiter.pause(5)
    await limiter.acquire()
    assert time.t == pytest.approx(5.2)
    time.t += 60  # idle time does not build up more than the burst
    start = time.t
    for _ in range(4):
        await limiter.acquire()
    assert time.t - start == pytest.approx(0.1)


def test_chat_limiter_allows_one_message_per_interval(time: FakeTime) -> None:
    chats = ChatLimiter(1.0, clock=time.monotonic)
    assert chats.wait_time(7) == 0.0
    chats.take(7)
    time.t += 0.25
    assert (chats.wait_time(7), chats.wait_time(8)) == (0.75, 0.0)


# Delivery


async def test_delivery_keeps_the_global_rate(
    store: SQLiteStorage, sender: FakeSender, time: FakeTime
) -> None:
    await subscribe(store, range(1, 62))
    broadcast_id = await create(store, time)
    assert await make_worker(store, sender, time).deliver_due() == 1
    moments = [t for t, _ in sender.calls]
    assert len(moments) == 61
    assert moments[-1] - moments[0] == pytest.approx(2.0)
    assert max(b - a for a, b in itertools.pairwise(moments)) == pytest.approx(1 / 30)
    assert set((await states(store, broadcast_id)).values()) == {"sent"}


async def test_headroom_keeps_the_pace_below_the_limit(
    store: SQLiteStorage, sender: FakeSender, time: FakeTime
) -> None:
    await subscribe(store, range(1, 32))
    await create(store, time)
    await make_worker(store, sender, time, headroom=0.97).deliver_due()
    assert sender.calls[-1][0] - sender.calls[0][0] == pytest.approx(30 / (30 * 0.97))


async def test_recipients_get_the_text_in_their_language(
    store: SQLiteStorage, sender: FakeSender, time: FakeTime
) -> None:
    await subscribe(store, range(1, 3), lang="ru")
    await subscribe(store, range(3, 4), lang="kk")
    await create(store, time, text_ru="Привет", text_kk="Сәлем")
    await make_worker(store, sender, time).deliver_due()
    assert sorted(sender.delivered) == [(1, "Привет"), (2, "Привет"), (3, "Сәлем")]


async def test_retry_later_pauses_everything_then_retries_that_message_first(
    store: SQLiteStorage, sender: FakeSender, time: FakeTime
) -> None:
    await subscribe(store, range(1, 6))
    sender.plan[3] = [RetryLater(5)]
    broadcast_id = await create(store, time)
    await make_worker(store, sender, time).deliver_due()
    step = 1 / 30
    assert [chat for _, chat in sender.calls] == [1, 2, 3, 3, 4, 5]
    assert [t for t, _ in sender.calls] == pytest.approx(
        [0, step, 2 * step, 2 * step + 5, 2 * step + 5 + step, 2 * step + 5 + 2 * step]
    )
    assert set((await states(store, broadcast_id)).values()) == {"sent"}


async def test_blocked_user_is_marked_and_never_sent_again(
    store: SQLiteStorage, sender: FakeSender, time: FakeTime
) -> None:
    await subscribe(store, range(1, 4))
    sender.plan[2] = [Blocked("Forbidden: bot was blocked by the user")]
    first = await create(store, time)
    second = await create(store, time)  # snapshotted before the block was known
    worker = make_worker(store, sender, time)
    assert await worker.deliver_due() == 2
    third = await create(store, time)
    await worker.deliver_due()
    assert Counter(chat for _, chat in sender.calls) == {1: 3, 2: 1, 3: 3}
    assert (await states(store, first))[2] == "blocked"
    assert (await states(store, second))[2] == "blocked"
    assert 2 not in await states(store, third)
    user = await store.get_user(2)
    assert user is not None and user.blocked


async def test_transient_errors_back_off_then_succeed_or_fail(
    store: SQLiteStorage, sender: FakeSender, time: FakeTime
) -> None:
    await subscribe(store, range(1, 3))
    sender.plan[1] = [TransientError("timed out"), TransientError("timed out")]
    sender.plan[2] = [TransientError("502 Bad Gateway")] * 5
    broadcast_id = await create(store, time)
    reports: list[DeliveryReport] = []
    worker = make_worker(store, sender, time, max_attempts=5, backoff=1.0, on_report=_keep(reports))
    await worker.deliver_due()
    ones = [t for t, chat in sender.calls if chat == 1]
    # Backoff of 1 s, then 2 s; the first wait is the chat's limit, a little over 1 s.
    chat_interval = 1.0 / CHAT_HEADROOM
    assert [round(b - a, 6) for a, b in itertools.pairwise(ones)] == [round(chat_interval, 6), 2.0]
    assert len([chat for _, chat in sender.calls if chat == 2]) == 5
    rows = await store.fetchall(
        "SELECT user_id, state, attempts, last_error FROM outbox WHERE broadcast_id = ?"
        " ORDER BY user_id",
        (broadcast_id,),
    )
    assert rows == [(1, "sent", 3, "timed out"), (2, "failed", 5, "502 Bad Gateway")]
    [report] = reports
    assert (report.sent, report.failed, report.blocked, report.in_doubt) == (1, 1, 0, 0)


async def test_permanent_error_fails_at_once(
    store: SQLiteStorage, sender: FakeSender, time: FakeTime
) -> None:
    await subscribe(store, range(1, 2))
    sender.plan[1] = [PermanentError("Bad Request: chat not found")]
    broadcast_id = await create(store, time)
    await make_worker(store, sender, time).deliver_due()
    assert (len(sender.calls), await states(store, broadcast_id)) == (1, {1: "failed"})


def _keep(reports: list[DeliveryReport]) -> Callable[[DeliveryReport], object]:
    async def keep(report: DeliveryReport) -> None:
        reports.append(report)

    return keep


async def test_report_goes_to_the_creator_with_counts_and_duration(
    store: SQLiteStorage, sender: FakeSender, time: FakeTime
) -> None:
    await subscribe(store, range(1, 32))
    sender.plan[5] = [Blocked("blocked")]
    broadcast_id = await create(store, time, created_by=77)
    await create(store, time, created_by=None)  # a system broadcast reports to nobody
    reports: list[DeliveryReport] = []
    await make_worker(store, sender, time, on_report=_keep(reports)).deliver_due()
    assert reports == [
        DeliveryReport(broadcast_id, 77, "done", sent=30, blocked=1, failed=0, in_doubt=0,
                       skipped=0, duration=timedelta(seconds=1))
    ]  # fmt: skip


async def test_scheduled_broadcast_starts_at_its_time(
    store: SQLiteStorage, sender: FakeSender, time: FakeTime
) -> None:
    await subscribe(store, range(1, 3))
    broadcast_id = await create(store, time, send_at=T0 + timedelta(hours=1))
    worker = make_worker(store, sender, time)
    time.t = 3599
    assert (await worker.deliver_due(), sender.calls) == (0, [])
    time.t = 3600
    assert await worker.deliver_due() == 1
    assert [chat for _, chat in sender.calls] == [1, 2]
    done = await Broadcasts(store).get(broadcast_id)
    assert done is not None
    assert (done.state, done.started_at) == ("done", T0 + timedelta(hours=1))


async def test_cancel_before_the_time_sends_nothing(
    store: SQLiteStorage, sender: FakeSender, time: FakeTime
) -> None:
    await subscribe(store, range(1, 3))
    broadcast_id = await create(store, time, send_at=T0 + timedelta(minutes=5))
    assert await Broadcasts(store).cancel(broadcast_id) is True
    assert await Broadcasts(store).cancel(broadcast_id) is False
    time.t = 600
    assert await make_worker(store, sender, time).deliver_due() == 0
    assert sender.calls == []
    assert set((await states(store, broadcast_id)).values()) == {"cancelled"}


async def test_cancel_stops_a_running_broadcast(
    store: SQLiteStorage, sender: FakeSender, time: FakeTime
) -> None:
    await subscribe(store, range(1, 11))
    broadcast_id = await create(store, time)
    cancelling: list[asyncio.Task[set[int]]] = []

    async def cancel() -> set[int]:
        """Cancel; return the users whose rows were claimed before the cancel landed."""
        assert await Broadcasts(store).cancel(broadcast_id) is True
        # No row is pending any more, so none can be claimed after this point.
        return {user for user, state in (await states(store, broadcast_id)).items()
                if state in ("sending", "sent")}  # fmt: skip

    sender.on_send = lambda n: n == 3 and cancelling.append(asyncio.ensure_future(cancel()))
    reports: list[DeliveryReport] = []
    await make_worker(store, sender, time, on_report=_keep(reports)).deliver_due()
    claimed = await cancelling[0]
    found = Counter((await states(store, broadcast_id)).values())
    assert found["sent"] == len(sender.delivered)
    # Only what was claimed before the cancel landed is sent: on SQLite the third and at most
    # one more; PostgreSQL's pool lets the worker claim a row or two while the cancel's
    # transaction makes its round trips.
    assert {chat for _, chat in sender.calls} == claimed
    assert 3 <= found["sent"] <= 8  # and it did stop short of the ten
    assert found["cancelled"] == 10 - found["sent"]
    assert [(r.state, r.sent) for r in reports] == [("cancelled", found["sent"])]


async def test_unsubscribed_meanwhile_is_skipped(
    store: SQLiteStorage, sender: FakeSender, time: FakeTime
) -> None:
    await subscribe(store, range(1, 4))
    broadcast_id = await create(store, time, send_at=T0 + timedelta(minutes=1))
    await store.unsubscribe(2)
    time.t = 60
    await make_worker(store, sender, time).deliver_due()
    assert await states(store, broadcast_id) == {1: "sent", 2: "cancelled", 3: "sent"}


async def test_rows_left_sending_by_a_kill_are_in_doubt_and_not_resent(
    store: SQLiteStorage, sender: FakeSender, time: FakeTime
) -> None:
    await subscribe(store, range(1, 4))
    broadcast_id = await create(store, time)
    await store.execute("UPDATE broadcasts SET state = 'sending'")
    await store.execute("UPDATE outbox SET state = 'sending' WHERE user_id = 2")
    reports: list[DeliveryReport] = []
    worker = make_worker(store, sender, time, on_report=_keep(reports), poll_interval=0.01)
    task = worker.start()
    await wait_until(lambda: reports, message="the worker reported the broadcast")
    await worker.stop()
    assert task.done()
    assert [chat for _, chat in sender.calls] == [1, 3]
    assert (await states(store, broadcast_id))[2] == "in_doubt"
    assert (reports[0].sent, reports[0].in_doubt) == (2, 1)


async def test_two_workers_on_one_database_send_each_message_once_and_report_once(
    store: SQLiteStorage, database: str
) -> None:
    await subscribe(store, range(1, 201))
    broadcast_id = await create(store, FakeTime())
    sender = FakeSender(FakeTime())
    reports: list[DeliveryReport] = []
    async with storage_for(database) as other:  # the second worker's own connections
        workers = [
            DeliveryWorker(storage, sender, rate=100_000, max_in_flight=8, worker=name,
                           on_report=_keep(reports))
            for storage, name in ((store, "a"), (other, "b"))
        ]  # fmt: skip
        await asyncio.gather(*(worker.deliver_due() for worker in workers))
    assert Counter(chat for chat, _ in sender.delivered) == {user: 1 for user in range(1, 201)}
    assert [(r.broadcast_id, r.state, r.sent) for r in reports] == [(broadcast_id, "done", 200)]


async def cancel_soon(task: asyncio.Task[None], turns: int) -> None:
    """Cancel after `turns` turns of the event loop, then again while it drains."""
    for _ in range(turns):
        await asyncio.sleep(0)
    task.cancel()
    await asyncio.sleep(0)
    task.cancel()


@pytest.mark.parametrize("in_flight", [1, 8])
@pytest.mark.parametrize("turns", [0, 3])
@pytest.mark.parametrize("cancel_at", range(1, 40, 3))
async def test_cancelling_the_worker_anywhere_then_restarting_sends_each_once(
    store: SQLiteStorage, cancel_at: int, turns: int, in_flight: int
) -> None:
    await subscribe(store, range(1, 41))
    broadcast_id = await create(store, FakeTime())
    sender = FakeSender(FakeTime())
    worker = DeliveryWorker(store, sender, rate=100_000, max_in_flight=in_flight)
    task = worker.start()
    cancelling: list[asyncio.Future[None]] = []
    sender.on_send = lambda n: (
        n == cancel_at and cancelling.append(asyncio.ensure_future(cancel_soon(task, turns)))
    )
    await asyncio.wait([task])
    await asyncio.gather(*cancelling)
    assert task.cancelled()
    assert "sending" not in (await states(store, broadcast_id)).values()
    assert cancel_at <= len(sender.delivered) <= 40

    sender.on_send = None
    restarted = DeliveryWorker(store, sender, rate=100_000, max_in_flight=in_flight)
    assert await restarted.outbox.mark_in_doubt() == 0
    await restarted.deliver_due()
    assert Counter(chat for chat, _ in sender.delivered) == {user: 1 for user in range(1, 41)}
    assert set((await states(store, broadcast_id)).values()) == {"sent"}


async def test_notify_waits_out_flood_control(
    store: SQLiteStorage, sender: FakeSender, time: FakeTime
) -> None:
    sender.plan[5] = [RetryLater(2)]
    assert await make_worker(store, sender, time).notify(5, "report") is True
    assert (sender.calls, sender.delivered) == ([(0.0, 5), (2.0, 5)], [(5, "report")])
