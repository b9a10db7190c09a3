"""Tests for bot.telegram.flood.FloodGuard with a fake clock."""

from __future__ import annotations

import time

import pytest

from bot.telegram.flood import FloodGuard, Verdict

ALLOW, WARN, DROP = Verdict.ALLOW, Verdict.WARN, Verdict.DROP


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def guard(clock: FakeClock) -> FloodGuard:
    return FloodGuard(rate=1.0, burst=3, clock=clock)


def burst(guard: FloodGuard, user: int, n: int) -> list[Verdict]:
    return [guard.check(user) for _ in range(n)]


def test_burst_is_allowed_then_one_warning_then_drops(guard: FloodGuard) -> None:
    assert burst(guard, 1, 7) == [ALLOW, ALLOW, ALLOW, WARN, DROP, DROP, DROP]


def test_refill_after_time_passes(guard: FloodGuard, clock: FakeClock) -> None:
    burst(guard, 1, 5)
    clock.advance(1.0)  # one token back
    assert guard.check(1) == ALLOW
    # Still the same flood: no second warning.
    assert guard.check(1) == DROP
    clock.advance(2.0)  # two tokens back: a full token left after one message ends the flood
    assert burst(guard, 1, 4) == [ALLOW, ALLOW, WARN, DROP]


def test_partial_tokens_accumulate(guard: FloodGuard, clock: FakeClock) -> None:
    burst(guard, 1, 4)
    clock.advance(0.5)
    assert guard.check(1) == DROP
    clock.advance(0.5)
    assert guard.check(1) == ALLOW


def test_tokens_never_exceed_the_burst(guard: FloodGuard, clock: FakeClock) -> None:
    clock.advance(3600)
    assert burst(guard, 1, 4) == [ALLOW, ALLOW, ALLOW, WARN]


def test_a_new_flood_is_warned_again(guard: FloodGuard, clock: FakeClock) -> None:
    assert burst(guard, 1, 5) == [ALLOW, ALLOW, ALLOW, WARN, DROP]
    clock.advance(10)  # fully refilled: the flood is over
    assert burst(guard, 1, 5) == [ALLOW, ALLOW, ALLOW, WARN, DROP]


def test_steady_pace_is_never_limited(guard: FloodGuard, clock: FakeClock) -> None:
    verdicts = []
    for _ in range(50):
        verdicts.append(guard.check(1))
        clock.advance(1.0)
    assert set(verdicts) == {ALLOW}


def test_users_are_independent(guard: FloodGuard) -> None:
    assert burst(guard, 1, 5) == [ALLOW, ALLOW, ALLOW, WARN, DROP]
    assert burst(guard, 2, 4) == [ALLOW, ALLOW, ALLOW, WARN]
    assert guard.check(1) == DROP


def test_rate_below_one_per_second(clock: FakeClock) -> None:
    guard = FloodGuard(rate=0.1, burst=1, clock=clock)
    assert burst(guard, 1, 2) == [ALLOW, WARN]
    clock.advance(9.9)
    assert guard.check(1) == DROP
    clock.advance(0.1)
    assert guard.check(1) == ALLOW


def test_a_new_flood_is_warned_again_with_burst_one(clock: FakeClock) -> None:
    guard = FloodGuard(rate=1.0, burst=1, clock=clock)
    assert burst(guard, 1, 3) == [ALLOW, WARN, DROP]
    clock.advance(60)
    assert burst(guard, 1, 3) == [ALLOW, WARN, DROP]


def test_max_users_forgets_idle_users(clock: FakeClock) -> None:
    guard = FloodGuard(rate=1.0, burst=3, clock=clock, max_users=2)
    burst(guard, 1, 5)
    burst(guard, 2, 5)
    clock.advance(10)  # both buckets have refilled completely
    assert guard.check(3) == ALLOW
    # Only bucket state is kept, and there is no public view of it: look inside.
    assert set(guard._buckets) == {3}
    # A forgotten user starts afresh, exactly as if remembered.
    assert burst(guard, 1, 4) == [ALLOW, ALLOW, ALLOW, WARN]


def test_max_users_keeps_users_in_a_flood(clock: FakeClock) -> None:
    guard = FloodGuard(rate=1.0, burst=3, clock=clock, max_users=2)
    burst(guard, 1, 5)
    burst(guard, 2, 5)
    # Nobody is idle: a new user is still served and the flooders stay limited.
    assert guard.check(3) == ALLOW
    assert guard.check(1) == DROP
    assert guard.check(2) == DROP
    assert set(guard._buckets) == {1, 2, 3}


def test_default_clock_is_monotonic() -> None:
    # One token a million seconds: no pause of this machine between the checks earns one back.
    guard = FloodGuard(rate=1e-6, burst=2)
    assert guard.clock is time.monotonic
    assert burst(guard, 42, 3) == [ALLOW, ALLOW, WARN]
