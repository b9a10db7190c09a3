"""The admin filter: an admin's messages, and no one else's."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from telegram import Update

from bot.storage.admins import Admins
from bot.storage.sqlite import SQLiteStorage
from bot.telegram.handlers.admins import AdminFilter

ADMIN, CITIZEN = 7, 8


def admins() -> Admins:
    """Admin 7, configured; the database is never opened (nobody was granted)."""
    return Admins(SQLiteStorage(Path("never-opened.sqlite3")), [ADMIN])


def update(kind: str, chat: str, user: int | None, content: dict[str, Any]) -> Update:
    message: dict[str, Any] = {
        "message_id": 1, "date": 0, "chat": {"id": 100, "type": chat}, **content
    }  # fmt: skip
    if user is not None:
        message["from"] = {"id": user, "is_bot": False, "first_name": "U"}
    return Update.de_json({"update_id": 1, kind: message}, None)


CONTENTS = [
    {"text": "что такое сталкинг"},
    {"text": "/start", "entities": [{"type": "bot_command", "offset": 0, "length": 6}]},
    {"text": "see /start", "entities": [{"type": "bot_command", "offset": 4, "length": 6}]},
    {"text": "bold", "entities": [{"type": "bold", "offset": 0, "length": 4}]},
    {"sticker": {"file_id": "s", "file_unique_id": "s", "width": 1, "height": 1,
                 "is_animated": False, "is_video": False, "type": "regular"}},
]  # fmt: skip
CASES = list(
    itertools.product(
        ["message", "edited_message", "channel_post"],
        ["private", "group", "supergroup"],
        [ADMIN, CITIZEN, None],
        CONTENTS,
    )
)


@pytest.mark.parametrize(("kind", "chat", "user", "content"), CASES)
def test_admin_filter_lets_through_the_admins_messages_only(
    kind: str, chat: str, user: int | None, content: dict[str, Any]
) -> None:
    given = update(kind, chat, user, content)
    assert bool(AdminFilter(admins()).check_update(given)) == (user == ADMIN)
