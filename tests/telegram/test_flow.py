"""Tests for bot.telegram.flow: a flow's data as JSON (no objects but the named ones), and what
a stored draft means for the admin's privacy page. The flow end to end (a restart, /forget,
stale buttons, two workers): test_broadcasts.py and test_composer_workers.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from bot.conversation.pages import privacy_page
from bot.storage.conversations import ConversationStore
from bot.storage.sql import SQLStorage
from bot.telegram.flow import StateCodec
from bot.telegram.handlers.composer import Draft

SEND_AT = datetime(2026, 3, 1, 15, 0, tzinfo=UTC)


@dataclass
class Secret:
    value: str


def test_a_draft_and_its_time_read_back_as_they_were() -> None:
    codec = StateCodec((Draft,))
    draft = Draft(text_ru="<b>Внимание</b>", text_kk="Назар", topic="fraud", send_at=SEND_AT)
    state = {"step": 4, "data": {"draft": draft, "step": 3}}
    text = codec.dumps(state)
    assert "Внимание" in text  # readable in the database, not escaped
    assert codec.loads(text) == state


def test_only_named_types_are_stored_and_decoded() -> None:
    codec = StateCodec((Draft,))
    with pytest.raises(TypeError, match="Secret"):
        codec.dumps({"x": Secret("s")})
    # A tag naming another type comes back as the plain mapping it is, never as an object.
    assert codec.loads('{"$Secret": {"value": "s"}}') == {"$Secret": {"value": "s"}}
    assert StateCodec().loads(codec.dumps(Draft())) == {"$Draft": Draft().__dict__}


async def test_privacy_shows_an_unsent_draft(storage: SQLStorage) -> None:
    await storage.touch_user(900, hint_lang="ru")
    assert (await storage.export_user(900))["draft"] is False
    state = StateCodec((Draft,)).dumps({"step": 1, "data": {"draft": Draft(text_ru="x")}})
    await ConversationStore(storage).save("broadcast", 900, state)
    data = await storage.export_user(900)
    assert data["draft"] is True
    assert "не отправленное объявление" in privacy_page("ru", data).html
    assert "жіберілмеген хабарландыру" in privacy_page("kk", data).html
    await storage.forget_user(900)
    assert await storage.export_user(900) == {}
