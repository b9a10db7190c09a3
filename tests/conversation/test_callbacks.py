"""Tests for callbacks: every action the bot writes reads back the same; anything else is None."""

from __future__ import annotations

import pytest

from bot.conversation.callbacks import (
    AddToCalendar,
    CancelBroadcast,
    ChooseAudience,
    ChooseLanguage,
    Compose,
    Feedback,
    Forget,
    Menu,
    ShareTopic,
    ShowCategory,
    ShowSubscriptions,
    ShowTopic,
    ToggleSubscription,
    decode,
    encode,
    pattern,
)
from bot.knowledge.topics import MAX_ID_LENGTH

ACTIONS = [
    Menu(), ChooseLanguage("kk"), ShowTopic("uk-115-1-stalking"), ShowTopic("a-1", "ru"),
    ShowCategory("fraud"), Feedback("fraud-victim-steps", helpful=True),
    Feedback("fraud-victim-steps", helpful=False), Forget(confirmed=True), Forget(confirmed=False),
    ShowSubscriptions(), ToggleSubscription("off"), AddToCalendar("hearing-paz-2026-04-28"),
    ShareTopic("uk-232-1-droppers"), Compose("kk-only"), ChooseAudience("everyone"),
    CancelBroadcast(12),
]  # fmt: skip


@pytest.mark.parametrize("action", ACTIONS)
def test_what_the_bot_writes_reads_back(action: object) -> None:
    assert decode(encode(action)) == action  # type: ignore[arg-type]


def test_the_data_is_short_and_stable() -> None:
    assert encode(Feedback("x", helpful=False)) == "fb:x:0"
    assert encode(Forget(confirmed=True)) == "forget:yes"
    assert encode(ShowTopic("x", "kk")) == "t:x:kk"
    with pytest.raises(ValueError, match="64 bytes"):
        encode(ShowTopic("x" * 70))


def test_every_topic_action_fits_the_longest_topic_id() -> None:
    longest = "a" * MAX_ID_LENGTH  # the content check allows no longer id
    for action in (ShowTopic(longest, "kk"), Feedback(longest, helpful=True),
                   AddToCalendar(longest), ShareTopic(longest)):  # fmt: skip
        assert decode(encode(action)) == action


@pytest.mark.parametrize(
    "data",
    [None, "", "fb:<b>x:0", "fb:x:2", "fb:x", "lang:en", "t:X", "t:a:en", "forget:maybe",
     "bcx:abc", "menu:1", "cat:", "sub:a:b", "unknown:x", "t:a:ru:extra", "sh:", "sh:A"],
)  # fmt: skip
def test_forged_or_stale_data_is_none(data: str | None) -> None:
    assert decode(data) is None


def test_a_pattern_selects_types_or_equal_actions() -> None:
    feedback_or_menu = pattern(Feedback, Menu)
    assert feedback_or_menu("fb:x:1") and feedback_or_menu("menu")
    assert not feedback_or_menu("t:x") and not feedback_or_menu("fb:<b>:1")
    assert pattern(Compose("now"))("bc:now") and not pattern(Compose("now"))("bc:confirm")
