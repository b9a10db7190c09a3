"""Tests for limits: the one send budget — replies first, announcements with what is left, and
a chat's slot taken when its message leaves."""

from __future__ import annotations

import asyncio

import pytest

from bot.broadcasting.limits import CHAT_HEADROOM, RESLOTS, RateLimiter, SendBudget


class Clock:
    """A monotonic clock that moves only when the code under test sleeps."""

    def __init__(self) -> None:
        self.t = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += max(0.0, seconds)
        await asyncio.sleep(0)


async def test_urgent_events_go_before_waiting_background_ones() -> None:
    limiter = RateLimiter(200.0)  # real time, tiny intervals: only the order is asserted
    order: list[str] = []

    async def take(name: str, *, urgent: bool) -> None:
        await limiter.acquire(urgent=urgent)
        order.append(name)

    background = [asyncio.create_task(take(f"b{i}", urgent=False)) for i in range(8)]
    await asyncio.sleep(0)  # the background ones are waiting first
    urgent = [asyncio.create_task(take(f"u{i}", urgent=True)) for i in range(3)]
    await asyncio.gather(*background, *urgent)
    assert sorted(order) == sorted([*(f"b{i}" for i in range(8)), "u0", "u1", "u2"])
    # The first background event may already hold its slot; every urgent one comes next.
    assert {"u0", "u1", "u2"} <= set(order[:4])


async def test_background_events_use_the_whole_rate_when_nothing_is_urgent() -> None:
    clock = Clock()
    limiter = RateLimiter(30.0, clock=clock, sleep=clock.sleep)
    for _ in range(31):
        await limiter.acquire(urgent=False)
    assert round(clock.t, 6) == 1.0  # 30 intervals of 1/30 s after the first


async def test_a_chat_slot_is_taken_when_the_message_leaves() -> None:
    clock = Clock()
    budget = SendBudget(1.0, 1.0, headroom=1.0, clock=clock, sleep=clock.sleep)
    await budget.acquire(None)  # someone else's message holds the overall grid for 1 s
    await budget.acquire(7)  # waits for the overall slot, then takes chat 7's
    sent_first = clock.t
    await budget.acquire(7)
    assert round(clock.t - sent_first, 6) == round(1 / CHAT_HEADROOM, 6)


async def test_a_pause_holds_everything() -> None:
    clock = Clock()
    budget = SendBudget(30.0, 1.0, clock=clock, sleep=clock.sleep)
    await budget.acquire(1)
    budget.pause(5.0)
    await budget.acquire(2)
    assert clock.t >= 5.0


def most_in_one_second(arrivals: list[float]) -> int:
    """Return the most arrivals in any one-second window, as Telegram's flood control counts."""
    arrivals = sorted(arrivals)
    return max(sum(1 for b in arrivals[i:] if b - a < 1.0) for i, a in enumerate(arrivals))


@pytest.mark.parametrize("stall", [0.02, 0.031, 0.04, 0.2, 1.5])
@pytest.mark.parametrize("held_back", [0, 17, 40])
async def test_a_stall_in_transit_never_puts_31_messages_in_one_second(
    stall: float, held_back: int
) -> None:
    clock = Clock()
    budget = SendBudget(30.0, 1.0, clock=clock, sleep=clock.sleep)
    arrivals: list[float] = []
    for n in range(90):
        await budget.acquire(n)
        arrivals.append(clock.t)
        if n == held_back:  # this message is stuck until the process or the network resumes
            clock.t += stall
            arrivals[-1] = clock.t
    assert most_in_one_second(arrivals) <= 30


class FakePace:
    """A shared grid that answers waits from lists and records what it was asked."""

    def __init__(self, waits: list[float], chat_waits: list[float] | None = None) -> None:
        self.waits = waits
        self.chat_waits = chat_waits or [0.0] * len(waits)
        self.asked: list[float] = []
        self.chats_asked: list[tuple[int, float]] = []
        self.paused: list[float] = []

    async def reserve(self, interval: float) -> float:
        self.asked.append(interval)
        return self.waits.pop(0)

    async def reserve_chat(self, chat_id: int, interval: float) -> float:
        self.chats_asked.append((chat_id, round(interval, 9)))
        return self.chat_waits.pop(0)

    def pause(self, seconds: float) -> None:
        self.paused.append(seconds)


async def test_a_shared_pace_adds_its_wait_and_hears_every_pause() -> None:
    moments: list[float] = []
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    pace = FakePace([0.0, 0.5, 0.0])
    budget = SendBudget(10, 1, headroom=1.0, clock=lambda: now[0], sleep=sleep, shared=pace)
    for chat in (1, 2, 3):
        await budget.acquire(chat)
        moments.append(round(now[0], 9))
    # The second message waits for its own slot (0.1 s), then for its shared one (0.5 s
    # later); the third finds both free.
    assert moments == [0.0, 0.6, 0.6]
    assert pace.asked == [0.1, 0.1, 0.1]
    assert pace.chats_asked == [(chat, round(1 / 0.9, 9)) for chat in (1, 2, 3)]
    budget.pause(7)
    assert pace.paused == [7]


async def test_a_chat_another_worker_just_wrote_to_waits_for_its_shared_slot_once() -> None:
    now = [0.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(round(seconds, 9))
        now[0] += seconds

    pace = FakePace([0.0, 0.0], chat_waits=[0.75, 0.0])
    budget = SendBudget(10, 1, headroom=1.0, clock=lambda: now[0], sleep=sleep, shared=pace)
    await budget.acquire(5)  # another worker wrote to chat 5 a moment ago
    assert (now[0], slept) == (0.75, [0.75])  # the chat's slot first, then the overall one
    await budget.acquire(None)  # no chat (getMe, say): no chat slot asked
    assert [chat for chat, _ in pace.chats_asked] == [5]
    assert len(pace.asked) == 2


async def test_a_worker_stalled_past_its_shared_slot_takes_another_a_few_times_at_most() -> None:
    now = [0.0]
    stalls = [0.2, 0.0]  # the first wake-up comes 200 ms late, the second on time

    async def sleep(seconds: float) -> None:
        now[0] += seconds + (stalls.pop(0) if stalls else 0.5)

    pace = FakePace([0.05, 0.05, 0.0], chat_waits=[0.0])
    limiter = RateLimiter(10, clock=lambda: now[0], sleep=sleep, shared=pace)
    await limiter.acquire()
    assert len(pace.asked) == 2  # the late slot was given up for the next one
    always_late = FakePace([0.05] * (RESLOTS + 1))  # a machine too busy to keep any slot
    limiter = RateLimiter(10, clock=lambda: now[0], sleep=sleep, shared=always_late)
    await limiter.acquire()
    assert len(always_late.asked) == RESLOTS + 1 and always_late.waits == []  # it still sends
